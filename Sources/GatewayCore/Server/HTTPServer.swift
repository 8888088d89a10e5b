#if canImport(Glibc)
import Glibc
#endif
internal import CShims
import Logging
import Synchronization

/// Counters the server keeps for tests and metrics.
public struct HTTPServerStats: Sendable, Equatable {
    public var accepted = 0
    public var open = 0
    public var rejected = 0
    public var timeouts = 0
    public var acceptBackoffs = 0
}

/// The HTTP/1.1 server: one listener and one set of connections per loop. With more than
/// one loop the listeners share the port through SO_REUSEPORT and the kernel spreads new
/// connections over them, so no connection ever changes threads.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    let logger: Logger
    private let loops: [EventLoop]
    private let makeResponder: (EventLoop) -> HTTPResponder
    private var contexts: [HTTPLoopContext] = []
    let openConnections = Atomic<Int>(0)
    private let statsBox = Mutex(HTTPServerStats())
    public private(set) var localAddress: SocketAddress

    public init(
        configuration: HTTPServerConfiguration,
        loops: [EventLoop],
        logger: Logger = Logger(label: "crm-gateway.http"),
        responder makeResponder: @escaping (EventLoop) -> HTTPResponder
    ) {
        precondition(!loops.isEmpty)
        self.configuration = configuration
        self.loops = loops
        self.logger = logger
        self.makeResponder = makeResponder
        self.localAddress = configuration.address
    }

    /// Binds (port 0 picks a free port, shared by all loops) and starts accepting.
    @discardableResult
    public func start() throws(SystemError) -> SocketAddress {
        var address = configuration.address
        var fds: [CInt] = []
        // SO_REUSEPORT would let a second gateway (same user, same port) share the port and
        // take part of the connections without a word. A plain bind first finds any listener
        // already there; then the loops' listeners share the port among themselves.
        if loops.count > 1 && address.port != 0 {
            let (probe, _) = try Socket.listen(on: address, backlog: 1, reusePort: false)
            close(probe)
        }
        do throws(SystemError) {
            for _ in loops {
                let (fd, port) = try Socket.listen(on: address, backlog: configuration.backlog, reusePort: loops.count > 1)
                address.port = port
                fds.append(fd)
            }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        localAddress = address
        for (loop, fd) in zip(loops, fds) {
            let ctx = HTTPLoopContext(server: self, loop: loop, responder: makeResponder(loop), listenFD: fd)
            contexts.append(ctx)
            loop.execute { ctx.startListening() }
        }
        return address
    }

    /// Stops accepting, lets in-flight requests finish (their responses say
    /// `Connection: close`), closes idle connections at once and the rest at `timeout`.
    /// `completion` runs once every connection is gone, on some loop thread.
    public func shutdown(drainTimeout timeout: Duration, completion: @escaping @Sendable () -> Void) {
        let remaining = Atomic<Int>(contexts.count)
        if contexts.isEmpty { completion(); return }
        for ctx in contexts {
            ctx.loop.execute {
                ctx.drain(timeout: timeout) {
                    if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { completion() }
                }
            }
        }
    }

    public var stats: HTTPServerStats {
        var s = statsBox.withLock { $0 }
        s.open = openConnections.load(ordering: .relaxed)
        return s
    }

    func updateStats(_ body: (inout HTTPServerStats) -> Void) {
        statsBox.withLock { body(&$0) }
    }
}

/// A loop's share of the server: its listener, its connections, and the buffers its
/// connections borrow while they parse and encode.
final class HTTPLoopContext: IOEventHandler, @unchecked Sendable {
    unowned let server: HTTPServer
    let loop: EventLoop
    let responder: HTTPResponder
    let configuration: HTTPServerConfiguration
    let readBuffer: UnsafeMutableRawBufferPointer
    var encoder = ResponseEncoder()
    private var listenFD: CInt
    private var listenRegistration: Registration?
    private var acceptPaused = false
    private var connections: [ObjectIdentifier: HTTPConnection] = [:]
    private var draining = false
    private var drained: (() -> Void)?
    private var requestIDs = RequestIDGenerator()

