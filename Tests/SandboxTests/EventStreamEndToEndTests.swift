import Testing
import Gateway
import GatewayCore
@testable import Sandbox
#if canImport(Glibc)
import Glibc
#endif

/// `/events/stream` over real sockets, fed by the Hana emulator's own webhook sender.
@Suite("Events as Server-Sent Events")
struct EventStreamEndToEndTests {
    /// Has Hana create `count` leads and deliver them to the gateway.
    func deliver(_ fx: GatewayFixture, _ count: Int) async throws {
        let target = "http://\(fx.address)/webhooks/hana/{event}?token=sandbox-secret"
        var left = count
        while left > 0 {
            let n = min(left, 100)
            let r = try await fx.sandboxFixture.call("hana", "POST", "/_sandbox/hana/deliver",
                                                     json: ["event": "lead.created", "count": .int(n), "target_url": .string(target)])
            #expect(r.status == 202)
            left -= n
        }
    }

    /// `/events` once it holds `count` events.
    func stored(_ fx: GatewayFixture, count: Int) async throws -> [JSON] {
        var all: [JSON] = []
        for _ in 0..<500 {
            all = []
            var after = 0
            while true {
                let page = try await fx.call("GET", "/events?after=\(after)&limit=500").json?["data"]?.arrayValue ?? []
                all += page
                guard let last = page.last?["id"]?.intValue, page.count == 500 else { break }
                after = last
            }
            if all.count >= count { return all }
            try await Task.sleep(for: .milliseconds(20))
        }
        return all
    }

    func ids(_ blocks: [SSEBlock]) -> [Int] { blocks.map { Int($0.id ?? "") ?? -1 } }

    @Test func replaysThenGoesLiveAndResumesExactlyAfterLastEventID() async throws {
        let fx = try GatewayFixture()
        let port = Int(fx.address.port)
        try await deliver(fx, 3)
        _ = try await stored(fx, count: 3)

        let first = try SSEClient(port: port, "GET", "/events/stream?after=0")
        #expect(try await first.head() == 200)
        #expect(first.header("Content-Type") == "text/event-stream")
        #expect(first.header("Transfer-Encoding") == "chunked")
        #expect(first.header("Cache-Control") == "no-cache")
        #expect(first.header("X-Request-Id")?.isEmpty == false)
        let opening = try await first.block()
        #expect(opening == SSEBlock(retry: 3000))
        let replayed = try await first.take(3)
        #expect(ids(replayed) == [1, 2, 3])

        // Live: new deliveries arrive without asking.
        try await deliver(fx, 2)
        let live = try await first.take(2)
        #expect(ids(live) == [4, 5])

        // Each frame is the event exactly as /events shows it, on one data line.
        let listed = try await stored(fx, count: 5)
        for (block, event) in zip(replayed + live, listed) {
            #expect(block.event == event["type"]?.stringValue)
            #expect(block.event == "contact.created")
            #expect(block.data == event.text)
        }

        // Gone for a while; three more are committed meanwhile.
        first.close()
        try await deliver(fx, 3)
        _ = try await stored(fx, count: 8)

        // EventSource reconnects with the last id it saw (the header wins over ?after).
        let again = try SSEClient(port: port, "GET", "/events/stream?after=0", headers: [("Last-Event-ID", "5")])
        #expect(try await again.head() == 200)
        let resumed = try await again.take(3)
        #expect(ids(resumed) == [6, 7, 8])
        try await deliver(fx, 1)
        let next = try await again.take(1)
        #expect(ids(next) == [9])
        let all = try await stored(fx, count: 9)
        #expect(next.first?.data == all.last?.text)
    }

    @Test func eventsCommittedDuringTheReplayArriveOnceAndInOrder() async throws {
        var options = EventStreamOptions()
        options.replayPageSize = 3
        let fx = try GatewayFixture(streamOptions: options)
        let port = Int(fx.address.port)
        try await deliver(fx, 60)
        _ = try await stored(fx, count: 60)
        let client = try SSEClient(port: port, "GET", "/events/stream?after=0")
        #expect(try await client.head() == 200)
        // More deliveries race the replay, which reads 3 events at a time.
        try await deliver(fx, 60)
        let got = try await client.take(120, timeout: .seconds(30))
        #expect(ids(got) == Array(1...120))
        // And nothing after that: no event twice.
        #expect(try await client.block(timeout: .milliseconds(300)) == nil)
    }

