import Testing
@testable import GatewayCore
#if canImport(Glibc)
import Glibc
#endif

/// An easy handle keeps one array of response fields from transfer to transfer and writes
/// over only the fields whose line changed. A response already handed out must never see
/// that: each keeps exactly the fields it arrived with, however long it is kept.
@Suite struct TransportHeaderReuseTests {
    @Test func responsesKeptAliveKeepTheirOwnFieldsWhileLaterOnesChangeThem() async throws {
        let heads = [
            "HTTP/1.1 200 OK\r\nServer: s\r\nDate: Wed, 02 Dec 2026 03:00:00 GMT\r\nX-A: 1\r\nX-B: 2\r\n",
            // Same lines: the same fields, nothing written.
            "HTTP/1.1 200 OK\r\nServer: s\r\nDate: Wed, 02 Dec 2026 03:00:00 GMT\r\nX-A: 1\r\nX-B: 2\r\n",
            // One value changed in the middle.
            "HTTP/1.1 200 OK\r\nServer: s\r\nDate: Wed, 02 Dec 2026 03:00:01 GMT\r\nX-A: 1\r\nX-B: 2\r\n",
            // Fewer lines: the fields left over from before are not this response's.
            "HTTP/1.1 200 OK\r\nServer: s\r\n",
            // More lines again; the second one equals what was at its place two responses ago.
            "HTTP/1.1 200 OK\r\nServer: s\r\nDate: Wed, 02 Dec 2026 03:00:01 GMT\r\nX-C: 3\r\n",
            // A fold continuing a field whose line is unchanged.
            "HTTP/1.1 200 OK\r\nServer: s\r\n\tmore\r\nDate: Wed, 02 Dec 2026 03:00:01 GMT\r\nX-C: 3\r\n",
            // The same lines unfolded.
            "HTTP/1.1 200 OK\r\nServer: s\r\nDate: Wed, 02 Dec 2026 03:00:01 GMT\r\nX-C: 3\r\n",
        ]
        let server = try TestHTTPServer(TransportHeaderTests.scripted(heads))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        // Every response is kept until the end.
        var responses: [UpstreamResponse] = []
        for i in 0..<heads.count {
            responses.append(try await h.transport.send(UpstreamRequest(url: server.baseURL + "/\(i)")))
        }
        let got = responses.map { r in r.headers.map { "\($0.name)=\($0.value)" } }

        let date0 = "Date=Wed, 02 Dec 2026 03:00:00 GMT", date1 = "Date=Wed, 02 Dec 2026 03:00:01 GMT"
        #expect(got[0] == ["Server=s", date0, "X-A=1", "X-B=2", "Content-Length=2"])
        #expect(got[1] == ["Server=s", date0, "X-A=1", "X-B=2", "Content-Length=2"])
        #expect(got[2] == ["Server=s", date1, "X-A=1", "X-B=2", "Content-Length=2"])
        #expect(got[3] == ["Server=s", "Content-Length=2"])
        #expect(got[4] == ["Server=s", date1, "X-C=3", "Content-Length=2"])
        #expect(got[5] == ["Server=s more", date1, "X-C=3", "Content-Length=2"])
        #expect(got[6] == ["Server=s", date1, "X-C=3", "Content-Length=2"])
        #expect(responses[3].header("x-a") == nil)
        #expect(responses[5].header("server") == "s more")
        #expect(server.acceptedConnections == 1)
    }

    /// Lines past the 16th, and lines over 128 bytes, are not remembered raw: they are parsed
    /// every time, and must come out exactly as sent all the same.
    @Test func manyAndLongLinesComeOutExactlyEachTime() async throws {
        let long1 = String(repeating: "a", count: 200), long2 = String(repeating: "a", count: 199) + "b"
        func head(_ extra: String, _ long: String) -> String {
            var h = "HTTP/1.1 200 OK\r\n"
            for i in 0..<18 { h += "X-\(i): \(i)\r\n" }
            return h + "X-Extra: \(extra)\r\nX-Long: \(long)\r\n"
        }
        let server = try TestHTTPServer(TransportHeaderTests.scripted([
            head("one", long1), head("one", long1), head("two", long2), head("two", long1),
        ]))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        var responses: [UpstreamResponse] = []
        for i in 0..<4 {
            responses.append(try await h.transport.send(UpstreamRequest(url: server.baseURL + "/\(i)")))
        }
        let numbered = (0..<18).map { "X-\($0)=\($0)" }
        #expect(responses[0].headers.map { "\($0.name)=\($0.value)" } == numbered + ["X-Extra=one", "X-Long=" + long1, "Content-Length=2"])
        #expect(responses[1].headers.map { "\($0.name)=\($0.value)" } == numbered + ["X-Extra=one", "X-Long=" + long1, "Content-Length=2"])
        #expect(responses[2].headers.map { "\($0.name)=\($0.value)" } == numbered + ["X-Extra=two", "X-Long=" + long2, "Content-Length=2"])
        #expect(responses[3].headers.map { "\($0.name)=\($0.value)" } == numbered + ["X-Extra=two", "X-Long=" + long1, "Content-Length=2"])
    }
}
