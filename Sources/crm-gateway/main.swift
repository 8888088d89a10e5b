import ArgumentParser
import Gateway
#if canImport(Glibc)
import Glibc
#endif
import GatewayCore
import Logging

struct CRMGateway: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm-gateway",
        abstract: "One REST API in front of HotProfile, Pipedrive, Text Request and Hana.",
        version: GatewayVersion.current,
        subcommands: [Serve.self]
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

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        if let loops, !(1...64).contains(loops) { throw ValidationError("--loops must be 1-64") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must be >= 0") }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "crm-gateway")
        logger.logLevel = .info
        var options = GatewayOptions()
        options.address = SocketAddress(host: host, port: port)
        if let loops { options.loops = loops }
        options.drainTimeout = .seconds(drainTimeout)
        let app = GatewayApplication(options: options, logger: logger)
        try app.run { address in
            print("crm-gateway \(GatewayVersion.current) listening on http://\(address) (upstreams: none configured)")
            fflush(nil)
        }
    }
}

CRMGateway.main()
