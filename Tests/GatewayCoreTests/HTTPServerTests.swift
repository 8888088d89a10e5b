#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import GatewayCore

/// The server over real sockets: what goes on the wire, in order, and when it closes.
@Suite("HTTP server over sockets")
struct HTTPServerTests {
    @Test("every rejection gets its exact status and the connection is closed",
          arguments: httpRejectionCases.map { RejectionCase(name: $0.name, bytes: $0.bytes, status: $0.status) })
    func rejection(_ c: RejectionCase) throws {
        let s = try TestServer { _ in echoPathResponder() }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        // Send what the server may refuse to read in full; a reset mid-send is fine.
        try? client.send(c.bytes)
        let (bytes, closed) = client.readToEnd()
        let parsed = ParsedResponse.parse(bytes)
        #expect(parsed?.0.status == c.status, "\(c.name): got \(String(decoding: bytes.prefix(80), as: UTF8.self))")
        #expect(parsed?.0.header("Connection") == "close", "\(c.name)")
        #expect(parsed?.0.header("Content-Type") == "application/problem+json", "\(c.name)")
        let id = parsed?.0.header("X-Request-Id") ?? "(none)"
        #expect(parsed?.0.bodyText.contains("\"request_id\":\"\(id)\"") == true, "\(c.name): X-Request-Id matches the body")
        #expect(closed, "\(c.name): connection left open")
    }

