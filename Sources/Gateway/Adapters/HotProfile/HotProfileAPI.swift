import GatewayCore

/// HotProfile's three record types, named as in the paths (`/rest_api/v1/<entity>/...`) and
/// the list envelope's key, with the unified kind each one is.
enum HotProfileEntity: String, Sendable, CaseIterable {
    case businessCards = "business_cards"
    case leads
    case clients

    var kind: String {
        switch self {
        case .businessCards: "business_card"
        case .leads: "lead"
        case .clients: "client"
        }
    }

    init?(kind: String) {
        guard let e = Self.allCases.first(where: { $0.kind == kind }) else { return nil }
        self = e
    }

    /// `page[display_number]`: 1-1000 for cards and clients, "up to 100" for leads (FACTS 3.3).
    var maxPageSize: Int { self == .leads ? 100 : 1000 }
}

/// One page of `get_entry_list`: the records as received and the page counters.
struct HotProfileEntries {
    var records: [JSONObject]
    var currentPage: Int
    var totalPages: Int
}

/// The calls every HotProfile operation is made of. Every one is a POST with a JSON body
/// carrying `api_key` (the swagger puts it in the query; real clients send it in the body,
/// FACTS 3.1, and a body keeps the key out of URLs and access logs), `search`, `page` and
/// `order` as nested objects, as the real clients do.
struct HotProfileAPI: Sendable {
    static let source = "hotprofile"
    let caller: UpstreamCaller

    init(settings: UpstreamSettings) {
        caller = UpstreamCaller(source: Self.source, settings: settings)
    }

    func path(_ entity: HotProfileEntity, _ action: String) -> String { "/rest_api/v1/\(entity.rawValue)/\(action)" }

    /// `api_key` first, then `members`. A member named `api_key` can never replace the credential.
    func body(_ members: JSONObject) -> JSON {
        var o: JSONObject = ["api_key": .string(caller.settings.credential)]
        for (k, v) in members where k != "api_key" { o[k] = v }
        return .object(o)
    }

    /// `get_entry_list` ordered by id ascending, so page-number paging is stable.
    func entries(_ entity: HotProfileEntity, search: JSONObject, page: Int, size: Int,
                 context: AdapterContext) async throws(GatewayError) -> HotProfileEntries {
        var members: JSONObject = ["page": ["number": .int(page), "display_number": .int(size)],
                                   "order": ["key": "id", "type": "asc"]]
        if !search.isEmpty { members["search"] = .object(search) }
        let json = try await caller.json("POST", path(entity, "get_entry_list"), body: body(members), context: context)
        guard let list = json[entity.rawValue]?.arrayValue else {
            throw caller.invalid("get_entry_list of \(entity.rawValue) has no `\(entity.rawValue)` array")
        }
        var records: [JSONObject] = []
        for item in list {
            guard let o = item.objectValue else { throw caller.invalid("a \(entity.rawValue) entry is not an object") }
            records.append(o)
        }
        guard let pages = json["pages"]?.objectValue, let total = pages["total_number"].flatMap(Self.int) else {
            throw caller.invalid("get_entry_list of \(entity.rawValue) has no `pages.total_number`")
        }
        let current = pages["current_number"].flatMap(Self.int) ?? page
        return HotProfileEntries(records: records, currentPage: current, totalPages: total)
    }

    /// One record by id, or nil when HotProfile has none. Leads search by `ids` (documented);
    /// clients and cards by the inclusive `from_id`/`to_id` range (documented for clients and
    /// leads; for cards it is what real clients send). The id is checked on the answer, so an
    /// upstream that ignored the search cannot hand back the wrong record.
    func find(_ entity: HotProfileEntity, _ id: Int, context: AdapterContext) async throws(GatewayError) -> JSONObject? {
        let search: JSONObject = entity == .leads ? ["ids": .string(String(id))]
            : ["from_id": .int(id), "to_id": .int(id)]
        let page = try await entries(entity, search: search, page: 1, size: 1, context: context)
        return page.records.first { $0["id"].flatMap(Self.int) == id }
    }

