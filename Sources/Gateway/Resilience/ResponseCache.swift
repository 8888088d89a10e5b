import GatewayCore
import Synchronization

/// Cached upstream reads, shared by every event loop: 2xx answers under an opaque key, with
/// the instant they arrived, their policy (TTL and stale windows) and their tags. Least
/// recently used entries go first once the byte cap is passed; a write drops every entry
/// carrying one of its tags. It also keeps the fetches in flight (single flight), so N
/// identical misses make one upstream call. The I/O around it is `CachingTransport`'s.
public final class ResponseCache: Sendable {
    public enum Lookup: Sendable {
        /// `response.cacheOutcome` is `.hit` with its age and the freshness left.
        case fresh(UpstreamResponse, age: Duration)
        /// `response.cacheOutcome` is `.stale`. `revalidate`: inside stale-while-revalidate
        /// (serve it and refresh it); otherwise only inside stale-if-error (serve it only if
        /// a fetch fails).
        case stale(UpstreamResponse, age: Duration, revalidate: Bool)
        case miss
    }

    public enum Flight: Sendable {
        /// The caller fetches, then calls `complete(_:key:with:)` whatever happens.
        case lead(SingleFlight)
        /// A fetch of this key is under way: `await flight.wait()` for its result.
        case follow(SingleFlight)
    }

    public struct Stats: Sendable, Equatable {
        /// Lookups by result, as `crmgw_cache_lookups_total{result}` counts them: one per
        /// cacheable read, counted where the cache decides how to answer it.
        public var hits = 0
        public var misses = 0
        public var stale = 0
        public var coalesced = 0
        /// Of those, fetches that failed and were answered with a stale entry instead.
        public var staleOnError = 0
        public var entries = 0
        public var bytes = 0
        public var evictions = 0
        public var flights = 0

        public init() {}
    }

    /// Bookkeeping per entry beyond its bytes (list node, index and tag-set slots); a guess,
    /// so `maxBytes` is approximate, but the same guess for every entry.
    public static let entryOverhead = 200

    /// What an entry counts against the byte cap: key, body, header fields as on the wire
    /// (`name: value\r\n`), tags, plus `entryOverhead`.
    public static func cost(key: String, response: UpstreamResponse, tags: [String]) -> Int {
        var n = entryOverhead + key.utf8.count + response.body.count
        for h in response.headers { n += h.name.utf8.count + h.value.utf8.count + 4 }
        for t in tags { n += t.utf8.count }
        return n
    }

    public let maxBytes: Int
    public let maxEntryBytes: Int
    private let state: Mutex<State>
    private let counters = Counters()

    public init(maxBytes: Int = 64 << 20, maxEntryBytes: Int? = nil) {
        self.maxBytes = maxBytes
        self.maxEntryBytes = min(maxEntryBytes ?? maxBytes, maxBytes)
        state = Mutex(State())
    }

    public convenience init(config: CacheConfig) {
        self.init(maxBytes: config.maxBytes, maxEntryBytes: config.maxEntryBytes)
    }

    // MARK: entries

    public func lookup(key: String, now: LoopInstant) -> Lookup {
        state.withLock { s -> Lookup in
            guard let i = s.index[key], let node = s.nodes[i] else { return .miss }
            let e = node.entry
            let age = now - e.storedAt
            switch e.policy.freshness(age: age) {
            case .fresh:
                s.touch(i)
                return .fresh(e.marked(.hit, age: age), age: age)
            case .staleWhileRevalidate:
                s.touch(i)
                return .stale(e.marked(.stale, age: age), age: age, revalidate: true)
            case .staleIfErrorOnly:
                s.touch(i)
                return .stale(e.marked(.stale, age: age), age: age, revalidate: false)
            case .expired:
                s.remove(at: i)
                return .miss
            }
        }
    }

    /// Age and freshness left of an entry that is still fresh, else nil; counts nothing.
    /// (The rendered-answer cache checks its sources with it.)
    public func freshness(key: String, now: LoopInstant) -> (age: Duration, ttl: Duration)? {
        state.withLock { s -> (age: Duration, ttl: Duration)? in
            guard let i = s.index[key], let e = s.nodes[i]?.entry else { return nil }
            let age = now - e.storedAt
            guard case .fresh = e.policy.freshness(age: age) else { return nil }
            s.touch(i)
            return (age, e.policy.ttl - age)
        }
    }

