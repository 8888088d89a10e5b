#if canImport(Glibc)
import Glibc
#endif
import CShims
import Synchronization
import Testing
@testable import GatewayCore

/// The test support's own guarantees. It must never close a descriptor it does not own: in
/// a full run the suites share one process, and a number closed twice is, the second time,
/// whatever another test opened in between (an event loop's eventfd: that loop then sleeps in
/// epoll_wait for good). And its waits are bounded (Support/BoundedWaits.swift).
@Suite("Test support: descriptors and bounded waits")
struct TestSupportTests {
    /// A refused connect used to close its socket in `RawClient.init` and again in `deinit`
    /// (a class init that throws after its stored properties are set still runs deinit).
    /// A second thread keeps opening eventfds, which take the lowest free number, i.e. the one
    /// a refused client has just closed; it checks each stays its own while it holds it.
    /// 3000 connects (about a tenth of a second; bounded by real time too). On the old code it caught
    /// a theft within a few hundred connects, every time.
    @Test func aRefusedRawClientDoesNotCloseADescriptorItNoLongerOwns() throws {
        // Bound but not listening: connects are refused, and no other test can take the port.
        let (holder, port) = try boundNotListening()
        defer { close(holder) }
        let stop = Atomic<Bool>(false)
        let checked = Atomic<Int>(0)
        let stolen = Atomic<Int>(0)
        let watcherDone = Atomic<Bool>(false)
        spawnTestThread {
            defer { watcherDone.store(true, ordering: .releasing) }
            while !stop.load(ordering: .acquiring) {
                let fd = eventfd(0, CInt(EFD_CLOEXEC))
                guard fd >= 0 else { continue }
                var mine = stat()
                guard fstat(fd, &mine) == 0 else { continue }
                var ok = true
                for _ in 0..<16 {
                    var now = stat()
                    if fstat(fd, &now) != 0 || now.st_ino != mine.st_ino || now.st_dev != mine.st_dev {
                        ok = false
                        break
                    }
                }
                checked.add(1, ordering: .relaxed)
                if ok { close(fd) } else { stolen.add(1, ordering: .relaxed) }  // not ours to close any more
                if !ok { return }
            }
        }
        let start = LoopInstant.realNow()
        var refused = 0
        while refused < 3000 && stolen.load(ordering: .relaxed) == 0 && LoopInstant.realNow().seconds(since: start) < 10 {
            do {
                _ = try RawClient(port: port)
                Issue.record("connected to a closed port \(port)")
                break
            } catch {
                refused += 1
            }
        }
        stop.store(true, ordering: .releasing)
        waitUntil("the descriptor watcher thread to end") { watcherDone.load(ordering: .acquiring) }
        #expect(stolen.load(ordering: .relaxed) == 0, "an eventfd was closed by a refused RawClient after \(refused) connects")
        if stolen.load(ordering: .relaxed) == 0 {
            // Enough of both for the race to have had its chances (the old code lost an
            // eventfd within 41 to 333 connects in 10 runs out of 10).
            #expect(refused >= 2000, "only \(refused) refused connects in the time allowed")
            #expect(checked.load(ordering: .relaxed) > 100)
        }
    }

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
        // The report reads the epoll set right: the eventfd is in it before the swap.
        #expect(t.loop.wakeUpReport().contains("wake fd registered in the epoll set: true"), "\(t.loop.wakeUpReport())")
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

    /// A TCP socket bound to 127.0.0.1 on an ephemeral port, not listening.
    func boundNotListening() throws -> (fd: CInt, port: Int) {
        let fd = socket(AF_INET, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket", errno: errno) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { let e = errno; close(fd); throw SystemError("bind", errno: e) }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}
