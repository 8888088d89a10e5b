import GatewayCore

/// The outermost layer in front of an upstream (cache -> breaker -> limiter -> curl), one per
/// event loop around that loop's transport; the entries live in the shared `ResponseCache`.
///
/// - A cacheable read (`hints.cacheClass` set): fresh entry -> served, no upstream call; inside
///   stale-while-revalidate -> served stale while one background fetch refreshes it; otherwise
///   one fetch per key at a time (single flight), its result shared with every request that
///   joined it; a fetch that fails (transport error, refusal by the limiter or breaker, 5xx,
///   429, 408) is answered with the entry if it is inside stale-if-error.
/// - A write (`hints.tags` without a cache class): sent, then every entry with one of its
///   tags is dropped, and fetches in flight for them are kept from storing their answers.
/// - Anything else goes straight through.
///
/// Fetches run in their own task on the loop, not in the requester's: a client that goes
/// away does not abort an upstream call that others joined or that will fill the cache.
public struct CachingTransport: UpstreamTransport {
    /// Set on an upstream request by the API layer when the client sent `Cache-Control:
    /// no-cache`: skip the stored entry and fetch (joining a fetch already under way); the
    /// answer replaces the entry. Removed before the request goes further.
    public static let revalidateHeader = "X-Gateway-Revalidate"

    let inner: any UpstreamTransport
    let cache: ResponseCache
    let config: CacheConfig
    let clock: any LoopClock
    let loop: EventLoop

    public init(inner: any UpstreamTransport, cache: ResponseCache, config: CacheConfig, clock: any LoopClock, loop: EventLoop) {
        self.inner = inner
        self.cache = cache
        self.config = config
        self.clock = clock
        self.loop = loop
    }

