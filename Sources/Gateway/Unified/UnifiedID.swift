import GatewayCore

/// A unified id (§4): `<source>:<kind>:<remote id>`, stateless and readable. The remote id
/// is everything after the second colon, so it may hold colons itself (Text Request's
/// `<dashboard>:<phone>`).
public struct UnifiedID: Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var kind: String
    public var remote: String

    public init(source: String, kind: String, remote: String) {
        self.source = source
        self.kind = kind
        self.remote = remote
    }

    /// Nil unless the text has a non-empty source, kind and remote part.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        source = String(parts[0])
        kind = String(parts[1])
        remote = String(parts[2])
    }

    public var description: String { "\(source):\(kind):\(remote)" }

    /// The remote part as a positive integer (Pipedrive, HotProfile ids).
    public var integerRemote: Int? {
        guard let v = Int(remote), v > 0, String(v) == remote else { return nil }
        return v
    }
}

/// A related record as reads show it: `{id, name}`.
public struct Ref: Sendable, Equatable {
    public var id: String
    public var name: String?

    public init(id: String, name: String? = nil) {
        self.id = id
        self.name = name
    }

    public var json: JSON { ["id": .string(id), "name": JSON(name)] }
}
