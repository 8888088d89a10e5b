import Synchronization

/// The gateway's metrics (§6 fixes the names) and their Prometheus text exposition
/// (format 0.0.4). Small on purpose: counters and histograms with labels, one lock, no
/// global state, so every test can have its own registry.
public final class MetricsRegistry: Sendable {
    public enum Kind: String, Sendable { case counter, histogram }

    struct Family {
        var kind: Kind
        var help: String
        var buckets: [Double]
        /// Label set (names and values, alternating; rendered only for the exposition) ->
        /// its slot in `counters` or `histograms`, and in `order` (first sample first).
        /// Hot paths never build label text, and the busiest ones (`countRequest`, `Counter`)
        /// keep slots so they do not hash label sets either.
        var index: [[String]: Int] = [:]
        var order: [[String]] = []
        var counters: [Double] = []
        var histograms: [Histogram] = []

        struct Histogram {
            var counts: [UInt64]
            var sum: Double = 0
            var count: UInt64 = 0
        }

        /// The slot of a label set, made on first use.
        mutating func slot(_ key: [String]) -> Int {
            if let i = index[key] { return i }
            let i = order.count
            index[key] = i
            order.append(key)
            switch kind {
            case .counter: counters.append(0)
            case .histogram: histograms.append(Histogram(counts: Array(repeating: 0, count: buckets.count)))
            }
            return i
        }

        mutating func add(count amount: Double, at key: [String]) {
            counters[slot(key)] += amount
        }

        /// One observation, updated in place (no copy of the bucket counts).
        mutating func add(_ value: Double, at key: [String]) {
            observe(value, slot: slot(key))
        }

        mutating func observe(_ value: Double, slot i: Int) {
            histograms[i].counts.withUnsafeMutableBufferPointer { counts in
                for b in buckets.indices where value <= buckets[b] { counts[b] += 1 }
            }
            histograms[i].sum += value
            histograms[i].count += 1
        }
    }

    /// Slots of one route's request series: the duration histogram's, and the counter's by status.
    public struct RequestSeriesSlots: Sendable {
        var duration = -1
        var byStatus: [(status: Int, slot: Int)] = []
        public init() {}
        func counter(_ status: Int) -> Int? {
            for e in byStatus where e.status == status { return e.slot }
            return nil
        }
    }

    struct RouteSlots {
        var duration: Int
        var byStatus: [Int: Int] = [:]
    }

    struct State {
        var families: [(name: String, family: Family)] = []
        var routeSlots: [String: RouteSlots] = [:]
        /// Where the two families every request updates are, once declared.
        var requestsFamily: Int?
        var durationFamily: Int?

        func family(_ name: String) -> Int? { families.firstIndex { $0.name == name } }
    }

    private let state = Mutex(State())

