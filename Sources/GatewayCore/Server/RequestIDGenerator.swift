/// Request ids for one loop: a random prefix per generator and a counter, so ids are unique
/// across loops and restarts without a lock or a random draw per request.
public struct RequestIDGenerator: Sendable {
    private let prefix: [UInt8]
    private var counter: UInt64 = 0

    /// Seven base-36 characters (36 random bits) per generator. With the counter in base 36
    /// too, `<prefix>-<counter>` fits Swift's 15-byte inline string for the first 36^7
    /// (7.8e10) requests: making one allocates nothing.
    public init() {
        var v = UInt64.random(in: 0..<78_364_164_096)  // 36^7
        var p = [UInt8](repeating: 0x30, count: 7)
        for i in (0..<7).reversed() {
            p[i] = Self.digit(v % 36)
            v /= 36
        }
        prefix = p
    }

    private static func digit(_ d: UInt64) -> UInt8 {
        d < 10 ? 0x30 + UInt8(d) : 0x61 + UInt8(d - 10)
    }

    /// `<prefix>-<counter>`, written as bytes (every request makes one).
    public mutating func next() -> String {
        counter &+= 1
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix.count + 14) { buf in
            var n = 0
            for b in prefix { buf[n] = b; n += 1 }
            buf[n] = UInt8(ascii: "-"); n += 1
            var digits = 0
            var v = counter
            repeat { digits += 1; v /= 36 } while v > 0
            v = counter
            for k in stride(from: n + digits - 1, through: n, by: -1) {
                buf[k] = Self.digit(v % 36)
                v /= 36
            }
            n += digits
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }
}
