#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import GatewayCore

/// Every wait in these tests is bounded in real time: a test that waits for something that
/// never happens fails, naming what it waited for, instead of hanging the run. The bound is
/// generous (a loaded 2-core CI runs several suites at once); nothing here sleeps to let
/// time pass, these only give up.
enum TestBounds {
    /// Real seconds before a wait for loop work, a drain or a loop's end gives up.
    static let seconds: Double = 20
}

/// A wait that gave up (thrown by the async waits, so the test ends there).
struct WaitTimedOut: Error, CustomStringConvertible {
    let description: String
}

extension LoopInstant {
    /// CLOCK_MONOTONIC, whatever clock the loop under test uses.
    static func realNow() -> LoopInstant { SystemClock.shared.now() }
}

/// Polls `condition` (every millisecond, real time) until it holds; after `seconds`, records
/// an issue naming `what` and returns false.
@discardableResult
func waitUntil(
    _ what: @autoclosure () -> String,
    seconds: Double = TestBounds.seconds,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) -> Bool {
    let start = LoopInstant.realNow()
    while !condition() {
        if LoopInstant.realNow().seconds(since: start) >= seconds {
            Issue.record("gave up after \(seconds) s (real time) waiting for \(what())", sourceLocation: sourceLocation)
            return false
        }
        usleep(1000)
    }
    return true
}

/// Starts work that reports through `resume` (exactly once; later calls are ignored) and
/// waits for it, at most `seconds` of real time; then throws, naming `what`.
func withBoundedContinuation<T: Sendable>(
    _ what: String,
    seconds: Double = TestBounds.seconds,
    _ start: (@escaping @Sendable (T) -> Void) -> Void
) async throws -> T {
    let box = OneShot<T>()
    let outcome = await withCheckedContinuation { (c: CheckedContinuation<OneShot<T>.Outcome, Never>) in
        box.install(c)
        let id = TestWatchdog.shared.schedule(after: seconds) { box.finish(.timedOut) }
        box.setWatchdog(id)
        start { box.finish(.value($0)) }
    }
    switch outcome {
    case .value(let v): return v
    case .timedOut: throw WaitTimedOut(description: "gave up after \(seconds) s (real time) waiting for \(what)")
    }
}

extension EventLoop {
    /// Runs `body` on the loop and returns its result. Throws, naming `what` and the loop's
    /// wake-up state, if the loop has not run it within `seconds` of real time.
    func runBounded<T: Sendable>(
        _ what: String,
        seconds: Double = TestBounds.seconds,
        _ body: @escaping @Sendable () -> T
    ) async throws -> T {
        do {
            return try await withBoundedContinuation(what, seconds: seconds) { resume in
                self.execute { resume(body()) }
            }
        } catch is WaitTimedOut {
            throw WaitTimedOut(description: "loop '\(name)' did not run \(what) within \(seconds) s (real time): \(wakeUpReport())")
        }
    }

    /// Twice through the loop: it has then been through an epoll_wait after anything the
    /// caller did before (see `TestServer.settle`).
    func settleBounded(_ what: String = "a settle task") async throws {
        _ = try await runBounded(what) { 0 }
        _ = try await runBounded(what) { 0 }
    }

    /// What a test that gave up on this loop reports: is the loop still running, what waits
    /// in its queue, and is its eventfd still in its epoll set (a descriptor closed behind the
    /// loop's back, e.g. a double close elsewhere in the process, loses every wake-up).
    func wakeUpReport() -> String {
        let d = diagnostics
        let epollTarget = fdTarget(d.epollFD)
        let wakeTarget = fdTarget(d.wakeFD)
        // The eventfd is registered with data 0xffffffffffffffff; fdinfo of the epoll fd
        // lists each registration as "tfd: N events: ... data: ...".
        let info = readSmallFile("/proc/self/fdinfo/\(d.epollFD)") ?? ""
        // ("tfd:        7 events:       19 data: ffffffffffffffff  pos:0 ino:... sdev:...").
        let registered = info.split(separator: "\n").contains { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 6, f[0] == "tfd:", f[1] == "\(d.wakeFD)", let i = f.firstIndex(of: "data:"), i + 1 < f.count else { return false }
            return f[i + 1] == "ffffffffffffffff"
        }
        return "running \(isRunning), \(d.queuedTasks) task(s) and \(d.queuedJobs) job(s) queued, wakePending \(d.wakePending), "
            + "epoll fd \(d.epollFD) -> \(epollTarget), wake fd \(d.wakeFD) -> \(wakeTarget), "
            + "wake fd registered in the epoll set: \(registered)"
    }
}

