import GatewayCore
import Logging

extension GatewayConfig {
    /// The options the application runs with. The command line's flags are applied after this.
    public func apply(to options: inout GatewayOptions) {
        options.address = SocketAddress(host: server.host, port: server.port)
        if let loops = server.loops { options.loops = loops }
        options.drainTimeout = server.drainTimeout
        options.eventStorePath = server.eventsDB
        options.server.maxConnections = server.maxConnections
        options.server.limits.maxBodyBytes = server.maxBodyBytes
        options.server.timeouts.headerRead = server.headerReadTimeout
        options.server.timeouts.idleKeepAlive = server.idleTimeout
        options.server.timeouts.stalledWrite = server.stalledWriteTimeout
        options.server.maxStreamBufferedBytes = server.maxStreamBufferedBytes
        options.eventStreams.heartbeat = server.eventStreamHeartbeat
        options.eventStreams.maxStreams = server.maxEventStreams
        options.upstreams = upstreams.mapValues(\.settings)
        options.adapters = AdapterRegistry.adapters(for: options.upstreams)
        // The base URLs were checked: plain http only ever points at loopback.
        options.allowPlainHTTPToLoopback = upstreams.values.contains { $0.baseURL.lowercased().hasPrefix("http://") }
        var secrets = WebhookSecrets(hanaToken: upstreams["hana"]?.webhookSecret?.value,
                                     // Text Request signs its webhooks with the account's API key.
                                     textRequestKey: upstreams["textrequest"]?.credential.value,
                                     pipedriveUser: upstreams["pipedrive"]?.options["webhook_user"],
                                     pipedrivePassword: upstreams["pipedrive"]?.webhookSecret?.value)
        if let w = upstreams["textrequest"]?.options["webhook_window_seconds"].flatMap({ Int64($0) }) { secrets.textRequestWindowSeconds = w }
        options.webhookSecrets = secrets
        options.limits = upstreams.mapValues(\.limits)
        options.cache = cache
        options.cacheTTLs = upstreams.mapValues(\.cacheTTLs).filter { !$0.value.isEmpty }
        options.clients = clients
        options.allowUnauthenticated = server.allowUnauthenticated
        options.requestLog = log.requests
        options.cors = cors
    }

