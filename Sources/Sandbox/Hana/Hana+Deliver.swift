import GatewayCore

/// `POST /_sandbox/hana/deliver`'s body, checked: `{"event", "count"?, "id"?, "target_url"?}`.
struct HanaDeliverRequest: Equatable {
    var event: HanaEvent
    /// How many records to create, update or delete (1-100).
    var count = 1
    /// The record to update or delete (not with `created`).
    var id: String?
    /// Overrides `options.hanaWebhookURL`; `{event}` is replaced.
    var target: String?

    static let fields = ["event", "count", "id", "target_url"]

    struct Invalid: Error {
        var errors: [(field: String, message: String)]
    }

    /// Per-field errors for a 400, like `FaultPlan.parse`.
    static func parse(_ json: JSON, urlConfigured: Bool) -> Result<HanaDeliverRequest, Invalid> {
        guard let obj = json.objectValue else { return .failure(Invalid(errors: [("", "expected a JSON object")])) }
        var errors: [(field: String, message: String)] = []
        for key in obj.keys where !fields.contains(key) { errors.append((key, "unknown field")) }
        let names = HanaEvent.all.map(\.description).joined(separator: ", ")
        let event = obj["event"]?.stringValue.flatMap(HanaEvent.init)
        if event == nil { errors.append(("event", (obj["event"] == nil ? "required; " : "") + "one of \(names)")) }
        var count = 1
        if let c = obj["count"] {
            if let v = c.intValue, (1...100).contains(v) { count = v } else { errors.append(("count", "an integer 1-100")) }
        }
        var id: String?
        if let v = obj["id"], !v.isNull {
            if let s = v.stringValue, !s.isEmpty { id = s } else { errors.append(("id", "a lead or opportunity id")) }
        }
        if id != nil && event?.action == .created { errors.append(("id", "not allowed with a created event")) }
        if id != nil && count != 1 { errors.append(("count", "must be 1 when id is given")) }
        var target: String?
        switch obj["target_url"] {
        case nil, .null?:
            if !urlConfigured { errors.append(("target_url", "required: no Hana webhook URL is configured")) }
        case .string(let s)? where s.hasPrefix("http://") || s.hasPrefix("https://"):
            target = s
        default:
            errors.append(("target_url", "an http(s) URL; {event} is replaced by the event name"))
        }
        guard errors.isEmpty, let event else { return .failure(Invalid(errors: errors)) }
        return .success(HanaDeliverRequest(event: event, count: count, id: id, target: target))
    }
}

extension HanaEmulator {
    /// Makes the change the event describes (`created` adds generated records, `updated`
    /// advances a lead's funnel status or an opportunity's deal value, `deleted` removes) and
    /// sends the events. 202 `{"queued": n, "ids": [...]}`, plus `off_until` and `reason`
    /// while the event is switched off.
    public func deliver(_ body: JSON) -> HTTPResponse {
        let now = UTCTime(epochMillis: environment.clock.nowMillis())
        refreshSwitches(now: now)
        let request: HanaDeliverRequest
        switch HanaDeliverRequest.parse(body, urlConfigured: options.hanaWebhookURL != nil) {
        case .failure(let invalid): return .problem(status: 400, detail: "invalid deliver request", errors: invalid.errors)
        case .success(let r): request = r
        }
        let kind = request.event.kind
        if let id = request.id, state.index(of: id, kind) == nil {
            return .problem(status: 404, detail: "no \(kind.rawValue) \(id)", errors: [("id", "not found")])
        }
        if kind == .opportunity && request.event.action == .created && state.leads.isEmpty {
            return .problem(status: 409, detail: "no lead to attach an opportunity to")
        }

        let records = apply(request)
        var queued = 0
        var offUntil: UTCTime?
        for r in records {
            switch emit(request.event, r, target: request.target, now: now) {
            case .sent: queued += 1
            case .off(let until): offUntil = until
            case .noTarget: break
            }
        }
        var out: JSONObject = ["queued": .int(queued), "ids": .array(records.map { .string($0.id) })]
        if let offUntil {
            out["off_until"] = .string(offUntil.rfc3339Millis)
            out["reason"] = .string("\(request.event) failed more than \(HanaEventSwitches.failuresAllowed) times in a row; it is off for 30 minutes")
        }
        return .json(status: 202, .object(out))
    }

    /// The records as the events must show them (deleted ones in their last state).
    private func apply(_ request: HanaDeliverRequest) -> [HanaRecord] {
        let kind = request.event.kind
        var records: [HanaRecord] = []
        switch request.event.action {
        case .created:
            for _ in 0..<request.count {
                let r: HanaRecord
                if kind == .lead {
                    r = HanaSeed.newLead(&state)
                } else {
                    let lead = state.leads[state.random.int(0...(state.leads.count - 1))]
                    r = HanaSeed.newOpportunity(&state, lead: lead)
                }
                state[kind].append(r)
                records.append(r)
            }
        case .updated:
            // Without an id: the next `count` records, round robin from where the last call stopped.
            let all = state[kind].count
            let start = state.updateCursor[kind] ?? 0
            let indices = request.id.map { [state.index(of: $0, kind)!] }
                ?? (all == 0 ? [] : (0..<request.count).map { (start + $0) % all })
            if request.id == nil { state.updateCursor[kind] = all == 0 ? 0 : (start + request.count) % all }
            for i in indices {
                state[kind][i].attributes = Self.advanced(kind, state[kind][i].attributes)
                records.append(state[kind][i])
            }
        case .deleted:
            // Without an id: the last `count` records.
            let all = state[kind].count
            let indices = request.id.map { [state.index(of: $0, kind)!] } ?? Array(max(0, all - request.count)..<all)
            for i in indices.sorted(by: >) { records.append(state[kind].remove(at: i)) }
        }
        return records
    }

    /// What `deliver` changes for an `.updated` event: a lead moves one funnel step and gains
    /// a viral point; an opportunity's deal value grows by 100,000 VND.
    static func advanced(_ kind: HanaKind, _ attributes: JSONObject) -> JSONObject {
        var a = attributes
        switch kind {
        case .lead:
            let steps = HanaSeed.funnelStatuses
            let i = a["baseFunnelStatus"]?.stringValue.flatMap { steps.firstIndex(of: $0) } ?? -1
            a["baseFunnelStatus"] = .string(steps[(i + 1) % steps.count])
            a["cf_number_diem_viral"] = .int((a["cf_number_diem_viral"]?.intValue ?? 0) + 1)
        case .opportunity:
            a["dealValue"] = .int((a["dealValue"]?.intValue ?? 0) + 100_000)
        }
        return a
    }
}
