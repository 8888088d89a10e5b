/// A scheduled callback. Cancelling only marks it: the heap drops it when it surfaces,
/// which keeps cancel O(1) (connections re-arm timeouts on every request).
public final class LoopTimer {
    public let deadline: LoopInstant
    let seq: UInt64
    var action: (() -> Void)?

    init(deadline: LoopInstant, seq: UInt64, action: @escaping () -> Void) {
        self.deadline = deadline
        self.seq = seq
        self.action = action
    }

    public var isCancelled: Bool { action == nil }

    /// Must be called on the loop's thread.
    public func cancel() { action = nil }
}

/// Binary min-heap on (deadline, seq); seq keeps timers with equal deadlines in FIFO order.
struct TimerHeap {
    private var items: [LoopTimer] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    private static func before(_ a: LoopTimer, _ b: LoopTimer) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.seq < b.seq
    }

    mutating func push(_ t: LoopTimer) {
        items.append(t)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !Self.before(items[i], items[p]) { break }
            items.swapAt(i, p)
            i = p
        }
    }

    /// The earliest live timer's deadline, discarding cancelled ones on the way.
    mutating func earliestDeadline() -> LoopInstant? {
        while let top = items.first {
            if top.isCancelled { _ = popTop() } else { return top.deadline }
        }
        return nil
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(now: LoopInstant) -> LoopTimer? {
        while let top = items.first {
            if top.isCancelled { _ = popTop(); continue }
            return top.deadline <= now ? popTop() : nil
        }
        return nil
    }

    private mutating func popTop() -> LoopTimer {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            let n = items.count
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < n && Self.before(items[l], items[m]) { m = l }
                if r < n && Self.before(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
