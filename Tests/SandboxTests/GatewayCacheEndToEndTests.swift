import Testing
import Gateway
import GatewayCore
@testable import Sandbox

/// The cache in front of the adapters, over real sockets against the emulators' counters.
@Suite("Cache end to end")
struct GatewayCacheEndToEndTests {
    @Test func aSecondReadIsAHitAndCostsNoUpstreamCall() async throws {
        let fx = try GatewayFixture()
        let first = try await fx.call("GET", "/contacts/pipedrive:person:7")
        #expect(first.headers["Cache-Status"] == "crm-gateway; fwd=uri-miss; stored")
        let second = try await fx.call("GET", "/contacts/pipedrive:person:7")
        #expect(second.status == 200)
        #expect(second.headers["Cache-Status"]?.hasPrefix("crm-gateway; hit; ttl=") == true)
        // Age is wall-clock seconds since the fetch: present and within the 30 s TTL of contacts.
        let age = try #require(second.headers["Age"].flatMap { Int($0) })
        #expect((0...30).contains(age))
        // A hit (the rendered fast path) carries each per-answer header once, its own.
        for name in ["Cache-Status", "Age", "X-Request-Id", "ETag", "Content-Type"] {
            #expect(second.headers.values(name).count == 1, "\(name)")
        }
        #expect(second.headers["X-Request-Id"] != first.headers["X-Request-Id"])
        #expect(second.json == first.json)
        #expect(try await fx.upstreamCalls("pipedrive", "persons.get") == 1)
        // The client's validator gives a 304 without a body.
        let etag = try #require(second.headers["ETag"])
        let again = try await fx.call("GET", "/contacts/pipedrive:person:7", headers: [("If-None-Match", etag)])
        #expect(again.status == 304)
        #expect(again.text.isEmpty)
        // no-cache forces one more upstream call.
        let forced = try await fx.call("GET", "/contacts/pipedrive:person:7", headers: [("Cache-Control", "no-cache")])
        #expect(forced.headers["Cache-Status"] == "crm-gateway; fwd=request; stored")
        #expect(try await fx.upstreamCalls("pipedrive", "persons.get") == 2)
    }

    @Test func concurrentIdenticalColdReadsMakeOneUpstreamCall() async throws {
        let fx = try GatewayFixture()
        _ = try await fx.sandboxFixture.setFault("hotprofile", ["mode": "latency", "latency_ms": 300, "count": -1])
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask { try await fx.call("GET", "/contacts/hotprofile:lead:7001").status }
            }
            var out: [Int] = []
            for try await s in group { out.append(s) }
            return out
        }
        #expect(statuses == Array(repeating: 200, count: 50))
        #expect(try await fx.upstreamCalls("hotprofile", "leads.list") == 1)
    }

    @Test func aWriteIsReadBackAtOnce() async throws {
        let fx = try GatewayFixture()
        let before = try await fx.call("GET", "/contacts/pipedrive:person:9")
        #expect(before.status == 200)
        let list = try await fx.call("GET", "/contacts?source=pipedrive&limit=200")
        #expect(list.status == 200)
        let patched = try await fx.call("PATCH", "/contacts/pipedrive:person:9", json: ["display_name": "Changed Name"])
        #expect(patched.status == 200)
        let after = try await fx.call("GET", "/contacts/pipedrive:person:9")
        #expect(after.json?["display_name"] == "Changed Name")
        #expect(after.headers["Cache-Status"] == "crm-gateway; fwd=uri-miss; stored")
        let listAgain = try await fx.call("GET", "/contacts?source=pipedrive&limit=200")
        let names = listAgain.json?["data"]?.arrayValue?.compactMap { $0["display_name"]?.stringValue } ?? []
        #expect(names.contains("Changed Name"))
    }

    @Test func aFailingUpstreamIsCoveredByAStaleAnswer() async throws {
        let fx = try GatewayFixture()
        let fresh = try await fx.call("GET", "/companies/pipedrive:organization:3")
        #expect(fresh.status == 200)
        // Past the 60 s TTL of companies only a revalidation would go upstream; force one and fail it.
        _ = try await fx.sandboxFixture.setFault("pipedrive", ["mode": "status", "status": 503, "count": -1])
        let covered = try await fx.call("GET", "/companies/pipedrive:organization:3", headers: [("Cache-Control", "no-cache")])
        #expect(covered.status == 200)
        #expect(covered.json == fresh.json)
        #expect(covered.headers["Cache-Status"]?.contains("detail=stale") == true)
        let list = try await fx.call("GET", "/companies?source=pipedrive&limit=10")
        #expect(list.status == 502)
    }

    @Test func aResetUpstreamIsCoveredByAStaleAnswerToo() async throws {
        let fx = try GatewayFixture()
        let fresh = try await fx.call("GET", "/contacts/pipedrive:person:11")
        #expect(fresh.status == 200, "\(fresh.text)")
        _ = try await fx.sandboxFixture.setFault("pipedrive", ["mode": "reset", "count": -1])
        let covered = try await fx.call("GET", "/contacts/pipedrive:person:11", headers: [("Cache-Control", "no-cache")])
        #expect(covered.status == 200)
        #expect(covered.json == fresh.json)
        #expect(covered.headers["Cache-Status"]?.contains("detail=stale") == true)
    }
}

