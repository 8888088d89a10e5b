import GatewayCore

/// Hooks (register, list, delete), the event payloads of FACTS 2.6, signing, and the admin
/// `deliver` path (an inbound SMS, or a delivery status change).
extension TextRequestEmulator {
    static let events = ["msg_sent", "msg_received", "contact_created", "contact_updated",
                         "msg_status_updated", "location_received", "payment_status_updated"]
    static let deliveryStatuses = ["accepted", "queued", "sending", "delivered", "error", "sent", "failed", "undelivered"]

    // MARK: routes

    func eventTypes(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        ok(.array(Self.events.map { .string($0) }))
    }

    func listHooks(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        try paged(state.dashboards[try dashboardID(call)]!.hooks, call) { $0.json }
    }

    /// 201; `http_verb` or the Power Automate trigger's `httpVerb`; 409 for the same event+url.
    func createHook(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let o = try object(call)
        guard let url = try o.string("target_url"), isURL(url) else { throw .invalid("A target_url (an absolute http(s) URL) must be specified.") }
        guard let event = try o.string("event"), !event.isEmpty else { throw .invalid("An event must be specified.") }
        guard Self.events.contains(event) else {
            throw .invalid("Unknown event '\(event)'. Valid events are \(Self.events.joined(separator: ", ")).")
        }
        let snake = try o.string("http_verb")
        let camel = try o.string("httpVerb")
        let verb = (snake ?? camel ?? "POST").uppercased()
        guard ["POST", "PUT", "DELETE"].contains(verb) else { throw .invalid("The http_verb must be POST, PUT or DELETE.") }
        if state.dashboards[id]!.hooks.contains(where: { $0.event == event && $0.url == url }) {
            throw TRError(409, "A webhook for this event and url already exists.")
        }
        let hook = TRHook(id: state.nextHookID, url: url, event: event, verb: verb, dashboardID: id)
        state.nextHookID += 1
        state.dashboards[id]!.hooks.append(hook)
        return .json(status: 201, hook.json)
    }

    /// 204; 404 when the dashboard has no such hook (undocumented; the spec lists only 400).
    func deleteHook(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        guard let hid = Int(call.parameter("webhook_id")) else { throw .invalid("The webhook id is invalid.") }
        guard state.dashboards[id]!.hooks.contains(where: { $0.id == hid }) else { throw TRError(404, "Webhook \(hid) was not found.") }
        state.dashboards[id]!.hooks.removeAll { $0.id == hid }
        return .noContent()
    }

    // MARK: events

    /// Sends `payload` to every hook of the dashboard registered for `event`; returns how many.
    @discardableResult
    func emit(_ event: String, dashboard id: Int, _ payload: JSON) -> Int {
        let hooks = state.dashboards[id]?.hooks.filter { $0.event == event } ?? []
        let bytes = payload.serialized()
        for h in hooks { post(event, url: h.url, method: h.verb, body: bytes) }
        return hooks.count
    }

    /// One signed delivery, no retries. The timestamp and signature are computed per attempt
    /// from the wall clock: `Base64(HMAC-SHA256(api key, "{timestamp}.{body}"))`.
    func post(_ event: String, url: String, method: String, body: [UInt8]) {
        let clock = environment.clock
        let key = Array(options.credential.utf8)
        environment.webhooks.send(event: event, url: url, method: method, retryDelays: []) { _ in
            let ts = String(UTCTime(epochMillis: clock.nowMillis()).epochSeconds)
            let signature = Base64.encode(hmacSHA256(key: key, message: Array((ts + ".").utf8) + body))
            var h = HTTPHeaders()
            h.add("Content-Type", "application/json")
            h.add("x-tr-webhook-timestamp", ts)
            h.add("x-tr-webhook-signature", signature)
            return (h, body)
        }
    }

    /// `contact_created` (PascalCase) or `contact_updated` (the snake_case contact up to `opted_out_utc`).
    @discardableResult
    func contactChanged(_ c: TRContact, created: Bool, dashboard id: Int) -> Int {
        guard let dash = state.dashboards[id] else { return 0 }
        if created {
            return emit("contact_created", dashboard: id, [
                "ContactId": .int(c.id), "LocationPhoneNumber": .string(dash.phone),
                "ContactPhoneNumber": .string(c.phone), "ContactFriendlyName": .string(c.friendlyName),
            ])
        }
        return emit("contact_updated", dashboard: id, .object(c.editableJSON))
    }