    @Test func keepAliveReusesOneConnection() throws {
        let s = try TestServer { _ in echoPathResponder() }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        for i in 0..<5 {
            try client.send("GET /r\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try client.readResponses(1)[0]
            #expect(r.status == 200)
            #expect(r.bodyText == "/r\(i)")
            #expect(r.header("Connection") == nil)
        }
        #expect(s.server.stats.accepted == 1)
    }

    @Test func pipelinedResponsesComeBackInRequestOrder() throws {
        // Later requests are answered first (shorter delay); the wire order must not change.
        let s = try TestServer { loop in
            ClosureResponder { req, writer in
                let delay = Int(req.path.dropFirst()) ?? 0
                loop.schedule(after: .milliseconds(delay)) {
                    writer.send(HTTPResponse(status: 200, contentType: "text/plain", body: Array(req.path.utf8)))
                }
            }
        }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        let paths = ["/60", "/30", "/0", "/10"]
        try client.send(paths.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        let rs = try client.readResponses(paths.count)
        #expect(rs.map(\.bodyText) == paths)
    }

    @Test func pipelinedBurstBeyondTheReadAheadLimitIsAllAnswered() throws {
        var config = HTTPServerConfiguration()
        config.maxPipelinedRequests = 4
        let s = try TestServer(configuration: config) { loop in
            ClosureResponder { req, writer in
                loop.schedule(after: .milliseconds(1)) {
                    writer.send(HTTPResponse(status: 200, contentType: "text/plain", body: Array(req.path.utf8)))
                }
            }
        }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        let paths = (0..<50).map { "/p\($0)" }
        try client.send(paths.map { "GET \($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        #expect(try client.readResponses(paths.count).map(\.bodyText) == paths)
    }

    @Test func headAnswersWithLengthButNoBody() throws {
        let s = try TestServer { _ in ClosureResponder { _, w in
            w.send(HTTPResponse(status: 200, contentType: "text/plain", body: Array("hello".utf8)))
        } }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let rs = try client.readResponses(2, headRequests: [0])
        #expect(rs[0].header("Content-Length") == "5")
        #expect(rs[0].body.isEmpty)
        #expect(rs[1].bodyText == "hello")
    }

    @Test func contentLengthBodyArrivingInPieces() throws {
        let s = try TestServer { _ in echoBodyResponder() }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhel")
        usleep(20_000)
        try client.send("lo wor")
        usleep(20_000)
        try client.send("ld")
        #expect(try client.readResponses(1)[0].bodyText == "hello world")
    }

    @Test func chunkedBodyIsDecoded() throws {
        let s = try TestServer { _ in echoBodyResponder() }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("POST /e HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        usleep(20_000)
        try client.send("6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
        let rs = try client.readResponses(2)
        #expect(rs[0].bodyText == "hello world")
        #expect(rs[1].status == 200)
    }

    @Test func chunkedBodyOverTheLimitIs413AndCloses() throws {
        var config = HTTPServerConfiguration()
        config.limits.maxBodyBytes = 16
        let s = try TestServer(configuration: config) { _ in echoPathResponder() }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n")
        let (bytes, closed) = client.readToEnd()
        #expect(ParsedResponse.parse(bytes)?.0.status == 413)
        #expect(closed)
    }

    @Test func expectContinueGets100BeforeTheBody() throws {
        let s = try TestServer { _ in ClosureResponder { req, w in w.send(HTTPResponse(status: 201, body: req.body)) } }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        guard case .bytes(let interim) = client.readOnce() else { Issue.record("no interim response"); return }
        #expect(String(decoding: interim, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        try client.send("ping")
        let r = try client.readResponses(1)[0]
        #expect(r.status == 201)
        #expect(r.bodyText == "ping")
    }

    @Test func connectionCloseIsHonoured() throws {
        let s = try TestServer { _ in echoPathResponder() }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        let (bytes, closed) = client.readToEnd()
        let first = ParsedResponse.parse(bytes)
        #expect(first?.0.bodyText == "/a")
        #expect(first?.0.header("Connection") == "close")
        #expect(first.map { $0.1 == bytes.count } == true, "nothing may follow the close response")
        #expect(closed)
    }

    @Test func http10ClosesUnlessKeepAliveAsked() throws {
        let s = try TestServer { _ in echoPathResponder() }
        defer { s.stop() }
        let a = try RawClient(port: s.port)
        try a.send("GET /a HTTP/1.0\r\n\r\n")
        let (bytes, closed) = a.readToEnd()
        #expect(bytes.starts(with: Array("HTTP/1.0 200".utf8)))
        #expect(closed)

        let b = try RawClient(port: s.port)
        try b.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let r = try b.readResponses(1)[0]
        #expect(r.header("Connection") == "keep-alive")
        try b.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try b.readResponses(1)[0].bodyText == "/b")
    }

    @Test func halfClosedClientStillGetsItsAnswers() throws {
        let s = try TestServer { loop in ClosureResponder { req, w in
            loop.schedule(after: .milliseconds(20)) { w.send(HTTPResponse(status: 200, body: Array(req.path.utf8))) }
        } }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        client.shutdownWrite()
        let (bytes, closed) = client.readToEnd()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\r\n\r\n/a") && text.hasSuffix("\r\n\r\n/b"))
        #expect(closed)
    }
}

struct RejectionCase: CustomTestStringConvertible, Sendable {
    let name: String
    let bytes: [UInt8]
    let status: Int
    var testDescription: String { "\(name) -> \(status)" }
}

extension HTTPServerTests {
    @Test func headSentOneByteAtATimeIsParsed() throws {
        let s = try TestServer { _ in echoPathResponder() }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        for b in Array("GET /slowly HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\r\n".utf8) {
            try client.send([b])
        }
        #expect(try client.readResponses(1)[0].bodyText == "/slowly")
    }

    @Test func invalidByteInADribbledHeadIsStillRejected() throws {
        let s = try TestServer { _ in echoPathResponder() }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n")
        usleep(10_000)
        try client.send("X-Bad: a\u{01}b")
        usleep(10_000)
        try client.send("\r\n\r\n")
        let (bytes, closed) = client.readToEnd()
        #expect(ParsedResponse.parse(bytes)?.0.status == 400)
        #expect(closed)
    }
}

extension HTTPServerTests {
    /// With several loops the listeners share the port (SO_REUSEPORT); a second server on a
    /// port already in use must still fail, not quietly take half the connections.
    @Test func aSecondMultiLoopServerOnABusyPortFailsToStart() throws {
        let a1 = try EventLoopThread(name: "a1"), a2 = try EventLoopThread(name: "a2")
        let b1 = try EventLoopThread(name: "b1"), b2 = try EventLoopThread(name: "b2")
        defer { for t in [a1, a2, b1, b2] { t.stopAndJoinBounded() } }
        var config = HTTPServerConfiguration()
        config.address = SocketAddress(host: "127.0.0.1", port: 0)
        let first = HTTPServer(configuration: config, loops: [a1.loop, a2.loop]) { _ in echoPathResponder() }
        let bound = try first.start()
        config.address = bound
        let second = HTTPServer(configuration: config, loops: [b1.loop, b2.loop]) { _ in echoPathResponder() }
        #expect(throws: SystemError.self) { try second.start() }
        a1.loop.execute { first.shutdown(drainTimeout: .zero) {} }
    }

    @Test func servesOnIPv6Loopback() throws {
        let t = try EventLoopThread(name: "v6")
        defer { t.stopAndJoinBounded() }
        var config = HTTPServerConfiguration()
        config.address = SocketAddress(host: "::1", port: 0)
        let server = HTTPServer(configuration: config, loops: [t.loop]) { _ in echoPathResponder() }
        let bound = try server.start()
        #expect(bound.description.hasPrefix("[::1]:"))
        let fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        // Bounded: a server that never closes fails this test instead of hanging the run.
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var sa = sockaddr_in6()
        sa.sin6_family = sa_family_t(AF_INET6)
        sa.sin6_port = in_port_t(UInt16(bound.port).bigEndian)
        inet_pton(AF_INET6, "::1", &sa.sin6_addr)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        #expect(rc == 0)
        let req = Array("GET /six HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n".utf8)
        _ = req.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var buf = [UInt8](repeating: 0, count: 4096)
        var all: [UInt8] = []
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { break }
            all += buf[0..<n]
        }
        #expect(ParsedResponse.parse(all)?.0.bodyText == "/six")
        let done = Atomic<Bool>(false)
        server.shutdown(drainTimeout: .zero) { done.store(true, ordering: .releasing) }
        for _ in 0..<1000 where !done.load(ordering: .acquiring) { usleep(1000) }
    }
}
