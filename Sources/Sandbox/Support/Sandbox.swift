import Gateway
import GatewayCore
import Logging

/// Settings shared by the emulators; the defaults are what §8 fixes for sandbox mode.
public struct SandboxOptions: Sendable {
    /// The credential every emulator accepts (HotProfile `api_key`, Pipedrive `x-api-token`,
    /// Text Request `x-api-key`, Hana Bearer).
    public var credential = "sandbox-key"
    /// Where the Hana emulator's update endpoint lives (the real path is unconfirmed).
    public var hanaUpdatePath = "/external-api/v1.0/update"
    /// Where Hana delivers its events; `{event}` is replaced by e.g. `lead.created`.
    /// In `serve --sandbox` this is the gateway's own receiver.
    public var hanaWebhookURL: String?
    /// Pipedrive's burst limit per 2-second window (Growth plan, api_token: 40).
    public var pipedriveBurstLimit = 40
    /// Delays between webhook retries (Pipedrive documents 3 s, 30 s, 150 s).
    public var pipedriveWebhookRetryDelays: [Duration] = [.seconds(3), .seconds(30), .seconds(150)]

    public init() {}
}

/// The emulators this build has, in the order they are listed and given ports.
public enum EmulatorCatalog {
    public static let names = ["hotprofile", "pipedrive", "textrequest", "hana"]

    public static func make(_ name: String, environment: EmulatorEnvironment, options: SandboxOptions) -> (any Emulator)? {
        switch name {
        case "hotprofile": HotProfileEmulator(environment: environment, options: options)
        case "pipedrive": PipedriveEmulator(environment: environment, options: options)
        case "textrequest": TextRequestEmulator(environment: environment, options: options)
        case "hana": HanaEmulator(environment: environment, options: options)
        default: nil
        }
    }
}

/// A set of running emulators on one loop.
public final class Sandbox: @unchecked Sendable {
    public let hosts: [EmulatorHost]
    public let loop: EventLoop
    public let options: SandboxOptions

    /// `names` from `EmulatorCatalog.names`; unknown names are a precondition failure.
    public init(names: [String] = EmulatorCatalog.names, loop: EventLoop,
                clock: any WallClock = SystemWallClock(), options: SandboxOptions = SandboxOptions()) {
        self.loop = loop
        self.options = options
        hosts = names.map { name in
            let env = EmulatorEnvironment(clock: clock, webhooks: WebhookSender(loop: loop))
            guard let e = EmulatorCatalog.make(name, environment: env, options: options) else {
                preconditionFailure("unknown emulator \(name)")
            }
            return EmulatorHost(emulator: e, environment: env)
        }
    }

    /// Starts every emulator on `host`: on ephemeral ports when `port` is 0, otherwise on
    /// `port`, `port + 1`, ... in catalog order.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0, logger: Logger = Logger(label: "sandbox")) throws -> [(name: String, address: SocketAddress)] {
        var out: [(String, SocketAddress)] = []
        for (i, h) in hosts.enumerated() {
            let p = port == 0 ? 0 : port + i
            out.append((h.name, try h.start(loops: [loop], address: SocketAddress(host: host, port: p), logger: logger)))
        }
        return out
    }

    public func host(_ name: String) -> EmulatorHost? { hosts.first { $0.name == name } }

    /// `name=http://addr` pairs for the start-up line.
    public var summary: String {
        hosts.map { "\($0.name) \($0.baseURL)" }.joined(separator: ", ")
    }
}

extension Router {
    /// §8's admin surface, only ever added in sandbox mode:
    /// `/_sandbox/{upstream}/stats|faults|reset|deliver`.
    public mutating func addSandboxAdmin(_ sandbox: Sandbox) {
        add(.GET, "/_sandbox", .sync { _, _ in
            .json(status: 200, ["emulators": .array(sandbox.hosts.map { h in
                ["name": .string(h.name), "base_url": .string(h.baseURL),
                 "operations": .array(h.operationNames.sorted().map { .string($0) })]
            })])
        })
        for (method, action) in [(HTTPMethod.GET, "stats"), (.GET, "faults"), (.PUT, "faults"), (.DELETE, "faults"),
                                 (.POST, "reset"), (.POST, "deliver")] {
            add(method, "/_sandbox/{upstream}/\(action)", .sync { request, ctx in
                let name = ctx.pathParameters["upstream"] ?? ""
                guard let host = sandbox.host(name) else {
                    return Problem(status: 404, detail: "no emulator named \(name); one of \(sandbox.hosts.map(\.name).joined(separator: ", "))")
                        .response(requestID: ctx.requestID)
                }
                return host.admin(action: action, request: request, requestID: ctx.requestID)
            })
        }
    }
}

extension Sandbox {
    /// The gateway's upstream settings for these emulators: their loopback base URLs, the
    /// sandbox credential, and Text Request's seeded dashboard 1 (§8).
    public var upstreamSettings: [String: UpstreamSettings] {
        var out: [String: UpstreamSettings] = [:]
        for h in hosts {
            let extra: [String: String] = switch h.name {
            case "textrequest": ["dashboard_id": "1"]
            case "hana": ["update_path": options.hanaUpdatePath]
            default: [:]
            }
            out[h.name] = UpstreamSettings(baseURL: h.baseURL, credential: options.credential, options: extra)
        }
        return out
    }
}
