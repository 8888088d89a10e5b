import Gateway
import GatewayCore
import Synchronization
import Testing

/// The cache as a value under a lock: every instant is given, nothing runs on a loop.
@Suite("Response cache")
struct ResponseCacheTests {
    let t0 = LoopInstant(nanoseconds: 1_000_000_000)
    let thirty = CacheConfig.Policy(ttl: .seconds(30), staleWhileRevalidate: .seconds(30), staleIfError: .seconds(300))

    func ok(_ body: String, status: Int = 200) -> UpstreamResponse {
        UpstreamResponse(status: status, body: Array(body.utf8))
    }

    func body(_ r: UpstreamResponse) -> String { String(decoding: r.body, as: UTF8.self) }

    /// A 100-byte body, no headers, no tags: each entry with a one-letter key costs 301.
    func sized(_ n: Int) -> UpstreamResponse { UpstreamResponse(status: 200, body: [UInt8](repeating: 0x61, count: n)) }

    // MARK: freshness

    @Test func policyWindowsAreCountedFromTheEndOfFreshness() {
        let p = CacheConfig.Policy(ttl: .seconds(30), staleWhileRevalidate: .seconds(10), staleIfError: .seconds(60))
        #expect(p.freshness(age: .zero) == .fresh)
        #expect(p.freshness(age: .seconds(30) - .nanoseconds(1)) == .fresh)
        #expect(p.freshness(age: .seconds(30)) == .staleWhileRevalidate(usableOnError: true))
        #expect(p.freshness(age: .seconds(40) - .nanoseconds(1)) == .staleWhileRevalidate(usableOnError: true))
        #expect(p.freshness(age: .seconds(40)) == .staleIfErrorOnly)
        #expect(p.freshness(age: .seconds(90) - .nanoseconds(1)) == .staleIfErrorOnly)
        #expect(p.freshness(age: .seconds(90)) == .expired)
        // A stale-while-revalidate window longer than stale-if-error.
        let q = CacheConfig.Policy(ttl: .seconds(5), staleWhileRevalidate: .seconds(20), staleIfError: .seconds(10))
        #expect(q.freshness(age: .seconds(15)) == .staleWhileRevalidate(usableOnError: false))
        #expect(q.freshness(age: .seconds(25)) == .expired)
    }

    @Test func defaultConfigHasTheTTLsOfEachClass() {
        let c = CacheConfig()
        #expect(c.policy(for: "contacts").ttl == .seconds(30))
        #expect(c.policy(for: "companies").ttl == .seconds(60))
        #expect(c.policy(for: "messages").ttl == .seconds(5))
        #expect(c.policy(for: "conversations").ttl == .seconds(10))
        #expect(c.policy(for: "metadata").ttl == .seconds(600))
        #expect(c.policy(for: "unheard-of") == CacheConfig.Policy(ttl: .seconds(30), staleWhileRevalidate: .seconds(30), staleIfError: .seconds(300)))
        #expect(c.maxBytes == 64 << 20)
        var d = c
        d.setTTL(.seconds(7), for: "deals")
        #expect(d.policy(for: "deals") == CacheConfig.Policy(ttl: .seconds(7)))
    }

    @Test func ttlExpiryIsExactToTheInstant() {
        let cache = ResponseCache()
        #expect(cache.store(key: "k", response: ok("v1"), policy: thirty, tags: [], now: t0))

        guard case .fresh(let r, let age) = cache.lookup(key: "k", now: t0 + (.seconds(30) - .nanoseconds(1))) else {
            Issue.record("fresh one nanosecond before the TTL"); return
        }
        #expect(age == .seconds(30) - .nanoseconds(1))
        #expect(r.cacheOutcome == CacheOutcome(kind: .hit, age: 29, ttl: 0))
        #expect(body(r) == "v1")

        guard case .stale(let s, _, revalidate: true) = cache.lookup(key: "k", now: t0 + .seconds(30)) else {
            Issue.record("stale at the TTL exactly"); return
        }
        #expect(s.cacheOutcome == CacheOutcome(kind: .stale, age: 30, ttl: 0))

        guard case .stale(let s2, _, revalidate: false) = cache.lookup(key: "k", now: t0 + .seconds(60)) else {
            Issue.record("past stale-while-revalidate: usable on error only"); return
        }
        #expect(s2.cacheOutcome == CacheOutcome(kind: .stale, age: 60, ttl: -30))

        guard case .stale(_, _, revalidate: false) = cache.lookup(key: "k", now: t0 + (.seconds(330) - .nanoseconds(1))) else {
            Issue.record("last nanosecond of stale-if-error"); return
        }
        guard case .miss = cache.lookup(key: "k", now: t0 + .seconds(330)) else {
            Issue.record("expired at the end of stale-if-error"); return
        }
        #expect(cache.stats.entries == 0)
        #expect(cache.stats.bytes == 0)
    }

