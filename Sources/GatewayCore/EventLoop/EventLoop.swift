#if canImport(Glibc)
import Glibc
#endif
internal import CShims
import Synchronization

/// What a descriptor is ready for, or what a registration wants to hear about.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: 1 << 0)
    public static let writable = IOEvents(rawValue: 1 << 1)
    /// The peer closed (EPOLLHUP / EPOLLRDHUP); only ever reported.
    public static let hangup = IOEvents(rawValue: 1 << 2)
    /// EPOLLERR; only ever reported.
    public static let error = IOEvents(rawValue: 1 << 3)

    var epollMask: UInt32 {
        var m: UInt32 = 0
        if contains(.readable) { m |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if contains(.writable) { m |= EPOLLOUT.rawValue }
        return m
    }

    init(epoll m: UInt32) {
        var e: IOEvents = []
        if m & (EPOLLIN.rawValue | EPOLLPRI.rawValue) != 0 { e.insert(.readable) }
        if m & EPOLLOUT.rawValue != 0 { e.insert(.writable) }
        if m & (EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0 { e.insert(.hangup) }
        if m & EPOLLERR.rawValue != 0 { e.insert(.error) }
        self = e
    }
}

/// Receives readiness for a registered descriptor. One method, called on the loop's thread.
public protocol IOEventHandler: AnyObject {
    func handleIO(_ events: IOEvents)
}

/// A descriptor's registration. The generation tells a stale event for a reused fd
/// (closed and reopened between epoll_wait and dispatch) from a live one.
public struct Registration: Hashable, Sendable {
    public let fd: CInt
    let generation: UInt32

    var epollData: UInt64 { UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd)) }
}

/// One thread, one epoll instance, one blocking point (epoll_wait, whose timeout is the
/// earliest timer). Everything registered with it runs on its thread; `execute` and
/// `stop` are the only calls safe from other threads. It is also a Swift executor, so
/// async handler code started with `Task(executorPreference: loop)` resumes on this
/// thread without hops.
public final class EventLoop: @unchecked Sendable {
    public let clock: LoopClock
    public let name: String

    private let epfd: CInt
    private let wakeFD: CInt
    private var slots: [Slot] = []
    private var nextGeneration: UInt32 = 1
    private var timers = TimerHeap()
    private var timerSeq: UInt64 = 0
    private var localTasks: [() -> Void] = []
    private var localJobs: [UnownedJob] = []
    private let remote = Mutex(RemoteQueue())
    private let running = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private var thread: pthread_t?
    private var events = [cshims_event](repeating: cshims_event(), count: 256)

    private struct Slot {
        var generation: UInt32 = 0
        var handler: IOEventHandler?
        var interest: IOEvents = []
    }

    private struct RemoteQueue {
        var tasks: [@Sendable () -> Void] = []
        var jobs: [UnownedJob] = []
        var wakePending = false
    }

