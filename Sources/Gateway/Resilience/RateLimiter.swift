import GatewayCore
import Synchronization

/// The limits of one upstream credential.
public struct RateLimitConfig: Sendable, Equatable {
    /// Every call takes one slot of this bucket.
    public var general: TokenBucket.Rate
    /// Finer upstream limits, by the name an adapter puts in `UpstreamHints.bucket`.
    public var named: [String: TokenBucket.Rate]
    /// Names in `named` that every call takes as well (Pipedrive's burst window counts all calls).
    public var everyCall: [String]
    /// Callers allowed to wait for a future slot at once; beyond, refused at once.
    public var maxWaiters: Int

    public init(general: TokenBucket.Rate = TokenBucket.Rate(count: 100, per: .seconds(60)),
                named: [String: TokenBucket.Rate] = [:], everyCall: [String] = [], maxWaiters: Int = 1000) {
        self.general = general
        self.named = named
        self.everyCall = everyCall.filter { named[$0] != nil }
        self.maxWaiters = maxWaiters
    }

    /// The seed connectors' table (100 calls per 60 s per connection) for every upstream, plus
    /// the upstream's own finer limits where known.
    public static func defaults(for source: String) -> RateLimitConfig {
        switch source {
        case PipedriveClient.source:
            // Pipedrive counts a rolling 2 s log (40 calls on the plan we emulate; search: its
            // own log of 10, and a search also counts in the burst log). A plain 40-per-2-s bucket
            // would let 79 into one window, so these never exceed the log, with a small burst.
            return RateLimitConfig(
                named: [
                    "burst": .rollingWindow(limit: 40, per: .seconds(2), burst: 10),
                    "search": .rollingWindow(limit: 10, per: .seconds(2), burst: 3),
                ],
                everyCall: ["burst"])
        case TextRequestAdapter.sourceName:
            // One message per second on a non-10DLC number.
            return RateLimitConfig(named: ["send": TokenBucket.Rate(count: 1, per: .seconds(1))])
        default:
            return RateLimitConfig()
        }
    }
}

/// The buckets of one upstream credential, shared by every event loop. A call takes a slot in
/// the general bucket, in each `everyCall` bucket and in the bucket it names, all at the same
/// instant (the latest of their earliest slots) or none at all.
public final class RateLimiter: Sendable {
    public typealias Decision = TokenBucket.Reservation

    public struct BucketState: Sendable, Equatable {
        /// "general" or the bucket's name.
        public var name: String
        public var rate: TokenBucket.Rate
        /// Calls that may go now without waiting.
        public var tokens: Int
        /// Callers holding a future slot.
        public var queueDepth: Int
        /// The end of a pause the upstream asked for, if it lasts past now.
        public var pausedUntil: LoopInstant?
    }

    /// What `/upstreams` shows: the general bucket first, then the named ones by name.
    public struct Snapshot: Sendable, Equatable {
        public var buckets: [BucketState]
        public var general: BucketState { buckets[0] }
        public var queueDepth: Int { buckets[0].queueDepth }
        /// The longest pause in force on any bucket.
        public var pausedUntil: LoopInstant? { buckets.compactMap(\.pausedUntil).max() }
    }

    public let config: RateLimitConfig
    private struct State {
        var general: TokenBucket
        var named: [String: TokenBucket]
    }
    private let state: Mutex<State>

    public init(config: RateLimitConfig = RateLimitConfig()) {
        self.config = config
        state = Mutex(State(general: TokenBucket(config.general), named: config.named.mapValues { TokenBucket($0) }))
    }

    /// A slot for one call; `bucket` is `UpstreamHints.bucket` (a name this upstream does not
    /// have is ignored: the call takes the general bucket only).
    public func reserve(bucket: String?, now: LoopInstant, deadline: LoopInstant) -> Decision {
        let names = bucketNames(bucket)
        let maxWaiters = config.maxWaiters
        return state.withLock { s in
            var slot = s.general.earliestSlot(now: now)
            for n in names { slot = max(slot, s.named[n]!.earliestSlot(now: now)) }
            // A call that can go now goes, even with a deadline already past (`Prefer: wait=0`).
            if slot > max(deadline, now) { return .refused(retryAfter: slot - now) }
            if slot > now && s.general.queueDepth(now: now) >= maxWaiters { return .refused(retryAfter: slot - now) }
            s.general.take(at: slot, now: now)
            for n in names { s.named[n]!.take(at: slot, now: now) }
            return slot <= now ? .now : .at(slot)
        }
    }