    /// Where a set of entries sat in the cache when last checked; see `freshness(keys:slots:now:)`.
    public struct Slots: Sendable {
        var nodes: [Int] = []
        var generation: UInt64 = .max
        public init() {}
    }

    /// The oldest age and the least freshness left among `keys`, if every one is still fresh
    /// (nil otherwise); each is touched as recently used, as a lookup would. `slots` remembers
    /// where they were: while no entry has left the cache since, the next check of the same
    /// keys reads them there without a key lookup. One lock for all of them.
    public func freshness(keys: [String], slots: inout Slots, now: LoopInstant) -> (age: Duration, ttl: Duration)? {
        state.withLock { s -> (age: Duration, ttl: Duration)? in
            if slots.generation != s.generation || slots.nodes.count != keys.count {
                var nodes: [Int] = []
                nodes.reserveCapacity(keys.count)
                for key in keys {
                    guard let i = s.index[key] else { return nil }
                    nodes.append(i)
                }
                slots = Slots()
                slots.nodes = nodes
                slots.generation = s.generation
            }
            var age = Duration.zero
            var ttl: Duration?
            for i in slots.nodes {
                // From the links: binding the entry would copy it (and retain all it holds).
                guard i < s.links.count, s.links[i].live else { return nil }
                let storedAt = s.links[i].storedAt, policy = s.links[i].policy
                let a = now - storedAt
                guard case .fresh = policy.freshness(age: a) else { return nil }
                s.touch(i)
                age = max(age, a)
                ttl = min(ttl ?? policy.ttl - a, policy.ttl - a)
            }
            guard let ttl else { return nil }
            return (age, ttl)
        }
    }

    /// The entry if it may stand in for a failed fetch (fresh, or inside stale-if-error),
    /// marked `.stale`.
    public func usableOnError(key: String, now: LoopInstant) -> UpstreamResponse? {
        state.withLock { s -> UpstreamResponse? in
            guard let i = s.index[key], let e = s.nodes[i]?.entry else { return nil }
            let age = now - e.storedAt
            switch e.policy.freshness(age: age) {
            case .fresh, .staleWhileRevalidate(usableOnError: true), .staleIfErrorOnly:
                return e.marked(.stale, age: age)
            case .staleWhileRevalidate(usableOnError: false), .expired:
                return nil
            }
        }
    }

    /// Stores a 2xx answer (anything else is refused: errors and 404s are never cached),
    /// replacing any entry under `key`, then evicts least recently used entries past the cap.
    /// `flight`: the fetch that produced it; refused if a write invalidated one of its tags
    /// while it was in flight (the answer may predate the write). Returns whether it stored.
    @discardableResult
    public func store(key: String, response: UpstreamResponse, policy: CacheConfig.Policy, tags: [String],
                      now: LoopInstant, flight: SingleFlight? = nil) -> Bool {
        guard (200..<300).contains(response.status) else { return false }
        let cost = Self.cost(key: key, response: response, tags: tags)
        guard cost <= maxEntryBytes else { return false }
        var kept = response
        kept.cacheOutcome = nil
        kept.timings = UpstreamTimings()
        let entry = Entry(response: kept, storedAt: now, policy: policy, tags: tags, cost: cost)
        let cap = maxBytes
        return state.withLock { s -> Bool in
            if let flight, let f = s.flights[key], f.flight === flight, f.invalidated { return false }
            if let old = s.index[key] { s.remove(at: old) }
            s.insert(key: key, entry: entry)
            while s.bytes > cap, s.tail >= 0, s.tail != s.head {
                s.remove(at: s.tail)
                s.evictions += 1
            }
            return true
        }
    }

    public func remove(key: String) {
        state.withLock { s in
            if let i = s.index[key] { s.remove(at: i) }
        }
    }

