import GatewayCore

/// Placeholder until the emulator lands (issue 3).
public final class HotProfileEmulator: Emulator {
    public let name = "hotprofile"
    public let routes = EmulatorRoutes()

    public init(environment: EmulatorEnvironment, options: SandboxOptions) {}

    public func reset() {}

    public func rateLimitedResponse() -> HTTPResponse { .json(status: 429, ["error": "rate limited"]) }

    public func errorResponse(status: Int, message: String) -> HTTPResponse { .json(status: status, ["error": .string(message)]) }
}
