import GatewayCore

/// `/passthrough/pipedrive/{path}`: the raw API with the gateway's token. Only paths under
/// `/api/v1/` or `/api/v2/` of the configured host are reachable; the client's own
/// credentials (`x-api-token`, `Authorization`, the `api_token` query) never go upstream.
struct PipedrivePassthrough: PassthroughSource {
    let client: PipedriveClient
    var source: String { PipedriveClient.source }

    static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    /// The only client headers passed on; everything else (cookies, auth, hop-by-hop) stays here.
    static let forwardedHeaders = ["Content-Type", "Accept"]

    func passthrough(method: String, path: String, query: String?, headers: HTTPHeaders, body: [UInt8],
                     context: AdapterContext) async throws(GatewayError) -> UpstreamResponse {
        let m = method.uppercased()
        guard Self.methods.contains(m) else {
            throw .methodNotAllowed("the Pipedrive passthrough takes \(Self.methods.joined(separator: ", "))",
                                    allowed: Self.methods.map { HTTPMethod($0) })
        }
        let p = try Self.checkedPath(path)
        let q = try Self.checkedQuery(query)
        var h = HTTPHeaders()
        for name in Self.forwardedHeaders { if let v = headers[name] { h.add(name, v) } }
        for (name, value) in client.authHeaders { h.add(name, value) }
        return try await client.caller.call(m, q.map { p + "?" + $0 } ?? p, headers: h, body: body, cacheReads: false, context: context)
    }

    /// The path with a leading `/`, or `.badRequest` when it could leave `/api/v1/`/`/api/v2/`
    /// or the host: `..`, `//`, encoded dots, slashes, backslashes and `@`, a scheme, an `@`.
    static func checkedPath(_ path: String) throws(GatewayError) -> String {
        let p = path.hasPrefix("/") ? path : "/" + path
        let lower = p.lowercased()
        var problem: String?
        if !(p.hasPrefix("/api/v1/") || p.hasPrefix("/api/v2/")) {
            problem = "must be under /api/v1/ or /api/v2/"
        } else if p.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            problem = "must not contain spaces, control characters, \\, ? or #"
        } else if p.contains("..") || p.contains("//") {
            problem = "must not contain .. or //"
        } else if p.contains("@") {
            problem = "must not contain @"
        } else if lower.contains("://") || lower.contains("http:") || lower.contains("https:") {
            problem = "must not contain a URL scheme"
        } else if ["%2e", "%2f", "%5c", "%40", "%00", "%25"].contains(where: { lower.contains($0) }) {
            problem = "must not contain encoded dots, slashes, backslashes, @ or %"
        }
        if let problem {
            throw .badRequest("the passthrough path \(problem)", [FieldError("path", problem)])
        }
        return p
    }

    /// The query as given, minus any `api_token` pair (the gateway's header authenticates).
    static func checkedQuery(_ query: String?) throws(GatewayError) -> String? {
        guard let query, !query.isEmpty else { return nil }
        guard !query.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "#") }) else {
            throw .badRequest("the passthrough query must not contain spaces, control characters or #", [FieldError("query", "is malformed")])
        }
        var kept: [Substring] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let name = FormEncoding.pairs(part)?.first?.0 else {
                throw .badRequest("the passthrough query has a malformed escape", [FieldError("query", "is malformed")])
            }
            if name.lowercased() == "api_token" { continue }
            kept.append(part)
        }
        return kept.isEmpty ? nil : kept.joined(separator: "&")
    }
}
