#if canImport(Glibc)
import Glibc
#endif
import GatewayCore
import Yams

/// A configuration problem, named by the key the operator wrote (`upstreams.pipedrive.base_url`)
/// or the environment variable (`CRMGW_SERVER_PORT`), and where it came from. Never carries a
/// secret's value.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var message: String
    /// `config.yaml line 12`, `environment CRMGW_SERVER_PORT`, ...
    public var origin: String?

    public init(key: String, message: String, origin: String? = nil) {
        self.key = key
        self.message = message
        self.origin = origin
    }

    public var description: String { key + ": " + message + (origin.map { " (" + $0 + ")" } ?? "") }
}

/// Every problem found in one pass, so an operator fixes them all at once.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public var description: String {
        "invalid configuration:\n" + errors.map { "  - " + $0.description }.joined(separator: "\n")
    }
}

/// The file's YAML as plain values, with line numbers for error messages.
indirect enum ConfigNode {
    case scalar(String, plain: Bool, line: Int?)
    case map([(key: String, value: ConfigNode)], line: Int?)
    case list([ConfigNode], line: Int?)

    var line: Int? {
        switch self {
        case .scalar(_, _, let l), .map(_, let l), .list(_, let l): return l
        }
    }

    /// YAML's null (`~`, `null`, or nothing) as a plain scalar.
    var isNull: Bool {
        if case .scalar(let s, true, _) = self { return s.isEmpty || s == "~" || s.lowercased() == "null" }
        return false
    }

    /// Parses YAML text. `name` is how errors call the text (a file name or a variable).
    static func parse(_ text: String, name: String) throws(ConfigErrors) -> ConfigNode? {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigErrors(errors: [describe(error, name: name)])
        } catch {
            throw ConfigErrors(errors: [ConfigError(key: name, message: "not valid YAML")])
        }
        guard let node else { return nil }
        var errors: [ConfigError] = []
        let converted = convert(node, path: "", name: name, errors: &errors)
        if !errors.isEmpty { throw ConfigErrors(errors: errors) }
        return converted
    }

    /// Yams' own messages quote the surrounding text, which may hold a secret: only the
    /// problem and its position are kept.
    private static func describe(_ error: YamlError, name: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(key: name, message: "not valid YAML: \(problem)", origin: "line \(mark.line) column \(mark.column)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(key: duplicates.sorted().joined(separator: ", "), message: "given twice", origin: "\(name) line \(context.mark.line)")
        case .reader(let problem, let offset, _, _):
            return ConfigError(key: name, message: "not valid YAML text: \(problem)", origin: offset.map { "byte \($0)" })
        default:
            return ConfigError(key: name, message: "not valid YAML")
        }
    }

    private static func convert(_ node: Node, path: String, name: String, errors: inout [ConfigError]) -> ConfigNode {
        let line = node.mark?.line
        switch node {
        case .scalar(let s):
            return .scalar(s.string, plain: s.style == .plain || s.style == .any, line: line)
        case .sequence(let seq):
            return .list(seq.enumerated().map { convert($0.element, path: "\(path)[\($0.offset)]", name: name, errors: &errors) }, line: line)
        case .mapping(let m):
            var pairs: [(key: String, value: ConfigNode)] = []
            var seen = Set<String>()
            for (k, v) in m {
                guard case .scalar(let ks) = k else {
                    errors.append(ConfigError(key: path.isEmpty ? "(top level)" : path, message: "keys must be plain names", origin: "\(name) line \(k.mark?.line ?? 0)"))
                    continue
                }
                let key = ks.string
                let full = path.isEmpty ? key : path + "." + key
                if !seen.insert(key).inserted {
                    errors.append(ConfigError(key: full, message: "given twice", origin: "\(name) line \(k.mark?.line ?? 0)"))
                    continue
                }
                pairs.append((key, convert(v, path: full, name: name, errors: &errors)))
            }
            return .map(pairs, line: line)
        case .alias:
            errors.append(ConfigError(key: path.isEmpty ? "(top level)" : path, message: "YAML aliases are not supported", origin: "\(name) line \(line ?? 0)"))
            return .scalar("", plain: true, line: line)
        }
    }
}