    @Test func usableOnErrorOnlyInsideStaleIfError() {
        let cache = ResponseCache()
        cache.store(key: "k", response: ok("v1"), policy: thirty, tags: [], now: t0)
        #expect(cache.usableOnError(key: "k", now: t0 + .seconds(1))?.cacheOutcome == CacheOutcome(kind: .stale, age: 1, ttl: 29))
        #expect(cache.usableOnError(key: "k", now: t0 + .seconds(329))?.cacheOutcome == CacheOutcome(kind: .stale, age: 329, ttl: -299))
        #expect(cache.usableOnError(key: "k", now: t0 + .seconds(330)) == nil)
        #expect(cache.usableOnError(key: "other", now: t0) == nil)
    }

    // MARK: what is stored

    @Test func onlySuccessfulAnswersAreStored() {
        let cache = ResponseCache()
        for status in [404, 410, 401, 429, 500, 502, 503, 301, 304] {
            #expect(!cache.store(key: "k\(status)", response: ok("no", status: status), policy: thirty, tags: ["t"], now: t0))
            guard case .miss = cache.lookup(key: "k\(status)", now: t0) else { Issue.record("\(status) was stored"); continue }
        }
        #expect(cache.stats.entries == 0)
        #expect(cache.store(key: "k204", response: ok("", status: 204), policy: thirty, tags: [], now: t0))
        #expect(cache.stats.entries == 1)
    }

