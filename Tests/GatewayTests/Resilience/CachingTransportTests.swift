import Gateway
import GatewayCore
import Synchronization
import Testing

/// An upstream that counts its calls and answers from a queue; with nothing queued a call
/// waits until the test releases it.
final class CacheScriptedUpstream: UpstreamTransport {
    private struct State {
        var requests: [UpstreamRequest] = []
        var queued: [SingleFlight.Outcome] = []
        var parked: [CheckedContinuation<SingleFlight.Outcome, Never>] = []
    }
    private let state = Mutex(State())

    func answer(_ status: Int, _ body: String) { state.withLock { $0.queued.append(.success(reply(status, body))) } }
    func fail(_ error: TransportError) { state.withLock { $0.queued.append(.failure(error)) } }

    /// Completes the oldest waiting call.
    func release(_ result: SingleFlight.Outcome) {
        let c = state.withLock { $0.parked.isEmpty ? nil : $0.parked.removeFirst() }
        c?.resume(returning: result)
    }

    var calls: Int { state.withLock { $0.requests.count } }
    var parked: Int { state.withLock { $0.parked.count } }
    var requests: [UpstreamRequest] { state.withLock { $0.requests } }

    func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        let r = await withCheckedContinuation { (c: CheckedContinuation<SingleFlight.Outcome, Never>) in
            let now = state.withLock { s -> SingleFlight.Outcome? in
                s.requests.append(request)
                if !s.queued.isEmpty { return s.queued.removeFirst() }
                s.parked.append(c)
                return nil
            }
            if let now { c.resume(returning: now) }
        }
        return try r.get()
    }
}

private func reply(_ status: Int, _ body: String) -> UpstreamResponse {
    UpstreamResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
}

private func text(_ r: UpstreamResponse) -> String { String(decoding: r.body, as: UTF8.self) }

/// Waits for work on the loop thread (a background fetch) to reach a state. Polls; the
/// behaviour under test never depends on real time, only on the manual clock.
private func eventually(_ what: String, _ condition: () -> Bool) async {
    for i in 0..<20_000 {
        if condition() { return }
        if i < 1_000 { await Task.yield() } else { try? await Task.sleep(for: .milliseconds(1)) }
    }
    Issue.record("never happened: \(what)")
}

@Suite("Caching transport")
struct CachingTransportTests {
    final class Rig: Sendable {
        let clock = ManualClock()
        let thread: EventLoopThread
        let upstream = CacheScriptedUpstream()
        let cache: ResponseCache
        let transport: CachingTransport

        init(config: CacheConfig = CacheConfig()) throws {
            thread = try EventLoopThread(name: "cache", clock: clock)
            cache = ResponseCache(config: config)
            transport = CachingTransport(inner: upstream, cache: cache, config: config, clock: clock, loop: thread.loop)
        }

        func stop() { thread.stopAndJoin() }

        func send(_ r: UpstreamRequest) async throws(TransportError) -> UpstreamResponse { try await transport.send(r) }
    }

    static let base = "https://acme.pipedrive.com/api/v2"

    func read(_ path: String, tags: [String], token: String = "secret-token-1", cacheClass: String = "contacts") -> UpstreamRequest {
        var r = UpstreamRequest(url: Self.base + path, headers: ["x-api-token": token, "X-Request-Id": "req-\(path)"])
        r.hints = .read(cacheClass, tags: tags)
        return r
    }

    var person5: UpstreamRequest { read("/persons/5", tags: ["pipedrive:persons:5"]) }

    /// No stale-while-revalidate: past the TTL an entry is only for when the upstream fails.
    static var errorOnly: CacheConfig {
        var c = CacheConfig()
        c.classes["contacts"] = CacheConfig.Policy(ttl: .seconds(30), staleWhileRevalidate: .zero, staleIfError: .seconds(300))
        return c
    }

    // MARK: hits and misses

    @Test func aFreshEntryAnswersWithoutAnUpstreamCall() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.upstream.answer(200, #"{"id":5}"#)
        let first = try await rig.send(person5)
        #expect(first.cacheOutcome == CacheOutcome(kind: .miss, age: 0, ttl: 30))
        rig.clock.advance(by: .milliseconds(10_500))
        let second = try await rig.send(person5)
        #expect(second.cacheOutcome == CacheOutcome(kind: .hit, age: 10, ttl: 19))
        #expect(text(second) == #"{"id":5}"#)
        #expect(second.header("Content-Type") == "application/json")
        #expect(rig.upstream.calls == 1)
        let stats = rig.cache.stats
        #expect((stats.hits, stats.misses, stats.stale, stats.coalesced) == (1, 1, 0, 0))
    }

