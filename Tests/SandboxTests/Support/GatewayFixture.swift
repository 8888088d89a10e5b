import Gateway
import GatewayCore
import Logging
@testable import Sandbox
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The whole thing in one process, over real sockets: every emulator on loopback, the
/// gateway (router, unified API, sandbox admin) on its own loop wired to them as
/// `serve --sandbox` does, and a libcurl client on a third loop.
final class GatewayFixture: @unchecked Sendable {
    let sandboxFixture: SandboxFixture
    let gatewayThread: EventLoopThread
    let server: HTTPServer
    let address: SocketAddress
    let services: GatewayServices
    let eventsPath: String
    static let counter = Atomic<Int>(0)

    init(options: SandboxOptions = SandboxOptions(), limits: [String: RateLimitConfig]? = nil,
         clients: [ClientKey] = [], accessLog: AccessLog? = nil, logger: Logger? = nil, cors: CORSConfig = CORSConfig(),
         streamOptions: EventStreamOptions = EventStreamOptions(), maxStreamBufferedBytes: Int? = nil) throws {
        var opts = options
        opts.pipedriveBurstLimit = max(opts.pipedriveBurstLimit, 10_000)
        sandboxFixture = try SandboxFixture(EmulatorCatalog.names, options: opts)
        gatewayThread = try EventLoopThread(name: "gateway")
        let settings = sandboxFixture.sandbox.upstreamSettings
        eventsPath = "/tmp/crm-gateway-test-\(getpid())-\(GatewayFixture.counter.add(1, ordering: .relaxed).newValue).sqlite"
        let inbox = WebhookInbox(store: try EventStore(path: eventsPath), secrets: .sandbox, clock: sandboxFixture.clock,
                                 streamOptions: streamOptions)
        services = GatewayServices(adapters: AdapterRegistry.adapters(for: settings, events: inbox.store), settings: settings, limits: limits, inbox: inbox, logger: logger,
                                   makeTransport: GatewayServices.curl(allowPlainHTTPToLoopback: true))
        var router = Router.gateway(health: HealthState())
        router.addSandboxAdmin(sandboxFixture.sandbox)
        router.addUnifiedAPI(services: services)
        var config = HTTPServerConfiguration()
        config.address = SocketAddress(host: "127.0.0.1", port: 0)
        if let maxStreamBufferedBytes { config.maxStreamBufferedBytes = maxStreamBufferedBytes }
        var logger = Logger(label: "gateway-test")
        logger.logLevel = .critical
        let routes = router
        let metrics = services.metrics
        let auth = ClientAuthenticator(keys: clients)
        server = HTTPServer(configuration: config, loops: [gatewayThread.loop], logger: logger) { loop in
            GatewayResponder(router: routes, loop: loop, metrics: metrics, auth: auth, accessLog: accessLog, cors: cors)
        }
        address = try server.start()
    }

    deinit {
        let s = server
        gatewayThread.loop.execute { s.shutdown(drainTimeout: .zero) {} }
        stopLoopThread(gatewayThread)
        for suffix in ["", "-wal", "-shm"] { unlink(eventsPath + suffix) }
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var json: JSON?
        var text: String
    }

    /// One request to the gateway.
    func call(_ method: String, _ pathAndQuery: String, json: JSON? = nil, headers: [(String, String)] = [], raw: [UInt8]? = nil) async throws -> Answer {
        var h = HTTPHeaders()
        for (k, v) in headers { h.add(k, v) }
        var body: [UInt8] = raw ?? []
        if let json { body = json.serialized(); h.add("Content-Type", "application/json") }
        let r = try await sandboxFixture.client.send(UpstreamRequest(method: method, url: "http://\(address)\(pathAndQuery)", headers: h, body: body,
                                                                     timeouts: UpstreamTimeouts(connect: .seconds(2), total: .seconds(30))))
        return Answer(status: r.status, headers: r.headers, json: try? JSON.parse(r.body), text: String(decoding: r.body, as: UTF8.self))
    }

    /// Requests an emulator served for one operation so far.
    func upstreamCalls(_ emulator: String, _ operation: String) async throws -> Int {
        try await sandboxFixture.stats(emulator)["by_operation"]?[operation]?.intValue ?? 0
    }
}
