/// An event to append, built by an upstream's normalizer.
public struct NewEvent: Sendable, Equatable {
    public var type: String
    public var source: String
    /// RFC 3339.
    public var occurredAt: String
    public var subjectID: String
    /// JSON text.
    public var data: String

    public init(type: String, source: String, occurredAt: String, subjectID: String, data: String) {
        self.type = type
        self.source = source
        self.occurredAt = occurredAt
        self.subjectID = subjectID
        self.data = data
    }
}

/// An event as stored; ids increase and are never reused.
public struct StoredEvent: Sendable, Equatable {
    public var id: Int64
    public var type: String
    public var source: String
    public var occurredAt: String
    public var subjectID: String
    public var data: String

    public init(id: Int64, type: String, source: String, occurredAt: String, subjectID: String, data: String) {
        self.id = id
        self.type = type
        self.source = source
        self.occurredAt = occurredAt
        self.subjectID = subjectID
        self.data = data
    }
}

/// A raw delivery, read back for inspection.
public struct StoredDelivery: Sendable, Equatable {
    public var id: Int64
    public var source: String
    public var kind: String
    public var dedupeKey: String
    public var receivedAtMillis: Int64
    /// JSON object text.
    public var headers: String
    public var body: [UInt8]
}

/// A delivery kept because it could not be understood.
public struct DeadLetter: Sendable, Equatable {
    public var id: Int64
    public var source: String
    public var kind: String
    public var receivedAtMillis: Int64
    public var reason: String
    /// JSON object text.
    public var headers: String
    public var body: [UInt8]
}
