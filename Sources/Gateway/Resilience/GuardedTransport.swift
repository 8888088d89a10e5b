import GatewayCore
import Synchronization

/// What a `GuardedTransport` did, for metrics: `slot` feeds `crmgw_ratelimit_wait_seconds`,
/// `rateLimited` feeds `crmgw_ratelimit_rejections_total`.
public enum GuardEvent: Sendable, Equatable {
    /// The limiter let the call go after `wait` (zero: at once; a retry reports its own slot).
    case slot(wait: Duration)
    /// No slot before the deadline, or the queue was full: `.rateLimited` was thrown.
    case rateLimited(retryAfter: Duration)
    /// The breaker refused: `.circuitOpen` was thrown.
    case circuitOpen(retryAfter: Duration)
    /// One call of the inner transport; `number` > 1 is a retry.
    case attempt(number: Int)
    /// The upstream answered 429.
    case upstreamRateLimited
}

/// Counters over the events of one upstream's guarded transports (any loop); pass its
/// `record` as the `onEvent` of each.
public final class GuardStats: Sendable {
    public struct Counters: Sendable, Equatable {
        public var attempts = 0
        public var retries = 0
        /// Calls that waited for a future slot, and their total wait.
        public var waits = 0
        public var waited: Duration = .zero
        public var rateLimited = 0
        public var circuitOpen = 0
        public var upstreamRateLimited = 0
    }

    private let state = Mutex(Counters())

    public init() {}

    public var counters: Counters { state.withLock { $0 } }

    public func record(_ event: GuardEvent) {
        state.withLock { c in
            switch event {
            case .slot(let wait):
                if wait > .zero { c.waits += 1; c.waited += wait }
            case .rateLimited: c.rateLimited += 1
            case .circuitOpen: c.circuitOpen += 1
            case .attempt(let n):
                c.attempts += 1
                if n > 1 { c.retries += 1 }
            case .upstreamRateLimited: c.upstreamRateLimited += 1
            }
        }
    }
}

/// The breaker and the rate limiter of one upstream credential in front of a loop's transport
/// (the cache sits outside it: a hit costs no slot). The breaker and the limiter are shared by
/// every loop; a wait for a slot is a timer on this loop.
///
/// Only a request whose hints say `retryable` (a read) is sent again: after an upstream 429
/// (once the pause it caused is over) or a connection-level error, while the next attempt can
/// start before the deadline, at most `maxAttempts` in all. A write's 429 is returned and its
/// error thrown as they are: the client's `Idempotency-Key` makes its own retry safe.
public final class GuardedTransport: UpstreamTransport {
    /// How long a request without `hints.deadline` may wait for a slot (§6).
    public static let defaultWait: Duration = .seconds(10)
    public static let maxAttempts = 3

    private let inner: any UpstreamTransport
    private let loop: EventLoop
    private let limiter: RateLimiter
    private let breaker: SharedCircuitBreaker
    private let clock: any LoopClock
    private let onEvent: (@Sendable (GuardEvent) -> Void)?

    public init(inner: any UpstreamTransport, loop: EventLoop, limiter: RateLimiter, breaker: SharedCircuitBreaker,
                clock: any LoopClock, onEvent: (@Sendable (GuardEvent) -> Void)? = nil) {
        self.inner = inner
        self.loop = loop
        self.limiter = limiter
        self.breaker = breaker
        self.clock = clock
        self.onEvent = onEvent
    }

