import GatewayCore

/// `/passthrough/textrequest/{path}`: the raw v3 API with the gateway's key. Only paths under
/// `/api/v3/` on the configured host are reachable; anything that could climb out of that
/// prefix or name another host once decoded (`..`, `//`, `%2e`, `%2f`, `\`, a scheme, `@`) is
/// refused before any call. The client's own credentials are dropped, never forwarded.
struct TextRequestPassthrough: PassthroughSource {
    let api: TextRequestAPI

    var source: String { api.source }

    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    /// Client headers never forwarded: credentials, and what the transport sets itself.
    static let dropped: Set<String> = ["x-api-key", "authorization", "proxy-authorization", "cookie", "host",
                                       "content-length", "connection", "transfer-encoding", "keep-alive",
                                       "upgrade", "te", "trailer", "x-request-id"]

    func passthrough(method: String, path: String, query: String?, headers: HTTPHeaders, body: [UInt8],
                     context: AdapterContext) async throws(GatewayError) -> UpstreamResponse {
        let m = method.uppercased()
        guard Self.methods.contains(m) else {
            throw .badRequest("passthrough to Text Request takes GET, POST, PUT, PATCH or DELETE")
        }
        let p = path.hasPrefix("/") ? path : "/" + path
        guard let reason = Self.refusal(p) else {
            if let query, !query.isEmpty {
                guard !query.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "#" }) else {
                    throw .badRequest("the passthrough query has a character that must be percent-encoded")
                }
            }
            var h = HTTPHeaders()
            for (name, value) in headers where !Self.dropped.contains(name.lowercased()) { h.add(name, value) }
            h.add("x-api-key", api.caller.settings.credential)
            let target = p + (query.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
            return try await api.caller.call(m, target, headers: h, body: body, cacheReads: false, context: context)
        }
        throw .badRequest("passthrough path refused: \(reason)")
    }

    /// Why a path may not be forwarded, or nil when it may.
    static func refusal(_ path: String) -> String? {
        let lower = path.lowercased()
        guard lower.hasPrefix(TextRequestAPI.prefix + "/") else { return "only paths under /api/v3/ reach Text Request" }
        for bad in ["..", "//", "%2e", "%2f", "%5c", "\\", "@", "://"] where lower.contains(bad) {
            return "it contains \"\(bad)\""
        }
        if lower.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "?" || $0 == "#" }) {
            return "it contains a character that must be percent-encoded"
        }
        return nil
    }
}
