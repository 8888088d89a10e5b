// A strict, stateless HTTP/1.1 request-head parser (RFC 9112 §2-§7, picohttpparser's contract):
// hand it every byte received so far; it answers complete (and how many bytes the head used),
// incomplete, or invalid. It validates as it scans, so garbage is rejected before a CRLF arrives,
// and builds Strings only for the method, target, field names and values.
// Standard library only: scripts/fuzz.sh compiles this file directly with swiftc.

public enum HeadParseResult: Sendable, Equatable {
    case complete(HTTPRequestHead, consumed: Int)
    case incomplete
    case invalid(HTTPParseError)
}

public enum HTTPRequestParser {
    /// Empty lines tolerated before the request line (RFC 9112 §2.2: "SHOULD ignore at least one").
    public static let maxLeadingEmptyLines = 4

    public static func parseHead(_ bytes: UnsafeRawBufferPointer, limits: HTTPLimits) -> HeadParseResult {
        guard bytes.count > 0 else { return .incomplete }
        var scanner = HeadScanner(buf: bytes, limits: limits)
        do {
            let head = try scanner.parse()
            return .complete(head, consumed: scanner.i)
        } catch {
            switch error {
            case .incomplete: return .incomplete
            case .invalid(let error): return .invalid(error)
            }
        }
    }
}

enum ParseStop: Error {
    case incomplete
    case invalid(HTTPParseError)

    static func bad(_ reason: String) -> ParseStop { .invalid(HTTPParseError(status: 400, reason: reason)) }
    static func status(_ status: Int, _ reason: String) -> ParseStop {
        .invalid(HTTPParseError(status: status, reason: reason))
    }
}

private let CR: UInt8 = 0x0D, LF: UInt8 = 0x0A, SP: UInt8 = 0x20, HTAB: UInt8 = 0x09

private struct HeadScanner {
    let buf: UnsafeRawBufferPointer
    let n: Int
    let limits: HTTPLimits
    var i = 0

    init(buf: UnsafeRawBufferPointer, limits: HTTPLimits) {
        self.buf = buf
        self.n = buf.count
        self.limits = limits
    }

    // Semantics gathered while scanning the field lines.
    var hostCount = 0
    var hostValue: String?
    var contentLength: Int?
    var sawTransferEncoding = false
    var sawChunked = false
    var sawClose = false
    var sawKeepAlive = false
    var expectsContinue = false

    mutating func parse() throws(ParseStop) -> HTTPRequestHead {
        try skipLeadingEmptyLines()

        // request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3)
        let lineStart = i
        let (lineEnd, overflow) = lineStart.addingReportingOverflow(limits.maxRequestLineBytes)
        let lineLimit = overflow ? Int.max : lineEnd  // content bytes live below this index
        let methodRange = try scanMethod(lineLimit: lineLimit)
        let targetRange = try scanTarget(lineLimit: lineLimit)
        let version = try scanVersion(lineLimit: lineLimit)
        let form = try classifyTarget(targetRange, methodRange: methodRange)

        let headers = try scanFields(version: version)

        if version == .http11 && hostCount == 0 { throw .bad("Missing Host header") }

        let framing: BodyFraming
        if sawTransferEncoding {
            // Codings other than a single final chunked were rejected while scanning.
            framing = .chunked
        } else if let length = contentLength {
            framing = .contentLength(length)
        } else {
            framing = .none
        }

        let keepAlive = version == .http11 ? !sawClose : (sawKeepAlive && !sawClose)
        let host: String
        switch form {
        case .absolute(let authority, _, _): host = string(authority)
        default: host = hostValue ?? ""
        }
        // Share the target's storage when the path is all of it (the common case).
        let target = string(targetRange)
        let path: String, query: String?
        switch form {
        case .origin(let p, nil) where p == targetRange:
            path = target
            query = nil
        case .origin(let p, let q), .absolute(_, let p, let q):
            path = p.isEmpty ? "/" : string(p)
            query = q.map(string)
        case .asterisk:
            path = "*"
            query = nil
        case .authority:
            path = ""
            query = nil
        }
        return HTTPRequestHead(
            method: method(methodRange), target: target, version: version,
            headers: headers, path: path, query: query, host: host, framing: framing,
            keepAlive: keepAlive, expectsContinue: expectsContinue && version == .http11)
    }

    // MARK: Request line