    /// What `check-config` prints: the effective configuration as YAML, every secret masked
    /// (only where it came from is shown).
    public func rendered(host: String? = nil, port: Int? = nil) -> String {
        var out: [String] = []
        func line(_ indent: Int, _ text: String) { out.append(String(repeating: "  ", count: indent) + text) }
        func q(_ s: String) -> String {
            var r = "\""
            for c in s.unicodeScalars {
                switch c {
                case "\"": r += "\\\""
                case "\\": r += "\\\\"
                case "\n": r += "\\n"
                default: r.unicodeScalars.append(c)
                }
            }
            return r + "\""
        }
        func secret(_ s: Secret) -> String { q("*** (" + s.origin.description + ")") }
        func window(_ r: TokenBucket.Rate) -> String {
            "{requests: \(r.count + r.burst - 1), per: \(ConfigValues.format(r.per)), burst: \(r.burst), window: rolling}"
        }
        func rate(_ r: TokenBucket.Rate) -> String { "{requests: \(r.count), per: \(ConfigValues.format(r.per)), burst: \(r.burst)}" }

        out.append("# crm-gateway effective configuration (" + (file.map { "file " + $0 } ?? "no file") + ", plus CRMGW_* environment); secrets masked")
        line(0, "server:")
        line(1, "host: " + q(host ?? server.host))
        line(1, "port: \(port ?? server.port)")
        line(1, "loops: " + (server.loops.map(String.init) ?? "\(max(1, availableCPUs()))  # one per CPU"))
        line(1, "drain_timeout: " + ConfigValues.format(server.drainTimeout))
        line(1, "events_db: " + q(server.eventsDB))
        line(1, "max_connections: \(server.maxConnections)")
        line(1, "max_body_bytes: \(server.maxBodyBytes)")
        line(1, "allow_unauthenticated: \(server.allowUnauthenticated)")
        line(1, "event_stream_heartbeat: " + ConfigValues.format(server.eventStreamHeartbeat))
        line(1, "max_event_streams: \(server.maxEventStreams)")
        line(1, "max_stream_buffered_bytes: \(server.maxStreamBufferedBytes)")
        line(1, "timeouts: {header_read: \(ConfigValues.format(server.headerReadTimeout)), idle: \(ConfigValues.format(server.idleTimeout)), stalled_write: \(ConfigValues.format(server.stalledWriteTimeout))}")
        line(0, "log: {level: \(log.level.rawValue), format: \(log.format.rawValue), requests: \(log.requests)}")
        line(0, "cors:")
        line(1, "allowed_origins: [" + cors.allowedOrigins.map(q).joined(separator: ", ") + "]")
        line(1, "allow_credentials: \(cors.allowCredentials)")
        line(1, "max_age: " + ConfigValues.format(.seconds(cors.maxAge)))
        if clients.isEmpty {
            line(0, "clients: []  # " + (isLoopbackHost(host ?? server.host) ? "loopback: calls need no key" : "no keys"))
        } else {
            line(0, "clients:")
            for c in clients {
                // The digest is not the key, but it is still not printed whole: it identifies the key.
                line(1, "- {name: \(q(c.name)), key_sha256: \(q(String(c.digest.prefix(8)) + "...")), scope: \(c.scope.rawValue)" + (c.rate.map { ", rate_limit: " + rate($0) } ?? "") + "}")
            }
        }
        if let cache {
            line(0, "cache:")
            line(1, "enabled: true")
            line(1, "max_bytes: \(cache.maxBytes)")
            line(1, "max_entry_bytes: \(cache.maxEntryBytes)")
            line(1, "ttl: {" + cache.classes.keys.sorted().map { "\($0): " + ConfigValues.format(cache.classes[$0]!.ttl) }.joined(separator: ", ") + "}")
        } else {
            line(0, "cache: {enabled: false}")
        }
        if upstreams.isEmpty {
            line(0, "upstreams: {}  # none configured")
        } else {
            line(0, "upstreams:")
            for name in GatewayConfig.upstreamNames {
                guard let u = upstreams[name] else { continue }
                line(1, name + ":")
                line(2, "base_url: " + q(u.baseURL))
                line(2, "credential: " + secret(u.credential))
                line(2, "timeouts: {connect: \(ConfigValues.format(u.timeouts.connect)), total: \(ConfigValues.format(u.timeouts.total))}")
                var limits = ["general: " + rate(u.limits.general)]
                for (n, r) in u.limits.named.sorted(by: { $0.key < $1.key }) {
                    // Pipedrive's finer limits are rolling windows: shown as configured.
                    limits.append(n + ": " + (name == "pipedrive" ? window(r) : rate(r)))
                }
                limits.append("queue: \(u.limits.maxWaiters)")
                line(2, "limits: {" + limits.joined(separator: ", ") + "}")
                if !u.cacheTTLs.isEmpty {
                    line(2, "cache_ttl: {" + u.cacheTTLs.keys.sorted().map { "\($0): " + ConfigValues.format(u.cacheTTLs[$0]!) }.joined(separator: ", ") + "}")
                }
                for (k, v) in u.options.sorted(by: { $0.key < $1.key }) {
                    let key = k == "webhook_window_seconds" ? "webhook_window" : k
                    line(2, key + ": " + (k == "webhook_window_seconds" ? v + "s" : q(v)))
                }
                if let w = u.webhookSecret {
                    line(2, (name == "hana" ? "webhook_token: " : "webhook_password: ") + secret(w))
                }
            }
        }
        return out.joined(separator: "\n") + "\n"
    }
}
