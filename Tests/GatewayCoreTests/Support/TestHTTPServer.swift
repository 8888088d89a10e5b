#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A scripted HTTP/1.1 server on 127.0.0.1, port 0, for transport tests. Blocking sockets:
/// one thread accepts, one thread per connection runs the test's handler for each request
/// (keep-alive unless the handler closes). It counts connections and records requests.
final class TestHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var target: String
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// Runs on the connection's thread, once per request read from it.
    typealias Handler = @Sendable (Request, Connection) -> Void

    let port: Int
    private let listenFD: CInt
    private let handler: Handler
    private let stopping = Atomic<Bool>(false)
    private let state = Mutex(State())
    private var acceptThread = pthread_t()

    private struct State {
        var accepted = 0
        var requests: [Request] = []
    }

    var acceptedConnections: Int { state.withLock { $0.accepted } }
    var requests: [Request] { state.withLock { $0.requests } }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(_ handler: @escaping Handler) throws {
        self.handler = handler
        (listenFD, port) = try TestSockets.listenOnLoopback(backlog: 128)
        let box = Unmanaged.passRetained(self)
        let rc = pthread_create(&acceptThread, nil, { arg in
            let server = Unmanaged<TestHTTPServer>.fromOpaque(arg!).takeRetainedValue()
            server.acceptLoop()
            return nil
        }, box.toOpaque())
        precondition(rc == 0)
    }

    /// Stops accepting and tells connection threads to finish; waits for the acceptor only.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pthread_join(acceptThread, nil)
    }

    private func acceptLoop() {
        defer { close(listenFD) }
        while !stopping.load(ordering: .acquiring) {
            guard TestSockets.waitReadable(listenFD, milliseconds: 20) else { continue }
            let fd = accept(listenFD, nil, nil)
            if fd < 0 { continue }
            state.withLock { $0.accepted += 1 }
            let conn = Connection(fd: fd, stopping: { self.stopping.load(ordering: .acquiring) })
            spawnTestThread { self.serve(conn) }
        }
    }

    private func serve(_ conn: Connection) {
        defer { conn.close() }
        while !conn.isClosed, let req = conn.readRequest() {
            state.withLock { $0.requests.append(req) }
            handler(req, conn)
            if req.header("connection")?.lowercased() == "close" { break }
        }
    }

    // MARK: connection

    final class Connection: @unchecked Sendable {
        let fd: CInt
        private(set) var isClosed = false
        private let stopping: @Sendable () -> Bool
        private var buffer: [UInt8] = []

        init(fd: CInt, stopping: @escaping @Sendable () -> Bool) {
            self.fd = fd
            self.stopping = stopping
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }

        /// False once the peer is gone.
        @discardableResult
        func write(_ bytes: [UInt8]) -> Bool {
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                off += n
            }
            return true
        }

        @discardableResult
        func write(_ s: String) -> Bool { write(Array(s.utf8)) }

        func head(status: Int, reason: String = "Test", headers: [(String, String)]) -> String {
            var s = "HTTP/1.1 \(status) \(reason)\r\n"
            for (n, v) in headers { s += "\(n): \(v)\r\n" }
            return s + "\r\n"
        }

        @discardableResult
        func respond(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) -> Bool {
            write(head(status: status, headers: headers + [("Content-Length", "\(body.count)")])) && write(body)
        }

        /// Sleeps in small steps; returns early when the server stops.
        func pause(milliseconds ms: Int) {
            var left = ms
            while left > 0 && !stopping() {
                usleep(useconds_t(min(left, 10) * 1000))
                left -= 10
            }
        }

        /// Waits until the client closes its end (or the server stops, or `milliseconds` pass).
        func waitForPeerClose(milliseconds ms: Int) {
            var left = ms
            while left > 0 && !stopping() {
                if TestSockets.waitReadable(fd, milliseconds: 10) {
                    var b: UInt8 = 0
                    if recv(fd, &b, 1, CInt(MSG_PEEK)) <= 0 { return }
                    buffer.append(contentsOf: readAvailable())
                }
                left -= 10
            }
        }

        func close() {
            guard !isClosed else { return }
            isClosed = true
            Glibc.close(fd)
        }

        private func readAvailable() -> [UInt8] {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, CInt(MSG_DONTWAIT)) }
            return n > 0 ? Array(chunk[..<n]) : []
        }

        /// Reads one request (Content-Length bodies only); nil on EOF, error or stop.
        func readRequest() -> Request? {
            while true {
                if let end = find(buffer, [13, 10, 13, 10]) {
                    let headText = String(decoding: buffer[..<end], as: UTF8.self)
                    var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
                    let start = lines.removeFirst().split(separator: " ").map(String.init)
                    guard start.count == 3 else { return nil }
                    var headers: [(name: String, value: String)] = []
                    for l in lines {
                        guard let c = l.firstIndex(of: ":") else { continue }
                        headers.append((String(l[..<c]), String(l[l.index(after: c)...]).trimmingSpaces()))
                    }
                    let length = Int(headers.first { $0.name.lowercased() == "content-length" }?.value ?? "0") ?? 0
                    let bodyStart = end + 4
                    while buffer.count < bodyStart + length {
                        guard fill() else { return nil }
                    }
                    let body = Array(buffer[bodyStart..<(bodyStart + length)])
                    buffer.removeFirst(bodyStart + length)
                    return Request(method: start[0], target: start[1], headers: headers, body: body)
                }
                guard fill() else { return nil }
            }
        }

        private func fill() -> Bool {
            while !stopping() {
                guard TestSockets.waitReadable(fd, milliseconds: 20) else { continue }
                let got = readAvailable()
                if got.isEmpty { return false }
                buffer.append(contentsOf: got)
                return true
            }
            return false
        }
    }
}

