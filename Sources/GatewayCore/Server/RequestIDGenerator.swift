/// Request ids for one loop: a random prefix per generator and a counter, so ids are unique
/// across loops and restarts without a lock or a random draw per request.
public struct RequestIDGenerator: Sendable {
    private let prefix: [UInt8]
    private var counter: UInt64 = 0

    public init() {
        prefix = Array(String(UInt64.random(in: 0...UInt64.max) >> 16, radix: 36).utf8)
    }

    /// `<prefix>-<counter>`, written as bytes (every request makes one).
    public mutating func next() -> String {
        counter &+= 1
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: prefix.count + 21) { buf in
            var n = 0
            for b in prefix { buf[n] = b; n += 1 }
            buf[n] = UInt8(ascii: "-"); n += 1
            var digits = 0
            var v = counter
            repeat { digits += 1; v /= 10 } while v > 0
            v = counter
            for k in stride(from: n + digits - 1, through: n, by: -1) {
                buf[k] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                v /= 10
            }
            n += digits
            return String(decoding: UnsafeBufferPointer(rebasing: buf[0..<n]), as: UTF8.self)
        }
    }
}
