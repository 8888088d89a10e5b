import GatewayCore

/// One configured upstream: where it is and how the gateway authenticates to it.
public struct UpstreamSettings: Sendable {
    /// Scheme, host, port and base path, no trailing slash (`https://acme.pipedrive.com`).
    public var baseURL: String
    /// The API key or token. Never logged, never in an error or metric.
    public var credential: String
    public var timeouts: UpstreamTimeouts
    /// Source-specific settings (Text Request: `dashboard_id`).
    public var options: [String: String]

    public init(baseURL: String, credential: String,
                timeouts: UpstreamTimeouts = UpstreamTimeouts(connect: .seconds(5), total: .seconds(30)),
                options: [String: String] = [:]) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.credential = credential
        self.timeouts = timeouts
        self.options = options
    }
}

/// The adapters' common way to make an upstream call: URL from the base and a path, query
/// pairs percent-encoded, JSON bodies, transport errors tagged with the source. Status
/// handling stays with each adapter (a 204 means "none" to Text Request, for instance).
public struct UpstreamCaller: Sendable {
    public let source: String
    public let settings: UpstreamSettings

    public init(source: String, settings: UpstreamSettings) {
        self.source = source
        self.settings = settings
    }

    /// `cacheReads: false` (passthrough): reads skip the cache; writes still drop what they change.
    public func call(_ method: String, _ path: String, query: [(String, String)] = [],
                     headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], cacheReads: Bool = true,
                     context: AdapterContext) async throws(GatewayError) -> UpstreamResponse {
        var url = settings.baseURL + path
        if !query.isEmpty {
            url += "?" + query.map { FormEncoding.encode($0.0) + "=" + FormEncoding.encode($0.1) }.joined(separator: "&")
        }
        var h = headers
        if h["Accept"] == nil { h.add("Accept", "application/json") }
        if !body.isEmpty, h["Content-Type"] == nil { h.add("Content-Type", "application/json") }
        h.add("X-Request-Id", context.requestID)
        var request = UpstreamRequest(method: method, url: url, headers: h, body: body, timeouts: settings.timeouts)
        request.hints = UpstreamHintRules.hints(source: source, method: method, path: path)
        if !cacheReads { request.hints.cacheClass = nil }
        do {
            return try await context.transport.send(request)
        } catch {
            throw .transport(source: source, error)
        }
    }

    /// A JSON call that must succeed (2xx with a JSON body); anything else is a `GatewayError`.
    public func json(_ method: String, _ path: String, query: [(String, String)] = [],
                     headers: HTTPHeaders = HTTPHeaders(), body: JSON? = nil,
                     context: AdapterContext) async throws(GatewayError) -> JSON {
        let r = try await call(method, path, query: query, headers: headers, body: body?.serialized() ?? [], context: context)
        try requireSuccess(r)
        return try parse(r.body)
    }

    public func requireSuccess(_ r: UpstreamResponse) throws(GatewayError) {
        guard (200..<300).contains(r.status) else {
            throw .upstream(source: source, status: r.status, body: r.body, retryAfter: r.header("Retry-After"))
        }
    }

    public func parse(_ body: [UInt8]) throws(GatewayError) -> JSON {
        do { return try JSON.parse(body) } catch {
            throw .invalidResponse(source: source, "the upstream's body is not JSON (\(error))")
        }
    }

    public func invalid(_ what: String) -> GatewayError { .invalidResponse(source: source, what) }
}