    public func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        var request = request
        let forced = request.headers.contains(Self.revalidateHeader)
        if forced { request.headers.remove(Self.revalidateHeader) }
        if let cacheClass = request.hints.cacheClass {
            return try await read(request, policy: config.policy(for: cacheClass), forced: forced)
        }
        if !request.hints.tags.isEmpty { return try await write(request) }
        return try await inner.send(request)
    }

    // MARK: reads

    private func read(_ request: UpstreamRequest, policy: CacheConfig.Policy, forced: Bool) async throws(TransportError) -> UpstreamResponse {
        let key = Self.key(for: request, credentialHeaders: config.credentialHeaders)
        var r = try await lookupOrFetch(request, key: key, policy: policy, forced: forced)
        r.cacheOutcome?.key = key
        return r
    }

    private func lookupOrFetch(_ request: UpstreamRequest, key: String, policy: CacheConfig.Policy, forced: Bool) async throws(TransportError) -> UpstreamResponse {
        if !forced {
            switch cache.lookup(key: key, now: clock.now()) {
            case .fresh(let r, _):
                cache.record(.hit)
                return r
            case .stale(let r, _, revalidate: true):
                cache.record(.stale)
                if case .lead(let flight) = cache.join(key: key, tags: request.hints.tags) {
                    startFetch(flight, key: key, request: request, policy: policy)
                }
                return r
            case .stale(_, _, revalidate: false), .miss:
                break
            }
        }
        switch cache.join(key: key, tags: request.hints.tags) {
        case .lead(let flight):
            cache.record(.miss)
            startFetch(flight, key: key, request: request, policy: policy)
            return try await flight.wait().get()
        case .follow(let flight):
            cache.record(.coalesced)
            var r = try await flight.wait().get()
            if r.cacheOutcome?.kind == .miss { r.cacheOutcome?.kind = .coalesced }
            return r
        }
    }

    private func startFetch(_ flight: SingleFlight, key: String, request: UpstreamRequest, policy: CacheConfig.Policy) {
        let inner = inner, cache = cache, clock = clock
        Task(executorPreference: loop) {
            let result = await Self.fetch(request, key: key, policy: policy, flight: flight, inner: inner, cache: cache, clock: clock)
            cache.complete(flight, key: key, with: result)
        }
    }

    /// One upstream call and what it means for the entry: a 2xx replaces it; any other
    /// answer but a failure drops it (a 404: the item is gone; a 401: the credential no
    /// longer reads it); a failure leaves it, and it answers instead if it is inside
    /// stale-if-error.
    static func fetch(_ request: UpstreamRequest, key: String, policy: CacheConfig.Policy, flight: SingleFlight,
                      inner: any UpstreamTransport, cache: ResponseCache, clock: any LoopClock) async -> SingleFlight.Outcome {
        let answer: SingleFlight.Outcome
        do { answer = .success(try await inner.send(request)) } catch { answer = .failure(error) }
        let now = clock.now()
        if case .success(var r) = answer, !isFailure(status: r.status) {
            if cache.store(key: key, response: r, policy: policy, tags: request.hints.tags, now: now, flight: flight) {
                r.cacheOutcome = CacheOutcome(kind: .miss, age: 0, ttl: wholeSeconds(policy.ttl))
            } else {
                // Not stored (not a 2xx, too big, or a write landed meanwhile): the entry,
                // if any, is older than this answer.
                cache.remove(key: key)
                r.cacheOutcome = CacheOutcome(kind: .miss, age: 0, ttl: 0)
            }
            return .success(r)
        }
        if let stale = cache.usableOnError(key: key, now: now) {
            cache.recordStaleOnError()
            return .success(stale)
        }
        if case .success(var r) = answer {
            r.cacheOutcome = CacheOutcome(kind: .miss, age: 0, ttl: 0)
            return .success(r)
        }
        return answer
    }

    /// Answers that say nothing about the resource, only that the upstream could not answer now.
    static func isFailure(status: Int) -> Bool {
        status >= 500 || status == 429 || status == 408
    }

    // MARK: writes

    /// Invalidates after the write, whatever its answer (a 4xx may still mean the cache was
    /// wrong; a timeout may have landed), unless it was refused before anything was sent.
    /// Not also before: a read during the write may see either state, and a read that starts
    /// during the write and ends after it is a fetch in flight, which the invalidation marks
    /// so it stores nothing; read-your-writes holds from the moment the write returns.
    private func write(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        do {
            let r = try await inner.send(request)
            cache.invalidate(tags: request.hints.tags)
            return r
        } catch {
            if !Self.refusedBeforeSending(error) { cache.invalidate(tags: request.hints.tags) }
            throw error
        }
    }

    static func refusedBeforeSending(_ error: TransportError) -> Bool {
        switch error {
        case .invalidURL, .schemeNotAllowed, .invalidHeader, .invalidMethod, .rateLimited, .circuitOpen: true
        default: false
        }
    }

    // MARK: key

    /// Fixed: keys never leave the process; the hash only keeps credentials (and large
    /// bodies) out of the key.
    private static let keySalt = Array("crm-gateway response cache key v1".utf8)

    /// The identity of the upstream request: method, URL (so the upstream and the query),
    /// body (HotProfile reads are POSTs carrying the API key) and the credential headers,
    /// length-prefixed and hashed (HMAC-SHA-256, hex): tenants never share an entry and no
    /// credential is kept in clear. Other headers (`X-Request-Id`, `Accept`) do not count.
    public static func key(for request: UpstreamRequest, credentialHeaders: [String]) -> String {
        var m: [UInt8] = []
        m.reserveCapacity(request.method.utf8.count + request.url.utf8.count + request.body.count + 64)
        appendField(&m, request.method.utf8)
        appendField(&m, request.url.utf8)
        appendField(&m, request.body)
        for name in credentialHeaders {
            for v in request.headers.values(name) {
                appendField(&m, name.lowercased().utf8)
                appendField(&m, v.utf8)
            }
        }
        return hexString(hmacSHA256(key: keySalt, message: m))
    }

    private static func appendField(_ m: inout [UInt8], _ bytes: some Collection<UInt8>) {
        var n = UInt32(truncatingIfNeeded: bytes.count)
        for _ in 0..<4 {
            m.append(UInt8(truncatingIfNeeded: n))
            n >>= 8
        }
        m.append(contentsOf: bytes)
    }
}
