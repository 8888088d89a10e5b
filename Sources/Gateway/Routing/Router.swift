#if canImport(Glibc)
import Glibc
#endif
import GatewayCore

/// What a handler gets besides the request.
public struct RequestContext: Sendable {
    public let requestID: String
    public let pathParameters: PathParameters
    public let loop: EventLoop
    /// What the request did upstream (cache outcomes) and what it asked of the layers in
    /// front of the upstreams.
    public var record = RequestRecord()

    public init(requestID: String, pathParameters: PathParameters, loop: EventLoop, record: RequestRecord = RequestRecord()) {
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
    /// Route indices by their first segment when it is a literal, and the routes whose first
    /// segment is not (a parameter, a rest) or that have none: `match` only tries those that
    /// can bind, in the order they were added.
    /// (A list, not a dictionary: a path's first segment is compared by length and bytes
    /// against a few dozen literals without building a String or hashing it.)
    private var byFirstLiteral: [(literal: String, routes: [Int])] = []
    private var openFirst: [Int] = []
    private var rootRoutes: [Int] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ template: String, _ handler: RouteHandler) {
        let segs: [Segment] = template.split(separator: "/", omittingEmptySubsequences: true).map { s in
            if s.hasPrefix("{") && s.hasSuffix("+}") { return .rest(String(s.dropFirst().dropLast(2))) }
            if s.hasPrefix("{") && s.hasSuffix("}") { return .parameter(String(s.dropFirst().dropLast())) }
            return .literal(String(s))
        }
        let i = routes.count
        routes.append(Route(method: method, template: template, segments: segs, handler: handler))
        switch segs.first {
        case nil: rootRoutes.append(i)
        case .literal(let l)?:
            if let k = byFirstLiteral.firstIndex(where: { $0.literal == l }) { byFirstLiteral[k].routes.append(i) } else { byFirstLiteral.append((l, [i])) }
        case .parameter?, .rest?: openFirst.append(i)
        }
    }

    /// Every (method, template) pair, for checking the router against openapi.yaml.
    public var operations: [(method: HTTPMethod, template: String)] {
        routes.map { ($0.method, $0.template) }
    }

    public enum Match {
        case found(RouteHandler, template: String, parameters: PathParameters)
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    public func match(method: HTTPMethod, path: String) -> Match {
        switch locate(method: method, path: path) {
        case .found(let k, let params): return .found(routes[k].handler, template: routes[k].template, parameters: params)
        case .methodNotAllowed(let allowed): return .methodNotAllowed(allowed: allowed)
        case .notFound: return .notFound
        }
    }

    /// `match`, naming the route by its index (`routes[index]`, `routeCount`): the responder
    /// keeps per-route facts in an array by it.
    enum Location {
        case found(index: Int, parameters: PathParameters)
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
    }

    var routeCount: Int { routes.count }
    func handler(at index: Int) -> RouteHandler { routes[index].handler }
    func template(at index: Int) -> String { routes[index].template }
    func method(at index: Int) -> HTTPMethod { routes[index].method }

    func locate(method: HTTPMethod, path: String) -> Location {
        let parts = Self.split(path)
        var allowed: [HTTPMethod] = []
        // The candidates: routes whose first literal is the path's first segment, and those
        // that do not start with a literal, merged back into insertion order.
        let literal: [Int]
        let open: [Int]
        if let first = parts.first {
            literal = byFirstLiteral.first { utf8Equal(first, $0.literal) }?.routes ?? []
            open = openFirst
        } else {
            literal = rootRoutes
            open = []
        }
        // First the routes of this method, in order (the first that binds wins, as it would
        // in one pass over all of them); only when none does, the others, for 405's Allow.
        var first = MergedOrder(literal, open)
        while let k = first.next() {
            // Fields read in place: copying the route would retain all it holds.
            let m = routes[k].method
            guard m == method || (method == .HEAD && m == .GET) else { continue }
            if let params = Self.bind(routes[k].segments, parts, path) {
                return .found(index: k, parameters: params)
            }
        }
        var second = MergedOrder(literal, open)
        while let k = second.next() {
            guard Self.bind(routes[k].segments, parts, path) != nil else { continue }
            allowed.append(routes[k].method)
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains(.GET) && !allowed.contains(.HEAD) { allowed.append(.HEAD) }
        return .methodNotAllowed(allowed: allowed)
    }

    /// Two ascending lists of route indices walked as one ascending list (insertion order).
    struct MergedOrder: IteratorProtocol {
        let a: [Int], b: [Int]
        var i = 0, j = 0
        init(_ a: [Int], _ b: [Int]) { self.a = a; self.b = b }
        mutating func next() -> Int? {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                guard i < a.count else { return nil }
                i += 1
                return a[i - 1]
            }
            j += 1
            return b[j - 1]
        }
    }

