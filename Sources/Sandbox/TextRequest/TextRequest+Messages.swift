import GatewayCore

/// What a send request asks for, validated.
struct TRSend {
    var body: String
    var senderName = "API"
    var statusCallback: String?
    var locationCallback: String?
    var media: [String] = []
    var geolocation = false
}

/// Conversation messages, sends (per contact and top-level), dashboard messages,
/// conversations and archiving.
extension TextRequestEmulator {
    static let maxBody = 1600
    static let maxSenderName = 41
    /// `delivery_error` for a send to an opted-out or suppressed contact (a guess).
    static let optedOutError = "21610"

    // MARK: reading

    /// Oldest first; 204 when the dashboard has no such contact.
    func conversationMessages(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        guard let c = dash.contacts[try pathPhone(call)] else { return .noContent() }
        return try paged(c.messages, call) { $0.json }
    }

    /// Every message of the dashboard, oldest first, with `dashboard_phone`/`customer_phone`.
    func dashboardMessages(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        let start = try queryDate(call, "start_date")
        let end = try queryDate(call, "end_date")
        var all: [(TRMessage, String)] = []
        for c in dash.contacts.values {
            for m in c.messages where (start.map { m.millis >= $0 } ?? true) && (end.map { m.millis <= $0 } ?? true) {
                all.append((m, c.phone))
            }
        }
        all.sort { ($0.0.millis, $0.0.seq) < ($1.0.millis, $1.0.seq) }
        return try paged(all, call) { pair in
            guard case .object(var o) = pair.0.json else { return .null }
            o["dashboard_phone"] = .string(dash.phone)
            o["customer_phone"] = .string(pair.1)
            return .object(o)
        }
    }

    /// Last message per conversation, newest first; 204 when the dashboard has none at all.
    func listConversations(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        var list = dash.contacts.values.filter { !$0.messages.isEmpty }
        if list.isEmpty { return .noContent() }
        if try queryBool(call, "include_archived") != true { list.removeAll { $0.isArchived } }
        if try queryBool(call, "show_unresolved_only") == true { list.removeAll { $0.isResolved } }
        if let term = call.query("search")?.trimmingSpaces(), !term.isEmpty {
            let digits = USPhone.digits(term)
            let lower = term.lowercased()
            list = list.filter { c in
                (!digits.isEmpty && c.phone.contains(digits)) || c.friendlyName.lowercased().contains(lower)
            }
        }
        if let tags = csv(call.query("tags")) {
            let wanted = Set(tags.map { $0.lowercased() })
            list = list.filter { $0.tags.contains(where: wanted.contains) }
        }
        list.sort { a, b in
            let (x, y) = (a.lastMessage!, b.lastMessage!)
            return (x.millis, x.seq) > (y.millis, y.seq)
        }
        return try paged(list, call) { ["phone_number": .string($0.phone), "last_message": $0.lastMessage!.json] }
    }

