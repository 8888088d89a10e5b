import ArgumentParser
import Gateway
#if canImport(Glibc)
import Glibc
#endif
import GatewayCore
import Logging
import Sandbox

struct CRMGateway: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-gateway",
        abstract: "One REST API in front of HotProfile, Pipedrive, Text Request and Hana.",
        version: GatewayVersion.current,
        subcommands: [Serve.self, Emulate.self, Webhooks.self]
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8080

    @Option(help: "Event loops (threads); default one per core.")
    var loops: Int?

    @Option(help: "Seconds to let in-flight requests finish after SIGTERM/SIGINT.")
    var drainTimeout: Int = 10

    @Flag(help: "Also start the emulators of every upstream on loopback and use them (no credentials needed).")
    var sandbox = false

    @Option(help: "The SQLite file of the webhook inbox (created if missing).")
    var eventsDb: String = "crm-gateway-events.sqlite"

    @Option(help: "With --sandbox: first emulator port (the others follow); 0 picks free ports.")
    var sandboxPort: Int = 0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        if let loops, !(1...64).contains(loops) { throw ValidationError("--loops must be 1-64") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must be >= 0") }
        guard (0...65532).contains(sandboxPort) else { throw ValidationError("--sandbox-port must be 0-65532") }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "crm-gateway")
        logger.logLevel = .info
        var options = GatewayOptions()
        options.address = SocketAddress(host: host, port: port)
        if let loops { options.loops = loops }
        options.drainTimeout = .seconds(drainTimeout)
        options.eventStorePath = eventsDb
        let app = GatewayApplication(options: options, logger: logger)
        var sandboxThread: EventLoopThread?
        var upstreams = "upstreams: none configured"
        try app.run(configure: { router, options in
            guard sandbox else { return }
            let thread = try EventLoopThread(name: "sandbox")
            sandboxThread = thread
            var sandboxOptions = SandboxOptions()
            if port != 0 {
                sandboxOptions.hanaWebhookURL = "http://\(SocketAddress(host: host == "0.0.0.0" ? "127.0.0.1" : host, port: port))/webhooks/hana/{event}?token=sandbox-secret"
            }
            let emulators = Sandbox(loop: thread.loop, options: sandboxOptions)
            try emulators.start(host: "127.0.0.1", port: sandboxPort, logger: logger)
            router.addSandboxAdmin(emulators)
            options.upstreams = emulators.upstreamSettings
            options.adapters = AdapterRegistry.adapters(for: options.upstreams)
            options.allowPlainHTTPToLoopback = true
            // §7: in sandbox mode the webhook secrets are fixed so tests can act as the upstream.
            options.webhookSecrets = .sandbox
            upstreams = "sandbox: " + emulators.summary
        }, onListening: { address in
            print("crm-gateway \(GatewayVersion.current) listening on http://\(address) (\(upstreams))")
            fflush(nil)
        })
        sandboxThread?.stopAndJoin()
    }
}

struct Emulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run upstream emulators alone (for other teams' tests).",
        discussion: """
            Each emulator listens on its own port: with `all`, hotprofile on --port, pipedrive on \
            --port+1, textrequest on --port+2, hana on --port+3 (with --port 0, free ports). \
            One line per emulator is printed: `<name> http://<address>`. Admin paths: \
            /_sandbox/<name>/stats, /faults, /reset, /deliver on each emulator's port.
            """
    )

    @Argument(help: "hotprofile, pipedrive, textrequest, hana or all.")
    var name: String

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port of the (first) emulator; 0 picks free ports.")
    var port: Int = 0

    @Option(help: "The credential the emulators accept.")
    var credential: String = "sandbox-key"

    @Option(help: "Where the Hana emulator delivers its events ({event} is replaced), e.g. http://127.0.0.1:8080/webhooks/hana/{event}?token=sandbox-secret")
    var hanaWebhookURL: String?

    func validate() throws {
        guard name == "all" || EmulatorCatalog.names.contains(name) else {
            throw ValidationError("unknown emulator '\(name)'; one of \(EmulatorCatalog.names.joined(separator: ", ")), all")
        }
        guard (0...65532).contains(port) else { throw ValidationError("--port must be 0-65532") }
        guard !credential.isEmpty else { throw ValidationError("--credential must not be empty") }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "crm-gateway-emulate")
        logger.logLevel = .info
        let loop = try EventLoop(name: "emulators")
        let watcher = try SignalWatcher(loop: loop) { _ in loop.stop() }
        try watcher.start()
        var options = SandboxOptions()
        options.credential = credential
        options.hanaWebhookURL = hanaWebhookURL
        let names = name == "all" ? EmulatorCatalog.names : [name]
        let sandbox = Sandbox(names: names, loop: loop, options: options)
        for (n, address) in try sandbox.start(host: host, port: port, logger: logger) {
            print("\(n) http://\(address)")
        }
        fflush(nil)
        loop.run()
    }
}

CRMGateway.main()
