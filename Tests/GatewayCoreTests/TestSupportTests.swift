#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import GatewayCore

/// The test support's bounded waits (Support/BoundedWaits.swift).
@Suite("Test support: descriptors and bounded waits")
struct TestSupportTests {
    /// The bounded waits fail, instead of hanging, on a loop that can no longer be woken, and
    /// say why: here its eventfd is replaced by /dev/null behind its back (what a double close
    /// elsewhere in the process does), so `execute` writes go nowhere and the loop sleeps in
    /// epoll_wait(-1) (system clock, no timers). A pipe registered beforehand wakes it at the
    /// end so the thread can be joined.
    @Test func aLoopThatCannotBeWokenFailsTheWaitAndTheReportSaysWhy() async throws {
        let t = try EventLoopThread(name: "unwakeable")
        var p: [CInt] = [0, 0]
        #expect(pipe(&p) == 0)
        defer { close(p[0]); close(p[1]) }
        let readEnd = p[0]
        final class Drain: IOEventHandler {
            let fd: CInt
            init(fd: CInt) { self.fd = fd }
            func handleIO(_ events: IOEvents) { var b: UInt8 = 0; _ = read(fd, &b, 1) }
        }
        let registered = try await t.loop.runBounded("the pipe's registration") { () -> Bool in
            (try? t.loop.register(fd: readEnd, interest: .readable, handler: Drain(fd: readEnd))) != nil
        }
        #expect(registered)
        let wakeFD = t.loop.diagnostics.wakeFD
        let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
        #expect(dup2(devNull, wakeFD) == wakeFD)
        close(devNull)

        var report = ""
        do {
            _ = try await t.loop.runBounded("a probe task", seconds: 0.3) { 0 }
            Issue.record("the loop ran the task although it cannot be woken")
        } catch let e as WaitTimedOut {
            report = e.description
        }
        #expect(report.contains("did not run a probe task within 0.3 s"), "\(report)")
        #expect(report.contains("wake fd \(wakeFD) -> /dev/null"), "\(report)")
        #expect(report.contains("wake fd registered in the epoll set: false"), "\(report)")
        #expect(report.contains("1 task(s)"), "\(report)")
        #expect(!t.stopAndJoin(within: .milliseconds(300)))
        #expect(t.loop.isRunning)

        // One byte on the pipe: the loop goes round once, runs what waited, sees the stop.
        var one: UInt8 = 1
        #expect(write(p[1], &one, 1) == 1)
        t.stopAndJoinBounded()
        #expect(!t.loop.isRunning)
    }

}
