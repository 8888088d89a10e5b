import Gateway
import GatewayCore
import Logging
import Testing

/// The configuration file and `CRMGW_*` overrides (issue 7): every error names its key,
/// the environment beats the file, secrets come from files and are never printed.
@Suite struct GatewayConfigTests {
    /// Files the loader may read: the config itself and secret files.
    static func load(_ yaml: String?, env: [String: String] = [:], files: [String: String] = [:]) throws(ConfigErrors) -> GatewayConfig {
        var all = files
        if let yaml { all["/etc/crm-gateway/config.yaml"] = yaml }
        return try GatewayConfig.load(file: yaml == nil ? nil : "/etc/crm-gateway/config.yaml", environment: env, readFile: { all[$0] })
    }

    /// The errors of a configuration that must fail, as `key: message` lines.
    static func errors(_ yaml: String?, env: [String: String] = [:], files: [String: String] = [:]) -> [ConfigError] {
        do {
            _ = try load(yaml, env: env, files: files)
            return []
        } catch {
            return error.errors
        }
    }

    static let fullYAML = """
        server:
          host: 0.0.0.0
          port: 9000
          loops: 2
          drain_timeout: 5s
          events_db: /var/lib/crm-gateway/events.sqlite
          max_connections: 500
          max_body_bytes: 2MiB
          timeouts: {header_read: 3s, idle: 2m, stalled_write: 1500ms}
          event_stream_heartbeat: 5s
          max_event_streams: 20
          max_stream_buffered_bytes: 256KiB
        log: {level: warning, format: text, requests: false}
        cors:
          allowed_origins: [https://app.example.com, "http://localhost:3000"]
          max_age: 1h
        clients:
          - name: web
            key_sha256: \(String(repeating: "ab", count: 32))
            scope: write
            rate_limit: {requests: 600, per: 1m, burst: 50}
          - name: dashboard
            key_sha256: \(String(repeating: "CD", count: 32))
        cache:
          max_bytes: 128MiB
          ttl: {contacts: 45s, metadata: 1h}
        upstreams:
          pipedrive:
            base_url: https://acme.pipedrive.com/
            credential_file: /run/secrets/pipedrive
            timeouts: {connect: 2s, total: 20s}
            limits:
              general: {requests: 80, per: 60s}
              burst: {requests: 20, per: 2s, burst: 5}
              queue: 50
            cache_ttl: {deals: 5s}
            webhook_user: hooks
            webhook_password_file: /run/secrets/pd-hook
          textrequest:
            credential: tr-inline-credential
            dashboard_id: 7
            webhook_window: 2m
          hana:
            base_url: https://apiv2.hana.ai
            credential: hana-bearer
            webhook_token_file: /run/secrets/hana-token
        """
    static let secretFiles = [
        "/run/secrets/pipedrive": "pd-file-credential\n",
        "/run/secrets/pd-hook": "pd-hook-password",
        "/run/secrets/hana-token": "hana-token-value\r\n",
    ]

