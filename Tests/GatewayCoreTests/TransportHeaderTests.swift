import Testing
@testable import GatewayCore
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Response header fields over real sockets, one easy handle reused from call to call: a
/// handle reuses the strings of a line equal to the one at the same position in its last
/// response, so each response must still get exactly its own fields.
@Suite struct TransportHeaderTests {
    /// Answers the n-th request (from 0) with the n-th raw head (status line and header
    /// lines, CRLF after each, no blank line) and a 2-byte body.
    static func scripted(_ heads: [String]) -> TestHTTPServer.Handler {
        let next = Mutex(0)
        return { _, c in
            let n = next.withLock { n in
                defer { n += 1 }
                return n
            }
            c.write(heads[n % heads.count] + "Content-Length: 2\r\n\r\nok")
        }
    }

    @Test func eachResponseGetsItsOwnFieldsWhenLinesRepeatOrChange() async throws {
        let heads = [
            "HTTP/1.1 200 OK\r\nServer: s\r\nDate: Wed, 02 Dec 2026 03:00:00 GMT\r\nContent-Type: application/json\r\n",
            // Same lines, one value changed, one line more.
            "HTTP/1.1 200 OK\r\nServer: s\r\nDate: Wed, 02 Dec 2026 03:00:01 GMT\r\nContent-Type: application/json\r\nX-Extra: 1\r\n",
            // A line fewer; the others moved up one place; a name in another case.
            "HTTP/1.1 201 Created\r\nDate: Wed, 02 Dec 2026 03:00:01 GMT\r\ncontent-type: application/json\r\n",
            // Same as the one before but a longer value with the same start.
            "HTTP/1.1 201 Created\r\nDate: Wed, 02 Dec 2026 03:00:01 GMT\r\ncontent-type: application/json; charset=utf-8\r\n",
            // A folded value (obs-fold), then the same first line unfolded.
            "HTTP/1.1 200 OK\r\nX-Fold: a\r\n  b\r\nServer: s\r\n",
            "HTTP/1.1 200 OK\r\nX-Fold: a\r\nServer: s\r\n",
            "HTTP/1.1 200 OK\r\nX-Fold: a\r\nServer: s\r\n",
            // An interim response first: only the final one's fields.
            "HTTP/1.1 103 Early Hints\r\nX-Fold: a\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nServer: s\r\nX-Fold: a\r\n",
            "HTTP/1.1 200 OK\r\nX-Fold: a\r\nServer: s\r\n",
        ]
        let server = try TestHTTPServer(Self.scripted(heads))
        defer { server.stop() }
        let h = try Harness()
        defer { h.close() }

        var got: [[String]] = []
        var statuses: [Int] = []
        for i in 0..<heads.count {
            let r = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/\(i)"))
            got.append(r.headers.map { "\($0.name)=\($0.value)" })
            statuses.append(r.status)
            #expect(r.body == Array("ok".utf8))
        }

        #expect(statuses == [200, 200, 201, 201, 200, 200, 200, 200, 200])
        #expect(got[0] == ["Server=s", "Date=Wed, 02 Dec 2026 03:00:00 GMT", "Content-Type=application/json", "Content-Length=2"])
        #expect(got[1] == ["Server=s", "Date=Wed, 02 Dec 2026 03:00:01 GMT", "Content-Type=application/json", "X-Extra=1", "Content-Length=2"])
        #expect(got[2] == ["Date=Wed, 02 Dec 2026 03:00:01 GMT", "content-type=application/json", "Content-Length=2"])
        #expect(got[3] == ["Date=Wed, 02 Dec 2026 03:00:01 GMT", "content-type=application/json; charset=utf-8", "Content-Length=2"])
        #expect(got[4] == ["X-Fold=a b", "Server=s", "Content-Length=2"])
        #expect(got[5] == ["X-Fold=a", "Server=s", "Content-Length=2"])
        #expect(got[6] == ["X-Fold=a", "Server=s", "Content-Length=2"])
        #expect(got[7] == ["Server=s", "X-Fold=a", "Content-Length=2"])
        #expect(got[8] == ["X-Fold=a", "Server=s", "Content-Length=2"])
        #expect(server.acceptedConnections == 1)
    }

    @Test func aFailedTransferLeavesNoFieldsToTheNext() async throws {
        let server = try TestHTTPServer(Self.scripted([
            "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: 2\r\n",
            "HTTP/1.1 200 OK\r\nX-A: 1\r\nX-B: 2\r\n",
        ]))
        defer { server.stop() }
        let closed = try TestSockets.closedLoopbackPort()
        defer { close(closed.fd) }
        let h = try Harness()
        defer { h.close() }

        let first = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/1"))
        let failed = await h.outcome(UpstreamRequest(url: "http://127.0.0.1:\(closed.port)/x"))
        let second = try await h.transport.send(UpstreamRequest(url: server.baseURL + "/2"))

        guard case .connectFailed? = failed.error else {
            Issue.record("expected connectFailed, got \(failed)")
            return
        }
        #expect(first.headers.map(\.name) == ["X-A", "X-B", "Content-Length"])
        #expect(second.headers.map(\.name) == ["X-A", "X-B", "Content-Length"])
        #expect(second.header("x-b") == "2")
    }
}