    @Test func theTTLComesFromTheCacheClass() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.upstream.answer(200, "[]")
        rig.upstream.answer(200, "[1]")
        let messages = read("/messages", tags: ["textrequest:messages:list"], cacheClass: "messages")
        #expect(try await rig.send(messages).cacheOutcome == CacheOutcome(kind: .miss, age: 0, ttl: 5))
        rig.clock.advance(by: .seconds(5) - .nanoseconds(1))
        #expect(try await rig.send(messages).cacheOutcome?.kind == .hit)
        rig.clock.advance(by: .nanoseconds(1))
        // At 5 s exactly it is stale: served, and refreshed in the background.
        #expect(try await rig.send(messages).cacheOutcome == CacheOutcome(kind: .stale, age: 5, ttl: 0))
        await eventually("the refresh is stored") { rig.cache.stats.flights == 0 && rig.upstream.calls == 2 }
    }

    @Test func credentialsSeparateTenantsAndNeverAppearInTheKey() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.upstream.answer(200, "tenant 1")
        rig.upstream.answer(200, "tenant 2")
        #expect(text(try await rig.send(read("/persons/5", tags: [], token: "secret-token-1"))) == "tenant 1")
        #expect(text(try await rig.send(read("/persons/5", tags: [], token: "secret-token-2"))) == "tenant 2")
        #expect(text(try await rig.send(read("/persons/5", tags: [], token: "secret-token-1"))) == "tenant 1")
        #expect(rig.upstream.calls == 2)

        let k1 = CachingTransport.key(for: read("/persons/5", tags: [], token: "secret-token-1"), credentialHeaders: CacheConfig().credentialHeaders)
        let k2 = CachingTransport.key(for: read("/persons/5", tags: [], token: "secret-token-2"), credentialHeaders: CacheConfig().credentialHeaders)
        #expect(k1 != k2)
        #expect(k1.utf8.count == 64)
        #expect(!k1.contains("secret") && !k1.contains("persons"))
        // The request id is not part of the identity.
        var other = read("/persons/5", tags: [], token: "secret-token-1")
        other.headers.replaceOrAdd("X-Request-Id", "another")
        #expect(CachingTransport.key(for: other, credentialHeaders: CacheConfig().credentialHeaders) == k1)
    }

    @Test func notFoundAndErrorsAreNotCached() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.upstream.answer(404, #"{"error":"not found"}"#)
        rig.upstream.answer(500, "oops")
        rig.upstream.answer(200, #"{"id":5}"#)
        let notFound = try await rig.send(person5)
        #expect(notFound.status == 404)
        #expect(notFound.cacheOutcome == CacheOutcome(kind: .miss, age: 0, ttl: 0))
        #expect(try await rig.send(person5).status == 500)
        #expect(try await rig.send(person5).status == 200)
        #expect(rig.upstream.calls == 3)
        #expect(rig.cache.stats.entries == 1)
    }

    @Test func requestsWithoutHintsPassStraightThrough() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.upstream.answer(200, "a")
        rig.upstream.answer(200, "b")
        let plain = UpstreamRequest(url: Self.base + "/persons/5")
        #expect(try await rig.send(plain).cacheOutcome == nil)
        #expect(text(try await rig.send(plain)) == "b")
        #expect(rig.upstream.calls == 2)
        #expect(rig.cache.stats == ResponseCache.Stats())
    }

    // MARK: stale

    @Test func staleWhileRevalidateServesStaleAndRefreshesOnce() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.upstream.answer(200, "v1")
        _ = try await rig.send(person5)
        rig.clock.advance(by: .seconds(31))

        for _ in 0..<3 {
            let r = try await rig.send(person5)
            #expect(r.cacheOutcome == CacheOutcome(kind: .stale, age: 31, ttl: -1))
            #expect(text(r) == "v1")
        }
        await eventually("the one refresh reaches the upstream") { rig.upstream.parked == 1 }
        #expect(rig.upstream.calls == 2)
        #expect(rig.upstream.requests[1].headers["x-api-token"] == "secret-token-1")

        rig.upstream.release(.success(reply(200, "v2")))
        await eventually("the refresh ends") { rig.cache.stats.flights == 0 }
        let fresh = try await rig.send(person5)
        #expect(fresh.cacheOutcome == CacheOutcome(kind: .hit, age: 0, ttl: 30))
        #expect(text(fresh) == "v2")
        #expect(rig.upstream.calls == 2)
        #expect(rig.cache.stats.stale == 3)
    }

    @Test func aMissDuringARefreshJoinsIt() async throws {
        var config = CacheConfig()
        config.classes["contacts"] = CacheConfig.Policy(ttl: .seconds(30), staleWhileRevalidate: .seconds(30), staleIfError: .zero)
        let rig = try Rig(config: config)
        defer { rig.stop() }
        rig.upstream.answer(200, "v1")
        _ = try await rig.send(person5)
        rig.clock.advance(by: .seconds(31))
        #expect(try await rig.send(person5).cacheOutcome?.kind == .stale)
        await eventually("the refresh is under way") { rig.upstream.parked == 1 }
        // Past the stale window but the refresh is still in flight: wait for it.
        rig.clock.advance(by: .seconds(30))
        let joined = Task { try await rig.send(person5) }
        await eventually("the miss joined the refresh") { rig.cache.stats.coalesced == 1 }
        rig.upstream.release(.success(reply(200, "v2")))
        let r = try await joined.value
        #expect(r.cacheOutcome == CacheOutcome(kind: .coalesced, age: 0, ttl: 30))
        #expect(text(r) == "v2")
        #expect(rig.upstream.calls == 2)
    }

    @Test func staleIfErrorServesTheEntryWhenTheUpstreamFails() async throws {
        let rig = try Rig(config: Self.errorOnly)
        defer { rig.stop() }
        rig.upstream.answer(200, "v1")
        _ = try await rig.send(person5)
        rig.clock.advance(by: .seconds(31))

        rig.upstream.answer(503, "down")
        let on503 = try await rig.send(person5)
        #expect(on503.status == 200)
        #expect(text(on503) == "v1")
        #expect(on503.cacheOutcome == CacheOutcome(kind: .stale, age: 31, ttl: -1))

        rig.upstream.fail(.connectionReset)
        #expect(text(try await rig.send(person5)) == "v1")
        rig.upstream.fail(.rateLimited(retryAfterSeconds: 4))
        #expect(text(try await rig.send(person5)) == "v1")
        rig.upstream.fail(.circuitOpen(retryAfterSeconds: 9))
        #expect(try await rig.send(person5).cacheOutcome?.kind == .stale)
        #expect(rig.upstream.calls == 5)
        #expect(rig.cache.stats.staleOnError == 4)
    }

    @Test func staleIfErrorEndsWithItsWindow() async throws {
        let rig = try Rig(config: Self.errorOnly)
        defer { rig.stop() }
        rig.upstream.answer(200, "v1")
        _ = try await rig.send(person5)

        rig.clock.advance(by: .seconds(330) - .nanoseconds(1))
        rig.upstream.fail(.timeout)
        #expect(try await rig.send(person5).cacheOutcome == CacheOutcome(kind: .stale, age: 329, ttl: -300))

        rig.clock.advance(by: .nanoseconds(1))
        rig.upstream.answer(503, "down")
        let r = try await rig.send(person5)
        #expect(r.status == 503)
        #expect(r.cacheOutcome == CacheOutcome(kind: .miss, age: 0, ttl: 0))
        rig.upstream.fail(.connectionReset)
        await #expect(throws: TransportError.connectionReset) { try await rig.send(person5) }
    }

    @Test func aNotFoundOnRefreshDropsTheEntry() async throws {
        let rig = try Rig(config: Self.errorOnly)
        defer { rig.stop() }
        rig.upstream.answer(200, "v1")
        _ = try await rig.send(person5)
        rig.clock.advance(by: .seconds(31))
        rig.upstream.answer(404, "gone")
        #expect(try await rig.send(person5).status == 404)
        #expect(rig.cache.stats.entries == 0)
        rig.upstream.fail(.timeout)
        await #expect(throws: TransportError.timeout) { try await rig.send(person5) }
    }

    // MARK: single flight

    @Test func twoHundredConcurrentIdenticalMissesMakeOneUpstreamCall() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        let person5 = self.person5
        try await withThrowingTaskGroup(of: CacheOutcome.Kind?.self) { group in
            for _ in 0..<200 {
                group.addTask { try await rig.send(person5).cacheOutcome?.kind }
            }
            await eventually("all 200 have joined the flight") {
                let s = rig.cache.stats
                return s.misses + s.coalesced == 200 && rig.upstream.parked == 1
            }
            #expect(rig.upstream.calls == 1)
            rig.upstream.release(.success(reply(200, #"{"id":5}"#)))
            var kinds: [CacheOutcome.Kind: Int] = [:]
            for try await k in group { kinds[k!, default: 0] += 1 }
            #expect(kinds == [.miss: 1, .coalesced: 199])
        }
        #expect(rig.upstream.calls == 1)
        #expect(rig.cache.stats.entries == 1)
        #expect(rig.cache.stats.flights == 0)
    }

    @Test func waitersOfAFailedFetchGetTheSameError() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        let person5 = self.person5
        let a = Task { () throws(TransportError) -> UpstreamResponse in try await rig.send(person5) }
        let b = Task { () throws(TransportError) -> UpstreamResponse in try await rig.send(person5) }
        await eventually("both joined") { rig.cache.stats.misses + rig.cache.stats.coalesced == 2 && rig.upstream.parked == 1 }
        rig.upstream.release(.failure(.connectTimeout))
        await #expect(throws: TransportError.connectTimeout) { try await a.value }
        await #expect(throws: TransportError.connectTimeout) { try await b.value }
        #expect(rig.upstream.calls == 1)
    }

    // MARK: no-cache

    @Test func revalidateHeaderForcesOneUpstreamCallAndReplacesTheEntry() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.upstream.answer(200, "v1")
        rig.upstream.answer(200, "v2")
        _ = try await rig.send(person5)
        rig.clock.advance(by: .seconds(3))

        var noCache = person5
        noCache.headers.add(CachingTransport.revalidateHeader, "1")
        let forced = try await rig.send(noCache)
        #expect(forced.cacheOutcome == CacheOutcome(kind: .miss, age: 0, ttl: 30))
        #expect(text(forced) == "v2")
        #expect(rig.upstream.calls == 2)
        #expect(!rig.upstream.requests[1].headers.contains(CachingTransport.revalidateHeader))

        rig.clock.advance(by: .seconds(1))
        let after = try await rig.send(person5)
        #expect(after.cacheOutcome == CacheOutcome(kind: .hit, age: 1, ttl: 29))
        #expect(text(after) == "v2")
        #expect(rig.upstream.calls == 2)
    }

    // MARK: writes

    @Test func aWriteInvalidatesTheItemAndTheListsItTags() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        let list = read("/persons", tags: ["pipedrive:persons:list"])
        let other = read("/persons/6", tags: ["pipedrive:persons:6"])
        rig.upstream.answer(200, "person 5")
        rig.upstream.answer(200, "[5, 6]")
        rig.upstream.answer(200, "person 6")
        _ = try await rig.send(person5)
        _ = try await rig.send(list)
        _ = try await rig.send(other)

        var patch = UpstreamRequest(method: "PATCH", url: Self.base + "/persons/5", headers: ["x-api-token": "secret-token-1"],
                                    body: Array(#"{"name":"Ann"}"#.utf8))
        patch.hints = .write(invalidating: ["pipedrive:persons:list", "pipedrive:persons:5"])
        rig.upstream.answer(200, #"{"id":5,"name":"Ann"}"#)
        #expect(try await rig.send(patch).cacheOutcome == nil)

        rig.upstream.answer(200, "person 5 renamed")
        rig.upstream.answer(200, "[5 renamed, 6]")
        let item = try await rig.send(person5)
        #expect(item.cacheOutcome?.kind == .miss)
        #expect(text(item) == "person 5 renamed")
        #expect(try await rig.send(list).cacheOutcome?.kind == .miss)
        #expect(try await rig.send(other).cacheOutcome?.kind == .hit)
        #expect(rig.upstream.calls == 6)
    }

    @Test func aReadInFlightDuringAWriteDoesNotStoreItsOlderAnswer() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        let person5 = self.person5
        let reading = Task { () throws(TransportError) -> UpstreamResponse in try await rig.send(person5) }
        await eventually("the read is at the upstream") { rig.upstream.parked == 1 }

        var delete = UpstreamRequest(method: "DELETE", url: Self.base + "/persons/5")
        delete.hints = .write(invalidating: ["pipedrive:persons:5"])
        rig.upstream.answer(200, "{}")
        _ = try await rig.send(delete)

        rig.upstream.release(.success(reply(200, "person 5 before the delete")))
        #expect(text(try await reading.value) == "person 5 before the delete")
        await eventually("the read's fetch ended") { rig.cache.stats.flights == 0 }
        #expect(rig.cache.stats.entries == 0)
        rig.upstream.answer(404, "gone")
        #expect(try await rig.send(person5).status == 404)
    }

    @Test func aWriteRefusedBeforeSendingInvalidatesNothing() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.upstream.answer(200, "person 5")
        _ = try await rig.send(person5)
        var patch = UpstreamRequest(method: "PATCH", url: Self.base + "/persons/5")
        patch.hints = .write(invalidating: ["pipedrive:persons:5"])
        rig.upstream.fail(.rateLimited(retryAfterSeconds: 3))
        await #expect(throws: TransportError.rateLimited(retryAfterSeconds: 3)) { try await rig.send(patch) }
        #expect(rig.cache.stats.entries == 1)
        rig.upstream.fail(.timeout)
        await #expect(throws: TransportError.timeout) { try await rig.send(patch) }
        #expect(rig.cache.stats.entries == 0)
    }
}
