import GRDB

extension EventStore {
    /// Append-only: a released migration is never edited, a change is a new one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: deliveries, dead letters, events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE deliveries (
                        id INTEGER PRIMARY KEY,
                        source TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        dedupe_key TEXT NOT NULL UNIQUE,
                        received_at INTEGER NOT NULL,
                        headers TEXT NOT NULL,
                        body BLOB NOT NULL
                    );
                    CREATE TABLE dead_letters (
                        id INTEGER PRIMARY KEY,
                        source TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        headers TEXT NOT NULL,
                        body BLOB NOT NULL
                    );
                    -- AUTOINCREMENT: an event id is a stream position (Last-Event-ID), never reused.
                    CREATE TABLE events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        type TEXT NOT NULL,
                        source TEXT NOT NULL,
                        occurred_at TEXT NOT NULL,
                        subject_id TEXT NOT NULL,
                        data TEXT NOT NULL,
                        delivery_id INTEGER REFERENCES deliveries(id)
                    );
                    -- latest(subjectPrefix:): a range of subjects, the greatest id in each.
                    CREATE INDEX events_by_subject ON events(subject_id, id);
                    """)
        }
        return m
    }
}