    public func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        let hints = request.hints
        let deadline = hints.deadline ?? clock.now() + Self.defaultWait
        // The outcome of the previous attempt: what the caller gets when a retry cannot go.
        var last: Result<UpstreamResponse, TransportError>?
        var queued = Duration.zero
        for attempt in 1...Self.maxAttempts {
            let permit = breaker.allow(now: clock.now())
            if case .no(let retryAfter) = permit {
                if let last { return try last.get() }
                onEvent?(.circuitOpen(retryAfter: retryAfter))
                throw .circuitOpen(retryAfterSeconds: Self.wholeSeconds(retryAfter))
            }
            let probe = permit == .probe

            switch await slot(bucket: hints.bucket, deadline: deadline) {
            case .go(let waited):
                queued += waited
            case .refused(let retryAfter):
                if probe { breaker.abandonProbe() }
                if let last { return try last.get() }
                onEvent?(.rateLimited(retryAfter: retryAfter))
                throw .rateLimited(retryAfterSeconds: Self.wholeSeconds(retryAfter))
            case .cancelled:
                if probe { breaker.abandonProbe() }
                throw .cancelled
            }

            onEvent?(.attempt(number: attempt))
            let result: Result<UpstreamResponse, TransportError>
            do throws(TransportError) {
                var response = try await inner.send(request)
                response.timings.queued = queued
                result = .success(response)
            } catch {
                result = .failure(error)
            }
            let now = clock.now()
            switch result {
            case .success(let response):
                limiter.observe(status: response.status, headers: response.headers, bucket: hints.bucket, now: now)
                breaker.record(success: response.status < 500, probe: probe, now: now)
                if response.status == 429 { onEvent?(.upstreamRateLimited) }
                // The pause the 429 set is the wait: the next slot is after it.
                guard response.status == 429, hints.retryable else { return response }
            case .failure(let error):
                switch Self.breakerVerdict(error) {
                case .some(let success): breaker.record(success: success, probe: probe, now: now)
                case .none: if probe { breaker.abandonProbe() }
                }
                guard hints.retryable, Self.isConnectionLevel(error) else { throw error }
                // A reset is usually a pooled connection the server had closed: again at once.
                // Anything else gets a moment first.
                if error != .connectionReset && attempt < Self.maxAttempts {
                    let backoff = Duration.milliseconds(100 << (attempt - 1))
                    guard now + backoff <= deadline else { throw error }
                    guard await sleep(until: now + backoff) else { throw .cancelled }
                }
            }
            last = result
        }
        return try last!.get()
    }

    private enum SlotOutcome { case go(waited: Duration), refused(Duration), cancelled }

    /// Takes a slot and waits for it. A slot handed out before the upstream paused the bucket
    /// would land inside the pause: the caller then takes a new one after it.
    private func slot(bucket: String?, deadline: LoopInstant) async -> SlotOutcome {
        var waited = Duration.zero
        while true {
            let now = clock.now()
            switch limiter.reserve(bucket: bucket, now: now, deadline: deadline) {
            case .now:
                onEvent?(.slot(wait: waited))
                return .go(waited: waited)
            case .refused(let retryAfter):
                return .refused(retryAfter)
            case .at(let instant):
                guard await sleep(until: instant) else { return .cancelled }
                waited += instant - now
                if limiter.pausedUntil(bucket: bucket, now: clock.now()) == nil {
                    onEvent?(.slot(wait: waited))
                    return .go(waited: waited)
                }
            }
        }
    }

    /// Waits on this loop's timers until `instant`; false when the task was cancelled first.
    private func sleep(until instant: LoopInstant) async -> Bool {
        let waiter = TimerWaiter()
        let loop = self.loop
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                loop.execute { waiter.start(on: loop, at: instant, c) }
            }
        } onCancel: {
            loop.execute { waiter.cancel() }
        }
    }

    /// The breaker's view of a transport error: true/false for an upstream that worked/failed,
    /// nil when the upstream had no say (our own refusals, a request we would not send, a cancel).
    static func breakerVerdict(_ error: TransportError) -> Bool? {
        switch error {
        case .connectFailed, .connectTimeout, .timeout, .lowSpeedTimeout, .tls, .connectionReset, .protocolError, .other:
            return false
        case .responseTooLarge, .redirectRefused:
            return true
        case .invalidURL, .schemeNotAllowed, .invalidHeader, .invalidMethod, .cancelled, .rateLimited, .circuitOpen:
            return nil
        }
    }

    /// Errors after which the same read may simply be sent again.
    static func isConnectionLevel(_ error: TransportError) -> Bool {
        switch error {
        case .connectFailed, .connectionReset, .connectTimeout, .timeout, .lowSpeedTimeout: true
        default: false
        }
    }

    /// `Retry-After` is whole seconds: round up, at least 1.
    static func wholeSeconds(_ d: Duration) -> Int {
        let ns = d.nanoseconds
        guard ns > 0 else { return 1 }
        return Int(max(1, (ns + 999_999_999) / 1_000_000_000))
    }
}

/// One wait on a loop timer. Touched only on the loop thread (start, the timer, cancel all
/// run there), which is what makes the unchecked Sendable sound.
private final class TimerWaiter: @unchecked Sendable {
    private var continuation: CheckedContinuation<Bool, Never>?
    private var timer: LoopTimer?
    private var cancelled = false

    func start(on loop: EventLoop, at instant: LoopInstant, _ c: CheckedContinuation<Bool, Never>) {
        if cancelled { c.resume(returning: false); return }
        continuation = c
        timer = loop.schedule(at: instant) { [self] in finish(true) }
    }

    func cancel() {
        cancelled = true
        timer?.cancel()
        finish(false)
    }

    private func finish(_ value: Bool) {
        guard let c = continuation else { return }
        continuation = nil
        timer = nil
        c.resume(returning: value)
    }
}
