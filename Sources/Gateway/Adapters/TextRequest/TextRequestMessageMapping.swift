import GatewayCore

/// Text Request `message` and `conversation` objects (FACTS 2.5) as unified ones.
extension TextRequestAPI {
    /// `contact` is the 11-digit number of the conversation's contact; `own` the dashboard's.
    /// `message_direction` "R" was received from the contact (inbound), "S" sent (outbound).
    func message(_ json: JSON, contact: String, own: String?) throws(GatewayError) -> Message {
        guard let o = json.objectValue, let remoteID = TextRequestText.of(o["message_id"]) else {
            throw caller.invalid("a message without a message_id")
        }
        var m = Message(id: UnifiedID(source: source, kind: "message", remote: try requireDashboard() + ":" + remoteID))
        m.conversationID = try id("conversation", phone: contact).description
        let them = TextRequestPhone.e164(contact)
        let us = own.map(TextRequestPhone.e164)
        switch TextRequestText.of(o["message_direction"])?.uppercased() {
        case "R"?: m.direction = .inbound; m.from = them; m.to = us
        case "S"?: m.direction = .outbound; m.from = us; m.to = them
        default: break
        }
        m.body = o["body"]?.stringValue
        m.status = TextRequestText.of(o["delivery_status"])?.lowercased()
        m.error = TextRequestText.of(o["delivery_error"])
        m.media = o["mms_media"]?.arrayValue?.compactMap { TextRequestText.of($0) } ?? []
        m.sentAt = TextRequestTime.rfc3339(o["message_timestamp_utc"])
        m.raw = json
        return m
    }

    /// A conversations-list item `{phone_number, last_message}`. The list carries no name and
    /// no archived flag; it leaves archived conversations out unless asked, and the adapter
    /// never asks, so every listed conversation is unarchived.
    func conversation(listItem json: JSON) throws(GatewayError) -> Conversation {
        guard let raw = TextRequestText.of(json["phone_number"]), let phone = TextRequestPhone.digits11(raw) else {
            throw caller.invalid("a conversation without a US phone_number")
        }
        var c = Conversation(id: try id("conversation", phone: phone))
        c.contactID = contactID(phone: phone)
        c.phone = TextRequestPhone.e164(phone)
        c.archived = false
        c.lastMessageAt = TextRequestTime.rfc3339(json["last_message"]?["message_timestamp_utc"])
        c.lastMessage = json["last_message"]?["body"]?.stringValue
        c.raw = json
        return c
    }

    /// The conversation as its contact describes it (name, archived flag, last message).
    func conversation(contact json: JSON) throws(GatewayError) -> Conversation {
        guard let raw = TextRequestText.of(json["phone_number"]), let phone = TextRequestPhone.digits11(raw) else {
            throw caller.invalid("a contact without a US phone_number")
        }
        var c = Conversation(id: try id("conversation", phone: phone))
        c.contactID = contactID(phone: phone)
        c.phone = TextRequestPhone.e164(phone)
        c.displayName = TextRequestText.of(json["display_name"])
            ?? TextRequestText.of(.string([json["first_name"], json["last_name"]].compactMap { TextRequestText.of($0) }.joined(separator: " ")))
        c.archived = json["is_archived"]?.boolValue ?? false
        c.lastMessageAt = TextRequestTime.rfc3339(json["last_message"]?["message_timestamp_utc"])
        c.lastMessage = json["last_message"]?["body"]?.stringValue
        c.raw = json
        return c
    }
}
