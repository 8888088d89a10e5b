import Testing
@testable import Gateway
import GatewayCore
import Synchronization

/// The replay-to-live hand-off of `/events/stream`, with commits placed exactly where a race
/// would put them: inside a replay's read (through `EventStreamOptions.replayReader`).
@Suite("Events stream: replay to live hand-off")
struct EventStreamHandoffTests {
    /// Lets the reader reach the fixture created after it.
    final class Box: @unchecked Sendable {
        var fixture: GatewayFixture?
        let calls = Atomic<Int>(0)
        var store: EventStore { fixture!.services.inbox!.store }
        var hub: EventStreamHub { fixture!.services.inbox!.streams }
    }

    static func add(_ store: EventStore, _ i: Int) async throws {
        _ = try await store.store(source: "hana", kind: "lead.created", dedupeKey: "handoff-\(i)", receivedAtMillis: 0, headers: [], body: [],
                                  events: [NewEvent(type: "contact.created", source: "hana", occurredAt: "2025-01-15T09:30:00Z",
                                                    subjectID: "hana:lead:\(i)", data: #"{"n":\#(i)}"#)])
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<5000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
    }

    func ids(_ blocks: [SSEBlock]) -> [Int] { blocks.map { Int($0.id ?? "") ?? -1 } }

    @Test func anEventCommittedAndHandedOutDuringTheLastReplayReadStillArrives() async throws {
        let box = Box()
        var options = EventStreamOptions()
        options.replayReader = { after, limit in
            let page = try await box.store.events(after: after, limit: limit)
            if box.calls.add(1, ordering: .relaxed).newValue == 1 {
                // Committed after this read; the hub hands it out (to a stream that is still
                // replaying, so it ignores the batch) before the read's answer is used.
                try await Self.add(box.store, 4)
                box.hub.committed()
                try await Self.waitUntil { box.hub.handedOut == 4 }
                try await Task.sleep(for: .milliseconds(20))
            }
            return page
        }
        let fx = try GatewayFixture(streamOptions: options)
        box.fixture = fx
        for i in 1...3 { try await Self.add(fx.services.inbox!.store, i) }
        let client = try SSEClient(port: Int(fx.address.port), "GET", "/events/stream?after=0")
        #expect(try await client.head() == 200)
        let got = try await client.take(4, timeout: .seconds(10))
        #expect(ids(got) == [1, 2, 3, 4])
        #expect(got.last?.data?.contains(#""data":{"n":4}"#) == true)
        #expect(try await client.block(timeout: .milliseconds(300)) == nil)
    }

    @Test func anEventTheReplayAlreadySentIsNotSentAgainByTheHub() async throws {
        let box = Box()
        let armed = Atomic<Bool>(false)
        var options = EventStreamOptions()
        options.replayReader = { after, limit in
            if armed.exchange(false, ordering: .relaxed) {
                // Committed just before this read, so the replay sends it; the hub hears of it
                // only once the stream is live.
                try await Self.add(box.store, 4)
            }
            return try await box.store.events(after: after, limit: limit)
        }
        let fx = try GatewayFixture(streamOptions: options)
        box.fixture = fx
        let port = Int(fx.address.port)
        let store = fx.services.inbox!.store
        for i in 1...2 { try await Self.add(store, i) }
        // Another stream makes the hub follow the store: it has handed out up to 3.
        let other = try SSEClient(port: port, "GET", "/events/stream")
        #expect(try await other.head() == 200)
        _ = try await other.block()  // its retry line: it is registered
        try await Self.add(store, 3)
        box.hub.committed()
        try await Self.waitUntil { box.hub.handedOut == 3 }
        #expect(box.hub.handedOut == 3)

        armed.store(true, ordering: .relaxed)
        let client = try SSEClient(port: port, "GET", "/events/stream?after=0")
        #expect(try await client.head() == 200)
        let got = try await client.take(4)
        #expect(ids(got) == [1, 2, 3, 4])
        // Now the hub reads 4 and hands it out as (3, 4]: this stream already has it.
        box.hub.committed()
        try await Self.waitUntil { box.hub.handedOut == 4 }
        #expect(box.hub.handedOut == 4)
        #expect(try await client.block(timeout: .milliseconds(300)) == nil)
    }
}
