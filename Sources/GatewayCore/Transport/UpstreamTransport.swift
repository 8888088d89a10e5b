/// The one seam between adapters and the network: a request value in, a response value
/// (or a typed error) out. Adapters are tested against a recording implementation of
/// `UpstreamTransport`; `CurlTransport` is the real one.
public protocol UpstreamTransport: Sendable {
    func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse
}

public struct UpstreamTimeouts: Sendable, Equatable {
    /// DNS + TCP + TLS handshake.
    public var connect: Duration
    /// The whole exchange, connect included.
    public var total: Duration
    /// Abort when fewer than `lowSpeedLimit` bytes/s flow for `lowSpeedTime`.
    /// curl counts `lowSpeedTime` in whole seconds: it is rounded up, minimum 1 s.
    public var lowSpeedLimit: Int
    public var lowSpeedTime: Duration

    public init(
        connect: Duration = .seconds(5),
        total: Duration = .seconds(30),
        lowSpeedLimit: Int = 1,
        lowSpeedTime: Duration = .seconds(10)
    ) {
        self.connect = connect
        self.total = total
        self.lowSpeedLimit = lowSpeedLimit
        self.lowSpeedTime = lowSpeedTime
    }
}

/// What an adapter tells the layers between it and the network (cache, rate limiter,
/// breaker) about one request; curl ignores it.
public struct UpstreamHints: Sendable, Equatable {
    /// A read whose answer may be cached for the TTL of this resource class (`contacts`,
    /// `deals`, `metadata`, ...); nil: never cached. HotProfile reads are POSTs, so this is
    /// the adapter's call, not the method's.
    public var cacheClass: String?
    /// For a read: what the answer is about (`pipedrive:person:5`, `pipedrive:persons`).
    /// For a write: what it changes, so cached reads with any of these tags are dropped.
    public var tags: [String]
    /// Safe to send again after a 429 or a connection error (reads; never a write).
    public var retryable: Bool
    /// The limiter bucket beyond the upstream's general one (`send`: Text Request's one
    /// message per second; `search`: Pipedrive's search window).
    public var bucket: String?
    /// When the client stops waiting (default 10 s after arrival, `Prefer: wait=N` less):
    /// the limiter never queues a request past it, and reads are not retried past it.
    public var deadline: LoopInstant?

    public init(cacheClass: String? = nil, tags: [String] = [], retryable: Bool = false, bucket: String? = nil) {
        self.cacheClass = cacheClass
        self.tags = tags
        self.retryable = retryable
        self.bucket = bucket
    }

    public static func read(_ cacheClass: String?, tags: [String] = []) -> UpstreamHints {
        UpstreamHints(cacheClass: cacheClass, tags: tags, retryable: true)
    }

    public static func write(invalidating tags: [String], bucket: String? = nil) -> UpstreamHints {
        UpstreamHints(cacheClass: nil, tags: tags, retryable: false, bucket: bucket)
    }
}

public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var timeouts: UpstreamTimeouts
    public var maxResponseBytes: Int
    public var hints = UpstreamHints()

    public init(
        method: String = "GET",
        url: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [],
        timeouts: UpstreamTimeouts = UpstreamTimeouts(),
        maxResponseBytes: Int = 16 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
    }
}

public struct UpstreamTimings: Sendable, Equatable {
    /// Each measured from the start of the transfer (curl's CURLINFO_*_TIME_T). On a reused
    /// connection curl reports `connect` and `tls` as zero.
    public var nameLookup: Duration
    public var connect: Duration
    /// TLS handshake done (CURLINFO_APPCONNECT_TIME_T); zero for plain HTTP.
    public var tls: Duration
    public var firstByte: Duration
    public var total: Duration
    /// The transfer ran on a pooled connection (CURLINFO_NUM_CONNECTS == 0).
    public var reusedConnection: Bool
    /// Time the request waited before its transfer began (a rate limiter's queue); set by the
    /// layer that made it wait, zero otherwise.
    public var queued: Duration = .zero

