import struct Foundation.Data
import GatewayCore
import GRDB

/// The durable webhook inbox (PRODUCT.md §7): raw deliveries, dead letters, and the normalized
/// events built from them, in one SQLite file.
///
/// A receiver answers 2xx only after `store` returns, and `store` returns only after its
/// transaction has committed. The file runs in WAL mode with `synchronous=NORMAL`: a commit
/// is a `write()` of its frames to the WAL, which then sits in the kernel's page cache, so it
/// survives a kill -9 of the gateway (the kernel still flushes it); only an OS crash or power
/// loss can lose the last commits (never corrupt the file). `FULL` would add an fsync per
/// commit for that case, which §7 does not ask for.
///
/// Every access goes through GRDB's async API, so no event-loop thread waits on the disk.
public final class EventStore: Sendable {
    public enum StoreOutcome: Sendable, Equatable {
        /// The delivery and its events were committed.
        case stored(deliveryID: Int64, eventIDs: [Int64])
        /// A delivery with this dedupe key was already stored; nothing was written.
        case duplicate(deliveryID: Int64)
    }

    let db: any DatabaseWriter

    /// Opens (creating if needed) the store at `path`; ":memory:" gives a private in-memory
    /// database (no WAL there: SQLite keeps in-memory journals in memory).
    public init(path: String) throws {
        var config = Configuration()
        // Writers queue inside GRDB; the timeout covers another process (an admin shell)
        // holding the file.
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        if path == ":memory:" {
            db = try DatabaseQueue(configuration: config)
        } else {
            // A pool sets journal_mode=WAL and lets reads run beside the single writer.
            config.journalMode = .wal
            db = try DatabasePool(path: path, configuration: config)
        }
        try Self.migrator.migrate(db)
    }

    // MARK: - Writes

    /// Stores one delivery and its events in one transaction. A dedupe key seen before stores
    /// nothing and names the first delivery.
    public func store(
        source: String, kind: String, dedupeKey: String, receivedAtMillis: Int64,
        headers: [(name: String, value: String)], body: [UInt8], events: [NewEvent]
    ) async throws -> StoreOutcome {
        let headersJSON = Self.headersJSON(headers)
        let blob = Data(body)
        return try await db.write { db in
            if let first = try Int64.fetchOne(
                db, sql: "SELECT id FROM deliveries WHERE dedupe_key = ?", arguments: [dedupeKey])
            {
                return .duplicate(deliveryID: first)
            }
            try db.execute(
                sql: """
                    INSERT INTO deliveries (source, kind, dedupe_key, received_at, headers, body)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [source, kind, dedupeKey, receivedAtMillis, headersJSON, blob])
            let deliveryID = db.lastInsertedRowID
            var eventIDs: [Int64] = []
            eventIDs.reserveCapacity(events.count)
            for e in events {
                try db.execute(
                    sql: """
                        INSERT INTO events (type, source, occurred_at, subject_id, data, delivery_id)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [e.type, e.source, e.occurredAt, e.subjectID, e.data, deliveryID])
                eventIDs.append(db.lastInsertedRowID)
            }
            return .stored(deliveryID: deliveryID, eventIDs: eventIDs)
        }
    }

    /// Keeps a delivery that could not be understood, for inspection; returns its id.
    public func deadLetter(
        source: String, kind: String, receivedAtMillis: Int64, reason: String,
        headers: [(name: String, value: String)], body: [UInt8]
    ) async throws -> Int64 {
        let headersJSON = Self.headersJSON(headers)
        let blob = Data(body)
        return try await db.write { db in
            try db.execute(
                sql: """
                    INSERT INTO dead_letters (source, kind, received_at, reason, headers, body)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [source, kind, receivedAtMillis, reason, headersJSON, blob])
            return db.lastInsertedRowID
        }
    }

    /// `{"name":"value",...}` in the order given.
    static func headersJSON(_ headers: [(name: String, value: String)]) -> String {
        var o = JSONObject()
        for h in headers { o[h.name] = .string(h.value) }
        return JSON.object(o).text
    }
}
