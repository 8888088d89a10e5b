import Testing
@testable import Gateway
import GatewayCore
import Synchronization

/// An inner transport that answers from a script (then 200s) and notes the clock at each call.
private final class ScriptedTransport: UpstreamTransport {
    private let clock: ManualClock
    private let state = Mutex<(script: [Result<UpstreamResponse, TransportError>], calls: [LoopInstant])>(([], []))

    init(clock: ManualClock) { self.clock = clock }

    func then(_ status: Int, headers: HTTPHeaders = [:]) {
        state.withLock { $0.script.append(.success(UpstreamResponse(status: status, headers: headers))) }
    }

    func then(fail error: TransportError) { state.withLock { $0.script.append(.failure(error)) } }

    var calls: [LoopInstant] { state.withLock { $0.calls } }

    func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        let next = state.withLock { s in
            s.calls.append(clock.now())
            return s.script.isEmpty ? .success(UpstreamResponse(status: 200)) : s.script.removeFirst()
        }
        return try next.get()
    }
}

/// A value shared with concurrent tasks.
private final class Shared<Value: Sendable>: Sendable {
    private let m: Mutex<Value>
    init(_ value: Value) { m = Mutex(value) }
    var value: Value { m.withLock { $0 } }
    func update(_ body: (inout Value) -> Void) { m.withLock { body(&$0) } }
}

/// A guarded transport on a manual-clock loop, recording every event.
private final class Rig: Sendable {
    let clock = ManualClock()
    let thread: EventLoopThread
    let inner: ScriptedTransport
    let limiter: RateLimiter
    let breaker = SharedCircuitBreaker()
    let transport: GuardedTransport
    let eventLog = Shared<[GuardEvent]>([])
    let start: LoopInstant

    init(_ config: RateLimitConfig = RateLimitConfig()) throws {
        thread = try EventLoopThread(name: "guard", clock: clock)
        inner = ScriptedTransport(clock: clock)
        limiter = RateLimiter(config: config)
        start = clock.now()
        let log = eventLog
        transport = GuardedTransport(inner: inner, loop: thread.loop, limiter: limiter, breaker: breaker, clock: clock,
                                     onEvent: { e in log.update { $0.append(e) } })
    }

    /// Bounded: a loop that no longer stops fails the test instead of hanging the run.
    func stop() {
        if !thread.stopAndJoin(within: .seconds(20)) { Issue.record("loop 'guard' did not stop within 20 s (real time)") }
    }

    var events: [GuardEvent] { eventLog.value }

    func at(_ ms: Int) -> LoopInstant { start + .milliseconds(ms) }

    func send(_ hints: UpstreamHints) async -> Result<Int, TransportError> {
        var request = UpstreamRequest(url: "https://upstream.test/x")
        request.hints = hints
        do throws(TransportError) {
            return .success(try await transport.send(request).status)
        } catch {
            return .failure(error)
        }
    }

    /// Moves fake time, then lets the loop run what became due.
    func advance(_ ms: Int) async {
        clock.advance(by: .milliseconds(ms))
        await settle()
    }

    func settle() async {
        for _ in 0..<2 { await withCheckedContinuation { c in thread.loop.execute { c.resume() } } }
    }

    /// Waits (without fake time moving) until the tasks in flight have reached `condition`.
    func until(_ condition: () -> Bool) async -> Bool {
        let giveUp = SystemClock.shared.now() + .seconds(10)
        while !condition() {
            if SystemClock.shared.now() > giveUp { return false }
            await Task.yield()
        }
        return true
    }
}

@Suite struct GuardedTransportTests {
    let read = UpstreamHints.read("contacts")
    let write = UpstreamHints.write(invalidating: ["x"])

