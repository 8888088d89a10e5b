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
        subcommands: [Serve.self, Emulate.self, CheckConfig.self, Keys.self, Webhooks.self]
    )
}

/// The environment, for `CRMGW_*` overrides.
func processEnvironment() -> [String: String] {
    var out: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
        p += 1
    }
    return out
}

/// Loads the configuration or exits with every problem listed (status 2: a usage error).
func loadConfig(_ file: String?) -> GatewayConfig {
    let env = processEnvironment()
    do {
        return try GatewayConfig.load(file: file ?? env["CRMGW_CONFIG"], environment: env)
    } catch {
        printError("crm-gateway: " + error.description + "\n")
        exit(2)
    }
}


/// A line for the operator on stderr (the same writer the logs use).
func printError(_ s: String) { LogSink.standardError.write(Array(s.utf8)) }

func bootstrapLogging(_ config: GatewayConfig) -> Logger {
    let level = config.log.level
    switch config.log.format {
    case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
    case .text: LoggingSystem.bootstrap { var h = StreamLogHandler.standardError(label: $0); h.logLevel = level; return h }
    }
    var logger = Logger(label: "crm-gateway")
    logger.logLevel = level
    return logger
}

/// Where the settings come from and the listener they describe: `serve` and `check-config` alike.
struct ConfigOptions: ParsableArguments {
    @Option(help: "The configuration file (YAML).")
    var config: String?

    @Option(help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Flag(help: "Listen beyond loopback without client API keys (otherwise refused).")
    var allowUnauthenticated = false

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0-65535") }
    }

    /// The configuration, with these flags over it.
    func load() -> (GatewayConfig, GatewayOptions) {
        let settings = loadConfig(config)
        var options = GatewayOptions()
        settings.apply(to: &options)
        if let host { options.address.host = host }
        if let port { options.address.port = port }
        if allowUnauthenticated { options.allowUnauthenticated = true }
        return (settings, options)
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway.",
        discussion: """
            Settings come from --config FILE (YAML; or the file named by CRMGW_CONFIG), then \
            CRMGW_* environment variables (CRMGW_SERVER_PORT=9090, \
            CRMGW_UPSTREAMS_PIPEDRIVE_CREDENTIAL_FILE=/run/secrets/pd, ...), then these flags. \
            See docs/CONFIG.md; `crm-gateway check-config` shows the result.
            """
    )

    @OptionGroup var source: ConfigOptions

    @Option(help: "Event loops (threads); default one per core.")
    var loops: Int?

    @Option(help: "Seconds to let in-flight requests finish after SIGTERM/SIGINT (default 10).")
    var drainTimeout: Int?

    @Flag(help: "Also start the emulators of every upstream on loopback and use them (no credentials needed).")
    var sandbox = false

    @Option(help: "The SQLite file of the webhook inbox (created if missing; default crm-gateway-events.sqlite).")
    var eventsDb: String?

    @Option(help: "With --sandbox: first emulator port (the others follow); 0 picks free ports.")
    var sandboxPort: Int = 0

    @Option(name: .customLong("cors-origin"), help: ArgumentHelp("A browser origin allowed to call the gateway (CORS), scheme://host[:port]; repeatable; * for any.", valueName: "origin"))
    var corsOrigins: [String] = []

    func validate() throws {
        if let loops, !(1...64).contains(loops) { throw ValidationError("--loops must be 1-64") }
        if let drainTimeout, drainTimeout < 0 { throw ValidationError("--drain-timeout must be >= 0") }
        guard (0...65532).contains(sandboxPort) else { throw ValidationError("--sandbox-port must be 0-65532") }
        for origin in corsOrigins {
            do { _ = try CORSConfig.parseOrigin(origin) } catch { throw ValidationError("--cors-origin: \(error)") }
        }
    }

    func run() throws {
        var (settings, options) = source.load()
        let logger = bootstrapLogging(settings)
        if let loops { options.loops = loops }
        if let drainTimeout { options.drainTimeout = .seconds(drainTimeout) }
        if let eventsDb { options.eventStorePath = eventsDb }
        if !corsOrigins.isEmpty { options.cors.allowedOrigins = corsOrigins }
        if let refusal = options.refusalToListen {
            printError("crm-gateway: " + refusal + "\n")
            throw ExitCode(2)
        }
        let listenHost = options.address.host
        let listenPort = options.address.port
        let app = GatewayApplication(options: options, logger: logger)
        var sandboxThread: EventLoopThread?
        var upstreams = options.upstreams.isEmpty ? "upstreams: none configured" : "upstreams: " + options.upstreams.keys.sorted().joined(separator: ", ")
        let auth = options.clients.isEmpty ? "client keys: none" : "client keys: \(options.clients.count)"
        try app.run(configure: { router, options in
            guard sandbox else { return }
            let thread = try EventLoopThread(name: "sandbox")
            sandboxThread = thread
            var sandboxOptions = SandboxOptions()
            if listenPort != 0 {
                sandboxOptions.hanaWebhookURL = "http://\(SocketAddress(host: listenHost == "0.0.0.0" ? "127.0.0.1" : listenHost, port: listenPort))/webhooks/hana/{event}?token=sandbox-secret"
            }
            let emulators = Sandbox(loop: thread.loop, options: sandboxOptions)
            try emulators.start(host: "127.0.0.1", port: sandboxPort, logger: logger)
            router.addSandboxAdmin(emulators)
            // The emulators replace configured upstreams; their limits and TTLs from the config stay.
            options.upstreams = emulators.upstreamSettings
            options.adapters = AdapterRegistry.adapters(for: options.upstreams)
            options.allowPlainHTTPToLoopback = true
            // §7: in sandbox mode the webhook secrets are fixed so tests can act as the upstream.
            options.webhookSecrets = .sandbox
            upstreams = "sandbox: " + emulators.summary
        }, onListening: { address in
            print("crm-gateway \(GatewayVersion.current) listening on http://\(address) (\(upstreams); \(auth))")
            fflush(nil)
        })
        sandboxThread?.stopAndJoin()
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print what would run (secrets masked).",
        discussion: "Exit status 0 when it is valid, 2 with every problem listed (each naming its key) when not."
    )

    @OptionGroup var source: ConfigOptions

    func run() throws {
        let (settings, options) = source.load()
        print(settings.rendered(host: options.address.host, port: options.address.port), terminator: "")
        if let refusal = options.refusalToListen {
            printError("crm-gateway: " + refusal + "\n")
            throw ExitCode(2)
        }
        if options.upstreams.isEmpty {
            printError("crm-gateway: note: no upstream is configured; /readyz will answer 503 (serve --sandbox uses the emulators)\n")
        }
    }
}

struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Client API keys.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new random API key: prints the key once (give it to the calling app) and the entry for `clients:` (only its SHA-256 is kept)."
        )

        @Option(help: "The calling application's name (in logs).")
        var name: String

        @Option(help: "read (GET/HEAD only) or write (everything).")
        var scope: String = "read"

        func validate() throws {
            guard ClientKey.Scope(rawValue: scope) != nil else { throw ValidationError("--scope must be read or write") }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ValidationError("--name must be letters, digits, '-', '_' or '.'")
            }
        }

        func run() {
            let made = ClientKey.generate()
            print("key: \(made.key)")
            print("# add to the configuration file:")
            print("clients:")
            print("  - name: \(name)")
            print("    key_sha256: \(made.digest)")
            print("    scope: \(scope)")
        }
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
