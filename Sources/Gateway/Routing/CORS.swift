import GatewayCore

/// Cross-origin resource sharing (Fetch standard, "CORS protocol") for the browsers of the
/// internal web apps (PRODUCT.md §1). Off until an origin is configured.
///
/// - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered by
///   the responder before client authentication and routing: 204 with the `Access-Control-*`
///   headers when the origin, the method and every requested header are allowed; otherwise a
///   403 problem with no `Access-Control-*` header at all, so the browser blocks the call.
/// - Every other answer to an allowed `Origin` gets `Access-Control-Allow-Origin` and
///   `Access-Control-Expose-Headers` (so scripts can read `X-Request-Id`, `Cache-Status`,
///   `Retry-After` ...); `Vary: Origin` goes on every answer while CORS is on, for caches.
public struct CORSConfig: Sendable, Equatable {
    /// Serialized origins, `scheme://host[:port]` (scheme and host compared case-insensitively,
    /// a default port equals no port), or `*` for any origin (then credentials must be off).
    public var allowedOrigins: [String]
    /// `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). Off by default.
    public var allowCredentials: Bool
    /// How long a browser may cache a preflight's answer, in seconds.
    public var maxAge: Int
    public var allowedMethods: [String]
    public var allowedHeaders: [String]
    public var exposedHeaders: [String]

    public static let defaultMethods = ["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"]
    public static let defaultAllowedHeaders = ["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match",
                                               "Prefer", "Cache-Control", "X-Request-Id"]
    public static let defaultExposedHeaders = ["X-Request-Id", "Cache-Status", "Retry-After", "Age", "ETag",
                                               "Location", "Preference-Applied"]

    public init(allowedOrigins: [String] = [], allowCredentials: Bool = false, maxAge: Int = 600,
                allowedMethods: [String] = CORSConfig.defaultMethods,
                allowedHeaders: [String] = CORSConfig.defaultAllowedHeaders,
                exposedHeaders: [String] = CORSConfig.defaultExposedHeaders) {
        self.allowedOrigins = allowedOrigins
        self.allowCredentials = allowCredentials
        self.maxAge = maxAge
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.exposedHeaders = exposedHeaders
    }

    public var isEnabled: Bool { !allowedOrigins.isEmpty }

