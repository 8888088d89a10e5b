import GatewayCore

/// One rate limit as a plain value: `count` calls per `per`, refilled continuously, up to
/// `burst` at once. Kept as a GCRA "theoretical arrival time" (virtual scheduling) rather than
/// a token count, so a caller that cannot go now is handed its own future slot: waiters are
/// served in the order they asked, and a slot, once handed out, is never given to anyone else.
public struct TokenBucket: Sendable, Equatable {
    public struct Rate: Sendable, Equatable {
        public var count: Int
        public var per: Duration
        /// How many may go at once (the bucket's capacity); `count` when nil.
        public var burst: Int

        public init(count: Int, per: Duration, burst: Int? = nil) {
            precondition(count > 0 && per > .zero, "a rate needs a positive count and interval")
            self.count = count
            self.per = per
            self.burst = max(1, burst ?? count)
        }

        /// A bucket that never lets more than `limit` calls into ANY window of `per`, for an
        /// upstream that counts a rolling window (Pipedrive's burst log). A plain bucket of
        /// `limit` per `per` lets up to 2·limit−1 through one window (a full burst, then the
        /// refill); `burst` at once plus a refill of `limit − burst + 1` per `per` never does.
        public static func rollingWindow(limit: Int, per: Duration, burst: Int) -> Rate {
            let b = min(max(1, burst), limit)
            return Rate(count: limit - b + 1, per: per, burst: b)
        }
    }

    public enum Reservation: Sendable, Equatable {
        /// Go now.
        case now
        /// The slot at this instant is yours (taken): wait until then, then go.
        case at(LoopInstant)
        /// No slot before the deadline; nothing was taken. `retryAfter`: until the earliest slot.
        case refused(retryAfter: Duration)
    }

    public let rate: Rate
    /// Nanoseconds between two slots at the steady rate (rounded up: never faster than asked).
    let emission: UInt64
    /// How far ahead of now the theoretical arrival time may run: (burst − 1) slots.
    let tolerance: UInt64
    /// GCRA's theoretical arrival time: where the next slot would be if nobody had waited.
    private var tat = LoopInstant(nanoseconds: 0)
    /// Set by `pause(until:)`; no slot is handed out before it.
    public private(set) var pausedUntil: LoopInstant?
    /// Slots handed out that are still in the future, ascending (the queue).
    private var pending: [LoopInstant] = []

    public init(_ rate: Rate) {
        self.rate = rate
        let perNs = UInt64(max(1, rate.per.nanoseconds))
        let n = UInt64(rate.count)
        emission = max(1, (perNs + n - 1) / n)
        tolerance = emission.multipliedReportingOverflow(by: UInt64(rate.burst - 1)).partialValue
    }

    public init(count: Int, per: Duration, burst: Int? = nil) {
        self.init(Rate(count: count, per: per, burst: burst))
    }

    /// The earliest instant at which one more call conforms; nothing is taken.
    public func earliestSlot(now: LoopInstant) -> LoopInstant {
        var slot = max(now, LoopInstant(nanoseconds: tat.nanoseconds > tolerance ? tat.nanoseconds - tolerance : 0))
        if let p = pausedUntil { slot = max(slot, p) }
        return slot
    }

    /// Takes the earliest slot if it is no later than `deadline`.
    public mutating func reserve(now: LoopInstant, deadline: LoopInstant) -> Reservation {
        let slot = earliestSlot(now: now)
        // A call that can go now goes, even with a deadline already past (`Prefer: wait=0`).
        if slot > max(deadline, now) { return .refused(retryAfter: slot - now) }
        take(at: slot, now: now)
        return slot <= now ? .now : .at(slot)
    }

    /// Takes the slot at `slot`, which must be no earlier than `earliestSlot(now:)` (a
    /// limiter taking several buckets at once takes each at the latest of their slots). A slot
    /// later than this bucket's own earliest is counted where the call really goes, so a call
    /// asked for after it but going before it is counted after it too: out-of-order slots
    /// cost up to their distance in refill, and never let more through than the rate.
    public mutating func take(at slot: LoopInstant, now: LoopInstant) {
        tat = max(tat, slot) + .nanoseconds(Int64(clamping: emission))
        prune(now: now)
        if slot > now {
            // Slots are mostly handed out in order; one taken late for a combined bucket may not be.
            var i = pending.count
            while i > 0 && pending[i - 1] > slot { i -= 1 }
            pending.insert(slot, at: i)
        }
    }

    /// The upstream said stop until `until` (a 429's `Retry-After`, Pipedrive's
    /// `x-ratelimit-remaining: 0`): no new slot before it, and from it the bucket restarts with
    /// one call, then the steady rate, so a queue built up meanwhile drains at the rate the
    /// upstream allows instead of bursting into an upstream that has just said no. Slots already
    /// handed out are not moved (the caller holding one checks `pausedUntil` when it wakes).
    public mutating func pause(until: LoopInstant) {
        pausedUntil = max(pausedUntil ?? until, until)
        tat = max(tat, until + .nanoseconds(Int64(clamping: tolerance)))
    }

    /// The upstream says only `remaining` calls are left now (Pipedrive's
    /// `x-ratelimit-remaining`): never let more than that go at once from here.
    public mutating func limit(remaining: Int, now: LoopInstant) {
        let r = UInt64(max(0, remaining))
        guard r < UInt64(rate.burst) else { return }
        let ahead = emission.multipliedReportingOverflow(by: UInt64(rate.burst) - r).partialValue
        tat = max(tat, now + .nanoseconds(Int64(clamping: ahead)))
    }

    /// Calls that may go right now, without waiting.
    public func tokens(now: LoopInstant) -> Int {
        if let p = pausedUntil, p > now { return 0 }
        let t = max(tat, now)
        let ahead = t.nanoseconds - now.nanoseconds
        if ahead > tolerance { return 0 }
        return Int((tolerance - ahead) / emission) + 1
    }

    /// Slots handed out that are still in the future: callers waiting for their turn.
    public func queueDepth(now: LoopInstant) -> Int {
        var lo = 0, hi = pending.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pending[mid] <= now { lo = mid + 1 } else { hi = mid }
        }
        return pending.count - lo
    }

    /// When a pause set by the upstream ends, if it has not ended at `now`.
    public func paused(at now: LoopInstant) -> LoopInstant? {
        guard let p = pausedUntil, p > now else { return nil }
        return p
    }

    private mutating func prune(now: LoopInstant) {
        var k = 0
        while k < pending.count && pending[k] <= now { k += 1 }
        if k > 0 { pending.removeFirst(k) }
    }
}
