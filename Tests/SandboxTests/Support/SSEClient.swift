#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GatewayCore

/// One block of a Server-Sent Events stream (the lines up to a blank line).
struct SSEBlock: Equatable {
    var id: String?
    var event: String?
    var data: String?
    var retry: Int?
    var comments: [String] = []
}

struct SSEError: Error, CustomStringConvertible {
    var description: String
}

/// A blocking raw-socket client for `/events/stream`: sends one request, reads the head,
/// de-chunks the body and splits it into SSE blocks, so a test sees exactly what the
/// gateway wrote (and can stop reading altogether). The async methods block a thread of
/// their own, never one of the test runner's shared pool.
final class SSEClient: @unchecked Sendable {
    let fd: CInt
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    private(set) var status = 0
    private(set) var headers: [(String, String)] = []
    private var chunked = false
    private var contentLength: Int?
    private(set) var ended = false
    private var isOpen = true

    /// Connects and sends `method path`; `receiveBuffer` shrinks SO_RCVBUF before connecting
    /// (a client that does not read then fills up quickly).
    init(port: Int, _ method: String = "GET", _ path: String, headers: [(String, String)] = [], receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { isOpen = false; throw SSEError(description: "socket: errno \(errno)") }
        if var size = receiveBuffer.map({ CInt($0) }) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr)
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            // close(), not Glibc.close: deinit runs after a throw here and would close the
            // number again (see RawClient.init).
            close()
            throw SSEError(description: "connect: errno \(e)")
        }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var request = "\(method) \(path) HTTP/1.1\r\nHost: gateway\r\n"
        for (n, v) in headers { request += "\(n): \(v)\r\n" }
        try send(request + "\r\n")
    }

    deinit { close() }

    func close() {
        if isOpen { Glibc.close(fd) }
        isOpen = false
    }

    func send(_ s: String) throws {
        let bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw SSEError(description: "send: errno \(errno)") }
            off += n
        }
    }

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// One read (up to 100 ms); false at end of stream.
    private func fill() -> Bool {
        if ended { return false }
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            raw += buf[0..<n]
            return true
        }
        if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { ended = true; return false }
        return true
    }

    /// Reads the response head; returns the status.
    @discardableResult
    func readHead(timeout: Duration = .seconds(10)) throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let end = find(raw, [13, 10, 13, 10]) {
                let lines = String(decoding: raw[..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
                status = Int(lines[0].split(separator: " ")[1]) ?? 0
                headers = lines.dropFirst().compactMap { l in
                    guard let i = l.firstIndex(of: ":") else { return nil }
                    return (String(l[..<i]), String(l[l.index(after: i)...]).trimmingSpaces())
                }
                raw.removeFirst(end + 4)
                chunked = header("Transfer-Encoding")?.lowercased() == "chunked"
                contentLength = header("Content-Length").flatMap { Int($0) }
                return status
            }
            guard ContinuousClock.now < deadline else { throw SSEError(description: "no response head in \(timeout)") }
            if !fill() { throw SSEError(description: "closed before the head") }
        }
    }

    /// A non-streaming answer's body (Content-Length framed).
    func readFixedBody(timeout: Duration = .seconds(10)) throws -> [UInt8] {
        let n = contentLength ?? 0
        let deadline = ContinuousClock.now + timeout
        while raw.count < n {
            guard ContinuousClock.now < deadline, fill() else { throw SSEError(description: "body incomplete") }
        }
        let b = Array(raw[..<n])
        raw.removeFirst(n)
        return b
    }

    /// Moves complete chunks from `raw` to `body`; true once the final chunk has come.
    private func dechunk() throws -> Bool {
        guard chunked else {
            body += raw
            raw = []
            return false
        }
        while let lineEnd = find(raw, [13, 10]) {
            let sizeText = String(decoding: raw[..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText, radix: 16) else { throw SSEError(description: "bad chunk size \(sizeText)") }
            let total = lineEnd + 2 + size + 2
            guard raw.count >= total else { return false }
            guard raw[lineEnd + 2 + size] == 13, raw[lineEnd + 3 + size] == 10 else { throw SSEError(description: "chunk not followed by CRLF") }
            body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
            raw.removeFirst(total)
            if size == 0 { return true }
        }
        return false
    }

    private(set) var finished = false

    /// The next complete block, waiting up to `timeout`; nil if none came (or the stream ended).
    func nextBlock(timeout: Duration = .seconds(10)) throws -> SSEBlock? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if !finished { finished = try dechunk() }
            if let end = find(body, [10, 10]) {
                let text = String(decoding: body[..<end], as: UTF8.self)
                body.removeFirst(end + 2)
                return Self.parse(text)
            }
            if finished || ContinuousClock.now >= deadline { return nil }
            if !fill() && raw.isEmpty { return nil }
        }
    }

    /// The next `count` event blocks (those with data), skipping retry and comment blocks
    /// (which `skipped` collects).
    func events(_ count: Int, timeout: Duration = .seconds(15), skipped: inout [SSEBlock]) throws -> [SSEBlock] {
        var out: [SSEBlock] = []
        let deadline = ContinuousClock.now + timeout
        while out.count < count {
            let left = deadline - ContinuousClock.now
            guard left > .zero, let b = try nextBlock(timeout: left) else {
                throw SSEError(description: "got \(out.count) of \(count) events: \(out.map { $0.id ?? "?" })")
            }
            if b.data != nil { out.append(b) } else { skipped.append(b) }
        }
        return out
    }

    func events(_ count: Int, timeout: Duration = .seconds(15)) throws -> [SSEBlock] {
        var skipped: [SSEBlock] = []
        return try events(count, timeout: timeout, skipped: &skipped)
    }

    static func parse(_ text: String) -> SSEBlock {
        var b = SSEBlock()
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") { b.comments.append(String(line.dropFirst()).trimmingSpaces()); continue }
            guard let i = line.firstIndex(of: ":") else { continue }
            let field = String(line[..<i])
            var value = line[line.index(after: i)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
            switch field {
            case "id": b.id = String(value)
            case "event": b.event = String(value)
            case "data": b.data = (b.data.map { $0 + "\n" } ?? "") + value
            case "retry": b.retry = Int(value)
            default: break
            }
        }
        return b
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
        }
        return nil
    }
}

extension SSEClient {
    /// Runs blocking socket reads on a thread of their own.
    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try body() }) }.start()
        }
    }

    func head(timeout: Duration = .seconds(10)) async throws -> Int {
        try await offPool { try self.readHead(timeout: timeout) }
    }

    func block(timeout: Duration = .seconds(10)) async throws -> SSEBlock? {
        try await offPool { try self.nextBlock(timeout: timeout) }
    }

    /// The next `count` event blocks; retry and comment blocks are skipped.
    func take(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [SSEBlock] {
        try await offPool { try self.events(count, timeout: timeout) }
    }

    func fixedBody() async throws -> [UInt8] {
        try await offPool { try self.readFixedBody() }
    }
}
