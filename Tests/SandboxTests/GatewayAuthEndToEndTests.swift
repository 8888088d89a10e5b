import Gateway
import GatewayCore
import Logging
import Testing

/// Client API keys and the request log over real sockets (issue 7).
@Suite struct GatewayAuthEndToEndTests {
    static let writeKey = "crmgw_e2e-write-key"
    static let readKey = "crmgw_e2e-read-key"
    static let clients = [
        ClientKey(name: "web", digest: ClientKey.digestHex(writeKey), scope: .write),
        ClientKey(name: "dash", digest: ClientKey.digestHex(readKey), scope: .read, rate: TokenBucket.Rate(count: 3, per: .seconds(3600))),
    ]

    @Test func withKeysConfiguredAnUnauthenticatedCallIs401AndReachesNoUpstream() async throws {
        let fx = try GatewayFixture(clients: Self.clients)
        let before = try await fx.sandboxFixture.stats("pipedrive")["requests_total"]?.intValue ?? -1
        let r = try await fx.call("GET", "/contacts?source=pipedrive&limit=1", headers: [("X-Request-Id", "auth-e2e-1")])
        #expect(r.status == 401)
        #expect(r.headers["Content-Type"] == "application/problem+json")
        #expect(r.headers["WWW-Authenticate"] == "Bearer realm=\"crm-gateway\"")
        #expect(r.headers["X-Request-Id"] == "auth-e2e-1")
        #expect(r.json?["request_id"] == "auth-e2e-1")
        #expect(try await fx.call("GET", "/contacts?limit=1", headers: [("Authorization", "Bearer crmgw_wrong")]).status == 401)
        #expect(try await fx.sandboxFixture.stats("pipedrive")["requests_total"]?.intValue == before)

        let ok = try await fx.call("GET", "/contacts?source=pipedrive&limit=1", headers: [("Authorization", "Bearer " + Self.writeKey)])
        #expect(ok.status == 200)
        #expect(ok.json?["data"]?.arrayValue?.count == 1)
    }

    @Test func aReadOnlyKeyCannotWriteAndTheUpstreamNeverSeesTheWrite() async throws {
        let fx = try GatewayFixture(clients: Self.clients)
        let r = try await fx.call("POST", "/contacts", json: ["source": "pipedrive", "display_name": "Read Only"],
                                  headers: [("Authorization", "Bearer " + Self.readKey)])
        #expect(r.status == 403)
        #expect(r.json?["detail"] == "the API key of dash is read-only; POST needs a key with scope write")
        #expect(try await fx.upstreamCalls("pipedrive", "persons.create") == 0)
        let w = try await fx.call("POST", "/contacts", json: ["source": "pipedrive", "display_name": "Writer"],
                                  headers: [("Authorization", "Bearer " + Self.writeKey)])
        #expect(w.status == 201)
        #expect(try await fx.upstreamCalls("pipedrive", "persons.create") == 1)
    }

    @Test func aKeyOverItsRateIs429WithRetryAfter() async throws {
        let fx = try GatewayFixture(clients: Self.clients)
        for _ in 0..<3 {
            #expect(try await fx.call("GET", "/pipelines", headers: [("Authorization", "Bearer " + Self.readKey)]).status == 200)
        }
        let r = try await fx.call("GET", "/pipelines", headers: [("Authorization", "Bearer " + Self.readKey)])
        #expect(r.status == 429)
        let retry = Int(r.headers["Retry-After"] ?? "") ?? 0
        #expect((1100...1200).contains(retry), "3 per hour: the next slot is 20 min after the first, got \(retry)")
        #expect(try await fx.call("GET", "/pipelines", headers: [("Authorization", "Bearer " + Self.writeKey)]).status == 200)
    }

