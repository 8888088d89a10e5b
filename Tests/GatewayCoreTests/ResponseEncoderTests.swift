import Testing
@testable import GatewayCore

/// The response head is written into a 1 KiB stack buffer when it fits and the plain way
/// when it does not: both give the same bytes (sizes on both sides of the edge).
@Suite struct ResponseEncoderTests {
    /// The encoded answer with the Date line taken out (its value is the clock's).
    func encoded(_ r: HTTPResponse, head: Bool = false, version: HTTPVersion = .http11, close: Bool = false, keepAlive: Bool = false) -> String {
        var enc = ResponseEncoder()
        var out: [UInt8] = Array("previous bytes|".utf8)
        enc.encode(r, headRequest: head, version: version, close: close, keepAliveHeader: keepAlive, into: &out)
        let text = String(decoding: out, as: UTF8.self)
        return text.split(separator: "\r\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("Date: ") }.joined(separator: "\r\n")
    }

    @Test(arguments: [10, 850, 900, 920, 940, 960, 1_000, 1_900, 2_100, 5_000])
    func smallAndLargeHeadsGiveTheSameBytes(_ valueBytes: Int) {
        let value = String(repeating: "v", count: valueBytes)
        var r = HTTPResponse(status: 201, contentType: "application/json", body: Array("{\"a\":1}".utf8))
        r.headers.add("X-Big", value)
        r.headers.add("content-length", "999")    // the server's to set: dropped
        r.headers.add("Connection", "upgrade")    // likewise
        r.headers.add("Transfer-Encoding", "chunked")
        r.headers.add("DATE", "yesterday")
        r.headers.add("X-Empty", "")
        #expect(encoded(r) == "previous bytes|HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Big: \(value)\r\n"
            + "X-Empty: \r\nContent-Length: 7\r\n\r\n{\"a\":1}")
        #expect(encoded(r, head: true, version: .http10, keepAlive: true) == "previous bytes|HTTP/1.0 201 Created\r\n"
            + "Content-Type: application/json\r\nX-Big: \(value)\r\nX-Empty: \r\nContent-Length: 7\r\nConnection: keep-alive\r\n\r\n")
        #expect(encoded(HTTPResponse(status: 304, headers: [("ETag", "W/\"x\""), ("X-Big", value)]), close: true)
            == "previous bytes|HTTP/1.1 304 Not Modified\r\nETag: W/\"x\"\r\nX-Big: \(value)\r\nConnection: close\r\n\r\n")
    }

    @Test func anUnknownStatusAndAnEmptyBody() {
        #expect(encoded(HTTPResponse(status: 299)) == "previous bytes|HTTP/1.1 299 Status 299\r\nContent-Length: 0\r\n\r\n")
        #expect(encoded(HTTPResponse(status: 204)) == "previous bytes|HTTP/1.1 204 No Content\r\n\r\n")
    }
}
