import GatewayCore

/// `/passthrough/hotprofile/{path}`: the raw API under `/rest_api/v1/` with the gateway's
/// `api_key`. The key goes where HotProfile reads it and logs keep it out: into a JSON body,
/// or a form body; only a request with another kind of body, or a body-less method, gets it
/// in the query. Any `api_key` the client sent is dropped first.
struct HotProfilePassthrough: PassthroughSource {
    let api: HotProfileAPI
    var source: String { HotProfileAPI.source }

    static let prefix = "/rest_api/v1/"

    /// The path with a leading slash, or `.badRequest` when it could leave `/rest_api/v1/`
    /// or the host (dot segments, encoded dots or slashes, empty segments, a scheme, userinfo).
    static func checkedPath(_ raw: String) throws(GatewayError) -> String {
        let path = raw.hasPrefix("/") ? raw : "/" + raw
        let lower = path.lowercased()
        let refused = ["..", "//", "%2e", "%2f", "%5c", "\\", "@", ":", "?", "#"]
        guard !refused.contains(where: { lower.contains($0) }),
              !path.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw .badRequest("the passthrough path is not allowed", [FieldError("path", "must be a plain path under \(prefix)")])
        }
        guard path.hasPrefix(prefix), path.count > prefix.count else {
            throw .badRequest("only HotProfile's \(prefix) API is reachable", [FieldError("path", "must be under \(prefix)")])
        }
        return path
    }

    static func isKey(_ name: String) -> Bool {
        let n = name.lowercased()
        return n == "api_key" || n.hasPrefix("api_key[")
    }

    func passthrough(method: String, path: String, query: String?, headers: HTTPHeaders, body: [UInt8],
                     context: AdapterContext) async throws(GatewayError) -> UpstreamResponse {
        let path = try Self.checkedPath(path)
        let key = api.caller.settings.credential
        var pairs: [(String, String)] = []
        if let query, !query.isEmpty {
            guard let parsed = FormEncoding.pairs(query) else {
                throw .badRequest("the query string is malformed", [FieldError("query", "has a malformed escape")])
            }
            pairs = parsed.filter { !Self.isKey($0.0) }
        }
        var h = HTTPHeaders()
        for name in ["Content-Type", "Accept", "Accept-Language"] {
            if let v = headers[name] { h.add(name, v) }
        }
        let contentType = (headers["Content-Type"] ?? "").lowercased()
        let looksJSON = contentType.contains("json")
            || (contentType.isEmpty && body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{"))
        var out = body
        if body.isEmpty {
            if ["GET", "HEAD", "DELETE", "OPTIONS"].contains(method.uppercased()) {
                pairs.append(("api_key", key))
            } else {
                out = JSON.object(["api_key": .string(key)]).serialized()
                h.replaceOrAdd("Content-Type", "application/json")
            }
        } else if looksJSON {
            guard case .object(let o)? = try? JSON.parse(body) else {
                throw .badRequest("the body must be a JSON object", [FieldError("body", "must be a JSON object")])
            }
            var members: JSONObject = ["api_key": .string(key)]
            for (k, v) in o where !Self.isKey(k) { members[k] = v }
            out = JSON.object(members).serialized()
            if h["Content-Type"] == nil { h.add("Content-Type", "application/json") }
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
            guard let form = FormEncoding.pairs(String(decoding: body, as: UTF8.self)) else {
                throw .badRequest("the form body is malformed", [FieldError("body", "has a malformed escape")])
            }
            let kept = form.filter { !Self.isKey($0.0) } + [("api_key", key)]
            out = Array(kept.map { FormEncoding.encode($0.0) + "=" + FormEncoding.encode($0.1) }.joined(separator: "&").utf8)
        } else {
            pairs.append(("api_key", key))
        }
        return try await api.caller.call(method.uppercased(), path, query: pairs, headers: h, body: out, cacheReads: false, context: context)
    }
}