    public init(name: String = "loop", clock: LoopClock = SystemClock.shared) throws(SystemError) {
        self.name = name
        self.clock = clock
        epfd = try syscallBlocking("epoll_create1") { epoll_create1(CInt(EPOLL_CLOEXEC)) }
        wakeFD = try syscallBlocking("eventfd") { eventfd(0, CInt(EFD_NONBLOCK | EFD_CLOEXEC)) }
        try syscallBlocking("epoll_ctl(eventfd)") {
            cshims_epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFD, EPOLLIN.rawValue, UInt64.max)
        }
        if clock.wakesLoops {
            let wake: @Sendable () -> Void = { [weak self] in self?.wakeUp() }
            clock.attach(wakeUp: wake)
        }
    }

    deinit {
        close(wakeFD)
        close(epfd)
    }

    /// True when called on the loop's own thread.
    public var inEventLoop: Bool {
        guard let t = thread else { return false }
        return pthread_equal(t, pthread_self()) != 0
    }

    /// On the loop thread: the time read once after each epoll_wait (nginx's trick; a
    /// request reads the time several times, and the differences inside one iteration do
    /// not matter for timeouts measured in seconds). Elsewhere: the clock itself.
    public func now() -> LoopInstant { inEventLoop ? cachedNow : clock.now() }

    private var cachedNow = LoopInstant(nanoseconds: 0)

    // MARK: descriptors

    /// epoll_ctl calls made for registrations (ADD, MOD, DEL), for tests that pin how many
    /// a path costs. Loop thread.
    public private(set) var epollControlCalls = 0

    @discardableResult
    public func register(fd: CInt, interest: IOEvents, handler: IOEventHandler) throws(SystemError) -> Registration {
        let i = Int(fd)
        if i >= slots.count { slots.append(contentsOf: repeatElement(Slot(), count: max(i + 1 - slots.count, slots.count))) }
        let gen = nextGeneration
        nextGeneration = nextGeneration == .max ? 1 : nextGeneration + 1
        let reg = Registration(fd: fd, generation: gen)
        epollControlCalls &+= 1
        try syscallBlocking("epoll_ctl(ADD)") {
            cshims_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, interest.epollMask, reg.epollData)
        }
        slots[i] = Slot(generation: gen, handler: handler, interest: interest)
        return reg
    }

    /// `force`: make the call even when the interest is unchanged (it then fails if the
    /// descriptor is no longer in epoll, e.g. closed behind the registration's back).
    public func modify(_ reg: Registration, interest: IOEvents, force: Bool = false) throws(SystemError) {
        let i = Int(reg.fd)
        guard i < slots.count, slots[i].generation == reg.generation else { return }
        if slots[i].interest == interest && !force { return }
        epollControlCalls &+= 1
        try syscallBlocking("epoll_ctl(MOD)") {
            cshims_epoll_ctl(epfd, EPOLL_CTL_MOD, reg.fd, interest.epollMask, reg.epollData)
        }
        slots[i].interest = interest
    }

    /// Removes the descriptor from epoll (the caller still owns and closes it).
    public func deregister(_ reg: Registration) {
        let i = Int(reg.fd)
        guard i < slots.count, slots[i].generation == reg.generation else { return }
        epollControlCalls &+= 1
        _ = cshims_epoll_ctl(epfd, EPOLL_CTL_DEL, reg.fd, 0, 0)
        slots[i] = Slot()
    }

    public func interest(of reg: Registration) -> IOEvents? {
        let i = Int(reg.fd)
        guard i < slots.count, slots[i].generation == reg.generation else { return nil }
        return slots[i].interest
    }

    // MARK: timers

    @discardableResult
    public func schedule(at deadline: LoopInstant, _ action: @escaping () -> Void) -> LoopTimer {
        timerSeq &+= 1
        let t = LoopTimer(deadline: deadline, seq: timerSeq, action: action)
        timers.push(t)
        return t
    }

    @discardableResult
    public func schedule(after delay: Duration, _ action: @escaping () -> Void) -> LoopTimer {
        schedule(at: now() + delay, action)
    }

    // MARK: tasks

    /// Runs `task` on the loop's thread soon. Safe from any thread.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        if inEventLoop {
            localTasks.append(task)
            return
        }
        let wake = remote.withLock { q -> Bool in
            q.tasks.append(task)
            defer { q.wakePending = true }
            return !q.wakePending
        }
        if wake { writeWake() }
    }

    /// Runs a non-Sendable closure later in this iteration; loop thread only.
    public func executeLocal(_ task: @escaping () -> Void) {
        precondition(inEventLoop || thread == nil)
        localTasks.append(task)
    }

    public func wakeUp() {
        let wake = remote.withLock { q -> Bool in
            defer { q.wakePending = true }
            return !q.wakePending
        }
        if wake { writeWake() }
    }

    private func writeWake() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
    }

    // MARK: running

    /// Runs on the calling thread until `stop()`.
    public func run() {
        thread = pthread_self()
        cachedNow = clock.now()
        running.store(true, ordering: .releasing)
        defer {
            running.store(false, ordering: .releasing)
        }
        while !stopRequested.load(ordering: .acquiring) {
            runOnce()
        }
        // Run what was queued before stop so no continuation is left hanging.
        drainTasks()
    }

    /// Stops `run()` after the current iteration. Safe from any thread.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wakeUp()
    }

    public var isRunning: Bool { running.load(ordering: .acquiring) }

    /// For a test that gave up waiting on this loop: its descriptors and what waits in its
    /// remote queue (takes the queue's lock; not for the request path).
    var diagnostics: (epollFD: CInt, wakeFD: CInt, queuedTasks: Int, queuedJobs: Int, wakePending: Bool) {
        let q = remote.withLock { ($0.tasks.count, $0.jobs.count, $0.wakePending) }
        return (epfd, wakeFD, q.0, q.1, q.2)
    }

    private func runOnce() {
        let timeout: Int32
        if !localTasks.isEmpty || !localJobs.isEmpty {
            timeout = 0
        } else if let d = timers.earliestDeadline() {
            timeout = clock.waitMilliseconds(until: d)
        } else {
            timeout = -1
        }
        let n = events.withUnsafeMutableBufferPointer { buf in
            cshims_epoll_wait(epfd, buf.baseAddress, CInt(buf.count), timeout)
        }
        cachedNow = clock.now()
        if n > 0 {
            for k in 0..<Int(n) {
                let ev = events[k]
                if ev.data == UInt64.max {
                    drainWakeFD()
                    continue
                }
                let fd = Int(UInt32(truncatingIfNeeded: ev.data))
                let gen = UInt32(truncatingIfNeeded: ev.data >> 32)
                // A handler earlier in this batch may have closed this fd and another
                // registration may have taken it: the generation says whether it is ours.
                guard fd < slots.count, slots[fd].generation == gen, let h = slots[fd].handler else { continue }
                h.handleIO(IOEvents(epoll: ev.events))
            }
        }
        runDueTimers()
        drainTasks()
    }

    private func runDueTimers() {
        let now = cachedNow
        while let t = timers.popDue(now: now) {
            let action = t.action
            t.action = nil
            action?()
        }
    }

    private func drainWakeFD() {
        var buf: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &buf) { read(wakeFD, $0.baseAddress, 8) }
    }

    private func drainTasks() {
        let (tasks, jobs) = remote.withLock { q -> ([@Sendable () -> Void], [UnownedJob]) in
            q.wakePending = false
            defer { q.tasks.removeAll(keepingCapacity: true); q.jobs.removeAll(keepingCapacity: true) }
            return (q.tasks, q.jobs)
        }
        for t in tasks { t() }
        for j in jobs { run(j) }
        // Bounded: work that enqueues more work runs in the next iteration, after I/O.
        // The queues swap with spare arrays (emptied, capacity kept), so taking a batch
        // allocates nothing.
        var rounds = 0
        while (!localTasks.isEmpty || !localJobs.isEmpty) && rounds < 16 {
            rounds += 1
            swap(&localTasks, &spareTasks)
            for t in spareTasks { t() }
            spareTasks.removeAll(keepingCapacity: true)
            swap(&localJobs, &spareJobs)
            for j in spareJobs { run(j) }
            spareJobs.removeAll(keepingCapacity: true)
        }
    }

    private var spareTasks: [() -> Void] = []
    private var spareJobs: [UnownedJob] = []

    /// Jobs come from tasks that prefer this loop as their task executor (no actor uses the
    /// loop as its serial executor), so they run as the task executor only: run isolated to
    /// the loop as a serial executor, every `await` of a nonisolated async function was a
    /// switch away from that "actor" and back, i.e. one more trip through the job queue
    /// (eight per proxied request). As the task executor, such calls continue inline.
    private func run(_ job: UnownedJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }

    fileprivate func enqueueJob(_ job: UnownedJob) {
        if inEventLoop {
            localJobs.append(job)
            return
        }
        let wake = remote.withLock { q -> Bool in
            q.jobs.append(job)
            defer { q.wakePending = true }
            return !q.wakePending
        }
        if wake { writeWake() }
    }
}