    @Test func withoutAPositionOnlyNewEventsArriveAndHeartbeatsKeepItAlive() async throws {
        var options = EventStreamOptions()
        options.heartbeat = .milliseconds(50)
        let fx = try GatewayFixture(streamOptions: options)
        let port = Int(fx.address.port)
        try await deliver(fx, 2)
        _ = try await stored(fx, count: 2)
        let client = try SSEClient(port: port, "GET", "/events/stream")
        #expect(try await client.head() == 200)
        var skipped: [SSEBlock] = []
        // Heartbeats come while nothing happens.
        while skipped.filter({ $0.comments == ["keep-alive"] }).count < 2 {
            guard let b = try await client.block(timeout: .seconds(5)) else { break }
            #expect(b.data == nil, "an old event was sent: \(b)")
            skipped.append(b)
        }
        #expect(skipped.first == SSEBlock(retry: 3000))
        #expect(skipped.filter { $0.comments == ["keep-alive"] }.count == 2)
        try await deliver(fx, 1)
        let got = try await client.take(1)
        #expect(ids(got) == [3])
    }

    @Test func aBadPositionIs400BeforeAnyStream() async throws {
        let fx = try GatewayFixture()
        let bad = try await fx.call("GET", "/events/stream", headers: [("Last-Event-ID", "abc")])
        #expect(bad.status == 400)
        #expect(bad.headers["Content-Type"] == "application/problem+json")
        #expect(bad.json?["errors"]?[0]?["field"] == "Last-Event-ID")
        let negative = try await fx.call("GET", "/events/stream?after=-1")
        #expect(negative.status == 400)
        #expect(negative.json?["errors"]?[0]?["field"] == "after")
        let unknown = try await fx.call("GET", "/events/stream?limit=5")
        #expect(unknown.status == 400)
        #expect(unknown.json?["errors"]?[0]?["field"] == "limit")
        #expect(fx.services.inbox?.streams.openStreams == 0)
    }

    @Test func headIsTheHeadOnlyAndTheConnectionGoesOn() async throws {
        let fx = try GatewayFixture()
        let client = try SSEClient(port: Int(fx.address.port), "HEAD", "/events/stream")
        #expect(try await client.head() == 200)
        #expect(client.header("Content-Type") == "text/event-stream")
        try client.send("GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n")
        #expect(try await client.head() == 200)
        #expect(String(decoding: try await client.fixedBody(), as: UTF8.self) == #"{"status":"ok"}"#)
        #expect(fx.services.inbox?.streams.openStreams == 0)
    }

    @Test func beyondTheStreamLimitIs503WithRetryAfter() async throws {
        var options = EventStreamOptions()
        options.maxStreams = 2
        let fx = try GatewayFixture(streamOptions: options)
        let port = Int(fx.address.port)
        let a = try SSEClient(port: port, "GET", "/events/stream")
        let b = try SSEClient(port: port, "GET", "/events/stream")
        #expect(try await a.head() == 200)
        #expect(try await b.head() == 200)
        let refused = try await fx.call("GET", "/events/stream")
        #expect(refused.status == 503)
        #expect(refused.headers["Retry-After"] == "5")
        #expect(refused.headers["Content-Type"] == "application/problem+json")
        a.close()
        let hub = try #require(fx.services.inbox?.streams)
        for _ in 0..<500 where hub.openStreams != 1 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(hub.openStreams == 1)
        let c = try SSEClient(port: port, "GET", "/events/stream")
        #expect(try await c.head() == 200)
    }

    @Test func aClientThatDoesNotReadDoesNotHoldUpTheOthers() async throws {
        let fx = try GatewayFixture(maxStreamBufferedBytes: 16 * 1024)
        let port = Int(fx.address.port)
        // Reads its head, then never again; its receive window is tiny.
        let stuck = try SSEClient(port: port, "GET", "/events/stream?after=0", receiveBuffer: 2048)
        #expect(try await stuck.head() == 200)
        let reader = try SSEClient(port: port, "GET", "/events/stream?after=0")
        #expect(try await reader.head() == 200)
        try await deliver(fx, 300)
        let got = try await reader.take(300, timeout: .seconds(30))
        #expect(ids(got) == Array(1...300))
        // The one that stopped reading, when it reads again, finds its events in order and
        // whole (the kernel holds ~1 MB for it on loopback, so the cap of the server's own
        // buffer, tested in GatewayCoreTests, need not have cut it off yet).
        var late: [SSEBlock] = []
        while let b = try await stuck.block(timeout: .seconds(2)) { if b.data != nil { late.append(b) } }
        #expect(!late.isEmpty)
        #expect(ids(late) == Array(1...max(1, late.count)))
    }
}
