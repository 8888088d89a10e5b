#if canImport(Glibc)
import Glibc
#endif

/// A complete request as handed to a responder: head and de-framed body.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// When the head was complete, on the loop's clock.
    public var receivedAt: LoopInstant

    public init(head: HTTPRequestHead, body: [UInt8] = [], receivedAt: LoopInstant = LoopInstant(nanoseconds: 0)) {
        self.head = head
        self.body = body
        self.receivedAt = receivedAt
    }

    public var method: HTTPMethod { head.method }
    public var path: String { head.path }
    public var query: String? { head.query }
    public var headers: HTTPHeaders { head.headers }
}

/// How a response's bytes go out. Anything but `.normal` exists for the sandbox emulators'
/// fault injection, so a client's handling of broken upstreams can be tested over real sockets.
public enum ResponseDelivery: Sendable, Equatable {
    case normal
    /// No answer: the connection is reset (RST, via SO_LINGER 0) when this response is due.
    case reset
    /// The head promises the whole body; only its first `bytes` are sent, then the connection closes.
    case truncated(bytes: Int)
    /// The body goes out `chunkBytes` at a time, one chunk per `interval`.
    case paced(chunkBytes: Int, interval: Duration)
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var delivery: ResponseDelivery = .normal

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, contentType: String, body: [UInt8]) {
        var h = HTTPHeaders()
        h.add("Content-Type", contentType)
        self.init(status: status, headers: h, body: body)
    }

    /// RFC 9457 problem details: the one builder of problem+json bodies, used for errors the
    /// server itself detects and for the gateway's own. `errors` lists per-field messages.
    public static func problem(
        status: Int, detail: String, requestID: String? = nil,
        type: String = "about:blank", title: String? = nil,
        errors: [(field: String, message: String)] = []
    ) -> HTTPResponse {
        var json = "{\"type\":\"\(jsonEscaped(type))\",\"title\":\"\(jsonEscaped(title ?? HTTPStatus.reason(status)))\",\"status\":\(status),\"detail\":\"\(jsonEscaped(detail))\""
        if let id = requestID { json += ",\"request_id\":\"\(jsonEscaped(id))\"" }
        if !errors.isEmpty {
            json += ",\"errors\":[" + errors.map { "{\"field\":\"\(jsonEscaped($0.field))\",\"message\":\"\(jsonEscaped($0.message))\"}" }.joined(separator: ",") + "]"
        }
        json += "}"
        var r = HTTPResponse(status: status, contentType: "application/problem+json", body: Array(json.utf8))
        if let id = requestID { r.headers.add("X-Request-Id", id) }
        return r
    }
}

/// Minimal JSON string escaping for server-generated messages.
public func jsonEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out
}

public enum HTTPStatus {
    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 206: "Partial Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    /// RFC 9110 §6.4.1: these never carry content.
    static func forbidsBody(_ status: Int) -> Bool {
        status < 200 || status == 204 || status == 304
    }
}

/// Writes responses into a byte buffer. Keeps the `Date` value for the current second,
/// so formatting costs one gmtime per second, not per response.
/// Content-Length, Connection, Transfer-Encoding and Date are the server's to write; a
/// response's own are left out. The length is checked first: most names have none of the four.
@inline(__always)
func isServerFramingHeader(_ name: String) -> Bool {
    switch name.utf8.count {
    case 4: return asciiCaseInsensitiveEquals(name, "date")
    case 10: return asciiCaseInsensitiveEquals(name, "connection")
    case 14: return asciiCaseInsensitiveEquals(name, "content-length")
    case 17: return asciiCaseInsensitiveEquals(name, "transfer-encoding")
    default: return false
    }
}

struct ResponseEncoder {
    private var dateSecond: Int = -1
    private var dateValue: [UInt8] = []
    static let stackHeadBytes = 1024