    mutating func skipLeadingEmptyLines() throws(ParseStop) {
        var empty = 0
        while true {
            guard i < n else { throw .incomplete }
            switch buf[i] {
            case CR:
                guard i + 1 < n else { throw .incomplete }
                guard buf[i + 1] == LF else { throw .bad("Bare CR") }
                empty += 1
                guard empty <= HTTPRequestParser.maxLeadingEmptyLines else {
                    throw .bad("Too many empty lines before request line")
                }
                i += 2
            case LF:
                throw .bad("Bare LF")
            default:
                return
            }
        }
    }

    /// Throws 414 when a request-line byte would sit at or beyond `lineLimit`, else incomplete.
    func needLineByte(_ lineLimit: Int) throws(ParseStop) {
        if i >= lineLimit { throw .status(414, "Request line too long") }
        if i >= n { throw .incomplete }
    }

    mutating func scanMethod(lineLimit: Int) throws(ParseStop) -> Range<Int> {
        let start = i
        while true {
            try needLineByte(lineLimit)
            let b = buf[i]
            if b == SP { break }
            guard isTchar(b) else { throw .bad("Invalid character in method") }
            i += 1
        }
        guard i > start else { throw .bad("Empty method") }
        defer { i += 1 }
        return start..<i
    }

    mutating func scanTarget(lineLimit: Int) throws(ParseStop) -> Range<Int> {
        let start = i
        let end = min(n, lineLimit)
        while true {
            while i &+ 8 <= end {
                let word = buf.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if wordHasByte(below: 0x21, word) || wordHasByte(above: 0x7E, word)
                    || wordHasByte(UInt8(ascii: "#"), word) { break }
                i &+= 8
            }
            guard i < end else { break }
            let b = buf[i]
            if b == SP { break }
            // Visible ASCII except "#": no CTLs, no obs-text, no fragment (RFC 9112 §3.2).
            guard b &- 0x21 < 0x5E, b != UInt8(ascii: "#") else {
                throw .bad(b == CR || b == LF ? "Missing HTTP version" : "Invalid character in request target")
            }
            i += 1
        }
        if i == end { try needLineByte(lineLimit) }
        guard i > start else { throw .bad("Empty request target") }
        defer { i += 1 }
        return start..<i
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT, then CRLF (RFC 9112 §2.3).
    mutating func scanVersion(lineLimit: Int) throws(ParseStop) -> HTTPVersion {
        let start = i
        for k in 0..<8 {
            try needLineByte(lineLimit)
            let b = buf[i]
            let ok: Bool
            switch k {
            case 0: ok = b == UInt8(ascii: "H")
            case 1, 2: ok = b == UInt8(ascii: "T")
            case 3: ok = b == UInt8(ascii: "P")
            case 4: ok = b == UInt8(ascii: "/")
            case 6: ok = b == UInt8(ascii: ".")
            default: ok = b &- 0x30 < 10
            }
            guard ok else { throw .bad(b == LF ? "Bare LF" : "Malformed HTTP version") }
            i += 1
        }
        guard i < n else { throw .incomplete }
        guard buf[i] == CR else { throw .bad(buf[i] == LF ? "Bare LF" : "Malformed HTTP version") }
        guard i + 1 < n else { throw .incomplete }
        guard buf[i + 1] == LF else { throw .bad("Bare CR") }
        i += 2
        switch (buf[start + 5], buf[start + 7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http11
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http10
        default: throw .status(505, "HTTP version not supported")
        }
    }

    enum TargetForm {
        case origin(path: Range<Int>, query: Range<Int>?)
        case absolute(authority: Range<Int>, path: Range<Int>, query: Range<Int>?)
        case asterisk
        case authority
    }

    /// RFC 9112 §3.2: origin-form, absolute-form, authority-form (CONNECT only),
    /// asterisk-form (OPTIONS only).
    func classifyTarget(_ target: Range<Int>, methodRange: Range<Int>) throws(ParseStop) -> TargetForm {
        guard percentEncodingIsValid(target) else { throw .bad("Malformed percent-encoding in request target") }
        let isConnect = bytesEqual(methodRange, "CONNECT")
        let first = buf[target.lowerBound]
        if isConnect {
            guard first != UInt8(ascii: "/"),
                validateHost(target.lowerBound, target.upperBound, requirePort: true)
            else { throw .bad("CONNECT requires an authority-form target") }
            return .authority
        }
        if first == UInt8(ascii: "/") {
            let (path, query) = splitQuery(target)
            return .origin(path: path, query: query)
        }
        if target.count == 1 && first == UInt8(ascii: "*") {
            guard bytesEqual(methodRange, "OPTIONS") else { throw .bad("Asterisk-form target requires OPTIONS") }
            return .asterisk
        }
        // absolute-form: only the http and https schemes make sense for this gateway.
        var p = target.lowerBound
        if bytesEqualLowercase(p, min(p + 7, target.upperBound), "http://") {
            p += 7
        } else if bytesEqualLowercase(p, min(p + 8, target.upperBound), "https://") {
            p += 8
        } else {
            throw .bad("Invalid request target")
        }
        let authorityStart = p
        while p < target.upperBound, buf[p] != UInt8(ascii: "/"), buf[p] != UInt8(ascii: "?") { p += 1 }
        // userinfo is not allowed in http(s) URIs received (RFC 9110 §4.2.4).
        guard validateHost(authorityStart, p, requirePort: false) else {
            throw .bad("Invalid authority in request target")
        }
        let (path, query) = splitQuery(p..<target.upperBound)
        return .absolute(authority: authorityStart..<p, path: path, query: query)
    }

    func splitQuery(_ range: Range<Int>) -> (Range<Int>, Range<Int>?) {
        var p = range.lowerBound
        while p < range.upperBound {
            if buf[p] == UInt8(ascii: "?") { return (range.lowerBound..<p, (p + 1)..<range.upperBound) }
            p += 1
        }
        return (range, nil)
    }

    func percentEncodingIsValid(_ range: Range<Int>) -> Bool {
        var p = range.lowerBound
        while p < range.upperBound {
            if buf[p] == UInt8(ascii: "%") {
                guard p + 2 < range.upperBound, isHexDigit(buf[p + 1]), isHexDigit(buf[p + 2]) else { return false }
                p += 3
            } else {
                p += 1
            }
        }
        return true
    }

    // MARK: Field lines (RFC 9112 §5)

    /// Throws 431 when a header-section byte would sit at or beyond `limit`, else incomplete.
    func needFieldByte(_ at: Int, _ limit: Int) throws(ParseStop) {
        if at >= limit { throw .status(431, "Request header fields too large") }
        if at >= n { throw .incomplete }
    }

    mutating func scanFields(version: HTTPVersion) throws(ParseStop) -> HTTPHeaders {
        let (sectionEnd, overflow) = i.addingReportingOverflow(limits.maxHeaderBytes)
        let limit = overflow ? Int.max : sectionEnd
        let end = min(n, limit)
        var headers = HTTPHeaders(reservingCapacity: 8)
        var fieldCount = 0
        while true {
            try needFieldByte(i, limit)
            let first = buf[i]
            if first == CR {
                try needFieldByte(i + 1, limit)
                guard buf[i + 1] == LF else { throw .bad("Bare CR") }
                i += 2
                return headers
            }
            if first == LF { throw .bad("Bare LF") }
            if first == SP || first == HTAB { throw .bad("Obsolete line folding") }

            // field-name = token, immediately followed by ":"
            let nameStart = i
            while i < end {
                let b = buf[i]
                if b == UInt8(ascii: ":") { break }
                guard isTchar(b) else {
                    if b == SP || b == HTAB { throw .bad("Whitespace before colon in header field") }
                    if b == CR || b == LF { throw .bad("Header field without colon") }
                    throw .bad("Invalid character in header field name")
                }
                i += 1
            }
            try needFieldByte(i, limit)  // stopped at `end`: 431 or incomplete
            guard i > nameStart else { throw .bad("Empty header field name") }
            let nameEnd = i
            i += 1
            fieldCount += 1
            if fieldCount > limits.maxHeaderCount { throw .status(431, "Too many header fields") }

            // field-value with surrounding OWS trimmed; obs-text allowed, CTLs not.
            while i < end, buf[i] == SP || buf[i] == HTAB { i += 1 }
            let valueStart = i
            while true {
                // Eight bytes at a time while none is a CTL (the common case).
                while i &+ 8 <= end {
                    let word = buf.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if wordHasByte(below: SP, word) || wordHasByte(0x7F, word) { break }
                    i &+= 8
                }
                guard i < end else { break }
                let b = buf[i]
                if b >= SP && b != 0x7F || b == HTAB {
                    i += 1
                } else if b == CR {
                    break
                } else {
                    throw .bad(b == LF ? "Bare LF" : "Invalid character in header field value")
                }
            }
            var valueEnd = i
            while valueEnd > valueStart, buf[valueEnd - 1] == SP || buf[valueEnd - 1] == HTAB { valueEnd -= 1 }
            try needFieldByte(i, limit)
            try needFieldByte(i + 1, limit)
            guard buf[i + 1] == LF else { throw .bad("Bare CR") }
            i += 2

            let isHost = try interpretField(nameStart..<nameEnd, valueStart..<valueEnd, version: version)
            let value = string(valueStart..<valueEnd)
            if isHost { hostValue = value }
            headers.add(fieldName(nameStart..<nameEnd), value)
        }
    }

    /// Applies the fields the parser itself understands; returns whether this one is Host.
    mutating func interpretField(
        _ name: Range<Int>, _ value: Range<Int>, version: HTTPVersion
    ) throws(ParseStop) -> Bool {
        switch name.count {
        case 4 where bytesEqualLowercase(name.lowerBound, name.upperBound, "host"):
            hostCount += 1
            guard hostCount == 1 else { throw .bad("Duplicate Host header") }
            guard validateHost(value.lowerBound, value.upperBound, requirePort: false) else {
                throw .bad("Invalid Host header")
            }
            return true
        case 14 where bytesEqualLowercase(name.lowerBound, name.upperBound, "content-length"):
            try interpretContentLength(value)
        case 17 where bytesEqualLowercase(name.lowerBound, name.upperBound, "transfer-encoding"):
            try interpretTransferEncoding(value, version: version)
        case 10 where bytesEqualLowercase(name.lowerBound, name.upperBound, "connection"):
            Self.forEachListElement(buf, value) { element in
                if bytesEqualLowercase(element.lowerBound, element.upperBound, "close") {
                    sawClose = true
                } else if bytesEqualLowercase(element.lowerBound, element.upperBound, "keep-alive") {
                    sawKeepAlive = true
                }
            }
        case 6 where bytesEqualLowercase(name.lowerBound, name.upperBound, "expect"):
            // 100-continue is the only expectation defined (RFC 9110 §10.1.1).
            guard bytesEqualLowercase(value.lowerBound, value.upperBound, "100-continue") else {
                throw .status(417, "Unsupported expectation")
            }
            expectsContinue = true
        default:
            break
        }
        return false
    }

    /// Content-Length = 1*DIGIT, one field only; lists like "5, 5" are refused outright
    /// rather than collapsed (RFC 9112 §6.3 allows either; we are strict).
    mutating func interpretContentLength(_ value: Range<Int>) throws(ParseStop) {
        guard contentLength == nil else { throw .bad("Duplicate Content-Length") }
        guard !sawTransferEncoding else { throw .bad("Content-Length and Transfer-Encoding together") }
        guard !value.isEmpty else { throw .bad("Empty Content-Length") }
        var length = 0
        for p in value {
            let digit = buf[p] &- 0x30
            guard digit < 10 else { throw .bad("Invalid Content-Length") }
            length = length &* 10 &+ Int(digit)
        }
        // 18 digits cannot overflow Int64; anything longer is over any sane limit anyway.
        guard value.count <= 18, length <= limits.maxBodyBytes else {
            throw .status(413, "Content-Length exceeds limit")
        }
        contentLength = length
    }

    /// RFC 9112 §6.1: in a request, chunked must be the final coding and appear once.
    /// We decode no other coding, so any other one is 501.
    mutating func interpretTransferEncoding(_ value: Range<Int>, version: HTTPVersion) throws(ParseStop) {
        guard version == .http11 else { throw .bad("Transfer-Encoding in HTTP/1.0 request") }
        guard contentLength == nil else { throw .bad("Content-Length and Transfer-Encoding together") }
        sawTransferEncoding = true
        var failure: ParseStop?
        let sawEmpty = !Self.forEachListElement(buf, value) { element in
            guard failure == nil else { return }
            if sawChunked {
                failure = .bad("chunked is not the final transfer coding")
            } else if bytesEqualLowercase(element.lowerBound, element.upperBound, "chunked") {
                sawChunked = true
            } else if isTchar(buf[element.lowerBound]) {
                failure = .status(501, "Unsupported transfer coding")
            } else {
                failure = .bad("Invalid Transfer-Encoding")
            }
        }
        if sawEmpty { throw .bad("Empty element in Transfer-Encoding") }
        if let failure { throw failure }
    }

    /// Calls `body` with each OWS-trimmed, comma-separated element of `value`.
    /// Returns false (after visiting the others) if there was an empty element or value.
    /// (Static so that `body` may mutate the scanner.)
    @discardableResult
    static func forEachListElement(
        _ buf: UnsafeRawBufferPointer, _ value: Range<Int>, _ body: (Range<Int>) -> Void
    ) -> Bool {
        var allNonEmpty = !value.isEmpty
        var p = value.lowerBound
        while p <= value.upperBound {
            var start = p
            while p < value.upperBound, buf[p] != UInt8(ascii: ",") { p += 1 }
            var end = p
            while start < end, buf[start] == SP || buf[start] == HTAB { start += 1 }
            while end > start, buf[end - 1] == SP || buf[end - 1] == HTAB { end -= 1 }
            if start < end { body(start..<end) } else { allNonEmpty = false }
            p += 1
        }
        return allNonEmpty
    }

    // MARK: Host (RFC 9110 §7.2, RFC 3986 §3.2.2)

    /// uri-host [ ":" port ], host non-empty, port at most 65535. `requirePort` for authority-form.
    func validateHost(_ start: Int, _ end: Int, requirePort: Bool) -> Bool {
        guard start < end else { return false }
        var p = start
        if buf[p] == UInt8(ascii: "[") {
            var close = p + 1
            while close < end, buf[close] != UInt8(ascii: "]") { close += 1 }
            guard close < end, validateIPLiteral(p + 1, close) else { return false }
            p = close + 1
        } else {
            // reg-name (which also covers IPv4address)
            while p < end, buf[p] != UInt8(ascii: ":") {
                let b = buf[p]
                if b == UInt8(ascii: "%") {
                    guard p + 2 < end, isHexDigit(buf[p + 1]), isHexDigit(buf[p + 2]) else { return false }
                    p += 3
                } else {
                    guard isRegNameChar(b) else { return false }
                    p += 1
                }
            }
            guard p > start else { return false }
        }
        if p == end { return !requirePort }
        guard buf[p] == UInt8(ascii: ":") else { return false }
        p += 1
        // port = *DIGIT; an empty port means the default (RFC 3986 §3.2.3).
        guard end - p <= 5, !(requirePort && p == end) else { return false }
        var port = 0
        while p < end {
            let digit = buf[p] &- 0x30
            guard digit < 10 else { return false }
            port = port * 10 + Int(digit)
            p += 1
        }
        return port <= 65535
    }

    /// IPv6address or IPvFuture, without the brackets.
    func validateIPLiteral(_ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        if buf[start] | 0x20 == UInt8(ascii: "v") {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            var p = start + 1
            while p < end, isHexDigit(buf[p]) { p += 1 }
            guard p > start + 1, p < end, buf[p] == UInt8(ascii: ".") else { return false }
            p += 1
            guard p < end else { return false }
            while p < end {
                guard isRegNameChar(buf[p]) || buf[p] == UInt8(ascii: ":") else { return false }
                p += 1
            }
            return true
        }
        return validateIPv6(start, end)
    }

    func validateIPv6(_ start: Int, _ end: Int) -> Bool {
        var groups = 0
        var sawDoubleColon = false
        var p = start
        if buf[p] == UInt8(ascii: ":") {
            guard p + 1 < end, buf[p + 1] == UInt8(ascii: ":") else { return false }
            sawDoubleColon = true
            p += 2
            if p == end { return true }  // "::"
        }
        while true {
            let groupStart = p
            while p < end, p - groupStart < 5, isHexDigit(buf[p]) { p += 1 }
            if p < end, buf[p] == UInt8(ascii: ".") {
                // Trailing IPv4address takes the place of two groups.
                guard validateIPv4(groupStart, end) else { return false }
                groups += 2
                break
            }
            let length = p - groupStart
            guard length >= 1, length <= 4 else { return false }
            groups += 1
            if p == end { break }
            guard buf[p] == UInt8(ascii: ":") else { return false }
            p += 1
            if p < end, buf[p] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return false }
                sawDoubleColon = true
                p += 1
                if p == end { break }
            } else if p == end {
                return false  // trailing single colon
            }
        }
        return sawDoubleColon ? groups <= 7 : groups == 8
    }