    /// The end of a pause in force at `now` on any bucket a call naming `bucket` takes. A caller
    /// that waited for a slot handed out before the pause asks this when it wakes.
    public func pausedUntil(bucket: String?, now: LoopInstant) -> LoopInstant? {
        let names = bucketNames(bucket)
        return state.withLock { s in
            var p = s.general.paused(at: now)
            for n in names { if let q = s.named[n]!.paused(at: now) { p = max(p ?? q, q) } }
            return p
        }
    }

    /// Applies what the upstream said about its limits in one answer to a call that took `bucket`.
    /// - 429 with `Retry-After` (delay-seconds; an HTTP-date, which we do not parse, counts as
    ///   1 s): every call of this credential pauses that long.
    /// - Pipedrive's `x-ratelimit-remaining` / `x-ratelimit-reset` (the reset is SECONDS until
    ///   the window frees a slot, not an epoch) describe the window the call counted in: the one
    ///   it named, else the `everyCall` ones, else the general bucket. Remaining 0 pauses that
    ///   window until the reset; a smaller remaining than we thought caps what goes at once.
    /// - A 429 with neither pauses everything for 1 s.
    public func observe(status: Int, headers: HTTPHeaders, bucket: String? = nil, now: LoopInstant) {
        let retryAfter = headers["Retry-After"].map(Self.retryAfterSeconds)
        let remaining = headers["x-ratelimit-remaining"].flatMap { Int($0.trimmingSpaces) }
        let reset = headers["x-ratelimit-reset"].flatMap { Int($0.trimmingSpaces) }.map { max(0, $0) }
        guard status == 429 || remaining != nil else { return }
        let windows = windowNames(bucket)
        state.withLock { s in
            func each(_ body: (inout TokenBucket) -> Void) {
                if windows.isEmpty { body(&s.general) } else { for n in windows { body(&s.named[n]!) } }
            }
            if status == 429 {
                if let retryAfter {
                    s.general.pause(until: now + .seconds(retryAfter))
                } else if reset == nil {
                    s.general.pause(until: now + .seconds(1))
                }
            }
            if let remaining {
                if remaining <= 0 || status == 429 {
                    let until = now + .seconds(reset ?? 1)
                    each { $0.pause(until: until) }
                } else {
                    each { $0.limit(remaining: remaining, now: now) }
                }
            } else if status == 429, retryAfter == nil, let reset {
                each { $0.pause(until: now + .seconds(reset)) }
            }
        }
    }

    public func snapshot(now: LoopInstant) -> Snapshot {
        state.withLock { s in
            func describe(_ name: String, _ b: TokenBucket) -> BucketState {
                BucketState(name: name, rate: b.rate, tokens: b.tokens(now: now), queueDepth: b.queueDepth(now: now),
                            pausedUntil: b.paused(at: now))
            }
            var out = [describe("general", s.general)]
            for name in s.named.keys.sorted() { out.append(describe(name, s.named[name]!)) }
            return Snapshot(buckets: out)
        }
    }

    /// The named buckets a call naming `bucket` takes besides the general one.
    private func bucketNames(_ bucket: String?) -> [String] {
        var names = config.everyCall
        if let bucket, config.named[bucket] != nil, !names.contains(bucket) { names.append(bucket) }
        return names
    }

    /// The buckets an upstream's window headers describe, for a call that named `bucket`
    /// (empty: the general bucket).
    private func windowNames(_ bucket: String?) -> [String] {
        if let bucket, config.named[bucket] != nil { return [bucket] }
        return config.everyCall
    }

    /// `Retry-After` as delay-seconds (RFC 9110 §10.2.3); anything else (an HTTP-date) is 1 s.
    static func retryAfterSeconds(_ value: String) -> Int {
        let v = value.trimmingSpaces
        guard !v.isEmpty, v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return 1 }
        return Int(v) ?? 1
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
