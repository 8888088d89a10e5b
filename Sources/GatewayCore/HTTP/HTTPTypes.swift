// Value types shared by the request parser, the chunked decoder and the server.
// Standard library only: scripts/fuzz.sh compiles this file directly with swiftc.

/// A request method: any token (RFC 9110 §9.1), with the registered ones as constants.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public static let GET = HTTPMethod(rawValue: "GET")
    public static let HEAD = HTTPMethod(rawValue: "HEAD")
    public static let POST = HTTPMethod(rawValue: "POST")
    public static let PUT = HTTPMethod(rawValue: "PUT")
    public static let PATCH = HTTPMethod(rawValue: "PATCH")
    public static let DELETE = HTTPMethod(rawValue: "DELETE")
    public static let OPTIONS = HTTPMethod(rawValue: "OPTIONS")
    public static let CONNECT = HTTPMethod(rawValue: "CONNECT")
    public static let TRACE = HTTPMethod(rawValue: "TRACE")

    public var description: String { rawValue }
}

public enum HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    case http10, http11

    /// As written on the wire: "HTTP/1.0" or "HTTP/1.1".
    public var description: String {
        switch self {
        case .http10: return "HTTP/1.0"
        case .http11: return "HTTP/1.1"
        }
    }
}

/// Header fields in the order received, names as received. Look-ups compare names
/// ASCII-case-insensitively (RFC 9110 §5.1).
public struct HTTPHeaders: Sendable, Sequence, Equatable, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    public typealias Element = (name: String, value: String)

    @usableFromInline var fields: [Element]

    public init() { fields = [] }

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// `[("Name", "value"), ...]`: unlike a dictionary literal, repeats a name freely.
    public init(arrayLiteral elements: (String, String)...) {
        self.init(elements)
    }

    @inlinable init(reservingCapacity capacity: Int) {
        fields = []
        fields.reserveCapacity(capacity)
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        for field in fields where asciiCaseInsensitiveEquals(field.name, name) {
            return field.value
        }
        return nil
    }

    /// Every value of `name`, in order received (field lines are not split on commas).
    public func values(_ name: String) -> [String] {
        fields.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool {
        fields.contains { asciiCaseInsensitiveEquals($0.name, name) }
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces the first field named `name` and removes the others, or appends one.
    public mutating func replaceOrAdd(_ name: String, _ value: String) {
        guard let first = fields.firstIndex(where: { asciiCaseInsensitiveEquals($0.name, name) }) else {
            add(name, value)
            return
        }
        fields[first] = (name: name, value: value)
        var index = fields.count - 1
        while index > first {
            if asciiCaseInsensitiveEquals(fields[index].name, name) { fields.remove(at: index) }
            index -= 1
        }
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// Appends to the last field's value (an obs-fold continuation line, RFC 9112 §5.2).
    public mutating func appendToLastValue(_ more: String) {
        guard !fields.isEmpty else { return }
        fields[fields.count - 1].value += more
    }

    public mutating func removeAll(keepingCapacity: Bool = false) {
        fields.removeAll(keepingCapacity: keepingCapacity)
    }

    public mutating func reserveCapacity(_ n: Int) { fields.reserveCapacity(n) }

    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    /// Same fields in the same order; names compared exactly.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for (l, r) in zip(lhs.fields, rhs.fields) where l.name != r.name || l.value != r.value {
            return false
        }
        return true
    }
}

/// How the request body is delimited (RFC 9112 §6.3).
public enum BodyFraming: Equatable, Sendable {
    case none
    case contentLength(Int)
    case chunked
}

public struct HTTPLimits: Sendable {
    /// Request line without its CRLF (exceeded: 414).
    public var maxRequestLineBytes = 8192
    /// Header section after the request line, including the blank line (exceeded: 431).
    public var maxHeaderBytes = 32768
    /// Field lines in the header section (exceeded: 431).
    public var maxHeaderCount = 100
    /// Largest accepted Content-Length or decoded chunked body (exceeded: 413).
    public var maxBodyBytes = 1 << 20

    public init() {}
}

/// Why a request was rejected: the status to answer with, then close the connection.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }
}

public struct HTTPRequestHead: Sendable, Equatable {
    public var method: HTTPMethod
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The target's path without the query; the path of an absolute-form target ("/" if empty),
    /// "*" for asterisk-form, "" for authority-form (CONNECT).
    public var path: String
    /// The target's query without the "?", or nil when there is no "?".
    public var query: String?
    /// The Host header value, or the authority of an absolute-form target (RFC 9112 §3.2.2);
    /// "" only for HTTP/1.0 without Host.
    public var host: String
    public var framing: BodyFraming
    public var keepAlive: Bool
    public var expectsContinue: Bool

    public init(
        method: HTTPMethod, target: String, version: HTTPVersion, headers: HTTPHeaders,
        path: String, query: String?, host: String, framing: BodyFraming,
        keepAlive: Bool, expectsContinue: Bool
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.path = path
        self.query = query
        self.host = host
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    /// Builds a head for an origin-form target without parsing, e.g. to drive a router in tests.
    /// `path`/`query` come from `target`, `host` from the Host header, `keepAlive` from the version.
    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http11,
        headers: HTTPHeaders = HTTPHeaders(), framing: BodyFraming = .none
    ) {
        let path: Substring
        let query: String?
        if let mark = target.firstIndex(of: "?") {
            path = target[..<mark]
            query = String(target[target.index(after: mark)...])
        } else {
            path = target[...]
            query = nil
        }
        self.init(
            method: method, target: target, version: version, headers: headers,
            path: String(path), query: query, host: headers["Host"] ?? "", framing: framing,
            keepAlive: version == .http11, expectsContinue: false)
    }
}

/// The lengths first, inline (most names compared differ in length), then the bytes.
@inlinable @inline(__always)
func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    a.utf8.count == b.utf8.count && asciiCaseInsensitiveEqualBytes(a, b)
}

@usableFromInline
func asciiCaseInsensitiveEqualBytes(_ a: String, _ b: String) -> Bool {
    let a = a.utf8, b = b.utf8
    // Native strings (all of them here) are contiguous UTF-8: compare the bytes directly.
    if let same = a.withContiguousStorageIfAvailable({ x in
        b.withContiguousStorageIfAvailable { y -> Bool in
            for k in 0..<x.count where x[k] != y[k] && asciiLower(x[k]) != asciiLower(y[k]) { return false }
            return true
        }
    }), let same {
        return same
    }
    for (x, y) in zip(a, b) where x != y && asciiLower(x) != asciiLower(y) {
        return false
    }
    return true
}

@inline(__always) @usableFromInline
func asciiLower(_ byte: UInt8) -> UInt8 {
    byte &- 0x41 < 26 ? byte | 0x20 : byte
}
