import Testing
import Gateway
import GatewayCore
@testable import Sandbox

/// CORS over real sockets: the gateway of `serve --sandbox --cors-origin http://127.0.0.1:5173`,
/// asked as a browser would ask it (scripts/browser-check.sh does the same with Chromium).
@Suite("CORS end to end")
struct CORSEndToEndTests {
    static let allowed = "http://127.0.0.1:5173"
    static let cors = CORSConfig(allowedOrigins: [allowed])

    func accessControl(_ h: HTTPHeaders) -> [String] {
        h.map { $0.name.lowercased() }.filter { $0.hasPrefix("access-control-") }.sorted()
    }

    @Test func allowedPreflightIsAnsweredBeforeAnyRouteOrUpstream() async throws {
        let fx = try GatewayFixture(cors: Self.cors)
        let r = try await fx.call("OPTIONS", "/contacts", headers: [
            ("Origin", Self.allowed), ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type,idempotency-key"),
        ])
        #expect(r.status == 204)
        #expect(r.text == "")
        #expect(r.headers["Access-Control-Allow-Origin"] == Self.allowed)
        #expect(r.headers["Access-Control-Allow-Methods"] == "GET, HEAD, POST, PATCH, PUT, DELETE")
        #expect(r.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type, Idempotency-Key, If-None-Match, Prefer, Cache-Control, X-Request-Id")
        #expect(r.headers["Access-Control-Max-Age"] == "600")
        #expect(r.headers["Vary"] == "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
        #expect(r.headers["Access-Control-Allow-Credentials"] == nil)
        #expect(r.headers["X-Request-Id"]?.isEmpty == false)
        // Answered before routing: a path no route has gets the same answer, and no upstream was asked.
        let unrouted = try await fx.call("OPTIONS", "/no/such/path", headers: [("Origin", Self.allowed), ("Access-Control-Request-Method", "GET")])
        #expect(unrouted.status == 204)
        #expect(try await fx.sandboxFixture.stats("pipedrive")["requests_total"]?.intValue == 0)
        let metrics = try await fx.call("GET", "/metrics")
        #expect(metrics.text.contains("crmgw_requests_total{route=\"preflight\",code=\"204\"} 2"))
    }

    @Test(arguments: [
        ("http://localhost:5173", "POST", "content-type", "origin http://localhost:5173 is not allowed"),
        ("http://127.0.0.1:5174", "GET", "", "origin http://127.0.0.1:5174 is not allowed"),
        (allowed, "TRACE", "", "method TRACE is not allowed (allowed: GET, HEAD, POST, PATCH, PUT, DELETE)"),
        (allowed, "GET", "x-api-key", "request header x-api-key not allowed (allowed: Authorization, Content-Type, Idempotency-Key, If-None-Match, Prefer, Cache-Control, X-Request-Id)"),
    ])
    func refusedPreflightIsA403ProblemWithNoAccessControlHeader(_ origin: String, _ method: String, _ requested: String, _ why: String) async throws {
        let fx = try GatewayFixture(cors: Self.cors)
        var headers = [("Origin", origin), ("Access-Control-Request-Method", method)]
        if !requested.isEmpty { headers.append(("Access-Control-Request-Headers", requested)) }
        let r = try await fx.call("OPTIONS", "/contacts", headers: headers)
        #expect(r.status == 403)
        #expect(r.headers["Content-Type"] == "application/problem+json")
        #expect(accessControl(r.headers) == [])
        #expect(r.json?["detail"]?.stringValue == "CORS preflight refused: " + why)
        #expect(r.json?["request_id"]?.stringValue == r.headers["X-Request-Id"])
    }

    @Test func getFromTheAllowedOriginCarriesAllowOriginAndExposedHeaders() async throws {
        let fx = try GatewayFixture(cors: Self.cors)
        let r = try await fx.call("GET", "/contacts?source=pipedrive&limit=1", headers: [("Origin", Self.allowed)])
        #expect(r.status == 200)
        #expect(r.json?["data"]?.arrayValue?.count == 1)
        #expect(r.headers["Access-Control-Allow-Origin"] == Self.allowed)
        #expect(r.headers["Access-Control-Expose-Headers"] == "X-Request-Id, Cache-Status, Retry-After, Age, ETag, Location, Preference-Applied")
        #expect(r.headers["Vary"] == "Origin")
        #expect(accessControl(r.headers) == ["access-control-allow-origin", "access-control-expose-headers"])
        // Errors too: a browser script can read the problem and its request id.
        let missing = try await fx.call("GET", "/no/such/path", headers: [("Origin", Self.allowed)])
        #expect(missing.status == 404)
        #expect(missing.headers["Access-Control-Allow-Origin"] == Self.allowed)
        let wrongMethod = try await fx.call("PUT", "/contacts", headers: [("Origin", Self.allowed)])
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["Access-Control-Allow-Origin"] == Self.allowed)
        // An OPTIONS that is not a preflight is routed like any request.
        let plainOptions = try await fx.call("OPTIONS", "/contacts", headers: [("Origin", Self.allowed)])
        #expect(plainOptions.status == 405)
        #expect(plainOptions.headers["Allow"] == "GET, POST, HEAD")
    }

    @Test func getFromAnotherOriginCarriesNoAllowOrigin() async throws {
        let fx = try GatewayFixture(cors: Self.cors)
        for origin in ["http://localhost:5173", "https://127.0.0.1:5173", "null"] {
            let r = try await fx.call("GET", "/contacts?source=pipedrive&limit=1", headers: [("Origin", origin)])
            #expect(r.status == 200)
            #expect(accessControl(r.headers) == [], "\(origin)")
            #expect(r.headers["Vary"] == "Origin")
        }
        let noOrigin = try await fx.call("GET", "/healthz")
        #expect(accessControl(noOrigin.headers) == [])
        #expect(noOrigin.headers["Vary"] == "Origin")
    }

    @Test func withoutConfiguredOriginsNothingChanges() async throws {
        let fx = try GatewayFixture()
        let r = try await fx.call("GET", "/healthz", headers: [("Origin", Self.allowed)])
        #expect(r.status == 200)
        #expect(accessControl(r.headers) == [])
        #expect(r.headers["Vary"] == nil)
        let p = try await fx.call("OPTIONS", "/contacts", headers: [("Origin", Self.allowed), ("Access-Control-Request-Method", "GET")])
        #expect(p.status == 403)
        #expect(accessControl(p.headers) == [])
    }
}