    /// The path's non-empty segments between slashes, found on the UTF-8 bytes (a slash is
    /// one byte and never part of another character's encoding).
    static func split(_ path: String) -> [Substring] {
        let u = path.utf8
        // Native strings: find the slashes in the contiguous bytes (a UTF-8 view index moves
        // by offset in O(1) there).
        if let fast = u.withContiguousStorageIfAvailable({ bytes -> [Substring] in
            var out: [Substring] = []
            out.reserveCapacity(4)
            var start = 0
            for k in 0..<bytes.count where bytes[k] == UInt8(ascii: "/") {
                if k > start { out.append(path[u.index(u.startIndex, offsetBy: start)..<u.index(u.startIndex, offsetBy: k)]) }
                start = k + 1
            }
            if start < bytes.count { out.append(path[u.index(u.startIndex, offsetBy: start)..<u.endIndex]) }
            return out
        }) {
            return fast
        }
        var out: [Substring] = []
        var start = u.startIndex
        var i = start
        while i != u.endIndex {
            if u[i] == UInt8(ascii: "/") {
                if i != start { out.append(path[start..<i]) }
                start = u.index(after: i)
            }
            i = u.index(after: i)
        }
        if start != u.endIndex { out.append(path[start..<u.endIndex]) }
        return out
    }

    private static func bind(_ segments: [Segment], _ parts: [Substring], _ path: String) -> PathParameters? {
        // The shape first (segment count, literals), so a route that cannot bind costs no
        // decoding and no dictionary.
        var hasRest = false
        if case .rest? = segments.last { hasRest = true }
        guard hasRest ? parts.count >= segments.count : parts.count == segments.count else { return nil }
        for (k, seg) in segments.enumerated() {
            if case .literal(let l) = seg, !utf8Equal(parts[k], l) { return nil }
        }
        var params = PathParameters()
        var i = 0
        for (k, seg) in segments.enumerated() {
            switch seg {
            case .literal(let l):
                guard i < parts.count, utf8Equal(parts[i], l) else { return nil }
                i += 1
            case .parameter(let name):
                guard i < parts.count, let v = percentDecoded(parts[i]) else { return nil }
                params.append(name, v)
                i += 1
            case .rest(let name):
                guard k == segments.count - 1, i < parts.count else { return nil }
                // The path from this segment on, as is, unless it has empty segments (a
                // double or trailing slash), which the joined form leaves out.
                let whole = path[parts[i].startIndex..<parts[parts.count - 1].endIndex]
                var bytes = 0
                for p in parts[i...] { bytes += p.utf8.count }
                if whole.utf8.count == bytes + (parts.count - i - 1) {
                    params.append(name, String(whole))
                } else {
                    params.append(name, parts[i...].joined(separator: "/"))
                }
                i = parts.count
            }
        }
        return i == parts.count ? params : nil
    }
}

/// Byte-wise equality of a path segment and a literal.
@inline(__always)
func utf8Equal(_ a: Substring, _ b: String) -> Bool {
    let au = a.utf8, bu = b.utf8
    guard au.count == bu.count else { return false }
    if let r = au.withContiguousStorageIfAvailable({ x in
        bu.withContiguousStorageIfAvailable { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
    }), let eq = r {
        return eq
    }
    return au.elementsEqual(bu)
}

/// Decodes %XX escapes in a path segment; nil for a malformed escape or invalid UTF-8.
func percentDecoded(_ s: Substring) -> String? {
    // Most segments have no escape: one memchr over the contiguous bytes, then a copy.
    let plain = s.utf8.withContiguousStorageIfAvailable { b in
        b.isEmpty || memchr(b.baseAddress!, Int32(UInt8(ascii: "%")), b.count) == nil
    }
    if plain == true { return String(s) }
    return FormEncoding.percentDecoded(s, plusIsSpace: false)
}
