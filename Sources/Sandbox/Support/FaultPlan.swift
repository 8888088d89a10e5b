import GatewayCore

/// What the sandbox does wrong on purpose (§8: `PUT /_sandbox/{upstream}/faults`). A plain
/// value: `take(operation:)` says which fault, if any, hits the next request and counts it down.
public struct FaultPlan: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case none, status, reset, latency, truncate, slow_body, rate_limit
    }

    public var mode: Mode = .none
    /// For `status`: the status to answer with (the upstream's own error body).
    public var status: Int = 503
    /// For `latency`: added delay. For `slow_body`: how long the body takes to trickle out.
    public var latencyMS: Int = 200
    /// How many requests the fault hits; -1 = until cleared.
    public var count: Int = -1
    /// Only requests to this operation (an emulator operation name); nil = every operation.
    public var operation: String?

    public init() {}

    /// The fault for a request to `operation`, counting it down; nil when none applies.
    public mutating func take(operation op: String) -> FaultPlan? {
        guard mode != .none, count != 0 else { return nil }
        if let only = operation, only != op { return nil }
        let hit = self
        if count > 0 {
            count -= 1
            if count == 0 { self = FaultPlan() }
        }
        return hit
    }

    /// Reads the admin body `{"mode", "status", "latency_ms", "count", "operation"}`;
    /// returns the per-field errors for a 422.
    public struct Invalid: Error {
        public var errors: [(field: String, message: String)]
    }

    public static func parse(_ json: JSON) -> Result<FaultPlan, Invalid> {
        var plan = FaultPlan()
        var errors: [(field: String, message: String)] = []
        guard let obj = json.objectValue else { return .failure(Invalid(errors: [("", "expected a JSON object")])) }
        for (key, value) in obj {
            switch key {
            case "mode":
                if let s = value.stringValue, let m = Mode(rawValue: s) { plan.mode = m }
                else { errors.append(("mode", "one of " + Mode.allCases.map(\.rawValue).joined(separator: ", "))) }
            case "status":
                if let s = value.intValue, (400...599).contains(s) { plan.status = s }
                else { errors.append(("status", "an integer 400-599")) }
            case "latency_ms":
                if let l = value.intValue, (0...600_000).contains(l) { plan.latencyMS = l }
                else { errors.append(("latency_ms", "an integer 0-600000")) }
            case "count":
                if let c = value.intValue, c >= -1 { plan.count = c }
                else { errors.append(("count", "an integer >= -1 (-1 = until cleared)")) }
            case "operation":
                if value.isNull { plan.operation = nil }
                else if let s = value.stringValue { plan.operation = s }
                else { errors.append(("operation", "an operation name or null")) }
            default:
                errors.append((key, "unknown field"))
            }
        }
        if obj["mode"] == nil { errors.append(("mode", "required")) }
        return errors.isEmpty ? .success(plan) : .failure(Invalid(errors: errors))
    }

    public var json: JSON {
        ["mode": .string(mode.rawValue), "status": .int(status), "latency_ms": .int(latencyMS),
         "count": .int(count), "operation": JSON(operation)]
    }
}
