import GatewayCore

/// What a handler gets besides the request.
public struct RequestContext: Sendable {
    public let requestID: String
    public let pathParameters: [String: String]
    public let loop: EventLoop
    /// What the request did upstream (cache outcomes) and what it asked of the layers in
    /// front of the upstreams.
    public var record = RequestRecord()

    public init(requestID: String, pathParameters: [String: String], loop: EventLoop, record: RequestRecord = RequestRecord()) {
        self.requestID = requestID
        self.pathParameters = pathParameters
        self.loop = loop
        self.record = record
    }
}

/// A route's work. Synchronous handlers answer on the loop thread at once (the fast path);
/// async ones run as a task whose executor is the connection's loop, so they resume there
/// after every await without a thread hop.
public enum RouteHandler: Sendable {
    case sync(@Sendable (HTTPRequest, RequestContext) -> HTTPResponse)
    case async(@Sendable (HTTPRequest, RequestContext) async -> HTTPResponse)
    /// An async handler with a synchronous fast path tried first on the loop thread (a
    /// rendered-cache hit): no task is created when it answers.
    case cached(@Sendable (HTTPRequest, RequestContext) -> HTTPResponse?, @Sendable (HTTPRequest, RequestContext) async -> HTTPResponse)
    /// A handler that answers through the writer itself, on the loop thread: a streaming
    /// response (`HTTPResponseWriter.stream`), or one complete response (a refusal). It sets
    /// `X-Request-Id` and counts its own metrics.
    case stream(@Sendable (HTTPRequest, RequestContext, HTTPResponseWriter) -> Void)
}

/// Method + path template ("/contacts/{id}") to handler. Templates are split into
/// segments once; matching walks segments without building intermediate strings.
public struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let template: String
        let segments: [Segment]
        let handler: RouteHandler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        /// `{path+}`: the rest of the path, slashes included.
        case rest(String)
    }

    private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ template: String, _ handler: RouteHandler) {
        let segs: [Segment] = template.split(separator: "/", omittingEmptySubsequences: true).map { s in
            if s.hasPrefix("{") && s.hasSuffix("+}") { return .rest(String(s.dropFirst().dropLast(2))) }
            if s.hasPrefix("{") && s.hasSuffix("}") { return .parameter(String(s.dropFirst().dropLast())) }
            return .literal(String(s))
        }
        routes.append(Route(method: method, template: template, segments: segs, handler: handler))
    }

    /// Every (method, template) pair, for checking the router against openapi.yaml.
    public var operations: [(method: HTTPMethod, template: String)] {
        routes.map { ($0.method, $0.template) }
    }

    public enum Match {
        case found(RouteHandler, template: String, parameters: [String: String])
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    public func match(method: HTTPMethod, path: String) -> Match {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [HTTPMethod] = []
        for route in routes {
            guard let params = Self.bind(route.segments, parts) else { continue }
            if route.method == method || (method == .HEAD && route.method == .GET) {
                return .found(route.handler, template: route.template, parameters: params)
            }
            allowed.append(route.method)
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains(.GET) && !allowed.contains(.HEAD) { allowed.append(.HEAD) }
        return .methodNotAllowed(allowed: allowed)
    }

    private static func bind(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        var params: [String: String] = [:]
        var i = 0
        for (k, seg) in segments.enumerated() {
            switch seg {
            case .literal(let l):
                guard i < parts.count, parts[i] == l else { return nil }
                i += 1
            case .parameter(let name):
                guard i < parts.count, let v = percentDecoded(parts[i]) else { return nil }
                params[name] = v
                i += 1
            case .rest(let name):
                guard k == segments.count - 1, i < parts.count else { return nil }
                params[name] = parts[i...].joined(separator: "/")
                i = parts.count
            }
        }
        return i == parts.count ? params : nil
    }
}

/// Decodes %XX escapes in a path segment; nil for a malformed escape or invalid UTF-8.
func percentDecoded(_ s: Substring) -> String? {
    FormEncoding.percentDecoded(s, plusIsSpace: false)
}
