#if canImport(Glibc)
import Glibc
#endif
import GatewayCore
import Logging
import Synchronization

/// swift-log handler writing one JSON object per line to stderr:
/// `{"ts","level","logger","msg", ...metadata}`. Metadata values are strings, numbers stay
/// numbers when the caller passes `.stringConvertible` integers.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let clock: any WallClock
    let sink: LogSink

    public init(label: String, level: Logger.Level = .info, clock: any WallClock = SystemWallClock(), sink: LogSink = .standardError) {
        self.label = label
        self.logLevel = level
        self.clock = clock
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var o: JSONObject = [
            "ts": .string(UTCTime(epochMillis: clock.nowMillis()).rfc3339Millis),
            "level": .string(event.level.rawValue),
            "logger": .string(label),
            "msg": .string("\(event.message)"),
        ]
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        for (k, v) in all where o[k] == nil { o[k] = Self.json(v) }
        if event.level >= .warning { o["source"] = .string(event.source) }
        var line = JSON.object(o).serialized()
        line.append(UInt8(ascii: "\n"))
        sink.write(line)
    }

    static func json(_ v: Logger.Metadata.Value) -> JSON {
        switch v {
        case .string(let s): return .string(s)
        case .stringConvertible(let c):
            if let i = c as? Int { return .int(i) }
            if let d = c as? Double { return .double(d) }
            if let b = c as? Bool { return .bool(b) }
            return .string(c.description)
        case .array(let a): return .array(a.map(json))
        case .dictionary(let d): return .object(JSONObject(d.map { ($0.key, json($0.value)) }.sorted { $0.0 < $1.0 }))
        }
    }
}

/// Where log lines go: stderr (one `write` per line, whole lines never interleave), or
/// memory (tests).
public final class LogSink: Sendable {
    private let fd: CInt
    private let captured = Mutex<[UInt8]>([])

    public static let standardError = LogSink(fd: 2)

    init(fd: CInt) {
        self.fd = fd
    }

    /// Keeps everything written, for tests.
    public init() {
        self.fd = -1
    }

