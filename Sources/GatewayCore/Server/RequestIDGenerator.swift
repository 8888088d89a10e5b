/// Request ids for one loop: a random prefix per generator and a counter, so ids are unique
/// across loops and restarts without a lock or a random draw per request.
public struct RequestIDGenerator: Sendable {
    private let prefix: String
    private var counter: UInt64 = 0

    public init() {
        prefix = String(UInt64.random(in: 0...UInt64.max) >> 16, radix: 36)
    }

    public mutating func next() -> String {
        counter &+= 1
        return "\(prefix)-\(counter)"
    }
}
