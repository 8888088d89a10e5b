#if canImport(Glibc)
import Glibc
#endif
import GatewayCore
import Synchronization

/// One calling application's API key, as configured: only the key's SHA-256 is kept (the
/// configuration never holds the key itself), what it may do, and its own request rate.
public struct ClientKey: Sendable, Equatable {
    public enum Scope: String, Sendable, CaseIterable {
        /// GET and HEAD only.
        case read
        /// Everything (write implies read).
        case write
    }

    public var name: String
    /// SHA-256 of the key, lowercase hex (64 characters).
    public var digest: String
    public var scope: Scope
    /// Requests this key may make; nil: unlimited.
    public var rate: TokenBucket.Rate?

    public init(name: String, digest: String, scope: Scope, rate: TokenBucket.Rate? = nil) {
        self.name = name
        self.digest = digest.lowercased()
        self.scope = scope
        self.rate = rate
    }

    /// A new random key (`crmgw_` + 43 base64url characters: 256 bits) and its digest.
    public static func generate() -> (key: String, digest: String) {
        let bytes = secureRandomBytes(32)
        let key = "crmgw_" + Base64.encode(bytes).replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
        return (key, digestHex(key))
    }

    public static func digestHex(_ key: String) -> String { hexString(sha256(Array(key.utf8))) }
}

/// Decides whether a request may go on: a known key (`Authorization: Bearer <key>`), a scope
/// that covers the method, and room in that key's rate limit. Shared by every loop.
public final class ClientAuthenticator: Sendable {
    public enum Verdict: Sendable, Equatable {
        case allowed(client: String?)
        /// 401: no key, or one we do not know. `invalidToken`: a key was given.
        case unauthenticated(detail: String, invalidToken: Bool)
        /// 403: the key cannot do this.
        case forbidden(client: String, detail: String)
        /// 429 with `Retry-After` (whole seconds, at least 1).
        case rateLimited(client: String, retryAfter: Int)

        /// The calling client's configured name, when a key was recognised.
        public var client: String? {
            switch self {
            case .allowed(let c): return c
            case .unauthenticated: return nil
            case .forbidden(let c, _), .rateLimited(let c, _): return c
            }
        }
    }

    /// False: no keys and nothing requires them (a loopback listener): every call is allowed.
    public let required: Bool
    private let keys: [String: ClientKey]
    private let buckets: Mutex<[String: TokenBucket]>

    public init(keys: [ClientKey], required: Bool? = nil) {
        var byDigest: [String: ClientKey] = [:]
        var buckets: [String: TokenBucket] = [:]
        for k in keys {
            byDigest[k.digest] = k
            if let rate = k.rate { buckets[k.digest] = TokenBucket(rate) }
        }
        self.keys = byDigest
        self.buckets = Mutex(buckets)
        self.required = required ?? !keys.isEmpty
    }

    public var keyCount: Int { keys.count }

    public func check(method: HTTPMethod, authorization: String?, now: LoopInstant) -> Verdict {
        guard required else { return .allowed(client: nil) }
        guard let authorization, !authorization.isEmpty else {
            return .unauthenticated(detail: "this call needs an API key: send Authorization: Bearer <key>", invalidToken: false)
        }
        guard let token = Self.bearerToken(authorization) else {
            return .unauthenticated(detail: "the Authorization header must use the Bearer scheme", invalidToken: true)
        }
        // The digest of a 256-bit random key is as unguessable as the key: looking it up in a
        // table reveals nothing a timing attacker could use.
        guard let key = keys[ClientKey.digestHex(token)] else {
            return .unauthenticated(detail: "the API key is not valid", invalidToken: true)
        }
        if key.scope == .read && method != .GET && method != .HEAD {
            return .forbidden(client: key.name, detail: "the API key of \(key.name) is read-only; \(method.rawValue) needs a key with scope write")
        }
        guard key.rate != nil else { return .allowed(client: key.name) }
        let verdict: TokenBucket.Reservation? = buckets.withLock { table in
            table[key.digest]?.reserve(now: now, deadline: now)
        }
        if case .refused(let wait)? = verdict {
            let ns = max(wait.nanoseconds, 1)
            let seconds = Int((ns + 999_999_999) / 1_000_000_000)
            return .rateLimited(client: key.name, retryAfter: max(1, seconds))
        }
        return .allowed(client: key.name)
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1), else nil.
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = String(parts[1]).trimmingSpaces()
        return token.isEmpty || token.contains(" ") ? nil : token
    }

    /// The problem+json answer for a refusal (nil for `.allowed`).
    public static func response(_ verdict: Verdict, requestID: String) -> HTTPResponse? {
        switch verdict {
        case .allowed:
            return nil
        case .unauthenticated(let detail, let invalid):
            var p = Problem(status: 401, detail: detail)
            p.headers.add("WWW-Authenticate", invalid ? "Bearer realm=\"crm-gateway\", error=\"invalid_token\"" : "Bearer realm=\"crm-gateway\"")
            return p.response(requestID: requestID)
        case .forbidden(_, let detail):
            return Problem(status: 403, detail: detail).response(requestID: requestID)
        case .rateLimited(let client, let retryAfter):
            var p = Problem(status: 429, detail: "the API key of \(client) is over its request rate; retry in \(retryAfter) s")
            p.headers.add("Retry-After", String(retryAfter))
            return p.response(requestID: requestID)
        }
    }
}
