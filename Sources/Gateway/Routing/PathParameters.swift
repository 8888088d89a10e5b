/// A matched route's path parameters (`{id}` -> its decoded value). Routes have one or two:
/// those sit inline, so binding a route costs no dictionary (no hashing, no table), and a
/// lookup is a comparison or two.
public struct PathParameters: Sendable, Equatable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    private var first: (name: String, value: String)?
    private var second: (name: String, value: String)?
    private var more: [(name: String, value: String)] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (n, v) in elements { self[n] = v }
    }

    /// The value of `name`, or nil. Setting replaces an existing value or appends.
    public subscript(name: String) -> String? {
        get {
            if let f = first, f.name == name { return f.value }
            if let s = second, s.name == name { return s.value }
            for p in more where p.name == name { return p.value }
            return nil
        }
        set {
            guard let newValue else {
                let kept = pairs.filter { $0.name != name }
                self = PathParameters()
                for p in kept { append(p.name, p.value) }
                return
            }
            if first?.name == name { first = (name, newValue); return }
            if second?.name == name { second = (name, newValue); return }
            if let i = more.firstIndex(where: { $0.name == name }) { more[i].value = newValue; return }
            append(name, newValue)
        }
    }

    /// Adds a parameter without looking for an earlier one of the same name (the router's
    /// templates never repeat a name).
    mutating func append(_ name: String, _ value: String) {
        if first == nil { first = (name, value) } else if second == nil { second = (name, value) } else { more.append((name, value)) }
    }

    public var count: Int { (first == nil ? 0 : 1) + (second == nil ? 0 : 1) + more.count }
    public var isEmpty: Bool { first == nil }

    /// Every parameter, in the order of the template.
    public var pairs: [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        if let first { out.append(first) }
        if let second { out.append(second) }
        return out + more
    }

    public var dictionary: [String: String] {
        Dictionary(pairs.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// Same names with the same values, in any order.
    public static func == (a: PathParameters, b: PathParameters) -> Bool {
        a.count == b.count && a.pairs.allSatisfy { b[$0.name] == $0.value }
    }

    public var description: String { dictionary.description }
}
