import Testing
@testable import GatewayCore
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// CurlTransport against a scripted server on 127.0.0.1 (never anything else). Timeouts
/// are real curl timeouts, so they are kept to a few hundred milliseconds.
@Suite struct TransportTests {
    // MARK: round trips

    @Test func getReturnsStatusHeadersAndBody() async throws {
        let server = try TestHTTPServer(TestHTTPServer.respond(
            status: 200, headers: [("X-Reply", "yes"), ("Content-Type", "text/plain")], body: Array("hello".utf8)))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let res = try await h.transport.send(UpstreamRequest(
            url: server.baseURL + "/items?id=7", headers: [("X-Test", "one"), ("Accept", "text/plain")]))

        #expect(res.status == 200)
        #expect(res.header("x-reply") == "yes")
        #expect(res.header("CONTENT-TYPE") == "text/plain")
        #expect(res.body == Array("hello".utf8))
        #expect(res.httpVersion == "1.1")
        #expect(res.timings.total > .zero)
        let seen = try #require(server.requests.first)
        #expect(seen.method == "GET")
        #expect(seen.target == "/items?id=7")
        #expect(seen.header("x-test") == "one")
        #expect(seen.header("accept") == "text/plain")
    }

    @Test func postSendsBodyAndHeadersWithoutExpectContinue() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }
        // Over 1 MiB: the size from which curl would add "Expect: 100-continue" and wait.
        let payload = Array(#"{"name":"Ada","bytes":"\#(String(repeating: "x", count: 1_200_000))"}"#.utf8)

        let res = try await h.transport.send(UpstreamRequest(
            method: "POST", url: server.baseURL + "/persons",
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer t0ken")], body: payload))

        #expect(res.status == 200)
        #expect(res.header("X-Echo-Method") == "POST")
        #expect(res.body == payload)
        let seen = try #require(server.requests.first)
        #expect(seen.body == payload)
        #expect(seen.header("content-length") == "\(payload.count)")
        #expect(seen.header("content-type") == "application/json")
        #expect(seen.header("authorization") == "Bearer t0ken")
        #expect(seen.header("expect") == nil)
    }

    @Test func customMethodBodyGetsNoInventedContentType() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let res = try await h.transport.send(UpstreamRequest(method: "PATCH", url: server.baseURL + "/p/1", body: [1, 2, 3]))

        #expect(res.header("X-Echo-Method") == "PATCH")
        let seen = try #require(server.requests.first)
        #expect(seen.method == "PATCH")
        #expect(seen.body == [1, 2, 3])
        #expect(seen.header("content-type") == nil)
    }

    @Test func headReturnsHeadersAndNoBody() async throws {
        let server = try TestHTTPServer { req, c in
            c.write(c.head(status: 200, headers: [("Content-Length", "5"), ("X-Method", req.method)]))
        }
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let res = try await h.transport.send(UpstreamRequest(method: "HEAD", url: server.baseURL + "/h"))

        #expect(res.status == 200)
        #expect(res.header("x-method") == "HEAD")
        #expect(res.header("content-length") == "5")
        #expect(res.body.isEmpty)
    }

    @Test func interimResponseHeadersAreDropped() async throws {
        let server = try TestHTTPServer { _, c in
            c.write(c.head(status: 103, reason: "Early Hints", headers: [("Link", "</a.css>; rel=preload")]))
            c.respond(status: 201, headers: [("X-Final", "1")], body: Array("ok".utf8))
        }
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let res = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/hints"))

        #expect(res.status == 201)
        #expect(res.header("link") == nil)
        #expect(res.header("x-final") == "1")
        #expect(res.headers.count == 2)
    }

    // MARK: connections

    @Test func sequentialCallsReuseOneConnection() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        var reused: [Bool] = []
        for i in 0..<5 {
            let res = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/\(i)"))
            #expect(res.header("X-Echo-Target") == "/\(i)")
            reused.append(res.timings.reusedConnection)
        }

        #expect(server.acceptedConnections == 1)
        #expect(reused == [false, true, true, true, true])
        #expect(h.transport.stats.connectionsOpened == 1)
        // The pooled connection stays open but is not watched while idle.
        #expect(try await h.onLoop { $0.watchedSockets } == 0)
    }

    @Test func pooledConnectionClosedByTheServerIsReplaced() async throws {
        let server = try TestHTTPServer { req, c in
            TestHTTPServer.echo(req, c)
            c.close()  // without "Connection: close": curl pools it and finds it dead later
        }
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let first = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/1"))
        try await Task.sleep(for: .milliseconds(20))
        let second = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/2"))

        #expect(first.status == 200 && second.status == 200)
        #expect(second.timings.reusedConnection == false)
        #expect(server.acceptedConnections == 2)
    }

    @Test func twentyConcurrentCallsOnOneLoopAllComplete() async throws {
        let server = try TestHTTPServer(TestHTTPServer.delayed(milliseconds: 30, then: TestHTTPServer.echo))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }
        let transport = h.transport
        let base = server.baseURL

        let targets = try await withThrowingTaskGroup(of: (Int, String?, [UInt8]).self) { group in
            for i in 0..<20 {
                group.addTask {
                    let res = try await transport.send(UpstreamRequest(method: "POST", url: base + "/c/\(i)", body: Array("\(i)".utf8)))
                    return (i, res.header("X-Echo-Target"), res.body)
                }
            }
            var out: [(Int, String?, [UInt8])] = []
            for try await r in group { out.append(r) }
            return out
        }

        #expect(targets.count == 20)
        for (i, target, body) in targets {
            #expect(target == "/c/\(i)")
            #expect(body == Array("\(i)".utf8))
        }
        #expect(server.requests.count == 20)
        // The per-host cap (16) holds: the last four wait for a free connection.
        #expect(server.acceptedConnections <= 16)
        #expect(h.transport.stats == CurlTransportStats(activeTransfers: 0, connectionsOpened: server.acceptedConnections, completedTransfers: 20))
    }

    // MARK: timeouts

    /// A listener with backlog 0 that never accepts, its queue filled first: Linux then drops
    /// further SYNs, so the next connect hangs (on loopback) until curl gives up.
    @Test func connectTimeoutWhenTheAcceptQueueIsFull() async throws {
        let (listener, port) = try TestSockets.listenOnLoopback(backlog: 0)
        let fillers = (0..<3).map { _ in TestSockets.startConnect(port: port) }
        defer { (fillers + [listener]).forEach { close($0) } }
        usleep(50_000)
        let h = try Harness()
        defer { h.close() }

        let result = await h.outcome(UpstreamRequest(
            url: "http://127.0.0.1:\(port)/", timeouts: UpstreamTimeouts(connect: .milliseconds(200), total: .seconds(30))))

        // The connect deadline, not the total one, ended it (curl reports which). No wall-time
        // bound: on a loaded machine the loop may run late, and the error kind already says it.
        #expect(result.error == .connectTimeout)
    }

    @Test func connectFailedOnAClosedPort() async throws {
        let (closed, port) = try TestSockets.closedLoopbackPort()
        defer { close(closed) }
        let h = try Harness()
        defer { h.close() }

        let result = await h.outcome(UpstreamRequest(url: "http://127.0.0.1:\(port)/?secret=hunter2"))

        guard case .connectFailed(let message)? = result.error else {
            Issue.record("expected connectFailed, got \(result)")
            return
        }
        #expect(!message.contains("hunter2"))
    }

    @Test func totalTimeoutWhenTheServerIsSlowToAnswer() async throws {
        let server = try TestHTTPServer(TestHTTPServer.delayed(milliseconds: 2000, then: TestHTTPServer.echo))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let result = await h.outcome(UpstreamRequest(
            url: server.baseURL + "/slow", timeouts: UpstreamTimeouts(connect: .milliseconds(200), total: .milliseconds(300))))

        #expect(result.error == .timeout)
        #expect(server.acceptedConnections == 1)
    }

    @Test func timeoutOnAPooledConnectionIsNotAConnectTimeout() async throws {
        let server = try TestHTTPServer { req, c in
            if req.target == "/slow" { c.pause(milliseconds: 2000) }
            TestHTTPServer.echo(req, c)
        }
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }
        _ = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/warm"))

        let result = await h.outcome(UpstreamRequest(
            url: server.baseURL + "/slow", timeouts: UpstreamTimeouts(connect: .milliseconds(100), total: .milliseconds(300))))

        #expect(result.error == .timeout)
        #expect(server.acceptedConnections == 1)
    }

    /// curl counts the low-speed window in whole seconds, so this one waits 1 s.
    @Test func lowSpeedTimeoutWhenTheBodyStalls() async throws {
        let server = try TestHTTPServer(TestHTTPServer.stallMidBody(contentLength: 1000, prefix: 0))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let result = await h.outcome(UpstreamRequest(
            url: server.baseURL + "/stall",
            timeouts: UpstreamTimeouts(total: .seconds(5), lowSpeedLimit: 1, lowSpeedTime: .milliseconds(500))))

        #expect(result.error == .lowSpeedTimeout)
    }

    // MARK: size cap

    @Test(arguments: [true, false])
    func bodyOverTheCapIsRefused(announceLength: Bool) async throws {
        let server = try TestHTTPServer(TestHTTPServer.huge(bytes: 2 << 20, announceLength: announceLength))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let result = await h.outcome(UpstreamRequest(url: server.baseURL + "/big", maxResponseBytes: 1 << 20))

        #expect(result.error == .responseTooLarge(limit: 1 << 20))
    }

    @Test func bodyExactlyAtTheCapIsAccepted() async throws {
        let server = try TestHTTPServer(TestHTTPServer.huge(bytes: 1 << 20, announceLength: false))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let res = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/big", maxResponseBytes: 1 << 20))

        #expect(res.body.count == 1 << 20)
    }

    // MARK: refusals

    struct Refusal: Sendable, CustomTestStringConvertible {
        var method = "GET"
        var url: String
        var headers: HTTPHeaders = []
        var allowLoopback = true
        var expected: TransportError
        var testDescription: String { "\(expected)" }
    }

    static let refusals: [Refusal] = [
        Refusal(url: "ftp://127.0.0.1:{port}/file", expected: .schemeNotAllowed("ftp")),
        Refusal(url: "file:///etc/passwd", expected: .schemeNotAllowed("file")),
        Refusal(url: "{base}/", allowLoopback: false, expected: .schemeNotAllowed("http")),
        Refusal(url: "http://example.com/", expected: .schemeNotAllowed("http")),
        Refusal(url: "http://127.0.0.1.nip.io:{port}/", expected: .schemeNotAllowed("http")),
        Refusal(url: "{base}/", headers: [("X-A", "b\r\nX-Injected: 1")], expected: .invalidHeader(name: "X-A")),
        Refusal(url: "{base}/", headers: [("X-A", "b\nX-Injected: 1")], expected: .invalidHeader(name: "X-A")),
        Refusal(url: "{base}/", headers: [("X-A", "b\0c")], expected: .invalidHeader(name: "X-A")),
        Refusal(url: "{base}/", headers: [("Bad Name", "v")], expected: .invalidHeader(name: "Bad")),
        Refusal(url: "{base}/", headers: [("Content-Length", "5")], expected: .invalidHeader(name: "Content-Length")),
        Refusal(method: "GET / HTTP/1.1\r\nX:", url: "{base}/", expected: .invalidMethod("GET")),
        Refusal(url: "not a url", expected: .invalidURL("Bad scheme")),
    ]

    @Test(arguments: refusals)
    func refusedBeforeAnyNetworkAccess(_ r: Refusal) async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness(CurlTransportConfiguration(allowPlainHTTPToLoopback: r.allowLoopback))
        defer { h.close() }
        let url = r.url.replacing("{base}", with: server.baseURL).replacing("{port}", with: "\(server.port)")

        let result = await h.outcome(UpstreamRequest(method: r.method, url: url, headers: r.headers))

        if case .invalidURL = r.expected, case .invalidURL? = result.error {} else {
            #expect(result.error == r.expected)
        }
        usleep(20_000)
        #expect(server.acceptedConnections == 0)
        #expect(h.transport.stats.connectionsOpened == 0)
    }

    @Test func redirectIsReturnedNotFollowed() async throws {
        let target = try TestHTTPServer(TestHTTPServer.echo)
        defer { target.stop() }
        let server = try TestHTTPServer(TestHTTPServer.redirect(to: target.baseURL + "/elsewhere"))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let res = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/moved"))

        #expect(res.status == 302)
        #expect(res.header("location") == target.baseURL + "/elsewhere")
        usleep(20_000)
        #expect(target.acceptedConnections == 0)
    }

    // MARK: threads and lifecycle

    @Test func asyncSendWorksFromAPlainTask() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }
        let transport = h.transport
        let loop = h.loop
        let url = server.baseURL + "/detached"

        let (status, onLoop) = try await Task.detached {
            let res = try await transport.send(UpstreamRequest(url: url))
            return (res.status, loop.inEventLoop)
        }.value

        #expect(status == 200)
        #expect(onLoop == false)
    }

    @Test func completionRunsOnTheLoopThread() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }
        let transport = h.transport
        let loop = h.loop
        let url = server.baseURL + "/on-loop"

        let (status, onLoop) = try await withBoundedContinuation("the transfer's completion") { (resume: @escaping @Sendable ((Int, Bool)) -> Void) in
            loop.execute {
                transport.send(UpstreamRequest(url: url)) { result in
                    resume(((try? result.get())?.status ?? -1, loop.inEventLoop))
                }
            }
        }

        #expect(status == 200)
        #expect(onLoop)
    }

    @Test func shutdownCancelsTransfersInFlight() async throws {
        let server = try TestHTTPServer(TestHTTPServer.delayed(milliseconds: 3000, then: TestHTTPServer.echo))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }
        let transport = h.transport
        let url = server.baseURL + "/never"

        let task = Task { await h.outcome(UpstreamRequest(url: url)) }
        while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        h.loop.execute { transport.shutdown() }
        let result = await task.value

        #expect(result.error == .cancelled)
        #expect(transport.stats.activeTransfers == 0)
        let after = await h.outcome(UpstreamRequest(url: url))
        #expect(after.error == .cancelled)
    }

    @Test func cancellingTheTaskCancelsTheTransfer() async throws {
        let server = try TestHTTPServer(TestHTTPServer.delayed(milliseconds: 3000, then: TestHTTPServer.echo))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }
        let transport = h.transport
        let url = server.baseURL + "/cancel-me"

        let task = Task { try await transport.send(UpstreamRequest(url: url)) }
        while server.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("expected the transfer to be cancelled")
        } catch {
            #expect(error as? TransportError == .cancelled)
        }
        #expect(transport.stats.activeTransfers == 0)
    }
}

// MARK: harness

/// A loop on its own thread with one transport on it.
final class Harness: Sendable {
    let thread: EventLoopThread
    let transport: CurlTransport
    var loop: EventLoop { thread.loop }

    init(_ configuration: CurlTransportConfiguration = CurlTransportConfiguration(allowPlainHTTPToLoopback: true)) throws {
        thread = try EventLoopThread(name: "transport-test")
        transport = try CurlTransport(loop: thread.loop, configuration: configuration)
    }

    func outcome(_ request: UpstreamRequest) async -> Result<UpstreamResponse, TransportError> {
        do { return .success(try await transport.send(request)) } catch { return .failure(error) }
    }

    func onLoop<T: Sendable>(_ body: @escaping @Sendable (CurlTransport) -> T) async throws -> T {
        let transport = self.transport
        return try await thread.loop.runBounded("an onLoop task") { body(transport) }
    }

    func close() {
        let transport = self.transport
        thread.loop.execute { transport.shutdown() }
        thread.stopAndJoinBounded()
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