    public func write(_ bytes: [UInt8]) {
        if fd < 0 {
            captured.withLock { $0.append(contentsOf: bytes) }
            return
        }
        var offset = 0
        bytes.withUnsafeBytes { p in
            while offset < p.count {
                let n = Glibc.write(fd, p.baseAddress! + offset, p.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// What a memory sink holds, split into lines.
    public var lines: [String] {
        let bytes = captured.withLock { $0 }
        return bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The access log: one JSON line per request (request id, route, status, duration, cache
/// status, upstream calls with their timings, limiter wait, the calling client). Never the
/// query string (a webhook's `?token=` is a credential), a header value or a body. Lines of
/// one loop iteration are written together.
public final class AccessLog: @unchecked Sendable {
    // Used from its loop only: a responder (and so its access log) lives on one loop.
    private var buffer: [UInt8] = []
    private var flushScheduled = false
    let sink: LogSink
    let clock: any WallClock

    public init(sink: LogSink = .standardError, clock: any WallClock = SystemWallClock()) {
        self.sink = sink
        self.clock = clock
    }

    struct Entry {
        var requestID: String
        var method: String
        var route: String
        var status: Int
        var seconds: Double
        var client: String?
        var record: RequestRecord?
        /// The answer's `Cache-Status` (RFC 9211), as the client saw it.
        var cacheStatus: String?
    }

    /// The timestamp up to the seconds (`2026-12-02T00:40:33.`) of the last line, and its second.
    private var stampSecond: Int64 = .min
    private var stampPrefix: [UInt8] = []

    /// Writes the line straight into the buffer: the same bytes the JSON writer made from an
    /// object with these keys in this order, without building the object (every request
    /// logs one).
    func log(_ e: Entry, loop: EventLoop) {
        raw(#"{"ts":""#)
        appendTimestamp(clock.nowMillis())
        raw(#"","level":"info","logger":"crm-gateway.access","msg":"request","request_id":"#)
        Self.appendString(e.requestID, to: &buffer)
        raw(#","method":"#)
        Self.appendString(e.method, to: &buffer)
        raw(#","route":"#)
        Self.appendString(e.route, to: &buffer)
        raw(#","status":"#)
        JSON.int(e.status).write(into: &buffer)
        raw(#","duration_ms":"#)
        Self.appendMillis(e.seconds, to: &buffer)
        if let c = e.client {
            raw(#","client":"#)
            Self.appendString(c, to: &buffer)
        }
        if let c = e.cacheStatus {
            raw(#","cache":"#)
            Self.appendString(c, to: &buffer)
        }
        if let record = e.record {
            let calls = record.all
            if !calls.isEmpty {
                var wait = Duration.zero
                let upstream = JSON.array(calls.map { c in
                    var u: JSONObject = ["source": .string(c.source)]
                    u["status"] = c.status.map { JSON.int($0) } ?? JSON.null
                    if let k = c.cache?.kind { u["cache"] = .string(k.rawValue) }
                    if let t = c.network { u["ms"] = .double(Self.millis(Double(t.nanoseconds) / 1e9)) }
                    if c.queued > .zero { u["limiter_wait_ms"] = .double(Self.millis(Double(c.queued.nanoseconds) / 1e9)) }
                    wait += c.queued
                    return .object(u)
                })
                raw(#","upstream":"#)
                upstream.write(into: &buffer)
                raw(#","limiter_wait_ms":"#)
                JSON.double(Self.millis(Double(wait.nanoseconds) / 1e9)).write(into: &buffer)
            }
        }
        raw("}\n")
        if buffer.count >= 64 << 10 { flush(); return }
        if !flushScheduled {
            flushScheduled = true
            loop.executeLocal { [self] in flush() }
        }
    }

    private func raw(_ s: StaticString) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// `JSON.string(s).write(into:)`: a string of printable ASCII without a quote or a
    /// backslash (ids, routes, methods, cache status) is copied as is; anything else goes
    /// through the writer.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        let done = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where b < 0x20 || b > 0x7E || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if done != true { JSON.string(s).write(into: &out) }
    }

    /// `JSON.double(millis(seconds)).write(into:)` without formatting a Double: the value is a
    /// whole number of microseconds, so it is written as milliseconds with up to three
    /// decimals, which is the Double's shortest form. Out of that range, the writer.
    static func appendMillis(_ seconds: Double, to out: inout [UInt8]) {
        let micros = (seconds * 1e6).rounded()
        guard micros >= 0, micros < 1e12 else {
            JSON.double(millis(seconds)).write(into: &out)
            return
        }
        let m = Int(micros)
        appendDigits(m / 1000, to: &out)
        var frac = m % 1000
        guard frac != 0 else { return }
        out.append(UInt8(ascii: "."))
        var digits = 3
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        var div = 1
        for _ in 1..<digits { div *= 10 }
        while div > 0 {
            out.append(UInt8(truncatingIfNeeded: 0x30 + frac / div % 10))
            div /= 10
        }
    }

    private static func appendDigits(_ v: Int, to out: inout [UInt8]) {
        if v >= 10 { appendDigits(v / 10, to: &out) }
        out.append(UInt8(truncatingIfNeeded: 0x30 + v % 10))
    }

    /// `UTCTime(epochMillis:).rfc3339Millis`, formatted once per second and completed with
    /// the milliseconds.
    private func appendTimestamp(_ millis: Int64) {
        var second = millis / 1000
        var ms = millis % 1000
        if ms < 0 { second -= 1; ms += 1000 }
        if second != stampSecond {
            stampSecond = second
            let full = UTCTime(epochMillis: second * 1000).rfc3339Millis
            stampPrefix = Array(full.utf8.dropLast(4))  // without "000Z"
        }
        buffer.append(contentsOf: stampPrefix)
        buffer.append(UInt8(truncatingIfNeeded: 0x30 + ms / 100))
        buffer.append(UInt8(truncatingIfNeeded: 0x30 + ms / 10 % 10))
        buffer.append(UInt8(truncatingIfNeeded: 0x30 + ms % 10))
        buffer.append(UInt8(ascii: "Z"))
    }

    func flush() {
        flushScheduled = false
        guard !buffer.isEmpty else { return }
        sink.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    static func millis(_ seconds: Double) -> Double { (seconds * 1e6).rounded() / 1e3 }
}
