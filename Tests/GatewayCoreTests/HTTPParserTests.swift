import Testing
@testable import GatewayCore

/// A request the parser must accept, and what it must make of it.
struct ValidHeadCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var method: HTTPMethod = .GET
    var target: String
    var version: HTTPVersion = .http11
    var path: String
    var query: String? = nil
    var host: String
    var headers: [(String, String)]
    var framing: BodyFraming = .none
    var keepAlive = true
    var expectsContinue = false

    var testDescription: String { name }
}

private func wire(_ text: String) -> [UInt8] { Array(text.utf8) }

let validHeadCases: [ValidHeadCase] = [
    ValidHeadCase(
        name: "wrk request", bytes: wire("GET /x HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"),
        target: "/x", path: "/x", host: "127.0.0.1:8080", headers: [("Host", "127.0.0.1:8080")]),
    ValidHeadCase(
        name: "query", bytes: wire("GET /search?q=a%20b&x=/?y HTTP/1.1\r\nHost: example.com\r\n\r\n"),
        target: "/search?q=a%20b&x=/?y", path: "/search", query: "q=a%20b&x=/?y", host: "example.com",
        headers: [("Host", "example.com")]),
    ValidHeadCase(
        name: "empty query", bytes: wire("GET /p? HTTP/1.1\r\nHost: a\r\n\r\n"),
        target: "/p?", path: "/p", query: "", host: "a", headers: [("Host", "a")]),
    ValidHeadCase(
        name: "POST with Content-Length",
        bytes: wire("POST /deals HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"),
        method: .POST, target: "/deals", path: "/deals", host: "a",
        headers: [("Host", "a"), ("Content-Type", "application/json"), ("Content-Length", "13")],
        framing: .contentLength(13)),
    ValidHeadCase(
        name: "Content-Length zero with leading zeros",
        bytes: wire("PUT /a HTTP/1.1\r\nhost: a\r\ncontent-length: 000\r\n\r\n"),
        method: .PUT, target: "/a", path: "/a", host: "a",
        headers: [("host", "a"), ("content-length", "000")], framing: .contentLength(0)),
    ValidHeadCase(
        name: "chunked, any case, with OWS",
        bytes: wire("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \t CHUNKED \t\r\n\r\n"),
        method: .POST, target: "/u", path: "/u", host: "a",
        headers: [("Host", "a"), ("Transfer-Encoding", "CHUNKED")], framing: .chunked),
    ValidHeadCase(
        name: "HTTP/1.0 without Host", bytes: wire("GET / HTTP/1.0\r\n\r\n"),
        target: "/", version: .http10, path: "/", host: "", headers: [], keepAlive: false),
    ValidHeadCase(
        name: "HTTP/1.0 keep-alive",
        bytes: wire("GET / HTTP/1.0\r\nHost: a\r\nConnection: Keep-Alive\r\n\r\n"),
        target: "/", version: .http10, path: "/", host: "a",
        headers: [("Host", "a"), ("Connection", "Keep-Alive")], keepAlive: true),
    ValidHeadCase(
        name: "HTTP/1.0 ignores Expect",
        bytes: wire("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n"),
        method: .POST, target: "/", version: .http10, path: "/", host: "",
        headers: [("Expect", "100-continue"), ("Content-Length", "1")], framing: .contentLength(1),
        keepAlive: false, expectsContinue: false),
    ValidHeadCase(
        name: "Connection close in a list",
        bytes: wire("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade,  Close\r\n\r\n"),
        target: "/", path: "/", host: "a", headers: [("Host", "a"), ("Connection", "upgrade,  Close")],
        keepAlive: false),
    ValidHeadCase(
        name: "close wins over keep-alive",
        bytes: wire("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n"),
        target: "/", version: .http10, path: "/", host: "",
        headers: [("Connection", "keep-alive"), ("Connection", "close")], keepAlive: false),
    ValidHeadCase(
        name: "Expect 100-continue",
        bytes: wire("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\nExpect: 100-Continue\r\n\r\n"),
        method: .POST, target: "/big", path: "/big", host: "a",
        headers: [("Host", "a"), ("Content-Length", "100"), ("Expect", "100-Continue")],
        framing: .contentLength(100), expectsContinue: true),
    ValidHeadCase(
        name: "leading empty lines", bytes: wire("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        target: "/", path: "/", host: "a", headers: [("Host", "a")]),
    ValidHeadCase(
        name: "OPTIONS asterisk-form", bytes: wire("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
        method: .OPTIONS, target: "*", path: "*", host: "a", headers: [("Host", "a")]),
    ValidHeadCase(
        name: "absolute-form",
        bytes: wire("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: other\r\n\r\n"),
        target: "http://example.com:8080/a/b?c=d", path: "/a/b", query: "c=d", host: "example.com:8080",
        headers: [("Host", "other")]),
    ValidHeadCase(
        name: "absolute-form without path", bytes: wire("GET HTTPS://example.com HTTP/1.1\r\nHost: x\r\n\r\n"),
        target: "HTTPS://example.com", path: "/", host: "example.com", headers: [("Host", "x")]),
    ValidHeadCase(
        name: "CONNECT authority-form",
        bytes: wire("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        method: .CONNECT, target: "example.com:443", path: "", host: "example.com:443",
        headers: [("Host", "example.com:443")]),
    ValidHeadCase(
        name: "extension method", bytes: wire("PURGE /cache HTTP/1.1\r\nHost: a\r\n\r\n"),
        method: HTTPMethod("PURGE"), target: "/cache", path: "/cache", host: "a", headers: [("Host", "a")]),
    ValidHeadCase(
        name: "value OWS trimmed, inner whitespace kept, empty value",
        bytes: wire("GET / HTTP/1.1\r\nHost:a\r\nX-A: \t a \t b \t\r\nX-Empty:\r\nX-Blank:   \r\n\r\n"),
        target: "/", path: "/", host: "a",
        headers: [("Host", "a"), ("X-A", "a \t b"), ("X-Empty", ""), ("X-Blank", "")]),
    ValidHeadCase(
        name: "obs-text in value", bytes: wire("GET / HTTP/1.1\r\nHost: a\r\nX-Name: café\r\n\r\n"),
        target: "/", path: "/", host: "a", headers: [("Host", "a"), ("X-Name", "café")]),
    ValidHeadCase(
        name: "every tchar in a name", bytes: wire("GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n"),
        target: "/", path: "/", host: "a", headers: [("Host", "a"), ("!#$%&'*+-.^_`|~09azAZ", "v")]),
    ValidHeadCase(
        name: "Host IPv6 literal", bytes: wire("GET / HTTP/1.1\r\nHost: [::ffff:10.0.0.1]:8080\r\n\r\n"),
        target: "/", path: "/", host: "[::ffff:10.0.0.1]:8080", headers: [("Host", "[::ffff:10.0.0.1]:8080")]),
    ValidHeadCase(
        name: "Host with empty port and pct-encoding", bytes: wire("GET / HTTP/1.1\r\nHost: ex%41mple.com:\r\n\r\n"),
        target: "/", path: "/", host: "ex%41mple.com:", headers: [("Host", "ex%41mple.com:")]),
    ValidHeadCase(
        name: "target with every allowed punctuation",
        bytes: wire("GET /a-._~!$&'()*+,;=:@%2F/\"<>\\^`{|}[]?q=/? HTTP/1.1\r\nHost: a\r\n\r\n"),
        target: "/a-._~!$&'()*+,;=:@%2F/\"<>\\^`{|}[]?q=/?", path: "/a-._~!$&'()*+,;=:@%2F/\"<>\\^`{|}[]",
        query: "q=/?", host: "a", headers: [("Host", "a")]),
]

@Suite("HTTP request-head parser")
struct HTTPParserTests {
    @Test("valid request parses", arguments: validHeadCases)
    func validRequestParses(_ c: ValidHeadCase) throws {
        let result = parse(c.bytes)
        guard case .complete(let head, let consumed) = result else {
            Issue.record("expected complete, got \(result)")
            return
        }
        #expect(consumed == c.bytes.count)
        #expect(head.method == c.method)
        #expect(head.target == c.target)
        #expect(head.version == c.version)
        #expect(head.path == c.path)
        #expect(head.query == c.query)
        #expect(head.host == c.host)
        #expect(head.headers == HTTPHeaders(c.headers))
        #expect(head.framing == c.framing)
        #expect(head.keepAlive == c.keepAlive)
        #expect(head.expectsContinue == c.expectsContinue)
    }

    @Test("every proper prefix of a valid request is incomplete", arguments: validHeadCases)
    func everyPrefixIsIncomplete(_ c: ValidHeadCase) {
        for length in 0..<c.bytes.count {
            let result = parse(Array(c.bytes[..<length]))
            #expect(result == .incomplete, "prefix of \(length) bytes: \(result)")
        }
    }

    @Test("bytes after the head are not consumed", arguments: validHeadCases)
    func trailingBytesAreNotConsumed(_ c: ValidHeadCase) {
        let result = parse(c.bytes + wire("hello"))
        guard case .complete(_, let consumed) = result else {
            Issue.record("expected complete, got \(result)")
            return
        }
        #expect(consumed == c.bytes.count)
    }

    @Test func pipelinedRequestsParseOneAtATime() {
        let first = wire("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n")
        let second = wire("GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        let all = first + wire("hi") + second
        guard case .complete(let head1, let consumed1) = parse(all) else {
            Issue.record("first request not complete")
            return
        }
        #expect(consumed1 == first.count)
        #expect(head1.path == "/a")
        guard case .complete(let head2, let consumed2) = parse(Array(all[(consumed1 + 2)...])) else {
            Issue.record("second request not complete")
            return
        }
        #expect(consumed2 == second.count)
        #expect(head2.path == "/b")
    }

    @Test("rejected request gets its status", arguments: httpRejectionCases.map(RejectionCaseArgument.init))
    func rejectedRequestGetsStatus(_ c: RejectionCaseArgument) {
        let result = parse(c.bytes)
        guard case .invalid(let error) = result else {
            Issue.record("expected \(c.status), got \(result)")
            return
        }
        #expect(error.status == c.status, "\(error.reason)")
        #expect(!error.reason.isEmpty)
    }

    @Test func rejectionCaseNamesAreUnique() {
        #expect(Set(httpRejectionCases.map(\.name)).count == httpRejectionCases.count)
    }

    // MARK: Limits

    @Test func requestLineAtTheLimitIsAccepted() {
        var limits = HTTPLimits()
        limits.maxRequestLineBytes = 30
        let line = "GET /" + String(repeating: "a", count: 16) + " HTTP/1.1"  // 30 bytes
        #expect(line.utf8.count == 30)
        #expect(parse(wire(line + "\r\nHost: a\r\n\r\n"), limits).isComplete)
        #expect(parse(wire("GET /a" + String(repeating: "a", count: 16) + " HTTP/1.1\r\nHost: a\r\n\r\n"), limits)
            .status == 414)
    }

    @Test func requestLineOverTheLimitIs414BeforeItEnds() {
        let limits = HTTPLimits()
        let partial = wire("GET /" + String(repeating: "a", count: limits.maxRequestLineBytes))
        #expect(parse(partial).status == 414)
        #expect(parse(Array(partial.dropLast(6))) == .incomplete)
        // Long method or version position also counts.
        var tiny = HTTPLimits()
        tiny.maxRequestLineBytes = 4
        #expect(parse(wire("PATCH"), tiny).status == 414)
        #expect(parse(wire("GET /x"), tiny).status == 414)
    }

    @Test func headerSectionAtTheLimitIsAccepted() {
        var limits = HTTPLimits()
        let fields = "Host: a\r\nX-A: " + String(repeating: "b", count: 10) + "\r\n\r\n"
        limits.maxHeaderBytes = fields.utf8.count
        let request = wire("GET / HTTP/1.1\r\n" + fields)
        #expect(parse(request, limits).isComplete)
        #expect(parse(Array(request.dropLast()), limits) == .incomplete)
        limits.maxHeaderBytes -= 1
        #expect(parse(request, limits).status == 431)
        // The final LF could only land beyond the limit: 431 without waiting for it.
        #expect(parse(Array(request.dropLast()), limits).status == 431)
    }

    @Test func headerSectionOverTheLimitIs431BeforeItEnds() {
        let partial = wire("GET / HTTP/1.1\r\nHost: a\r\nX-A: " + String(repeating: "b", count: 40000))
        #expect(parse(partial).status == 431)
        let longName = wire("GET / HTTP/1.1\r\nHost: a\r\nX-" + String(repeating: "b", count: 40000))
        #expect(parse(longName).status == 431)
    }

    @Test func headerCountAtTheLimitIsAccepted() {
        var limits = HTTPLimits()
        limits.maxHeaderCount = 3
        #expect(parse(wire("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n"), limits).isComplete)
        #expect(parse(wire("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), limits).status == 431)
        // Detected as soon as the extra field's name ends, before the head is complete.
        #expect(parse(wire("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC:"), limits).status == 431)
    }

    @Test func contentLengthAtTheLimitIsAccepted() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 10
        let ok = parse(wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"), limits)
        #expect(ok.head?.framing == .contentLength(10))
        #expect(parse(wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"), limits).status == 413)
    }

    @Test func eighteenDigitContentLengthIsNotAnOverflow() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = Int.max
        let result = parse(wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999999999\r\n\r\n"), limits)
        #expect(result.head?.framing == .contentLength(999_999_999_999_999_999))
    }

    @Test func versionIsRejectedBeforeTheHeaders() {
        #expect(parse(wire("GET / HTTP/2.0\r\n")).status == 505)
        #expect(parse(wire("GET / HTTP/2")) == .incomplete)
    }

    @Test func garbageIsRejectedWithoutWaitingForALineEnd() {
        #expect(parse([0x16, 0x03, 0x01, 0x02, 0x00]).status == 400)  // a TLS ClientHello
        #expect(parse(wire("GET /\u{01}")).status == 400)
        #expect(parse(wire("GET / HTTP/1.1\r\nHost: a\r\nBad Name")).status == 400)
    }

    @Test func emptyInputIsIncomplete() {
        #expect(parse([]) == .incomplete)
        #expect(HTTPRequestParser.parseHead(UnsafeRawBufferPointer(start: nil, count: 0), limits: HTTPLimits()) == .incomplete)
    }

    @Test func registeredMethodsAreRecognised() {
        for method in [HTTPMethod.GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS, .TRACE] {
            let result = parse(wire("\(method.rawValue) / HTTP/1.1\r\nHost: a\r\n\r\n"))
            #expect(result.head?.method == method)
        }
        #expect(parse(wire("get / HTTP/1.1\r\nHost: a\r\n\r\n")).head?.method == HTTPMethod("get"))
    }

    @Test func hostValidation() {
        let valid = ["a", "a.b-c_d~e", "127.0.0.1", "[::1]", "[1:2:3:4:5:6:7:8]", "[1::]", "[::]", "[v1.x:y]",
                     "a:0", "a:65535", "[::1]:80", "!$&'()*+,;=", "%41"]
        let invalid = ["", ":80", "a:b", "a:123456", "[]", "[::1", "[::1]x", "[1:2:3:4:5:6:7:8:9]", "[1:2:3:4:5:6:7]",
                       "[12345::]", "[::1.2.3.256]", "[::01.2.3.4]", "[:1]", "[1:]", "a b", "a@b", "a%4", "[v.x]",
                       "\u{E9}"]
        for host in valid {
            #expect(parse(wire("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")).head?.host == host, "\(host)")
        }
        for host in invalid {
            #expect(parse(wire("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")).status == 400, "\(host)")
        }
    }

    @Test func fuzzFoundCasesStayFixed() {
        // Pinned inputs found by scripts/fuzz.sh; each must keep producing this result.
        for (input, status) in fuzzPinnedHeadCases {
            let result = parse(input)
            if let status {
                #expect(result.status == status, "\(input)")
            } else {
                #expect(result.isComplete, "\(input)")
            }
        }
    }
}

/// Inputs libFuzzer found interesting (crashes or disagreements); nil status means complete.
let fuzzPinnedHeadCases: [([UInt8], Int?)] = []

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test func lookupIgnoresASCIICase() {
        let headers = HTTPHeaders([("Content-Type", "a"), ("content-type", "b"), ("X", "c")])
        #expect(headers["CONTENT-TYPE"] == "a")
        #expect(headers.values("Content-type") == ["a", "b"])
        #expect(headers.contains("x"))
        #expect(!headers.contains("y"))
        #expect(headers["y"] == nil)
        #expect(headers.count == 3)
    }

    @Test func replaceOrAddKeepsPositionAndDropsDuplicates() {
        var headers = HTTPHeaders([("A", "1"), ("B", "2"), ("a", "3")])
        headers.replaceOrAdd("a", "4")
        #expect(headers == HTTPHeaders([("a", "4"), ("B", "2")]))
        headers.replaceOrAdd("C", "5")
        #expect(headers == HTTPHeaders([("a", "4"), ("B", "2"), ("C", "5")]))
    }

    @Test func addAndRemove() {
        var headers: HTTPHeaders = ["A": "1"]
        headers.add("a", "2")
        headers.add("B", "3")
        headers.remove("A")
        #expect(headers.map(\.name) == ["B"])
        #expect(headers.count == 1)
    }

    @Test func keepsOrderAndNamesAsReceived() {
        let result = parse(wire("GET / HTTP/1.1\r\nx-b: 1\r\nHOST: a\r\nX-A: 2\r\n\r\n"))
        #expect(result.head?.headers.map(\.name) == ["x-b", "HOST", "X-A"])
        #expect(result.head?.headers["host"] == "a")
    }
}

@Test func headMemberwiseInitDerivesPathQueryAndHost() {
    let head = HTTPRequestHead(method: .GET, target: "/a?b=c", headers: ["Host": "h"])
    #expect(head.path == "/a")
    #expect(head.query == "b=c")
    #expect(head.host == "h")
    #expect(head.keepAlive)
}

/// Swift Testing needs a named Sendable type for arguments.
struct RejectionCaseArgument: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var status: Int
    init(_ c: (name: String, bytes: [UInt8], status: Int)) {
        (name, bytes, status) = c
    }
    var testDescription: String { "\(name) -> \(status)" }
}

private func parse(_ bytes: [UInt8], _ limits: HTTPLimits = HTTPLimits()) -> HeadParseResult {
    bytes.withUnsafeBytes { HTTPRequestParser.parseHead($0, limits: limits) }
}

extension HeadParseResult {
    fileprivate var head: HTTPRequestHead? {
        if case .complete(let head, _) = self { return head }
        return nil
    }
    fileprivate var isComplete: Bool { head != nil }
    fileprivate var status: Int? {
        if case .invalid(let error) = self { return error.status }
        return nil
    }
}