    /// `msg_sent` / `msg_received`.
    @discardableResult
    func messageEvent(_ event: String, message m: TRMessage, contact c: TRContact, dashboard id: Int) -> Int {
        guard let dash = state.dashboards[id] else { return 0 }
        let payload: JSON = [
            "messageUniqueIdentifier": .string(m.id),
            "account": ["id": .int(Self.accountID), "externalAccountId": .null],
            "yourPhoneNumber": ["id": .int(dash.id), "externalPhoneId": .null, "description": .string(dash.name),
                                "phoneNumber": .string(dash.phone)],
            "conversation": [
                "id": .int(c.id), "date": .string(UTCTime(epochMillis: m.millis).rfc3339Millis),
                "consumerPhoneNumber": .string(c.phone), "messageDirection": .string(m.direction),
                "message": .string(m.body), "numSegments": .int(SMSSegments.count(m.body)),
                "status": "unclaimed", "claimedBy": .null, "consumerFriendlyName": .string(c.friendlyName),
                "mmsAttachments": .array(m.media.map { ["mimeType": .string(Self.mimeType($0)), "url": .string($0)] }),
            ],
        ]
        return emit(event, dashboard: id, payload)
    }

    /// `msg_status_updated` to the hooks and to the message's own `status_callback`.
    @discardableResult
    func statusEvent(message m: TRMessage, dashboard id: Int) -> Int {
        let payload: JSON = ["message_id": .string(m.id), "status": .string(m.status), "error_code": JSON(m.error)]
        var n = emit("msg_status_updated", dashboard: id, payload)
        if let url = m.callback {
            post("msg_status_updated", url: url, method: "POST", body: payload.serialized())
            n += 1
        }
        return n
    }

    static func mimeType(_ url: String) -> String {
        let ext = url.split(separator: "?").first?.split(separator: ".").last?.lowercased() ?? ""
        switch ext {
        case "jpg", "jpeg": return "image/jpeg"
        case "png": return "image/png"
        case "gif": return "image/gif"
        case "mp4": return "video/mp4"
        default: return "application/octet-stream"
        }
    }

    // MARK: admin deliver

    /// `{"event":"msg_received","phone":"4235550123","body":"hello","dashboard_id":1}` (optional
    /// `mms_media`) or `{"event":"msg_status_updated","message_id":"...","status":"failed",
    /// "error_code":"30003"}`. 202 `{"event", "queued", "message_id"}`.
    public func deliver(_ body: JSON) -> HTTPResponse {
        func fail(_ status: Int, _ message: String) -> HTTPResponse { .json(status: status, ["error": .string(message)]) }
        guard let o = body.objectValue, let event = o["event"]?.stringValue else {
            return fail(400, "body must be an object with an event: msg_received or msg_status_updated")
        }
        switch event {
        case "msg_received":
            let dashID = o["dashboard_id"]?.intValue ?? o["dashboard_id"]?.stringValue.flatMap { Int($0) } ?? 1
            guard state.dashboards[dashID] != nil else { return fail(404, "no dashboard \(dashID)") }
            guard let raw = o["phone"]?.stringValue, let number = USPhone.normalize(raw) else {
                return fail(400, "phone must be a 10 or 11 digit US number")
            }
            let media = (o["mms_media"]?.arrayValue ?? []).compactMap(\.stringValue)
            guard let text = o["body"]?.stringValue, !text.isEmpty || !media.isEmpty else { return fail(400, "body is required") }
            let (m, n) = receive(body: text, media: media, from: number, dashboard: dashID, now: environment.clock.nowMillis())
            return .json(status: 202, ["event": .string(event), "queued": .int(n), "message_id": JSON(m?.id)])
        case "msg_status_updated":
            guard let mid = o["message_id"]?.stringValue else { return fail(400, "message_id is required") }
            guard let status = o["status"]?.stringValue, Self.deliveryStatuses.contains(status) else {
                return fail(400, "status must be one of \(Self.deliveryStatuses.joined(separator: ", "))")
            }
            for (did, dash) in state.dashboards {
                for (phone, c) in dash.contacts {
                    guard let i = c.messages.firstIndex(where: { $0.id == mid }) else { continue }
                    state.dashboards[did]!.contacts[phone]!.messages[i].status = status
                    state.dashboards[did]!.contacts[phone]!.messages[i].error = o["error_code"]?.stringValue
                    let n = statusEvent(message: state.dashboards[did]!.contacts[phone]!.messages[i], dashboard: did)
                    return .json(status: 202, ["event": .string(event), "queued": .int(n), "message_id": .string(mid)])
                }
            }
            return fail(404, "no message \(mid)")
        default:
            return fail(400, "unsupported event \(event); one of msg_received, msg_status_updated")
        }
    }
}
