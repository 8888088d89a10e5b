import GatewayCore

/// Text Request API v3 (`/api/v3/...`, header `x-api-key`): SMS contacts of one dashboard,
/// the dashboard's conversations and their messages, and passthrough.
///
/// Everything is scoped to one dashboard, `options["dashboard_id"]`; "1" (the sandbox's
/// seeded dashboard) when the option is absent. Contacts and conversations are keyed by the
/// contact's 11-digit phone number, so their ids are `textrequest:contact:<dashboard>:<phone>`
/// and `textrequest:conversation:<dashboard>:<phone>`.
///
/// Files: this one (settings, ids, paging, the call helpers), `TextRequestContacts` (+
/// `TextRequestContactMapping`, `TextRequestContactWrite`), `TextRequestMessaging` (+
/// `TextRequestMessageMapping`), `TextRequestPassthrough`, `TextRequestPhone`.
public struct TextRequestAdapter: SourceAdapter {
    public static let sourceName = "textrequest"
    public var source: String { Self.sourceName }

    let api: TextRequestAPI

    /// Options: `dashboard_id` (default "1"), `dashboard_phone` (the dashboard's own number;
    /// fetched once from `GET /dashboards/{id}` when absent), `email_field_id` (the GUID of a
    /// custom field that holds the contact's e-mail; without it contacts have no `emails`).
    public init(settings: UpstreamSettings) {
        api = TextRequestAPI(settings: settings)
    }

    public var contacts: (any ResourceSource<Contact, ContactWrite>)? { TextRequestContacts(api: api) }
    public var messaging: (any MessagingSource)? { TextRequestMessaging(api: api) }
    public var passthrough: (any PassthroughSource)? { TextRequestPassthrough(api: api) }
}

/// What every Text Request operation shares: the caller with the auth header, the dashboard,
/// ids, page tokens and the 204-means-none rule.
struct TextRequestAPI: Sendable {
    static let source = TextRequestAdapter.sourceName
    static let prefix = "/api/v3"
    /// The documented default page size. The vendor's maximum is not published (the emulator
    /// clamps at 1000); a larger size silently clamped upstream would break page arithmetic.
    static let maxPageSize = 100

    let caller: UpstreamCaller
    /// Nil when `dashboard_id` is not a positive integer (every call then fails).
    let dashboard: String?
    let emailFieldID: String?
    let dashboardPhone: TextRequestDashboardPhone

    init(settings: UpstreamSettings) {
        caller = UpstreamCaller(source: Self.source, settings: settings)
        let d = settings.options["dashboard_id"] ?? "1"
        dashboard = Int(d).flatMap { $0 > 0 && String($0) == d ? d : nil }
        emailFieldID = settings.options["email_field_id"].flatMap { TextRequestGUID.isGUID($0) ? $0.lowercased() : nil }
        dashboardPhone = TextRequestDashboardPhone(configured: settings.options["dashboard_phone"].flatMap(TextRequestPhone.digits11))
    }

    var source: String { Self.source }

    func requireDashboard() throws(GatewayError) -> String {
        guard let dashboard else {
            throw .notConfigured("textrequest: the dashboard_id option must be a positive integer")
        }
        return dashboard
    }

    /// `/api/v3/dashboards/{d}` + rest.
    func dashboardPath(_ rest: String = "") throws(GatewayError) -> String {
        Self.prefix + "/dashboards/" + (try requireDashboard()) + rest
    }

    // MARK: calls

    var authHeaders: HTTPHeaders {
        var h = HTTPHeaders()
        h.add("x-api-key", caller.settings.credential)
        return h
    }

    func call(_ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
              context: AdapterContext) async throws(GatewayError) -> UpstreamResponse {
        try await caller.call(method, path, query: query, headers: authHeaders, body: body?.serialized() ?? [], context: context)
    }

    /// A GET whose 204 (or an empty 200) means "none" (FACTS 2.2): nil then.
    func getOptional(_ path: String, query: [(String, String)] = [], context: AdapterContext) async throws(GatewayError) -> JSON? {
        let r = try await call("GET", path, query: query, context: context)
        try caller.requireSuccess(r)
        if r.status == 204 || r.body.allSatisfy(Self.isSpace) { return nil }
        return try caller.parse(r.body)
    }

    /// A call that must answer 2xx with a JSON body.
    func json(_ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
              context: AdapterContext) async throws(GatewayError) -> JSON {
        let r = try await call(method, path, query: query, body: body, context: context)
        try caller.requireSuccess(r)
        return try caller.parse(r.body)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    // MARK: ids

    func id(_ kind: String, phone: String) throws(GatewayError) -> UnifiedID {
        UnifiedID(source: source, kind: kind, remote: try requireDashboard() + ":" + phone)
    }

    func contactID(phone: String) -> String? { (try? id("contact", phone: phone))?.description }

    /// The 11-digit phone of a `contact`/`conversation` id of the configured dashboard.
    /// Another dashboard's id, or a malformed one, names nothing here: `.notFound`.
    func phone(of id: UnifiedID, kinds: Set<String>) throws(GatewayError) -> String {
        let d = try requireDashboard()
        guard id.source == source, kinds.contains(id.kind) else {
            throw .notFound("no Text Request \(kinds.sorted().joined(separator: " or ")) with the id \(id)")
        }
        let parts = id.remote.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == d, let phone = TextRequestPhone.digits11(String(parts[1])),
              phone == parts[1] else {
            throw .notFound("no Text Request \(id.kind) with the id \(id) in dashboard \(d)")
        }
        return phone
    }

    // MARK: paging

    /// The 0-based page a token names (nil token: page 0).
    func page(_ request: PageRequest) throws(GatewayError) -> Int {
        guard let token = request.token else { return 0 }
        guard let p = Int(token), p >= 0, String(p) == token else { throw .badRequest("the cursor is not valid") }
        return p
    }

    func pageQuery(_ page: Int, _ request: PageRequest) -> [(String, String)] {
        [("page", String(page)), ("page_size", String(min(max(request.size, 1), Self.maxPageSize)))]
    }

    /// `{items, meta: {page, page_size, total_items}}` -> the items and the next page token,
    /// nil exactly when `total_items` says this page reaches the end.
    func pageItems(_ body: JSON, page: Int, request: PageRequest) throws(GatewayError) -> (items: [JSON], next: String?) {
        guard let items = body["items"]?.arrayValue else { throw caller.invalid("a list answer without items") }
        guard let total = body["meta"]?["total_items"]?.intValue else { throw caller.invalid("a list answer without meta.total_items") }
        let size = min(max(request.size, 1), Self.maxPageSize)
        let seen = (page + 1).multipliedReportingOverflow(by: size)
        let more = !items.isEmpty && !seen.overflow && seen.partialValue < total
        return (Array(items.prefix(size)), more ? String(page + 1) : nil)
    }

    // MARK: the dashboard's own number

    /// The dashboard's 11-digit number (the `from` of outbound and `to` of inbound messages),
    /// from the option or one `GET /dashboards/{d}` per adapter.
    func ownPhone(context: AdapterContext) async throws(GatewayError) -> String? {
        if let known = dashboardPhone.value { return known }
        let body = try await json("GET", try dashboardPath(), context: context)
        guard let raw = body["phone"]?.stringValue ?? body["phone"]?.intValue.map(String.init) else {
            throw caller.invalid("a dashboard without a phone")
        }
        let phone = TextRequestPhone.digits11(raw)
        if let phone { dashboardPhone.remember(phone) }
        return phone
    }
}
