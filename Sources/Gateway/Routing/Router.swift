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
        /// The literal and its bytes (compared with memcmp).
        case literal(String, [UInt8])
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
    private var byFirstLiteral: [(literal: [UInt8], routes: [Int])] = []
    private var openFirst: [Int] = []
    private var rootRoutes: [Int] = []

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ template: String, _ handler: RouteHandler) {
        let segs: [Segment] = template.split(separator: "/", omittingEmptySubsequences: true).map { s in
            if s.hasPrefix("{") && s.hasSuffix("+}") { return .rest(String(s.dropFirst().dropLast(2))) }
            if s.hasPrefix("{") && s.hasSuffix("}") { return .parameter(String(s.dropFirst().dropLast())) }
            return .literal(String(s), Array(s.utf8))
        }
        let i = routes.count
        routes.append(Route(method: method, template: template, segments: segs, handler: handler))
        switch segs.first {
        case nil: rootRoutes.append(i)
        case .literal(_, let l)?:
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
        var path = path
        // The path's bytes, contiguous (native strings are; anything else is made so once).
        return path.withUTF8 { bytes in
            // Segment bounds as byte offsets on the stack: no array, no Substrings.
            withUnsafeTemporaryAllocation(of: Range<Int>.self, capacity: Self.maxStackSegments) { stack in
                let n = Self.segmentBounds(bytes, into: stack)
                if n <= Self.maxStackSegments {
                    return locate(method, bytes, UnsafeBufferPointer(rebasing: stack[0..<n]))
                }
                let all = Self.segmentBounds(bytes)
                return all.withUnsafeBufferPointer { locate(method, bytes, $0) }
            }
        }
    }

    static let maxStackSegments = 32

    private func locate(_ method: HTTPMethod, _ bytes: UnsafeBufferPointer<UInt8>, _ parts: UnsafeBufferPointer<Range<Int>>) -> Location {
        var allowed: [HTTPMethod] = []
        // The candidates: routes whose first literal is the path's first segment, and those
        // that do not start with a literal, merged back into insertion order.
        let literal: [Int]
        let open: [Int]
        if let first = parts.first {
            let head = UnsafeBufferPointer(rebasing: bytes[first])
            literal = byFirstLiteral.first { Self.equal(head, $0.literal) }?.routes ?? []
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
            if let params = Self.bind(routes[k].segments, bytes, parts) {
                return .found(index: k, parameters: params)
            }
        }
        var second = MergedOrder(literal, open)
        while let k = second.next() {
            guard Self.bind(routes[k].segments, bytes, parts) != nil else { continue }
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

    /// The byte ranges of the path's non-empty segments between slashes, written into `out`
    /// while they fit; returns how many there are (a slash is one byte and never part of
    /// another character's encoding).
    static func segmentBounds(_ bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<Range<Int>>) -> Int {
        var n = 0
        var start = 0
        for k in 0..<bytes.count where bytes[k] == UInt8(ascii: "/") {
            if k > start {
                if n < out.count { out[n] = start..<k }
                n += 1
            }
            start = k + 1
        }
        if start < bytes.count {
            if n < out.count { out[n] = start..<bytes.count }
            n += 1
        }
        return n
    }

    /// All of them, on the heap (a path with more segments than the stack buffer holds).
    static func segmentBounds(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let n = segmentBounds(bytes, into: UnsafeMutableBufferPointer(start: nil, count: 0))
        return Array(unsafeUninitializedCapacity: n) { buf, count in count = segmentBounds(bytes, into: buf) }
    }

    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        a.count == b.count && (a.count == 0 || b.withUnsafeBufferPointer { memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 })
    }

    private static func bind(_ segments: [Segment], _ bytes: UnsafeBufferPointer<UInt8>, _ parts: UnsafeBufferPointer<Range<Int>>) -> PathParameters? {
        // The shape first (segment count, literals), so a route that cannot bind costs no
        // decoding and no strings.
        var hasRest = false
        if case .rest? = segments.last { hasRest = true }
        guard hasRest ? parts.count >= segments.count : parts.count == segments.count else { return nil }
        for k in segments.indices {
            if case .literal(_, let l) = segments[k], !equal(UnsafeBufferPointer(rebasing: bytes[parts[k]]), l) { return nil }
        }
        var params = PathParameters()
        var i = 0
        for (k, seg) in segments.enumerated() {
            switch seg {
            case .literal:
                i += 1
            case .parameter(let name):
                guard i < parts.count, let v = percentDecoded(UnsafeBufferPointer(rebasing: bytes[parts[i]])) else { return nil }
                params.append(name, v)
                i += 1
            case .rest(let name):
                guard k == segments.count - 1, i < parts.count else { return nil }
                // The path from this segment on, as is, unless it has empty segments (a
                // double or trailing slash), which the joined form leaves out.
                let whole = parts[i].lowerBound..<parts[parts.count - 1].upperBound
                var length = 0
                for p in parts[i...] { length += p.count }
                if whole.count == length + (parts.count - i - 1) {
                    params.append(name, String(decoding: UnsafeBufferPointer(rebasing: bytes[whole]), as: UTF8.self))
                } else {
                    params.append(name, parts[i...].map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }.joined(separator: "/"))
                }
                i = parts.count
            }
        }
        return i == parts.count ? params : nil
    }
}

/// Decodes %XX escapes in a path segment's bytes; nil for a malformed escape or invalid UTF-8.
/// Most segments have none: one memchr, then one copy.
func percentDecoded(_ b: UnsafeBufferPointer<UInt8>) -> String? {
    if b.isEmpty || memchr(b.baseAddress!, Int32(UInt8(ascii: "%")), b.count) == nil {
        // The bytes are a slice of a valid String at ASCII slash boundaries: valid UTF-8.
        return String(decoding: b, as: UTF8.self)
    }
    return FormEncoding.percentDecoded(Substring(String(decoding: b, as: UTF8.self)), plusIsSpace: false)
}
