import Gateway
import GatewayCore

/// One upstream's stand-in. An emulator is plain state plus routes: its `EmulatorHost`
/// serves it over HTTP, counts requests per operation, injects faults and serialises
/// access (handlers run one at a time, so emulator state needs no locking of its own).
public protocol Emulator: AnyObject {
    /// `hotprofile`, `pipedrive`, `textrequest` or `hana` (§8's `{upstream}`).
    var name: String { get }
    /// Every operation it serves.
    var routes: EmulatorRoutes { get }
    /// Back to the seeded state (counters are the host's).
    func reset()
    /// The upstream's own "too many requests" answer (status, body, headers): the
    /// `rate_limit` fault.
    func rateLimitedResponse() -> HTTPResponse
    /// The upstream's own error answer for `status` (the `status` fault).
    func errorResponse(status: Int, message: String) -> HTTPResponse
    /// `POST /_sandbox/{name}/deliver`: send webhooks now. `body` is the admin request's JSON.
    func deliver(_ body: JSON) -> HTTPResponse
}

extension Emulator {
    public func deliver(_ body: JSON) -> HTTPResponse {
        .json(status: 404, ["error": "this emulator sends no webhooks"])
    }
}

/// What an emulator handler receives.
public struct EmulatorCall {
    public let request: HTTPRequest
    /// Path template parameters (`{id}`), percent-decoded.
    public let parameters: [String: String]
    /// The query string's pairs, decoded (`+` is a space), in order.
    public let query: [(String, String)]
    public let environment: EmulatorEnvironment

    public var method: HTTPMethod { request.method }
    public var path: String { request.path }
    public var now: UTCTime { UTCTime(epochMillis: environment.clock.nowMillis()) }

    public func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// The last value of a query parameter.
    public func query(_ name: String) -> String? { query.last(where: { $0.0 == name })?.1 }
    public func queryAll(_ name: String) -> [String] { query.filter { $0.0 == name }.map(\.1) }

    public func header(_ name: String) -> String? { request.headers[name] }

    /// The media type of the body, lowercased, without parameters.
    public var contentType: String? {
        guard let v = request.headers["Content-Type"] else { return nil }
        return String(v.split(separator: ";").first ?? "").trimmingSpaces().lowercased()
    }

    /// The body as JSON: nil if empty, `.failure` if it does not parse.
    public func jsonBody() -> Result<JSON, JSONParseError>? {
        if request.body.isEmpty { return nil }
        do { return .success(try JSON.parse(request.body)) } catch { return .failure(error) }
    }

    /// A form-encoded body's pairs (nil if malformed).
    public func formBody() -> [(String, String)]? {
        FormEncoding.pairs(String(decoding: request.body, as: UTF8.self))
    }
}

/// What every emulator is given: the wall clock and a way to send webhooks.
public struct EmulatorEnvironment: Sendable {
    public var clock: any WallClock
    public var webhooks: WebhookSender

    public init(clock: any WallClock = SystemWallClock(), webhooks: WebhookSender) {
        self.clock = clock
        self.webhooks = webhooks
    }
}

/// An emulator's operations: method + path template -> (operation name, handler).
/// Operation names are what `stats.by_operation` counts (e.g. `persons.list`).
public struct EmulatorRoutes {
    public typealias Handler = (EmulatorCall) -> HTTPResponse

    struct Entry {
        let operation: String
        let handler: Handler
    }

    private var router = Router()
    private var entries: [String: Entry] = [:]

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ template: String, _ operation: String, _ handler: @escaping Handler) {
        router.add(method, template, .sync { _, _ in HTTPResponse(status: 500) })
        entries["\(method.rawValue) \(template)"] = Entry(operation: operation, handler: handler)
    }

    /// Every operation name, for reporting and for validating fault filters.
    public var operationNames: Set<String> { Set(entries.values.map(\.operation)) }

    public enum Match {
        case found(operation: String, parameters: [String: String], handler: Handler)
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    public func match(method: HTTPMethod, path: String) -> Match {
        switch router.match(method: method, path: path) {
        case .notFound: return .notFound
        case .methodNotAllowed(let allowed): return .methodNotAllowed(allowed: allowed)
        case .found(_, let template, let params):
            let m = method == .HEAD ? HTTPMethod.GET : method
            guard let e = entries["\(m.rawValue) \(template)"] ?? entries["\(method.rawValue) \(template)"] else { return .notFound }
            return .found(operation: e.operation, parameters: params.dictionary, handler: e.handler)
        }
    }
}

extension HTTPResponse {
    /// A JSON response (`application/json; charset=utf-8` unless `contentType` says otherwise).
    public static func json(status: Int, _ body: JSON, headers: HTTPHeaders = HTTPHeaders(),
                            contentType: String = "application/json; charset=utf-8") -> HTTPResponse {
        var h = headers
        h.replaceOrAdd("Content-Type", contentType)
        return HTTPResponse(status: status, headers: h, body: body.serialized())
    }

    /// No content at all (Text Request's documented 204s).
    public static func noContent(status: Int = 204) -> HTTPResponse {
        HTTPResponse(status: status)
    }
}
