import GatewayCore
import Synchronization

/// `Idempotency-Key` on POST/PATCH/DELETE (§5): the first response for a key is kept for
/// 24 hours and replayed, without a second upstream call, for a retry with the same method,
/// path and body; the same key with a different request is a 422; a retry that arrives while
/// the first is still running gets a 409 (it must not run twice). Shared by every loop.
///
/// Not kept (a retry runs again): answers the gateway made without reaching any upstream
/// because of a transient condition, 429 and 503. Everything else, 5xx included, is kept:
/// after a 502/504 the write may have happened upstream, and running it again could do it twice.
public final class IdempotencyStore: Sendable {
    public enum Begin: Sendable {
        /// Run the request, then call `finish` (or `abandon`).
        case proceed
        case replay(HTTPResponse)
        case mismatch
        case inProgress
    }

    struct Entry {
        var fingerprint: UInt64
        var response: HTTPResponse?
        var expiresAt: Int64
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let clock: any WallClock
    private let ttlMillis: Int64
    private let maxEntries: Int

    public init(clock: any WallClock = SystemWallClock(), ttl: Duration = .seconds(24 * 3600), maxEntries: Int = 100_000) {
        self.clock = clock
        self.ttlMillis = ttl.components.seconds * 1000
        self.maxEntries = maxEntries
    }

    /// `Idempotency-Key` values: 1-255 visible ASCII characters.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 255 && key.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    static func fingerprint(method: HTTPMethod, path: String, query: String?, body: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        func mix<S: Sequence<UInt8>>(_ s: S) { for b in s { h = (h ^ UInt64(b)) &* 0x100000001b3 }; h = (h ^ 0xFF) &* 0x100000001b3 }
        mix(method.rawValue.utf8)
        mix(path.utf8)
        mix((query ?? "").utf8)
        // The same JSON written with other whitespace is the same request.
        if let json = try? JSON.parse(body) { mix(json.serialized()) } else { mix(body) }
        return h
    }

    public func begin(key: String, method: HTTPMethod, path: String, query: String?, body: [UInt8]) -> Begin {
        let fp = Self.fingerprint(method: method, path: path, query: query, body: body)
        let now = clock.nowMillis()
        return entries.withLock { table in
            if let e = table[key], e.expiresAt > now {
                guard e.fingerprint == fp else { return .mismatch }
                guard let r = e.response else { return .inProgress }
                return .replay(r)
            }
            if table.count >= maxEntries { Self.evict(&table, now: now, max: maxEntries) }
            table[key] = Entry(fingerprint: fp, response: nil, expiresAt: now + ttlMillis)
            return .proceed
        }
    }

    public func finish(key: String, response: HTTPResponse) {
        if response.status == 429 || response.status == 503 { abandon(key: key); return }
        entries.withLock { $0[key]?.response = response }
    }

    public func abandon(key: String) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    public var count: Int { entries.withLock { $0.count } }

    /// Drops expired entries, then the oldest tenth if still full.
    private static func evict(_ table: inout [String: Entry], now: Int64, max: Int) {
        table = table.filter { $0.value.expiresAt > now }
        guard table.count >= max else { return }
        let drop = table.sorted { $0.value.expiresAt < $1.value.expiresAt }.prefix(Swift.max(1, table.count / 10))
        for (k, _) in drop { table.removeValue(forKey: k) }
    }
}