extension EventLoop: SerialExecutor, TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        enqueueJob(UnownedJob(job))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    public func checkIsolated() {
        precondition(inEventLoop, "not on event loop \(name)")
    }
}

/// CPUs this process may use (its affinity mask, so `taskset` and container cpusets count;
/// a CFS quota does not show here, hence the `--loops` option).
public func availableCPUs() -> Int { Int(cshims_available_cpus()) }

/// Starts a loop on its own pthread.
public final class EventLoopThread: @unchecked Sendable {
    public let loop: EventLoop
    private var tid = pthread_t()
    private let started = Mutex(false)

    public init(name: String, clock: LoopClock = SystemClock.shared) throws(SystemError) {
        loop = try EventLoop(name: name, clock: clock)
        let box = Unmanaged.passRetained(loop)
        let rc = pthread_create(&tid, nil, { arg in
            let loop = Unmanaged<EventLoop>.fromOpaque(arg!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        if rc != 0 {
            box.release()
            throw SystemError("pthread_create", errno: rc)
        }
        // Wait until the thread owns the loop so `inEventLoop` answers correctly at once.
        while !loop.isRunning { sched_yield() }
    }

    /// Stops the loop and waits for its thread to end.
    public func stopAndJoin() {
        loop.stop()
        pthread_join(tid, nil)
    }

    /// Like `stopAndJoin()`, but waits at most `limit` of real time for the loop to leave
    /// `run()`; false if it has not (its thread is then left running, not joined). For tests,
    /// which must fail, not hang, when a loop no longer wakes.
    public func stopAndJoin(within limit: Duration) -> Bool {
        loop.stop()
        let deadline = SystemClock.shared.now() + limit
        while loop.isRunning {
            if SystemClock.shared.now() >= deadline { return false }
            usleep(1000)
        }
        pthread_join(tid, nil)
        return true
    }
}
