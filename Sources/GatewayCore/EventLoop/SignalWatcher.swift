#if canImport(Glibc)
import Glibc
#endif
internal import CShims

/// Delivers SIGTERM and SIGINT through a signalfd on a loop, so shutdown runs as ordinary
/// loop code instead of inside an async-signal handler. Create it before starting other
/// threads: the signal mask it sets is inherited by them, so only the signalfd sees the
/// signals. SIGPIPE is blocked too (a closed client must be an EPIPE, not a dead process).
public final class SignalWatcher: IOEventHandler {
    private let fd: CInt
    private let loop: EventLoop
    private var registration: Registration?
    private let onSignal: (CInt) -> Void

    public init(loop: EventLoop, onSignal: @escaping (CInt) -> Void) throws(SystemError) {
        let fd = cshims_signalfd_term_int()
        if fd < 0 { throw SystemError("signalfd", errno: cshims_errno()) }
        self.fd = fd
        self.loop = loop
        self.onSignal = onSignal
    }

    /// Call on the loop's thread (or before it runs).
    public func start() throws(SystemError) {
        registration = try loop.register(fd: fd, interest: .readable, handler: self)
    }

    public func handleIO(_ events: IOEvents) {
        while true {
            let sig = cshims_signalfd_read(fd)
            if sig <= 0 { return }
            onSignal(CInt(sig))
        }
    }

    deinit {
        if let r = registration { loop.deregister(r) }
        close(fd)
    }
}