/// The limiter and the breaker in front of the adapters, over real sockets.
@Suite("Limits and breaker end to end")
struct GatewayLimitsEndToEndTests {
    func requestsTotal(_ fx: GatewayFixture, _ emulator: String) async throws -> Int {
        try await fx.sandboxFixture.stats(emulator)["requests_total"]?.intValue ?? -1
    }

    @Test func consecutiveFailuresOpenTheBreakerAndLaterCallsFailFast() async throws {
        let fx = try GatewayFixture()
        _ = try await fx.sandboxFixture.setFault("pipedrive", ["mode": "status", "status": 503, "count": -1])
        for id in 1...5 {
            #expect(try await fx.call("GET", "/deals/pipedrive:deal:\(id)").status == 502)
        }
        let before = try await requestsTotal(fx, "pipedrive")
        let refused = try await fx.call("GET", "/deals/pipedrive:deal:6")
        #expect(refused.status == 503)
        #expect(refused.headers["Retry-After"].flatMap { Int($0) }.map { (1...30).contains($0) } == true)
        #expect(try await requestsTotal(fx, "pipedrive") == before)
        let upstreams = try await fx.call("GET", "/upstreams")
        let pd = upstreams.json?["data"]?.arrayValue?.first { $0["source"] == "pipedrive" }
        #expect(pd?["breaker"] == "open")
        #expect(upstreams.json?["data"]?.arrayValue?.first { $0["source"] == "hotprofile" }?["breaker"] == "closed")
        // Other upstreams are not affected.
        #expect(try await fx.call("GET", "/contacts/hotprofile:lead:7001").status == 200)
    }

    @Test func concurrentWritesNeverExceedTheConfiguredRate() async throws {
        // Pipedrive limited to 3 calls per 60 s: of 8 concurrent creates willing to wait 1 s,
        // exactly 3 reach the emulator; the rest get 429 with Retry-After.
        var config = RateLimitConfig.defaults(for: "pipedrive")
        config.general = TokenBucket.Rate(count: 3, per: .seconds(60))
        let fx = try GatewayFixture(limits: ["pipedrive": config])
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try await fx.call("POST", "/contacts", json: ["source": "pipedrive", "display_name": .string("Writer \(i)")],
                                      headers: [("Prefer", "wait=1")]).status
                }
            }
            var out: [Int] = []
            for try await s in group { out.append(s) }
            return out
        }
        #expect(statuses.filter { $0 == 201 }.count == 3)
        #expect(statuses.filter { $0 == 429 }.count == 5)
        #expect(try await fx.upstreamCalls("pipedrive", "persons.create") == 3)
    }

    @Test func anUpstream429OnAWriteIsPassedOnOnceAndNeverRetried() async throws {
        let fx = try GatewayFixture()
        _ = try await fx.sandboxFixture.setFault("pipedrive", ["mode": "rate_limit", "count": 1])
        let before = try await requestsTotal(fx, "pipedrive")
        let r = try await fx.call("POST", "/contacts", json: ["source": "pipedrive", "display_name": "Once"])
        #expect(r.status == 429)
        #expect(r.headers["Retry-After"] != nil)
        #expect(try await requestsTotal(fx, "pipedrive") == before + 1)
    }

    @Test func aReadThatMayNotWaitGetsA429InsteadOfQueueing() async throws {
        let fx = try GatewayFixture()
        _ = try await fx.sandboxFixture.setFault("pipedrive", ["mode": "rate_limit", "count": -1])
        let r = try await fx.call("GET", "/contacts/pipedrive:person:3", headers: [("Prefer", "wait=0")])
        #expect(r.status == 429)
        #expect(r.headers["Preference-Applied"] == "wait=0")
        let upstreams = try await fx.call("GET", "/upstreams")
        let limit = upstreams.json?["data"]?.arrayValue?.first { $0["source"] == "pipedrive" }?["rate_limit"]
        // The budget refills continuously (100 per 60 s), so only its shape is stable here;
        // the arithmetic is pinned by the limiter's fake-clock tests.
        #expect(limit?["limit"] == 100)
        #expect(limit?["per_seconds"] == 60)
        #expect(limit?["budget_left"]?.intValue.map { (0...100).contains($0) } == true)
        #expect(limit?["buckets"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["general", "burst", "search"])
    }
}
