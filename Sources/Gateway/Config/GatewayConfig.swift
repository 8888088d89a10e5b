#if canImport(Glibc)
import Glibc
#endif
import GatewayCore
import Logging

/// The whole configuration (PRODUCT.md §2): one YAML file plus `CRMGW_*` environment variables
/// that override it, read strictly (unknown keys and bad values stop start-up, naming the key).
/// See `docs/CONFIG.md` for every key.
public struct GatewayConfig: Sendable {
    public struct Server: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var loops: Int?
        public var drainTimeout: Duration = .seconds(10)
        public var eventsDB = "crm-gateway-events.sqlite"
        public var maxConnections = 20_000
        public var maxBodyBytes = 1 << 20
        public var headerReadTimeout: Duration = .seconds(10)
        public var idleTimeout: Duration = .seconds(60)
        public var stalledWriteTimeout: Duration = .seconds(10)
        /// Listening beyond loopback with no client keys is refused unless this is set.
        public var allowUnauthenticated = false
        /// `/events/stream`: a `: keep-alive` comment this often; at most this many open streams;
        /// a client that leaves this much unread is dropped.
        public var eventStreamHeartbeat: Duration = .seconds(15)
        public var maxEventStreams = 1000
        public var maxStreamBufferedBytes = 1 << 20
    }

    public struct Log: Sendable {
        public enum Format: String, Sendable { case json, text }
        public var level: Logger.Level = .info
        public var format: Format = .json
        /// One line per request (§ issue 7).
        public var requests = true
    }

    public struct Upstream: Sendable {
        public var name: String
        public var baseURL: String
        public var credential: Secret
        public var timeouts = UpstreamTimeouts(connect: .seconds(5), total: .seconds(30))
        public var limits: RateLimitConfig
        /// TTLs of this upstream's cache classes that differ from `cache.ttl`.
        public var cacheTTLs: [String: Duration] = [:]
        /// Source-specific settings (`dashboard_id`, `update_path`, ...).
        public var options: [String: String] = [:]
        /// Hana's webhook token; Pipedrive's webhook Basic password (its user is in `options`).
        public var webhookSecret: Secret?

        public var settings: UpstreamSettings {
            UpstreamSettings(baseURL: baseURL, credential: credential.value, timeouts: timeouts, options: options)
        }
    }

    public var server = Server()
    public var log = Log()
    public var cors = CORSConfig()
    public var clients: [ClientKey] = []
    /// nil: caching off.
    public var cache: CacheConfig? = CacheConfig()
    public var upstreams: [String: Upstream] = [:]
    /// Where the file came from (nil: defaults and environment only).
    public var file: String?

    public init() {}

    public static let upstreamNames = ["hotprofile", "pipedrive", "textrequest", "hana"]
    /// Upstreams whose API host is the same for every customer.
    static let defaultBaseURLs = ["textrequest": "https://api.textrequest.com"]

    /// Reads `file` (if any) and the environment. `readFile` reads the file and `*_file`
    /// secrets (tests pass their own). Throws every problem at once.
    public static func load(file: String?, environment: [String: String],
                            readFile: @escaping (String) -> String? = GatewayConfig.readTextFile) throws(ConfigErrors) -> GatewayConfig {
        var root: ConfigNode?
        if let file {
            guard let text = readFile(file) else {
                throw ConfigErrors(errors: [ConfigError(key: "--config", message: "cannot read \(file)")])
            }
            root = try ConfigNode.parse(text, name: file)
        }
        let reader = ConfigReader(fileName: file ?? "(no file)", environment: environment, readFile: readFile)
        var top = ConfigSection(reader: reader, path: [], node: root)
        var config = GatewayConfig()
        config.file = file
        config.readServer(&top)
        config.readLog(&top)
        config.readCORS(&top)
        config.readClients(&top, reader: reader)
        config.readCache(&top)
        config.readUpstreams(&top, reader: reader)
        top.finish(known: ["server", "log", "cors", "clients", "cache", "upstreams"])
        reader.checkUnusedVariables()
        if !reader.errors.isEmpty { throw ConfigErrors(errors: reader.errors) }
        return config
    }

    public static func readTextFile(_ path: String) -> String? {
        readFileBytes(path).flatMap { String(validating: $0, as: UTF8.self) }
    }

    // MARK: sections

    private mutating func readServer(_ top: inout ConfigSection) {
        var s = top.section("server")
        if let v = s.string("host") { server.host = v }
        if let v = s.int("port", in: 0...65535) { server.port = v }
        if let v = s.int("loops", in: 1...64) { server.loops = v }
        if let v = s.duration("drain_timeout", in: .zero ... .seconds(600)) { server.drainTimeout = v }
        if let v = s.string("events_db") { server.eventsDB = v }
        if let v = s.int("max_connections", in: 1...1_000_000) { server.maxConnections = v }
        if let v = s.bytes("max_body_bytes", in: 1024...(1 << 30)) { server.maxBodyBytes = v }
        if let v = s.bool("allow_unauthenticated") { server.allowUnauthenticated = v }
        if let v = s.duration("event_stream_heartbeat", in: .seconds(1) ... .seconds(300)) { server.eventStreamHeartbeat = v }
        if let v = s.int("max_event_streams", in: 1...100_000) { server.maxEventStreams = v }
        if let v = s.bytes("max_stream_buffered_bytes", in: 4096...(64 << 20)) { server.maxStreamBufferedBytes = v }
        var t = s.section("timeouts")
        if let v = t.duration("header_read", in: .milliseconds(100) ... .seconds(600)) { server.headerReadTimeout = v }
        if let v = t.duration("idle", in: .milliseconds(100) ... .seconds(3600)) { server.idleTimeout = v }
        if let v = t.duration("stalled_write", in: .milliseconds(100) ... .seconds(600)) { server.stalledWriteTimeout = v }
        t.finish(known: ["header_read", "idle", "stalled_write"])
        s.finish(known: ["host", "port", "loops", "drain_timeout", "events_db", "max_connections", "max_body_bytes", "allow_unauthenticated",
                            "event_stream_heartbeat", "max_event_streams", "max_stream_buffered_bytes", "timeouts"])
    }

    private mutating func readLog(_ top: inout ConfigSection) {
        var s = top.section("log")
        let levels = Logger.Level.allCases.map(\.rawValue)
        if let v = s.oneOf("level", levels) { log.level = Logger.Level(rawValue: v)! }
        if let v = s.oneOf("format", ["json", "text"]) { log.format = Log.Format(rawValue: v)! }
        if let v = s.bool("requests") { log.requests = v }
        s.finish(known: ["level", "format", "requests"])
    }

    private mutating func readCORS(_ top: inout ConfigSection) {
        var s = top.section("cors")
        if let items = s.list("allowed_origins") {
            var origins: [String] = []
            for (i, item) in items.enumerated() {
                let key = s.name("allowed_origins") + "[\(i)]"
                guard case .scalar(let v, _, _) = item.node else {
                    s.reader.fail(key, "must be an origin such as https://app.example.com", origin: item.origin)
                    continue
                }
                do throws(CORSConfig.ConfigError) {
                    origins.append(try CORSConfig.parseOrigin(v))
                } catch {
                    s.reader.fail(key, "must be an origin (scheme://host[:port]) or *: \(error.message)", origin: item.origin)
                }
            }
            cors.allowedOrigins = origins
        }
        if let v = s.bool("allow_credentials") { cors.allowCredentials = v }
        if let v = s.duration("max_age", in: .zero ... .seconds(86400)) { cors.maxAge = Int(v.components.seconds) }
        if cors.allowCredentials && cors.allowedOrigins.contains("*") {
            s.reader.fail(s.name("allow_credentials"), "cannot be true while allowed_origins contains * (browsers refuse it)")
        }
        s.finish(known: ["allowed_origins", "allow_credentials", "max_age"])
    }

    private mutating func readClients(_ top: inout ConfigSection, reader: ConfigReader) {
        guard let items = top.list("clients") else { return }
        var names = Set<String>()
        var digests = Set<String>()
        for (i, item) in items.enumerated() {
            var c = ConfigSection(reader: reader, path: ["clients[\(i)]"], node: item.node)
            let name = c.string("name")
            let digest = c.string("key_sha256")
            let scope = c.oneOf("scope", ClientKey.Scope.allCases.map(\.rawValue))
            let rate = Self.rate(&c, "rate_limit")
            c.finish(known: ["name", "key_sha256", "scope", "rate_limit"])
            guard let name else { reader.fail(c.name("name"), "is required", origin: item.origin); continue }
            if !names.insert(name).inserted { reader.fail(c.name("name"), "\(name) is given twice", origin: item.origin) }
            guard let digest else {
                reader.fail(c.name("key_sha256"), "is required (the SHA-256 of the key in hex; `crm-gateway keys generate` makes one)", origin: item.origin)
                continue
            }
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit) else {
                reader.fail(c.name("key_sha256"), "must be 64 hexadecimal characters (a SHA-256 digest, not the key itself)", origin: item.origin)
                continue
            }
            if !digests.insert(digest.lowercased()).inserted { reader.fail(c.name("key_sha256"), "the same key is configured twice", origin: item.origin) }
            clients.append(ClientKey(name: name, digest: digest, scope: scope.flatMap(ClientKey.Scope.init(rawValue:)) ?? .read, rate: rate))
        }
    }

    /// `{requests: N, per: <duration>, burst: M}`.
    private static func rate(_ parent: inout ConfigSection, _ key: String, rolling: Bool = false) -> TokenBucket.Rate? {
        var s = parent.section(key)
        guard s.isMentioned else { return nil }
        let n = s.int("requests", in: 1...1_000_000)
        let per = s.duration("per", in: .milliseconds(1) ... .seconds(86400))
        let burst = s.int("burst", in: 1...1_000_000)
        s.finish(known: ["requests", "per", "burst"])
        guard let n, let per else {
            for k in ["requests", "per"] where !s.present(k) { s.reader.fail(s.name(k), "is required") }
            return nil
        }
        if rolling { return .rollingWindow(limit: n, per: per, burst: burst ?? max(1, n / 4)) }
        return TokenBucket.Rate(count: n, per: per, burst: burst)
    }

    private mutating func readCache(_ top: inout ConfigSection) {
        var s = top.section("cache")
        var c = CacheConfig()
        let enabled = s.bool("enabled") ?? true
        if let v = s.bytes("max_bytes", in: (1 << 16)...(64 << 30)) { c.maxBytes = v }
        if let v = s.bytes("max_entry_bytes", in: 1024...(1 << 30)) { c.maxEntryBytes = v }
        let swr = s.duration("stale_while_revalidate", in: .zero ... .seconds(86400))
        let sie = s.duration("stale_if_error", in: .zero ... .seconds(7 * 86400))
        for name in c.classes.keys {
            if let swr { c.classes[name]?.staleWhileRevalidate = swr }
            if let sie { c.classes[name]?.staleIfError = sie }
        }
        if let swr { c.defaultPolicy.staleWhileRevalidate = swr }
        if let sie { c.defaultPolicy.staleIfError = sie }
        for (name, ttl) in Self.ttls(&s) { c.setTTL(ttl, for: name) }
        if c.maxEntryBytes > c.maxBytes { s.reader.fail(s.name("max_entry_bytes"), "must not exceed cache.max_bytes") }
        s.finish(known: ["enabled", "max_bytes", "max_entry_bytes", "stale_while_revalidate", "stale_if_error", "ttl"])
        cache = enabled ? c : nil
    }

    /// `ttl: {contacts: 30s, ...}`: only the cache classes the gateway has.
    private static func ttls(_ parent: inout ConfigSection, key: String = "ttl") -> [String: Duration] {
        var s = parent.section(key)
        var out: [String: Duration] = [:]
        let classes = CacheConfig.standardClasses.keys.sorted()
        for name in classes {
            if let d = s.duration(name, in: .zero ... .seconds(86400)) { out[name] = d }
        }
        s.finish(known: classes)
        return out
    }

    private mutating func readUpstreams(_ top: inout ConfigSection, reader: ConfigReader) {
        var all = top.section("upstreams")
        for name in Self.upstreamNames {
            var s = all.section(name)
            guard s.isMentioned else { continue }
            if let u = Self.upstream(name, &s) { upstreams[name] = u }
        }
        all.finish(known: Self.upstreamNames)
    }

    private static func upstream(_ name: String, _ s: inout ConfigSection) -> Upstream? {
        let base = s.string("base_url") ?? defaultBaseURLs[name]
        let credential = s.secret("credential")
        var timeouts = UpstreamTimeouts(connect: .seconds(5), total: .seconds(30))
        var t = s.section("timeouts")
        if let v = t.duration("connect", in: .milliseconds(100) ... .seconds(120)) { timeouts.connect = v }
        if let v = t.duration("total", in: .milliseconds(100) ... .seconds(600)) { timeouts.total = v }
        t.finish(known: ["connect", "total"])
        if timeouts.connect > timeouts.total { s.reader.fail(t.name("connect"), "must not exceed \(t.name("total"))") }

        // Limits: the general bucket, the upstream's own finer ones, and the waiting queue.
        var limits = RateLimitConfig.defaults(for: name)
        var l = s.section("limits")
        let named = limits.named.keys.sorted()
        if let r = rate(&l, "general") { limits.general = r }
        for bucket in named {
            if let r = rate(&l, bucket, rolling: name == "pipedrive") { limits.named[bucket] = r }
        }
        if let q = l.int("queue", in: 0...100_000) { limits.maxWaiters = q }
        l.finish(known: ["general"] + named + ["queue"])

        let ttl = ttls(&s, key: "cache_ttl")
        var options: [String: String] = [:]
        var webhookSecret: Secret?
        var known = ["base_url", "credential", "credential_file", "timeouts", "limits", "cache_ttl"]
        switch name {
        case "textrequest":
            if let v = s.int("dashboard_id", in: 1...Int(Int32.max)) { options["dashboard_id"] = String(v) }
            if let v = s.string("email_field_id") { options["email_field_id"] = v }
            if let v = s.string("dashboard_phone") { options["dashboard_phone"] = v }
            if let v = s.duration("webhook_window", in: .seconds(1) ... .seconds(3600)) { options["webhook_window_seconds"] = String(v.components.seconds) }
            known += ["dashboard_id", "email_field_id", "dashboard_phone", "webhook_window"]
        case "hana":
            if let v = s.string("update_path") {
                if v.hasPrefix("/") { options["update_path"] = v } else { s.reader.fail(s.name("update_path"), "must start with /") }
            }
            webhookSecret = s.secret("webhook_token")
            known += ["update_path", "webhook_token", "webhook_token_file"]
        case "pipedrive":
            if let v = s.string("webhook_user") { options["webhook_user"] = v }
            webhookSecret = s.secret("webhook_password")
            known += ["webhook_user", "webhook_password", "webhook_password_file"]
            if (options["webhook_user"] == nil) != (webhookSecret == nil) {
                s.reader.fail(s.name("webhook_user"), "webhook_user and webhook_password go together")
            }
        default:
            break
        }
        s.finish(known: known)
        if base == nil { s.reader.fail(s.name("base_url"), "is required for \(name)") }
        if let base, let problem = checkBaseURL(base) { s.reader.fail(s.name("base_url"), problem) }
        if credential == nil && !s.present("credential") && !s.present("credential_file") {
            s.reader.fail(s.name("credential"), "is required for \(name) (or credential_file)")
        }
        guard let base, checkBaseURL(base) == nil, let credential else { return nil }
        return Upstream(name: name, baseURL: base, credential: credential, timeouts: timeouts, limits: limits,
                        cacheTTLs: ttl, options: options, webhookSecret: webhookSecret)
    }

    /// https anywhere; plain http only to loopback (an emulator on this machine). No userinfo,
    /// query or fragment (credentials travel in headers).
    static func checkBaseURL(_ url: String) -> String? {
        let lower = url.lowercased()
        let isHTTPS = lower.hasPrefix("https://")
        guard isHTTPS || lower.hasPrefix("http://") else { return "must start with https://" }
        let rest = lower.dropFirst(isHTTPS ? 8 : 7)
        let authority = rest.prefix { $0 != "/" }
        guard !authority.isEmpty else { return "has no host" }
        if authority.contains("@") || rest.contains("?") || rest.contains("#") { return "must not contain userinfo, a query or a fragment" }
        if !isHTTPS && !isLoopbackHost(hostOf(authority: String(authority))) {
            return "must be https:// (plain http is allowed only to a loopback address)"
        }
        return nil
    }

    static func hostOf(authority: String) -> String {
        if authority.hasPrefix("[") { return String(authority.dropFirst().prefix { $0 != "]" }) }
        return String(authority.prefix { $0 != ":" })
    }
}