    @Test func aFullFileIsReadIntoTheOptionsTheGatewayRunsWith() throws {
        let config = try Self.load(Self.fullYAML, files: Self.secretFiles)
        var o = GatewayOptions()
        config.apply(to: &o)
        #expect(o.address == SocketAddress(host: "0.0.0.0", port: 9000))
        #expect(o.loops == 2)
        #expect(o.drainTimeout == .seconds(5))
        #expect(o.eventStorePath == "/var/lib/crm-gateway/events.sqlite")
        #expect(o.server.maxConnections == 500)
        #expect(o.server.limits.maxBodyBytes == 2 << 20)
        #expect(o.server.timeouts.headerRead == .seconds(3))
        #expect(o.server.timeouts.idleKeepAlive == .seconds(120))
        #expect(o.server.timeouts.stalledWrite == .milliseconds(1500))
        #expect(o.eventStreams.heartbeat == .seconds(5) && o.eventStreams.maxStreams == 20)
        #expect(o.server.maxStreamBufferedBytes == 256 << 10)
        #expect(config.log.level == .warning && config.log.format == .text && !config.log.requests)
        #expect(o.requestLog == false)
        #expect(config.cors.allowedOrigins == ["https://app.example.com", "http://localhost:3000"])
        #expect(config.cors.maxAge == 3600)
        #expect(o.cors == config.cors)
        #expect(o.clients.map(\.name) == ["web", "dashboard"])
        #expect(o.clients[0].scope == .write && o.clients[1].scope == .read)
        #expect(o.clients[0].rate == TokenBucket.Rate(count: 600, per: .seconds(60), burst: 50))
        #expect(o.clients[1].digest == String(repeating: "cd", count: 32), "digests are compared lowercase")
        #expect(o.cache?.maxBytes == 128 << 20)
        #expect(o.cache?.policy(for: "contacts").ttl == .seconds(45))
        #expect(o.cache?.policy(for: "metadata").ttl == .seconds(3600))
        #expect(o.cache?.policy(for: "companies").ttl == .seconds(60), "classes not named keep their default")
        #expect(o.cacheTTLs == ["pipedrive": ["deals": .seconds(5)]])

        let pd = try #require(o.upstreams["pipedrive"])
        #expect(pd.baseURL == "https://acme.pipedrive.com", "the trailing slash is dropped")
        #expect(pd.credential == "pd-file-credential", "one trailing newline of a secret file is dropped")
        #expect(pd.timeouts.connect == .seconds(2) && pd.timeouts.total == .seconds(20))
        let pdLimits = try #require(o.limits["pipedrive"])
        #expect(pdLimits.general == TokenBucket.Rate(count: 80, per: .seconds(60)))
        #expect(pdLimits.named["burst"] == .rollingWindow(limit: 20, per: .seconds(2), burst: 5))
        #expect(pdLimits.named["search"] == RateLimitConfig.defaults(for: "pipedrive").named["search"], "an unnamed bucket keeps its default")
        #expect(pdLimits.maxWaiters == 50)
        #expect(o.upstreams["textrequest"]?.baseURL == "https://api.textrequest.com", "Text Request's host is the same for everyone")
        #expect(o.upstreams["textrequest"]?.options["dashboard_id"] == "7")
        #expect(o.upstreams["hana"]?.credential == "hana-bearer")
        #expect(o.upstreams["hotprofile"] == nil)
        #expect(Set(o.adapters.map(\.source)) == ["pipedrive", "textrequest"], "Hana's adapter is added with the inbox")
        #expect(o.webhookSecrets.hanaToken == "hana-token-value")
        #expect(o.webhookSecrets.textRequestKey == "tr-inline-credential", "Text Request signs with its API key")
        #expect(o.webhookSecrets.pipedriveUser == "hooks" && o.webhookSecrets.pipedrivePassword == "pd-hook-password")
        #expect(o.webhookSecrets.textRequestWindowSeconds == 120)
        #expect(o.allowPlainHTTPToLoopback == false)
    }

    @Test func noFileAndNoEnvironmentGiveTheDefaults() throws {
        let config = try Self.load(nil)
        var o = GatewayOptions()
        config.apply(to: &o)
        #expect(o.address == SocketAddress(host: "127.0.0.1", port: 8080))
        #expect(o.upstreams.isEmpty && o.clients.isEmpty)
        #expect(config.log.format == .json && config.log.level == .info)
        #expect(o.cache == CacheConfig())
        #expect(o.refusalToListen == nil)
    }

