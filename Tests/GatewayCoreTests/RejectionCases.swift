// Requests the gateway must refuse, as sent on the wire, with the status it must answer.
// Shared by the parser unit tests and the socket tests, which send them over TCP with the
// default HTTPLimits(), so the sizes here exceed the defaults.

let httpRejectionCases: [(name: String, bytes: [UInt8], status: Int)] = [
    // Request line (RFC 9112 §3)
    ("bad character in method", wire("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("empty method (leading space)", wire(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("two spaces after method", wire("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("space in target", wire("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("tab in target", wire("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("fragment in target", wire("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("obs-text in target", wire("GET /") + [0xC3, 0xA9] + wire(" HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("malformed percent-encoding in target", wire("GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("asterisk-form without OPTIONS", wire("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("authority-form without CONNECT", wire("GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("absolute-form with userinfo", wire("GET http://user@example.com/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("absolute-form with other scheme", wire("GET ftp://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400),
    ("garbage version", wire("GET / HTTX/1.1\r\nHost: a\r\n\r\n"), 400),
    ("lowercase version", wire("GET / http/1.1\r\nHost: a\r\n\r\n"), 400),
    ("two-digit version", wire("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400),
    ("missing version", wire("GET /\r\nHost: a\r\n\r\n"), 400),
    ("trailing space after version", wire("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400),
    ("HTTP/2.0", wire("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505),
    ("HTTP/1.2", wire("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505),
    ("HTTP/3.0", wire("GET / HTTP/3.0\r\nHost: a\r\n\r\n"), 505),
    ("HTTP/0.9", wire("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505),
    ("request line too long", wire("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n"), 414),
    ("too many empty lines before request line", wire("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400),

    // Line endings (RFC 9112 §2.2)
    ("bare LF in request line", wire("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400),
    ("bare LF line end in header", wire("GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n"), 400),
    ("bare LF ending the head", wire("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400),
    ("bare CR in request line", wire("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400),
    ("bare CR in header value", wire("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n"), 400),
    ("bare LF before request line", wire("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400),

    // Field lines (RFC 9112 §5, RFC 9110 §5.5)
    ("obs-fold", wire("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  c\r\n\r\n"), 400),
    ("whitespace before first header", wire("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400),
    ("space before colon", wire("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400),
    ("tab before colon", wire("GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n"), 400),
    ("empty field name", wire("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"), 400),
    ("header line without colon", wire("GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n"), 400),
    ("CTL in field name", wire("GET / HTTP/1.1\r\nHost: a\r\nX\u{01}A: b\r\n\r\n"), 400),
    ("non-tchar in field name", wire("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n"), 400),
    ("CTL 0x01 in field value", wire("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{01}c\r\n\r\n"), 400),
    ("DEL in field value", wire("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{7F}c\r\n\r\n"), 400),
    ("NUL in field value", wire("GET / HTTP/1.1\r\nHost: a\r\nX-A: b") + [0] + wire("c\r\n\r\n"), 400),
    ("header section too large", wire("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 33000) + "\r\n\r\n"), 431),
    ("too many header fields", wire("GET / HTTP/1.1\r\nHost: a\r\n" + (1...100).map { "X-\($0): v\r\n" }.joined() + "\r\n"), 431),

    // Host (RFC 9112 §3.2, RFC 9110 §7.2)
    ("missing Host", wire("GET / HTTP/1.1\r\nX-A: b\r\n\r\n"), 400),
    ("duplicate Host", wire("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400),
    ("duplicate Host in HTTP/1.0", wire("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400),
    ("empty Host", wire("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 400),
    ("Host with space", wire("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400),
    ("Host with path", wire("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400),
    ("Host with userinfo", wire("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400),
    ("Host with unclosed IP literal", wire("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), 400),
    ("Host with bad IPv6", wire("GET / HTTP/1.1\r\nHost: [1::2::3]\r\n\r\n"), 400),
    ("Host port out of range", wire("GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n"), 400),
    ("Host port not numeric", wire("GET / HTTP/1.1\r\nHost: a:http\r\n\r\n"), 400),

    // Content-Length (RFC 9112 §6.3)
    ("Content-Length with Transfer-Encoding", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
    ("Transfer-Encoding with Content-Length", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"), 400),
    ("duplicate Content-Length", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), 400),
    ("Content-Length list", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello"), 400),
    ("Content-Length +5", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello"), 400),
    ("Content-Length 5 5", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n\r\nhello"), 400),
    ("Content-Length 0x5", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nhello"), 400),
    ("Content-Length -1", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400),
    ("empty Content-Length", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), 400),
    ("Content-Length too large", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n"), 413),
    ("Content-Length with 19 digits", wire("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000000001\r\n\r\nx"), 413),

    // Transfer-Encoding (RFC 9112 §6.1, §7)
    ("Transfer-Encoding gzip", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"), 501),
    ("Transfer-Encoding identity", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n"), 501),
    ("Transfer-Encoding gzip, chunked", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), 501),
    ("Transfer-Encoding chunked, gzip", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 400),
    ("Transfer-Encoding chunked twice", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"), 400),
    ("Transfer-Encoding chunked in two fields", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),
    ("empty Transfer-Encoding", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n"), 400),
    ("Transfer-Encoding with empty element", wire("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n"), 400),
    ("Transfer-Encoding in HTTP/1.0", wire("POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400),

    // Expect (RFC 9110 §10.1.1)
    ("Expect other than 100-continue", wire("POST / HTTP/1.1\r\nHost: a\r\nExpect: something-else\r\nContent-Length: 1\r\n\r\nx"), 417),
]

private func wire(_ text: String) -> [UInt8] { Array(text.utf8) }