    @Test func probesTheSpecAndWebhooksNeedNoClientKey() async throws {
        let fx = try GatewayFixture(clients: Self.clients)
        #expect(try await fx.call("GET", "/healthz").status == 200)
        #expect(try await fx.call("GET", "/openapi.yaml").status == 200)
        #expect(try await fx.call("GET", "/metrics").status == 401, "metrics are data: a key is needed")
        #expect(try await fx.call("GET", "/upstreams").status == 401)
        // Hana authenticates with its own token; no API key.
        let target = "http://\(fx.address)/webhooks/hana/{event}?token=sandbox-secret"
        let d = try await fx.sandboxFixture.call("hana", "POST", "/_sandbox/hana/deliver", json: ["event": "lead.created", "count": 1, "target_url": .string(target)])
        #expect(d.status == 202)
        var events: [JSON] = []
        for _ in 0..<100 where events.isEmpty {
            events = try await fx.call("GET", "/events", headers: [("Authorization", "Bearer " + Self.readKey)]).json?["data"]?.arrayValue ?? []
            if events.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(events.count == 1)
    }

    @Test func eachRequestIsOneJSONLogLineWithoutQueryOrCredentials() async throws {
        let log = LogSink()
        let fx = try GatewayFixture(clients: Self.clients, accessLog: AccessLog(sink: log))
        let r = try await fx.call("GET", "/contacts?source=pipedrive&limit=2&q=secret-in-query",
                                  headers: [("Authorization", "Bearer " + Self.writeKey), ("X-Request-Id", "log-1")])
        #expect(r.status == 200)
        _ = try await fx.call("GET", "/contacts?source=pipedrive&limit=2&q=secret-in-query",
                              headers: [("Authorization", "Bearer " + Self.writeKey), ("X-Request-Id", "log-2")])
        _ = try await fx.call("GET", "/nowhere", headers: [("X-Request-Id", "log-3")])
        var lines: [String] = []
        for _ in 0..<100 where lines.count < 3 {
            lines = log.lines
            if lines.count < 3 { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(lines.count == 3)
        let parsed = try lines.map { try JSON.parse(Array($0.utf8)) }
        let first = try #require(parsed.first { $0["request_id"] == "log-1" })
        #expect(first["level"] == "info" && first["msg"] == "request")
        #expect(first["method"] == "GET" && first["route"] == "GET /contacts" && first["status"] == 200)
        #expect(first["client"] == "web")
        #expect(first["cache"] == "crm-gateway; fwd=uri-miss; stored")
        let upstream = try #require(first["upstream"]?.arrayValue)
        #expect(upstream.count >= 1 && upstream.allSatisfy { $0["source"] == "pipedrive" && $0["status"] == 200 })
        #expect(upstream.allSatisfy { ($0["ms"]?.doubleValue ?? -1) >= 0 })
        #expect(first["limiter_wait_ms"] != nil)
        #expect((first["duration_ms"]?.doubleValue ?? -1) >= 0)
        let second = try #require(parsed.first { $0["request_id"] == "log-2" })
        #expect(second["cache"]?.stringValue?.hasPrefix("crm-gateway; hit") == true)
        #expect(second["upstream"] == nil, "a hit made no upstream call")
        let third = try #require(parsed.first { $0["request_id"] == "log-3" })
        #expect(third["status"] == 404 && third["route"] == "unmatched")
        let all = lines.joined()
        for secret in ["secret-in-query", Self.writeKey, "sandbox-key", "Authorization", "?"] {
            #expect(!all.contains(secret), "\(secret) must not be logged")
        }
    }

    @Test func anUpstreamFailureIsAWarningNamingTheUpstreamNotTheCredential() async throws {
        let sink = LogSink()
        let logger = Logger(label: "crm-gateway") { JSONLogHandler(label: $0, level: .info, sink: sink) }
        let fx = try GatewayFixture(logger: logger)
        _ = try await fx.sandboxFixture.setFault("pipedrive", ["mode": "status", "status": 503, "count": -1])
        let r = try await fx.call("GET", "/deals/pipedrive:deal:1", headers: [("X-Request-Id", "warn-1")])
        #expect(r.status == 502)
        let lines = try sink.lines.map { try JSON.parse(Array($0.utf8)) }
        let warnings = lines.filter { $0["level"] == "warning" && $0["request_id"] == "warn-1" }
        #expect(!warnings.isEmpty)
        #expect(warnings.allSatisfy { $0["msg"] == "upstream error" && $0["upstream"] == "pipedrive" && $0["status"] == 503 })
        #expect(!sink.lines.joined().contains("sandbox-key"))
    }

    @Test func aBrowserPreflightNeedsNoKeyAndA401StillCarriesCORSHeaders() async throws {
        let fx = try GatewayFixture(clients: Self.clients, cors: CORSConfig(allowedOrigins: ["https://app.example.com"]))
        let pre = try await fx.call("OPTIONS", "/contacts", headers: [("Origin", "https://app.example.com"),
                                                                      ("Access-Control-Request-Method", "GET"),
                                                                      ("Access-Control-Request-Headers", "authorization")])
        #expect(pre.status == 204)
        #expect(pre.headers["Access-Control-Allow-Origin"] == "https://app.example.com")
        #expect(pre.headers["Access-Control-Allow-Headers"]?.lowercased().contains("authorization") == true)
        let denied = try await fx.call("GET", "/contacts?limit=1", headers: [("Origin", "https://app.example.com")])
        #expect(denied.status == 401)
        #expect(denied.headers["Access-Control-Allow-Origin"] == "https://app.example.com", "so the page can read why")
        let ok = try await fx.call("GET", "/contacts?limit=1", headers: [("Origin", "https://app.example.com"),
                                                                        ("Authorization", "Bearer " + Self.readKey)])
        #expect(ok.status == 200)
        #expect(ok.headers["Access-Control-Expose-Headers"]?.contains("X-Request-Id") == true)
    }

    @Test func anEventStreamNeedsAKeyCarriesCORSHeadersAndIsLogged() async throws {
        let log = LogSink()
        let fx = try GatewayFixture(clients: Self.clients, accessLog: AccessLog(sink: log),
                                    cors: CORSConfig(allowedOrigins: ["https://app.example.com"]))
        let port = Int(fx.address.port)
        let refused = try SSEClient(port: port, "GET", "/events/stream", headers: [("Origin", "https://app.example.com")])
        #expect(try await refused.head() == 401)
        let stream = try SSEClient(port: port, "GET", "/events/stream",
                                   headers: [("Origin", "https://app.example.com"), ("Authorization", "Bearer " + Self.readKey),
                                             ("X-Request-Id", "sse-1")])
        #expect(try await stream.head() == 200)
        #expect(stream.header("Content-Type") == "text/event-stream")
        #expect(stream.header("Access-Control-Allow-Origin") == "https://app.example.com", "an EventSource from the page may read it")
        var lines: [String] = []
        for _ in 0..<100 where !lines.contains(where: { $0.contains("\"sse-1\"") }) {
            lines = log.lines
            try await Task.sleep(for: .milliseconds(10))
        }
        let line = try #require(lines.first { $0.contains("\"sse-1\"") })
        let parsed = try JSON.parse(Array(line.utf8))
        #expect(parsed["route"] == "GET /events/stream" && parsed["status"] == 200 && parsed["client"] == "dash")
        #expect(lines.contains { $0.contains("\"route\":\"GET /events/stream\",\"status\":401") })
    }
}
