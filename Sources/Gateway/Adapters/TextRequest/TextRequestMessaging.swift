import GatewayCore

/// `/messages` and `/conversations` from the dashboard's conversations, which Text Request
/// keys by the contact's phone number (`/dashboards/{d}/contacts/{phone}/messages`).
struct TextRequestMessaging: MessagingSource {
    let api: TextRequestAPI

    static let maxBody = 1600
    static let maxSenderName = 41

    var source: String { api.source }

    func maxPageSize() -> Int { TextRequestAPI.maxPageSize }

    /// §4 "Text Request: body <= 1600 characters, US numbers only". Lengths are UTF-16 code
    /// units, the vendor's .NET string length (an emoji counts 2), so nothing that passes here
    /// is refused upstream for its length.
    func validate(_ send: MessageSend) -> [FieldError] {
        var errors: [FieldError] = []
        switch send.to {
        case .set(let to): if TextRequestPhone.digits11(to) == nil { errors.append(FieldError("to", TextRequestPhone.rule)) }
        default: errors.append(FieldError("to", "is required"))
        }
        switch send.body {
        case .set(let body) where !body.isEmpty:
            let n = body.utf16.count
            if n > Self.maxBody {
                errors.append(FieldError("body", "must be at most \(Self.maxBody) characters (UTF-16 code units, as Text Request counts them); it has \(n)"))
            }
        default: errors.append(FieldError("body", "is required"))
        }
        if let name = send.senderName.value, name.utf16.count > Self.maxSenderName {
            errors.append(FieldError("sender_name", "must be at most \(Self.maxSenderName) characters"))
        }
        for (i, url) in (send.media.value ?? []).enumerated() where !Self.isHTTPURL(url) {
            errors.append(FieldError("media[\(i)]", "must be an http or https URL"))
        }
        return errors
    }

