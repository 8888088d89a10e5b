import GatewayCore

/// `/activities` from `/api/v2/activities` (list, get, create).
///
/// Filters: `contact_id` (`person_id`), `company_id` (`org_id`), `updated_since`, and
/// `status` as the activity's `done` flag: `done` (done=true) or `open` (done=false).
struct PipedriveActivities: ResourceSource {
    let client: PipedriveClient
    var source: String { PipedriveClient.source }
    var kinds: [String] { ["activity"] }
    static let path = "/api/v2/activities"

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get, .create] }
    func filters(kind: String) -> Set<ListFilter.Name> { [.contact_id, .company_id, .updated_since, .status] }
    func maxPageSize(kind: String) -> Int { 500 }

    func validate(kind: String, _ w: ActivityWrite, creating: Bool) -> [FieldError] {
        var c = PipedriveChecks()
        c.text("subject", w.subject, required: creating, clearable: false)
        switch w.type {
        case .keep: break
        case .clear: c.add("type", "cannot be cleared on Pipedrive")
        case .set(let t): if !Self.isTypeKey(t) { c.add("type", "must be a Pipedrive activity type key (lowercase letters, digits, _), e.g. call, meeting, task") }
        }
        if w.done == .clear { c.add("done", "cannot be cleared; true or false") }
        c.date("due_date", w.dueDate)
        c.clock("due_time", w.dueTime)
        c.clock("duration", w.duration)
        c.id("deal_id", w.dealID, kind: "deal", clearable: true)
        c.id("contact_id", w.contactID, kind: "person", clearable: true)
        c.id("company_id", w.companyID, kind: "organization", clearable: true)
        c.owner(w.ownerID)
        return c.errors
    }

    /// An activity type's `key_string` (`call`, `meeting`, custom ones like `follow_up`).
    static func isTypeKey(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 100 && s.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Activity> {
        var query = PipedriveClient.paging(page)
        if let p = try PipedriveFilter.id(filter, .contact_id, kind: "person") { query.append(("person_id", String(p))) }
        if let o = try PipedriveFilter.id(filter, .company_id, kind: "organization") { query.append(("org_id", String(o))) }
        if let since = try PipedriveFilter.updatedSince(filter) { query.append(("updated_since", since)) }
        switch filter[.status] {
        case nil: break
        case "done": query.append(("done", "true"))
        case "open": query.append(("done", "false"))
        default:
            throw .badRequest("status must be done or open for Pipedrive activities", [FieldError("status", "must be done or open")])
        }
        let result = try await client.list(Self.path, query: query, context: context)
        var items: [Activity] = []
        for a in result.items.prefix(page.size) { items.append(try PipedriveMapping.activity(a)) }
        return SourcePage(items: items, next: result.next)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Activity {
        let n = try PipedriveID.require(id, kind: "activity")
        return try PipedriveMapping.activity(try await client.record("GET", "\(Self.path)/\(n)", context: context))
    }

    func create(kind: String, _ w: ActivityWrite, context: AdapterContext) async throws(GatewayError) -> Activity {
        let errors = validate(kind: kind, w, creating: true)
        guard errors.isEmpty else { throw .validation(errors) }
        return try PipedriveMapping.activity(try await client.record("POST", Self.path, body: .object(Self.body(w)), context: context))
    }

    static func body(_ w: ActivityWrite) -> JSONObject {
        var b = JSONObject()
        if let s = w.subject.value { b["subject"] = .string(PipedriveText.trim(s)) }
        if let t = w.type.value { b["type"] = .string(t) }
        if let d = w.done.value { b["done"] = .bool(d) }
        for (key, change) in [("due_date", w.dueDate), ("due_time", w.dueTime), ("duration", w.duration), ("note", w.note)] {
            switch change {
            case .keep: break
            case .clear: b[key] = .null
            case .set(let v): b[key] = .string(v)
            }
        }
        PipedriveBody.id(&b, "deal_id", w.dealID, kind: "deal")
        PipedriveBody.id(&b, "person_id", w.contactID, kind: "person")
        PipedriveBody.id(&b, "org_id", w.companyID, kind: "organization")
        PipedriveBody.owner(&b, w.ownerID)
        return b
    }
}
