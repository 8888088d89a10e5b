import Testing
@testable import Gateway
import GatewayCore

private let app = "https://app.example.com"
private let allowedOnly = CORSConfig(allowedOrigins: [app, "http://127.0.0.1:5173"])

private func request(_ method: HTTPMethod, _ target: String, _ headers: [(String, String)]) -> HTTPRequest {
    HTTPRequest(head: HTTPRequestHead(method: method, target: target, headers: HTTPHeaders(headers)))
}

private func preflight(origin: String, method: String = "POST", headers: String? = nil) -> HTTPRequest {
    var h = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if let headers { h.append(("Access-Control-Request-Headers", headers)) }
    return request(.OPTIONS, "/contacts", h)
}

private func accessControlNames(_ h: HTTPHeaders) -> [String] {
    h.map(\.name).filter { $0.lowercased().hasPrefix("access-control-") }
}

@Suite("CORS: configured origins")
struct CORSOriginTests {
    @Test(arguments: [
        ("https://App.Example.COM", "https://app.example.com"),
        ("HTTP://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:80", "http://localhost"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("https://app.example.com:8443", "https://app.example.com:8443"),
        ("http://[::1]:3000", "http://[::1]:3000"),
        ("*", "*"),
    ])
    func canonicalForms(_ given: String, _ canonical: String) throws {
        #expect(try CORSConfig.parseOrigin(given) == canonical)
    }

    @Test(arguments: [
        ("app.example.com", "expected scheme://host[:port]"),
        ("ftp://app.example.com", "the scheme must be http or https"),
        ("https://app.example.com/", "no path"),
        ("https://app.example.com/app", "no path"),
        ("https://app.example.com?x=1", "no path"),
        ("https://user@app.example.com", "no user information"),
        ("https://", "the host is missing"),
        ("https://:8080", "the host is missing"),
        ("https://app_example.com", "invalid host"),
        ("https://app.example.com:0", "the port must be 1-65535"),
        ("https://app.example.com:65536", "the port must be 1-65535"),
        ("https://app.example.com:", "the port must be 1-65535"),
        ("https://app.example.com:8o", "the port must be 1-65535"),
        ("http://[::1", "unterminated IPv6 address"),
    ])
    func malformedOriginsAreRefusedNamingTheValue(_ given: String, _ reason: String) {
        #expect {
            try CORSConfig.parseOrigin(given)
        } throws: { error in
            let message = String(describing: error)
            return message.hasPrefix("CORS origin '\(given)': ") && message.contains(reason)
        }
    }

    @Test func wildcardWithCredentialsIsAConfigurationError() {
        #expect(throws: CORSConfig.ConfigError(message: "CORS origin '*' cannot be combined with credentials: list the origins instead")) {
            try CORSConfig(allowedOrigins: ["*"], allowCredentials: true).validate()
        }
        #expect(throws: Never.self) { try CORSConfig(allowedOrigins: ["*"]).validate() }
        #expect(throws: Never.self) { try CORSConfig(allowedOrigins: [app], allowCredentials: true).validate() }
    }

    @Test func enabledOnlyWithOrigins() {
        #expect(CORSConfig().isEnabled == false)
        #expect(allowedOnly.isEnabled)
    }

    @Test func allowOriginEchoesTheRequestOriginComparedCanonically() {
        #expect(allowedOnly.allowOriginValue(for: "https://app.example.com") == "https://app.example.com")
        // Browsers serialize lowercase without default ports; a differently written equal origin still matches.
        #expect(allowedOnly.allowOriginValue(for: "https://APP.example.com:443") == "https://APP.example.com:443")
        #expect(allowedOnly.allowOriginValue(for: "http://127.0.0.1:5173") == "http://127.0.0.1:5173")
        // Scheme, host and port are all part of the origin.
        #expect(allowedOnly.allowOriginValue(for: "http://app.example.com") == nil)
        #expect(allowedOnly.allowOriginValue(for: "http://localhost:5173") == nil)
        #expect(allowedOnly.allowOriginValue(for: "http://127.0.0.1:5174") == nil)
        #expect(allowedOnly.allowOriginValue(for: "https://app.example.com.evil.test") == nil)
        #expect(allowedOnly.allowOriginValue(for: "null") == nil)
        #expect(CORSConfig().allowOriginValue(for: app) == nil)
    }

    @Test func wildcardAnswersStarOnlyWithoutCredentials() {
        #expect(CORSConfig(allowedOrigins: ["*"]).allowOriginValue(for: "https://anything.test") == "*")
        #expect(CORSConfig(allowedOrigins: ["*"]).allowOriginValue(for: "null") == "*")
        // A wildcard with credentials (refused by validate()) matches nothing rather than reflecting every origin.
        let unsafe = CORSConfig(allowedOrigins: ["*", app], allowCredentials: true)
        #expect(unsafe.allowOriginValue(for: "https://anything.test") == nil)
        #expect(unsafe.allowOriginValue(for: app) == app)
    }
}

