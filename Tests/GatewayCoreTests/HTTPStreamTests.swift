#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import GatewayCore

/// Streaming responses (`HTTPStream`) over real sockets: chunk framing on the wire, the
/// owner told how the stream ended, the output cap, timeouts and drain.
@Suite("HTTP streaming responses")
struct HTTPStreamTests {
    /// Opens a stream on `/stream` (and runs `script` with it on the loop, outside the
    /// connection's I/O handler); echoes the path of anything else.
    final class Probe: Sendable {
        let streams = Mutex<[HTTPStream]>([])
        let ends = Mutex<[HTTPStream.End]>([])
        let script: @Sendable (HTTPStream) -> Void

        init(script: @escaping @Sendable (HTTPStream) -> Void = { _ in }) { self.script = script }

        func responder(_ loop: EventLoop) -> ClosureResponder {
            ClosureResponder { req, writer in
                guard req.path == "/stream" else {
                    writer.send(HTTPResponse(status: 200, contentType: "text/plain", body: Array(req.path.utf8)))
                    return
                }
                let stream = writer.stream(HTTPResponse(status: 200, contentType: "text/plain", body: [])) { reason in
                    self.ends.withLock { $0.append(reason) }
                }
                self.streams.withLock { $0.append(stream) }
                loop.execute { self.script(stream) }
            }
        }

        var stream: HTTPStream? { streams.withLock { $0.first } }
        var endReasons: [HTTPStream.End] { ends.withLock { $0 } }

        /// Polls (real time, generous bound: an issue is recorded if it passes) until the
        /// stream has ended.
        func waitForEnd(sourceLocation: SourceLocation = #_sourceLocation) -> [HTTPStream.End] {
            waitUntil("the stream to end (its onEnd callback)", sourceLocation: sourceLocation) { !endReasons.isEmpty }
            return endReasons
        }

        func waitForStream(sourceLocation: SourceLocation = #_sourceLocation) -> HTTPStream? {
            waitUntil("the responder to open a stream", sourceLocation: sourceLocation) { stream != nil }
            return stream
        }
    }

    /// Reads until `marker` has arrived (or the connection ends or times out).
    func read(_ client: RawClient, until marker: String) -> [UInt8] {
        var all: [UInt8] = []
        let m = Array(marker.utf8)
        while ParsedResponse.find(all, m) == nil {
            guard case .bytes(let b) = client.readOnce() else { break }
            all += b
        }
        return all
    }

    func split(_ bytes: [UInt8]) -> (head: String, body: [UInt8]) {
        guard let end = ParsedResponse.find(bytes, [13, 10, 13, 10]) else { return (String(decoding: bytes, as: UTF8.self), []) }
        return (String(decoding: bytes[..<end], as: UTF8.self), Array(bytes[(end + 4)...]))
    }