    public init(
        nameLookup: Duration = .zero, connect: Duration = .zero, tls: Duration = .zero,
        firstByte: Duration = .zero, total: Duration = .zero, reusedConnection: Bool = false
    ) {
        self.nameLookup = nameLookup
        self.connect = connect
        self.tls = tls
        self.firstByte = firstByte
        self.total = total
        self.reusedConnection = reusedConnection
    }
}

/// How the cache in front of the transport answered (RFC 9211 `Cache-Status` terms).
public struct CacheOutcome: Sendable, Equatable {
    public enum Kind: String, Sendable { case hit, stale, miss, coalesced }
    public var kind: Kind
    /// Seconds since the stored answer was fetched (0 for a miss).
    public var age: Int
    /// Seconds of freshness left (negative when stale).
    public var ttl: Int
    /// The cache's key for the upstream request (so a layer above can check later, cheaply,
    /// that the answer it built from this one is still fresh).
    public var key: String?

    public init(kind: Kind, age: Int, ttl: Int, key: String? = nil) {
        self.kind = kind
        self.age = age
        self.ttl = ttl
        self.key = key
    }

    /// The same outcome, whatever key it was stored under.
    public static func == (a: CacheOutcome, b: CacheOutcome) -> Bool {
        a.kind == b.kind && a.age == b.age && a.ttl == b.ttl
    }
}

public struct UpstreamResponse: Sendable {
    /// Set by a caching layer; nil when the response came from the network uncached.
    public var cacheOutcome: CacheOutcome?
    public var status: Int
    /// The final response's header fields in arrival order (interim 1xx responses dropped;
    /// chunked trailers, if any, appended).
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// "1.0", "1.1", "2" or "3".
    public var httpVersion: String
    public var timings: UpstreamTimings

    public init(
        status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        httpVersion: String = "1.1", timings: UpstreamTimings = UpstreamTimings()
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
        self.timings = timings
    }

    /// The first field named `name`, compared case-insensitively (RFC 9110 §5.1).
    public func header(_ name: String) -> String? {
        headers[name]
    }
}

/// Why a request got no response. Messages never carry the URL's query, userinfo or
/// any header value, so they are safe to log.
public enum TransportError: Error, Equatable, Sendable {
    // Refused before curl is touched.
    case invalidURL(String)
    case schemeNotAllowed(String)
    case invalidHeader(name: String)
    case invalidMethod(String)
    // From the transfer.
    case connectFailed(String)
    case connectTimeout
    case timeout
    case lowSpeedTimeout
    case responseTooLarge(limit: Int)
    case tls(String)
    case connectionReset
    case protocolError(String)
    case redirectRefused
    case cancelled
    case other(code: Int, message: String)
    // Refused by the layers in front of the transport (nothing was sent).
    /// The rate limiter could not fit the request before its deadline.
    case rateLimited(retryAfterSeconds: Int)
    /// The upstream's circuit breaker is open.
    case circuitOpen(retryAfterSeconds: Int)
}

extension UpstreamRequest {
    /// Header names must be RFC 9110 tokens; values must not contain CR, LF or NUL (which
    /// would let a value smuggle its own header line). Framing headers are the transport's.
    func validateHeaders() throws(TransportError) {
        for h in headers {
            guard isToken(h.name) else { throw .invalidHeader(name: sanitizedName(h.name)) }
            if h.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
                throw .invalidHeader(name: h.name)
            }
            if asciiCaseInsensitiveEquals(h.name, "content-length")
                || asciiCaseInsensitiveEquals(h.name, "transfer-encoding") {
                throw .invalidHeader(name: h.name)
            }
        }
    }

    func hasHeader(_ name: String) -> Bool {
        headers.contains(name)
    }

    func validateMethod() throws(TransportError) {
        guard isToken(method) else { throw .invalidMethod(sanitizedName(method)) }
    }
}

/// RFC 9110 token (tchar+), the parser's own table.
private func isToken(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.allSatisfy(isTchar)
}

/// A rejected name may itself be the injection attempt; keep only its printable start.
private func sanitizedName(_ s: String) -> String {
    String(String.UnicodeScalarView(s.unicodeScalars.prefix { $0.value >= 0x21 && $0.value < 0x7F }.prefix(64)))
}