    func validateIPv4(_ start: Int, _ end: Int) -> Bool {
        var p = start
        for octet in 0..<4 {
            if octet > 0 {
                guard p < end, buf[p] == UInt8(ascii: ".") else { return false }
                p += 1
            }
            let digitsStart = p
            var value = 0
            while p < end, p - digitsStart < 3, buf[p] &- 0x30 < 10 {
                value = value * 10 + Int(buf[p] &- 0x30)
                p += 1
            }
            let count = p - digitsStart
            guard count >= 1, value <= 255, count == 1 || buf[digitsStart] != UInt8(ascii: "0") else { return false }
        }
        return p == end
    }

    // MARK: Helpers

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: buf[range]), as: UTF8.self)
    }

    /// Common field names, spelled as usual, reuse a literal instead of building a String.
    func fieldName(_ range: Range<Int>) -> String {
        switch range.count {
        case 4: if bytesEqual(range, "Host") { return "Host" }
        case 6:
            if bytesEqual(range, "Accept") { return "Accept" }
            if bytesEqual(range, "Cookie") { return "Cookie" }
        case 10:
            if bytesEqual(range, "User-Agent") { return "User-Agent" }
            if bytesEqual(range, "Connection") { return "Connection" }
        case 12: if bytesEqual(range, "Content-Type") { return "Content-Type" }
        case 13: if bytesEqual(range, "Authorization") { return "Authorization" }
        case 14: if bytesEqual(range, "Content-Length") { return "Content-Length" }
        case 15:
            if bytesEqual(range, "Accept-Encoding") { return "Accept-Encoding" }
            if bytesEqual(range, "Accept-Language") { return "Accept-Language" }
        case 17: if bytesEqual(range, "Transfer-Encoding") { return "Transfer-Encoding" }
        default: break
        }
        return string(range)
    }

    /// Registered methods share their static String; others are built from the bytes.
    func method(_ range: Range<Int>) -> HTTPMethod {
        switch range.count {
        case 3:
            if bytesEqual(range, "GET") { return .GET }
            if bytesEqual(range, "PUT") { return .PUT }
        case 4:
            if bytesEqual(range, "POST") { return .POST }
            if bytesEqual(range, "HEAD") { return .HEAD }
        case 6:
            if bytesEqual(range, "DELETE") { return .DELETE }
        default:
            break
        }
        return HTTPMethod(rawValue: string(range))
    }

    func bytesEqual(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for k in 0..<range.count where buf[range.lowerBound + k] != expected[k] { return false }
        return true
    }

    /// Compares ASCII-case-insensitively against a lowercase literal.
    func bytesEqualLowercase(_ start: Int, _ end: Int, _ lowercase: StaticString) -> Bool {
        guard end - start == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for k in 0..<(end - start) where asciiLower(buf[start + k]) != expected[k] { return false }
        return true
    }
}

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
//       / DIGIT / ALPHA (RFC 9110 §5.6.2), as bitmasks over 0-63 and 64-127.
@inline(__always)
func isTchar(_ b: UInt8) -> Bool {
    if b < 64 { return (0x03FF_6CFA_0000_0000 as UInt64) >> UInt64(b) & 1 != 0 }
    if b < 128 { return (0x57FF_FFFF_C7FF_FFFE as UInt64) >> UInt64(b &- 64) & 1 != 0 }
    return false
}

