import GatewayCore
import Synchronization

/// Settings of `/events/stream`.
public struct EventStreamOptions: Sendable {
    /// A `: keep-alive` comment this often, so proxies and the client see a live connection
    /// and a vanished client is found by a failed write.
    public var heartbeat: Duration = .seconds(15)
    /// Open streams across all loops; beyond it a client gets 503 with `Retry-After`.
    public var maxStreams: Int = 1000
    /// Events per read while replaying (never the whole table at once).
    public var replayPageSize: Int = 200
    /// A replay reads its next page only once less than this waits unsent to the client.
    public var replayLowWater: Int = 256 * 1024
    /// The `retry:` (milliseconds) the stream starts with: EventSource's reconnection delay.
    public var retryMillis: Int = 3000
    /// Tests only: stands in for the store when a stream replays, to interleave commits with it.
    var replayReader: (@Sendable (_ after: Int64, _ limit: Int) async throws -> [StoredEvent])?

    public init() {}
}

/// Events as they go out on a stream: `(from, to]` is the span of event ids this batch
/// accounts for (every event in it is here, in id order); `frames` are the SSE frames.
struct EventBatch: Sendable {
    var from: Int64
    var to: Int64
    var frames: [(id: Int64, bytes: [UInt8])]
}

/// Fans committed events out to every open `/events/stream`, on every loop.
///
/// The inbox calls `committed()` after each commit (on whatever thread). One reader at a
/// time (coalescing the calls that arrive meanwhile) reads what is new from the store, in id
/// order and in pages, renders each event's frame once, and hands each loop one batch to
/// pass to its streams (`EventLoop.execute`). A stream that is still replaying ignores
/// batches; one whose position is behind a batch's `from` (it missed one) replays again
/// from the store. Commits are serialized by SQLite and ids assigned in commit order, so
/// what a read sees is always a prefix of the id sequence: nothing is skipped and, with
/// each stream sending only ids above its position, nothing is sent twice.
public final class EventStreamHub: Sendable {
    public let options: EventStreamOptions
    let store: EventStore

    private struct State {
        var fetching = false
        var again = false
        var groups: [ObjectIdentifier: LoopStreams] = [:]
    }

    private let state = Mutex(State())
    /// Every event with an id up to this has been handed to the loops (or skipped while no
    /// stream was open); only the reader writes it, and it only grows.
    private let cursor = Atomic<Int64>(0)
    /// False while no stream is open: the reader then reads nothing, and starts again from
    /// the store's latest id (a batch with no events that makes streams behind it replay).
    private let cursorKnown = Atomic<Bool>(false)
    private let open = Atomic<Int>(0)

    init(store: EventStore, options: EventStreamOptions) {
        self.store = store
        self.options = options
    }

    /// Streams open now, across all loops.
    public var openStreams: Int { open.load(ordering: .relaxed) }

    /// Everything up to here has been handed to the loops.
    var handedOut: Int64 { cursor.load(ordering: .acquiring) }

    /// One page of a replay.
    func readPage(after: Int64, limit: Int) async throws -> [StoredEvent] {
        if let reader = options.replayReader { return try await reader(after, limit) }
        return try await store.events(after: after, limit: limit)
    }

    /// After a commit of new events. Any thread; returns at once. The reading runs on `loop`
    /// (the committing request's) when given, so it needs no thread beyond the gateway's own.
    public func committed(loop: EventLoop? = nil) {
        let start = state.withLock { s -> Bool in
            if s.fetching {
                s.again = true
                return false
            }
            s.fetching = true
            return true
        }
        if start { Task(executorPreference: loop) { await self.pump() } }
    }