// MARK: scripts

extension TestHTTPServer {
    static func respond(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = []) -> Handler {
        { _, c in c.respond(status: status, headers: headers, body: body) }
    }

    /// 200 with the request's body, and its method and target in X-Echo-* headers.
    static let echo: Handler = { req, c in
        c.respond(status: 200, headers: [("X-Echo-Method", req.method), ("X-Echo-Target", req.target)], body: req.body)
    }

    static func delayed(milliseconds ms: Int, then next: @escaping Handler) -> Handler {
        { req, c in
            c.pause(milliseconds: ms)
            next(req, c)
        }
    }

    /// Promises `contentLength` bytes, sends `prefix` of them, then goes silent.
    static func stallMidBody(contentLength: Int, prefix: Int) -> Handler {
        { _, c in
            c.write(c.head(status: 200, headers: [("Content-Length", "\(contentLength)")]))
            c.write([UInt8](repeating: 0x61, count: prefix))
            c.waitForPeerClose(milliseconds: 5000)
            c.close()
        }
    }

    static func redirect(to location: String, status: Int = 302) -> Handler {
        respond(status: status, headers: [("Location", location)])
    }

    /// `count` bytes, either with a Content-Length or delimited by closing the connection.
    static func huge(bytes count: Int, announceLength: Bool) -> Handler {
        { _, c in
            let headers = announceLength ? [("Content-Length", "\(count)")] : [("Connection", "close")]
            guard c.write(c.head(status: 200, headers: headers)) else { return c.close() }
            let chunk = [UInt8](repeating: 0x62, count: 64 * 1024)
            var sent = 0
            while sent < count {
                let n = min(chunk.count, count - sent)
                guard c.write(Array(chunk[..<n])) else { break }
                sent += n
            }
            c.close()
        }
    }
}

// MARK: socket helpers

/// Raw loopback sockets for tests that need a peer that misbehaves below HTTP.
enum TestSockets {
    enum Failure: Error { case failed(String) }

    /// A socket bound to 127.0.0.1 on an ephemeral port and listening.
    static func listenOnLoopback(backlog: CInt) throws -> (fd: CInt, port: Int) {
        try bindLoopback(listenBacklog: backlog)
    }

    /// A socket bound to 127.0.0.1 on an ephemeral port; listening if `listenBacklog` is given.
    private static func bindLoopback(listenBacklog backlog: CInt?) throws -> (fd: CInt, port: Int) {
        let fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure.failed("socket") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let b = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard b == 0, backlog.map({ listen(fd, $0) == 0 }) ?? true else { close(fd); throw Failure.failed("bind/listen") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// Starts a non-blocking connect to 127.0.0.1:`port`; returns the socket.
    static func startConnect(port: Int) -> CInt {
        let fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return fd
    }

    /// A port nothing listens on: bound and not listening, so a connect is refused, and held
    /// until the caller closes `fd`. (Bound and closed at once, the port was free for any
    /// test running beside to take: a listener there turned "refused" into a 20 s wait.)
    static func closedLoopbackPort() throws -> (fd: CInt, port: Int) {
        try bindLoopback(listenBacklog: nil)
    }

    static func waitReadable(_ fd: CInt, milliseconds ms: CInt) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, ms) > 0
    }
}

private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for i in 0...(haystack.count - needle.count) where haystack[i..<(i + needle.count)].elementsEqual(needle) {
        return i
    }
    return nil
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = self[...]
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
