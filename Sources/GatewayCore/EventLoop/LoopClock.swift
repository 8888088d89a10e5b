#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A point on a loop's monotonic time line, in nanoseconds.
public struct LoopInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static func < (a: LoopInstant, b: LoopInstant) -> Bool { a.nanoseconds < b.nanoseconds }

    public static func + (a: LoopInstant, d: Duration) -> LoopInstant {
        let ns = d.nanoseconds
        if ns <= 0 { return LoopInstant(nanoseconds: a.nanoseconds &- UInt64(min(-ns, Int64(a.nanoseconds)))) }
        let (sum, overflow) = a.nanoseconds.addingReportingOverflow(UInt64(ns))
        return LoopInstant(nanoseconds: overflow ? .max : sum)
    }

    public static func - (a: LoopInstant, b: LoopInstant) -> Duration {
        if a >= b { return .nanoseconds(Int64(clamping: a.nanoseconds - b.nanoseconds)) }
        return .nanoseconds(-Int64(clamping: b.nanoseconds - a.nanoseconds))
    }

    public static let distantFuture = LoopInstant(nanoseconds: .max)

    /// Seconds from `earlier` to this instant (negative if it is later), without building a
    /// `Duration` (whose nanoseconds go through 128-bit arithmetic).
    @inlinable
    public func seconds(since earlier: LoopInstant) -> Double {
        nanoseconds >= earlier.nanoseconds ? Double(nanoseconds - earlier.nanoseconds) / 1e9
            : -Double(earlier.nanoseconds - nanoseconds) / 1e9
    }

    /// This instant plus a non-negative number of nanoseconds, saturating.
    @inlinable
    public func adding(nanoseconds ns: UInt64) -> LoopInstant {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(ns)
        return LoopInstant(nanoseconds: overflow ? .max : sum)
    }

    public var description: String { "\(Double(nanoseconds) / 1e9)s" }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    public var nanoseconds: Int64 {
        let (s, atto) = components
        let (ns, o) = s.multipliedReportingOverflow(by: 1_000_000_000)
        if o { return s < 0 ? .min : .max }
        return ns &+ atto / 1_000_000_000
    }
}

/// Where a loop reads the time. Injected so that timeouts, TTLs and buckets are tested
/// without sleeping: a `ManualClock` only moves when a test moves it.
public protocol LoopClock: AnyObject, Sendable {
    func now() -> LoopInstant
    /// How long epoll may block before `deadline` is due: milliseconds, or -1 for
    /// "until something wakes the loop" (a manual clock wakes its loops when advanced).
    func waitMilliseconds(until deadline: LoopInstant) -> Int32
    /// Called by a loop at start-up so the clock can wake it when time jumps.
    func attach(wakeUp: @escaping @Sendable () -> Void)
    /// Whether `attach` keeps the closure (a clock that jumps). A loop on a clock that does
    /// not never makes the closure: its weak reference would give the loop a reference-count
    /// side table, and every retain and release of the loop would take the slow path.
    var wakesLoops: Bool { get }
}

/// CLOCK_MONOTONIC.
public final class SystemClock: LoopClock {
    public static let shared = SystemClock()

    public init() {}

    public func now() -> LoopInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return LoopInstant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }

    public func waitMilliseconds(until deadline: LoopInstant) -> Int32 {
        let now = self.now()
        if deadline <= now { return 0 }
        // Round up: waking 1 ms early would spin once more for nothing.
        let ms = (deadline.nanoseconds - now.nanoseconds + 999_999) / 1_000_000
        return Int32(clamping: ms)
    }

    public func attach(wakeUp: @escaping @Sendable () -> Void) {}

    public var wakesLoops: Bool { false }
}

/// A clock that stands still until `advance(by:)`; loops using it block until woken.
public final class ManualClock: LoopClock {
    private struct State {
        var now: LoopInstant
        var wakers: [@Sendable () -> Void] = []
    }
    private let state: Mutex<State>

    public init(start: LoopInstant = LoopInstant(nanoseconds: 1_000_000_000)) {
        state = Mutex(State(now: start))
    }

    public func now() -> LoopInstant { state.withLock { $0.now } }

    public func waitMilliseconds(until deadline: LoopInstant) -> Int32 {
        deadline <= now() ? 0 : -1
    }

    public func attach(wakeUp: @escaping @Sendable () -> Void) {
        state.withLock { $0.wakers.append(wakeUp) }
    }

    public var wakesLoops: Bool { true }

    public func advance(by d: Duration) {
        let wakers = state.withLock { s -> [@Sendable () -> Void] in
            s.now = s.now + d
            return s.wakers
        }
        for w in wakers { w() }
    }
}
