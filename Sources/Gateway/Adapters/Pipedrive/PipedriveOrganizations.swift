import GatewayCore

/// `/companies` from Pipedrive organizations (`/api/v2/organizations`).
///
/// Filters: `updated_since` on the list; `q` through `/api/v2/organizations/search`, which
/// takes no other filter, so `q` stands alone.
struct PipedriveOrganizations: ResourceSource {
    let client: PipedriveClient
    var source: String { PipedriveClient.source }
    var kinds: [String] { ["organization"] }
    static let path = "/api/v2/organizations"

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get, .create, .update, .delete] }
    func filters(kind: String) -> Set<ListFilter.Name> { [.q, .updated_since] }
    func maxPageSize(kind: String) -> Int { 500 }

    func validate(kind: String, _ w: CompanyWrite, creating: Bool) -> [FieldError] {
        var c = PipedriveChecks()
        c.text("name", w.name, required: creating, clearable: false)
        c.owner(w.ownerID)
        c.unsupported("website", w.website, "organizations (no such field in the v2 API)")
        c.unsupported("emails", w.emails, "organizations (no such field in the v2 API)")
        c.unsupported("phones", w.phones, "organizations (no such field in the v2 API)")
        c.unsupported("industry", w.industry, "organizations (no such field in the v2 API)")
        c.unsupported("note", w.note, "organizations (add a note with POST /companies/{id}/notes)")
        c.customFields(w.customFields)
        return c.errors
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Company> {
        let result: (items: [JSON], next: String?)
        if filter[.q] != nil {
            try PipedriveFilter.refuseCombination(filter, search: .q, allowed: [], what: "organizations")
            let term = try PipedriveFilter.term(filter, .q, exact: false)
            result = try await client.searchRecords("organizations", query: [("term", term)], page: page, context: context)
        } else {
            var query = PipedriveClient.paging(page)
            if let since = try PipedriveFilter.updatedSince(filter) { query.append(("updated_since", since)) }
            result = try await client.list(Self.path, query: query, context: context)
        }
        var items: [Company] = []
        for o in result.items.prefix(page.size) { items.append(try PipedriveMapping.company(o)) }
        return SourcePage(items: items, next: result.next)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Company {
        let n = try PipedriveID.require(id, kind: "organization")
        return try PipedriveMapping.company(try await client.record("GET", "\(Self.path)/\(n)", context: context))
    }

    func create(kind: String, _ w: CompanyWrite, context: AdapterContext) async throws(GatewayError) -> Company {
        let errors = validate(kind: kind, w, creating: true)
        guard errors.isEmpty else { throw .validation(errors) }
        return try PipedriveMapping.company(try await client.record("POST", Self.path, body: .object(Self.body(w)), context: context))
    }

    func update(_ id: UnifiedID, _ w: CompanyWrite, context: AdapterContext) async throws(GatewayError) -> Company {
        let n = try PipedriveID.require(id, kind: "organization")
        let errors = validate(kind: "organization", w, creating: false)
        guard errors.isEmpty else { throw .validation(errors) }
        return try PipedriveMapping.company(try await client.record("PATCH", "\(Self.path)/\(n)", body: .object(Self.body(w)), context: context))
    }

    func delete(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) {
        let n = try PipedriveID.require(id, kind: "organization")
        _ = try await client.send("DELETE", "\(Self.path)/\(n)", context: context)
    }

    static func body(_ w: CompanyWrite) -> JSONObject {
        var b = JSONObject()
        if let name = w.name.value { b["name"] = .string(PipedriveText.trim(name)) }
        switch w.address {
        case .keep: break
        case .clear: b["address"] = .null
        case .set(let a): b["address"] = ["value": .string(a)]
        }
        PipedriveBody.owner(&b, w.ownerID)
        PipedriveBody.customFields(&b, w.customFields)
        return b
    }
}