    /// `Vary` of a preflight's answer: it depends on all three request headers.
    static let preflightVary = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]

    // MARK: - Configuration

    /// Why an origin or a configuration cannot be used; the message names the value.
    public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Every configured origin is well-formed, and `*` is not combined with credentials
    /// (the Fetch standard forbids `Access-Control-Allow-Origin: *` with credentials).
    public func validate() throws(ConfigError) {
        for o in allowedOrigins { _ = try Self.parseOrigin(o) }
        if allowCredentials && allowedOrigins.contains("*") {
            throw ConfigError(message: "CORS origin '*' cannot be combined with credentials: list the origins instead")
        }
        guard maxAge >= 0 else { throw ConfigError(message: "CORS max age \(maxAge) must be >= 0 seconds") }
    }

    /// A configured origin in its canonical form (lowercase scheme and host, default port
    /// dropped), or `*`; throws for anything but `http(s)://host[:port]`.
    public static func parseOrigin(_ text: String) throws(ConfigError) -> String {
        if text == "*" { return "*" }
        switch canonicalOrigin(text) {
        case .success(let origin): return origin
        case .failure(let why): throw ConfigError(message: "CORS origin '\(text)': \(why)")
        }
    }

    /// `scheme://host[:port]` lowercased, without a default port; the reason when not an origin.
    static func canonicalOrigin(_ text: String) -> Result<String, ConfigError> {
        func fail(_ m: String) -> Result<String, ConfigError> { .failure(ConfigError(message: m)) }
        guard let sep = text.firstRange(of: "://") else { return fail("expected scheme://host[:port], e.g. https://app.example.com") }
        let scheme = text[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return fail("the scheme must be http or https") }
        let authority = text[sep.upperBound...]
        if authority.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            return fail("an origin has no path, query or fragment (not even a trailing /)")
        }
        if authority.contains("@") { return fail("an origin has no user information") }
        var host: Substring
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return fail("unterminated IPv6 address") }
            host = authority[...close]
            let inner = authority[authority.index(after: authority.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return fail("invalid IPv6 address")
            }
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return fail("unexpected characters after the IPv6 address") }
                port = rest.dropFirst()
            }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty else { return fail("the host is missing") }
            guard host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." }),
                  !host.hasPrefix("."), !host.hasPrefix("-"), !host.contains("..") else {
                return fail("invalid host '\(host)'")
            }
        }
        var canonical = scheme + "://" + host.lowercased()
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let n = Int(port), (1...65535).contains(n) else {
                return fail("the port must be 1-65535")
            }
            let isDefault = (scheme == "http" && n == 80) || (scheme == "https" && n == 443)
            if !isDefault { canonical += ":" + String(n) }
        }
        return .success(canonical)
    }

    // MARK: - Decisions

    /// The `Access-Control-Allow-Origin` value for a request's `Origin`, or nil when that origin
    /// is not allowed. `*` only for a wildcard configuration without credentials (a wildcard
    /// with credentials matches nothing: `validate()` rejects it); otherwise the origin echoed.
    public func allowOriginValue(for origin: String) -> String? {
        guard isEnabled else { return nil }
        if !allowCredentials && allowedOrigins.contains("*") { return "*" }
        guard case .success(let asked) = Self.canonicalOrigin(origin) else { return nil }
        for allowed in allowedOrigins where allowed != "*" {
            if case .success(let c) = Self.canonicalOrigin(allowed), c == asked { return origin }
        }
        return nil
    }

    /// An `OPTIONS` with `Origin` and `Access-Control-Request-Method`; any other `OPTIONS` is
    /// routed like any request (and gets 405).
    public static func isPreflight(_ request: HTTPRequest) -> Bool {
        request.method == .OPTIONS && request.headers.contains("Origin") && request.headers.contains("Access-Control-Request-Method")
    }

    public enum PreflightOutcome: Sendable, Equatable {
        /// The headers of the 204.
        case allowed(HTTPHeaders)
        /// Why not (the 403's detail).
        case denied(String)
    }

    /// The decision on a preflight: the origin, the method (compared exactly, as the Fetch
    /// standard does) and every requested header name (case-insensitively) must be allowed.
    public func preflight(origin: String, method: String, requestHeaders: String?) -> PreflightOutcome {
        guard isEnabled else { return .denied("CORS is not enabled on this gateway (no allowed origins configured)") }
        guard let allowOrigin = allowOriginValue(for: origin) else {
            return .denied("origin \(origin) is not allowed")
        }
        guard allowedMethods.contains(method) else {
            return .denied("method \(method) is not allowed (allowed: \(allowedMethods.joined(separator: ", ")))")
        }
        let requested = (requestHeaders ?? "").split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        let refused = requested.filter { name in !allowedHeaders.contains { $0.lowercased() == name.lowercased() } }
        guard refused.isEmpty else {
            return .denied("request header\(refused.count == 1 ? "" : "s") \(refused.joined(separator: ", ")) not allowed (allowed: \(allowedHeaders.joined(separator: ", ")))")
        }
        var h = HTTPHeaders()
        h.add("Access-Control-Allow-Origin", allowOrigin)
        h.add("Access-Control-Allow-Methods", allowedMethods.joined(separator: ", "))
        h.add("Access-Control-Allow-Headers", allowedHeaders.joined(separator: ", "))
        h.add("Access-Control-Max-Age", String(maxAge))
        if allowCredentials { h.add("Access-Control-Allow-Credentials", "true") }
        h.add("Vary", Self.preflightVary.joined(separator: ", "))
        return .allowed(h)
    }

    /// The answer to a preflight, or nil when `request` is not one. Never reaches a route.
    public func preflightResponse(to request: HTTPRequest, requestID: String) -> HTTPResponse? {
        guard Self.isPreflight(request) else { return nil }
        let outcome = preflight(origin: request.headers["Origin"] ?? "",
                                method: request.headers["Access-Control-Request-Method"] ?? "",
                                requestHeaders: request.headers.values("Access-Control-Request-Headers").joined(separator: ","))
        switch outcome {
        case .allowed(let headers):
            var r = HTTPResponse(status: 204, headers: headers)
            r.headers.add("X-Request-Id", requestID)
            return r
        case .denied(let why):
            var p = Problem(status: 403, detail: "CORS preflight refused: " + why)
            p.headers.add("Vary", Self.preflightVary.joined(separator: ", "))
            return p.response(requestID: requestID)
        }
    }

    /// Adds the CORS response headers for `origin` (the request's `Origin`, if any) to an
    /// answer that is not a preflight's. Nothing when CORS is off.
    public func apply(to response: inout HTTPResponse, origin: String?) {
        guard isEnabled else { return }
        appendVary(&response.headers, "Origin")
        guard let origin, let allow = allowOriginValue(for: origin) else { return }
        response.headers.replaceOrAdd("Access-Control-Allow-Origin", allow)
        if allowCredentials { response.headers.replaceOrAdd("Access-Control-Allow-Credentials", "true") }
        if !exposedHeaders.isEmpty {
            response.headers.replaceOrAdd("Access-Control-Expose-Headers", exposedHeaders.joined(separator: ", "))
        }
    }

    public func applied(to response: HTTPResponse, origin: String?) -> HTTPResponse {
        var r = response
        apply(to: &r, origin: origin)
        return r
    }
}

/// Adds `token` to the response's `Vary` (one field, comma-separated), unless it is there
/// already or `Vary: *` makes it moot.
func appendVary(_ headers: inout HTTPHeaders, _ token: String) {
    let existing = headers.values("Vary").flatMap { $0.split(separator: ",").map { String($0).trimmingSpaces() } }.filter { !$0.isEmpty }
    if existing.contains(where: { $0 == "*" || $0.lowercased() == token.lowercased() }) { return }
    headers.replaceOrAdd("Vary", (existing + [token]).joined(separator: ", "))
}
