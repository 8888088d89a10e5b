import GatewayCore

/// How long cached upstream reads live, per cache class (`UpstreamHints.cacheClass`), and how
/// much memory the cache may hold (PRODUCT.md §6).
public struct CacheConfig: Sendable, Equatable {
    /// The life of one entry, measured from when the answer arrived:
    /// `[0, ttl)` fresh; then `[ttl, ttl + staleWhileRevalidate)` served stale while one
    /// background fetch refreshes it (RFC 5861 §3); `[ttl, ttl + staleIfError)` served stale
    /// only when the upstream fails or refuses (RFC 5861 §4). The windows overlap; each is
    /// counted from the end of freshness.
    public struct Policy: Sendable, Equatable {
        public var ttl: Duration
        public var staleWhileRevalidate: Duration
        public var staleIfError: Duration

        public init(ttl: Duration, staleWhileRevalidate: Duration = .seconds(30), staleIfError: Duration = .seconds(300)) {
            self.ttl = ttl
            self.staleWhileRevalidate = staleWhileRevalidate
            self.staleIfError = staleIfError
        }

        /// How long after its arrival an entry can still be of any use.
        public var lifetime: Duration { ttl + max(staleWhileRevalidate, staleIfError) }

        /// What an entry of this age may be used for. Fresh means `age < ttl` (RFC 9111 §4.2:
        /// fresh while the freshness lifetime exceeds the age), so at `ttl` exactly it is stale.
        public func freshness(age: Duration) -> Freshness {
            if age < ttl { return .fresh }
            let past = age - ttl
            let revalidate = past < staleWhileRevalidate
            let onError = past < staleIfError
            if revalidate { return .staleWhileRevalidate(usableOnError: onError) }
            if onError { return .staleIfErrorOnly }
            return .expired
        }
    }

    public enum Freshness: Sendable, Equatable {
        case fresh
        /// Serve it now and refresh it in the background.
        case staleWhileRevalidate(usableOnError: Bool)
        /// Fetch; serve it only if the fetch fails.
        case staleIfErrorOnly
        /// Useless: drop it.
        case expired
    }

    /// Per cache class; a class not listed uses `defaultPolicy`.
    public var classes: [String: Policy]
    public var defaultPolicy: Policy
    /// Approximate bytes of all entries together (see `ResponseCache.cost`); least recently
    /// used entries are evicted past it.
    public var maxBytes: Int
    /// An answer costing more than this is not stored (one huge list must not flush the cache).
    public var maxEntryBytes: Int
    /// Request header fields whose values are credentials: part of the cache key (so tenants
    /// never share entries), only ever as a hash. Compared case-insensitively.
    public var credentialHeaders: [String]

    public init(
        classes: [String: Policy] = CacheConfig.standardClasses,
        defaultPolicy: Policy = Policy(ttl: .seconds(30)),
        maxBytes: Int = 64 << 20,
        maxEntryBytes: Int = 8 << 20,
        credentialHeaders: [String] = ["authorization", "proxy-authorization", "cookie", "x-api-key", "x-api-token"]
    ) {
        self.classes = classes
        self.defaultPolicy = defaultPolicy
        self.maxBytes = maxBytes
        self.maxEntryBytes = maxEntryBytes
        self.credentialHeaders = credentialHeaders
    }

    public func policy(for cacheClass: String) -> Policy {
        classes[cacheClass] ?? defaultPolicy
    }

    /// Sets the TTL of one class, keeping its (or the default) stale windows.
    public mutating func setTTL(_ ttl: Duration, for cacheClass: String) {
        var p = policy(for: cacheClass)
        p.ttl = ttl
        classes[cacheClass] = p
    }

    /// Messages and conversations move fast; pipelines, stages and custom-field definitions
    /// (`metadata`) hardly ever change, so no read pays for them twice.
    public static let standardClasses: [String: Policy] = [
        "contacts": Policy(ttl: .seconds(30)),
        "companies": Policy(ttl: .seconds(60)),
        "deals": Policy(ttl: .seconds(30)),
        "activities": Policy(ttl: .seconds(30)),
        "notes": Policy(ttl: .seconds(30)),
        "messages": Policy(ttl: .seconds(5)),
        "conversations": Policy(ttl: .seconds(10)),
        "metadata": Policy(ttl: .seconds(600)),
    ]
}