    /// Drops every entry carrying any of `tags`, and marks the fetches in flight for them so
    /// their (possibly older) answers are not stored.
    public func invalidate(tags: [String]) {
        guard !tags.isEmpty else { return }
        state.withLock { s in
            for tag in tags {
                guard let keys = s.byTag[tag] else { continue }
                for key in keys {
                    if let i = s.index[key] { s.remove(at: i) }
                }
            }
            for (key, f) in s.flights where !f.invalidated && f.tags.contains(where: tags.contains) {
                s.flights[key]?.invalidated = true
            }
        }
    }

    public func invalidateAll() {
        state.withLock { s in
            let flights = s.flights.mapValues { f -> FlightRecord in
                var f = f
                f.invalidated = true
                return f
            }
            let evictions = s.evictions
            let generation = s.generation
            s = State()
            s.flights = flights
            s.evictions = evictions
            s.generation = generation &+ 1
        }
    }

    // MARK: single flight

    /// Leads the fetch of `key` if none is under way, else follows the one that is. `tags`:
    /// the read's tags, so a write landing during the fetch keeps its answer out.
    public func join(key: String, tags: [String] = []) -> Flight {
        state.withLock { s -> Flight in
            if let f = s.flights[key] { return .follow(f.flight) }
            let f = SingleFlight()
            s.flights[key] = FlightRecord(flight: f, tags: tags)
            return .lead(f)
        }
    }

    /// Ends the leader's fetch: later joins start a new one, and every follower is resumed
    /// with `result` (the answer as the leader serves it, stale-if-error included).
    public func complete(_ flight: SingleFlight, key: String, with result: Result<UpstreamResponse, TransportError>) {
        state.withLock { s in
            if s.flights[key]?.flight === flight { s.flights[key] = nil }
        }
        flight.resolve(result)
    }

    // MARK: stats

    public func record(_ kind: CacheOutcome.Kind) {
        switch kind {
        case .hit: counters.hits.add(1, ordering: .relaxed)
        case .miss: counters.misses.add(1, ordering: .relaxed)
        case .stale: counters.stale.add(1, ordering: .relaxed)
        case .coalesced: counters.coalesced.add(1, ordering: .relaxed)
        }
    }

    public func recordStaleOnError() {
        counters.staleOnError.add(1, ordering: .relaxed)
    }

    public var stats: Stats {
        var st = Stats()
        state.withLock { s in
            st.entries = s.index.count
            st.bytes = s.bytes
            st.evictions = s.evictions
            st.flights = s.flights.count
        }
        st.hits = counters.hits.load(ordering: .relaxed)
        st.misses = counters.misses.load(ordering: .relaxed)
        st.stale = counters.stale.load(ordering: .relaxed)
        st.coalesced = counters.coalesced.load(ordering: .relaxed)
        st.staleOnError = counters.staleOnError.load(ordering: .relaxed)
        return st
    }

    /// Keys from least to most recently used (tests, debugging).
    public var keysByRecency: [String] {
        state.withLock { s in
            var out: [String] = []
            var i = s.tail
            while i >= 0, let n = s.nodes[i] {
                out.append(n.key)
                i = s.links[i].prev
            }
            return out
        }
    }
}

/// One fetch in flight: followers wait for its result, which the leader publishes once.
public final class SingleFlight: Sendable {
    public typealias Outcome = Result<UpstreamResponse, TransportError>

    private struct State {
        var result: Outcome?
        var waiters: [Int: CheckedContinuation<Outcome, Never>] = [:]
        var cancelled: Set<Int> = []
        var nextID = 0
    }
    private let state = Mutex(State())

    init() {}

    /// The leader's result. A cancelled waiter stops waiting with `.cancelled`; the fetch
    /// goes on for the others.
    public func wait() async -> Outcome {
        let (done, id) = state.withLock { s -> (Outcome?, Int) in
            if let r = s.result { return (r, 0) }
            s.nextID += 1
            return (nil, s.nextID)
        }
        if let done { return done }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Outcome, Never>) in
                let now: Outcome? = state.withLock { s in
                    if let r = s.result { return r }
                    if s.cancelled.remove(id) != nil { return .failure(.cancelled) }
                    s.waiters[id] = c
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Outcome, Never>? in
                if s.result != nil { return nil }
                if let c = s.waiters.removeValue(forKey: id) { return c }
                s.cancelled.insert(id)
                return nil
            }
            c?.resume(returning: .failure(.cancelled))
        }
    }

    /// How many are waiting now (tests: release a fetch once everyone has joined).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    fileprivate func resolve(_ result: Outcome) {
        let waiters = state.withLock { s -> [CheckedContinuation<Outcome, Never>] in
            guard s.result == nil else { return [] }
            s.result = result
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume(returning: result) }
    }
}