    @Test func chunksArriveInOrderFramedThenThePipelinedRequestIsAnswered() async throws {
        let seventeen = "seventeen bytes!!"
        let probe = Probe { stream in
            // Spaced out on the loop's timers, so each is its own write.
            let loop = stream.loop
            stream.send("a")
            loop.schedule(after: .milliseconds(5)) { stream.send("bb") }
            loop.schedule(after: .milliseconds(10)) { stream.send(seventeen) }
            loop.schedule(after: .milliseconds(15)) { stream.finish() }
        }
        let s = try TestServer { probe.responder($0) }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        // The second request is answered at once by the responder, but must wait its turn.
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        let bytes = read(client, until: "/after")
        let (head, rest) = split(bytes)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.contains("\r\nTransfer-Encoding: chunked"))
        #expect(!head.contains("Content-Length"))
        #expect(!head.contains("Connection: close"))
        let body = "1\r\na\r\n2\r\nbb\r\n11\r\n\(seventeen)\r\n0\r\n\r\n"
        let restText = String(decoding: rest, as: UTF8.self)
        #expect(restText.hasPrefix(body + "HTTP/1.1 200 OK\r\n"), "\(restText)")
        let after = ParsedResponse.parse(Array(rest.dropFirst(body.utf8.count)))?.0
        #expect(after?.bodyText == "/after")
        #expect(probe.waitForEnd() == [.finished])
        #expect(s.server.stats.accepted == 1)
    }

    @Test func clientDisconnectEndsTheStreamAndTellsItsOwner() async throws {
        let probe = Probe { $0.send("hello") }
        let s = try TestServer { probe.responder($0) }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        let got = read(client, until: "5\r\nhello\r\n")
        #expect(String(decoding: got, as: UTF8.self).hasSuffix("5\r\nhello\r\n"))
        #expect(probe.endReasons.isEmpty)
        client.close()
        #expect(probe.waitForEnd() == [.disconnected])
        try await s.settle()
        #expect(s.server.stats.open == 0)
        let open = try await s.onLoop { probe.stream?.isOpen }
        #expect(open == false)
    }

    @Test func aClientThatDoesNotReadIsClosedAtTheOutputCap() async throws {
        var config = HTTPServerConfiguration()
        config.maxStreamBufferedBytes = 64 * 1024
        let accepted = Atomic<Int>(0)
        let chunk = [UInt8](repeating: 0x61, count: 16 * 1024)
        // Up to 64 MiB, far beyond any socket buffer: only the cap can stop it early.
        let probe = Probe { stream in
            for _ in 0..<4096 {
                guard stream.isOpen else { return }
                stream.send(chunk)
                accepted.add(1, ordering: .relaxed)
            }
        }
        let s = try TestServer(configuration: config) { probe.responder($0) }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(probe.waitForEnd() == [.slowConsumer])
        try await s.settle()
        #expect(s.server.stats.open == 0)
        let n = accepted.load(ordering: .relaxed)
        #expect(n < 4096, "the stream was never cut off")
        // What the kernel held plus at most the cap: a few MiB on loopback, not 64.
        #expect(n * chunk.count < 16 << 20, "\(n) chunks accepted")
    }

    @Test func drainEndsAnOpenStreamWithItsFinalChunk() async throws {
        let clock = ManualClock()
        let probe = Probe { $0.send("x") }
        let s = try TestServer(clock: clock) { probe.responder($0) }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = read(client, until: "1\r\nx\r\n")
        let drained = Atomic<Bool>(false)
        // The drain bound is on the manual clock, which does not move: only the stream's
        // prompt end can finish this drain.
        s.server.shutdown(drainTimeout: .seconds(60)) { drained.store(true, ordering: .releasing) }
        let (bytes, closed) = client.readToEnd()
        #expect(String(decoding: bytes, as: UTF8.self) == "0\r\n\r\n")
        #expect(closed)
        #expect(probe.waitForEnd() == [.shutdown])
        client.close()
        waitUntil("the drain's completion") { drained.load(ordering: .acquiring) }
    }

    @Test func anIdleStreamOutlivesTheKeepAliveTimeout() async throws {
        var config = HTTPServerConfiguration()
        config.timeouts.idleKeepAlive = .seconds(5)
        config.timeouts.stalledWrite = .seconds(10)
        let clock = ManualClock()
        let probe = Probe { $0.send("hello") }
        let s = try TestServer(configuration: config, clock: clock) { probe.responder($0) }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = read(client, until: "5\r\nhello\r\n")
        try await s.settle()
        clock.advance(by: .seconds(120))
        try await s.settle()
        #expect(s.server.stats.open == 1)
        #expect(probe.endReasons.isEmpty)
        probe.stream?.send("again")
        let more = read(client, until: "again\r\n")
        #expect(String(decoding: more, as: UTF8.self) == "5\r\nagain\r\n")
    }

    @Test func aStalledStreamIsClosedAfterTheStalledWriteTimeout() async throws {
        var config = HTTPServerConfiguration()
        config.timeouts.stalledWrite = .seconds(10)
        config.maxStreamBufferedBytes = 256 << 20
        let clock = ManualClock()
        let chunk = [UInt8](repeating: 0x62, count: 64 * 1024)
        let stuck = Atomic<Bool>(false)
        // Sends until the socket refuses more and output waits in the server.
        let probe = Probe { stream in
            for _ in 0..<2048 where stream.isOpen {
                stream.send(chunk)
                if stream.bufferedBytes > 1 << 20 { stuck.store(true, ordering: .relaxed); return }
            }
        }
        let s = try TestServer(configuration: config, clock: clock) { probe.responder($0) }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = probe.waitForStream()
        try await s.settle()
        let filled = stuck.load(ordering: .relaxed)
        #expect(filled)
        clock.advance(by: .seconds(9))
        try await s.settle()
        #expect(probe.endReasons.isEmpty)
        clock.advance(by: .seconds(2))
        #expect(probe.waitForEnd() == [.writeStalled])
        try await s.settle()
        #expect(s.server.stats.open == 0)
    }

    @Test func headOnAStreamRouteSendsTheHeadOnlyAndTheConnectionGoesOn() async throws {
        let probe = Probe { $0.send("never") }
        let s = try TestServer { probe.responder($0) }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        let rs = try client.readResponses(2, headRequests: [0])
        #expect(rs[0].status == 200)
        #expect(rs[0].header("Transfer-Encoding") == "chunked")
        #expect(rs[0].body.isEmpty)
        #expect(rs[1].bodyText == "/after")
        #expect(probe.waitForEnd() == [.headRequest])
        client.setReceiveTimeout(.milliseconds(100))
        #expect(client.readOnce() == .timeout)
    }

    @Test func anHTTP10StreamIsDelimitedByTheClose() async throws {
        let probe = Probe { stream in
            stream.send("ab")
            stream.send("cd")
            stream.finish()
        }
        let s = try TestServer { probe.responder($0) }
        defer { s.stop() }
        let client = try RawClient(port: s.port)
        try client.send("GET /stream HTTP/1.0\r\n\r\n")
        let (bytes, closed) = client.readToEnd()
        let (head, body) = split(bytes)
        #expect(head.hasPrefix("HTTP/1.0 200 OK\r\n"))
        #expect(!head.contains("Transfer-Encoding"))
        #expect(head.contains("Connection: close"))
        #expect(String(decoding: body, as: UTF8.self) == "abcd")
        #expect(closed)
        #expect(probe.waitForEnd() == [.finished])
    }

    @Test func chunkSizesAreLowercaseHex() {
        var out: [UInt8] = []
        for n in [0, 1, 10, 15, 16, 255, 4096, 1 << 20] {
            appendHex(n, to: &out)
            out.append(0x20)
        }
        #expect(String(decoding: out, as: UTF8.self) == "0 1 a f 10 ff 1000 100000 ")
    }
}