    /// 200 with no body; 404 when no such contact.
    func archive(_ call: EmulatorCall, _ archived: Bool) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let number = try pathPhone(call)
        guard let c = state.dashboards[id]!.contacts[number] else { throw TRError(404, "No contact with the phone number \(number) exists in this dashboard.") }
        if c.isArchived != archived {
            state.dashboards[id]!.contacts[number]!.isArchived = archived
            contactChanged(state.dashboards[id]!.contacts[number]!, created: false, dashboard: id)
        }
        return emptyOK()
    }

    // MARK: sending

    func sendToContact(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let number = try pathPhone(call)
        let send = try parseSend(try object(call))
        let m = deliverOutbound(send, to: number, dashboard: id, now: call.now.epochMillis)
        return ok(m.json)
    }

    /// `POST /messages`: `{from, to, body}` -> `{message_id, segments_count, from, to, status}`.
    func sendTopLevel(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let o = try object(call)
        guard let fromRaw = try o.string("from"), !fromRaw.isEmpty else { throw .invalid("A from phone number must be specified.") }
        guard let toRaw = try o.string("to"), !toRaw.isEmpty else { throw .invalid("A to phone number must be specified.") }
        let from = try phone(fromRaw, "from number")
        let to = try phone(toRaw, "to number")
        guard let dash = state.dashboards.values.first(where: { $0.phone == from }) else {
            throw .invalid("The from number \(from) is not a dashboard in your account.")
        }
        let send = try parseSend(o)
        let m = deliverOutbound(send, to: to, dashboard: dash.id, now: call.now.epochMillis)
        return ok(["message_id": .string(m.id), "segments_count": .int(SMSSegments.count(m.body)),
                   "from": .string(from), "to": .string(to), "status": .string(m.status == "error" ? "error" : "sending")])
    }

    func parseSend(_ o: JSONObject) throws(TRError) -> TRSend {
        guard let body = try o.string("body"), !body.isEmpty else { throw .invalid("A message body must be specified.") }
        guard body.utf16.count <= Self.maxBody else {
            throw .invalid("The message body is \(body.utf16.count) characters long; the maximum is \(Self.maxBody).")
        }
        var s = TRSend(body: body)
        if let name = try o.string("sender_name"), !name.isEmpty {
            guard name.count <= Self.maxSenderName else { throw .invalid("The sender_name must be \(Self.maxSenderName) characters or less.") }
            s.senderName = name
        }
        if let url = try o.string("status_callback"), !url.isEmpty {
            guard isURL(url) else { throw .invalid("The status_callback must be an absolute http(s) URL.") }
            s.statusCallback = url
        }
        if let url = try o.string("location_callback"), !url.isEmpty {
            guard isURL(url) else { throw .invalid("The location_callback must be an absolute http(s) URL.") }
            guard body.contains("[LocationRequest]") else {
                throw .invalid("A location_callback requires the [LocationRequest] tag in the message body.")
            }
            s.locationCallback = url
        }
        for item in try o.array("mms_media") ?? [] {
            guard let url = item.stringValue, isURL(url) else { throw .invalid("mms_media must be an array of http(s) URLs.") }
            s.media.append(url)
        }
        s.geolocation = try o.bool("geolocation_requested") ?? false
        return s
    }

    func isURL(_ s: String) -> Bool {
        (s.hasPrefix("https://") && s.count > 8) || (s.hasPrefix("http://") && s.count > 7)
    }

    /// Stores a sent message (creating the contact when new), applies the throttle, updates the
    /// contact's stats and sends `msg_sent` then `msg_status_updated`. Returns the message as the
    /// send answers it (`sent`, `queued` or `error`); the stored copy is already `delivered`.
    func deliverOutbound(_ send: TRSend, to number: String, dashboard id: Int, now: Int64) -> TRMessage {
        var created = false
        if state.dashboards[id]!.contacts[number] == nil {
            state.dashboards[id]!.contacts[number] = TRContact(id: state.nextContactID, phone: number, created: now)
            state.nextContactID += 1
            created = true
        }
        var c = state.dashboards[id]!.contacts[number]!
        let slot = state.dashboards[id]!.nextSendSlot
        state.dashboards[id]!.nextSendSlot = max(now, slot) + 1000

        let messageID = state.uuid()
        var text = send.body
        let link = "https://app.textrequest.com/location/" + messageID.prefix(8)
        if text.contains("[LocationRequest]") {
            text = text.replacing("[LocationRequest]", with: link)
        } else if send.geolocation {
            text += " Go to \(link) to share your location"
        }
        let undeliverable = c.optedOut != nil || c.isSuppressed
        var m = TRMessage(id: messageID, body: text, direction: "S", username: send.senderName, millis: now,
                          status: undeliverable ? "error" : (now < slot ? "queued" : "sent"),
                          error: undeliverable ? Self.optedOutError : nil, media: send.media, seq: state.seq(),
                          callback: send.statusCallback)
        let answered = m
        if !undeliverable { m.status = "delivered" }
        if c.messages.last?.direction == "R" { c.responseCount += 1 }
        c.messages.append(m)
        c.totalSent += 1
        c.lastSent = now
        if c.firstContact == nil { c.firstContact = now }
        c.isArchived = false
        state.dashboards[id]!.contacts[number] = c

        if created { contactChanged(c, created: true, dashboard: id) }
        messageEvent("msg_sent", message: answered, contact: c, dashboard: id)
        statusEvent(message: m, dashboard: id)
        return answered
    }

    /// An inbound SMS (the admin `deliver` path): stored as "R", stats updated, STOP/START
    /// handled, `msg_received` sent. Returns the message and how many deliveries were queued.
    func receive(body: String, media: [String], from number: String, dashboard id: Int, now: Int64) -> (TRMessage?, Int) {
        var queued = 0
        if state.dashboards[id]!.contacts[number] == nil {
            state.dashboards[id]!.contacts[number] = TRContact(id: state.nextContactID, phone: number, created: now)
            state.nextContactID += 1
            queued += contactChanged(state.dashboards[id]!.contacts[number]!, created: true, dashboard: id)
        }
        var c = state.dashboards[id]!.contacts[number]!
        if c.isBlocked { return (nil, queued) }
        let m = TRMessage(id: state.uuid(), body: body, direction: "R", username: nil, millis: now,
                          status: "delivered", error: nil, media: media, seq: state.seq())
        c.messages.append(m)
        c.totalReceived += 1
        c.lastReceived = now
        if c.firstContact == nil { c.firstContact = now }
        c.isResolved = false
        c.isArchived = false
        var optChanged = false
        switch body.trimmingSpaces().uppercased() {
        case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT":
            if c.optedOut == nil { c.optedOut = now; optChanged = true }
            c.isArchived = true
        case "START", "UNSTOP":
            if c.optedOut != nil { c.optedOut = nil; optChanged = true }
        default:
            break
        }
        state.dashboards[id]!.contacts[number] = c
        queued += messageEvent("msg_received", message: m, contact: c, dashboard: id)
        if optChanged { queued += contactChanged(c, created: false, dashboard: id) }
        return (m, queued)
    }
}
