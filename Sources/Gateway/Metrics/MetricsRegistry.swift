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
        /// Label set (as rendered, `a="x",b="y"`) -> counter value, or histogram state.
        var counters: [String: Double] = [:]
        var histograms: [String: (counts: [UInt64], sum: Double, count: UInt64)] = [:]
        var order: [String] = []
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

    public func increment(_ name: String, _ labels: [(String, String)] = [], by amount: Double = 1) {
        let key = Self.render(labels)
        families.withLock { fs in
            guard let i = fs.firstIndex(where: { $0.name == name }), fs[i].family.kind == .counter else { return }
            if fs[i].family.counters[key] == nil { fs[i].family.order.append(key) }
            fs[i].family.counters[key, default: 0] += amount
        }
    }

    public func observe(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        let key = Self.render(labels)
        families.withLock { fs in
            guard let i = fs.firstIndex(where: { $0.name == name }), fs[i].family.kind == .histogram else { return }
            let buckets = fs[i].family.buckets
            var h = fs[i].family.histograms[key] ?? (Array(repeating: 0, count: buckets.count), 0, 0)
            if fs[i].family.histograms[key] == nil { fs[i].family.order.append(key) }
            for (b, bound) in buckets.enumerated() where value <= bound { h.counts[b] += 1 }
            h.sum += value
            h.count += 1
            fs[i].family.histograms[key] = h
        }
    }

    /// A counter's value (tests, `/upstreams`).
    public func value(_ name: String, _ labels: [(String, String)] = []) -> Double {
        let key = Self.render(labels)
        return families.withLock { fs in fs.first { $0.name == name }?.family.counters[key] ?? 0 }
    }

    /// How many observations a histogram has for these labels.
    public func count(_ name: String, _ labels: [(String, String)] = []) -> UInt64 {
        let key = Self.render(labels)
        return families.withLock { fs in fs.first { $0.name == name }?.family.histograms[key]?.count ?? 0 }
    }

    /// The text exposition: `# HELP`, `# TYPE`, then samples; histograms with cumulative
    /// `_bucket{le=...}` (ending in `+Inf`), `_sum` and `_count`.
    public func exposition() -> String {
        var out = ""
        families.withLock { fs in
            for (name, f) in fs {
                out += "# HELP \(name) \(Self.escapeHelp(f.help))\n# TYPE \(name) \(f.kind.rawValue)\n"
                for key in f.order {
                    switch f.kind {
                    case .counter:
                        out += "\(name)\(key.isEmpty ? "" : "{\(key)}") \(Self.number(f.counters[key] ?? 0))\n"
                    case .histogram:
                        guard let h = f.histograms[key] else { continue }
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

    static func render(_ labels: [(String, String)]) -> String {
        labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",")
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