extension EventLoopThread {
    /// `stopAndJoin` that records an issue (and leaves the thread) if the loop has not
    /// stopped within the bound.
    func stopAndJoinBounded(seconds: Double = TestBounds.seconds, sourceLocation: SourceLocation = #_sourceLocation) {
        if !stopAndJoin(within: .milliseconds(Int64(seconds * 1000))) {
            Issue.record("loop '\(loop.name)' did not stop within \(seconds) s (real time): \(loop.wakeUpReport())", sourceLocation: sourceLocation)
        }
    }
}

/// What /proc says descriptor `fd` of this process is ("anon_inode:[eventfd]", "socket:[...]").
func fdTarget(_ fd: CInt) -> String {
    var buf = [CChar](repeating: 0, count: 256)
    let n = readlink("/proc/self/fd/\(fd)", &buf, buf.count - 1)
    if n < 0 { return "closed (errno \(errno))" }
    return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        out += buf[..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

/// A continuation resumed once, by whichever comes first: the work or the watchdog.
final class OneShot<T: Sendable>: Sendable {
    enum Outcome: Sendable {
        case value(T)
        case timedOut
    }

    private struct State: Sendable {
        var continuation: CheckedContinuation<Outcome, Never>?
        var watchdog: UInt64?
        var done = false
    }
    private let state = Mutex(State())

    func install(_ c: CheckedContinuation<Outcome, Never>) {
        state.withLock { $0.continuation = c }
    }

    func setWatchdog(_ id: UInt64) {
        let cancel = state.withLock { s -> Bool in
            if s.done { return true }
            s.watchdog = id
            return false
        }
        if cancel { TestWatchdog.shared.cancel(id) }
    }

    func finish(_ outcome: Outcome) {
        let (c, watchdog) = state.withLock { s -> (CheckedContinuation<Outcome, Never>?, UInt64?) in
            if s.done { return (nil, nil) }
            s.done = true
            defer { s.continuation = nil; s.watchdog = nil }
            return (s.continuation, s.watchdog)
        }
        if let watchdog { TestWatchdog.shared.cancel(watchdog) }
        c?.resume(returning: outcome)
    }
}

/// One thread for the whole test process that fires timeouts on real time. A plain thread,
/// not an event loop: it must work when the thing under test (a loop's wake-up) does not.
final class TestWatchdog: Sendable {
    static let shared = TestWatchdog()

    private struct Entry {
        let id: UInt64
        let deadline: LoopInstant
        let fire: @Sendable () -> Void
    }
    private struct State {
        var nextID: UInt64 = 1
        var entries: [Entry] = []
    }
    private let state = Mutex(State())

    private init() {
        spawnTestThread { [self] in self.run() }
    }

    func schedule(after seconds: Double, _ fire: @escaping @Sendable () -> Void) -> UInt64 {
        let deadline = LoopInstant.realNow().adding(nanoseconds: UInt64(seconds * 1e9))
        return state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            s.entries.append(Entry(id: id, deadline: deadline, fire: fire))
            return id
        }
    }

    func cancel(_ id: UInt64) {
        state.withLock { s in s.entries.removeAll { $0.id == id } }
    }

    private func run() {
        while true {
            // Resolution is of no concern: the bounds are tens of seconds.
            usleep(50_000)
            let now = LoopInstant.realNow()
            let due = state.withLock { s -> [Entry] in
                let due = s.entries.filter { $0.deadline <= now }
                if !due.isEmpty { s.entries.removeAll { $0.deadline <= now } }
                return due
            }
            for e in due { e.fire() }
        }
    }
}

/// Runs `body` on a new detached thread.
func spawnTestThread(_ body: @escaping @Sendable () -> Void) {
    final class Box { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    var t = pthread_t()
    let box = Unmanaged.passRetained(Box(body))
    let rc = pthread_create(&t, nil, { arg in
        Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
        return nil
    }, box.toOpaque())
    precondition(rc == 0)
    pthread_detach(t)
}
