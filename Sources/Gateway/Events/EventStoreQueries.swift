import struct Foundation.Data
import GRDB

extension EventStore {
    /// Events with ids greater than `after`, ascending, at most `limit`.
    public func events(after: Int64, limit: Int) async throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        return try await db.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, type, source, occurred_at, subject_id, data FROM events
                    WHERE id > ? ORDER BY id LIMIT ?
                    """,
                arguments: [after, limit]
            ).map(Self.event)
        }
    }

    /// The greatest event id, 0 when there is none.
    public func latestEventID() async throws -> Int64 {
        try await db.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM events") ?? 0
        }
    }

    /// For each subject id starting with `subjectPrefix` (and greater than `after`), its most
    /// recent event, ordered by subject id: the current state of a record, a deletion
    /// showing as its event type.
    public func latest(subjectPrefix: String, limit: Int, after: String?) async throws -> [StoredEvent] {
        guard limit > 0 else { return [] }
        var lower = subjectPrefix
        var lowerOp = ">="
        if let after, after >= subjectPrefix {
            lower = after
            lowerOp = ">"
        }
        let upper = Self.prefixUpperBound(subjectPrefix)
        let upperClause = upper == nil ? "" : "AND subject_id < :upper"
        let sql = """
            SELECT e.id, e.type, e.source, e.occurred_at, e.subject_id, e.data
            FROM (
                SELECT MAX(id) AS id FROM events
                WHERE subject_id \(lowerOp) :lower \(upperClause)
                GROUP BY subject_id ORDER BY subject_id LIMIT :limit
            ) AS last
            JOIN events AS e ON e.id = last.id
            ORDER BY e.subject_id
            """
        var arguments: StatementArguments = ["lower": lower, "limit": limit]
        if let upper { arguments += ["upper": upper] }
        let args = arguments
        return try await db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: args).map(Self.event)
        }
    }

    public func counts() async throws -> (deliveries: Int, deadLetters: Int, events: Int) {
        let c = try await db.read { db in
            try [
                Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries") ?? 0,
                Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters") ?? 0,
                Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0,
            ]
        }
        return (c[0], c[1], c[2])
    }

    public func delivery(id: Int64) async throws -> StoredDelivery? {
        try await db.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT id, source, kind, dedupe_key, received_at, headers, body
                    FROM deliveries WHERE id = ?
                    """,
                arguments: [id]
            ).map { r in
                StoredDelivery(
                    id: r[0], source: r[1], kind: r[2], dedupeKey: r[3], receivedAtMillis: r[4],
                    headers: r[5], body: [UInt8]((r[6] as Data?) ?? Data()))
            }
        }
    }

    /// Dead letters with ids greater than `after`, ascending, at most `limit`.
    public func deadLetters(after: Int64, limit: Int) async throws -> [DeadLetter] {
        guard limit > 0 else { return [] }
        return try await db.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, source, kind, received_at, reason, headers, body
                    FROM dead_letters WHERE id > ? ORDER BY id LIMIT ?
                    """,
                arguments: [after, limit]
            ).map { r in
                DeadLetter(
                    id: r[0], source: r[1], kind: r[2], receivedAtMillis: r[3], reason: r[4],
                    headers: r[5], body: [UInt8]((r[6] as Data?) ?? Data()))
            }
        }
    }

    static func event(_ r: Row) -> StoredEvent {
        StoredEvent(id: r[0], type: r[1], source: r[2], occurredAt: r[3], subjectID: r[4], data: r[5])
    }

    /// The least string greater than every string that starts with `prefix` (nil: none).
    /// SQLite's BINARY collation compares UTF-8 bytes, which order like Unicode scalars, so
    /// bumping the last scalar that can be bumped bounds the prefix's range.
    static func prefixUpperBound(_ prefix: String) -> String? {
        var scalars = Array(prefix.unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next == 0xD800 { next = 0xE000 }  // surrogates are not scalars
            if let s = Unicode.Scalar(next) {
                scalars.append(s)
                var out = String.UnicodeScalarView()
                out.append(contentsOf: scalars)
                return String(out)
            }
        }
        return nil
    }
}

// Internal, for tests (`@testable`): the connection's settings and a raw statement.
extension EventStore {
    func pragma(_ name: String) async throws -> String? {
        try await db.read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    func execute(_ sql: String) async throws {
        try await db.write { db in try db.execute(sql: sql) }
    }
}
