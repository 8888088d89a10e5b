import Testing
@testable import Gateway
import GatewayCore

/// An instant `ms` milliseconds after the test's origin (ManualClock's default start).
private func t(_ ms: Int) -> LoopInstant { LoopInstant(nanoseconds: 1_000_000_000 + UInt64(ms) * 1_000_000) }

@Suite struct TokenBucketTests {
    @Test func fullBucketLetsItsCapacityGoAtOnce() {
        var b = TokenBucket(count: 100, per: .seconds(60))
        #expect(b.tokens(now: t(0)) == 100)
        for _ in 0..<100 { #expect(b.reserve(now: t(0), deadline: t(10_000)) == .now) }
        #expect(b.tokens(now: t(0)) == 0)
        #expect(b.queueDepth(now: t(0)) == 0)
    }

    @Test func callersBeyondTheCapacityGetSlotsOneIntervalApartInOrder() {
        var b = TokenBucket(count: 100, per: .seconds(60))
        for _ in 0..<100 { _ = b.reserve(now: t(0), deadline: t(10_000)) }
        #expect(b.reserve(now: t(0), deadline: t(10_000)) == .at(t(600)))
        #expect(b.reserve(now: t(0), deadline: t(10_000)) == .at(t(1200)))
        #expect(b.reserve(now: t(100), deadline: t(10_000)) == .at(t(1800)))
        #expect(b.queueDepth(now: t(100)) == 3)
        #expect(b.queueDepth(now: t(600)) == 2)
        #expect(b.queueDepth(now: t(1800)) == 0)
    }

    @Test func aSlotPastTheDeadlineIsRefusedWithTheExactWaitAndNothingTaken() {
        var b = TokenBucket(count: 1, per: .seconds(1))
        #expect(b.reserve(now: t(0), deadline: t(0)) == .now)
        #expect(b.reserve(now: t(0), deadline: t(999)) == .refused(retryAfter: .seconds(1)))
        #expect(b.reserve(now: t(250), deadline: t(999)) == .refused(retryAfter: .milliseconds(750)))
        #expect(b.queueDepth(now: t(250)) == 0)
        #expect(b.reserve(now: t(250), deadline: t(1000)) == .at(t(1000)))
    }

    @Test func tokensRefillContinuously() {
        var b = TokenBucket(count: 100, per: .seconds(60))
        for _ in 0..<100 { _ = b.reserve(now: t(0), deadline: t(0)) }
        #expect(b.tokens(now: t(599)) == 0)
        #expect(b.tokens(now: t(600)) == 1)
        #expect(b.tokens(now: t(6000)) == 10)
        #expect(b.tokens(now: t(600_000)) == 100)
        for _ in 0..<10 { #expect(b.reserve(now: t(6000), deadline: t(6000)) == .now) }
        #expect(b.reserve(now: t(6000), deadline: t(10_000)) == .at(t(6600)))
    }

    @Test func burstSmallerThanTheCountCapsWhatGoesAtOnce() {
        var b = TokenBucket(count: 10, per: .seconds(1), burst: 2)
        #expect(b.tokens(now: t(0)) == 2)
        #expect(b.reserve(now: t(0), deadline: t(0)) == .now)
        #expect(b.reserve(now: t(0), deadline: t(0)) == .now)
        #expect(b.reserve(now: t(0), deadline: t(1000)) == .at(t(100)))
        #expect(b.tokens(now: t(10_000)) == 2)
    }

    @Test func rollingWindowRateNeverPutsMoreThanTheLimitInAnyWindow() {
        let rate = TokenBucket.Rate.rollingWindow(limit: 40, per: .seconds(2), burst: 10)
        #expect(rate == TokenBucket.Rate(count: 31, per: .seconds(2), burst: 10))
        var b = TokenBucket(rate)
        var slots: [LoopInstant] = []
        // Everyone asks at once and takes whatever slot comes: the densest schedule possible.
        for _ in 0..<200 {
            switch b.reserve(now: t(0), deadline: t(60_000)) {
            case .now: slots.append(t(0))
            case .at(let s): slots.append(s)
            case .refused: Issue.record("refused")
            }
        }
        #expect(slots.filter { $0 == t(0) }.count == 10)
        var worst = 0
        for (i, s) in slots.enumerated() {
            let end = s + .seconds(2)
            worst = max(worst, slots[i...].prefix { $0 < end }.count)
        }
        #expect(worst == 40)
    }

    @Test func aPauseMovesEveryLaterSlotPastItThenPacesAtTheSteadyRate() {
        var b = TokenBucket(count: 100, per: .seconds(60))
        _ = b.reserve(now: t(0), deadline: t(0))
        b.pause(until: t(2000))
        #expect(b.tokens(now: t(0)) == 0)
        #expect(b.paused(at: t(0)) == t(2000))
        #expect(b.paused(at: t(2000)) == nil)
        #expect(b.reserve(now: t(0), deadline: t(1999)) == .refused(retryAfter: .seconds(2)))
        #expect(b.reserve(now: t(0), deadline: t(10_000)) == .at(t(2000)))
        #expect(b.reserve(now: t(0), deadline: t(10_000)) == .at(t(2600)))
    }

    @Test func aShorterPauseDoesNotShortenALongerOne() {
        var b = TokenBucket(count: 1, per: .seconds(1))
        b.pause(until: t(5000))
        b.pause(until: t(1000))
        #expect(b.pausedUntil == t(5000))
        #expect(b.reserve(now: t(0), deadline: t(10_000)) == .at(t(5000)))
    }

    @Test func theUpstreamsRemainingCountCapsWhatGoesAtOnce() {
        var b = TokenBucket(count: 40, per: .seconds(2))
        b.limit(remaining: 3, now: t(0))
        #expect(b.tokens(now: t(0)) == 3)
        b.limit(remaining: 30, now: t(0))
        #expect(b.tokens(now: t(0)) == 3)
        for _ in 0..<3 { #expect(b.reserve(now: t(0), deadline: t(0)) == .now) }
        #expect(b.reserve(now: t(0), deadline: t(1000)) == .at(t(50)))
    }
}

@Suite struct RateLimiterTests {
    let textRequest = RateLimitConfig(named: ["send": TokenBucket.Rate(count: 1, per: .seconds(1))])

    @Test func aNamedBucketCallTakesBothBucketsAtTheLaterSlot() {
        let l = RateLimiter(config: textRequest)
        #expect(l.reserve(bucket: "send", now: t(0), deadline: t(10_000)) == .now)
        #expect(l.reserve(bucket: "send", now: t(0), deadline: t(10_000)) == .at(t(1000)))
        #expect(l.reserve(bucket: nil, now: t(0), deadline: t(10_000)) == .now)
        let s = l.snapshot(now: t(0))
        #expect(s.buckets.map(\.name) == ["general", "send"])
        // The general bucket counts the send at its slot (1 s), before the later-asked read: a
        // slot taken out of order costs up to its distance in refill, never lets more through.
        #expect(s.general.tokens == 96)
        #expect(s.queueDepth == 1)
        #expect(s.buckets[1].tokens == 0)
        #expect(s.buckets[1].queueDepth == 1)
    }

    @Test func aRefusalByTheNamedBucketTakesNothingFromTheGeneralOne() {
        let l = RateLimiter(config: textRequest)
        _ = l.reserve(bucket: "send", now: t(0), deadline: t(0))
        #expect(l.reserve(bucket: "send", now: t(0), deadline: t(500)) == .refused(retryAfter: .seconds(1)))
        #expect(l.snapshot(now: t(0)).general.tokens == 99)
    }

    @Test func aRefusalByTheGeneralBucketTakesNothingFromTheNamedOne() {
        let l = RateLimiter(config: RateLimitConfig(general: TokenBucket.Rate(count: 1, per: .seconds(10)),
                                                    named: ["send": TokenBucket.Rate(count: 1, per: .seconds(1))]))
        #expect(l.reserve(bucket: nil, now: t(0), deadline: t(0)) == .now)
        #expect(l.reserve(bucket: "send", now: t(0), deadline: t(5000)) == .refused(retryAfter: .seconds(10)))
        #expect(l.snapshot(now: t(0)).buckets[1].tokens == 1)
    }

    @Test func aBucketNameTheUpstreamDoesNotHaveTakesTheGeneralBucketOnly() {
        let l = RateLimiter(config: textRequest)
        #expect(l.reserve(bucket: "search", now: t(0), deadline: t(0)) == .now)
        #expect(l.snapshot(now: t(0)).buckets.map(\.tokens) == [99, 1])
    }

    @Test func pipedrivesBurstWindowIsTakenByEveryCallAndSearchByItsOwn() {
        let config = RateLimitConfig.defaults(for: "pipedrive")
        #expect(config.general == TokenBucket.Rate(count: 100, per: .seconds(60)))
        #expect(config.everyCall == ["burst"])
        let l = RateLimiter(config: config)
        for _ in 0..<3 { #expect(l.reserve(bucket: "search", now: t(0), deadline: t(0)) == .now) }
        #expect(l.reserve(bucket: "search", now: t(0), deadline: t(0)) == .refused(retryAfter: .milliseconds(250)))
        for _ in 0..<7 { #expect(l.reserve(bucket: nil, now: t(0), deadline: t(0)) == .now) }
        // 2 s / 31 rounded up to the nanosecond.
        #expect(l.reserve(bucket: nil, now: t(0), deadline: t(10_000)) == .at(LoopInstant(nanoseconds: 1_064_516_130)))
        let s = l.snapshot(now: t(0))
        #expect(s.buckets.map(\.name) == ["general", "burst", "search"])
        #expect(s.buckets.map(\.tokens) == [89, 0, 0])
    }

    @Test func textRequestsSendBucketIsOnePerSecond() {
        let config = RateLimitConfig.defaults(for: "textrequest")
        #expect(config.named == ["send": TokenBucket.Rate(count: 1, per: .seconds(1))])
        #expect(config.everyCall.isEmpty)
        #expect(RateLimitConfig.defaults(for: "hotprofile") == RateLimitConfig())
        #expect(RateLimitConfig().maxWaiters == 1000)
    }

    @Test func beyondMaxWaitersACallIsRefusedEvenBeforeItsDeadline() {
        let l = RateLimiter(config: RateLimitConfig(general: TokenBucket.Rate(count: 1, per: .seconds(1)), maxWaiters: 3))
        #expect(l.reserve(bucket: nil, now: t(0), deadline: t(60_000)) == .now)
        for k in 1...3 { #expect(l.reserve(bucket: nil, now: t(0), deadline: t(60_000)) == .at(t(1000 * k))) }
        #expect(l.reserve(bucket: nil, now: t(0), deadline: t(60_000)) == .refused(retryAfter: .seconds(4)))
        #expect(l.snapshot(now: t(0)).queueDepth == 3)
        // Once a waiter's slot has come, there is room again.
        #expect(l.reserve(bucket: nil, now: t(1000), deadline: t(60_000)) == .at(t(4000)))
    }

    @Test func anUpstream429WithRetryAfterPausesEveryCall() {
        let l = RateLimiter(config: textRequest)
        l.observe(status: 429, headers: ["Retry-After": "2"], bucket: "send", now: t(0))
        #expect(l.reserve(bucket: nil, now: t(0), deadline: t(10_000)) == .at(t(2000)))
        let s = l.snapshot(now: t(0))
        #expect(s.pausedUntil == t(2000))
        #expect(s.general.tokens == 0)
        #expect(l.pausedUntil(bucket: "send", now: t(1000)) == t(2000))
        #expect(l.pausedUntil(bucket: "send", now: t(2000)) == nil)
    }

    @Test func aRetryAfterDateWeCannotParseCountsAsOneSecond() {
        let l = RateLimiter()
        l.observe(status: 429, headers: ["Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"], now: t(0))
        #expect(l.snapshot(now: t(0)).pausedUntil == t(1000))
    }

    @Test func a429WithNoHintPausesForOneSecond() {
        let l = RateLimiter()
        l.observe(status: 429, headers: [:], now: t(0))
        #expect(l.snapshot(now: t(0)).pausedUntil == t(1000))
    }

    @Test func pipedrivesRemainingZeroPausesTheBurstWindowUntilTheResetInSeconds() {
        let l = RateLimiter(config: .defaults(for: "pipedrive"))
        l.observe(status: 200, headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"], now: t(0))
        let s = l.snapshot(now: t(0))
        #expect(s.buckets.map(\.pausedUntil) == [nil, t(2000), nil])
        #expect(s.general.tokens == 100)
        #expect(l.reserve(bucket: nil, now: t(0), deadline: t(10_000)) == .at(t(2000)))
    }

    @Test func pipedrives429WithoutRetryAfterUsesTheReset() {
        let l = RateLimiter(config: .defaults(for: "pipedrive"))
        l.observe(status: 429, headers: ["x-ratelimit-limit": "40", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"], now: t(0))
        #expect(l.snapshot(now: t(0)).buckets.map(\.pausedUntil) == [nil, t(1000), nil])
    }

    @Test func aSearchAnswersHeadersDescribeTheSearchWindowOnly() {
        let l = RateLimiter(config: .defaults(for: "pipedrive"))
        l.observe(status: 200, headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"], bucket: "search", now: t(0))
        #expect(l.reserve(bucket: nil, now: t(0), deadline: t(0)) == .now)
        #expect(l.reserve(bucket: "search", now: t(0), deadline: t(10_000)) == .at(t(2000)))
    }

    @Test func aLowRemainingCountSlowsTheWindowWithoutPausingIt() {
        let l = RateLimiter(config: .defaults(for: "pipedrive"))
        l.observe(status: 200, headers: ["x-ratelimit-remaining": "2", "x-ratelimit-reset": "2"], now: t(0))
        let s = l.snapshot(now: t(0))
        #expect(s.buckets.map(\.tokens) == [100, 2, 3])
        #expect(s.pausedUntil == nil)
    }

    @Test func anOrdinaryAnswerChangesNothing() {
        let l = RateLimiter(config: .defaults(for: "pipedrive"))
        l.observe(status: 200, headers: ["Retry-After": "5"], now: t(0))
        l.observe(status: 503, headers: [:], now: t(0))
        #expect(l.snapshot(now: t(0)).buckets.map(\.tokens) == [100, 10, 3])
    }
}