    @Test func aBurstBeyondTheBucketWaitsForExactSlotsOrIsRefusedPastTheDeadline() async throws {
        let rig = try Rig(RateLimitConfig(general: TokenBucket.Rate(count: 100, per: .seconds(60))))
        defer { rig.stop() }
        let results = Shared<[Result<Int, TransportError>]>([])
        let hints = read
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<150 {
                group.addTask { let r = await rig.send(hints); results.update { $0.append(r) } }
            }
            // 100 go at once; 16 hold slots 0.6 s apart up to the 10 s deadline; 34 are refused.
            #expect(await rig.until { results.value.count == 134 && rig.inner.calls.count == 100 })
            #expect(rig.limiter.snapshot(now: rig.start).queueDepth == 16)
            for k in 1...16 {
                await rig.advance(600)
                #expect(await rig.until { rig.inner.calls.count == 100 + k })
            }
            await group.waitForAll()
        }
        let calls = rig.inner.calls
        #expect(calls.prefix(100).allSatisfy { $0 == rig.start })
        #expect(Array(calls.dropFirst(100)) == (1...16).map { rig.at(600 * $0) })
        let all = results.value
        #expect(all.filter { $0 == .success(200) }.count == 116)
        // The first free slot is at 10.2 s: Retry-After rounds up to 11.
        #expect(all.filter { $0 == .failure(.rateLimited(retryAfterSeconds: 11)) }.count == 34)
        let waits = rig.events.compactMap { e -> Duration? in if case .slot(let w) = e { w } else { nil } }
        #expect(waits.filter { $0 == .zero }.count == 100)
        #expect(waits.filter { $0 > .zero }.sorted() == (1...16).map { Duration.milliseconds(600 * $0) })
        #expect(rig.events.filter { $0 == .rateLimited(retryAfter: .milliseconds(10_200)) }.count == 34)
    }

    @Test func aClientDeadlineShorterThanTheDefaultIsHonoured() async throws {
        let rig = try Rig(RateLimitConfig(general: TokenBucket.Rate(count: 1, per: .seconds(1))))
        defer { rig.stop() }
        var hints = read
        hints.deadline = rig.at(500)
        #expect(await rig.send(hints) == .success(200))
        #expect(await rig.send(hints) == .failure(.rateLimited(retryAfterSeconds: 1)))
        #expect(rig.inner.calls.count == 1)
    }

    @Test func aReadAnswered429IsRetriedAfterTheRetryAfterAndSucceeds() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.inner.then(429, headers: ["Retry-After": "2"])
        rig.inner.then(200)
        async let result = rig.send(read)
        #expect(await rig.until { rig.limiter.snapshot(now: rig.start).pausedUntil == rig.at(2000) })
        await rig.advance(1999)
        #expect(rig.inner.calls.count == 1)
        await rig.advance(1)
        #expect(await result == .success(200))
        #expect(rig.inner.calls == [rig.start, rig.at(2000)])
        #expect(rig.events == [.slot(wait: .zero), .attempt(number: 1), .upstreamRateLimited,
                               .slot(wait: .seconds(2)), .attempt(number: 2)])
    }

    @Test func aWriteAnswered429IsReturnedAsIsAfterOneCall() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.inner.then(429, headers: ["Retry-After": "2"])
        #expect(await rig.send(write) == .success(429))
        #expect(rig.inner.calls == [rig.start])
    }

    @Test func aRetryThatCannotStartBeforeTheDeadlineReturnsThe429() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.inner.then(429, headers: ["Retry-After": "5"])
        var hints = read
        hints.deadline = rig.at(3000)
        #expect(await rig.send(hints) == .success(429))
        #expect(rig.inner.calls.count == 1)
        #expect(!rig.events.contains { if case .rateLimited = $0 { true } else { false } })
    }

    @Test func aReadIsTriedAtMostThreeTimes() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        for _ in 0..<4 { rig.inner.then(fail: .connectionReset) }
        #expect(await rig.send(read) == .failure(.connectionReset))
        #expect(rig.inner.calls == [rig.start, rig.start, rig.start])
    }

    @Test func aReadIsRetriedAfterAConnectionResetAtOnce() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.inner.then(fail: .connectionReset)
        #expect(await rig.send(read) == .success(200))
        #expect(rig.inner.calls == [rig.start, rig.start])
    }

    @Test func aFailedConnectIsRetriedAfterABackoff() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.inner.then(fail: .connectFailed("refused"))
        async let result = rig.send(read)
        // Not just "the upstream was called": the backoff counts from the time the transport
        // reads after the failed call, and the breaker records the failure with that time.
        // Advancing before that read put the retry at 200 ms, a time the test never reaches:
        // the run hung with the loop idle in epoll_wait(-1) (seen in a full --no-parallel run).
        #expect(await rig.until { rig.breaker.state == .closed(consecutiveFailures: 1) })
        await rig.advance(100)
        #expect(await result == .success(200))
        #expect(rig.inner.calls == [rig.start, rig.at(100)])
    }

    @Test func aWritesConnectionErrorIsThrownAsIsAfterOneCall() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.inner.then(fail: .connectionReset)
        #expect(await rig.send(write) == .failure(.connectionReset))
        #expect(rig.inner.calls.count == 1)
    }

    @Test func otherErrorsAreNotRetried() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        rig.inner.then(fail: .tls("bad certificate"))
        #expect(await rig.send(read) == .failure(.tls("bad certificate")))
        #expect(rig.inner.calls.count == 1)
    }

    @Test func anOpenBreakerRefusesWithoutCallingTheUpstream() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        for _ in 0..<5 { rig.inner.then(503) }
        for _ in 0..<5 { #expect(await rig.send(write) == .success(503)) }
        #expect(await rig.send(read) == .failure(.circuitOpen(retryAfterSeconds: 30)))
        #expect(rig.inner.calls.count == 5)
        #expect(rig.events.last == .circuitOpen(retryAfter: .seconds(30)))
        // A refusal by the breaker costs no slot.
        #expect(rig.limiter.snapshot(now: rig.start).general.tokens == 95)
    }

    @Test func upstream4xxAnswersKeepTheBreakerClosed() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        for _ in 0..<6 { rig.inner.then(404) }
        for _ in 0..<6 { #expect(await rig.send(read) == .success(404)) }
        #expect(rig.breaker.stateName(at: rig.start) == "closed")
    }

    @Test func afterTheCooldownOneProbeGoesAndItsSuccessClosesTheBreaker() async throws {
        let rig = try Rig()
        defer { rig.stop() }
        for _ in 0..<5 { rig.breaker.record(success: false, now: rig.start) }
        await rig.advance(30_000)
        #expect(await rig.send(read) == .success(200))
        #expect(rig.breaker.stateName(at: rig.at(30_000)) == "closed")
    }

    @Test func aWaiterWhoseSlotFallsInsideALaterPauseWaitsPastIt() async throws {
        let rig = try Rig(RateLimitConfig(general: TokenBucket.Rate(count: 1, per: .seconds(1))))
        defer { rig.stop() }
        #expect(await rig.send(write) == .success(200))
        async let second = rig.send(write)
        #expect(await rig.until { rig.limiter.snapshot(now: rig.start).queueDepth == 1 })
        // Another loop's call hears a 429 while this one waits for its slot at 1 s.
        rig.limiter.observe(status: 429, headers: ["Retry-After": "3"], now: rig.start)
        await rig.advance(1000)
        #expect(rig.inner.calls.count == 1)
        await rig.advance(2000)
        #expect(await second == .success(200))
        #expect(rig.inner.calls == [rig.start, rig.at(3000)])
    }

    @Test func cancellingAWaitingCallEndsItWithoutCallingTheUpstream() async throws {
        let rig = try Rig(RateLimitConfig(general: TokenBucket.Rate(count: 1, per: .seconds(1))))
        defer { rig.stop() }
        #expect(await rig.send(read) == .success(200))
        let task = Task { await rig.send(read) }
        #expect(await rig.until { rig.limiter.snapshot(now: rig.start).queueDepth == 1 })
        task.cancel()
        #expect(await task.value == .failure(.cancelled))
        #expect(rig.inner.calls.count == 1)
    }

    @Test func statsCountWhatHappened() {
        let stats = GuardStats()
        for e: GuardEvent in [.slot(wait: .zero), .attempt(number: 1), .upstreamRateLimited, .slot(wait: .seconds(2)),
                              .attempt(number: 2), .rateLimited(retryAfter: .seconds(3)), .circuitOpen(retryAfter: .seconds(30))] {
            stats.record(e)
        }
        var expected = GuardStats.Counters()
        expected.attempts = 2
        expected.retries = 1
        expected.waits = 1
        expected.waited = .seconds(2)
        expected.rateLimited = 1
        expected.circuitOpen = 1
        expected.upstreamRateLimited = 1
        #expect(stats.counters == expected)
    }

    @Test func retryAfterSecondsRoundUpAndAreAtLeastOne() {
        #expect(GuardedTransport.wholeSeconds(.milliseconds(10_200)) == 11)
        #expect(GuardedTransport.wholeSeconds(.seconds(2)) == 2)
        #expect(GuardedTransport.wholeSeconds(.milliseconds(1)) == 1)
        #expect(GuardedTransport.wholeSeconds(.zero) == 1)
    }
}
