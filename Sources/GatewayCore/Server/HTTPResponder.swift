/// Answers requests. The one abstraction between the transport core and whatever routes.
/// Called on the connection's loop thread; answer exactly once through `writer`, now
/// (synchronously, the fast path) or later (after an upstream call).
public protocol HTTPResponder: AnyObject {
    func respond(to request: consuming HTTPRequest, writer: HTTPResponseWriter)
}

/// Delivers one response for one request, in pipeline order. Sendable so async handler
/// code can carry it; `send` hops to the connection's loop if called elsewhere.
public struct HTTPResponseWriter: @unchecked Sendable {
    let connection: HTTPConnection
    let sequence: UInt64
    /// Applied to the response before it is sent (headers every answer of a responder gets,
    /// e.g. CORS); nil on the fast path.
    var finish: (@Sendable (HTTPResponse) -> HTTPResponse)?

    init(connection: HTTPConnection, sequence: UInt64) {
        self.connection = connection
        self.sequence = sequence
        self.finish = nil
    }

    public var loop: EventLoop { connection.context.loop }

    /// A writer that passes every response through `transform` first (after any earlier one).
    public func finishing(with transform: @escaping @Sendable (HTTPResponse) -> HTTPResponse) -> HTTPResponseWriter {
        var w = self
        if let earlier = finish {
            w.finish = { transform(earlier($0)) }
        } else {
            w.finish = transform
        }
        return w
    }

    public func send(_ response: consuming HTTPResponse) {
        if let finish { response = finish(response) }
        let loop = connection.context.loop
        if loop.inEventLoop {
            connection.complete(sequence, with: response)
        } else {
            let c = connection, s = sequence, r = response
            loop.execute { c.complete(s, with: r) }
        }
    }
}

/// A responder from a closure, for tests and small tools.
public final class ClosureResponder: HTTPResponder {
    let body: (HTTPRequest, HTTPResponseWriter) -> Void

    public init(_ body: @escaping (HTTPRequest, HTTPResponseWriter) -> Void) {
        self.body = body
    }

    public func respond(to request: consuming HTTPRequest, writer: HTTPResponseWriter) {
        body(request, writer)
    }
}
