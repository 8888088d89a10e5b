import Testing
@testable import GatewayCore
#if canImport(Glibc)
import Glibc
#endif

/// The transport's per-transfer shortcuts, over real sockets to a scripted server on
/// 127.0.0.1: a URL under an origin already vetted skips the parse but never vouches for
/// another authority; an easy handle keeps its options only from one plain GET to the next;
/// a pooled connection curl drops stays registered (parked) without being watched.
@Suite struct TransportReuseTests {
    @Test func aVettedOriginDoesNotVouchForAnotherAuthority() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        // Vets the origin in full (and remembers it).
        let first = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/a"))
        #expect(first.header("X-Echo-Target") == "/a")
        // Same origin: the target arrives byte for byte.
        let second = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/items?id=7&q=%20x;y=(1)"))
        #expect(second.header("X-Echo-Target") == "/items?id=7&q=%20x;y=(1)")

        // Starts like the vetted origin, but the authority is another host: refused as
        // plain http to a host that is not loopback, as without the remembered origin.
        let userinfo = await h.outcome(UpstreamRequest(url: server.baseURL + "@example.com/x"))
        #expect(userinfo.error == .schemeNotAllowed("http"))
        // Not plain path characters after the origin: the full check runs and curl refuses.
        let space = await h.outcome(UpstreamRequest(url: server.baseURL + "/a b"))
        guard case .invalidURL? = space.error else {
            Issue.record("expected invalidURL, got \(space)")
            return
        }
        usleep(20_000)
        #expect(server.requests.map(\.target) == ["/a", "/items?id=7&q=%20x;y=(1)"])
    }

    @Test func methodsAlternatingOnOneHandleSendExactlyWhatEachAsks() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        // Sequential calls on one loop reuse one easy handle throughout.
        let get1 = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/g1", headers: [("X-One", "1")]))
        let post = try await h.transport.send(UpstreamRequest(method: "POST", url: server.baseURL + "/p", body: Array("xy".utf8)))
        let get2 = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/g2"))
        let get3 = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/g3", headers: [("X-Three", "3")]))
        let head = try await h.transport.send(UpstreamRequest(method: "HEAD", url: server.baseURL + "/h"))
        let del = try await h.transport.send(UpstreamRequest(method: "DELETE", url: server.baseURL + "/d"))
        let get4 = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/g4"))

        #expect([get1, post, get2, get3, head, del, get4].map(\.status) == [200, 200, 200, 200, 200, 200, 200])
        #expect(post.body == Array("xy".utf8))
        #expect(get2.body.isEmpty && get4.body.isEmpty)
        let seen = server.requests
        #expect(seen.map(\.method) == ["GET", "POST", "GET", "GET", "HEAD", "DELETE", "GET"])
        #expect(seen.map(\.target) == ["/g1", "/p", "/g2", "/g3", "/h", "/d", "/g4"])
        #expect(seen.map(\.body) == [[], Array("xy".utf8), [], [], [], [], []])
        // Headers are the request's own each time, never the previous request's.
        #expect(seen[0].header("x-one") == "1")
        #expect(seen[2].header("x-one") == nil && seen[2].header("content-length") == nil)
        #expect(seen[3].header("x-three") == "3")
        #expect(seen[6].header("x-three") == nil)
        #expect(h.transport.stats.connectionsOpened == 1)
    }

    @Test func aGetAfterAFailedGetStartsClean() async throws {
        let server = try TestHTTPServer(TestHTTPServer.respond(status: 200, body: Array(repeating: 0x61, count: 100)))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        let small = await h.outcome(UpstreamRequest(url: server.baseURL + "/big", maxResponseBytes: 10))
        #expect(small.error == .responseTooLarge(limit: 10))
        let whole = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/big"))
        #expect(whole.body.count == 100)
    }

    /// One handle throughout: each plain GET after a plain GET that succeeded keeps the
    /// handle's options and sets only those that differ; the size cap must still be each
    /// request's own (curl's hint and our write callback's).
    @Test func aSizeCapThatChangesFromOneKeptHandleToTheNextApplies() async throws {
        let server = try TestHTTPServer(TestHTTPServer.respond(status: 200, body: Array(repeating: 0x61, count: 100)))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        var outcomes: [String] = []
        for cap in [16 << 20, 100, 99, 100, 100, 16 << 20, 99] {
            switch await h.outcome(UpstreamRequest(url: server.baseURL + "/c\(cap)", maxResponseBytes: cap)) {
            case .success(let r): outcomes.append("\(r.body.count)")
            case .failure(let e): outcomes.append(e == .responseTooLarge(limit: cap) ? "too large" : "\(e)")
            }
        }
        #expect(outcomes == ["100", "100", "too large", "100", "100", "100", "too large"])
    }

    @Test func aPooledConnectionIsParkedNotWatchedAndTakenBackForTheNextCall() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        for i in 0..<5 {
            let r = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/n\(i)"))
            #expect(r.header("X-Echo-Target") == "/n\(i)")
            // Between calls curl watches nothing (the idle connection is parked).
            #expect(try await h.onLoop { $0.watchedSockets } == 0)
        }
        #expect(server.acceptedConnections == 1)
    }
}
