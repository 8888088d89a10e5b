@testable import Gateway
import Glibc
import Testing

/// A fresh database file under /tmp, removed (with its WAL and shm files) by `remove()`.
private struct TempDatabase {
    let path: String
    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = "/tmp/eventstore-\(safe)-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).sqlite"
    }
    func remove() {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }
}

private func event(_ type: String, _ subject: String, _ data: String = "{}", at: String = "2026-12-01T10:00:00Z") -> NewEvent {
    NewEvent(type: type, source: "hana", occurredAt: at, subjectID: subject, data: data)
}

private func store(
    _ s: EventStore, key: String, events: [NewEvent], body: String = "{}", at millis: Int64 = 1_000
) async throws -> EventStore.StoreOutcome {
    try await s.store(
        source: "hana", kind: "lead.updated", dedupeKey: key, receivedAtMillis: millis,
        headers: [(name: "content-type", value: "application/json")], body: Array(body.utf8), events: events)
}

@Suite struct EventStoreTests {
    @Test func storedDeliveryAndEventsReadBackExactly() async throws {
        let s = try EventStore(path: ":memory:")
        let outcome = try await s.store(
            source: "hana", kind: "lead.created", dedupeKey: "hana:evt-1", receivedAtMillis: 1_764_583_200_123,
            headers: [(name: "content-type", value: "application/json"), (name: "x-hana-event", value: "lead.created")],
            body: Array(#"{"id":7}"#.utf8),
            events: [
                NewEvent(type: "contact.created", source: "hana", occurredAt: "2026-12-01T10:00:00Z",
                         subjectID: "hana:lead:7", data: #"{"name":"Ann \"A\""}"#),
                NewEvent(type: "deal.created", source: "hana", occurredAt: "2026-12-01T10:00:01.5Z",
                         subjectID: "hana:opportunity:3", data: "{}"),
            ])
        #expect(outcome == .stored(deliveryID: 1, eventIDs: [1, 2]))

        let delivery = try await s.delivery(id: 1)
        #expect(delivery == StoredDelivery(
            id: 1, source: "hana", kind: "lead.created", dedupeKey: "hana:evt-1", receivedAtMillis: 1_764_583_200_123,
            headers: #"{"content-type":"application/json","x-hana-event":"lead.created"}"#,
            body: Array(#"{"id":7}"#.utf8)))
        #expect(try await s.events(after: 0, limit: 10) == [
            StoredEvent(id: 1, type: "contact.created", source: "hana", occurredAt: "2026-12-01T10:00:00Z",
                        subjectID: "hana:lead:7", data: #"{"name":"Ann \"A\""}"#),
            StoredEvent(id: 2, type: "deal.created", source: "hana", occurredAt: "2026-12-01T10:00:01.5Z",
                        subjectID: "hana:opportunity:3", data: "{}"),
        ])
        #expect(try await s.latestEventID() == 2)
        let c = try await s.counts()
        #expect(c.deliveries == 1 && c.deadLetters == 0 && c.events == 2)
    }

    @Test func emptyBodyAndNoEventsAreStored() async throws {
        let s = try EventStore(path: ":memory:")
        let outcome = try await s.store(
            source: "pipedrive", kind: "ping", dedupeKey: "p:1", receivedAtMillis: 5, headers: [], body: [], events: [])
        #expect(outcome == .stored(deliveryID: 1, eventIDs: []))
        #expect(try await s.delivery(id: 1)?.body == [])
        #expect(try await s.delivery(id: 1)?.headers == "{}")
        #expect(try await s.latestEventID() == 0)
    }

    @Test func duplicateDedupeKeyStoresNothingAndNamesTheFirstDelivery() async throws {
        let s = try EventStore(path: ":memory:")
        #expect(try await store(s, key: "a", events: [event("contact.created", "hana:lead:1")]) == .stored(deliveryID: 1, eventIDs: [1]))
        #expect(try await store(s, key: "b", events: [event("contact.updated", "hana:lead:1")]) == .stored(deliveryID: 2, eventIDs: [2]))
        let again = try await store(s, key: "a", events: [event("contact.created", "hana:lead:1"), event("x", "y")],
                                    body: "different", at: 9_999)
        #expect(again == .duplicate(deliveryID: 1))
        let c = try await s.counts()
        #expect(c.deliveries == 2 && c.events == 2)
        #expect(try await s.delivery(id: 1)?.body == Array("{}".utf8))
        #expect(try await s.delivery(id: 1)?.receivedAtMillis == 1_000)
    }

    @Test func deadLettersAreKept() async throws {
        let s = try EventStore(path: ":memory:")
        let first = try await s.deadLetter(
            source: "textrequest", kind: "msg_received", receivedAtMillis: 42, reason: "invalid JSON at byte 3: expected value",
            headers: [(name: "content-type", value: "application/json")], body: Array("{x".utf8))
        let second = try await s.deadLetter(
            source: "hana", kind: "lead.created", receivedAtMillis: 43, reason: "missing id", headers: [], body: [0, 255])
        #expect(first == 1 && second == 2)
        #expect(try await s.deadLetters(after: 0, limit: 10) == [
            DeadLetter(id: 1, source: "textrequest", kind: "msg_received", receivedAtMillis: 42,
                       reason: "invalid JSON at byte 3: expected value",
                       headers: #"{"content-type":"application/json"}"#, body: Array("{x".utf8)),
            DeadLetter(id: 2, source: "hana", kind: "lead.created", receivedAtMillis: 43, reason: "missing id",
                       headers: "{}", body: [0, 255]),
        ])
        #expect(try await s.deadLetters(after: 1, limit: 10).map(\.id) == [2])
        let c = try await s.counts()
        #expect(c.deliveries == 0 && c.deadLetters == 2 && c.events == 0)
    }

    @Test func eventsAfterPagesExactly() async throws {
        let s = try EventStore(path: ":memory:")
        for i in 1...7 {
            _ = try await store(s, key: "k\(i)", events: [event("contact.updated", "hana:lead:\(i)")])
        }
        #expect(try await s.events(after: 0, limit: 3).map(\.id) == [1, 2, 3])
        #expect(try await s.events(after: 3, limit: 3).map(\.id) == [4, 5, 6])
        #expect(try await s.events(after: 6, limit: 3).map(\.id) == [7])
        #expect(try await s.events(after: 7, limit: 3) == [])
        #expect(try await s.events(after: 0, limit: 0) == [])
        #expect(try await s.events(after: 5, limit: 1).map(\.subjectID) == ["hana:lead:6"])
    }

    @Test func latestGivesTheLastStatePerSubjectWithDeletionsVisible() async throws {
        let s = try EventStore(path: ":memory:")
        _ = try await store(s, key: "1", events: [event("contact.created", "hana:lead:2", #"{"v":1}"#)])
        _ = try await store(s, key: "2", events: [event("contact.created", "hana:lead:1", #"{"v":1}"#)])
        _ = try await store(s, key: "3", events: [event("contact.updated", "hana:lead:2", #"{"v":2}"#),
                                                  event("deal.created", "hana:opportunity:1")])
        _ = try await store(s, key: "4", events: [event("contact.created", "hana:lead:3", #"{"v":1}"#)])
        _ = try await store(s, key: "5", events: [event("contact.deleted", "hana:lead:1", #"{"v":2}"#)])
        _ = try await store(s, key: "6", events: [event("contact.updated", "pipedrive:person:1")])

        let all = try await s.latest(subjectPrefix: "hana:lead:", limit: 10, after: nil)
        #expect(all.map(\.subjectID) == ["hana:lead:1", "hana:lead:2", "hana:lead:3"])
        #expect(all.map(\.type) == ["contact.deleted", "contact.updated", "contact.created"])
        #expect(all.map(\.id) == [6, 3, 5])
        #expect(all.map(\.data) == [#"{"v":2}"#, #"{"v":2}"#, #"{"v":1}"#])

        #expect(try await s.latest(subjectPrefix: "hana:lead:", limit: 2, after: nil).map(\.subjectID) == ["hana:lead:1", "hana:lead:2"])
        #expect(try await s.latest(subjectPrefix: "hana:lead:", limit: 2, after: "hana:lead:2").map(\.subjectID) == ["hana:lead:3"])
        #expect(try await s.latest(subjectPrefix: "hana:lead:", limit: 2, after: "hana:lead:3") == [])
        // An `after` below the prefix starts at the prefix.
        #expect(try await s.latest(subjectPrefix: "hana:lead:", limit: 1, after: "a").map(\.subjectID) == ["hana:lead:1"])
        #expect(try await s.latest(subjectPrefix: "hana:", limit: 10, after: nil).map(\.subjectID)
                == ["hana:lead:1", "hana:lead:2", "hana:lead:3", "hana:opportunity:1"])
        #expect(try await s.latest(subjectPrefix: "", limit: 10, after: "hana:opportunity:1").map(\.subjectID) == ["pipedrive:person:1"])
        #expect(try await s.latest(subjectPrefix: "hana:contact:", limit: 10, after: nil) == [])
    }

    @Test func prefixUpperBoundBumpsTheLastScalar() {
        #expect(EventStore.prefixUpperBound("hana:lead:") == "hana:lead;")
        #expect(EventStore.prefixUpperBound("a\u{D7FF}") == "a\u{E000}")
        #expect(EventStore.prefixUpperBound("a\u{10FFFF}") == "b")
        #expect(EventStore.prefixUpperBound("\u{10FFFF}") == nil)
        #expect(EventStore.prefixUpperBound("") == nil)
    }

    @Test func dataSurvivesClosingAndReopeningTheFile() async throws {
        let db = TempDatabase()
        defer { db.remove() }
        do {
            let s = try EventStore(path: db.path)
            _ = try await store(s, key: "a", events: [event("contact.created", "hana:lead:1"), event("deal.created", "hana:opportunity:1")])
            _ = try await s.deadLetter(source: "hana", kind: "lead.created", receivedAtMillis: 1, reason: "bad", headers: [], body: [1])
        }
        let reopened = try EventStore(path: db.path)
        let c = try await reopened.counts()
        #expect(c.deliveries == 1 && c.deadLetters == 1 && c.events == 2)
        #expect(try await reopened.events(after: 0, limit: 10).map(\.subjectID) == ["hana:lead:1", "hana:opportunity:1"])
        #expect(try await store(reopened, key: "a", events: []) == .duplicate(deliveryID: 1))
        #expect(try await store(reopened, key: "b", events: [event("contact.updated", "hana:lead:1")]) == .stored(deliveryID: 2, eventIDs: [3]))
    }

    @Test func walModeIsOnForAFile() async throws {
        let db = TempDatabase()
        defer { db.remove() }
        let s = try EventStore(path: db.path)
        #expect(try await s.pragma("journal_mode") == "wal")
        // 1 = NORMAL.
        #expect(try await s.pragma("synchronous") == "1")
        #expect(access(db.path + "-wal", F_OK) == 0)
    }

    @Test func concurrentStoresAllCommitWithDistinctIDs() async throws {
        let db = TempDatabase()
        defer { db.remove() }
        let s = try EventStore(path: db.path)
        let outcomes = try await withThrowingTaskGroup(of: EventStore.StoreOutcome.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await store(s, key: "burst-\(i)", events: [event("contact.updated", "hana:lead:\(i)")])
                }
            }
            var all: [EventStore.StoreOutcome] = []
            for try await o in group { all.append(o) }
            return all
        }
        var deliveryIDs = Set<Int64>()
        var eventIDs = Set<Int64>()
        for case .stored(let d, let e) in outcomes {
            deliveryIDs.insert(d)
            eventIDs.formUnion(e)
        }
        #expect(outcomes.count == 200)
        #expect(deliveryIDs == Set(1...200))
        #expect(eventIDs == Set(1...200))
        let c = try await s.counts()
        #expect(c.deliveries == 200 && c.events == 200)
        #expect(try await s.events(after: 0, limit: 500).map(\.id) == Array(1...200))
    }

    @Test func eventIDsAreNeverReused() async throws {
        let db = TempDatabase()
        defer { db.remove() }
        let s = try EventStore(path: db.path)
        _ = try await store(s, key: "a", events: [event("t", "s1"), event("t", "s2")])
        try await s.execute("DELETE FROM events WHERE id = 2")
        #expect(try await store(s, key: "b", events: [event("t", "s3")]) == .stored(deliveryID: 2, eventIDs: [3]))
    }
}
