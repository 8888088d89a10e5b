import GatewayCore

/// One delivery as the inbox stores it: what makes a repeat recognisable, and the
/// normalized events `{type, source, occurred_at, subject_id, data}` it carries (§7).
public struct NormalizedDelivery: Sendable, Equatable {
    public struct Event: Sendable, Equatable {
        public var type: String
        public var subjectID: String
        public var occurredAt: String
        public var data: JSON
    }

    public var kind: String
    public var dedupeKey: String
    public var events: [Event]
    /// Cache tags the events make stale (`UpstreamHintRules` vocabulary).
    public var invalidates: [String]
}

/// Why a delivery cannot be read: it goes to the dead letters with this reason, and the
/// sender gets a 400.
public struct MalformedDelivery: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// Upstream payloads to normalized events. Pure: no I/O, no clock but the one passed in.
public enum WebhookNormalizer {
    static let actions = ["created", "updated", "deleted"]

    static func digest(_ parts: [UInt8]) -> String {
        // A keyed digest of the delivery itself: a repeat of the same bytes is the same delivery.
        hexString(hmacSHA256(key: Array("crm-gateway-inbox".utf8), message: parts))
    }

    /// Hana: the event is in the URL (`lead.updated`); the body holds `lead` and/or
    /// `opportunity` as `{attribute: {nomalizeData, rawData}}`, ids included. Hana sends no
    /// delivery id, so a repeat is recognised by its bytes.
    public static func hana(event: String, body: [UInt8], receivedAt: UTCTime) throws(MalformedDelivery) -> NormalizedDelivery {
        let parts = event.split(separator: ".").map(String.init)
        guard parts.count == 2, ["lead", "opportunity"].contains(parts[0]), actions.contains(parts[1]) else {
            throw MalformedDelivery("unknown Hana event \(event) (lead|opportunity).(created|updated|deleted)")
        }
        let json: JSON
        do { json = try JSON.parse(body) } catch { throw MalformedDelivery("the body is not JSON: \(error)") }
        guard let record = json[parts[0]]?.objectValue else { throw MalformedDelivery("a \(event) delivery without `\(parts[0])`") }
        guard let id = record["id"]?["rawData"]?.stringValue ?? record["id"]?["nomalizeData"]?.stringValue, !id.isEmpty else {
            throw MalformedDelivery("`\(parts[0]).id` is missing")
        }
        let noun = parts[0] == "lead" ? "contact" : "deal"
        var data: JSONObject = [parts[0]: .object(record)]
        if let conversation = json["conversation"] { data["conversation"] = conversation }
        if parts[0] == "opportunity", let lead = json["lead"] { data["lead"] = lead }
        let subject = "hana:\(parts[0]):\(id)"
        return NormalizedDelivery(kind: event, dedupeKey: "hana:" + digest(Array(event.utf8) + [0] + body),
                                  events: [.init(type: "\(noun).\(parts[1])", subjectID: subject, occurredAt: receivedAt.rfc3339, data: .object(data))],
                                  invalidates: [])
    }

