internal import CShims
import Glibc

/// A curl multi handle driven by an `EventLoop` instead of by curl's own poll loop.
///
/// curl says which sockets it wants watched (CURLMOPT_SOCKETFUNCTION) and when it next
/// needs the clock (CURLMOPT_TIMERFUNCTION); the loop reports readiness and timer expiry
/// back through `curl_multi_socket_action`, and finished transfers are read with
/// `curl_multi_info_read`. Both callbacks only record what curl asked for: curl must not
/// be re-entered from inside its own callbacks. Loop thread only, apart from `init`.
final class CurlMulti {
    let loop: EventLoop
    private var raw: UnsafeMutableRawPointer?
    private var sockets: [curl_socket_t: CurlSocketWatch] = [:]
    private var timer: LoopTimer?
    private var easies: [UnsafeMutableRawPointer: CurlEasyHandle] = [:]
    private var insideSocketAction = false
    /// Sockets curl opened through `openSocket` and has not closed (`closeSocket`) yet.
    private var ownedSockets: Set<curl_socket_t> = []
    /// curl_multi_cleanup is closing everything: the sockets are let go of afterwards, in bulk.
    private var tearingDown = false

    /// Called with the transfers that finished in one `curl_multi_socket_action`, after
    /// they have been removed from the multi.
    var onFinished: (([(CurlEasyHandle, CURLcode)]) -> Void)?

