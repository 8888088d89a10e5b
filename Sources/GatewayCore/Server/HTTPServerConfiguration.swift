/// Connection-level timeouts. Each guards one way a client can hold a connection
/// without making progress (slowloris, slow body, never reading the response).
public struct HTTPTimeouts: Sendable {
    /// From accept, or from the first byte of a request, until its head is complete.
    public var headerRead: Duration = .seconds(10)
    /// The body may take `bodyGrace` plus one second per `minBodyBytesPerSecond` bytes
    /// received (Apache mod_reqtimeout's "body=10,MinRate=..." rule).
    public var bodyGrace: Duration = .seconds(10)
    public var minBodyBytesPerSecond: Int = 1024
    /// Between requests on a persistent connection.
    public var idleKeepAlive: Duration = .seconds(60)
    /// A pending response that the client does not read for this long ends the connection.
    public var stalledWrite: Duration = .seconds(10)

    public init() {}
}

public struct HTTPServerConfiguration: Sendable {
    public var address: SocketAddress = SocketAddress(host: "127.0.0.1", port: 8080)
    public var backlog: Int32 = 1024
    public var limits = HTTPLimits()
    public var timeouts = HTTPTimeouts()
    /// Across all loops. New connections wait in the kernel's backlog beyond it.
    public var maxConnections: Int = 20_000
    /// Requests read ahead of their responses on one connection before reading pauses.
    public var maxPipelinedRequests: Int = 32
    /// Accepting pauses this long after EMFILE/ENFILE before it is tried again.
    public var acceptBackoff: Duration = .milliseconds(100)
    /// A streaming response (`HTTPStream`) whose unread output exceeds this is closed: a
    /// client that stops reading cannot make the server buffer without bound.
    public var maxStreamBufferedBytes: Int = 1 << 20

    public init() {}
}
