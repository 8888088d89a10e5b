import GatewayCore

/// A lead or an opportunity as Hana stores it: its attributes as last written (plain raw
/// values, `id` first), the chat it came from, and for an opportunity the lead it belongs to.
struct HanaRecord: Sendable, Equatable {
    var attributes: JSONObject
    /// The Hana chat (`https://bot.hana.ai/apps/<app>/chats/<chatID>`).
    var chatID: String
    var leadID: String?

    var id: String { attributes["id"]?.stringValue ?? "" }
}

/// Everything `reset()` puts back.
struct HanaState: Sendable {
    var leads: [HanaRecord] = []
    var opportunities: [HanaRecord] = []
    /// Draws ids and demo values for records created after seeding.
    var random: HanaRandom
    /// Records generated so far (seeded and created), numbering the next one.
    var generated = 0
    /// Where `deliver` of an `.updated` event without an `id` continues, per kind.
    var updateCursor: [HanaKind: Int] = [:]

    subscript(kind: HanaKind) -> [HanaRecord] {
        get { kind == .lead ? leads : opportunities }
        set { if kind == .lead { leads = newValue } else { opportunities = newValue } }
    }

    func index(of id: String, _ kind: HanaKind) -> Int? {
        self[kind].firstIndex { $0.id == id }
    }

    func record(_ id: String, _ kind: HanaKind) -> HanaRecord? {
        index(of: id, kind).map { self[kind][$0] }
    }
}

/// SplitMix64: a fixed seed gives the same demo data on every run and platform.
struct HanaRandom: Sendable {
    private var core: SplitMix64

    init(seed: UInt64) { core = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { core.next() }

    /// Uniform in `range` (the modulo bias is irrelevant for demo data).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// `n` distinct items in their original order.
    mutating func subset<T>(_ items: [T], count n: Int) -> [T] {
        var chosen = Set<Int>()
        while chosen.count < min(n, items.count) { chosen.insert(int(0...(items.count - 1))) }
        return chosen.sorted().map { items[$0] }
    }

    mutating func hex(_ digits: Int) -> String {
        let alphabet = Array("0123456789abcdef")
        return String((0..<digits).map { _ in alphabet[int(0...15)] })
    }

    /// A version-4 UUID in lowercase.
    mutating func uuid() -> String {
        let variant = ["8", "9", "a", "b"][int(0...3)]
        return "\(hex(8))-\(hex(4))-4\(hex(3))-\(variant)\(hex(3))-\(hex(12))"
    }
}