    @Test func costCountsKeyBodyHeadersTagsAndOverhead() {
        let r = UpstreamResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array("0123456789".utf8))
        // 200 + 1 (key) + 10 (body) + 12 + 16 + 4 (the header line) + 3 + 6 (tags)
        #expect(ResponseCache.cost(key: "k", response: r, tags: ["t:1", "t:list"]) == 252)
        let cache = ResponseCache()
        cache.store(key: "k", response: r, policy: thirty, tags: ["t:1", "t:list"], now: t0)
        cache.store(key: "k", response: r, policy: thirty, tags: ["t:1", "t:list"], now: t0 + .seconds(1))
        #expect(cache.stats.bytes == 252)
        #expect(cache.stats.entries == 1)
    }

    @Test func anEntryLargerThanTheEntryCapIsNotStored() {
        let cache = ResponseCache(maxBytes: 10_000, maxEntryBytes: 1_000)
        #expect(!cache.store(key: "k", response: sized(800), policy: thirty, tags: [], now: t0))
        #expect(cache.store(key: "k", response: sized(799), policy: thirty, tags: [], now: t0))
        #expect(cache.stats.bytes == 1_000)
    }

    @Test func storedAnswerHasNoOutcomeOrTimingsOfItsOwn() {
        let cache = ResponseCache()
        var r = ok("v")
        r.cacheOutcome = CacheOutcome(kind: .miss, age: 0, ttl: 30)
        r.timings = UpstreamTimings(total: .milliseconds(80))
        cache.store(key: "k", response: r, policy: thirty, tags: [], now: t0)
        guard case .fresh(let hit, _) = cache.lookup(key: "k", now: t0) else { Issue.record("miss"); return }
        #expect(hit.cacheOutcome == CacheOutcome(kind: .hit, age: 0, ttl: 30))
        #expect(hit.timings == UpstreamTimings())
    }

    // MARK: LRU

    @Test func leastRecentlyUsedIsEvictedFirstUnderTheByteCap() {
        #expect(ResponseCache.cost(key: "a", response: sized(100), tags: []) == 301)
        let cache = ResponseCache(maxBytes: 3 * 301)
        for k in ["a", "b", "c"] { cache.store(key: k, response: sized(100), policy: thirty, tags: [], now: t0) }
        #expect(cache.keysByRecency == ["a", "b", "c"])
        #expect(cache.stats.bytes == 903)
        #expect(cache.stats.evictions == 0)

        _ = cache.lookup(key: "a", now: t0)
        #expect(cache.keysByRecency == ["b", "c", "a"])

        cache.store(key: "d", response: sized(100), policy: thirty, tags: [], now: t0)
        #expect(cache.keysByRecency == ["c", "a", "d"])
        #expect(cache.stats.evictions == 1)
        guard case .miss = cache.lookup(key: "b", now: t0) else { Issue.record("b survived"); return }

        // One entry worth two: the two least recently used go.
        cache.store(key: "e", response: sized(401), policy: thirty, tags: [], now: t0)
        #expect(cache.keysByRecency == ["d", "e"])
        #expect(cache.stats.evictions == 3)
        #expect(cache.stats.bytes == 301 + 602)
        #expect(cache.stats.entries == 2)
    }

    @Test func replacingAnEntryMakesItMostRecentWithoutCountingAnEviction() {
        let cache = ResponseCache(maxBytes: 3 * 301)
        for k in ["a", "b", "c"] { cache.store(key: k, response: sized(100), policy: thirty, tags: [], now: t0) }
        cache.store(key: "a", response: sized(100), policy: thirty, tags: [], now: t0)
        #expect(cache.keysByRecency == ["b", "c", "a"])
        #expect(cache.stats.evictions == 0)
        #expect(cache.stats.bytes == 903)
    }

    // MARK: invalidation

    @Test func invalidatingATagDropsEveryEntryCarryingIt() {
        let cache = ResponseCache()
        cache.store(key: "person5", response: ok("5"), policy: thirty, tags: ["pd:persons:5"], now: t0)
        cache.store(key: "person6", response: ok("6"), policy: thirty, tags: ["pd:persons:6"], now: t0)
        cache.store(key: "persons", response: ok("[5,6]"), policy: thirty, tags: ["pd:persons:list"], now: t0)
        cache.store(key: "persons?q=x", response: ok("[5]"), policy: thirty, tags: ["pd:persons:list"], now: t0)
        cache.store(key: "deals", response: ok("[]"), policy: thirty, tags: ["pd:deals:list"], now: t0)

        cache.invalidate(tags: ["pd:persons:5", "pd:persons:list"])
        #expect(Set(cache.keysByRecency) == ["person6", "deals"])
        #expect(cache.stats.entries == 2)

        cache.invalidate(tags: ["pd:nothing"])
        #expect(cache.stats.entries == 2)

        cache.invalidateAll()
        #expect(cache.keysByRecency.isEmpty)
        #expect(cache.stats.bytes == 0)
    }

    @Test func aFetchInFlightWhenItsTagIsInvalidatedStoresNothing() {
        let cache = ResponseCache()
        guard case .lead(let flight) = cache.join(key: "person5", tags: ["pd:persons:5"]) else { Issue.record("not leading"); return }
        cache.invalidate(tags: ["pd:persons:5"])
        #expect(!cache.store(key: "person5", response: ok("before the write"), policy: thirty, tags: ["pd:persons:5"], now: t0, flight: flight))
        cache.complete(flight, key: "person5", with: .success(ok("before the write")))

        // The next fetch is not affected.
        guard case .lead(let next) = cache.join(key: "person5", tags: ["pd:persons:5"]) else { Issue.record("not leading"); return }
        #expect(cache.store(key: "person5", response: ok("after"), policy: thirty, tags: ["pd:persons:5"], now: t0, flight: next))
        cache.complete(next, key: "person5", with: .success(ok("after")))
        #expect(cache.stats.flights == 0)
    }

    // MARK: single flight

    @Test func secondJoinFollowsTheFirstUntilItCompletes() async {
        let cache = ResponseCache()
        guard case .lead(let lead) = cache.join(key: "k") else { Issue.record("first join must lead"); return }
        guard case .follow(let follow) = cache.join(key: "k") else { Issue.record("second join must follow"); return }
        #expect(lead === follow)
        guard case .lead(let other) = cache.join(key: "other") else { Issue.record("another key leads"); return }

        let waiter = Task { await follow.wait() }
        while follow.waiting < 1 { await Task.yield() }
        cache.complete(lead, key: "k", with: .failure(.timeout))
        #expect(same(await waiter.value, .failure(.timeout)))
        // A wait after the end gets the result at once.
        #expect(same(await lead.wait(), .failure(.timeout)))

        guard case .lead = cache.join(key: "k") else { Issue.record("after completion a join leads again"); return }
        cache.complete(other, key: "other", with: .success(ok("x")))
    }

    @Test func aCancelledWaiterStopsWaitingAndTheOthersStillGetTheResult() async {
        let cache = ResponseCache()
        guard case .lead(let flight) = cache.join(key: "k") else { Issue.record("must lead"); return }
        let patient = Task { await flight.wait() }
        let impatient = Task { await flight.wait() }
        while flight.waiting < 2 { await Task.yield() }
        impatient.cancel()
        #expect(same(await impatient.value, .failure(.cancelled)))
        #expect(flight.waiting == 1)
        cache.complete(flight, key: "k", with: .failure(.connectionReset))
        #expect(same(await patient.value, .failure(.connectionReset)))
    }
}

/// Same error, or same status, body and cache outcome.
private func same(_ a: SingleFlight.Outcome, _ b: SingleFlight.Outcome) -> Bool {
    switch (a, b) {
    case (.failure(let x), .failure(let y)): x == y
    case (.success(let x), .success(let y)): x.status == y.status && x.body == y.body && x.cacheOutcome == y.cacheOutcome
    default: false
    }
}