    @Test func theEnvironmentOverridesTheFileKeyByKey() throws {
        let env = [
            "CRMGW_SERVER_PORT": "9100",
            "CRMGW_SERVER_ALLOW_UNAUTHENTICATED": "true",
            "CRMGW_LOG_LEVEL": "debug",
            "CRMGW_UPSTREAMS_PIPEDRIVE_CREDENTIAL_FILE": "/run/secrets/other",
            "CRMGW_UPSTREAMS_PIPEDRIVE_LIMITS_GENERAL_REQUESTS": "40",
            "CRMGW_UPSTREAMS_HOTPROFILE_BASE_URL": "https://tenant.hot-profile.com",
            "CRMGW_UPSTREAMS_HOTPROFILE_CREDENTIAL": "hp-env-credential",
            "CRMGW_CORS_ALLOWED_ORIGINS": "https://a.example.com, https://b.example.com",
            "CRMGW_CACHE_TTL_CONTACTS": "2s",
            "CRMGW_CONFIG": "/ignored/by/the/loader",
        ]
        var files = Self.secretFiles
        files["/run/secrets/other"] = "pd-other-credential"
        let config = try Self.load(Self.fullYAML, env: env, files: files)
        var o = GatewayOptions()
        config.apply(to: &o)
        #expect(o.address.port == 9100)
        #expect(o.address.host == "0.0.0.0", "what the environment does not name stays as the file says")
        #expect(o.allowUnauthenticated)
        #expect(config.log.level == .debug)
        #expect(o.upstreams["pipedrive"]?.credential == "pd-other-credential")
        #expect(o.limits["pipedrive"]?.general == TokenBucket.Rate(count: 40, per: .seconds(60)), "per stays from the file")
        #expect(o.upstreams["hotprofile"]?.baseURL == "https://tenant.hot-profile.com", "an upstream can be configured by environment alone")
        #expect(o.upstreams["hotprofile"]?.credential == "hp-env-credential")
        #expect(config.cors.allowedOrigins == ["https://a.example.com", "https://b.example.com"])
        #expect(o.cache?.policy(for: "contacts").ttl == .seconds(2))
    }

    @Test func listsOfClientsCanComeFromTheEnvironmentAsYAML() throws {
        let digest = ClientKey.digestHex("k1")
        let config = try Self.load(nil, env: ["CRMGW_CLIENTS": "[{name: ci, key_sha256: \(digest), scope: write}]"])
        #expect(config.clients == [ClientKey(name: "ci", digest: digest, scope: .write)])
    }