    /// Takes a stream slot; false when `maxStreams` are open.
    func acquire() -> Bool {
        if open.add(1, ordering: .relaxed).newValue > options.maxStreams {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { open.subtract(1, ordering: .relaxed) }

    /// The streams of `loop` (created on first use).
    func group(for loop: EventLoop) -> LoopStreams {
        state.withLock { s in
            if let g = s.groups[ObjectIdentifier(loop)] { return g }
            let g = LoopStreams(loop: loop)
            s.groups[ObjectIdentifier(loop)] = g
            return g
        }
    }

    private func pump() async {
        while true {
            state.withLock { $0.again = false }
            await readNew()
            let done = state.withLock { s -> Bool in
                if s.again { return false }
                s.fetching = false
                return true
            }
            if done { return }
        }
    }

    private func readNew() async {
        if open.load(ordering: .relaxed) == 0 {
            cursorKnown.store(false, ordering: .relaxed)
            return
        }
        do {
            if !cursorKnown.load(ordering: .relaxed) {
                let latest = max(try await store.latestEventID(), cursor.load(ordering: .relaxed))
                cursor.store(latest, ordering: .releasing)
                cursorKnown.store(true, ordering: .relaxed)
                broadcast(EventBatch(from: latest, to: latest, frames: []))
                return
            }
            while true {
                let from = cursor.load(ordering: .relaxed)
                let page = try await store.events(after: from, limit: options.replayPageSize)
                guard let last = page.last else { return }
                // Raised before the loops hear of the batch: a stream that ignored it while
                // replaying sees, when it goes live, that it must read further.
                cursor.store(last.id, ordering: .releasing)
                broadcast(EventBatch(from: from, to: last.id, frames: page.map { ($0.id, Self.frame($0)) }))
                if page.count < options.replayPageSize { return }
            }
        } catch {
            // Start over from the store's latest id; streams behind it replay from the store.
            cursorKnown.store(false, ordering: .relaxed)
        }
    }

    private func broadcast(_ batch: EventBatch) {
        let groups = state.withLock { Array($0.groups.values) }
        for g in groups {
            g.loop.execute { g.deliver(batch) }
        }
    }

    /// `id: <id>\nevent: <type>\ndata: <the event as /events shows it>\n\n`. The JSON is
    /// compact, so one `data:` line (strings escape their line breaks).
    static func frame(_ e: StoredEvent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(e.data.utf8.count + 200)
        out.append(contentsOf: "id: \(e.id)\nevent: ".utf8)
        out.append(contentsOf: e.type.utf8.filter { $0 != 0x0A && $0 != 0x0D })
        out.append(contentsOf: "\ndata: ".utf8)
        e.json.write(into: &out)
        out.append(contentsOf: "\n\n".utf8)
        return out
    }
}

extension StoredEvent {
    /// The event as `/events` and `/events/stream` show it.
    public var json: JSON {
        ["id": .int(Int(id)), "type": .string(type), "source": .string(source), "occurred_at": .string(occurredAt),
         "subject_id": .string(subjectID), "data": (try? JSON.parse(data)) ?? .null]
    }
}

/// The open streams of one loop; touched only on that loop.
final class LoopStreams: @unchecked Sendable {
    let loop: EventLoop
    var sessions: [ObjectIdentifier: EventStreamSession] = [:]

    init(loop: EventLoop) { self.loop = loop }

    func deliver(_ batch: EventBatch) {
        for s in sessions.values { s.deliver(batch) }
    }
}

/// One client's `/events/stream`, on its connection's loop: the replay from its position,
/// then the live batches, and a heartbeat.
final class EventStreamSession: @unchecked Sendable {
    let hub: EventStreamHub
    let group: LoopStreams
    let stream: HTTPStream
    /// Every event up to this id has been sent (or was before the client's position).
    private var position: Int64 = 0
    private var live = false
    private var replaying = false
    private var closed = false
    private var heartbeat: LoopTimer?

    private init(hub: EventStreamHub, group: LoopStreams, stream: HTTPStream) {
        self.hub = hub
        self.group = group
        self.stream = stream
    }

    /// Starts the stream (the slot is already taken). On the loop.
    static func start(hub: EventStreamHub, writer: HTTPResponseWriter, head: HTTPResponse, position: Int64?) {
        let group = hub.group(for: writer.loop)
        let box = SessionBox()
        let stream = writer.stream(head) { _ in box.session?.ended() }
        let session = EventStreamSession(hub: hub, group: group, stream: stream)
        box.session = session
        if !stream.isOpen {
            session.ended()
            return
        }
        group.sessions[ObjectIdentifier(session)] = session
        stream.send("retry: \(hub.options.retryMillis)\n\n")
        session.scheduleHeartbeat()
        let loop = writer.loop
        Task(executorPreference: loop) {
            if let position {
                session.position = position
            } else {
                do { session.position = try await hub.store.latestEventID() } catch {
                    // Without a position nothing can be promised; the client reconnects.
                    session.stream.finish()
                    return
                }
            }
            await session.replay()
        }
    }

    private func scheduleHeartbeat() {
        heartbeat = stream.loop.schedule(after: hub.options.heartbeat) { [weak self] in
            guard let self, !self.closed else { return }
            self.stream.send(": keep-alive\n\n")
            self.scheduleHeartbeat()
        }
    }

    /// Reads from the store after `position`, page by page, pacing itself to the client,
    /// until it has caught up with what the hub has handed out; then goes live.
    private func replay() async {
        if replaying || closed { return }
        replaying = true
        live = false
        defer { replaying = false }
        let pageSize = hub.options.replayPageSize
        while !closed {
            if stream.bufferedBytes > hub.options.replayLowWater {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    stream.whenDrained { c.resume() }
                }
                continue
            }
            let page: [StoredEvent]
            do { page = try await hub.readPage(after: position, limit: pageSize) } catch {
                stream.finish()
                return
            }
            if closed { return }
            if let last = page.last {
                var out: [UInt8] = []
                for e in page { out += EventStreamHub.frame(e) }
                position = last.id
                stream.send(out)
            }
            // A short page: caught up with the store as it was. Batches the hub handed out
            // meanwhile were ignored; if they went beyond this position, read on.
            if page.count < pageSize && hub.handedOut <= position {
                live = true
                return
            }
        }
    }

    /// A batch from the hub, on the loop.
    func deliver(_ batch: EventBatch) {
        guard live, !closed else { return }
        if batch.from > position {
            // Events between our position and this batch went by while we were replaying.
            live = false
            Task(executorPreference: stream.loop) { await self.replay() }
            return
        }
        var out: [UInt8] = []
        for f in batch.frames where f.id > position { out += f.bytes }
        position = max(position, batch.to)
        if !out.isEmpty { stream.send(out) }
    }

    /// However the stream ended (client gone, too slow, shutdown): forget it.
    func ended() {
        if closed { return }
        closed = true
        heartbeat?.cancel()
        heartbeat = nil
        group.sessions[ObjectIdentifier(self)] = nil
        hub.release()
    }
}

/// Lets the stream's end callback, created before the session, reach it.
private final class SessionBox: @unchecked Sendable {
    var session: EventStreamSession?
}