/// Where a secret came from, for `check-config` (which shows this, never the value).
public enum SecretOrigin: Sendable, Equatable, CustomStringConvertible {
    case file(path: String)
    case inline(key: String)
    case environment(name: String)

    public var description: String {
        switch self {
        case .file(let p): return "from file " + p
        case .inline(let k): return "inline at " + k
        case .environment(let n): return "from environment " + n
        }
    }
}

/// Reads the configuration strictly: a key nobody asked for is an error, and so is a
/// `CRMGW_*` variable that names no key. Values come from the file, overridden by the
/// environment: `CRMGW_` + the key path in capitals joined by `_`
/// (`upstreams.pipedrive.base_url` -> `CRMGW_UPSTREAMS_PIPEDRIVE_BASE_URL`).
final class ConfigReader {
    let fileName: String
    let environment: [String: String]
    let readFile: (String) -> String?
    private(set) var errors: [ConfigError] = []
    private var usedVariables: Set<String> = []
    /// Variables the command line consumed itself (`CRMGW_CONFIG`).
    static let reservedVariables: Set<String> = ["CRMGW_CONFIG"]

    init(fileName: String, environment: [String: String], readFile: @escaping (String) -> String?) {
        self.fileName = fileName
        self.environment = environment
        self.readFile = readFile
    }

    func fail(_ key: String, _ message: String, origin: String? = nil) {
        errors.append(ConfigError(key: key, message: message, origin: origin))
    }

    func variable(for path: [String]) -> String {
        "CRMGW_" + path.map { $0.uppercased() }.joined(separator: "_")
    }

    /// The environment's value for a key path, marking the variable as used.
    func environmentValue(_ path: [String]) -> (name: String, value: String)? {
        let name = variable(for: path)
        guard let v = environment[name] else { return nil }
        usedVariables.insert(name)
        return (name, v)
    }

    /// Whether any variable starts with this path's prefix (a section set only by the environment).
    func environmentMentions(_ path: [String]) -> Bool {
        let prefix = variable(for: path) + "_"
        return environment.keys.contains { $0.hasPrefix(prefix) }
    }

    /// Every `CRMGW_*` variable nothing read is an error (a typo must not pass silently).
    func checkUnusedVariables() {
        for name in environment.keys.sorted() where name.hasPrefix("CRMGW_") {
            if usedVariables.contains(name) || Self.reservedVariables.contains(name) { continue }
            fail(name, "is not a configuration key (expected CRMGW_<SECTION>_<KEY>, e.g. CRMGW_SERVER_PORT)", origin: "environment")
        }
    }

    func fileOrigin(_ node: ConfigNode) -> String {
        node.line.map { "\(fileName) line \($0)" } ?? fileName
    }
}

/// One mapping of the configuration (the file's, possibly absent, plus the environment's
/// overrides), read key by key. `finish()` reports the keys nobody read.
struct ConfigSection {
    let reader: ConfigReader
    let path: [String]
    private let entries: [String: ConfigNode]
    private let order: [String]
    private var read: Set<String> = []

    init(reader: ConfigReader, path: [String], node: ConfigNode?) {
        self.reader = reader
        self.path = path
        var entries: [String: ConfigNode] = [:]
        var order: [String] = []
        switch node {
        case .map(let pairs, _)?:
            for p in pairs {
                entries[p.key] = p.value
                order.append(p.key)
            }
        case let n? where !n.isNull:
            reader.fail(path.isEmpty ? "(top level)" : path.joined(separator: "."), "must be a mapping of keys to values", origin: reader.fileOrigin(n))
        default:
            break
        }
        self.entries = entries
        self.order = order
    }

    func name(_ key: String) -> String { (path + [key]).joined(separator: ".") }

    /// Whether the file or the environment says anything under this section.
    var isMentioned: Bool { !entries.isEmpty || reader.environmentMentions(path) }