// MARK: - state

private final class Counters: Sendable {
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let stale = Atomic<Int>(0)
    let coalesced = Atomic<Int>(0)
    let staleOnError = Atomic<Int>(0)
}

private struct Entry {
    var response: UpstreamResponse
    var storedAt: LoopInstant
    var policy: CacheConfig.Policy
    var tags: [String]
    var cost: Int

    /// The stored answer as served now. `age`: whole seconds since it arrived (RFC 9111
    /// §5.1); `ttl`: whole seconds of freshness left, rounded down (negative once stale).
    func marked(_ kind: CacheOutcome.Kind, age: Duration) -> UpstreamResponse {
        var r = response
        r.cacheOutcome = CacheOutcome(kind: kind, age: wholeSeconds(age), ttl: wholeSeconds(policy.ttl - age))
        return r
    }
}

/// Rounded towards minus infinity.
func wholeSeconds(_ d: Duration) -> Int {
    let ns = d.nanoseconds
    let s = ns / 1_000_000_000
    return Int(ns < 0 && s * 1_000_000_000 != ns ? s - 1 : s)
}

private struct FlightRecord {
    let flight: SingleFlight
    var tags: [String]
    var invalidated = false
}

/// A doubly linked list over an array (indices, not references: no retain traffic on the
/// hot path), most recently used at `head`, plus the key and tag indexes.
private struct State {
    struct Node {
        var key: String
        var entry: Entry
    }

    /// The list links and what a freshness check reads, beside the nodes: a hit touches and
    /// checks entries without copying a node (and so retaining everything it holds).
    struct Link {
        var prev: Int
        var next: Int
        var storedAt: LoopInstant
        var policy: CacheConfig.Policy
        /// The node holds an entry (false once removed, until the slot is reused).
        var live = true
    }

    var nodes: [Node?] = []
    var links: [Link] = []
    var free: [Int] = []
    var index: [String: Int] = [:]
    var byTag: [String: Set<String>] = [:]
    var head = -1
    var tail = -1
    var bytes = 0
    var evictions = 0
    var flights: [String: FlightRecord] = [:]
    /// Moves on whenever an entry leaves (so node indices remembered before are stale).
    var generation: UInt64 = 0

    mutating func insert(key: String, entry: Entry) {
        let node = Node(key: key, entry: entry)
        let link = Link(prev: -1, next: head, storedAt: entry.storedAt, policy: entry.policy)
        let i: Int
        if let f = free.popLast() {
            i = f
            nodes[i] = node
            links[i] = link
        } else {
            i = nodes.count
            nodes.append(node)
            links.append(link)
        }
        if head >= 0 { links[head].prev = i }
        head = i
        if tail < 0 { tail = i }
        index[key] = i
        for t in entry.tags { byTag[t, default: []].insert(key) }
        bytes += entry.cost
    }

    mutating func remove(at i: Int) {
        guard let n = nodes[i] else { return }
        generation &+= 1
        unlink(i)
        nodes[i] = nil
        links[i].live = false
        free.append(i)
        index[n.key] = nil
        for t in n.entry.tags {
            byTag[t]?.remove(n.key)
            if byTag[t]?.isEmpty == true { byTag[t] = nil }
        }
        bytes -= n.entry.cost
    }

    /// Every hit does this: links only.
    mutating func touch(_ i: Int) {
        guard i != head, i < links.count, links[i].live else { return }
        unlink(i)
        links[i].prev = -1
        links[i].next = head
        if head >= 0 { links[head].prev = i }
        head = i
        if tail < 0 { tail = i }
    }

    private mutating func unlink(_ i: Int) {
        let prev = links[i].prev, next = links[i].next
        if prev >= 0 { links[prev].next = next } else { head = next }
        if next >= 0 { links[next].prev = prev } else { tail = prev }
    }
}