    public static let durationBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public static let waitBuckets: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]

    public init() {}

    /// Declares a family so it is listed (with HELP and TYPE) even before its first sample.
    public func declare(_ name: String, _ kind: Kind, help: String, buckets: [Double] = MetricsRegistry.durationBuckets) {
        state.withLock { s in
            guard s.family(name) == nil else { return }
            s.families.append((name, Family(kind: kind, help: help, buckets: buckets)))
            if name == GatewayMetrics.requests && kind == .counter { s.requestsFamily = s.families.count - 1 }
            if name == GatewayMetrics.requestDuration && kind == .histogram { s.durationFamily = s.families.count - 1 }
        }
    }

    static func key(_ labels: [(String, String)]) -> [String] {
        var k: [String] = []
        k.reserveCapacity(labels.count * 2)
        for (n, v) in labels { k.append(n); k.append(v) }
        return k
    }

    public func increment(_ name: String, _ labels: [(String, String)] = [], by amount: Double = 1) {
        let key = Self.key(labels)
        state.withLock { s in
            guard let i = s.family(name), s.families[i].family.kind == .counter else { return }
            s.families[i].family.add(count: amount, at: key)
        }
    }

    public func observe(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        let key = Self.key(labels)
        state.withLock { s in
            guard let i = s.family(name), s.families[i].family.kind == .histogram else { return }
            s.families[i].family.add(value, at: key)
        }
    }

    /// `crmgw_requests_total{route,code}` and `crmgw_request_duration_seconds{route}` in one
    /// lock (every request does this). After a route's first answer with a status, this is
    /// one lookup by route and one by status, no label set built or hashed.
    /// `countRequest` for a caller that keeps the route's slots (`RequestSeriesSlots`, one per
    /// route and caller): after the first request of a status, no dictionary lookup.
    public func countRequest(route: String, status: Int, seconds: Double, slots cached: inout RequestSeriesSlots) {
        let counter = cached.counter(status)
        if cached.duration >= 0, let counter {
            state.withLock { s in
                guard let fc = s.requestsFamily, let fh = s.durationFamily else { return }
                s.families[fc].family.counters[counter] += 1
                s.families[fh].family.observe(seconds, slot: cached.duration)
            }
            return
        }
        countRequest(route: route, status: status, seconds: seconds)
        state.withLock { s in
            guard s.requestsFamily != nil, s.durationFamily != nil, let slots = s.routeSlots[route],
                  let c = slots.byStatus[status], slots.duration >= 0 else { return }
            cached.duration = slots.duration
            cached.byStatus.append((status, c))
        }
    }

    public func countRequest(route: String, status: Int, seconds: Double) {
        state.withLock { s in
            guard let fc = s.requestsFamily, let fh = s.durationFamily else {
                // One of them is not declared (as its kind): count into the other only.
                if let i = s.requestsFamily { s.families[i].family.add(count: 1, at: ["route", route, "code", String(status)]) }
                if let i = s.durationFamily { s.families[i].family.add(seconds, at: ["route", route]) }
                return
            }
            var slots = s.routeSlots[route] ?? RouteSlots(duration: -1)
            let counter: Int
            if let c = slots.byStatus[status] {
                counter = c
            } else {
                counter = s.families[fc].family.slot(["route", route, "code", String(status)])
                slots.byStatus[status] = counter
                s.routeSlots[route] = slots
            }
            if slots.duration < 0 {
                slots.duration = s.families[fh].family.slot(["route", route])
                s.routeSlots[route] = slots
            }
            // Counter before histogram, as the families are listed: a new series shows up
            // in the same order it always did.
            s.families[fc].family.counters[counter] += 1
            s.families[fh].family.observe(seconds, slot: slots.duration)
        }
    }

    /// A counter series kept by its user (a hot path): after its first increment, adding to
    /// it is one lock and an array slot, no name or label lookup. Listed from its first
    /// increment on, like any series.
    public final class Counter: Sendable {
        let registry: MetricsRegistry
        let name: String
        let key: [String]
        /// family << 32 | series, or -1 before the first increment.
        private let slot = Atomic<Int>(-1)

        init(registry: MetricsRegistry, name: String, key: [String]) {
            self.registry = registry
            self.name = name
            self.key = key
        }

        public func increment(by amount: Double = 1) {
            let known = slot.load(ordering: .relaxed)
            let found = registry.state.withLock { s -> Int in
                if known >= 0 {
                    s.families[known >> 32].family.counters[known & 0xFFFF_FFFF] += amount
                    return known
                }
                guard let f = s.family(name), s.families[f].family.kind == .counter else { return -1 }
                let i = s.families[f].family.slot(key)
                s.families[f].family.counters[i] += amount
                return f << 32 | i
            }
            if known < 0 && found >= 0 { slot.store(found, ordering: .relaxed) }
        }
    }

    public func counter(_ name: String, _ labels: [(String, String)] = []) -> Counter {
        Counter(registry: self, name: name, key: Self.key(labels))
    }

    /// A counter's value (tests, `/upstreams`).
    public func value(_ name: String, _ labels: [(String, String)] = []) -> Double {
        let key = Self.key(labels)
        return state.withLock { s in
            guard let f = s.families.first(where: { $0.name == name })?.family, let i = f.index[key], f.kind == .counter else { return 0 }
            return f.counters[i]
        }
    }

    /// How many observations a histogram has for these labels.
    public func count(_ name: String, _ labels: [(String, String)] = []) -> UInt64 {
        let key = Self.key(labels)
        return state.withLock { s in
            guard let f = s.families.first(where: { $0.name == name })?.family, let i = f.index[key], f.kind == .histogram else { return 0 }
            return f.histograms[i].count
        }
    }

    /// The text exposition: `# HELP`, `# TYPE`, then samples; histograms with cumulative
    /// `_bucket{le=...}` (ending in `+Inf`), `_sum` and `_count`.
    public func exposition() -> String {
        var out = ""
        state.withLock { s in
            for (name, f) in s.families {
                out += "# HELP \(name) \(Self.escapeHelp(f.help))\n# TYPE \(name) \(f.kind.rawValue)\n"
                for (slot, labelKey) in f.order.enumerated() {
                    let key = Self.render(labelKey)
                    switch f.kind {
                    case .counter:
                        out += "\(name)\(key.isEmpty ? "" : "{\(key)}") \(Self.number(f.counters[slot]))\n"
                    case .histogram:
                        let h = f.histograms[slot]
                        let sep = key.isEmpty ? "" : key + ","
                        for (b, bound) in f.buckets.enumerated() {
                            out += "\(name)_bucket{\(sep)le=\"\(Self.number(bound))\"} \(h.counts[b])\n"
                        }
                        out += "\(name)_bucket{\(sep)le=\"+Inf\"} \(h.count)\n"
                        out += "\(name)_sum\(key.isEmpty ? "" : "{\(key)}") \(Self.number(h.sum))\n"
                        out += "\(name)_count\(key.isEmpty ? "" : "{\(key)}") \(h.count)\n"
                    }
                }
            }
        }
        return out
    }

    static func render(_ key: [String]) -> String {
        stride(from: 0, to: key.count, by: 2).map { "\(key[$0])=\"\(escapeLabel(key[$0 + 1]))\"" }.joined(separator: ",")
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapeLabel(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func escapeHelp(_ s: String) -> String {
        s.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}

/// The names §6 fixes, declared once.
public enum GatewayMetrics {
    public static let requests = "crmgw_requests_total"
    public static let requestDuration = "crmgw_request_duration_seconds"
    public static let upstreamRequests = "crmgw_upstream_requests_total"
    public static let upstreamDuration = "crmgw_upstream_duration_seconds"
    public static let cacheLookups = "crmgw_cache_lookups_total"
    public static let rateLimitWait = "crmgw_ratelimit_wait_seconds"
    public static let rateLimitRejections = "crmgw_ratelimit_rejections_total"
    public static let eventsReceived = "crmgw_events_received_total"

    public static func registry() -> MetricsRegistry {
        let r = MetricsRegistry()
        r.declare(requests, .counter, help: "Requests answered, by route template and status code.")
        r.declare(requestDuration, .histogram, help: "Time from a request's arrival to its answer, in seconds.")
        r.declare(upstreamRequests, .counter, help: "Calls made to upstreams, by upstream and status code (error for no answer).")
        r.declare(upstreamDuration, .histogram, help: "Upstream call durations in seconds.")
        r.declare(cacheLookups, .counter, help: "Response cache lookups by result.")
        r.declare(rateLimitWait, .histogram, help: "Time requests waited for an upstream's rate limit, in seconds.", buckets: MetricsRegistry.waitBuckets)
        r.declare(rateLimitRejections, .counter, help: "Requests refused because an upstream's rate limit had no room before their deadline.")
        r.declare(eventsReceived, .counter, help: "Webhook deliveries stored, by source.")
        return r
    }
}
