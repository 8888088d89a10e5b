import GatewayCore

/// Outbound events: the seed's body, the URL with `{event}` filled in, and the off-switch fed
/// from the sender's delivery log.
extension HanaEmulator {
    enum Emitted {
        case sent
        case off(until: UTCTime)
        case noTarget
    }

    /// Reads the outcomes of earlier deliveries (by the sender's sequence number) into the switches.
    func refreshSwitches(now: UTCTime) {
        guard !switches.pending.isEmpty else { return }
        for d in environment.webhooks.deliveries {
            switches.completed(d.sequence, ok: d.status.map { (200..<300).contains($0) } ?? false, now: now)
        }
    }

    /// Posts `event` about `record` to `target` (or the configured URL), unless it is off.
    func emit(_ event: HanaEvent, _ record: HanaRecord, target: String?, now: UTCTime) -> Emitted {
        guard var url = target ?? options.hanaWebhookURL else { return .noTarget }
        if let until = switches.offUntil(event, now: now) { return .off(until: until) }
        url = url.replacing("{event}", with: event.description)
        let body = payload(event.kind, record).serialized()
        let headers: HTTPHeaders = ["Content-Type": "application/json"]
        // Hana gives its receiver 5 seconds; a slower answer counts as a failure.
        let n = environment.webhooks.send(event: event.description, url: url, timeout: .seconds(5)) { _ in (headers, body) }
        switches.sent(n, event)
        return .sent
    }

    /// The seed's body: `{"application":{"id"}, "lead":{...}, "opportunity":{...},
    /// "conversation":{"conversationUrl"}}`, attributes as `{"nomalizeData","rawData"}`.
    func payload(_ kind: HanaKind, _ record: HanaRecord) -> JSON {
        func pairs(_ r: HanaRecord, _ k: HanaKind) -> JSON {
            var out = JSONObject()
            for (name, raw) in r.attributes {
                out[name] = ["nomalizeData": HanaAttributes.normalized(name, raw, in: k), "rawData": raw]
            }
            return .object(out)
        }
        var body: JSONObject = ["application": ["id": .string(HanaSeed.applicationID)]]
        if kind == .opportunity, let leadID = record.leadID, let lead = state.record(leadID, .lead) {
            body["lead"] = pairs(lead, .lead)
        }
        body[kind.rawValue] = pairs(record, kind)
        body["conversation"] = ["conversationUrl": .string(HanaSeed.conversationURL(chatID: record.chatID))]
        return .object(body)
    }
}