@Suite("CORS: preflight")
struct CORSPreflightTests {
    @Test func onlyOptionsWithOriginAndRequestMethodIsAPreflight() {
        #expect(CORSConfig.isPreflight(preflight(origin: app)))
        #expect(!CORSConfig.isPreflight(request(.OPTIONS, "/contacts", [])))
        #expect(!CORSConfig.isPreflight(request(.OPTIONS, "/contacts", [("Origin", app)])))
        #expect(!CORSConfig.isPreflight(request(.OPTIONS, "/contacts", [("Access-Control-Request-Method", "GET")])))
        #expect(!CORSConfig.isPreflight(request(.GET, "/contacts", [("Origin", app), ("Access-Control-Request-Method", "GET")])))
        #expect(allowedOnly.preflightResponse(to: request(.OPTIONS, "/contacts", [("Origin", app)]), requestID: "r") == nil)
    }

    @Test func allowedPreflightIs204WithEveryHeader() throws {
        let r = try #require(allowedOnly.preflightResponse(
            to: preflight(origin: app, method: "POST", headers: "content-type,idempotency-key, authorization"), requestID: "req-1"))
        #expect(r.status == 204)
        #expect(r.body.isEmpty)
        #expect(r.headers == HTTPHeaders([
            ("Access-Control-Allow-Origin", "https://app.example.com"),
            ("Access-Control-Allow-Methods", "GET, HEAD, POST, PATCH, PUT, DELETE"),
            ("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, If-None-Match, Prefer, Cache-Control, X-Request-Id"),
            ("Access-Control-Max-Age", "600"),
            ("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
            ("X-Request-Id", "req-1"),
        ]))
    }

    @Test func credentialsHeaderOnlyWhenEnabled() throws {
        var config = allowedOnly
        config.allowCredentials = true
        config.maxAge = 86400
        let r = try #require(config.preflightResponse(to: preflight(origin: app, method: "GET"), requestID: "r"))
        #expect(r.status == 204)
        #expect(r.headers["Access-Control-Allow-Credentials"] == "true")
        #expect(r.headers["Access-Control-Allow-Origin"] == app)
        #expect(r.headers["Access-Control-Max-Age"] == "86400")
        let without = try #require(allowedOnly.preflightResponse(to: preflight(origin: app, method: "GET"), requestID: "r"))
        #expect(without.headers["Access-Control-Allow-Credentials"] == nil)
    }

    @Test func wildcardPreflightAnswersStar() throws {
        let r = try #require(CORSConfig(allowedOrigins: ["*"]).preflightResponse(to: preflight(origin: "https://x.test", method: "DELETE"), requestID: "r"))
        #expect(r.status == 204)
        #expect(r.headers["Access-Control-Allow-Origin"] == "*")
    }

    @Test func emptyRequestHeaderEntriesAreIgnored() {
        #expect(allowedOnly.preflight(origin: app, method: "GET", requestHeaders: " , prefer ,") != .denied(""))
        guard case .allowed = allowedOnly.preflight(origin: app, method: "GET", requestHeaders: " , prefer ,") else {
            Issue.record("refused"); return
        }
    }

    @Test(arguments: [
        ("https://evil.example", "PATCH", nil as String?, "CORS preflight refused: origin https://evil.example is not allowed"),
        ("null", "GET", nil, "CORS preflight refused: origin null is not allowed"),
        (app, "TRACE", nil, "CORS preflight refused: method TRACE is not allowed (allowed: GET, HEAD, POST, PATCH, PUT, DELETE)"),
        // Methods are compared exactly (fetch() upper-cases only the six standard names, not "patch").
        (app, "patch", nil, "CORS preflight refused: method patch is not allowed (allowed: GET, HEAD, POST, PATCH, PUT, DELETE)"),
        (app, "POST", "content-type, x-secret", "CORS preflight refused: request header x-secret not allowed (allowed: Authorization, Content-Type, Idempotency-Key, If-None-Match, Prefer, Cache-Control, X-Request-Id)"),
        (app, "POST", "x-a,cookie", "CORS preflight refused: request headers x-a, cookie not allowed (allowed: Authorization, Content-Type, Idempotency-Key, If-None-Match, Prefer, Cache-Control, X-Request-Id)"),
    ])
    func refusedPreflightIs403ProblemWithoutAccessControlHeaders(_ origin: String, _ method: String, _ headers: String?, _ detail: String) throws {
        let r = try #require(allowedOnly.preflightResponse(to: preflight(origin: origin, method: method, headers: headers), requestID: "req-9"))
        #expect(r.status == 403)
        #expect(r.headers["Content-Type"] == "application/problem+json")
        #expect(accessControlNames(r.headers) == [])
        #expect(r.headers["Vary"] == "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        let body = try JSON.parse(r.body)
        #expect(body["status"]?.intValue == 403)
        #expect(body["title"]?.stringValue == "Forbidden")
        #expect(body["detail"]?.stringValue == detail)
        #expect(body["request_id"]?.stringValue == "req-9")
    }

    @Test func preflightWithCORSOffIsRefused() throws {
        let r = try #require(CORSConfig().preflightResponse(to: preflight(origin: app), requestID: "r"))
        #expect(r.status == 403)
        #expect(accessControlNames(r.headers) == [])
        #expect(try JSON.parse(r.body)["detail"]?.stringValue == "CORS preflight refused: CORS is not enabled on this gateway (no allowed origins configured)")
    }
}