    init(loop: EventLoop, maxConnectionsPerHost: Int, maxPooledConnections: Int) throws(TransportError) {
        guard CurlGlobal.initialized else { throw .other(code: -1, message: "curl_global_init failed") }
        guard let m = curl_multi_init() else { throw .other(code: -1, message: "curl_multi_init failed") }
        self.loop = loop
        raw = m
        let me = Unmanaged.passUnretained(self).toOpaque()
        var rc = cshims_curl_multi_setopt_socket_callback(m, CURLMOPT_SOCKETFUNCTION) { _, fd, what, userp, socketp in
            guard let userp else { return 0 }
            return Unmanaged<CurlMulti>.fromOpaque(userp).takeUnretainedValue().watch(fd, what: what, known: socketp != nil)
        }
        rc = rc != CURLM_OK ? rc : cshims_curl_multi_setopt_pointer(m, CURLMOPT_SOCKETDATA, me)
        rc = rc != CURLM_OK ? rc : cshims_curl_multi_setopt_timer_callback(m, CURLMOPT_TIMERFUNCTION) { _, ms, userp in
            guard let userp else { return 0 }
            Unmanaged<CurlMulti>.fromOpaque(userp).takeUnretainedValue().setTimer(milliseconds: ms)
            return 0
        }
        rc = rc != CURLM_OK ? rc : cshims_curl_multi_setopt_pointer(m, CURLMOPT_TIMERDATA, me)
        rc = rc != CURLM_OK ? rc : cshims_curl_multi_setopt_long(m, CURLMOPT_PIPELINING, cshims_curlpipe_multiplex())
        rc = rc != CURLM_OK ? rc : cshims_curl_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        rc = rc != CURLM_OK ? rc : cshims_curl_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, maxPooledConnections)
        if rc != CURLM_OK {
            throw .other(code: Int(rc.rawValue), message: String(cString: curl_multi_strerror(rc)))
        }
    }

    deinit {
        guard let m = raw else { return }
        // Dropped without close(): keep curl's callbacks away from a dying object, and let
        // the loop forget the sockets on its own thread.
        _ = cshims_curl_multi_setopt_pointer(m, CURLMOPT_SOCKETDATA, nil)
        _ = cshims_curl_multi_setopt_pointer(m, CURLMOPT_TIMERDATA, nil)
        tearingDown = true
        for e in easies.keys { curl_multi_remove_handle(m, e) }
        curl_multi_cleanup(m)
        let regs = sockets.values.map(\.registration)
        let loop = self.loop
        if !regs.isEmpty { loop.execute { for r in regs { loop.deregister(r) } } }
    }

    var activeTransfers: Int { easies.count }
    /// The handles added and not yet finished or removed.
    var handles: [CurlEasyHandle] { Array(easies.values) }
    /// Sockets curl asks to be watched (parked ones, which it dropped, not counted).
    var watchedSockets: Int { sockets.values.reduce(0) { $0 + ($1.parked ? 0 : 1) } }
    /// Sockets registered with the loop, parked ones included.
    var registeredSockets: [curl_socket_t] { Array(sockets.keys) }
    /// Sockets curl opened through `adopt`'s callback and has not closed.
    var openSockets: Set<curl_socket_t> { ownedSockets }

    /// Makes curl open and close `easy`'s connection sockets through this multi, so it
    /// knows which sockets are whose and when one is gone (see `watch`). Options an easy
    /// keeps until curl_easy_reset; every connection remembers the closing callback of the
    /// handle that opened it, and all of them are closed by curl_multi_cleanup at the latest.
    func adopt(_ easy: CurlEasyHandle) throws(TransportError) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        try easy.set(CURLOPT_OPENSOCKETFUNCTION, openSocket: { clientp, purpose, address in
            guard let clientp, let address else { return CURL_SOCKET_BAD }
            let a = address.pointee
            let fd = cshims_socket_cloexec(a.family, a.socktype, a.protocol)
            guard fd >= 0 else { return CURL_SOCKET_BAD }
            Unmanaged<CurlMulti>.fromOpaque(clientp).takeUnretainedValue().opened(fd)
            return fd
        })
        try easy.set(CURLOPT_OPENSOCKETDATA, pointer: me)
        try easy.set(CURLOPT_CLOSESOCKETFUNCTION, closeSocket: { clientp, fd in
            if let clientp { Unmanaged<CurlMulti>.fromOpaque(clientp).takeUnretainedValue().closing(fd) }
            return Glibc.close(fd)
        })
        try easy.set(CURLOPT_CLOSESOCKETDATA, pointer: me)
    }

    func add(_ easy: CurlEasyHandle) throws(TransportError) {
        guard let m = raw else { throw .cancelled }
        // Adding arms curl's timer (timeout 0); the transfer starts when it fires.
        let rc = curl_multi_add_handle(m, easy.raw)
        guard rc == CURLM_OK else {
            throw .other(code: Int(rc.rawValue), message: String(cString: curl_multi_strerror(rc)))
        }
        easies[easy.raw] = easy
    }

    /// Stops a transfer that has not finished; its connection is closed, not pooled.
    func remove(_ easy: CurlEasyHandle) {
        guard let m = raw, easies.removeValue(forKey: easy.raw) != nil else { return }
        curl_multi_remove_handle(m, easy.raw)
    }

    /// Removes every unfinished transfer, closes pooled connections and frees the multi
    /// handle (the easy handles outlive it; they were removed first).
    func close() {
        guard let m = raw else { return }
        tearingDown = true
        for e in easies.keys { curl_multi_remove_handle(m, e) }
        curl_multi_cleanup(m)
        raw = nil
        easies.removeAll()
        for w in sockets.values { loop.deregister(w.registration) }
        sockets.removeAll()
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    // MARK: curl → loop (inside curl's callbacks: record, never call back into curl)

    /// curl drops a socket (CURL_POLL_REMOVE) when its transfer ends and asks for it again
    /// when the next transfer reuses the pooled connection: per transfer an epoll DEL and an
    /// ADD. Instead a dropped socket is parked: it stays registered, and taking it back costs
    /// one epoll MOD, which also proves the registration is still the kernel's (curl may have
    /// closed the socket meanwhile, and the number may belong to a new one). A parked socket
    /// that becomes ready (the server closed the idle connection) is let go at once.
    ///
    /// For the sockets curl opens through `adopt`'s callback the parking is cheaper still:
    /// their closing is reported (`closing`), so a parked one still registered is the same
    /// socket, and taking it back for the interest it had costs no system call at all.
    private func watch(_ fd: curl_socket_t, what: CInt, known: Bool) -> CInt {
        if what == CURL_POLL_REMOVE {
            sockets[fd]?.parked = true
            return 0
        }
        var interest: IOEvents = []
        if what & CURL_POLL_IN != 0 { interest.insert(.readable) }
        if what & CURL_POLL_OUT != 0 { interest.insert(.writable) }

        if let w = sockets[fd] {
            if known && !w.parked {
                do {
                    try loop.modify(w.registration, interest: interest)
                    return 0
                } catch {}
            } else if w.parked, loop.interest(of: w.registration) != nil,
                      // Not forced for a socket whose closing curl reports (`owned`): the
                      // registration is then known to be this socket's.
                      (try? loop.modify(w.registration, interest: interest, force: !w.owned)) != nil {
                w.parked = false
                if let m = raw { curl_multi_assign(m, fd, Unmanaged.passUnretained(w).toOpaque()) }
                return 0
            }
            // The modify failed, or curl calls this a new socket while we still hold the
            // number: it closed the old one and the kernel handed the fd out again. Forget
            // the old registration (the generation keeps a late event for it from reaching
            // the new one).
            loop.deregister(w.registration)
            sockets[fd] = nil
        }
        let w = CurlSocketWatch(multi: self)
        w.owned = ownedSockets.contains(fd)
        do {
            w.registration = try loop.register(fd: fd, interest: interest, handler: w)
        } catch {
            return -1
        }
        sockets[fd] = w
        if let m = raw { curl_multi_assign(m, fd, Unmanaged.passUnretained(w).toOpaque()) }
        return 0
    }

    /// curl opened `fd` (inside a curl call). A registration still held under its number
    /// belongs to a socket closed without our knowing (one curl did not open through
    /// `adopt`'s callback); it goes now.
    private func opened(_ fd: curl_socket_t) {
        ownedSockets.insert(fd)
        if let stale = sockets.removeValue(forKey: fd) { loop.deregister(stale.registration) }
    }

    /// curl is about to close `fd` (inside a curl call): it leaves the loop first, while the
    /// number is still this socket's.
    private func closing(_ fd: curl_socket_t) {
        ownedSockets.remove(fd)
        guard !tearingDown, let w = sockets.removeValue(forKey: fd) else { return }
        loop.deregister(w.registration)
    }

    /// A parked socket became ready: curl no longer watches it, so stop watching it too.
    fileprivate func parkedSocketReady(_ w: CurlSocketWatch) {
        let fd = w.registration.fd
        loop.deregister(w.registration)
        if sockets[fd] === w { sockets[fd] = nil }
    }

    /// When curl last asked to be called (nil: it asked for no call).
    private var timerDeadline: LoopInstant?

    /// curl moves its deadline on nearly every call (each transfer it starts or finishes).
    /// A loop timer already armed for that instant or earlier is kept: when it fires before
    /// the wanted instant it re-arms for it, without calling curl. So a transfer usually costs
    /// no timer at all, and cancelled timers do not pile up in the loop's heap.
    private func setTimer(milliseconds ms: Int) {
        guard ms >= 0 else {
            timerDeadline = nil
            return
        }
        // 0 means "now", but not from inside this callback: a zero-delay loop timer runs
        // once the current curl call has returned.
        // Plain 64-bit nanoseconds: `+ .milliseconds(ms)` builds a Duration (128-bit
        // arithmetic) on every call, and curl calls this for nearly every transfer.
        let (ns, overflow) = UInt64(ms).multipliedReportingOverflow(by: 1_000_000)
        let deadline = loop.now().adding(nanoseconds: overflow ? .max : ns)
        timerDeadline = deadline
        if let armed = timer, !armed.isCancelled, armed.deadline <= deadline { return }
        armTimer(at: deadline)
    }

    private func armTimer(at deadline: LoopInstant) {
        timer?.cancel()
        if timerFired == nil {
            // Made once: every timer armed runs this same closure.
            timerFired = { [weak self] in
                guard let self else { return }
                self.timer = nil
                guard let wanted = self.timerDeadline else { return }
                if wanted > self.loop.now() {
                    self.armTimer(at: wanted)
                    return
                }
                self.timerDeadline = nil
                self.socketAction(cshims_curl_socket_timeout(), events: 0)
            }
        }
        timer = loop.schedule(at: deadline, timerFired!)
    }

    private var timerFired: (() -> Void)?

    // MARK: loop → curl

    fileprivate func socketReady(_ fd: curl_socket_t, _ events: IOEvents) {
        var mask: CInt = 0
        if !events.isDisjoint(with: [.readable, .hangup]) { mask |= CURL_CSELECT_IN }
        if events.contains(.writable) { mask |= CURL_CSELECT_OUT }
        if events.contains(.error) { mask |= CURL_CSELECT_ERR }
        socketAction(fd, events: mask)
    }

    private func socketAction(_ fd: curl_socket_t, events: CInt) {
        guard let m = raw else { return }
        precondition(!insideSocketAction, "curl_multi_socket_action re-entered")
        insideSocketAction = true
        var running: CInt = 0
        _ = curl_multi_socket_action(m, fd, events, &running)
        insideSocketAction = false
        collectFinished()
    }

    /// Reads all finished transfers first and hands them out afterwards, so a completion
    /// that starts a new request or closes the multi does not disturb the iteration.
    private func collectFinished() {
        guard let m = raw else { return }
        // The buffer of the last call (taken, so a completion that ends in here again
        // cannot share it), given back at the end.
        var done = finishedBuffer
        finishedBuffer = []
        var left: CInt = 0
        while let msg = curl_multi_info_read(m, &left) {
            guard msg.pointee.msg == CURLMSG_DONE, let e = msg.pointee.easy_handle else { continue }
            let code = msg.pointee.data.result
            if let easy = easies.removeValue(forKey: e) {
                done.append((easy, code))
            }
        }
        for (easy, _) in done { curl_multi_remove_handle(m, easy.raw) }
        if !done.isEmpty { onFinished?(done) }
        done.removeAll(keepingCapacity: true)
        finishedBuffer = done
    }

    private var finishedBuffer: [(CurlEasyHandle, CURLcode)] = []
}

/// The loop's handler for one of curl's sockets.
private final class CurlSocketWatch: IOEventHandler {
    weak var multi: CurlMulti?
    var registration = Registration(fd: -1, generation: 0)
    /// curl said CURL_POLL_REMOVE; still registered with the loop (see `CurlMulti.watch`).
    var parked = false
    /// Opened and (later) closed through the multi's callbacks (`CurlMulti.adopt`).
    var owned = false

    init(multi: CurlMulti) { self.multi = multi }

    func handleIO(_ events: IOEvents) {
        if parked {
            multi?.parkedSocketReady(self)
            return
        }
        multi?.socketReady(registration.fd, events)
    }
}
