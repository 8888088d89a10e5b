import ArgumentParser
import Gateway
import GatewayCore
import Logging
import Sandbox
import Synchronization

/// `crm-gateway webhooks ...`: the receivers' side of the upstreams' configuration.
struct Webhooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set up the upstreams' webhooks that point at this gateway.",
        subcommands: [Register.self]
    )
}

extension Webhooks {
    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register this gateway's receivers with Text Request and Pipedrive (only the missing ones).",
            discussion: """
                Text Request: a hook on the configured dashboard for each of msg_received, msg_sent, \
                msg_status_updated, contact_created and contact_updated, pointing at \
                <public-url>/webhooks/textrequest. Pipedrive: a v2 webhook (event_action *) for each of \
                person, organization, deal, activity, note, stage and pipeline, pointing at \
                <public-url>/webhooks/pipedrive with the configured Basic credentials. Existing hooks are \
                listed first; running it again creates nothing. One line per hook: created, already \
                present, or failed (exit status 1 if any failed). Hana is configured on Hana's side \
                (<public-url>/webhooks/hana/{event}?token=<secret>).
                """
        )

        @Option(help: "The gateway's base URL as the upstreams reach it, e.g. https://crm.example.com")
        var publicURL: String

        @Flag(help: "Start the emulators in-process and register with them (sandbox credentials).")
        var sandbox = false

        @Option(help: "The configuration file (YAML; CRMGW_* variables override it): the upstreams' URLs and credentials, Pipedrive's webhook_user/webhook_password.")
        var config: String?

        func validate() throws {
            if let problem = WebhookRegistrar.problem(withPublicURL: publicURL) {
                throw ValidationError("--public-url \(problem)")
            }
        }

        func run() throws {
            var logger = Logger(label: "crm-gateway-webhooks")
            logger.logLevel = .warning
            guard sandbox else {
                var options = GatewayOptions()
                loadConfig(config).apply(to: &options)
                guard !options.upstreams.isEmpty else {
                    throw ValidationError("no upstreams are configured (--config FILE or CRMGW_* variables); or use --sandbox")
                }
                let outcomes = try Self.register(upstreams: options.upstreams, secrets: options.webhookSecrets, publicURL: publicURL,
                                                 plainHTTPToLoopback: options.allowPlainHTTPToLoopback)
                try Self.report(outcomes)
                return
            }
            let emulatorThread = try EventLoopThread(name: "sandbox")
            defer { emulatorThread.stopAndJoin() }
            let emulators = Sandbox(loop: emulatorThread.loop)
            try emulators.start(host: "127.0.0.1", port: 0, logger: logger)
            let upstreams = emulators.upstreamSettings
            let outcomes = try Self.register(upstreams: upstreams, secrets: .sandbox, publicURL: publicURL, plainHTTPToLoopback: true)
            try Self.report(outcomes)
        }

        /// One line per hook, a summary, exit status 1 if any failed.
        static func report(_ outcomes: [WebhookRegistrar.Outcome]) throws {
            for o in outcomes { print(o) }
            let failed = outcomes.filter { if case .failed = $0.status { true } else { false } }.count
            let created = outcomes.filter { $0.status == .created }.count
            print("\(created) created, \(outcomes.count - created - failed) already present, \(failed) failed")
            if outcomes.isEmpty { print("no upstream that takes webhook registrations is configured (textrequest, pipedrive)") }
            if failed > 0 { throw ExitCode.failure }
        }

        /// Runs the registrar on a loop of this thread, through the adapters' call path.
        static func register(upstreams: [String: UpstreamSettings], secrets: WebhookSecrets, publicURL: String,
                             plainHTTPToLoopback: Bool) throws -> [WebhookRegistrar.Outcome] {
            let loop = try EventLoop(name: "register")
            let services = GatewayServices(adapters: AdapterRegistry.adapters(for: upstreams), settings: upstreams, cacheConfig: nil,
                                           makeTransport: GatewayServices.curl(allowPlainHTTPToLoopback: plainHTTPToLoopback))
            let registrar = WebhookRegistrar(services: services, loop: loop, secrets: secrets, publicURL: publicURL)
            let result = OutcomeBox()
            Task(executorPreference: loop) {
                let outcomes = await registrar.register()
                result.outcomes.withLock { $0 = outcomes }
                loop.stop()
            }
            loop.run()
            return result.outcomes.withLock { $0 }
        }
    }
}

private final class OutcomeBox: Sendable {
    let outcomes = Mutex<[WebhookRegistrar.Outcome]>([])
}
