#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import GatewayCore

/// A clock advance must wake every loop on the clock so it looks at its timers again, wherever
/// in its iteration the loop is when the advance lands. A clock with hooks puts the advance
/// exactly into the two windows where a wake-up could be lost, on the loop's own thread, so
/// the interleaving is certain rather than hoped for. After the advance nothing else touches
/// the loop: only the advance's own wake-up (or the loop's re-reading of the clock) can make
/// the timer fire.
@Suite("Event loop: clock advances are never lost")
struct EventLoopWakeupTests {
    /// Like `ManualClock`, plus one-shot hooks: inside the loop's next timeout computation
    /// (after it read the time), or right after its next read of the time.
    final class HookedClock: LoopClock {
        private struct State {
            var now = LoopInstant(nanoseconds: 1_000_000_000)
            var wakers: [@Sendable () -> Void] = []
            var afterNextWaitComputation: (@Sendable () -> Void)?
            var afterNextRead: (@Sendable () -> Void)?
        }
        private let state = Mutex(State())

        func now() -> LoopInstant {
            let (t, hook) = state.withLock { s in
                defer { s.afterNextRead = nil }
                return (s.now, s.afterNextRead)
            }
            hook?()
            return t  // read before the hook ran: stale if the hook advanced the clock
        }

        func waitMilliseconds(until deadline: LoopInstant) -> Int32 {
            let (t, hook) = state.withLock { s in
                defer { s.afterNextWaitComputation = nil }
                return (s.now, s.afterNextWaitComputation)
            }
            let timeout: Int32 = deadline <= t ? 0 : -1
            hook?()
            return timeout
        }

        func attach(wakeUp: @escaping @Sendable () -> Void) { state.withLock { $0.wakers.append(wakeUp) } }
        var wakesLoops: Bool { true }

        func advance(by d: Duration) {
            let wakers = state.withLock { s in
                s.now = s.now + d
                return s.wakers
            }
            for w in wakers { w() }
        }

        func afterNextWaitComputation(_ hook: @escaping @Sendable () -> Void) { state.withLock { $0.afterNextWaitComputation = hook } }
        func afterNextRead(_ hook: @escaping @Sendable () -> Void) { state.withLock { $0.afterNextRead = hook } }
    }

    /// The loop has computed "no timer due, block for good" (-1) and not yet entered
    /// epoll_wait when the clock moves past the timer: the advance's eventfd write must make
    /// that epoll_wait return at once.
    @Test func anAdvanceBetweenTheTimeoutComputationAndEpollWaitFiresTheTimer() async throws {
        let clock = HookedClock()
        let t = try EventLoopThread(name: "wake-window", clock: clock)
        defer { t.stopAndJoinBounded() }
        let fired = Atomic<Bool>(false)
        _ = try await t.loop.runBounded("the timer's scheduling") {
            t.loop.schedule(after: .seconds(1)) { fired.store(true, ordering: .releasing) }
            clock.afterNextWaitComputation { clock.advance(by: .seconds(2)) }
            return 0
        }
        waitUntil("the timer to fire after the advance", seconds: 10) { fired.load(ordering: .acquiring) }
    }

    /// The loop was woken by other work (its wake-up is pending, so the advance's wake-up is
    /// suppressed: no second eventfd write) and read the time just before the advance, so this
    /// iteration sees the timer as not due. The next timeout computation must read the clock
    /// again rather than trust the iteration's cached time, or the loop would block for good.
    @Test func anAdvanceRightAfterTheLoopReadTheTimeWithAWakeUpPendingFiresTheTimer() async throws {
        let clock = HookedClock()
        let t = try EventLoopThread(name: "wake-pending", clock: clock)
        defer { t.stopAndJoinBounded() }
        let fired = Atomic<Bool>(false)
        _ = try await t.loop.runBounded("the timer's scheduling") {
            t.loop.schedule(after: .seconds(1)) { fired.store(true, ordering: .releasing) }
            return 0
        }
        // The loop now blocks in epoll_wait(-1). Its next read of the time is the one right
        // after that epoll_wait returns, which the execute below causes.
        // (Unless a late eventfd write of an earlier wake-up takes the loop round once more
        // first; then the advance's wake-up is not suppressed. It landed with the wake-up
        // pending in 20 runs of 20.)
        clock.afterNextRead { clock.advance(by: .seconds(2)) }
        t.loop.execute {}
        waitUntil("the timer to fire after the advance", seconds: 10) { fired.load(ordering: .acquiring) }
    }
}