// unreserved / sub-delims (RFC 3986 §2), i.e. reg-name without pct-encoded.
@inline(__always)
func isRegNameChar(_ b: UInt8) -> Bool {
    if b < 64 { return (0x2BFF_7FD2_0000_0000 as UInt64) >> UInt64(b) & 1 != 0 }
    if b < 128 { return (0x47FF_FFFE_87FF_FFFE as UInt64) >> UInt64(b &- 64) & 1 != 0 }
    return false
}

@inline(__always)
func isHexDigit(_ b: UInt8) -> Bool {
    b &- 0x30 < 10 || (b | 0x20) &- 0x61 < 6
}

// SWAR tests on eight bytes at once ("Bit Twiddling Hacks": haszero / hasless / hasmore).
// Each is exact about whether some byte matches, which is all the fast paths need.
private let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080

@inline(__always)
private func wordHasByte(below limit: UInt8, _ word: UInt64) -> Bool {
    (word &- ones &* UInt64(limit)) & ~word & highs != 0
}

@inline(__always)
private func wordHasByte(above limit: UInt8, _ word: UInt64) -> Bool {
    ((word &+ ones &* UInt64(127 - limit)) | word) & highs != 0
}

@inline(__always)
private func wordHasByte(_ byte: UInt8, _ word: UInt64) -> Bool {
    let x = word ^ (ones &* UInt64(byte))
    return (x &- ones) & ~x & highs != 0
}
