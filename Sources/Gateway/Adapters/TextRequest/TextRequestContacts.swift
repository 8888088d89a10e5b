import GatewayCore

/// `/contacts` from the dashboard's contacts (`/dashboards/{d}/contacts[/{phone}]`).
///
/// Filters: `phone` (the list's `contact_phone_number`, a starts-with match, exact once the
/// number is sent as its 11 digits) and, with `email_field_id`, `email` (that custom field's
/// value). The list has no name search (`q`) and no last-change filter (`updated_since`):
/// its date filters are creation and message times only.
struct TextRequestContacts: ResourceSource {
    let api: TextRequestAPI

    var source: String { api.source }
    var kinds: [String] { ["contact"] }

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get, .create, .update, .delete] }

    func filters(kind: String) -> Set<ListFilter.Name> {
        api.emailFieldID == nil ? [.phone] : [.phone, .email]
    }

    func maxPageSize(kind: String) -> Int { TextRequestAPI.maxPageSize }

    func validate(kind: String, _ write: ContactWrite, creating: Bool) -> [FieldError] {
        api.validateContact(write, creating: creating)
    }

    // MARK: read

    func list(kind: String, filter: ListFilter, page request: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Contact> {
        let unsupported = filter.present.subtracting(filters(kind: kind))
        if let name = unsupported.map(\.rawValue).sorted().first {
            throw .badRequest("Text Request contacts cannot be filtered by \(name)", [FieldError(name, "not supported by Text Request")])
        }
        let page = try api.page(request)
        var query = api.pageQuery(page, request)
        if let phone = filter[.phone] {
            // A number that is not a US number cannot be a Text Request contact's.
            guard let digits = TextRequestPhone.digits11(phone) else { return SourcePage(items: [], next: nil) }
            query.append(("contact_phone_number", digits))
        }
        if let email = filter[.email], let fieldID = api.emailFieldID {
            query.append(("custom_field_id_1", fieldID))
            query.append(("custom_field_value_1", email))
        }
        guard let body = try await api.getOptional(try api.dashboardPath("/contacts"), query: query, context: context) else {
            return SourcePage(items: [], next: nil)
        }
        let (items, next) = try api.pageItems(body, page: page, request: request)
        var contacts: [Contact] = []
        for item in items { contacts.append(try api.contact(item)) }
        return SourcePage(items: contacts, next: next)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Contact {
        let phone = try api.phone(of: id, kinds: ["contact"])
        guard let body = try await fetch(phone, context: context) else { throw .notFound("no Text Request contact \(id)") }
        return try api.contact(body)
    }

    /// `GET /dashboards/{d}/contacts/{phone}`: nil on the documented 204 (no such contact).
    func fetch(_ phone: String, context: AdapterContext) async throws(GatewayError) -> JSON? {
        try await api.getOptional(try api.dashboardPath("/contacts/" + phone), context: context)
    }

    // MARK: write

    /// Text Request only has create-or-update by phone. A POST /contacts for a number that
    /// already has a contact is refused (409, naming the existing id) instead of silently
    /// overwriting its names, tags and fields: one GET first. (Two creates racing for the same
    /// new number can still both succeed; the second then updates the first.)
    func create(kind: String, _ write: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        let errors = api.validateContact(write, creating: true)
        guard errors.isEmpty, let raw = write.phones.value?.first?.value, let phone = TextRequestPhone.digits11(raw) else {
            throw .validation(errors)
        }
        if try await fetch(phone, context: context) != nil {
            throw .conflict("a Text Request contact with the phone number \(TextRequestPhone.e164(phone)) already exists: \(try api.id("contact", phone: phone))")
        }
        return try await upsert(phone, write, context: context)
    }

    /// The contact must exist (a GET first: the upstream's POST would create it); the phone
    /// number cannot change, since it is the contact's identity.
    func update(_ id: UnifiedID, _ write: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        let phone = try api.phone(of: id, kinds: ["contact"])
        var errors = api.validateContact(write, creating: false)
        if case .set(let list) = write.phones, let first = list.first,
           let given = TextRequestPhone.digits11(first.value), given != phone {
            errors.append(FieldError("phones[0].value", "cannot change: the phone number identifies a Text Request contact (create a new contact instead)"))
        }
        guard errors.isEmpty else { throw .validation(errors) }
        guard let current = try await fetch(phone, context: context) else { throw .notFound("no Text Request contact \(id)") }
        if api.contactBody(write).isEmpty { return try api.contact(current) }
        return try await upsert(phone, write, context: context)
    }

    private func upsert(_ phone: String, _ write: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        let body = try await api.json("POST", try api.dashboardPath("/contacts/" + phone), body: .object(api.contactBody(write)), context: context)
        return try api.contact(body)
    }

    /// 200 (no body) deleted; 404 unknown (kept as the upstream's 404). Once the dashboard and
    /// number are known good, the documented 400 means "it has message history": a conflict.
    func delete(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) {
        let phone = try api.phone(of: id, kinds: ["contact"])
        let r = try await api.call("DELETE", try api.dashboardPath("/contacts/" + phone), context: context)
        if r.status == 400 {
            throw .conflict("Text Request cannot delete a contact that has message history (\(id))")
        }
        try api.caller.requireSuccess(r)
    }
}
