#if canImport(Glibc)
import Glibc
#endif
@testable import GatewayCore

/// A blocking TCP client for tests: raw bytes out, raw bytes in, so tests see exactly
/// what the server put on the wire (and whether it closed the connection).
final class RawClient {
    let fd: CInt

    init(port: Int, host: String = "127.0.0.1", receiveTimeout: Duration = .seconds(5)) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { isOpen = false; throw SystemError("socket", errno: errno) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &sa.sin_addr)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let e = errno
            // Through close(), not Glibc.close: a class init that throws once every stored
            // property is set still runs deinit, whose close() would otherwise close this
            // number a second time, by then perhaps another test's socket or a loop's eventfd
            // (a loop whose wake-up descriptor is closed sleeps in epoll_wait for good).
            close()
            throw SystemError("connect", errno: e)
        }
        setReceiveTimeout(receiveTimeout)
    }

    private var isOpen = true

    deinit { close() }

    func close() {
        if isOpen { Glibc.close(fd) }
        isOpen = false
    }

    func setReceiveTimeout(_ d: Duration) {
        let ns = d.nanoseconds
        var tv = timeval(tv_sec: Int(ns / 1_000_000_000), tv_usec: Int(ns % 1_000_000_000) / 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 { throw SystemError("send", errno: errno) }
            off += n
        }
    }

    func send(_ s: String) throws { try send(Array(s.utf8)) }

    /// What one read returns: bytes, end of stream, a reset, or the receive timeout.
    enum ReadResult: Equatable {
        case bytes([UInt8])
        case eof
        case reset
        case timeout
    }

    func readOnce(max: Int = 65536) -> ReadResult {
        var buf = [UInt8](repeating: 0, count: max)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if n > 0 { return .bytes(Array(buf[0..<n])) }
        if n == 0 { return .eof }
        if errno == ECONNRESET { return .reset }
        return .timeout
    }

    /// Reads until the server closes (or resets); `closed` tells which way it ended.
    func readToEnd() -> (bytes: [UInt8], closed: Bool) {
        var all: [UInt8] = []
        while true {
            switch readOnce() {
            case .bytes(let b): all += b
            case .eof, .reset: return (all, true)
            case .timeout: return (all, false)
            }
        }
    }

    /// Reads exactly `count` complete responses (Content-Length framed) from the stream.
    func readResponses(_ count: Int, headRequests: Set<Int> = []) throws -> [ParsedResponse] {
        var buffer: [UInt8] = []
        var out: [ParsedResponse] = []
        while out.count < count {
            if let (r, used) = ParsedResponse.parse(buffer, isHead: headRequests.contains(out.count)) {
                out.append(r)
                buffer.removeFirst(used)
                continue
            }
            switch readOnce() {
            case .bytes(let b): buffer += b
            case .eof, .reset: throw SystemError("server closed after \(out.count) responses", errno: 0)
            case .timeout: throw SystemError("timed out after \(out.count) responses", errno: ETIMEDOUT)
            }
        }
        return out
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }
}

struct ParsedResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// One Content-Length (or bodiless) response from the front of `b`, if complete.
    static func parse(_ b: [UInt8], isHead: Bool = false) -> (ParsedResponse, Int)? {
        guard let end = find(b, [13, 10, 13, 10]) else { return nil }
        let head = String(decoding: b[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        let headers = lines.compactMap { l -> (String, String)? in
            guard let i = l.firstIndex(of: ":") else { return nil }
            return (String(l[..<i]), l[l.index(after: i)...].trimmingCharacters(in: .whitespaces))
        }
        var r = ParsedResponse(status: status, headers: headers, body: [])
        let start = end + 4
        let length = (isHead || status < 200 || status == 204 || status == 304) ? 0 : Int(r.header("Content-Length") ?? "0") ?? 0
        guard b.count >= start + length else { return nil }
        r.body = Array(b[start..<start + length])
        return (r, start + length)
    }

    static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if Array(hay[i..<i + needle.count]) == needle { return i }
        }
        return nil
    }
}

/// A server on its own loop thread for a test, torn down by `stop()`.
final class TestServer {
    let thread: EventLoopThread
    let server: HTTPServer
    let port: Int
    var loop: EventLoop { thread.loop }

    init(
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
        clock: LoopClock = SystemClock.shared,
        responder: @escaping (EventLoop) -> HTTPResponder
    ) throws {
        thread = try EventLoopThread(name: "test-server", clock: clock)
        var config = configuration
        config.address = SocketAddress(host: "127.0.0.1", port: 0)
        server = HTTPServer(configuration: config, loops: [thread.loop], responder: responder)
        port = try server.start().port
        // start() registers the listener from a task on the loop. Wait until a task queued
        // after it has run, so the loop watches the listener before the test connects; else a
        // settle's first round can run in the same batch as that registration, its second
        // round only accepts, and the request is read after the test has moved the clock
        // (bodyBelowMinimumRateTimesOutWith408 failed so in 5 of 100 runs under load).
        let listening = Atomic<Bool>(false)
        thread.loop.execute { listening.store(true, ordering: .releasing) }
        waitUntil("the test server's loop to start listening") { listening.load(ordering: .acquiring) }
    }

    /// Runs `body` on the loop and waits (bounded: throws if the loop does not run it).
    /// Twice in a row guarantees the loop has been through an epoll_wait after anything the
    /// test sent before calling it.
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        try await loop.runBounded("an onLoop task", body)
    }

    func settle() async throws {
        try await loop.settleBounded("a settle task")
    }

    /// Bounded: records an issue (instead of hanging) if the drain or the loop's end does not come.
    func stop(sourceLocation: SourceLocation = #_sourceLocation) {
        // A zero drain bound closes whatever is left at once, whatever the clock.
        let done = Atomic<Bool>(false)
        server.shutdown(drainTimeout: .zero) { done.store(true, ordering: .releasing) }
        let loop = self.loop
        waitUntil("the test server's zero-bound drain on loop '\(loop.name)' (\(loop.wakeUpReport()))", sourceLocation: sourceLocation) {
            done.load(ordering: .acquiring)
        }
        thread.stopAndJoinBounded(sourceLocation: sourceLocation)
    }
}

import Synchronization
import Foundation
import Testing

/// A responder answering 200 with the path as body, for most tests.
func echoPathResponder() -> ClosureResponder {
    ClosureResponder { req, writer in
        writer.send(HTTPResponse(status: 200, contentType: "text/plain", body: Array(req.path.utf8)))
    }
}

/// A responder answering 200 with the request body, for body-framing tests.
func echoBodyResponder() -> ClosureResponder {
    ClosureResponder { req, writer in writer.send(HTTPResponse(status: 200, body: req.body)) }
}
