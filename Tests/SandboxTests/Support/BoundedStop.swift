import GatewayCore
import Testing

/// `stopAndJoin` bounded in real time: a loop that no longer wakes fails the test that owns
/// it (naming the loop) instead of hanging the run. Generous for a loaded 2-core CI.
func stopLoopThread(_ t: EventLoopThread, seconds: Double = 20) {
    if !t.stopAndJoin(within: .milliseconds(Int64(seconds * 1000))) {
        Issue.record("loop '\(t.loop.name)' did not stop within \(seconds) s (real time)")
    }
}
