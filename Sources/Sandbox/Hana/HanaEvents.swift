import GatewayCore

/// The six events of Hana's developer page, named as the gateway's receiver paths name them.
struct HanaEvent: Hashable, Sendable, CustomStringConvertible {
    enum Action: String, Sendable, CaseIterable { case created, updated, deleted }

    var kind: HanaKind
    var action: Action

    init(_ kind: HanaKind, _ action: Action) {
        self.kind = kind
        self.action = action
    }

    init?(_ name: String) {
        let parts = name.split(separator: ".")
        guard parts.count == 2, let k = HanaKind(rawValue: String(parts[0])),
              let a = Action(rawValue: String(parts[1])) else { return nil }
        self.init(k, a)
    }

    static let all = HanaKind.allCases.flatMap { k in Action.allCases.map { HanaEvent(k, $0) } }

    var description: String { "\(kind.rawValue).\(action.rawValue)" }
}

/// "If Hana's request fails more than 5 times, that event is switched OFF for 30 minutes."
/// A plain value: deliveries are registered when sent, their outcomes fed in as they are
/// seen in the sender's log, and `offUntil` answers whether an event may be sent now.
struct HanaEventSwitches: Sendable {
    static let failuresAllowed = 5
    static let offMillis: Int64 = 30 * 60 * 1000

    /// Consecutive failures per event.
    private(set) var failures: [HanaEvent: Int] = [:]
    private(set) var off: [HanaEvent: UTCTime] = [:]
    /// Deliveries sent and not yet seen completed: delivery number -> event.
    private(set) var pending: [Int: HanaEvent] = [:]

    mutating func sent(_ delivery: Int, _ event: HanaEvent) { pending[delivery] = event }

    /// The end of the event's off period, or nil when it may be sent at `now`.
    mutating func offUntil(_ event: HanaEvent, now: UTCTime) -> UTCTime? {
        guard let until = off[event] else { return nil }
        if now < until { return until }
        off[event] = nil
        failures[event] = 0
        return nil
    }

    /// Feeds in one completed delivery.
    mutating func completed(_ delivery: Int, ok: Bool, now: UTCTime) {
        guard let event = pending.removeValue(forKey: delivery) else { return }
        // Sent before the switch went off: its outcome no longer counts.
        if offUntil(event, now: now) != nil { return }
        if ok {
            failures[event] = 0
            return
        }
        let n = (failures[event] ?? 0) + 1
        if n > Self.failuresAllowed {
            off[event] = UTCTime(epochMillis: now.epochMillis + Self.offMillis)
            failures[event] = 0
        } else {
            failures[event] = n
        }
    }
}