    /// Each bad input, and the key the error must name.
    static let badInputs: [(yaml: String, env: [String: String], key: String, says: String)] = [
        ("server: {prot: 1}", [:], "server.prot", "is not a configuration key"),
        ("sever: {port: 1}", [:], "sever", "is not a configuration key"),
        ("server: {port: 70000}", [:], "server.port", "between 0 and 65535"),
        ("server: {port: eighty}", [:], "server.port", "whole number"),
        ("server: {drain_timeout: 10 minutes}", [:], "server.drain_timeout", "duration"),
        ("server: {max_body_bytes: 12XB}", [:], "server.max_body_bytes", "size"),
        ("server: {allow_unauthenticated: yes}", [:], "server.allow_unauthenticated", "true or false"),
        ("server: {timeouts: {idle: 0s}}", [:], "server.timeouts.idle", "between"),
        ("server: [1, 2]", [:], "server", "mapping"),
        ("server: {host: {a: 1}}", [:], "server.host", "single value"),
        ("log: {level: loud}", [:], "log.level", "one of"),
        ("cors: {allowed_origins: [https://a.example.com/path]}", [:], "cors.allowed_origins[0]", "no path"),
        ("cors: {allowed_origins: ['*'], allow_credentials: true}", [:], "cors.allow_credentials", "cannot be true"),
        ("clients: [{name: a, key_sha256: not-a-digest}]", [:], "clients[0].key_sha256", "64 hexadecimal"),
        ("clients: [{name: a}]", [:], "clients[0].key_sha256", "is required"),
        ("clients: [{key_sha256: \(String(repeating: "0", count: 64))}]", [:], "clients[0].name", "is required"),
        ("clients: [{name: a, key_sha256: \(String(repeating: "0", count: 64)), scope: admin}]", [:], "clients[0].scope", "one of"),
        ("clients: [{name: a, key_sha256: \(String(repeating: "0", count: 64)), rate_limit: {requests: 5}}]", [:], "clients[0].rate_limit.per", "is required"),
        ("clients: [{name: a, key_sha256: \(String(repeating: "0", count: 64))}, {name: a, key_sha256: \(String(repeating: "1", count: 64))}]", [:], "clients[1].name", "twice"),
        ("cache: {ttl: {contacts: 10x}}", [:], "cache.ttl.contacts", "duration"),
        ("cache: {ttl: {unicorns: 1s}}", [:], "cache.ttl.unicorns", "is not a configuration key"),
        ("cache: {max_bytes: 1MiB, max_entry_bytes: 2MiB}", [:], "cache.max_entry_bytes", "must not exceed"),
        ("upstreams: {salesforce: {credential: x}}", [:], "upstreams.salesforce", "is not a configuration key"),
        ("upstreams: {pipedrive: {credential: x}}", [:], "upstreams.pipedrive.base_url", "is required"),
        ("upstreams: {pipedrive: {base_url: https://a.pipedrive.com}}", [:], "upstreams.pipedrive.credential", "is required"),
        ("upstreams: {pipedrive: {base_url: http://a.pipedrive.com, credential: x}}", [:], "upstreams.pipedrive.base_url", "https"),
        ("upstreams: {pipedrive: {base_url: http://127.evil.example, credential: x}}", [:], "upstreams.pipedrive.base_url", "https"),
        ("upstreams: {pipedrive: {base_url: https://user@a.pipedrive.com, credential: x}}", [:], "upstreams.pipedrive.base_url", "userinfo"),
        ("upstreams: {pipedrive: {base_url: https://a.pipedrive.com, credential: x, credential_file: /f}}", [:], "upstreams.pipedrive.credential", "not both"),
        ("upstreams: {pipedrive: {base_url: https://a.pipedrive.com, credential_file: /missing}}", [:], "upstreams.pipedrive.credential_file", "cannot read /missing"),
        ("upstreams: {pipedrive: {base_url: https://a.pipedrive.com, credential_file: /empty}}", [:], "upstreams.pipedrive.credential_file", "is empty"),
        ("upstreams: {pipedrive: {base_url: https://a.pipedrive.com, credential: x, limits: {send: {requests: 1, per: 1s}}}}", [:], "upstreams.pipedrive.limits.send", "is not a configuration key"),
        ("upstreams: {pipedrive: {base_url: https://a.pipedrive.com, credential: x, timeouts: {connect: 40s, total: 30s}}}", [:], "upstreams.pipedrive.timeouts.connect", "must not exceed"),
        ("upstreams: {pipedrive: {base_url: https://a.pipedrive.com, credential: x, webhook_user: u}}", [:], "upstreams.pipedrive.webhook_user", "go together"),
        ("upstreams: {hana: {base_url: https://h.example, credential: x, update_path: update}}", [:], "upstreams.hana.update_path", "must start with /"),
        ("upstreams: {textrequest: {credential: x, dashboard_id: 0}}", [:], "upstreams.textrequest.dashboard_id", "between"),
        ("server: {port: 1}\nserver: {port: 2}", [:], "server", "given twice"),
        ("server: {port: 1", [:], "/etc/crm-gateway/config.yaml", "not valid YAML"),
        ("", ["CRMGW_SERVER_PROT": "1"], "CRMGW_SERVER_PROT", "is not a configuration key"),
        ("", ["CRMGW_SERVER_PORT": "x"], "server.port", "whole number"),
        ("", ["CRMGW_CLIENTS": "{name: a}"], "CRMGW_CLIENTS", "YAML list"),
    ]

