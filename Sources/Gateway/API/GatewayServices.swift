import GatewayCore
import Logging
import Synchronization

/// What the unified API's handlers share: the adapters, one upstream transport per event loop
/// (curl's multi handle lives on its loop), the idempotency store and what each upstream last
/// did (for `/upstreams`).
public final class GatewayServices: Sendable {
    public let adapters: [any SourceAdapter]
    /// Where each configured upstream is (credentials are never shown from here).
    public let settings: [String: UpstreamSettings]
    public let idempotency: IdempotencyStore
    public let board = UpstreamBoard()
    public let metrics: MetricsRegistry
    /// One response cache for every loop (§6); nil when caching is off.
    public let cache: ResponseCache?
    public let cacheConfig: CacheConfig
    /// Per upstream, cache-class TTLs that differ from `cacheConfig`'s (configuration).
    let cacheTTLs: [String: [String: Duration]]
    /// Unified answers built from cached upstream answers (nil when caching is off).
    public let rendered: RenderedCache?
    /// `crmgw_cache_lookups_total{result="hit"}` as the rendered-answer fast path counts it.
    let renderedHits: MetricsRegistry.Counter
    let clock: any WallClock
    private let makeTransport: @Sendable (EventLoop) throws -> any UpstreamTransport
    /// Keyed by loop and upstream; the loop's bare curl transport has source "".
    private struct StackKey: Hashable { var loop: ObjectIdentifier; var source: String }
    private let transports = Mutex<[StackKey: any UpstreamTransport]>([:])
    /// Per upstream, shared by every loop: its rate limiter and its circuit breaker (§6).
    public let limiters: [String: RateLimiter]
    public let breakers: [String: SharedCircuitBreaker]
    /// The durable webhook inbox (§7); nil when no event store is configured.
    public let inbox: WebhookInbox?
    /// Upstream failures (5xx, transport errors) are logged here at warning level.
    let logger: Logger?

    /// `makeTransport` builds the transport of one loop, on first use from that loop.
    public init(adapters: [any SourceAdapter], settings: [String: UpstreamSettings] = [:], clock: any WallClock = SystemWallClock(),
                idempotency: IdempotencyStore? = nil, metrics: MetricsRegistry = GatewayMetrics.registry(),
                cacheConfig: CacheConfig? = CacheConfig(), cacheTTLs: [String: [String: Duration]] = [:],
                limits: [String: RateLimitConfig]? = nil, inbox: WebhookInbox? = nil, logger: Logger? = nil,
                makeTransport: @escaping @Sendable (EventLoop) throws -> any UpstreamTransport) {
        self.adapters = adapters
        self.settings = settings
        self.metrics = metrics
        self.renderedHits = metrics.counter(GatewayMetrics.cacheLookups, [("result", "hit")])
        self.cacheConfig = cacheConfig ?? CacheConfig()
        self.cacheTTLs = cacheTTLs
        self.cache = cacheConfig.map { ResponseCache(config: $0) }
        self.rendered = cacheConfig == nil ? nil : RenderedCache()
        var limiters: [String: RateLimiter] = [:]
        var breakers: [String: SharedCircuitBreaker] = [:]
        for a in adapters {
            limiters[a.source] = RateLimiter(config: limits?[a.source] ?? .defaults(for: a.source))
            breakers[a.source] = SharedCircuitBreaker()
        }
        self.limiters = limiters
        self.inbox = inbox
        self.logger = logger
        self.breakers = breakers
        self.clock = clock
        self.idempotency = idempotency ?? IdempotencyStore(clock: clock)
        self.makeTransport = makeTransport
    }

    /// Curl on every loop; plain http only to loopback, and only when asked (the sandbox).
    public static func curl(allowPlainHTTPToLoopback: Bool) -> @Sendable (EventLoop) throws -> any UpstreamTransport {
        { loop in
            var config = CurlTransportConfiguration()
            config.allowPlainHTTPToLoopback = allowPlainHTTPToLoopback
            return try CurlTransport(loop: loop, configuration: config)
        }
    }

    /// One stack per (loop, upstream), outermost first: the cache (hits cost no upstream call
    /// and no rate-limit token), the breaker and the limiter, then the loop's curl.
    func transport(for loop: EventLoop, source: String) -> (any UpstreamTransport)? {
        let key = StackKey(loop: ObjectIdentifier(loop), source: source)
        if let t = transports.withLock({ $0[key] }) { return t }
        let curlKey = StackKey(loop: ObjectIdentifier(loop), source: "")
        var raw = transports.withLock { $0[curlKey] }
        if raw == nil {
            guard let made = try? makeTransport(loop) else { return nil }
            raw = transports.withLock { table in
                if let existing = table[curlKey] { return existing }
                table[curlKey] = made
                return made
            }
        }
        guard var t = raw else { return nil }
        if let limiter = limiters[source], let breaker = breakers[source] {
            let metrics = self.metrics
            t = GuardedTransport(inner: t, loop: loop, limiter: limiter, breaker: breaker, clock: loop.clock) { event in
                if case .slot(let wait) = event {
                    metrics.observe(GatewayMetrics.rateLimitWait, [("upstream", source)], Double(wait.nanoseconds) / 1e9)
                }
            }
        }
        if let cache {
            var config = cacheConfig
            for (cacheClass, ttl) in cacheTTLs[source] ?? [:] { config.setTTL(ttl, for: cacheClass) }
            t = CachingTransport(inner: t, cache: cache, config: config, clock: loop.clock, loop: loop)
        }
        let stack = t
        return transports.withLock { table in
            if let existing = table[key] { return existing }
            table[key] = stack
            return stack
        }
    }

