import Testing
@testable import Gateway
import GatewayCore

private func t(_ ms: Int) -> LoopInstant { LoopInstant(nanoseconds: 1_000_000_000 + UInt64(ms) * 1_000_000) }

@Suite struct CircuitBreakerTests {
    private func opened(at ms: Int = 0) -> CircuitBreaker {
        var b = CircuitBreaker()
        for _ in 0..<5 { b.record(success: false, now: t(ms)) }
        return b
    }

    @Test func staysClosedBelowTheThreshold() {
        var b = CircuitBreaker()
        for _ in 0..<4 { b.record(success: false, now: t(0)) }
        #expect(b.state == .closed(consecutiveFailures: 4))
        #expect(b.allow(now: t(0)) == .yes)
        #expect(b.stateName == "closed")
    }

    @Test func aSuccessResetsTheFailureCount() {
        var b = CircuitBreaker()
        for _ in 0..<4 { b.record(success: false, now: t(0)) }
        b.record(success: true, now: t(0))
        for _ in 0..<4 { b.record(success: false, now: t(0)) }
        #expect(b.state == .closed(consecutiveFailures: 4))
    }

    @Test func opensAfterFiveConsecutiveFailuresAndRefusesUntilTheCooldownEnds() {
        var b = opened()
        #expect(b.state == .open(until: t(30_000)))
        #expect(b.stateName == "open")
        #expect(b.allow(now: t(0)) == .no(retryAfter: .seconds(30)))
        #expect(b.allow(now: t(10_000)) == .no(retryAfter: .seconds(20)))
        #expect(b.stateName(at: t(29_999)) == "open")
        #expect(b.stateName(at: t(30_000)) == "half_open")
    }

    @Test func afterTheCooldownExactlyOneProbeGoes() {
        var b = opened()
        #expect(b.allow(now: t(30_000)) == .probe)
        #expect(b.stateName == "half_open")
        #expect(b.allow(now: t(30_000)) == .no(retryAfter: .seconds(1)))
        #expect(b.allow(now: t(31_000)) == .no(retryAfter: .seconds(1)))
    }

    @Test func aSuccessfulProbeCloses() {
        var b = opened()
        _ = b.allow(now: t(30_000))
        b.record(success: true, probe: true, now: t(30_100))
        #expect(b.state == .closed(consecutiveFailures: 0))
        #expect(b.allow(now: t(30_100)) == .yes)
    }

    @Test func aFailedProbeOpensAgainForAFreshCooldown() {
        var b = opened()
        _ = b.allow(now: t(30_000))
        b.record(success: false, probe: true, now: t(30_500))
        #expect(b.state == .open(until: t(60_500)))
        #expect(b.allow(now: t(60_000)) == .no(retryAfter: .milliseconds(500)))
        #expect(b.allow(now: t(60_500)) == .probe)
    }

    @Test func whileHalfOpenOnlyTheProbesOutcomeCounts() {
        var b = opened()
        _ = b.allow(now: t(30_000))
        b.record(success: true, now: t(30_001))
        b.record(success: false, now: t(30_002))
        #expect(b.state == .halfOpen(probeSince: t(30_000)))
    }

    @Test func outcomesArrivingWhileOpenChangeNothing() {
        var b = opened()
        b.record(success: true, now: t(1000))
        b.record(success: false, now: t(2000))
        #expect(b.state == .open(until: t(30_000)))
    }

    @Test func anAbandonedProbeLetsTheNextCallProbe() {
        var b = opened()
        _ = b.allow(now: t(30_000))
        b.abandonProbe()
        #expect(b.allow(now: t(30_001)) == .probe)
    }

    @Test func aProbeThatNeverReportsDoesNotWedgeTheBreaker() {
        var b = opened()
        _ = b.allow(now: t(30_000))
        #expect(b.allow(now: t(59_999)) == .no(retryAfter: .seconds(1)))
        #expect(b.allow(now: t(60_000)) == .probe)
    }

    @Test func thresholdAndCooldownComeFromConfig() {
        var b = CircuitBreaker(config: .init(failureThreshold: 2, cooldown: .seconds(5)))
        b.record(success: false, now: t(0))
        b.record(success: false, now: t(0))
        #expect(b.state == .open(until: t(5000)))
    }

    @Test func theSharedBreakerReportsItsStateForUpstreams() {
        let shared = SharedCircuitBreaker()
        for _ in 0..<5 { shared.record(success: false, now: t(0)) }
        #expect(shared.stateName(at: t(0)) == "open")
        #expect(shared.allow(now: t(30_000)) == .probe)
        #expect(shared.stateName(at: t(30_000)) == "half_open")
        shared.record(success: true, probe: true, now: t(30_000))
        #expect(shared.stateName(at: t(30_000)) == "closed")
    }
}