    /// Text Request: the event is inferred from the payload's shape (each hook posts one
    /// kind; none names itself), or given as `?event=` when the hook was registered so.
    public static func textRequest(body: [UInt8], event hinted: String?, dashboard: String, receivedAt: UTCTime) throws(MalformedDelivery) -> NormalizedDelivery {
        let json: JSON
        do { json = try JSON.parse(body) } catch { throw MalformedDelivery("the body is not JSON: \(error)") }
        guard let o = json.objectValue else { throw MalformedDelivery("the body is not a JSON object") }
        let key = "textrequest:" + digest(body)
        func phone11(_ v: JSON?) -> String? {
            guard let s = v?.stringValue ?? v?.intValue.map(String.init) else { return nil }
            let digits = s.filter(\.isNumber)
            return digits.count == 10 ? "1" + digits : digits.count == 11 ? digits : nil
        }
        let event = hinted ?? {
            if o["messageUniqueIdentifier"] != nil {
                return o["conversation"]?["messageDirection"]?.stringValue == "R" ? "msg_received" : "msg_sent"
            }
            if o["message_id"] != nil && o["status"] != nil { return "msg_status_updated" }
            if o["ContactId"] != nil { return "contact_created" }
            if o["phone_number"] != nil || o["id"] != nil { return "contact_updated" }
            return "unknown"
        }()
        switch event {
        case "msg_received", "msg_sent":
            guard let id = o["messageUniqueIdentifier"]?.stringValue, let c = o["conversation"]?.objectValue,
                  let phone = phone11(c["consumerPhoneNumber"]) else { throw MalformedDelivery("a message event without its message id or phone") }
            let type = event == "msg_received" ? "message.received" : "message.sent"
            let data: JSON = ["message_id": .string("textrequest:message:\(dashboard):\(id)"),
                              "conversation_id": .string("textrequest:conversation:\(dashboard):\(phone)"),
                              "contact_id": .string("textrequest:contact:\(dashboard):\(phone)"),
                              "direction": .string(event == "msg_received" ? "inbound" : "outbound"),
                              "body": c["message"] ?? .null, "sent_at": c["date"] ?? .null, "raw": json]
            return NormalizedDelivery(kind: event, dedupeKey: key,
                                      events: [.init(type: type, subjectID: "textrequest:contact:\(dashboard):\(phone)", occurredAt: c["date"]?.stringValue ?? receivedAt.rfc3339, data: data)],
                                      invalidates: ["textrequest:\(dashboard):messages:\(phone)", "textrequest:\(dashboard):conversations:list",
                                                    "textrequest:\(dashboard):contacts:\(phone)"])
        case "msg_status_updated":
            guard let id = o["message_id"]?.stringValue, let status = o["status"]?.stringValue else { throw MalformedDelivery("a status event without message_id or status") }
            let data: JSON = ["message_id": .string("textrequest:message:\(dashboard):\(id)"), "status": .string(status.lowercased()),
                              "error": o["error_code"] ?? .null, "raw": json]
            return NormalizedDelivery(kind: event, dedupeKey: key,
                                      events: [.init(type: "message.status_updated", subjectID: "textrequest:message:\(dashboard):\(id)", occurredAt: receivedAt.rfc3339, data: data)],
                                      invalidates: [])
        case "contact_created", "contact_updated":
            guard let phone = phone11(o["ContactPhoneNumber"] ?? o["phone_number"]) else { throw MalformedDelivery("a contact event without a phone number") }
            let subject = "textrequest:contact:\(dashboard):\(phone)"
            return NormalizedDelivery(kind: event, dedupeKey: key,
                                      events: [.init(type: event == "contact_created" ? "contact.created" : "contact.updated", subjectID: subject, occurredAt: receivedAt.rfc3339, data: ["raw": json])],
                                      invalidates: ["textrequest:\(dashboard):contacts:list", "textrequest:\(dashboard):contacts:\(phone)"])
        default:
            throw MalformedDelivery("not a Text Request event this gateway knows (msg_received, msg_sent, msg_status_updated, contact_created, contact_updated)")
        }
    }

    /// Pipedrive webhooks v2: `{meta: {action, entity, entity_id, id}, data, previous}`;
    /// `meta.id` is the delivery's id (a retry repeats it).
    public static func pipedrive(body: [UInt8], receivedAt: UTCTime) throws(MalformedDelivery) -> NormalizedDelivery {
        let json: JSON
        do { json = try JSON.parse(body) } catch { throw MalformedDelivery("the body is not JSON: \(error)") }
        guard let meta = json["meta"]?.objectValue, let action = meta["action"]?.stringValue, let entity = meta["entity"]?.stringValue,
              let entityID = meta["entity_id"]?.stringValue ?? meta["entity_id"]?.intValue.map(String.init) else {
            throw MalformedDelivery("not a Pipedrive v2 webhook (meta.action, meta.entity, meta.entity_id)")
        }
        let verb: String
        switch action {
        case "create", "added": verb = "created"
        case "change", "updated", "merged": verb = "updated"
        case "delete", "deleted": verb = "deleted"
        default: throw MalformedDelivery("unknown Pipedrive action \(action)")
        }
        let (noun, kind, collection): (String, String, String) = switch entity {
        case "person": ("contact", "person", "persons")
        case "organization": ("company", "organization", "organizations")
        case "deal": ("deal", "deal", "deals")
        case "activity": ("activity", "activity", "activities")
        case "note": ("note", "note", "notes")
        case "stage": ("stage", "stage", "stages")
        case "pipeline": ("pipeline", "pipeline", "pipelines")
        default: ("\(entity)", entity, entity + "s")
        }
        let delivery = meta["id"]?.stringValue ?? meta["id"]?.intValue.map(String.init)
        let occurred = meta["timestamp"]?.stringValue ?? receivedAt.rfc3339
        let data: JSON = ["current": json["data"] ?? .null, "previous": json["previous"] ?? .null]
        return NormalizedDelivery(kind: "\(action).\(entity)", dedupeKey: "pipedrive:" + (delivery ?? digest(body)),
                                  events: [.init(type: "\(noun).\(verb)", subjectID: "pipedrive:\(kind):\(entityID)", occurredAt: occurred, data: data)],
                                  invalidates: ["pipedrive:\(collection):list", "pipedrive:\(collection):\(entityID)"])
    }
}
