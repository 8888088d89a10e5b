import Testing
@testable import Gateway
import GatewayCore

@Suite("Rendered-answer cache")
struct RenderedCacheTests {
    let t0 = LoopInstant(nanoseconds: 1_000_000_000_000)
    let policy = CacheConfig.Policy(ttl: .seconds(30))

    func upstream(_ cache: ResponseCache, _ key: String, tags: [String], at now: LoopInstant) {
        cache.store(key: key, response: UpstreamResponse(status: 200, body: Array("{}".utf8)), policy: policy, tags: tags, now: now)
    }

    @Test func aHitNeedsEverySourceFreshAndReportsTheOldestAge() throws {
        let cache = ResponseCache()
        let rendered = RenderedCache()
        upstream(cache, "k1", tags: ["a"], at: t0)
        upstream(cache, "k2", tags: ["b"], at: t0 + .seconds(10))
        rendered.store("GET /contacts/x", response: HTTPResponse(status: 200, body: Array("answer".utf8)), sources: ["k1", "k2"])
        let hit = try #require(rendered.lookup("GET /contacts/x", upstream: cache, now: t0 + .seconds(12)))
        #expect(hit.response.body == Array("answer".utf8))
        #expect(hit.age == 12)
        #expect(hit.ttl == 18)
        // The oldest source expires: the rendered answer goes with it.
        #expect(rendered.lookup("GET /contacts/x", upstream: cache, now: t0 + .seconds(30)) == nil)
        #expect(rendered.count == 0)
    }

    @Test func aWriteThatDropsASourceDropsTheAnswer() {
        let cache = ResponseCache()
        let rendered = RenderedCache()
        upstream(cache, "k1", tags: ["pipedrive:persons:5"], at: t0)
        rendered.store("GET /contacts/pipedrive:person:5", response: HTTPResponse(status: 200), sources: ["k1"])
        #expect(rendered.lookup("GET /contacts/pipedrive:person:5", upstream: cache, now: t0 + .seconds(1)) != nil)
        cache.invalidate(tags: ["pipedrive:persons:5"])
        #expect(rendered.lookup("GET /contacts/pipedrive:person:5", upstream: cache, now: t0 + .seconds(1)) == nil)
    }

    @Test func anAnswerWithNoSourcesIsNotKept() {
        let rendered = RenderedCache()
        rendered.store("GET /x", response: HTTPResponse(status: 200), sources: [])
        #expect(rendered.count == 0)
    }
}
