import Testing
@testable import GatewayCore
#if canImport(Glibc)
import Glibc
#endif

/// curl opens and closes its connection sockets through the multi's callbacks, so the loop
/// knows which registrations are still curl's: over real sockets to a scripted server on
/// 127.0.0.1, a pooled connection is taken back with no epoll_ctl at all, and a socket curl
/// closes leaves the loop (and the multi's books) before its number can be reused.
@Suite struct TransportSocketTests {
    @Test func aPooledConnectionIsTakenBackWithoutAnEpollCall() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        _ = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/first"))
        let before = try await h.onLoop { $0.loop.epollControlCalls }
        for i in 0..<5 {
            let r = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/n\(i)"))
            #expect(r.header("X-Echo-Target") == "/n\(i)")
            #expect(r.timings.reusedConnection)
        }
        let after = try await h.onLoop { $0.loop.epollControlCalls }
        #expect(after - before == 0)
        #expect(server.acceptedConnections == 1)
        // The one connection is registered (parked) and is the one socket curl holds.
        let registered = try await h.onLoop { $0.registeredSockets }
        let open = try await h.onLoop { $0.openSockets }
        #expect(registered == Array(open))
        #expect(open.count == 1)
    }

    @Test func aConnectionCurlClosesLeavesTheLoop() async throws {
        let server = try TestHTTPServer { req, c in
            c.respond(status: 200, headers: [("Connection", "close"), ("X-Echo-Target", req.target)])
            c.close()
        }
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        for i in 0..<3 {
            let r = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/c\(i)"))
            #expect(r.header("X-Echo-Target") == "/c\(i)")
            #expect(r.timings.reusedConnection == false)
            // curl closed the connection at the end of the transfer: nothing of it is left
            // registered, parked or not.
            #expect(try await h.onLoop { $0.registeredSockets } == [])
            #expect(try await h.onLoop { $0.openSockets } == [])
        }
        #expect(server.acceptedConnections == 3)
    }

    @Test func curlsSocketsAreClosedOnExec() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        _ = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/x"))
        let flags = try await h.onLoop { t in t.openSockets.map { fcntl($0, F_GETFD) } }
        #expect(flags.count == 1)
        #expect(flags.allSatisfy { $0 >= 0 && $0 & FD_CLOEXEC != 0 })
    }
}
