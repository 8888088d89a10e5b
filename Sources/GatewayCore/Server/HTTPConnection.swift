#if canImport(Glibc)
import Glibc
#endif
internal import CShims

/// One accepted client connection: reads requests (pipelined), hands each to the responder,
/// writes the answers back in request order, and enforces the timeouts. Lives on one loop.
///
/// Memory matters here (10,000 idle keep-alive connections must stay cheap): reads land in
/// the loop's shared buffer and only an unparsed remainder is copied into `pendingIn`;
/// an idle connection owns no buffers at all.
final class HTTPConnection: IOEventHandler, @unchecked Sendable {
    let fd: CInt
    /// Strong, not `unowned`: each use of an unowned reference checks the object is alive
    /// (`swift_unownedRetainStrong` and a release, a dozen per request). The cycle with the
    /// context's table of connections ends when the connection closes (`close` tells the
    /// context), and a server's drain closes every connection.
    let context: HTTPLoopContext
    private var registration: Registration?

    private enum ReadState {
        case head
        case body(HTTPRequestHead, BodyReader)
        /// No more requests are read: the last one said `Connection: close`, one was
        /// rejected, or the server is draining.
        case stopped
        /// Our side is shut down for writing; what the client still sends is read and
        /// dropped so the kernel does not reset the connection before our answer arrives.
        case lingering
    }

    private enum BodyReader {
        case length(remaining: Int)
        case chunked(ChunkedDecoder)
    }

    private struct InFlight {
        let sequence: UInt64
        let isHead: Bool
        let version: HTTPVersion
        let keepAlive: Bool
        var response: HTTPResponse?
        /// A streaming answer (`HTTPStream`); its entry stays first in line while it runs.
        var stream: HTTPStream?

        var isReady: Bool { response != nil || stream != nil }
    }

    private enum TimeoutKind { case headerRead, body, idle, write, linger }

    private var state: ReadState = .head
    private var pendingIn: [UInt8] = []
    private var body: [UInt8] = []
    private var inFlight: [InFlight] = []
    private var nextSequence: UInt64 = 0
    private var out: [UInt8] = []
    private var outIndex = 0
    private var closed = false
    private var closeAfterFlush = false
    private var draining = false
    private var peerClosed = false
    private var inHandleIO = false
    private var readPaused = false
    private var continuePending = false
    /// A `.paced` body still being written; later answers wait behind it.
    private var pacing: (rest: ArraySlice<UInt8>, chunk: Int, interval: Duration, close: Bool)?
    /// The streaming answer being written (first in `inFlight`); later answers wait behind it.
    private var activeStream: HTTPStream?
    /// Whether the connection closes once `activeStream` ends.
    private var streamCloses = false
    /// What open streams are told when the connection closes.
    private var closeReason: HTTPStream.End = .disconnected

    // Timing, on the loop clock.
    private var headStart: LoopInstant
    private var headBytesSeen = false
    private var firstRequest = true
    private var idleSince: LoopInstant
    private var bodyStart = LoopInstant(nanoseconds: 0)
    private var bodyReceived = 0
    private var lastWriteProgress = LoopInstant(nanoseconds: 0)
    private var lingerStart = LoopInstant(nanoseconds: 0)
    private var lingerDiscarded = 0
    private var timer: LoopTimer?

    init(fd: CInt, context: HTTPLoopContext) {
        self.fd = fd
        self.context = context
        let now = context.loop.now()
        headStart = now
        idleSince = now
    }

    deinit { timer?.cancel() }

    func start() throws(SystemError) {
        registration = try context.loop.register(fd: fd, interest: .readable, handler: self)
        updateTimer()
    }

    // MARK: events

    func handleIO(_ events: IOEvents) {
        if closed { return }
        inHandleIO = true
        if events.contains(.writable) { flush() }
        if !closed && (events.contains(.readable) || events.contains(.hangup) || events.contains(.error)) {
            readAvailable()
        }
        inHandleIO = false
        if !closed {
            flush()
            updateTimer()
        }
    }

