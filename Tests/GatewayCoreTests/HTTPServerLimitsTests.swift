#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import GatewayCore

/// Timeouts run on a ManualClock: the test moves time, nothing sleeps for the timeout.
@Suite("HTTP server timeouts, limits and drain")
struct HTTPServerLimitsTests {
    func manualServer(_ config: HTTPServerConfiguration = HTTPServerConfiguration(),
                      responder: @escaping (EventLoop) -> HTTPResponder = { _ in echoPathResponder() }) throws -> (TestServer, ManualClock) {
        let clock = ManualClock()
        return (try TestServer(configuration: config, clock: clock, responder: responder), clock)
    }

    @Test func partialHeadTimesOutWith408() async throws {
        let (s, clock) = try manualServer()
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n")
        try await s.settle()
        clock.advance(by: .seconds(9))
        try await s.settle()
        client.setReceiveTimeout(.milliseconds(50))
        #expect(client.readOnce(max: 1) == .timeout)
        client.setReceiveTimeout(.seconds(5))
        clock.advance(by: .seconds(2))
        let (bytes, closed) = client.readToEnd()
        #expect(ParsedResponse.parse(bytes)?.0.status == 408)
        #expect(closed)
    }

    @Test func silentNewConnectionIsClosedQuietlyAfterHeaderTimeout() async throws {
        let (s, clock) = try manualServer()
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try await s.settle()
        clock.advance(by: .seconds(11))
        let (bytes, closed) = client.readToEnd()
        #expect(bytes.isEmpty)
        #expect(closed)
    }

    @Test func idleKeepAliveConnectionClosesAfterIdleTimeout() async throws {
        var config = HTTPServerConfiguration()
        config.timeouts.idleKeepAlive = .seconds(30)
        let (s, clock) = try manualServer(config)
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.readResponses(1)
        try await s.settle()
        clock.advance(by: .seconds(29))
        try await s.settle()
        #expect(s.server.stats.open == 1)
        clock.advance(by: .seconds(2))
        let (bytes, closed) = client.readToEnd()
        #expect(bytes.isEmpty)
        #expect(closed)
    }

    @Test func bodyBelowMinimumRateTimesOutWith408() async throws {
        var config = HTTPServerConfiguration()
        config.timeouts.bodyGrace = .seconds(10)
        config.timeouts.minBodyBytesPerSecond = 100
        let (s, clock) = try manualServer(config)
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "a", count: 200))
        try await s.settle()
        // 200 bytes earned 2 s on top of the 10 s grace: still alive at 11 s, gone after 12.
        clock.advance(by: .seconds(11))
        try await s.settle()
        #expect(s.server.stats.open == 1)
        clock.advance(by: .seconds(2))
        let (bytes, closed) = client.readToEnd()
        #expect(ParsedResponse.parse(bytes)?.0.status == 408)
        #expect(closed)
    }

    @Test func clientThatStopsReadingIsDisconnectedAfterStalledWriteTimeout() async throws {
        let big = [UInt8](repeating: 0x61, count: 32 << 20)
        let (s, clock) = try manualServer(responder: { _ in ClosureResponder { _, w in w.send(HTTPResponse(status: 200, body: big)) } })
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try await s.settle()
        try await s.settle()
        clock.advance(by: .seconds(5))
        try await s.settle()
        #expect(s.server.stats.open == 1)
        clock.advance(by: .seconds(6))
        try await s.settle()
        #expect(s.server.stats.open == 0)
        #expect(s.server.stats.timeouts == 1)
    }

    @Test func connectionsBeyondTheBoundWaitUntilOneCloses() async throws {
        var config = HTTPServerConfiguration()
        config.maxConnections = 2
        config.acceptBackoff = .seconds(3600)  // only a close may resume accepting
        let (s, _) = try manualServer(config)
        defer { s.stop() }
        let a = try RawClient(port: s.port)
        let b = try RawClient(port: s.port)
        try a.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        try b.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try a.readResponses(1)
        _ = try b.readResponses(1)
        let c = try RawClient(port: s.port, receiveTimeout: .milliseconds(200))
        try c.send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(c.readOnce() == .timeout)
        #expect(s.server.stats.open == 2)
        try a.send("GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        _ = a.readToEnd()
        a.close()
        c.setReceiveTimeout(.seconds(5))
        #expect(try c.readResponses(1)[0].bodyText == "/c")
    }

    @Test func drainFinishesInFlightRequestsAndRefusesNewConnections() async throws {
        // The slow request is answered only after the drain has begun, whatever the load.
        let parked = Mutex<[HTTPResponseWriter]>([])
        let s = try TestServer { _ in ClosureResponder { req, w in
            if req.path == "/slow" { parked.withLock { $0.append(w) } } else { w.send(HTTPResponse(status: 200)) }
        } }
        defer { s.stop() }
        let busy = try RawClient(port: s.port)
        let idle = try RawClient(port: s.port)
        try idle.send("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try idle.readResponses(1)
        try busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        // Generous real-time bounds: a loaded machine must not turn this into a timeout test.
        for _ in 0..<5000 where parked.withLock({ $0.isEmpty }) { usleep(2000) }
        #expect(parked.withLock { $0.count } == 1)
        let drained = Atomic<Bool>(false)
        s.server.shutdown(drainTimeout: .seconds(60)) { drained.store(true, ordering: .releasing) }
        try await s.settle()
        // The idle connection is closed at once; the port no longer accepts.
        #expect(idle.readToEnd().closed)
        #expect(throws: SystemError.self) { _ = try RawClient(port: s.port) }
        let early = drained.load(ordering: .acquiring)
        #expect(!early)
        // The in-flight request still gets its answer, marked as the connection's last.
        for w in parked.withLock({ $0 }) { w.send(HTTPResponse(status: 200, body: Array("/slow".utf8))) }
        let (bytes, closed) = busy.readToEnd()
        let r = ParsedResponse.parse(bytes)?.0
        #expect(r?.bodyText == "/slow")
        #expect(r?.header("Connection") == "close")
        #expect(closed)
        busy.close()
        for _ in 0..<4000 where !drained.load(ordering: .acquiring) { usleep(5000) }
        let done = drained.load(ordering: .acquiring)
        #expect(done)
    }

    @Test func drainIsBoundedWhenAResponderNeverAnswers() async throws {
        let (s, clock) = try manualServer(responder: { _ in ClosureResponder { _, _ in } })
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
        try await s.settle()
        let drained = Atomic<Bool>(false)
        s.server.shutdown(drainTimeout: .seconds(10)) { drained.store(true, ordering: .releasing) }
        try await s.settle()
        let early = drained.load(ordering: .acquiring)
        #expect(!early)
        clock.advance(by: .seconds(10))
        try await s.settle()
        let late = drained.load(ordering: .acquiring)
        #expect(late)
        #expect(client.readToEnd().closed)
    }
}

