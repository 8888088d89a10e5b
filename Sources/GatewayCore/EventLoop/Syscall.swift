#if canImport(Glibc)
import Glibc
#endif
internal import CShims

/// An errno from a failed system call, with the call's name for the message.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let errno: CInt

    public init(_ call: String, errno: CInt) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The outcome of a non-blocking call: a value, or "try again later" (EAGAIN).
public enum IOResult<T> {
    case processed(T)
    case wouldBlock
}

/// Every syscall goes through here: EINTR is retried, EAGAIN becomes `.wouldBlock`,
/// anything else is thrown with the call's name (the swift-nio discipline).
@inline(__always)
func syscall<T: FixedWidthInteger>(
    _ name: @autoclosure () -> String,
    _ body: () -> T
) throws(SystemError) -> IOResult<T> {
    while true {
        let r = body()
        if r >= 0 { return .processed(r) }
        let e = cshims_errno()
        if e == EINTR { continue }
        if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
        throw SystemError(name(), errno: e)
    }
}

/// For calls that never return EAGAIN (epoll_ctl, bind, listen ...).
@inline(__always)
@discardableResult
func syscallBlocking<T: FixedWidthInteger>(
    _ name: @autoclosure () -> String,
    _ body: () -> T
) throws(SystemError) -> T {
    while true {
        let r = body()
        if r >= 0 { return r }
        let e = cshims_errno()
        if e == EINTR { continue }
        throw SystemError(name(), errno: e)
    }
}