@Suite("CORS: actual responses")
struct CORSResponseTests {
    private func response(vary: String? = nil) -> HTTPResponse {
        var r = HTTPResponse(status: 200, contentType: "application/json", body: Array("{}".utf8))
        if let vary { r.headers.add("Vary", vary) }
        return r
    }

    @Test func allowedOriginGetsAllowOriginExposeHeadersAndVary() {
        let r = allowedOnly.applied(to: response(), origin: app)
        #expect(r.headers == HTTPHeaders([
            ("Content-Type", "application/json"),
            ("Vary", "Origin"),
            ("Access-Control-Allow-Origin", "https://app.example.com"),
            ("Access-Control-Expose-Headers", "X-Request-Id, Cache-Status, Retry-After, Age, ETag, Location, Preference-Applied"),
        ]))
    }

    @Test func credentialsAddedOnlyWhenEnabled() {
        var config = allowedOnly
        config.allowCredentials = true
        #expect(config.applied(to: response(), origin: app).headers["Access-Control-Allow-Credentials"] == "true")
        #expect(allowedOnly.applied(to: response(), origin: app).headers["Access-Control-Allow-Credentials"] == nil)
    }

    @Test func otherOriginOrNoOriginGetsOnlyVary() {
        for origin in ["https://evil.example", nil] as [String?] {
            let r = allowedOnly.applied(to: response(), origin: origin)
            #expect(accessControlNames(r.headers) == [])
            #expect(r.headers["Vary"] == "Origin")
        }
    }

    @Test func corsOffChangesNothing() {
        let r = CORSConfig().applied(to: response(), origin: app)
        #expect(r.headers == response().headers)
    }

    @Test func varyIsAppendedNotDuplicated() {
        #expect(allowedOnly.applied(to: response(vary: "Accept-Encoding"), origin: app).headers.values("Vary") == ["Accept-Encoding, Origin"])
        #expect(allowedOnly.applied(to: response(vary: "accept, origin"), origin: app).headers.values("Vary") == ["accept, origin"])
        #expect(allowedOnly.applied(to: response(vary: "*"), origin: nil).headers.values("Vary") == ["*"])
    }

    @Test func wildcardAnswersStar() {
        let r = CORSConfig(allowedOrigins: ["*"]).applied(to: response(), origin: "https://x.test")
        #expect(r.headers["Access-Control-Allow-Origin"] == "*")
        #expect(r.headers["Access-Control-Expose-Headers"]?.hasPrefix("X-Request-Id, Cache-Status, Retry-After") == true)
    }
}