    init(server: HTTPServer, loop: EventLoop, responder: HTTPResponder, listenFD: CInt) {
        self.server = server
        self.loop = loop
        self.responder = responder
        self.configuration = server.configuration
        self.listenFD = listenFD
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit { readBuffer.deallocate() }

    func makeRequestID() -> String { requestIDs.next() }

    func startListening() {
        do {
            listenRegistration = try loop.register(fd: listenFD, interest: .readable, handler: self)
        } catch {
            server.logger.error("cannot watch listener: \(error)")
        }
    }

    // MARK: accepting

    func handleIO(_ events: IOEvents) {
        guard !draining, !acceptPaused else { return }
        for _ in 0..<64 {
            if server.openConnections.load(ordering: .relaxed) >= configuration.maxConnections {
                // Over the bound: leave the rest in the kernel backlog until one closes.
                pauseAccepting(for: configuration.acceptBackoff)
                return
            }
            let fd = cshims_accept4_nonblock(listenFD)
            if fd < 0 {
                let e = cshims_errno()
                switch e {
                case EINTR, ECONNABORTED, EPROTO:
                    continue
                case EAGAIN, EWOULDBLOCK:
                    return
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: the pending connection stays queued, so a level-
                    // triggered listener would spin. Stop watching it for a while instead.
                    server.updateStats { $0.acceptBackoffs += 1 }
                    server.logger.warning("accept: \(SystemError("accept4", errno: e)); pausing accept for \(configuration.acceptBackoff)")
                    pauseAccepting(for: configuration.acceptBackoff)
                    return
                default:
                    server.logger.error("accept: \(SystemError("accept4", errno: e))")
                    return
                }
            }
            Socket.setNoDelay(fd)
            let conn = HTTPConnection(fd: fd, context: self)
            do {
                try conn.start()
            } catch {
                close(fd)
                continue
            }
            connections[ObjectIdentifier(conn)] = conn
            server.openConnections.add(1, ordering: .relaxed)
            server.updateStats { $0.accepted += 1 }
        }
    }

    private func pauseAccepting(for delay: Duration) {
        guard let reg = listenRegistration, !acceptPaused else { return }
        acceptPaused = true
        try? loop.modify(reg, interest: [])
        loop.schedule(after: delay) { [weak self] in self?.resumeAccepting() }
    }

    private func resumeAccepting() {
        guard acceptPaused, !draining, let reg = listenRegistration else { return }
        acceptPaused = false
        try? loop.modify(reg, interest: .readable)
    }

    func connectionClosed(_ conn: HTTPConnection) {
        guard connections.removeValue(forKey: ObjectIdentifier(conn)) != nil else { return }
        server.openConnections.subtract(1, ordering: .relaxed)
        if acceptPaused && !draining { resumeAccepting() }
        if draining && connections.isEmpty { finishDrain() }
    }

    func noteRejected(status: Int) { server.updateStats { $0.rejected += 1 } }
    func noteTimeout() { server.updateStats { $0.timeouts += 1 } }

    // MARK: draining

    func drain(timeout: Duration, completion: @escaping () -> Void) {
        draining = true
        drained = completion
        if let reg = listenRegistration { loop.deregister(reg) }
        listenRegistration = nil
        if listenFD >= 0 { close(listenFD); listenFD = -1 }
        for conn in Array(connections.values) { conn.drain() }
        if connections.isEmpty { finishDrain(); return }
        loop.schedule(after: timeout) { [weak self] in
            guard let self else { return }
            if !self.connections.isEmpty {
                self.server.logger.warning("drain timeout: closing \(self.connections.count) connection(s) with requests in flight")
            }
            for conn in Array(self.connections.values) { conn.close() }
        }
    }

    private func finishDrain() {
        let d = drained
        drained = nil
        d?()
    }
}