    /// The context of one adapter call: the loop's transport, wrapped so the board sees
    /// every upstream answer of `source`.
    func context(source: String, request: RequestContext) -> AdapterContext {
        let inner = transport(for: request.loop, source: source) ?? UnavailableTransport()
        return AdapterContext(transport: BoardTransport(inner: inner, source: source, board: board, clock: clock, record: request.record,
                                                        metrics: metrics, logger: logger, requestID: request.requestID),
                              requestID: request.requestID)
    }

    func adapter(_ source: String) -> (any SourceAdapter)? { adapters.first { $0.source == source } }
}

/// What each upstream last did, for `/upstreams`.
public final class UpstreamBoard: Sendable {
    public struct Entry: Sendable {
        public var calls = 0
        public var failures = 0
        public var lastStatus: Int?
        public var lastError: String?
        public var lastAt: Int64?
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    func record(_ source: String, status: Int?, error: String?, at: Int64) {
        entries.withLock { t in
            var e = t[source] ?? Entry()
            e.calls += 1
            e.lastAt = at
            e.lastStatus = status
            if let error { e.failures += 1; e.lastError = error } else if let s = status, s >= 500 { e.failures += 1; e.lastError = "HTTP \(s)" } else { e.lastError = nil }
            t[source] = e
        }
    }

    public func entry(_ source: String) -> Entry? { entries.withLock { $0[source] } }
}

/// The per-request end of the transport stack: applies the client's deadline and
/// revalidation wish to every upstream call, and notes each answer on the board (for
/// `/upstreams`) and in the request's record (for `Cache-Status` and `sources`).
struct BoardTransport: UpstreamTransport {
    let inner: any UpstreamTransport
    let source: String
    let board: UpstreamBoard
    let clock: any WallClock
    let record: RequestRecord
    let metrics: MetricsRegistry
    let logger: Logger?
    let requestID: String

    func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        var request = request
        if request.hints.deadline == nil { request.hints.deadline = record.deadline }
        if record.revalidate && request.hints.cacheClass != nil { request.headers.replaceOrAdd("X-Gateway-Revalidate", "1") }
        do {
            let r = try await inner.send(request)
            if let outcome = r.cacheOutcome {
                metrics.increment(GatewayMetrics.cacheLookups, [("result", outcome.kind.rawValue)])
            }
            // Answers served by the cache are not upstream calls.
            if r.cacheOutcome == nil || r.cacheOutcome?.kind == .miss {
                board.record(source, status: r.status, error: nil, at: clock.nowMillis())
                metrics.increment(GatewayMetrics.upstreamRequests, [("upstream", source), ("code", String(r.status))])
                metrics.observe(GatewayMetrics.upstreamDuration, [("upstream", source)], Double(r.timings.total.nanoseconds) / 1e9)
            }
            let fromNetwork = r.cacheOutcome == nil || r.cacheOutcome?.kind == .miss
            if fromNetwork && r.status >= 500 {
                logger?.warning("upstream error", metadata: ["request_id": .string(requestID), "upstream": .string(source),
                                                             "status": .stringConvertible(r.status), "ms": .stringConvertible(Int(r.timings.total.nanoseconds / 1_000_000))])
            }
            record.add(.init(source: source, status: r.status, cache: r.cacheOutcome,
                             network: fromNetwork ? r.timings.total : nil, queued: r.timings.queued))
            return r
        } catch {
            switch error {
            case .rateLimited:
                metrics.increment(GatewayMetrics.rateLimitRejections, [("upstream", source)])
            case .circuitOpen:
                break
            default:
                // TransportError's text never carries a URL query, userinfo or header value.
                logger?.warning("upstream unreachable", metadata: ["request_id": .string(requestID), "upstream": .string(source),
                                                                   "error": .string("\(error)")])
                board.record(source, status: nil, error: "\(error)", at: clock.nowMillis())
                metrics.increment(GatewayMetrics.upstreamRequests, [("upstream", source), ("code", "error")])
            }
            record.add(.init(source: source, status: nil, cache: nil))
            throw error
        }
    }
}

struct UnavailableTransport: UpstreamTransport {
    func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        throw .connectFailed("no upstream transport on this event loop")
    }
}