    /// `create` or `update`; HotProfile answers `{"id": N}`.
    func write(_ entity: HotProfileEntity, _ action: String, _ fields: JSONObject,
               context: AdapterContext) async throws(GatewayError) -> Int {
        let json = try await caller.json("POST", path(entity, action), body: body(fields), context: context)
        guard let id = json["id"].flatMap(Self.int) else {
            throw caller.invalid("\(entity.rawValue)/\(action) answered without an `id`")
        }
        return id
    }

    /// An integer from a JSON number or a decimal string (HotProfile lists some ids as strings).
    static func int(_ v: JSON) -> Int? {
        if let i = v.intValue { return i }
        if let s = v.stringValue, let i = Int(s) { return i }
        return nil
    }
}

/// The resource operations, the same for every entity; only the mapping differs.
extension HotProfileAPI {
    /// The page number in a `next` token (nil: the first page).
    static func pageNumber(_ token: String?) throws(GatewayError) -> Int {
        guard let token else { return 1 }
        guard let n = Int(token), n > 0, String(n) == token else {
            throw .badRequest("the cursor is not a HotProfile page", [FieldError("cursor", "is not valid for this list")])
        }
        return n
    }

    func list<T: UnifiedObject>(_ e: HotProfileEntity, _ filter: ListFilter, _ page: PageRequest, context: AdapterContext,
                                map: (JSONObject) throws(GatewayError) -> T) async throws(GatewayError) -> SourcePage<T> {
        let query = try HotProfileFilters.query(e, filter)
        let number = try Self.pageNumber(page.token)
        let size = max(1, min(page.size, e.maxPageSize))
        let entries = try await entries(e, search: query.search, page: number, size: size, context: context)
        var items: [T] = []
        for record in entries.records.prefix(size) where query.accepts(record) { items.append(try map(record)) }
        // `pages.total_number` says whether this was the last page, full or not.
        let more = !entries.records.isEmpty && entries.currentPage < entries.totalPages
        return SourcePage(items: items, next: more ? String(entries.currentPage + 1) : nil)
    }

    /// The remote id of `id` when it is one of `entities`' records (else it cannot exist: 404).
    static func remote(_ id: UnifiedID, _ entities: [HotProfileEntity]) throws(GatewayError) -> (HotProfileEntity, Int) {
        guard id.source == source, let e = HotProfileEntity(kind: id.kind), entities.contains(e), let n = id.integerRemote else {
            throw .notFound("no HotProfile record \(id)")
        }
        return (e, n)
    }

    func get(_ e: HotProfileEntity, _ n: Int, context: AdapterContext) async throws(GatewayError) -> JSONObject {
        guard let record = try await find(e, n, context: context) else {
            throw .notFound("no HotProfile \(e.kind) \(n)")
        }
        return record
    }

    func create(_ e: HotProfileEntity, _ plan: HotProfileWritePlan, context: AdapterContext) async throws(GatewayError) -> JSONObject {
        guard plan.errors.isEmpty else { throw .validation(plan.errors) }
        let id = try await write(e, "create", plan.fields, context: context)
        return try await get(e, id, context: context)
    }

    /// Cards and leads cannot be updated without their `client_id` (the swagger requires it):
    /// when the write does not move the record to another client, the current one is read first.
    func update(_ e: HotProfileEntity, _ n: Int, _ plan: HotProfileWritePlan, context: AdapterContext) async throws(GatewayError) -> JSONObject {
        guard plan.errors.isEmpty else { throw .validation(plan.errors) }
        if plan.fields.isEmpty { return try await get(e, n, context: context) }
        var fields: JSONObject = ["id": .int(n)]
        if e != .clients {
            if let client = plan.fields["client_id"] {
                fields["client_id"] = client
            } else {
                let current = try await get(e, n, context: context)
                guard let client = current["client_id"].flatMap(Self.int) else {
                    throw caller.invalid("\(e.rawValue) \(n) is listed without a client_id")
                }
                fields["client_id"] = .int(client)
            }
        }
        for (k, v) in plan.fields where k != "client_id" { fields[k] = v }
        let id = try await write(e, "update", fields, context: context)
        return try await get(e, id, context: context)
    }
}
