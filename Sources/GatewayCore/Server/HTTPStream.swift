/// A response whose body is produced over time (Server-Sent Events, long downloads): the
/// head goes out with `Transfer-Encoding: chunked` (HTTP/1.1; an HTTP/1.0 client gets the
/// body delimited by the connection's close), then each `send` is one chunk, until the owner
/// calls `finish()` or the connection ends it.
///
/// Start one with `HTTPResponseWriter.stream(_:onEnd:)`. `send` and `finish` may be called
/// from any thread (they hop to the connection's loop); everything else is loop-only.
///
/// How a stream ends is reported once, on the loop, through `onEnd`:
/// - `.finished`: the owner called `finish()`; the final chunk is written and the
///   connection goes on with the next pipelined request (or closes, if it was to close).
/// - `.disconnected`: the client closed or reset the connection (a client that shuts down
///   its sending side while a stream is open counts as gone).
/// - `.slowConsumer`: more than `HTTPServerConfiguration.maxStreamBufferedBytes` waited
///   unread; the connection is closed, so a client that does not read cannot grow memory.
/// - `.writeStalled`: pending bytes made no progress for `HTTPTimeouts.stalledWrite`.
/// - `.shutdown`: the server is draining; the final chunk is written and the connection closes.
/// - `.headRequest`: the request was HEAD; only the head was sent.
///
/// An idle stream (nothing pending) is not subject to the idle keep-alive timeout; an owner
/// that wants dead peers found sends heartbeats (a failed write ends the stream).
public final class HTTPStream: @unchecked Sendable {
    public enum End: Sendable, Equatable {
        case finished, disconnected, slowConsumer, writeStalled, shutdown, headRequest
    }

    public let loop: EventLoop
    let head: HTTPResponse
    /// Dropped once called, so an owner that holds its stream is not kept alive by it.
    private var onEnd: (@Sendable (End) -> Void)?

    // Loop-confined.
    var connection: HTTPConnection?
    /// Set once the head is on its way; until then `send` queues in `pending`.
    var active = false
    var chunked = true
    var finishRequested = false
    var pending: [[UInt8]] = []
    var pendingBytes = 0
    private(set) var ended: End?
    private var drainWaiters: [() -> Void] = []

    init(loop: EventLoop, head: HTTPResponse, onEnd: @escaping @Sendable (End) -> Void) {
        self.loop = loop
        self.head = head
        self.onEnd = onEnd
    }

    /// Loop only: false once the stream has ended, whichever way.
    public var isOpen: Bool { ended == nil }

    /// Loop only: how this stream ended, nil while it is open.
    public var endReason: End? { ended }

    /// Loop only: bytes accepted by `send` and not yet taken by the kernel.
    public var bufferedBytes: Int {
        guard ended == nil else { return 0 }
        return pendingBytes + (connection?.pendingOutputBytes ?? 0)
    }

    /// Sends `bytes` as one chunk (empty sends are ignored: an empty chunk ends the body).
    public func send(_ bytes: [UInt8]) {
        if bytes.isEmpty { return }
        if loop.inEventLoop {
            sendOnLoop(bytes)
        } else {
            loop.execute { self.sendOnLoop(bytes) }
        }
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Ends the body (the final chunk); `onEnd(.finished)` follows on the loop.
    public func finish() {
        if loop.inEventLoop {
            finishOnLoop()
        } else {
            loop.execute { self.finishOnLoop() }
        }
    }

    /// Loop only: runs `body` once everything sent so far has been written to the socket,
    /// or the stream has ended (check `isOpen`). For producers that pace themselves (a
    /// replay of stored events) rather than meet the buffer cap.
    public func whenDrained(_ body: @escaping () -> Void) {
        if ended != nil || (active && bufferedBytes == 0) {
            loop.executeLocal(body)
            return
        }
        drainWaiters.append(body)
    }

    private func sendOnLoop(_ bytes: [UInt8]) {
        guard ended == nil, let c = connection else { return }
        c.streamSend(self, bytes)
    }

    private func finishOnLoop() {
        guard ended == nil else { return }
        finishRequested = true
        connection?.streamFinish(self)
    }

    // MARK: called by the connection

    var hasDrainWaiters: Bool { !drainWaiters.isEmpty }

    func drained() {
        guard !drainWaiters.isEmpty else { return }
        let waiters = drainWaiters
        drainWaiters = []
        for w in waiters { w() }
    }

    /// Marks the stream ended and tells the owner; later calls do nothing.
    func end(_ reason: End) {
        guard ended == nil else { return }
        ended = reason
        connection = nil
        pending = []
        pendingBytes = 0
        let callback = onEnd
        onEnd = nil
        callback?(reason)
        drained()
    }
}

extension HTTPResponseWriter {
    /// Answers with a streaming response: `head`'s status and headers (its body is ignored;
    /// `Content-Length` and `Transfer-Encoding` are the server's to set), then whatever the
    /// returned stream is sent. The head waits for earlier pipelined answers like any other;
    /// requests pipelined behind the stream are answered, in order, after it finishes.
    /// `onEnd` runs exactly once, on the connection's loop, however the stream ends.
    @discardableResult
    public func stream(_ head: HTTPResponse, onEnd: @escaping @Sendable (HTTPStream.End) -> Void) -> HTTPStream {
        // The head gets what every answer of this responder gets (CORS headers, ...).
        let head = finish.map { $0(head) } ?? head
        let loop = connection.context.loop
        let s = HTTPStream(loop: loop, head: head, onEnd: onEnd)
        let c = connection, seq = sequence
        if loop.inEventLoop {
            c.startStream(seq, s)
        } else {
            loop.execute { c.startStream(seq, s) }
        }
        return s
    }
}