    @Test(arguments: 0..<badInputs.count)
    func everyBadValueIsAnErrorNamingItsKey(_ index: Int) {
        let bad = Self.badInputs[index]
        let errors = Self.errors(bad.yaml, env: bad.env, files: ["/empty": "\n"])
        #expect(errors.contains { $0.key == bad.key && $0.message.contains(bad.says) },
                "case \(index): expected \(bad.key) \(bad.says); got \(errors.map(\.description))")
    }

    @Test func errorsNameTheFileLineTheyComeFrom() {
        let errors = Self.errors("server:\n  host: 127.0.0.1\n  prot: 1\n")
        #expect(errors.map(\.description) == [
            "server.prot: is not a configuration key (known here: host, port, loops, drain_timeout, events_db, max_connections, max_body_bytes, allow_unauthenticated, event_stream_heartbeat, max_event_streams, max_stream_buffered_bytes, timeouts) (/etc/crm-gateway/config.yaml line 3)",
        ])
    }

    @Test func allProblemsAreReportedAtOnce() {
        let errors = Self.errors("server: {port: -1, loops: 0}\nlog: {format: xml}\n", env: ["CRMGW_NOPE": "1"])
        #expect(errors.map(\.key) == ["server.port", "server.loops", "log.format", "CRMGW_NOPE"])
    }

    @Test func theEffectiveConfigurationNeverPrintsASecret() throws {
        let env = ["CRMGW_UPSTREAMS_HOTPROFILE_BASE_URL": "https://tenant.hot-profile.com",
                   "CRMGW_UPSTREAMS_HOTPROFILE_CREDENTIAL": "hp-env-credential"]
        let config = try Self.load(Self.fullYAML, env: env, files: Self.secretFiles)
        let text = config.rendered()
        for secret in ["pd-file-credential", "pd-hook-password", "hana-token-value", "tr-inline-credential", "hana-bearer",
                       "hp-env-credential", String(repeating: "ab", count: 32)] {
            #expect(!text.contains(secret), "\(secret) must not be printed")
        }
        #expect(text.contains("credential: \"*** (from file /run/secrets/pipedrive)\""))
        #expect(text.contains("credential: \"*** (from environment CRMGW_UPSTREAMS_HOTPROFILE_CREDENTIAL)\""))
        #expect(text.contains("credential: \"*** (inline at upstreams.textrequest.credential)\""))
        #expect(text.contains("webhook_token: \"*** (from file /run/secrets/hana-token)\""))
        #expect(text.contains("burst: {requests: 20, per: 2s, burst: 5, window: rolling}"), "a rolling window shows as configured")
        #expect(text.contains("- {name: \"web\", key_sha256: \"abababab...\", scope: write, rate_limit: {requests: 600, per: 1m, burst: 50}}"))
        // Nor do the errors: a bad secret file is named by path, never by content.
        let errors = Self.errors("upstreams: {pipedrive: {base_url: https://a.pipedrive.com, credential_file: /two-lines}}",
                                 files: ["/two-lines": "line-one-secret\nline-two-secret\n"])
        #expect(errors.map(\.key) == ["upstreams.pipedrive.credential_file"])
        #expect(!errors.description.contains("line-one-secret"))
        // A syntax error next to an inline secret: YAML's own message would quote the text.
        let broken = Self.errors("upstreams:\n  pipedrive: {credential: inline-secret-x, base_url: [}\n")
        #expect(broken.count == 1 && broken[0].message.hasPrefix("not valid YAML"))
        #expect(!broken.description.contains("inline-secret-x"))
    }

    @Test func durationsAndSizesReadTheUnitsOperatorsWrite() throws {
        let config = try Self.load("server: {drain_timeout: 1.5, max_body_bytes: 1_048_576}\ncache: {max_bytes: 1GiB, max_entry_bytes: 512KB}\n")
        #expect(config.server.drainTimeout == .milliseconds(1500), "a bare number is seconds")
        #expect(config.server.maxBodyBytes == 1 << 20)
        #expect(config.cache?.maxBytes == 1 << 30)
        #expect(config.cache?.maxEntryBytes == 512_000)
        #expect(try Self.load("cache: {enabled: false}").cache == nil)
    }

    @Test func listeningBeyondLoopbackNeedsKeysOrAnExplicitOpenFlag() throws {
        var o = GatewayOptions()
        o.address = SocketAddress(host: "0.0.0.0", port: 8080)
        #expect(o.refusalToListen?.contains("refusing to listen on 0.0.0.0 without client API keys") == true)
        o.allowUnauthenticated = true
        #expect(o.refusalToListen == nil)
        o.allowUnauthenticated = false
        o.clients = [ClientKey(name: "a", digest: ClientKey.digestHex("k"), scope: .read)]
        #expect(o.refusalToListen == nil)
        for loopback in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] {
            var l = GatewayOptions()
            l.address = SocketAddress(host: loopback, port: 8080)
            #expect(l.refusalToListen == nil, "\(loopback) is loopback")
        }
        // The application itself refuses, before it starts anything.
        var open = GatewayOptions()
        open.address = SocketAddress(host: "0.0.0.0", port: 0)
        let app = GatewayApplication(options: open, logger: Logger(label: "test"))
        #expect(throws: GatewayStartError.self) { try app.run(onListening: { _ in }) }
    }
}