    mutating func encode(
        _ response: HTTPResponse,
        headRequest: Bool,
        version: HTTPVersion,
        close: Bool,
        keepAliveHeader: Bool,
        into out: inout [UInt8]
    ) {
        // The head is written into a stack buffer and appended at once (an append per
        // piece cost more than the bytes); a head too large for it takes the plain path.
        // 1,024 bytes: Swift puts a temporary allocation on the stack only up to that size
        // (above it, it is a heap allocation per response, aligned at that).
        let date = currentDate()
        let fitted = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.stackHeadBytes) { buf -> Bool in
            var w = HeadWriter(buf: buf)
            let status = response.status
            w.put(version == .http10 ? "HTTP/1.0 " : "HTTP/1.1 ")
            w.decimal(status)
            w.byte(0x20)
            w.put(HTTPStatus.reason(status))
            w.crlf()
            for i in response.headers.fields.indices {
                let name = response.headers.fields[i].name
                if isServerFramingHeader(name) {
                    continue
                }
                w.put(name)
                w.byte(0x3A); w.byte(0x20)
                w.put(response.headers.fields[i].value)
                w.crlf()
            }
            w.put("Date: ")
            date.withUnsafeBufferPointer { w.put($0) }
            w.crlf()
            let noBody = HTTPStatus.forbidsBody(status)
            if !noBody {
                w.put("Content-Length: ")
                w.decimal(response.body.count)
                w.crlf()
            }
            if close {
                w.put("Connection: close\r\n")
            } else if keepAliveHeader {
                w.put("Connection: keep-alive\r\n")
            }
            w.crlf()
            guard !w.overflow else { return false }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<w.n]))
            if !noBody && !headRequest {
                out.append(contentsOf: response.body)
            }
            return true
        }
        if !fitted { encodePlain(response, headRequest: headRequest, version: version, close: close, keepAliveHeader: keepAliveHeader, into: &out) }
    }

    private mutating func encodePlain(
        _ response: HTTPResponse,
        headRequest: Bool,
        version: HTTPVersion,
        close: Bool,
        keepAliveHeader: Bool,
        into out: inout [UInt8]
    ) {
        let status = response.status
        writeStatusAndHeaders(response, version: version, into: &out)
        let noBody = HTTPStatus.forbidsBody(status)
        if !noBody {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if keepAliveHeader {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if !noBody && !headRequest {
            out.append(contentsOf: response.body)
        }
    }

    /// The head of a streaming response (`HTTPStream`): chunked on HTTP/1.1, delimited by
    /// the connection's close on HTTP/1.0 (which then always says `Connection: close`).
    mutating func encodeStreamHead(_ response: HTTPResponse, version: HTTPVersion, close: Bool, into out: inout [UInt8]) {
        writeStatusAndHeaders(response, version: version, into: &out)
        if version == .http11 {
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        }
        if close || version == .http10 {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
    }

    /// Status line, the response's own headers, and `Date`.
    private mutating func writeStatusAndHeaders(_ response: HTTPResponse, version: HTTPVersion, into out: inout [UInt8]) {
        let status = response.status
        appendStatic(version == .http10 ? "HTTP/1.0 " : "HTTP/1.1 ", to: &out)
        appendDecimal(status, to: &out)
        out.append(0x20)
        appendUTF8(HTTPStatus.reason(status), to: &out)
        out.append(0x0D); out.append(0x0A)
        for (name, value) in response.headers {
            // Framing and connection headers are the server's to set.
            if isServerFramingHeader(name) {
                continue
            }
            appendUTF8(name, to: &out)
            out.append(0x3A); out.append(0x20)
            appendUTF8(value, to: &out)
            out.append(0x0D); out.append(0x0A)
        }
        appendStatic("Date: ", to: &out)
        out.append(contentsOf: currentDate())
        out.append(contentsOf: "\r\n".utf8)
    }

    private mutating func currentDate() -> [UInt8] {
        var t = time(nil)
        if Int(t) != dateSecond {
            dateSecond = Int(t)
            var tm = tm()
            gmtime_r(&t, &tm)
            dateValue = Array(imfFixdate(tm).utf8)
        }
        return dateValue
    }
}

/// RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
func imfFixdate(_ tm: tm) -> String {
    let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
}

/// Bytes into a fixed buffer; past its end it only notes the overflow.
struct HeadWriter {
    let buf: UnsafeMutableBufferPointer<UInt8>
    var n = 0
    var overflow = false

    init(buf: UnsafeMutableBufferPointer<UInt8>) { self.buf = buf }

    @inline(__always) mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !overflow, bytes.count <= buf.count - n else { overflow = true; return }
        if bytes.count > 0 { (buf.baseAddress! + n).update(from: bytes.baseAddress!, count: bytes.count) }
        n += bytes.count
    }

    @inline(__always) mutating func put(_ s: StaticString) {
        put(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inline(__always) mutating func put(_ s: String) {
        if s.utf8.withContiguousStorageIfAvailable({ put($0) }) == nil {
            for b in s.utf8 { byte(b) }
        }
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        guard !overflow, n < buf.count else { overflow = true; return }
        buf[n] = b
        n += 1
    }

    @inline(__always) mutating func crlf() { byte(0x0D); byte(0x0A) }

    mutating func decimal(_ value: Int) {
        guard value > 0 else {
            if value == 0 { byte(0x30) }  // as appendDecimal: nothing for a negative value
            return
        }
        var digits = 0
        var v = value
        repeat { digits += 1; v /= 10 } while v > 0
        guard !overflow, digits <= buf.count - n else { overflow = true; return }
        v = value
        for k in stride(from: n + digits - 1, through: n, by: -1) {
            buf[k] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
            v /= 10
        }
        n += digits
    }
}

/// A literal's bytes, copied in one go.
@inline(__always)
func appendStatic(_ s: StaticString, to out: inout [UInt8]) {
    out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
}

/// A string's bytes, copied in one go (native strings are contiguous UTF-8).
@inline(__always)
func appendUTF8(_ s: String, to out: inout [UInt8]) {
    if s.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil {
        out.append(contentsOf: s.utf8)
    }
}

@inline(__always)
func appendDecimal(_ value: Int, to out: inout [UInt8]) {
    if value == 0 { out.append(0x30); return }
    var v = value
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { d in
        while v > 0 {
            d[n] = UInt8(0x30 + v % 10)
            v /= 10
            n += 1
        }
        while n > 0 {
            n -= 1
            out.append(d[n])
        }
    }
}
