#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import GatewayCore

@Suite("Event loop")
struct EventLoopTests {
    /// Runs `body` on the loop and waits for its result (bounded: throws if it never runs).
    func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () -> T) async throws -> T {
        try await loop.runBounded("an onLoop task", body)
    }

    @Test func timersFireInDeadlineOrderWhenTheClockReachesThem() async throws {
        let clock = ManualClock()
        let t = try EventLoopThread(name: "t", clock: clock)
        defer { t.stopAndJoinBounded() }
        let fired = Mutex<[String]>([])
        _ = try await onLoop(t.loop) {
            t.loop.schedule(after: .seconds(3)) { fired.withLock { $0.append("c") } }
            t.loop.schedule(after: .seconds(1)) { fired.withLock { $0.append("a") } }
            t.loop.schedule(after: .seconds(2)) { fired.withLock { $0.append("b") } }
            return 0
        }
        clock.advance(by: .milliseconds(1500))
        _ = try await onLoop(t.loop) { 0 }
        #expect(fired.withLock { $0 } == ["a"])
        clock.advance(by: .seconds(5))
        _ = try await onLoop(t.loop) { 0 }
        #expect(fired.withLock { $0 } == ["a", "b", "c"])
    }

    @Test func cancelledTimerNeverFires() async throws {
        let clock = ManualClock()
        let t = try EventLoopThread(name: "t", clock: clock)
        defer { t.stopAndJoinBounded() }
        let fired = Atomic<Int>(0)
        _ = try await onLoop(t.loop) {
            let timer = t.loop.schedule(after: .seconds(1)) { fired.add(1, ordering: .relaxed) }
            timer.cancel()
            t.loop.schedule(after: .seconds(1)) { fired.add(10, ordering: .relaxed) }
            return 0
        }
        clock.advance(by: .seconds(2))
        _ = try await onLoop(t.loop) { 0 }
        #expect(fired.load(ordering: .relaxed) == 10)
    }

    @Test func executeFromAnotherThreadRunsOnTheLoopThread() async throws {
        let t = try EventLoopThread(name: "t")
        defer { t.stopAndJoinBounded() }
        #expect(!t.loop.inEventLoop)
        let onThread = try await onLoop(t.loop) { t.loop.inEventLoop }
        #expect(onThread)
    }

    @Test func asyncCodeWithTheLoopAsExecutorResumesOnTheLoop() async throws {
        let t = try EventLoopThread(name: "t")
        defer { t.stopAndJoinBounded() }
        let loop = t.loop
        let seen = try await Task(executorPreference: loop) { () throws -> [Bool] in
            var s = [loop.inEventLoop]
            await Task.yield()
            s.append(loop.inEventLoop)
            // A continuation resumed from the loop thread (as the curl transport does).
            try await loop.runBounded("a resume from the loop") { () }
            s.append(loop.inEventLoop)
            return s
        }.value
        #expect(seen == [true, true, true])
    }

    final class Recorder: IOEventHandler, @unchecked Sendable {
        var calls = 0
        var numberReused = false
        func handleIO(_ events: IOEvents) { calls += 1 }
    }

    /// Whichever of two readable pipes is dispatched first closes the other's read end and
    /// registers a fresh, empty pipe under that same number. The other event of the batch
    /// is now stale: delivering it would call a handler whose pipe has nothing to read.
    final class Swapper: IOEventHandler {
        var onFirst: (() -> Void)?
        func handleIO(_ events: IOEvents) { let f = onFirst; onFirst = nil; f?() }
    }

    @Test func staleEventForAReusedDescriptorIsDropped() async throws {
        let t = try EventLoopThread(name: "t")
        defer { t.stopAndJoinBounded() }
        let loop = t.loop
        let recorder = Recorder()
        _ = try await onLoop(loop) { () -> Bool in
            func makePipe() -> (read: CInt, write: CInt) {
                var fds: [CInt] = [0, 0]
                pipe(&fds)
                for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
                return (fds[0], fds[1])
            }
            let pa = makePipe(), pb = makePipe()
            let a = Swapper(), b = Swapper()
            let regA = try! loop.register(fd: pa.read, interest: .readable, handler: a)
            let regB = try! loop.register(fd: pb.read, interest: .readable, handler: b)
            func replace(_ reg: Registration) {
                loop.deregister(reg)
                // dup2 closes the old pipe's read end and puts a fresh, empty pipe's read
                // end at the same number in one step (other tests open fds concurrently).
                let fresh = makePipe()
                recorder.numberReused = dup2(fresh.read, reg.fd) == reg.fd
                close(fresh.read)
                _ = try! loop.register(fd: reg.fd, interest: .readable, handler: recorder)
            }
            a.onFirst = { b.onFirst = nil; replace(regB) }
            b.onFirst = { a.onFirst = nil; replace(regA) }
            // Both readable before the loop next waits: one epoll_wait returns both.
            _ = write(pa.write, "x", 1)
            _ = write(pb.write, "x", 1)
            return true
        }
        for _ in 0..<3 { _ = try await onLoop(loop) { 0 } }
        let (calls, reused) = try await onLoop(loop) { (recorder.calls, recorder.numberReused) }
        #expect(reused, "the scenario needs the descriptor number to be reused")
        #expect(calls == 0)
    }
}