    /// Whether the file (non-null) or the environment gives this key, read or not.
    func present(_ key: String) -> Bool {
        if let n = entries[key], !n.isNull { return true }
        return reader.environment[reader.variable(for: path + [key])] != nil
    }

    /// A raw scalar: the environment's, else the file's. Nil when absent (or YAML null).
    mutating func scalar(_ key: String) -> (value: String, origin: String)? {
        read.insert(key)
        if let (n, v) = reader.environmentValue(path + [key]) { return (v, "environment " + n) }
        guard let node = entries[key], !node.isNull else { return nil }
        guard case .scalar(let s, _, _) = node else {
            reader.fail(name(key), "must be a single value", origin: reader.fileOrigin(node))
            return nil
        }
        return (s, reader.fileOrigin(node))
    }

    mutating func section(_ key: String) -> ConfigSection {
        read.insert(key)
        return ConfigSection(reader: reader, path: path + [key], node: entries[key])
    }

    /// A list from the file, or from the environment as YAML (`[a, b]`) or comma-separated text.
    mutating func list(_ key: String) -> [(node: ConfigNode, origin: String)]? {
        read.insert(key)
        if let (n, v) = reader.environmentValue(path + [key]) {
            let trimmed = v.trimmingSpaces()
            if trimmed.hasPrefix("[") || trimmed.hasPrefix("{") || trimmed.hasPrefix("-") || trimmed.contains("\n") {
                do throws(ConfigErrors) {
                    guard let node = try ConfigNode.parse(v, name: "environment " + n) else { return [] }
                    guard case .list(let items, _) = node else {
                        reader.fail(n, "must be a YAML list", origin: "environment")
                        return nil
                    }
                    return items.map { ($0, "environment " + n) }
                } catch {
                    for e in error.errors { reader.fail(n, e.message, origin: "environment") }
                    return nil
                }
            }
            return trimmed.isEmpty ? [] : trimmed.split(separator: ",").map { (.scalar(String($0).trimmingSpaces(), plain: false, line: nil), "environment " + n) }
        }
        guard let node = entries[key], !node.isNull else { return nil }
        guard case .list(let items, _) = node else {
            reader.fail(name(key), "must be a list", origin: reader.fileOrigin(node))
            return nil
        }
        return items.map { ($0, reader.fileOrigin($0)) }
    }

    /// Keys present in the file under this section (for maps keyed by the operator, e.g. TTL classes).
    var fileKeys: [String] { order }

    /// Reports every key in the file nobody read.
    func finish(known: [String] = []) {
        for key in order where !read.contains(key) {
            let hint = known.isEmpty ? "" : " (known here: " + known.joined(separator: ", ") + ")"
            reader.fail(name(key), "is not a configuration key" + hint, origin: entries[key].map(reader.fileOrigin))
        }
    }

    // MARK: typed values

    mutating func string(_ key: String) -> String? {
        guard let (v, origin) = scalar(key) else { return nil }
        if v.isEmpty { reader.fail(name(key), "must not be empty", origin: origin); return nil }
        return v
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let (v, origin) = scalar(key) else { return nil }
        switch v.lowercased() {
        case "true": return true
        case "false": return false
        default:
            reader.fail(name(key), "must be true or false, not \"\(v)\"", origin: origin)
            return nil
        }
    }

    /// A value parsed from its text, then checked against a range; each failure names the key.
    private mutating func parsed<T: Comparable>(_ key: String, in range: ClosedRange<T>, expected: String,
                                                parse: (String) -> T?, show: (T) -> String) -> T? {
        guard let (v, origin) = scalar(key) else { return nil }
        guard let x = parse(v) else {
            reader.fail(name(key), "must be \(expected), not \"\(v)\"", origin: origin)
            return nil
        }
        guard range.contains(x) else {
            reader.fail(name(key), "must be between \(show(range.lowerBound)) and \(show(range.upperBound)), not \(v)", origin: origin)
            return nil
        }
        return x
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        parsed(key, in: range, expected: "a whole number", parse: { Int($0.replacingUnderscores()) }, show: { String($0) })
    }