    static func isHTTPURL(_ s: String) -> Bool {
        let lower = s.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = lower.dropFirst(8) }
        else if lower.hasPrefix("http://") { rest = lower.dropFirst(7) }
        else { return false }
        guard let first = rest.first, first != "/" else { return false }
        return !s.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F }
    }

    // MARK: send

    /// `POST /dashboards/{d}/contacts/{to}/messages` (starts the conversation, and the
    /// contact, when new). The dashboard's number is learnt before sending, so a failure there
    /// never hides a message that went out.
    func send(_ message: MessageSend, context: AdapterContext) async throws(GatewayError) -> Message {
        let errors = validate(message)
        guard errors.isEmpty, let to = message.to.value.flatMap(TextRequestPhone.digits11), let text = message.body.value else {
            throw .validation(errors)
        }
        let own = try await api.ownPhone(context: context)
        var body: JSONObject = ["body": .string(text)]
        if let name = message.senderName.value, !name.isEmpty { body["sender_name"] = .string(name) }
        if let media = message.media.value, !media.isEmpty { body["mms_media"] = .array(media.map { .string($0) }) }
        let answer = try await api.json("POST", try api.dashboardPath("/contacts/\(to)/messages"), body: .object(body), context: context)
        return try api.message(answer, contact: to, own: own)
    }

    // MARK: history

    /// The conversation's messages, oldest first as Text Request pages them. An unknown
    /// contact id is a 404; a phone number with no contact simply has no messages.
    func history(contact: UnifiedID?, phone: String?, page request: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Message> {
        let number: String
        if let contact {
            guard contact.source == source, contact.kind == "contact" || contact.kind == "conversation" else {
                throw .badRequest("contact_id must be a Text Request contact id", [FieldError("contact_id", "not a Text Request contact")])
            }
            number = try api.phone(of: contact, kinds: ["contact", "conversation"])
            if let phone, TextRequestPhone.digits11(phone) != number {
                throw .badRequest("contact_id and phone name different conversations", [FieldError("phone", "does not match contact_id")])
            }
        } else if let phone {
            guard let n = TextRequestPhone.digits11(phone) else {
                throw .badRequest("phone is not a US number", [FieldError("phone", TextRequestPhone.rule)])
            }
            number = n
        } else {
            throw .badRequest("contact_id or phone is required", [FieldError("contact_id", "contact_id or phone is required")])
        }
        let page = try api.page(request)
        guard let body = try await api.getOptional(try api.dashboardPath("/contacts/\(number)/messages"),
                                                   query: api.pageQuery(page, request), context: context) else {
            if let contact { throw .notFound("no Text Request contact \(contact)") }
            return SourcePage(items: [], next: nil)
        }
        let (items, next) = try api.pageItems(body, page: page, request: request)
        let own = items.isEmpty ? nil : try await api.ownPhone(context: context)
        var messages: [Message] = []
        for item in items { messages.append(try api.message(item, contact: number, own: own)) }
        return SourcePage(items: messages, next: next)
    }

    // MARK: conversations

    /// `q` is the list's `search` (part of the number or of the display name); `phone` and
    /// `contact_id` name one conversation, read from its contact.
    func conversationFilters() -> Set<ListFilter.Name> { [.q, .phone, .contact_id] }

    /// Unarchived conversations, newest last message first (the upstream's order). Archived
    /// ones are left out, as by the upstream's default: its list cannot tell them apart.
    func conversations(filter: ListFilter, page request: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Conversation> {
        let unsupported = filter.present.subtracting(conversationFilters())
        if let name = unsupported.map(\.rawValue).sorted().first {
            throw .badRequest("Text Request conversations cannot be filtered by \(name)", [FieldError(name, "not supported by Text Request")])
        }
        let page = try api.page(request)
        if filter[.phone] != nil || filter[.contact_id] != nil {
            return try await one(filter, page: page, context: context)
        }
        var query = api.pageQuery(page, request)
        if let q = filter[.q], !q.isEmpty { query.append(("search", q)) }
        guard let body = try await api.getOptional(try api.dashboardPath("/conversations"), query: query, context: context) else {
            return SourcePage(items: [], next: nil)  // 204: the dashboard has no conversation at all
        }
        let (items, next) = try api.pageItems(body, page: page, request: request)
        var out: [Conversation] = []
        for item in items { out.append(try api.conversation(listItem: item)) }
        return SourcePage(items: out, next: next)
    }

    /// The conversation with one number: its contact, if it has messages and is not archived.
    private func one(_ filter: ListFilter, page: Int, context: AdapterContext) async throws(GatewayError) -> SourcePage<Conversation> {
        var numbers: Set<String> = []
        if let value = filter[.contact_id] {
            guard let id = UnifiedID(value), id.source == source, id.kind == "contact" else {
                throw .badRequest("contact_id must be a Text Request contact id", [FieldError("contact_id", "not a Text Request contact")])
            }
            guard let n = try? api.phone(of: id, kinds: ["contact"]) else { return SourcePage(items: [], next: nil) }
            numbers.insert(n)
        }
        if let value = filter[.phone] {
            guard let n = TextRequestPhone.digits11(value) else { return SourcePage(items: [], next: nil) }
            numbers.insert(n)
        }
        guard page == 0, numbers.count == 1, let number = numbers.first,
              let contact = try await api.getOptional(try api.dashboardPath("/contacts/" + number), context: context),
              let last = contact["last_message"], !last.isNull, contact["is_archived"]?.boolValue != true else {
            return SourcePage(items: [], next: nil)
        }
        let c = try api.conversation(contact: contact)
        if let q = filter[.q], !q.isEmpty, !Self.matches(c, q) { return SourcePage(items: [], next: nil) }
        return SourcePage(items: [c], next: nil)
    }

    /// The upstream's `search` rule: the term's digits inside the number, or the term inside
    /// the display name (case-insensitive).
    static func matches(_ c: Conversation, _ q: String) -> Bool {
        let digits = String(q.unicodeScalars.filter { ("0"..."9").contains($0) }.map(Character.init))
        if !digits.isEmpty, c.phone?.contains(digits) == true { return true }
        return c.displayName?.lowercased().contains(q.lowercased()) == true
    }

    // MARK: archive

    /// `PUT .../contacts/{phone}/conversations/archive|unarchive` (200, no body; 404 unknown),
    /// then the contact, for the conversation as it now is.
    func setArchived(_ conversation: UnifiedID, _ archived: Bool, context: AdapterContext) async throws(GatewayError) -> Conversation {
        let phone = try api.phone(of: conversation, kinds: ["conversation"])
        let path = try api.dashboardPath("/contacts/\(phone)/conversations/" + (archived ? "archive" : "unarchive"))
        let r = try await api.call("PUT", path, context: context)
        try api.caller.requireSuccess(r)
        guard let contact = try await api.getOptional(try api.dashboardPath("/contacts/" + phone), context: context) else {
            throw .notFound("no Text Request conversation \(conversation)")
        }
        return try api.conversation(contact: contact)
    }
}
