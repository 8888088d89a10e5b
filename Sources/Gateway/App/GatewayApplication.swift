#if canImport(Glibc)
import Glibc
#endif
import GatewayCore
import Logging
import Synchronization

/// Process-wide state the routes read (readiness during drain).
public final class HealthState: Sendable {
    private let draining = Atomic<Bool>(false)
    private let upstreams: Atomic<Int>
    /// `upstreams`: how many upstreams are configured (none: not ready, nothing to serve).
    public init(upstreams: Int = 0) { self.upstreams = Atomic(upstreams) }
    public var isDraining: Bool { draining.load(ordering: .relaxed) }
    public var upstreamCount: Int { upstreams.load(ordering: .relaxed) }
    func beginDrain() { draining.store(true, ordering: .relaxed) }
    func setUpstreams(_ n: Int) { upstreams.store(n, ordering: .relaxed) }
}

public struct GatewayOptions: Sendable {
    public var address = SocketAddress(host: "127.0.0.1", port: 8080)
    /// One event loop per usable CPU by default; see "Threads" in the README for the
    /// measurement behind it and when `--loops 1` is the better choice.
    public var loops: Int = max(1, availableCPUs())
    public var drainTimeout: Duration = .seconds(10)
    public var server = HTTPServerConfiguration()
    /// The configured upstreams by source name (`pipedrive`, ...), and their adapters.
    public var upstreams: [String: UpstreamSettings] = [:]
    public var adapters: [any SourceAdapter] = []
    /// Plain http to loopback upstreams (the sandbox's emulators); https only otherwise.
    public var allowPlainHTTPToLoopback = false
    /// The SQLite file of the webhook inbox (§7); nil: webhooks answer 503.
    public var eventStorePath: String? = "crm-gateway-events.sqlite"
    public var webhookSecrets = WebhookSecrets()
    /// Per upstream; an upstream not listed gets `RateLimitConfig.defaults(for:)`.
    public var limits: [String: RateLimitConfig] = [:]
    /// nil: no response cache.
    public var cache: CacheConfig? = CacheConfig()
    /// Per upstream, cache-class TTLs that differ from `cache`'s.
    public var cacheTTLs: [String: [String: Duration]] = [:]
    /// Calling applications' API keys (issue 7). Required whenever any are configured.
    public var clients: [ClientKey] = []
    /// Listen beyond loopback without client keys (the operator said so explicitly).
    public var allowUnauthenticated = false
    /// One JSON line per request on the log.
    public var requestLog = true
    /// `/events/stream`: heartbeat interval, most open streams.
    public var eventStreams = EventStreamOptions()
    /// Browser origins allowed to call the gateway (CORS.swift); none by default.
    public var cors = CORSConfig()

    public init() {}

    /// Why this listener must not start: beyond loopback with no client keys, unless allowed.
    public var refusalToListen: String? {
        guard !isLoopbackHost(address.host), clients.isEmpty, !allowUnauthenticated else { return nil }
        return "refusing to listen on \(address.host) without client API keys: configure `clients` (see `crm-gateway keys generate`), or run open with --allow-unauthenticated (server.allow_unauthenticated: true)"
    }
}

/// Wires loops, server and routes, and runs until SIGTERM/SIGINT has drained the server.
public final class GatewayApplication {
    let options: GatewayOptions
    let logger: Logger

    public init(options: GatewayOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Blocks; returns after a signal-triggered drain (exit status 0 is the caller's).
    /// `configure` runs once the signal mask is set (so threads it starts inherit it) and
    /// before the server starts: it may add routes (the sandbox's admin surface) and set the
    /// upstreams (the sandbox's emulators).
    public func run(configure: (inout Router, inout GatewayOptions) throws -> Void = { _, _ in }, onListening: (SocketAddress) -> Void) throws {
        // Before anything starts (configure cannot change the address).
        if let refusal = options.refusalToListen { throw GatewayStartError(message: refusal) }
        // The main thread's loop owns the signalfd; the mask is set before any thread starts.
        let mainLoop = try EventLoop(name: "loop-0")
        let health = HealthState()
        var config = options.server
        config.address = options.address
        let shuttingDown = Atomic<Bool>(false)
        let drainTimeout = options.drainTimeout
        let logger = self.logger
        let serverBox = ServerBox()
        // Created before the other threads so they inherit the blocked signal mask.
        let watcher = try SignalWatcher(loop: mainLoop) { sig in
            guard let server = serverBox.server else { return }
            if shuttingDown.exchange(true, ordering: .relaxed) { return }
            logger.info("signal \(sig): draining (up to \(drainTimeout))")
            health.beginDrain()
            server.shutdown(drainTimeout: drainTimeout) {
                mainLoop.stop()
            }
        }
        try watcher.start()
        var router = Router.gateway(health: health)
        var options = self.options
        try configure(&router, &options)
        health.setUpstreams(options.upstreams.count)
        let inbox = try options.eventStorePath.map { path in
            WebhookInbox(store: try EventStore(path: path), secrets: options.webhookSecrets,
                         textRequestDashboard: options.upstreams["textrequest"]?.options["dashboard_id"] ?? "1",
                         streamOptions: options.eventStreams)
        }
        var adapters = options.adapters
        if let s = options.upstreams["hana"], let inbox, !adapters.contains(where: { $0.source == "hana" }) {
            adapters.append(HanaAdapter(settings: s, store: inbox.store))
        }
        var limits = options.limits
        for a in adapters where limits[a.source] == nil { limits[a.source] = .defaults(for: a.source) }
        let services = GatewayServices(adapters: adapters, settings: options.upstreams,
                                       cacheConfig: options.cache, cacheTTLs: options.cacheTTLs, limits: limits, inbox: inbox,
                                       logger: logger,
                                       makeTransport: GatewayServices.curl(allowPlainHTTPToLoopback: options.allowPlainHTTPToLoopback))
        router.addUnifiedAPI(services: services)
        var threads: [EventLoopThread] = []
        for i in 1..<max(1, options.loops) {
            threads.append(try EventLoopThread(name: "loop-\(i)"))
        }
        let loops = [mainLoop] + threads.map(\.loop)
        let routes = router
        let auth = ClientAuthenticator(keys: options.clients)
        let requestLog = options.requestLog && logger.logLevel <= .info
        let cors = options.cors
        let server = HTTPServer(configuration: config, loops: loops, logger: logger) { loop in
            GatewayResponder(router: routes, loop: loop, metrics: services.metrics, auth: auth,
                             accessLog: requestLog ? AccessLog() : nil, cors: cors)
        }
        serverBox.server = server
        let bound = try server.start()
        onListening(bound)
        mainLoop.run()
        for t in threads { t.stopAndJoin() }
        logger.info("stopped")
    }
}

/// A reason the gateway will not start (printed as is, exit status 1).
public struct GatewayStartError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

private final class ServerBox: @unchecked Sendable {
    var server: HTTPServer?
}
