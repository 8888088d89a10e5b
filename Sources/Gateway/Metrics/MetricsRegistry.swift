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
        /// counter value, or histogram state. Hot paths never build label text.
        var counters: [[String]: Double] = [:]
        var histograms: [[String]: (counts: [UInt64], sum: Double, count: UInt64)] = [:]
        var order: [[String]] = []

        mutating func add(count amount: Double, at key: [String]) {
            if counters[key] == nil { order.append(key) }
            counters[key, default: 0] += amount
        }

        /// One observation, updated in place (no copy of the bucket counts).
        mutating func add(_ value: Double, at key: [String]) {
            if histograms[key] == nil {
                histograms[key] = (Array(repeating: 0, count: buckets.count), 0, 0)
                order.append(key)
            }
            for b in buckets.indices where value <= buckets[b] { histograms[key]!.counts[b] += 1 }
            histograms[key]!.sum += value
            histograms[key]!.count += 1
        }
    }

    private let families = Mutex<[(name: String, family: Family)]>([])

    public static let durationBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    public static let waitBuckets: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]

    public init() {}

    /// Declares a family so it is listed (with HELP and TYPE) even before its first sample.
    public func declare(_ name: String, _ kind: Kind, help: String, buckets: [Double] = MetricsRegistry.durationBuckets) {
        families.withLock { fs in
            guard !fs.contains(where: { $0.name == name }) else { return }
            fs.append((name, Family(kind: kind, help: help, buckets: buckets)))
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
        families.withLock { fs in
            guard let i = fs.firstIndex(where: { $0.name == name }), fs[i].family.kind == .counter else { return }
            fs[i].family.add(count: amount, at: key)
        }
    }

    public func observe(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        let key = Self.key(labels)
        families.withLock { fs in
            guard let i = fs.firstIndex(where: { $0.name == name }), fs[i].family.kind == .histogram else { return }
            fs[i].family.add(value, at: key)
        }
    }

    /// `crmgw_requests_total{route,code}` and `crmgw_request_duration_seconds{route}` in one
    /// lock (every request does this).
    public func countRequest(route: String, status: Int, seconds: Double) {
        let counterKey = ["route", route, "code", String(status)]
        let histogramKey = ["route", route]
        families.withLock { fs in
            if let i = fs.firstIndex(where: { $0.name == GatewayMetrics.requests }) { fs[i].family.add(count: 1, at: counterKey) }
            if let i = fs.firstIndex(where: { $0.name == GatewayMetrics.requestDuration }) {
                fs[i].family.add(seconds, at: histogramKey)
            }
        }
    }

    /// A counter's value (tests, `/upstreams`).
    public func value(_ name: String, _ labels: [(String, String)] = []) -> Double {
        let key = Self.key(labels)
        return families.withLock { fs in fs.first { $0.name == name }?.family.counters[key] ?? 0 }
    }

    /// How many observations a histogram has for these labels.
    public func count(_ name: String, _ labels: [(String, String)] = []) -> UInt64 {
        let key = Self.key(labels)
        return families.withLock { fs in fs.first { $0.name == name }?.family.histograms[key]?.count ?? 0 }
    }

    /// The text exposition: `# HELP`, `# TYPE`, then samples; histograms with cumulative
    /// `_bucket{le=...}` (ending in `+Inf`), `_sum` and `_count`.
    public func exposition() -> String {
        var out = ""
        families.withLock { fs in
            for (name, f) in fs {
                out += "# HELP \(name) \(Self.escapeHelp(f.help))\n# TYPE \(name) \(f.kind.rawValue)\n"
                for labelKey in f.order {
                    let key = Self.render(labelKey)
                    switch f.kind {
                    case .counter:
                        out += "\(name)\(key.isEmpty ? "" : "{\(key)}") \(Self.number(f.counters[labelKey] ?? 0))\n"
                    case .histogram:
                        guard let h = f.histograms[labelKey] else { continue }
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