    /// `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds.
    mutating func duration(_ key: String, in range: ClosedRange<Duration>) -> Duration? {
        parsed(key, in: range, expected: "a duration such as 500ms, 10s, 2m or 1h", parse: ConfigValues.duration, show: ConfigValues.format)
    }

    /// `65536`, `64KiB`, `64MiB`, `1GiB` (also KB/MB/GB, powers of 1000).
    mutating func bytes(_ key: String, in range: ClosedRange<Int>) -> Int? {
        parsed(key, in: range, expected: "a size such as 65536, 512KiB or 64MiB", parse: ConfigValues.bytes, show: { "\($0) bytes" })
    }

    mutating func oneOf(_ key: String, _ allowed: [String]) -> String? {
        guard let (v, origin) = scalar(key) else { return nil }
        guard allowed.contains(v) else {
            reader.fail(name(key), "must be one of " + allowed.joined(separator: ", ") + ", not \"\(v)\"", origin: origin)
            return nil
        }
        return v
    }

    /// A secret given as `<key>` (the value) or `<key>_file` (a path whose content is the
    /// value, e.g. a container secret; one trailing newline is dropped). Never both.
    mutating func secret(_ key: String) -> Secret? {
        let inline = scalar(key)
        let file = scalar(key + "_file")
        switch (inline, file) {
        case (nil, nil):
            return nil
        case (_?, _?):
            reader.fail(name(key), "give either \(key) or \(key)_file, not both")
            return nil
        case (let (v, origin)?, nil):
            if v.isEmpty { reader.fail(name(key), "must not be empty", origin: origin); return nil }
            let o: SecretOrigin = origin.hasPrefix("environment ") ? .environment(name: String(origin.dropFirst(12))) : .inline(key: name(key))
            return Secret(v, origin: o)
        case (nil, let (path, origin)?):
            guard var content = reader.readFile(path) else {
                reader.fail(name(key + "_file"), "cannot read \(path)", origin: origin)
                return nil
            }
            // "\r\n" is one Character: one removal drops either ending.
            if content.hasSuffix("\n") || content.hasSuffix("\r\n") { content.removeLast() }
            if content.isEmpty { reader.fail(name(key + "_file"), "\(path) is empty", origin: origin); return nil }
            if content.contains(where: { $0 == "\n" || $0 == "\r" }) {
                reader.fail(name(key + "_file"), "\(path) holds more than one line", origin: origin)
                return nil
            }
            return Secret(content, origin: .file(path: path))
        }
    }
}

/// A credential with where it came from. Printing it never shows the value.
public struct Secret: Sendable, Equatable, CustomStringConvertible {
    public let value: String
    public let origin: SecretOrigin

    public init(_ value: String, origin: SecretOrigin) {
        self.value = value
        self.origin = origin
    }

    public var description: String { "<secret " + origin.description + ">" }
}

enum ConfigValues {
    static func duration(_ text: String) -> Duration? {
        let s = text.trimmingSpaces().lowercased()
        let units: [(String, Double)] = [("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            // "ms" before "s" and "m": the first suffix that leaves a number wins.
            guard let n = Double(String(s.dropLast(suffix.count))), n.isFinite, n >= 0 else { continue }
            return .nanoseconds(Int64((n * scale * 1e9).rounded()))
        }
        guard let n = Double(s), n.isFinite, n >= 0 else { return nil }
        return .nanoseconds(Int64((n * 1e9).rounded()))
    }

    static func bytes(_ text: String) -> Int? {
        let s = text.trimmingSpaces().replacingUnderscores()
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let n = Int(String(s.dropLast(suffix.count)).trimmingSpaces()), n >= 0 else { return nil }
            let (r, overflow) = n.multipliedReportingOverflow(by: scale)
            return overflow ? nil : r
        }
        return Int(s).flatMap { $0 >= 0 ? $0 : nil }
    }

    static func format(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        if ms % 3_600_000 == 0 && ms > 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 && ms > 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
