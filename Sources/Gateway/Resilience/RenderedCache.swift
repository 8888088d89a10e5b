import GatewayCore
import Synchronization

/// The unified answers built from cached upstream answers, so a hit skips the adapter, the
/// mapping and the JSON writer. An entry is only as good as the upstream answers it was
/// built from: every hit checks that each of them is still fresh in the `ResponseCache`
/// (by key, no hashing), so expiry, invalidation by a write and eviction all reach it
/// without a second bookkeeping. A stale or missing source means a miss here; the normal
/// path then decides (serve stale, revalidate, fetch).
public final class RenderedCache: Sendable {
    /// A class: a hit reads it in place (a struct would be copied out of the dictionary,
    /// with a retain of everything it holds). Only touched under the lock.
    final class Entry: @unchecked Sendable {
        let response: HTTPResponse
        let sources: [String]
        /// Where the sources were in the upstream cache at the last hit.
        var slots = ResponseCache.Slots()
        let cost: Int
        var lastUsed: UInt64

        init(response: HTTPResponse, sources: [String], cost: Int, lastUsed: UInt64) {
            self.response = response
            self.sources = sources
            self.cost = cost
            self.lastUsed = lastUsed
        }
    }

    private let state = Mutex<(entries: [String: Entry], bytes: Int, tick: UInt64)>(([:], 0, 0))
    private let maxBytes: Int

    public init(maxBytes: Int = 16 << 20) {
        self.maxBytes = maxBytes
    }

    /// The stored answer for `key` with its `Age` (the oldest source) and freshness left
    /// (the soonest to expire), if every source is still fresh.
    public func lookup(_ key: String, upstream: ResponseCache, now: LoopInstant) -> (response: HTTPResponse, age: Int, ttl: Int)? {
        state.withLock { s -> (response: HTTPResponse, age: Int, ttl: Int)? in
            guard let e = s.entries[key] else { return nil }
            s.tick &+= 1
            e.lastUsed = s.tick
            guard let f = upstream.freshness(keys: e.sources, slots: &e.slots, now: now) else {
                if s.entries.removeValue(forKey: key) != nil { s.bytes -= e.cost }
                return nil
            }
            return (e.response, Int(f.age.components.seconds), Int(f.ttl.components.seconds))
        }
    }

    /// Keeps a 200 answer built only from fresh, stored upstream answers (`sources`: their keys).
    public func store(_ key: String, response: HTTPResponse, sources: [String]) {
        guard !sources.isEmpty else { return }
        // What each hit sets for itself is not kept (a hit then adds it without a search).
        var response = response
        for name in ["Cache-Status", "Age", "X-Request-Id"] { response.headers.remove(name) }
        let cost = key.utf8.count + response.body.count + sources.reduce(0) { $0 + $1.utf8.count } + 256
        guard cost <= maxBytes / 8 else { return }
        state.withLock { s in
            if let old = s.entries.removeValue(forKey: key) { s.bytes -= old.cost }
            s.tick &+= 1
            s.entries[key] = Entry(response: response, sources: sources, cost: cost, lastUsed: s.tick)
            s.bytes += cost
            if s.bytes > maxBytes {
                // Least recently used first, down to three quarters of the cap.
                for (k, e) in s.entries.sorted(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                    if s.bytes <= maxBytes * 3 / 4 { break }
                    s.entries.removeValue(forKey: k)
                    s.bytes -= e.cost
                }
            }
        }
    }

    public var count: Int { state.withLock { $0.entries.count } }
}
