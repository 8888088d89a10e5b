import Testing
@testable import Gateway
import GatewayCore

/// The hot paths made cheaper keep their answers: series kept by slot count and render as
/// before, a rendered answer never outlives a source whose slot was reused, the router's
/// method-first pass and shape check choose what one pass over every route chose, and the
/// access log writes the same line the JSON writer made.
@Suite("Fast paths keep their answers")
struct FastPathTests {
    // MARK: metrics

    @Test func requestSeriesKeptBySlotRenderInFirstSampleOrder() {
        let m = GatewayMetrics.registry()
        m.countRequest(route: "GET /a", status: 200, seconds: 0.002)
        m.countRequest(route: "GET /b", status: 404, seconds: 0.02)
        m.countRequest(route: "GET /a", status: 500, seconds: 2)
        m.countRequest(route: "GET /a", status: 200, seconds: 0.0005)
        #expect(m.value(GatewayMetrics.requests, [("route", "GET /a"), ("code", "200")]) == 2)
        #expect(m.value(GatewayMetrics.requests, [("route", "GET /a"), ("code", "500")]) == 1)
        #expect(m.value(GatewayMetrics.requests, [("route", "GET /b"), ("code", "404")]) == 1)
        #expect(m.count(GatewayMetrics.requestDuration, [("route", "GET /a")]) == 3)
        let lines = m.exposition().split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("crmgw_requests_total{") } == [
            #"crmgw_requests_total{route="GET /a",code="200"} 2"#,
            #"crmgw_requests_total{route="GET /b",code="404"} 1"#,
            #"crmgw_requests_total{route="GET /a",code="500"} 1"#,
        ])
        #expect(lines.contains(#"crmgw_request_duration_seconds_bucket{route="GET /a",le="0.001"} 1"#))
        #expect(lines.contains(#"crmgw_request_duration_seconds_bucket{route="GET /a",le="0.0025"} 2"#))
        #expect(lines.contains(#"crmgw_request_duration_seconds_bucket{route="GET /a",le="2.5"} 3"#))
        #expect(lines.contains(#"crmgw_request_duration_seconds_count{route="GET /b"} 1"#))
    }

    @Test func keptSlotsCountIntoTheSameSeriesAsTheLabelLookup() {
        let m = GatewayMetrics.registry()
        var slots = MetricsRegistry.RequestSeriesSlots()
        var other = MetricsRegistry.RequestSeriesSlots()
        m.countRequest(route: "GET /a", status: 200, seconds: 0.002, slots: &slots)
        m.countRequest(route: "GET /a", status: 200, seconds: 0.0005, slots: &slots)
        m.countRequest(route: "GET /a", status: 304, seconds: 0.0005, slots: &slots)
        m.countRequest(route: "GET /a", status: 200, seconds: 2)
        m.countRequest(route: "GET /b", status: 200, seconds: 0.02, slots: &other)
        m.countRequest(route: "GET /a", status: 304, seconds: 0.02, slots: &slots)
        #expect(m.value(GatewayMetrics.requests, [("route", "GET /a"), ("code", "200")]) == 3)
        #expect(m.value(GatewayMetrics.requests, [("route", "GET /a"), ("code", "304")]) == 2)
        #expect(m.value(GatewayMetrics.requests, [("route", "GET /b"), ("code", "200")]) == 1)
        #expect(m.count(GatewayMetrics.requestDuration, [("route", "GET /a")]) == 5)
        #expect(m.count(GatewayMetrics.requestDuration, [("route", "GET /b")]) == 1)
        let lines = m.exposition().split(separator: "\n").map(String.init)
        #expect(lines.contains(#"crmgw_request_duration_seconds_bucket{route="GET /a",le="0.001"} 2"#))
        #expect(lines.filter { $0.hasPrefix("crmgw_requests_total{") } == [
            #"crmgw_requests_total{route="GET /a",code="200"} 3"#,
            #"crmgw_requests_total{route="GET /a",code="304"} 2"#,
            #"crmgw_requests_total{route="GET /b",code="200"} 1"#,
        ])
    }

    @Test func aCounterHandleIsListedFromItsFirstIncrementOn() {
        let m = GatewayMetrics.registry()
        let hits = m.counter(GatewayMetrics.cacheLookups, [("result", "hit")])
        #expect(!m.exposition().contains(#"crmgw_cache_lookups_total{result="hit"}"#))
        hits.increment()
        hits.increment()
        m.increment(GatewayMetrics.cacheLookups, [("result", "hit")])
        #expect(m.value(GatewayMetrics.cacheLookups, [("result", "hit")]) == 3)
        #expect(m.exposition().contains(#"crmgw_cache_lookups_total{result="hit"} 3"#))
        // A handle on a histogram's name counts nothing, as `increment` would not.
        let wrong = m.counter(GatewayMetrics.requestDuration, [("route", "x")])
        wrong.increment()
        #expect(m.count(GatewayMetrics.requestDuration, [("route", "x")]) == 0)
    }

    // MARK: rendered cache

    let t0 = LoopInstant(nanoseconds: 1_000_000_000_000)
    let policy = CacheConfig.Policy(ttl: .seconds(30))

    func upstream(_ cache: ResponseCache, _ key: String, at now: LoopInstant) {
        cache.store(key: key, response: UpstreamResponse(status: 200, body: Array(key.utf8)), policy: policy, tags: ["t:" + key], now: now)
    }

    @Test func aSourceWhoseSlotWentToAnotherEntryIsAMiss() {
        let cache = ResponseCache()
        let rendered = RenderedCache()
        upstream(cache, "k1", at: t0)
        upstream(cache, "k2", at: t0)
        rendered.store("GET /x", response: HTTPResponse(status: 200), sources: ["k1", "k2"])
        #expect(rendered.lookup("GET /x", upstream: cache, now: t0 + .seconds(1)) != nil)
        // k1 leaves and k3 takes its slot: the remembered slot must not pass for k1.
        cache.remove(key: "k1")
        upstream(cache, "k3", at: t0 + .seconds(1))
        #expect(rendered.lookup("GET /x", upstream: cache, now: t0 + .seconds(2)) == nil)
        #expect(rendered.count == 0)
    }

    @Test func hitsKeepTheirSourcesRecentlyUsed() {
        let cache = ResponseCache()
        let rendered = RenderedCache()
        upstream(cache, "k1", at: t0)
        upstream(cache, "k2", at: t0)
        upstream(cache, "k3", at: t0)
        rendered.store("GET /x", response: HTTPResponse(status: 200), sources: ["k1"])
        #expect(rendered.lookup("GET /x", upstream: cache, now: t0 + .seconds(1)) != nil)
        #expect(cache.keysByRecency == ["k2", "k3", "k1"])
        #expect(rendered.lookup("GET /x", upstream: cache, now: t0 + .seconds(1)) != nil)
        #expect(cache.keysByRecency == ["k2", "k3", "k1"])
        cache.invalidateAll()
        #expect(rendered.lookup("GET /x", upstream: cache, now: t0 + .seconds(1)) == nil)
    }

    // MARK: router

    let router: Router = {
        var r = Router()
        r.add(.GET, "/items/{id}/notes", .sync { _, _ in HTTPResponse(status: 210) })
        r.add(.POST, "/items/{id}", .sync { _, _ in HTTPResponse(status: 211) })
        r.add(.GET, "/items/{id}", .sync { _, _ in HTTPResponse(status: 212) })
        r.add(.GET, "/items/special", .sync { _, _ in HTTPResponse(status: 213) })
        r.add(.DELETE, "/{kind}/{id}", .sync { _, _ in HTTPResponse(status: 214) })
        r.add(.GET, "/", .sync { _, _ in HTTPResponse(status: 215) })
        r.add(.GET, "/files/{path+}", .sync { _, _ in HTTPResponse(status: 216) })
        return r
    }()

    func status(_ method: HTTPMethod, _ path: String) -> (Int, PathParameters)? {
        guard case .found(let handler, _, let params) = router.match(method: method, path: path),
              case .sync(let h) = handler else { return nil }
        let ctx = RequestContext(requestID: "t", pathParameters: params, loop: try! EventLoop())
        return (h(HTTPRequest(head: HTTPRequestHead(method: method, target: path)), ctx).status, params)
    }

    @Test func theFirstRouteOfTheMethodThatBindsWinsInInsertionOrder() {
        #expect(status(.GET, "/items/special")?.0 == 212)
        #expect(status(.GET, "/items/7")?.1 == ["id": "7"])
        #expect(status(.POST, "/items/7")?.0 == 211)
        #expect(status(.GET, "/items/7/notes")?.0 == 210)
        #expect(status(.DELETE, "/items/7")?.1 == ["kind": "items", "id": "7"])
        #expect(status(.HEAD, "/items/7")?.0 == 212)
        #expect(status(.GET, "/")?.0 == 215)
        #expect(status(.GET, "//")?.0 == 215)
    }

    @Test func methodNotAllowedStillListsEveryRouteThatBinds() {
        guard case .methodNotAllowed(let allowed) = router.match(method: .PUT, path: "/items/7") else {
            Issue.record("expected 405"); return
        }
        #expect(allowed.map(\.rawValue) == ["POST", "GET", "DELETE", "HEAD"])
        guard case .notFound = router.match(method: .GET, path: "/items/7/notes/x") else { Issue.record("matched"); return }
        guard case .notFound = router.match(method: .GET, path: "/items/%zz") else { Issue.record("matched"); return }
    }

    @Test func aRestParameterIsThePathAsIsOrJoinedWithoutEmptySegments() {
        #expect(status(.GET, "/files/a/b.txt")?.1 == ["path": "a/b.txt"])
        #expect(status(.GET, "/files/a//b/")?.1 == ["path": "a/b"])
        #expect(status(.GET, "//files/a/%20b")?.1 == ["path": "a/%20b"])
        #expect(status(.GET, "/files") == nil)
    }

    // MARK: access log

    @Test func theAccessLineIsTheJSONWritersLineAcrossASecond() throws {
        let sink = LogSink()
        // 2026-12-02T00:40:33.998Z
        let clock = ManualWallClock(millis: 1_796_172_033_998)
        let log = AccessLog(sink: sink, clock: clock)
        let loop = try EventLoop()
        log.log(.init(requestID: "r-1", method: "GET", route: "GET /contacts/{id}", status: 200, seconds: 0.0012345,
                      client: nil, record: nil, cacheStatus: "crm-gateway; hit; ttl=12"), loop: loop)
        clock.advance(millis: 3)
        log.log(.init(requestID: "a\"b", method: "POST", route: "POST /contacts", status: 201, seconds: 2,
                      client: "ops", record: nil, cacheStatus: nil), loop: loop)
        log.flush()
        #expect(sink.lines == [
            #"{"ts":"2026-12-02T00:40:33.998Z","level":"info","logger":"crm-gateway.access","msg":"request","request_id":"r-1","method":"GET","route":"GET /contacts/{id}","status":200,"duration_ms":1.235,"cache":"crm-gateway; hit; ttl=12"}"#,
            #"{"ts":"2026-12-02T00:40:34.001Z","level":"info","logger":"crm-gateway.access","msg":"request","request_id":"a\"b","method":"POST","route":"POST /contacts","status":201,"duration_ms":2000,"client":"ops"}"#,
        ])
        #expect(sink.lines.count == 2)
        for line in sink.lines {
            let parsed = try JSON.parse(Array(line.utf8))
            let written = String(decoding: parsed.serialized(), as: UTF8.self)
            #expect(written == line)
        }
    }

    @Test func durationsAndStringsAreWrittenAsTheJSONWriterWritesThem() {
        func viaWriter(_ seconds: Double) -> [UInt8] {
            var out: [UInt8] = []
            JSON.double(AccessLog.millis(seconds)).write(into: &out)
            return out
        }
        var samples: [Double] = [0, 1e-7, 4.9e-7, 5e-7, 1e-6, 0.0012345, 0.05, 0.1, 0.25, 1, 2, 59.999999, 3600, 1e6, 2e9, -0.001]
        for us in stride(from: 0, through: 200_000, by: 7) { samples.append(Double(us) / 1e6) }
        for s in samples {
            var out: [UInt8] = []
            AccessLog.appendMillis(s, to: &out)
            #expect(out == viaWriter(s), "\(s) s")
        }
        for text in ["r-1", "GET /contacts/{id}", "", "a\"b", "tab\there", "ümlaut", "back\\slash", "crm-gateway; hit; ttl=12"] {
            var ours: [UInt8] = []
            var theirs: [UInt8] = []
            AccessLog.appendString(text, to: &ours)
            JSON.string(text).write(into: &theirs)
            #expect(ours == theirs, "\(text)")
        }
    }
}

@Suite struct HitCacheStatusTests {
    @Test func writtenInOneGoLikeTheInterpolation() {
        for ttl in [0, 7, 30, 99, 100, 3600, 12345, Int.max, -1, -42, Int.min + 1] {
            #expect(APIHandler.hitCacheStatus(ttl: ttl) == "crm-gateway; hit; ttl=\(ttl)")
        }
    }
}
