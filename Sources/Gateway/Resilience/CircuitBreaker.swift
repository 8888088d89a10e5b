import GatewayCore
import Synchronization

/// One upstream's breaker as a plain value. Closed: calls go, consecutive failures are
/// counted. After `failureThreshold` of them it opens: calls are refused for `cooldown`. Then
/// half-open: exactly one call (the probe) goes; its success closes the breaker, its failure
/// opens it again for a fresh cooldown. A failure is a 5xx answer or a transport error on the
/// way to the upstream; a 4xx is the upstream working as designed, so it counts as a success.
public struct CircuitBreaker: Sendable, Equatable {
    public struct Config: Sendable, Equatable {
        public var failureThreshold: Int
        public var cooldown: Duration

        public init(failureThreshold: Int = 5, cooldown: Duration = .seconds(30)) {
            self.failureThreshold = max(1, failureThreshold)
            self.cooldown = cooldown
        }
    }

    public enum State: Sendable, Equatable {
        case closed(consecutiveFailures: Int)
        case open(until: LoopInstant)
        /// `probeSince`: when the probe in flight was let through (nil: none in flight yet).
        case halfOpen(probeSince: LoopInstant?)
    }

    public enum Allow: Sendable, Equatable {
        case yes
        /// Go, as the one probe of a half-open breaker: report its outcome with `probe: true`.
        case probe
        case no(retryAfter: Duration)
    }

    public let config: Config
    public private(set) var state: State = .closed(consecutiveFailures: 0)

    public init(config: Config = Config()) { self.config = config }

    /// For `/upstreams`.
    public var stateName: String {
        switch state {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half_open"
        }
    }

    /// The state as it stands at `now` (an open breaker whose cooldown is over is half-open).
    public func stateName(at now: LoopInstant) -> String {
        if case .open(let until) = state, now >= until { return "half_open" }
        return stateName
    }

    public mutating func allow(now: LoopInstant) -> Allow {
        switch state {
        case .closed:
            return .yes
        case .open(let until):
            if now < until { return .no(retryAfter: until - now) }
            state = .halfOpen(probeSince: now)
            return .probe
        case .halfOpen(let since):
            // A probe whose outcome never came (its task was cancelled and nobody said so)
            // must not wedge the breaker: after a cooldown another probe may go.
            // While the probe is out, callers are told to come back in a second: its verdict
            // usually takes less.
            if let since, now < since + config.cooldown { return .no(retryAfter: .seconds(1)) }
            state = .halfOpen(probeSince: now)
            return .probe
        }
    }

    /// The outcome of a call that `allow` let through. While half-open only the probe's
    /// outcome counts: a slow call let through before the breaker opened proves little.
    public mutating func record(success: Bool, probe: Bool = false, now: LoopInstant) {
        switch state {
        case .closed(let failures):
            if success {
                state = .closed(consecutiveFailures: 0)
            } else if failures + 1 >= config.failureThreshold {
                state = .open(until: now + config.cooldown)
            } else {
                state = .closed(consecutiveFailures: failures + 1)
            }
        case .open:
            break
        case .halfOpen:
            guard probe else { return }
            state = success ? .closed(consecutiveFailures: 0) : .open(until: now + config.cooldown)
        }
    }

    /// The probe ended with no verdict on the upstream (cancelled, refused by the limiter):
    /// the next call may probe.
    public mutating func abandonProbe() {
        if case .halfOpen = state { state = .halfOpen(probeSince: nil) }
    }
}

/// The breaker of one upstream, shared by every event loop's `GuardedTransport`.
public final class SharedCircuitBreaker: Sendable {
    private let breaker: Mutex<CircuitBreaker>

    public init(config: CircuitBreaker.Config = CircuitBreaker.Config()) {
        breaker = Mutex(CircuitBreaker(config: config))
    }

    public func allow(now: LoopInstant) -> CircuitBreaker.Allow { breaker.withLock { $0.allow(now: now) } }

    public func record(success: Bool, probe: Bool = false, now: LoopInstant) {
        breaker.withLock { $0.record(success: success, probe: probe, now: now) }
    }

    public func abandonProbe() { breaker.withLock { $0.abandonProbe() } }

    public var state: CircuitBreaker.State { breaker.withLock { $0.state } }

    /// "closed" | "open" | "half_open", for `/upstreams`.
    public func stateName(at now: LoopInstant) -> String { breaker.withLock { $0.stateName(at: now) } }
}
