import GatewayCore

/// Every Pipedrive call goes through here: the `x-api-token` header (never the `api_token`
/// query, which would land in URLs and logs) and the `{success, data, additional_data}`
/// envelope. Error envelopes (`{success:false, error, error_info}`) come back non-2xx and
/// become `.upstream` with the body, via `UpstreamCaller.requireSuccess`.
struct PipedriveClient: Sendable {
    static let source = "pipedrive"
    let caller: UpstreamCaller

    init(settings: UpstreamSettings) {
        caller = UpstreamCaller(source: Self.source, settings: settings)
    }

    var authHeaders: HTTPHeaders { ["x-api-token": caller.settings.credential] }

    /// The whole parsed body of a successful call.
    func send(_ method: String, _ path: String, query: [(String, String)] = [], body: JSON? = nil,
              context: AdapterContext) async throws(GatewayError) -> JSON {
        try await caller.json(method, path, query: query, headers: authHeaders, body: body, context: context)
    }

    /// `data` of a call that answers one record.
    func record(_ method: String, _ path: String, body: JSON? = nil, context: AdapterContext) async throws(GatewayError) -> JSON {
        let r = try await send(method, path, body: body, context: context)
        guard let data = r["data"], data.objectValue != nil else {
            throw caller.invalid("\(method) \(path): `data` is not an object")
        }
        return data
    }

    /// One page of a v2 list: `data` (null counts as empty) and `additional_data.next_cursor`
    /// (null or missing on the last page).
    func list(_ path: String, query: [(String, String)], context: AdapterContext) async throws(GatewayError) -> (items: [JSON], next: String?) {
        let r = try await send("GET", path, query: query, context: context)
        return (try items(r["data"], path), Self.nextCursor(r))
    }

    func items(_ data: JSON?, _ what: String) throws(GatewayError) -> [JSON] {
        switch data {
        case nil, .null?: return []
        case .array(let a)?: return a
        default: throw caller.invalid("\(what): `data` is not an array")
        }
    }

    static func nextCursor(_ body: JSON) -> String? {
        guard let c = body["additional_data"]?["next_cursor"]?.stringValue, !c.isEmpty else { return nil }
        return c
    }

    /// `limit` and `cursor` of a v2 list.
    static func paging(_ page: PageRequest) -> [(String, String)] {
        var q = [("limit", String(page.size))]
        if let t = page.token { q.append(("cursor", t)) }
        return q
    }
}
