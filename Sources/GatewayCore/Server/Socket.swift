#if canImport(Glibc)
import Glibc
#endif
internal import CShims

/// A resolved listening address: IPv4 or IPv6 literal plus port. Host names other than
/// `localhost` are not resolved here: a gateway binds to addresses, not names.
public struct SocketAddress: Sendable, CustomStringConvertible, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host == "localhost" ? "127.0.0.1" : host
        self.port = port
    }

    var isIPv6: Bool { host.contains(":") }

    public var isLoopback: Bool {
        host == "::1" || host.hasPrefix("127.")
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

enum Socket {
    /// A non-blocking listening socket. `reusePort` lets one listener per loop share the
    /// port, so the kernel spreads accepted connections over the loops.
    static func listen(on address: SocketAddress, backlog: Int32, reusePort: Bool) throws(SystemError) -> (fd: CInt, port: Int) {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = try syscallBlocking("socket") {
            socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do throws(SystemError) {
            var one: CInt = 1
            try syscallBlocking("setsockopt(SO_REUSEADDR)") {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
            }
            if reusePort {
                try syscallBlocking("setsockopt(SO_REUSEPORT)") {
                    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<CInt>.size))
                }
            }
            if address.isIPv6 {
                var sa = sockaddr_in6()
                sa.sin6_family = sa_family_t(AF_INET6)
                sa.sin6_port = in_port_t(UInt16(address.port).bigEndian)
                guard inet_pton(AF_INET6, address.host, &sa.sin6_addr) == 1 else {
                    throw SystemError("inet_pton(\(address.host))", errno: EINVAL)
                }
                try bind(fd, &sa, address)
            } else {
                var sa = sockaddr_in()
                sa.sin_family = sa_family_t(AF_INET)
                sa.sin_port = in_port_t(UInt16(address.port).bigEndian)
                guard inet_pton(AF_INET, address.host, &sa.sin_addr) == 1 else {
                    throw SystemError("inet_pton(\(address.host))", errno: EINVAL)
                }
                try bind(fd, &sa, address)
            }
            try syscallBlocking("listen") { Glibc.listen(fd, backlog) }
            return (fd, try localPort(fd))
        } catch {
            close(fd)
            throw error
        }
    }

    private static func bind<A>(_ fd: CInt, _ sa: inout A, _ address: SocketAddress) throws(SystemError) {
        try syscallBlocking("bind(\(address))") {
            withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<A>.size)) }
            }
        }
    }

    static func localPort(_ fd: CInt) throws(SystemError) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try syscallBlocking("getsockname") {
            withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        }
        return withUnsafePointer(to: &storage) { p -> Int in
            if p.pointee.ss_family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    static func setNoDelay(_ fd: CInt) {
        var one: CInt = 1
        _ = setsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
    }
}