    private func readAvailable() {
        let buf = context.readBuffer
        // Bounded, so one busy connection cannot starve the others on this loop.
        for _ in 0..<4 {
            if closed || readPaused { return }
            let n = read(fd, buf.baseAddress, buf.count)
            if n > 0 {
                if case .lingering = state {
                    lingerDiscarded += n
                    if lingerDiscarded > 1 << 20 { close() ; return }
                    continue
                }
                received(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
                if n < buf.count { return }
            } else if n == 0 {
                peerClosed = true
                peerFinished()
                return
            } else {
                let e = cshims_errno()
                if e == EINTR { continue }
                if e == EAGAIN || e == EWOULDBLOCK { return }
                close()
                return
            }
        }
    }

    /// The client closed its sending side. Answers still owed for complete requests are
    /// written (a client may half-close after pipelining); anything partial is dropped.
    private func peerFinished() {
        if case .lingering = state { close(); return }
        // Nobody reads an endless answer for a client that said it is done: a stream's
        // client closing its side is taken as gone.
        if activeStream != nil || inFlight.contains(where: { $0.stream != nil }) { close(); return }
        pauseReading()
        if inFlight.isEmpty && outIndex >= out.count {
            close()
        } else {
            state = .stopped
            closeAfterFlush = inFlight.isEmpty
        }
    }

    // MARK: parsing

    private func received(_ bytes: UnsafeRawBufferPointer) {
        if pendingIn.isEmpty {
            let used = consume(bytes)
            if used < bytes.count, !closed, isReading {
                pendingIn.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[used...]))
            }
        } else {
            pendingIn.append(contentsOf: bytes)
            // The parser starts over on each call; a head that dribbles in a byte at a time
            // would cost quadratic work. Nothing completes without a new LF, so wait for one
            // (or until the size limits need checking); a bad byte is found on that parse,
            // and the header timeout bounds the wait.
            if case .head = state, !bytes.contains(0x0A),
               pendingIn.count <= context.configuration.limits.maxRequestLineBytes {
                return
            }
            processPending()
        }
    }

    private var isReading: Bool {
        switch state {
        case .head, .body: return true
        case .stopped, .lingering: return false
        }
    }

    private func processPending() {
        if pendingIn.isEmpty { return }
        let used = pendingIn.withUnsafeBytes { consume($0) }
        if closed { return }
        if !isReading {
            pendingIn = []
        } else if used == pendingIn.count {
            pendingIn = []
        } else if used > 0 {
            pendingIn.removeFirst(used)
        }
    }

    /// Parses as many requests (and body bytes) as `bytes` holds; returns how many it used.
    private func consume(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        let limits = context.configuration.limits
        while !closed {
            switch state {
            case .stopped, .lingering:
                return bytes.count
            case .head:
                if offset == bytes.count { return offset }
                if inFlight.count >= context.configuration.maxPipelinedRequests {
                    pauseReading()
                    return offset
                }
                if !headBytesSeen {
                    headBytesSeen = true
                    if !firstRequest || !inFlight.isEmpty { headStart = context.loop.now() }
                }
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                switch HTTPRequestParser.parseHead(rest, limits: limits) {
                case .incomplete:
                    return offset
                case .invalid(let error):
                    reject(error)
                    return bytes.count
                case .complete(let head, let used):
                    offset += used
                    headBytesSeen = false
                    firstRequest = false
                    startBody(of: head)
                }
            case .body(let head, var reader):
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                switch reader {
                case .length(let remaining):
                    let take = min(remaining, rest.count)
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[0..<take]))
                    offset += take
                    bodyReceived += take
                    if take == remaining {
                        finishRequest(head)
                    } else {
                        state = .body(head, .length(remaining: remaining - take))
                        return offset
                    }
                case .chunked(var decoder):
                    let (used, status) = decoder.decode(rest, into: &body)
                    offset += used
                    bodyReceived += used
                    switch status {
                    case .needMore:
                        reader = .chunked(decoder)
                        state = .body(head, reader)
                        return offset
                    case .done:
                        finishRequest(head)
                    case .invalid(let error):
                        reject(error)
                        return bytes.count
                    }
                }
            }
        }
        return offset
    }

    private func startBody(of head: consuming HTTPRequestHead) {
        switch head.framing {
        case .none, .contentLength(0):
            body = []
            finishRequest(head)
            return
        case .contentLength(let n):
            body = []
            body.reserveCapacity(n)
            state = .body(head, .length(remaining: n))
        case .chunked:
            body = []
            state = .body(head, .chunked(ChunkedDecoder(maxBodyBytes: context.configuration.limits.maxBodyBytes)))
        }
        bodyStart = context.loop.now()
        bodyReceived = 0
        // RFC 9110 §10.1.1: answer 100 only when this request is next to be answered, or
        // the interim response would be taken for an earlier request's.
        if head.expectsContinue && head.version == .http11 {
            if inFlight.isEmpty { writeContinue() } else { continuePending = true }
        }
    }

    private func writeContinue() {
        continuePending = false
        out.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
        if !inHandleIO { flush() }
    }

    private func finishRequest(_ head: consuming HTTPRequestHead) {
        let requestBody = body
        body = []
        continuePending = false
        let keepAlive = head.keepAlive && !draining
        let seq = nextSequence
        nextSequence &+= 1
        inFlight.append(InFlight(sequence: seq, isHead: head.method == .HEAD, version: head.version, keepAlive: keepAlive))
        state = keepAlive ? .head : .stopped
        let request = HTTPRequest(head: head, body: requestBody, receivedAt: context.loop.now())
        context.responder.respond(to: request, writer: HTTPResponseWriter(connection: self, sequence: seq))
    }

    /// A request the server will not process: answer with `error.status`, then close.
    private func reject(_ error: HTTPParseError) {
        let seq = nextSequence
        nextSequence &+= 1
        state = .stopped
        pendingIn = []
        let response = HTTPResponse.problem(status: error.status, detail: error.reason, requestID: context.makeRequestID())
        inFlight.append(InFlight(sequence: seq, isHead: false, version: .http11, keepAlive: false, response: response))
        context.noteRejected(status: error.status)
        writeReady()
    }

    // MARK: responses

    func complete(_ sequence: UInt64, with response: consuming HTTPResponse) {
        if closed { return }
        guard let i = inFlight.firstIndex(where: { $0.sequence == sequence }), !inFlight[i].isReady else { return }
        inFlight[i].response = response
        writeReady()
        if !inHandleIO {
            flush()
            updateTimer()
        }
    }

    /// Encodes every answer that is next in line, in request order.
    private func writeReady() {
        if pacing != nil || activeStream != nil { return }
        while !inFlight.isEmpty && inFlight[0].isReady {
            if let stream = inFlight[0].stream {
                activate(stream, inFlight[0])
                if activeStream != nil || closed || closeAfterFlush { return }
                continue
            }
            // Moved out of the line, not copied (a copy retained the answer's headers and body).
            let first = inFlight.removeFirst()
            guard let response = first.response else { break }
            var close = !first.keepAlive
            if draining && inFlight.isEmpty && !requestInProgress { close = true }
            if response.delivery != .normal {
                deliverFaulty(response, first, closing: close)
                return
            }
            if close { closeAfterFlush = true }
            context.encoder.encode(
                response,
                headRequest: first.isHead,
                version: first.version,
                close: close,
                keepAliveHeader: first.version == .http10 && !close,
                into: &out
            )
            if close {
                dropInFlight()
                state = .stopped
                pendingIn = []
                break
            }
        }
        if inFlight.isEmpty {
            if continuePending { writeContinue() }
            idleSince = context.loop.now()
            if peerClosed && !closeAfterFlush { closeAfterFlush = true }
        }
    }

    /// The sandbox's broken deliveries (see `ResponseDelivery`).
    private func deliverFaulty(_ response: HTTPResponse, _ entry: InFlight, closing: Bool) {
        var bytes: [UInt8] = []
        context.encoder.encode(response, headRequest: entry.isHead, version: entry.version,
                               close: closing, keepAliveHeader: entry.version == .http10 && !closing, into: &bytes)
        let headLength = bytes.count - (entry.isHead || HTTPStatus.forbidsBody(response.status) ? 0 : response.body.count)
        switch response.delivery {
        case .normal:
            break
        case .reset:
            flush()
            if closed { return }
            var l = linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
            close()
        case .truncated(let n):
            out.append(contentsOf: bytes[..<min(bytes.count, headLength + max(0, n))])
            dropInFlight()
            state = .stopped
            pendingIn = []
            closeAfterFlush = true
        case .paced(let chunk, let interval):
            out.append(contentsOf: bytes[..<headLength])
            pacing = (bytes[headLength...], max(1, chunk), interval, closing)
            schedulePace()
        }
    }

    private func schedulePace() {
        guard let p = pacing else { return }
        // Held until the next step (a short interval); not weak, see `updateTimer`.
        _ = context.loop.schedule(after: p.interval) { self.paceNext() }
    }

    private func paceNext() {
        guard !closed, var p = pacing else { return }
        let n = min(p.chunk, p.rest.count)
        out.append(contentsOf: p.rest.prefix(n))
        p.rest = p.rest.dropFirst(n)
        if p.rest.isEmpty {
            pacing = nil
            if p.close {
                closeAfterFlush = true
                dropInFlight()
                state = .stopped
                pendingIn = []
            }
            writeReady()
        } else {
            pacing = p
            schedulePace()
        }
        flush()
        updateTimer()
    }

    /// Answers that will never be written (the connection is to close): their streams learn it.
    private func dropInFlight() {
        let streams = inFlight.compactMap(\.stream)
        inFlight.removeAll()
        for s in streams where s !== activeStream { s.end(.disconnected) }
    }

    // MARK: streaming responses

    var pendingOutputBytes: Int { out.count - outIndex }

    func startStream(_ sequence: UInt64, _ stream: HTTPStream) {
        guard !closed, let i = inFlight.firstIndex(where: { $0.sequence == sequence }), !inFlight[i].isReady else {
            stream.end(.disconnected)
            return
        }
        stream.connection = self
        inFlight[i].stream = stream
        if peerClosed {
            close()
            return
        }
        writeReady()
        if !inHandleIO {
            flush()
            updateTimer()
        }
    }

    /// The stream's turn: its head, what it sent while waiting, and its end if that came too.
    private func activate(_ stream: HTTPStream, _ entry: InFlight) {
        let chunked = entry.version == .http11
        streamCloses = !entry.keepAlive || !chunked || draining
        context.encoder.encodeStreamHead(stream.head, version: entry.version, close: streamCloses, into: &out)
        stream.chunked = chunked
        stream.active = true
        activeStream = stream
        if entry.isHead {
            endActiveStream(.headRequest, resume: false)
            return
        }
        for c in stream.pending { appendChunk(c, chunked: chunked) }
        stream.pending = []
        stream.pendingBytes = 0
        if stream.finishRequested {
            endActiveStream(.finished, resume: false)
        } else if draining {
            endActiveStream(.shutdown, resume: false)
        }
    }

    private func appendChunk(_ bytes: [UInt8], chunked: Bool) {
        if chunked {
            appendHex(bytes.count, to: &out)
            out.append(contentsOf: "\r\n".utf8)
            out.append(contentsOf: bytes)
            out.append(contentsOf: "\r\n".utf8)
        } else {
            out.append(contentsOf: bytes)
        }
    }

    /// Writes the final chunk (not after a HEAD's head), takes the stream's entry out of the
    /// line, tells the owner, and goes on with the next answer (unless `writeReady` is the
    /// caller) or closes.
    private func endActiveStream(_ reason: HTTPStream.End, resume: Bool = true) {
        guard let stream = activeStream else { return }
        activeStream = nil
        if stream.chunked && reason != .headRequest { out.append(contentsOf: "0\r\n\r\n".utf8) }
        if let first = inFlight.first, first.stream === stream { inFlight.removeFirst() }
        if streamCloses || (draining && inFlight.isEmpty && !requestInProgress) {
            closeAfterFlush = true
            dropInFlight()
            state = .stopped
            pendingIn = []
        }
        stream.end(reason)
        if resume { writeReady() }
    }

    func streamSend(_ stream: HTTPStream, _ bytes: [UInt8]) {
        if closed { return }
        let cap = context.configuration.maxStreamBufferedBytes
        if activeStream === stream {
            appendChunk(bytes, chunked: stream.chunked)
            if !inHandleIO { flush() }
            if closed { return }
            if out.count - outIndex > cap {
                closeReason = .slowConsumer
                close()
                return
            }
            if !inHandleIO { updateTimer() }
        } else {
            // Still waiting for its turn behind earlier answers.
            stream.pending.append(bytes)
            stream.pendingBytes += bytes.count
            if stream.pendingBytes > cap {
                closeReason = .slowConsumer
                close()
            }
        }
    }

    func streamFinish(_ stream: HTTPStream) {
        if closed || activeStream !== stream { return }  // a waiting stream ends when its turn comes
        endActiveStream(.finished)
        if !inHandleIO {
            flush()
            updateTimer()
        }
    }

    private var requestInProgress: Bool {
        switch state {
        case .body: return true
        case .head: return headBytesSeen || !pendingIn.isEmpty
        case .stopped, .lingering: return false
        }
    }

    private func flush() {
        if closed { return }
        while outIndex < out.count {
            let n = out.withUnsafeBytes { p in
                // MSG_NOSIGNAL: a peer that has gone is EPIPE here, never a SIGPIPE that
                // kills a process which did not block the signal (tests, embedders).
                Glibc.send(fd, p.baseAddress! + outIndex, p.count - outIndex, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                outIndex += n
                lastWriteProgress = context.loop.now()
                continue
            }
            let e = cshims_errno()
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) {
                if outIndex > 0 || lastWriteProgress.nanoseconds == 0 { lastWriteProgress = context.loop.now() }
                setInterest(writable: true)
                return
            }
            close()
            return
        }
        // Everything written: give back large buffers, keep small ones for the next answer.
        if out.capacity > 16 * 1024 { out = [] } else { out.removeAll(keepingCapacity: true) }
        outIndex = 0
        lastWriteProgress = LoopInstant(nanoseconds: 0)
        if let s = activeStream, s.hasDrainWaiters { context.loop.executeLocal { s.drained() } }
        if closeAfterFlush {
            startLingeringClose()
            return
        }
        let resume = readPaused && inFlight.count < context.configuration.maxPipelinedRequests && !peerClosed
        if resume { readPaused = false }
        setInterest(writable: false)
        if resume {
            processPending()
            if !closed && outIndex < out.count { flush() }
        }
        if draining && !closed && inFlight.isEmpty && !requestInProgress && pacing == nil && activeStream == nil {
            startLingeringClose()
        }
    }

    private func pauseReading() {
        readPaused = true
        setInterest(writable: outIndex < out.count)
    }

    private func setInterest(writable: Bool) {
        guard let reg = registration else { return }
        var want: IOEvents = []
        if !readPaused { want.insert(.readable) }
        if writable { want.insert(.writable) }
        try? context.loop.modify(reg, interest: want)
    }

    private func startLingeringClose() {
        if peerClosed { close(); return }
        if case .lingering = state { return }
        state = .lingering
        shutdown(fd, CInt(SHUT_WR))
        lingerStart = context.loop.now()
        readPaused = false
        setInterest(writable: false)
        updateTimer()
    }

    // MARK: timeouts

    private func desiredDeadline() -> (LoopInstant, TimeoutKind)? {
        let t = context.configuration.timeouts
        if outIndex < out.count {
            return (lastWriteProgress + t.stalledWrite, .write)
        }
        switch state {
        case .lingering:
            return (lingerStart + .seconds(2), .linger)
        case .stopped:
            return nil
        case .body:
            let perByte = Duration.seconds(1) * (Double(bodyReceived) / Double(max(1, t.minBodyBytesPerSecond)))
            return (bodyStart + t.bodyGrace + perByte, .body)
        case .head:
            if !inFlight.isEmpty { return nil }  // the responder is working; it has its own timeouts
            if headBytesSeen || !pendingIn.isEmpty || firstRequest { return (headStart + t.headerRead, .headerRead) }
            return (idleSince + t.idleKeepAlive, .idle)
        }
    }

    /// Keeps at most one timer armed. A later deadline does not re-arm: when the early
    /// timer fires it looks again (connections push their deadline on every request).
    private func updateTimer() {
        if closed { return }
        guard let (deadline, _) = desiredDeadline() else { return }
        if let armed = timer, !armed.isCancelled, armed.deadline <= deadline { return }
        timer?.cancel()
        // Unowned, not weak: a weak reference would give every connection a reference-count
        // side table, and each retain and release of it would take the runtime's slow path.
        // The timer never outlives the connection (`close` and `deinit` cancel it).
        timer = context.loop.schedule(at: deadline) { [unowned self] in self.timerFired() }
    }

    private func timerFired() {
        timer = nil
        if closed { return }
        guard let (deadline, kind) = desiredDeadline() else { return }
        if deadline > context.loop.now() {
            updateTimer()
            return
        }
        context.noteTimeout()
        switch kind {
        case .write, .linger, .idle:
            if kind == .write { closeReason = .writeStalled }
            close()
        case .headerRead:
            // Nothing of a request yet: close quietly (browsers open spare connections).
            if !headBytesSeen && pendingIn.isEmpty { close(); return }
            timeoutResponse("request head not received in time")
        case .body:
            timeoutResponse("request body arrived too slowly")
        }
    }

    private func timeoutResponse(_ detail: String) {
        let seq = nextSequence
        nextSequence &+= 1
        state = .stopped
        pendingIn = []
        body = []
        let response = HTTPResponse.problem(status: 408, detail: detail, requestID: context.makeRequestID())
        inFlight.append(InFlight(sequence: seq, isHead: false, version: .http11, keepAlive: false, response: response))
        writeReady()
        flush()
        updateTimer()
    }

    // MARK: drain and close

    /// Server shutdown: finish what is in flight, read nothing new, close when idle.
    func drain() {
        if closed || draining { return }
        draining = true
        if activeStream != nil {
            // A stream has no natural end: it ends now rather than hold the drain to its bound.
            endActiveStream(.shutdown)
            if !inHandleIO {
                flush()
                updateTimer()
            }
            return
        }
        if inFlight.isEmpty && !requestInProgress && outIndex >= out.count && pacing == nil {
            close()
        }
    }

    func close() {
        if closed { return }
        closed = true
        timer?.cancel()
        timer = nil
        if let reg = registration { context.loop.deregister(reg) }
        registration = nil
        Glibc.close(fd)
        out = []
        pendingIn = []
        body = []
        let streams = inFlight.compactMap(\.stream)
        inFlight = []
        activeStream = nil
        for s in streams { s.end(closeReason) }
        context.connectionClosed(self)
    }
}

/// A chunk size: lowercase hex, no leading zeros.
func appendHex(_ value: Int, to out: inout [UInt8]) {
    if value == 0 { out.append(0x30); return }
    var shift = (Int.bitWidth - value.leadingZeroBitCount - 1) / 4 * 4
    while shift >= 0 {
        let d = UInt8((value >> shift) & 0xF)
        out.append(d < 10 ? 0x30 + d : 0x57 + d)
        shift -= 4
    }
}
