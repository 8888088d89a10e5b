import Testing
@testable import GatewayCore
#if canImport(Glibc)
import Glibc
#endif

/// A kept easy handle asked for the very URL it was set to last (under a vetted origin, not
/// reset since) sets nothing: curl still holds it. Every other case sets the URL anew, and
/// each request must reach the origin at exactly its own target.
@Suite struct TransportURLKeepTests {
    @Test func theSameURLAgainIsKeptAndEveryOtherOneIsSent() async throws {
        let server = try TestHTTPServer(TestHTTPServer.echo)
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }
        let base = server.baseURL

        var post = UpstreamRequest(method: "POST", url: base + "/a", body: Array("x".utf8))
        post.hints.retryable = true
        let requests: [UpstreamRequest] = [
            UpstreamRequest(url: base + "/a"),  // parsed in full (the origin's first URL)
            UpstreamRequest(url: base + "/a"),  // set under the origin, now remembered
            UpstreamRequest(url: base + "/b?x=1"),  // set: another path and a query
            UpstreamRequest(url: base + "/b?x=1"),  // kept
            UpstreamRequest(url: base + "/b"),  // set: the query goes
            post,  // set: the handle is reset first (not a plain GET)
            UpstreamRequest(url: base + "/a"),  // set: reset again after the POST
            UpstreamRequest(url: base + "/a"),  // kept
            UpstreamRequest(url: base + "/a?"),  // set as a string (empty query: curl parses it)
            UpstreamRequest(url: base + "/a"),  // set: the origin's URL again
            UpstreamRequest(url: base + "/a"),  // kept
        ]
        var targets: [String] = []
        var methods: [String] = []
        for r in requests {
            let answer = try await h.transport.send(r)
            #expect(answer.status == 200)
            targets.append(answer.header("X-Echo-Target") ?? "-")
            methods.append(answer.header("X-Echo-Method") ?? "-")
        }

        let expected = ["/a", "/a", "/b?x=1", "/b?x=1", "/b", "/a", "/a", "/a", "/a?", "/a", "/a"]
        #expect(targets == expected)
        #expect(server.requests.map(\.target) == expected)
        #expect(methods == ["GET", "GET", "GET", "GET", "GET", "POST", "GET", "GET", "GET", "GET", "GET"])
        #expect(try await h.onLoop { $0.urlsKept } == 3)
        #expect(try await h.onLoop { $0.urlsFromOrigins } == 9)
    }
}
