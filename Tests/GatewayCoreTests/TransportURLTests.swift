import Testing
@testable import GatewayCore
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Which URL reaches the origin, over real sockets to scripted servers on 127.0.0.1: byte
/// for byte as given (query, percent-encoding), dot segments resolved as curl resolves them,
/// each origin's requests to that origin only, and a GET that curl sends again on a fresh
/// connection (the pooled one died before any answer) sent again to its own URL.
@Suite struct TransportURLTests {
    /// Answers the first request on each connection (echo) and closes the connection,
    /// unanswered, on the second: curl then sends that request again on a new connection.
    static func answersOncePerConnection() -> TestHTTPServer.Handler {
        let seen = Mutex<Set<CInt>>([])
        return { req, c in
            let first = seen.withLock { $0.insert(c.fd).inserted }
            if first {
                TestHTTPServer.echo(req, c)
            } else {
                seen.withLock { _ = $0.remove(c.fd) }
                c.close()
            }
        }
    }

    @Test func aGetSentAgainOnAFreshConnectionGoesToItsOwnURL() async throws {
        let server = try TestHTTPServer(Self.answersOncePerConnection())
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        // A URL under a remembered origin, then one that is vetted in full every time (no
        // slash after the authority: never remembered), both on the one pooled connection.
        let first = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/zero"))
        #expect(first.header("X-Echo-Target") == "/zero")
        let second = try await h.transport.send(UpstreamRequest(url: server.baseURL + "?q=1"))
        #expect(second.header("X-Echo-Target") == "/?q=1")
        // And once more under the remembered origin (its parsed URL, path and query set).
        let third = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/third?x=%2fy"))
        #expect(third.header("X-Echo-Target") == "/third?x=%2fy")

        #expect(server.requests.map(\.target) == ["/zero", "/?q=1", "/?q=1", "/third?x=%2fy", "/third?x=%2fy"])
        #expect(try await h.onLoop { $0.urlsFromOrigins } == 1)
        #expect(server.acceptedConnections == 3)
    }

    @Test(arguments: [
        // (path and query after the origin, the request target the origin must see, whether
        // the origin's parsed URL is used: not where curl's parse of the whole URL differs)
        ("/", "/", true),
        ("/items", "/items", true),
        ("/items?id=7", "/items?id=7", true),
        ("/items?id=7&q=%20x;y=(1)", "/items?id=7&q=%20x;y=(1)", true),
        ("/a%2Fb/c?x=%2F%7e%7E&y=%41", "/a%2Fb/c?x=%2F%7e%7E&y=%41", false),
        ("/a%2fb?x=%2f%7e", "/a%2fb?x=%2f%7e", true),
        ("/p?", "/p?", false),
        ("/p?a?b=/c", "/p?a?b=/c", true),
        ("/a/./b/../c", "/a/c", false),
        ("/a/b/..?q=.", "/a/?q=.", false),
        ("/.well-known/x", "/.well-known/x", false),
        ("/file.v1.json?v=1.2", "/file.v1.json?v=1.2", true),
        ("/%zz/%4", "/%zz/%4", true),
        ("/x:y@z!$&'()*+,;=-._~", "/x:y@z!$&'()*+,;=-._~", true),
    ])
    func theTargetArrivesAsCurlWouldSendIt(rest: String, target: String, fromOrigin: Bool) async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        // The first call vets the origin in full; the next ones are under the remembered origin.
        for _ in 0..<3 {
            let r = try await h.transport.send(UpstreamRequest(url: server.baseURL + rest))
            #expect(r.header("X-Echo-Target") == target)
        }
        #expect(server.requests.map(\.target) == [target, target, target])
        #expect(server.acceptedConnections == 1)
        #expect(try await h.onLoop { $0.urlsFromOrigins } == (fromOrigin ? 2 : 0))
    }

    @Test func differentOriginsAreKeptApartOnOneHandle() async throws {
        let a = try TestHTTPServer(TestHTTPServer.echo)
        defer { a.stop() }
        let b = try TestHTTPServer(TestHTTPServer.echo)
        defer { b.stop() }
        let h = try Harness()
        defer { h.close() }
        // The same server as `a` under another name: another origin, another connection.
        let aByName = "http://localhost:\(a.port)"

        // Sequential calls on one loop share one easy handle; the origins alternate.
        var seen: [String?] = []
        for i in 0..<3 {
            for (n, base) in [("a", a.baseURL), ("b", b.baseURL), ("l", aByName)] {
                let r = try await h.transport.send(UpstreamRequest(url: base + "/\(n)\(i)?i=\(i)"))
                seen.append(r.header("X-Echo-Target"))
            }
        }

        #expect(seen == ["/a0?i=0", "/b0?i=0", "/l0?i=0", "/a1?i=1", "/b1?i=1", "/l1?i=1", "/a2?i=2", "/b2?i=2", "/l2?i=2"])
        #expect(a.requests.map(\.target) == ["/a0?i=0", "/l0?i=0", "/a1?i=1", "/l1?i=1", "/a2?i=2", "/l2?i=2"])
        #expect(b.requests.map(\.target) == ["/b0?i=0", "/b1?i=1", "/b2?i=2"])
        #expect(a.requests.map { $0.header("host") } == Array(repeating: ["127.0.0.1:\(a.port)", "localhost:\(a.port)"], count: 3).flatMap { $0 })
        #expect(b.requests.map { $0.header("host") } == ["127.0.0.1:\(b.port)", "127.0.0.1:\(b.port)", "127.0.0.1:\(b.port)"])
        // One connection per origin, reused.
        #expect(a.acceptedConnections == 2)
        #expect(b.acceptedConnections == 1)
        // All but each origin's first call used the origin's parsed URL.
        #expect(try await h.onLoop { $0.urlsFromOrigins } == 6)
    }
}
