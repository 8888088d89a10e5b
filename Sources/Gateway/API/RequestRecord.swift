import GatewayCore
import Synchronization

/// What one client request did upstream: each upstream answer (and how the cache answered
/// it), plus what the client asked of the layers in front of the upstreams (`Cache-Control:
/// no-cache`, `Prefer: wait=N`). Shared by the request's adapter calls; read by the handler
/// to set `Cache-Status`, `Age` and the `sources` report.
public final class RequestRecord: Sendable {
    public struct Call: Sendable {
        public var source: String
        public var status: Int?
        public var cache: CacheOutcome?
        /// The transfer's own time (nil when the cache answered or nothing came back).
        public var network: Duration? = nil
        /// How long the limiter held the call back.
        public var queued: Duration = .zero
    }

    /// The client asked for revalidation (`Cache-Control: no-cache` or `Pragma: no-cache`).
    public let revalidate: Bool
    /// When the client stops waiting for the limiter.
    public let deadline: LoopInstant?
    /// `Prefer: wait=N` as honoured (for `Preference-Applied`).
    public let appliedWait: Int?
    private let calls = Mutex<[Call]>([])

    public init(revalidate: Bool = false, deadline: LoopInstant? = nil, appliedWait: Int? = nil) {
        self.revalidate = revalidate
        self.deadline = deadline
        self.appliedWait = appliedWait
    }

    /// Longest a request waits for the limiter unless it asks for less (§6).
    public static let defaultWait: Duration = .seconds(10)
    static let defaultWaitNanoseconds = UInt64(defaultWait.nanoseconds)

    /// Reads the client's preferences from the request head.
    public convenience init(request: borrowing HTTPRequest) {
        let h = request.headers
        if !h.contains("Cache-Control") && !h.contains("Pragma") && !h.contains("Prefer") {
            self.init(deadline: request.receivedAt.adding(nanoseconds: Self.defaultWaitNanoseconds))
            return
        }
        let cc = (request.headers.values("Cache-Control") + request.headers.values("Pragma")).joined(separator: ",").lowercased()
        let revalidate = cc.split(separator: ",").contains { String($0).trimmingSpaces() == "no-cache" }
        var wait: Int?
        for v in request.headers.values("Prefer") {
            for pref in v.split(separator: ",") {
                let kv = pref.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces() }
                if kv.count == 2, kv[0].lowercased() == "wait", let n = Int(kv[1]), n >= 0 { wait = min(n, 10) }
            }
        }
        let budget: Duration = wait.map { .seconds($0) } ?? Self.defaultWait
        self.init(revalidate: revalidate, deadline: request.receivedAt + budget, appliedWait: wait)
    }

    func add(_ call: Call) { calls.withLock { $0.append(call) } }

    public var all: [Call] { calls.withLock { $0 } }

    /// Whether any of `source`'s answers in this request came stale from the cache.
    func servedStale(_ source: String) -> Bool {
        calls.withLock { $0.contains { $0.source == source && $0.cache?.kind == .stale } }
    }

    /// `Cache-Status` (RFC 9211) and `Age` for the client's response, from every cacheable
    /// upstream answer the request used; nil when none was cacheable.
    var cacheHeaders: (status: String, age: Int?)? {
        let outcomes = calls.withLock { $0.compactMap(\.cache) }
        guard !outcomes.isEmpty else { return nil }
        let age = outcomes.map(\.age).max() ?? 0
        let ttl = outcomes.map(\.ttl).min() ?? 0
        if outcomes.allSatisfy({ $0.kind == .hit || $0.kind == .stale }) {
            let stale = outcomes.contains { $0.kind == .stale }
            return ("crm-gateway; hit; ttl=\(ttl)" + (stale ? "; detail=stale" : ""), age)
        }
        let collapsed = outcomes.contains { $0.kind == .coalesced }
        return ("crm-gateway; fwd=\(revalidate ? "request" : "uri-miss"); stored" + (collapsed ? "; collapsed" : ""), nil)
    }
}
