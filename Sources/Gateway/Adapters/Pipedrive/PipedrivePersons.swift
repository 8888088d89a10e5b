import GatewayCore

/// `/contacts` from Pipedrive persons (`/api/v2/persons`).
///
/// Filters: `updated_since`, `company_id` (`org_id`) on the list; `q`, `email` or `phone`
/// through `/api/v2/persons/search` (one of them at a time, combinable only with
/// `company_id`, which the search takes as `organization_id`).
struct PipedrivePersons: ResourceSource {
    let client: PipedriveClient
    var source: String { PipedriveClient.source }
    var kinds: [String] { ["person"] }
    static let path = "/api/v2/persons"

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get, .create, .update, .delete] }
    func filters(kind: String) -> Set<ListFilter.Name> { [.q, .email, .phone, .updated_since, .company_id] }
    func maxPageSize(kind: String) -> Int { 500 }

    func validate(kind: String, _ w: ContactWrite, creating: Bool) -> [FieldError] {
        var c = PipedriveChecks()
        // v2 writes one `name`; Pipedrive derives first and last name from it.
        let parts = [w.firstName.value, w.lastName.value].compactMap { $0 }.map(PipedriveText.trim).filter { !$0.isEmpty }
        switch w.displayName {
        case .set(let d):
            let name = PipedriveText.trim(d)
            if name.isEmpty { c.add("display_name", "must not be empty") }
            for (field, change) in [("first_name", w.firstName), ("last_name", w.lastName)] {
                if let part = change.value, !name.contains(PipedriveText.trim(part)) {
                    c.add(field, "must be part of display_name (Pipedrive derives first and last name from the name)")
                }
            }
        case .clear:
            c.add("display_name", "cannot be cleared (Pipedrive persons require a name)")
        case .keep:
            if creating && parts.isEmpty {
                c.add("display_name", "is required (or first_name and/or last_name)")
            } else if !creating && !w.firstName.isKeep && !w.lastName.isKeep && parts.isEmpty {
                c.add("first_name", "first_name and last_name cannot both be empty (Pipedrive persons require a name)")
            }
        }
        c.points("emails", w.emails)
        c.points("phones", w.phones)
        c.id("company_id", w.companyID, kind: "organization", clearable: true)
        c.owner(w.ownerID)
        if case .set(let tags) = w.tags {
            for (i, t) in tags.enumerated() where Self.label(t) == nil {
                c.add("tags[\(i)]", "must be a Pipedrive label id (a positive integer)")
            }
        }
        c.unsupported("title", w.title, "persons (the v2 API cannot set job_title)")
        c.unsupported("address", w.address, "persons (the v2 API cannot set postal_address)")
        c.unsupported("note", w.note, "persons (add a note with POST /contacts/{id}/notes)")
        c.customFields(w.customFields)
        return c.errors
    }

    static func label(_ tag: String) -> Int? {
        guard let n = Int(tag), n > 0, String(n) == tag else { return nil }
        return n
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Contact> {
        let org = try PipedriveFilter.id(filter, .company_id, kind: "organization")
        let searches = filter.present.intersection([.q, .email, .phone])
        let result: (items: [JSON], next: String?)
        if let search = searches.sorted(by: { $0.rawValue < $1.rawValue }).first {
            if searches.count > 1 {
                throw .badRequest("Pipedrive persons can be searched by only one of q, email, phone at a time",
                                  searches.sorted { $0.rawValue < $1.rawValue }.map { FieldError($0.rawValue, "cannot be combined with another search filter on Pipedrive persons") })
            }
            try PipedriveFilter.refuseCombination(filter, search: search, allowed: [.company_id], what: "persons")
            var query: [(String, String)]
            switch search {
            case .email: query = [("term", try PipedriveFilter.term(filter, .email, exact: true)), ("fields", "email"), ("exact_match", "true")]
            case .phone: query = [("term", try PipedriveFilter.term(filter, .phone, exact: false)), ("fields", "phone")]
            default: query = [("term", try PipedriveFilter.term(filter, .q, exact: false))]
            }
            if let org { query.append(("organization_id", String(org))) }
            result = try await client.searchRecords("persons", query: query, page: page, context: context)
        } else {
            var query = PipedriveClient.paging(page)
            if let since = try PipedriveFilter.updatedSince(filter) { query.append(("updated_since", since)) }
            if let org { query.append(("org_id", String(org))) }
            result = try await client.list(Self.path, query: query, context: context)
        }
        var items: [Contact] = []
        for p in result.items.prefix(page.size) { items.append(try PipedriveMapping.contact(p)) }
        await Self.nameCompanies(&items, client: client, context: context)
        return SourcePage(items: items, next: result.next)
    }

    /// v2 persons carry only `org_id`; the §4 model shows `company{id, name}`. One list call
    /// with `ids=` (at most 100, cached like any companies read) fills the names of a page.
    /// A failed lookup leaves the names null rather than failing the read.
    static func nameCompanies(_ contacts: inout [Contact], client: PipedriveClient, context: AdapterContext) async {
        var ids: [Int] = []
        for c in contacts {
            if let ref = c.company, ref.name == nil, let id = UnifiedID(ref.id)?.integerRemote, !ids.contains(id) { ids.append(id) }
        }
        guard !ids.isEmpty else { return }
        var names: [String: String] = [:]
        var start = 0
        while start < ids.count {
            let chunk = ids[start..<min(ids.count, start + PipedriveClient.idsPerCall)]
            guard let list = try? await client.list("/api/v2/organizations",
                                                    query: [("ids", chunk.map(String.init).joined(separator: ",")), ("limit", String(chunk.count))],
                                                    context: context) else { return }
            for org in list.items {
                if let id = org["id"]?.intValue, let name = org["name"]?.stringValue { names["pipedrive:organization:\(id)"] = name }
            }
            start += PipedriveClient.idsPerCall
        }
        for i in contacts.indices {
            if let ref = contacts[i].company, ref.name == nil { contacts[i].company?.name = names[ref.id] }
        }
    }

    static func named(_ contact: Contact, client: PipedriveClient, context: AdapterContext) async -> Contact {
        var one = [contact]
        await nameCompanies(&one, client: client, context: context)
        return one[0]
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Contact {
        let n = try PipedriveID.require(id, kind: "person")
        let contact = try PipedriveMapping.contact(try await client.record("GET", "\(Self.path)/\(n)", context: context))
        return await Self.named(contact, client: client, context: context)
    }

    func create(kind: String, _ w: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        let errors = validate(kind: kind, w, creating: true)
        guard errors.isEmpty else { throw .validation(errors) }
        let body = Self.body(w, name: Self.name(w, current: nil))
        let contact = try PipedriveMapping.contact(try await client.record("POST", Self.path, body: .object(body), context: context))
        return await Self.named(contact, client: client, context: context)
    }

    func update(_ id: UnifiedID, _ w: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        let n = try PipedriveID.require(id, kind: "person")
        let errors = validate(kind: "person", w, creating: false)
        guard errors.isEmpty else { throw .validation(errors) }
        var current: JSON?
        if w.displayName.isKeep && !(w.firstName.isKeep && w.lastName.isKeep) {
            // v2 writes only `name`: a first or last name alone is joined to the stored other half.
            current = try await client.record("GET", "\(Self.path)/\(n)", context: context)
        }
        let body = Self.body(w, name: Self.name(w, current: current))
        let contact = try PipedriveMapping.contact(try await client.record("PATCH", "\(Self.path)/\(n)", body: .object(body), context: context))
        return await Self.named(contact, client: client, context: context)
    }

    func delete(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) {
        let n = try PipedriveID.require(id, kind: "person")
        _ = try await client.send("DELETE", "\(Self.path)/\(n)", context: context)
    }

    /// Pipedrive's `name`: `display_name`, else first and last name joined (on update, the
    /// half not given comes from the stored record).
    static func name(_ w: ContactWrite, current: JSON?) -> String? {
        if let d = w.displayName.value { return PipedriveText.trim(d) }
        guard !(w.firstName.isKeep && w.lastName.isKeep) else { return nil }
        func part(_ change: Change<String>, _ key: String) -> String? {
            switch change {
            case .keep: return current?[key]?.stringValue
            case .clear: return nil
            case .set(let s): return PipedriveText.trim(s)
            }
        }
        let joined = [part(w.firstName, "first_name"), part(w.lastName, "last_name")].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        return joined.isEmpty ? nil : joined
    }

    static func body(_ w: ContactWrite, name: String?) -> JSONObject {
        var b = JSONObject()
        if let name { b["name"] = .string(name) }
        switch w.emails { case .keep: break; case .clear: b["emails"] = []; case .set(let l): b["emails"] = PipedriveBody.points(l) }
        switch w.phones { case .keep: break; case .clear: b["phones"] = []; case .set(let l): b["phones"] = PipedriveBody.points(l) }
        PipedriveBody.id(&b, "org_id", w.companyID, kind: "organization")
        PipedriveBody.owner(&b, w.ownerID)
        switch w.tags {
        case .keep: break
        case .clear: b["label_ids"] = []
        case .set(let tags): b["label_ids"] = .array(tags.compactMap(label).map { .int($0) })
        }
        PipedriveBody.customFields(&b, w.customFields)
        return b
    }
}
