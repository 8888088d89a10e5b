import GatewayCore

/// Contacts: filtered list, get (204 when unknown), create-or-update, bulk upsert, delete.
extension TextRequestEmulator {
    // MARK: list

    func listContacts(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        var checks: [(TRContact) -> Bool] = []

        if let v = call.query("contact_phone_number"), !v.isEmpty {
            let digits = USPhone.digits(v)
            guard !digits.isEmpty else { throw .invalid("The contact_phone_number parameter must contain digits.") }
            checks.append { $0.phone.hasPrefix(digits) || $0.phone.dropFirst().hasPrefix(digits) }
        }
        let flags: [(String, (TRContact) -> Bool)] = [
            ("is_resolved", { $0.isResolved }), ("has_message_history", { !$0.messages.isEmpty }),
            ("is_blocked", { $0.isBlocked }), ("is_archived", { $0.isArchived }),
            ("is_suppressed", { $0.isSuppressed }), ("has_opted_out", { $0.optedOut != nil }),
        ]
        for (name, get) in flags {
            if let want = try queryBool(call, name) { checks.append { get($0) == want } }
        }
        let times: [(String, (TRContact) -> Int64?)] = [
            ("last_message_timestamp", { $0.lastContact }), ("contact_created", { $0.created }),
            ("last_message_sent", { $0.lastSent }), ("last_message_received", { $0.lastReceived }),
        ]
        for (stem, get) in times {
            let suffix = stem == "last_message_timestamp" ? "_utc" : ""
            if let t = try queryDate(call, stem + "_before" + suffix) {
                checks.append { get($0).map { $0 < t } ?? false }
            }
            if let t = try queryDate(call, stem + "_after" + suffix) {
                checks.append { get($0).map { $0 > t } ?? false }
            }
        }
        if let tags = csv(call.query("tags")) {
            let wanted = Set(tags.map { $0.lowercased() })
            checks.append { $0.tags.contains(where: wanted.contains) }
        }
        if let groups = csv(call.query("groups")) {
            var wanted = Set<Int>()
            for g in groups {
                guard let n = Int(g) else { throw .invalid("The groups parameter must be a comma-separated list of group ids.") }
                wanted.insert(n)
            }
            checks.append { $0.groups.contains(where: wanted.contains) }
        }
        for n in 1...3 {
            let fid = call.query("custom_field_id_\(n)").flatMap { $0.isEmpty ? nil : $0.lowercased() }
            let value = call.query("custom_field_value_\(n)").flatMap { $0.isEmpty ? nil : $0 }
            switch (fid, value) {
            case (nil, nil): continue
            case let (fid?, value?): checks.append { $0.fields.contains { $0.id == fid && $0.value == value } }
            default: throw .invalid("custom_field_id_\(n) and custom_field_value_\(n) must be given together.")
            }
        }
        let matching = dash.orderedContacts.filter { c in checks.allSatisfy { $0(c) } }
        return try paged(matching, call) { $0.json }
    }

    /// A comma-separated list; nil when absent or empty.
    func csv(_ value: String?) -> [String]? {
        guard let value, !value.isEmpty else { return nil }
        let parts = value.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts
    }

    // MARK: one contact

    /// 204 with no body when the dashboard has no such contact.
    func getContact(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let dash = state.dashboards[try dashboardID(call)]!
        guard let c = dash.contacts[try pathPhone(call)] else { return .noContent() }
        return ok(c.json)
    }

    func upsertContact(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let number = try pathPhone(call)
        let o = call.request.body.isEmpty ? JSONObject() : try object(call)
        var contacts = state.dashboards[id]!.contacts
        var nextID = state.nextContactID
        let created = try write(o, phone: number, into: &contacts, nextID: &nextID, dashboard: state.dashboards[id]!, now: call.now.epochMillis)
        state.dashboards[id]!.contacts = contacts
        state.nextContactID = nextID
        let c = contacts[number]!
        contactChanged(c, created: created, dashboard: id)
        return ok(c.json)
    }

    /// Array in, array out; every entry is validated before any is stored.
    func bulkUpsert(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        guard let entries = try body(call).arrayValue else { throw .invalid("The request body must be an array of contacts.") }
        var contacts = state.dashboards[id]!.contacts
        var nextID = state.nextContactID
        var results: [(phone: String, created: Bool)] = []
        for (i, entry) in entries.enumerated() {
            guard let o = entry.objectValue else { throw .invalid("Contact \(i) must be a JSON object.") }
            guard let raw = try o.string("phone_number"), !raw.isEmpty else { throw .invalid("Contact \(i): a phone_number must be specified.") }
            let number = try phone(raw, "phone number")
            let created = try write(o, phone: number, into: &contacts, nextID: &nextID, dashboard: state.dashboards[id]!, now: call.now.epochMillis)
            results.append((number, created))
        }
        state.dashboards[id]!.contacts = contacts
        state.nextContactID = nextID
        for r in results { contactChanged(contacts[r.phone]!, created: r.created, dashboard: id) }
        return ok(.array(results.map { contacts[$0.phone]!.json }))
    }

    /// 404 unknown, 400 with message history, else 200 with no body.
    func deleteContact(_ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        let id = try dashboardID(call)
        let number = try pathPhone(call)
        guard let c = state.dashboards[id]!.contacts[number] else { throw TRError(404, "No contact with the phone number \(number) exists in this dashboard.") }
        guard c.messages.isEmpty else { throw .invalid("The contact has message history and cannot be deleted.") }
        state.dashboards[id]!.contacts[number] = nil
        return emptyOK()
    }

    // MARK: writing

    /// Applies one write body to the contact `phone` in `contacts` (creating it when new).
    /// Returns whether it was created. Throws before changing anything when the body is invalid.
    func write(_ o: JSONObject, phone: String, into contacts: inout [String: TRContact], nextID: inout Int,
               dashboard dash: TRDashboard, now: Int64) throws(TRError) -> Bool {
        let existing = contacts[phone]
        var c = existing ?? TRContact(id: nextID, phone: phone, created: now)
        for key in ["first_name", "last_name", "display_name", "suppressed_reason", "note"] where o.has(key) {
            let v = try o.string(key)
            switch key {
            case "first_name": c.firstName = v
            case "last_name": c.lastName = v
            case "display_name": c.displayName = v
            case "suppressed_reason": c.suppressedReason = v
            default: c.note = v
            }
        }
        if let v = try o.bool("is_suppressed") { c.isSuppressed = v }
        if let v = try o.bool("is_archived") { c.isArchived = v }
        if let v = try o.bool("is_blocked") { c.isBlocked = v }
        if let v = try o.bool("is_resolved") { c.isResolved = v }
        if let groups = try o.array("groups") {
            var ids: [Int] = []
            for g in groups {
                guard let n = g.intValue else { throw .invalid("groups must be an array of group ids.") }
                guard dash.groups.contains(where: { $0.id == n }) else { throw .invalid("Group \(n) does not exist in this dashboard.") }
                if !ids.contains(n) { ids.append(n) }
            }
            c.groups = ids
        }
        if let tags = try o.array("contact_tags") {
            var ids: [String] = []
            for t in tags {
                guard let s = t.stringValue?.lowercased() else { throw .invalid("contact_tags must be an array of tag ids.") }
                guard dash.tags.contains(where: { $0.id == s }) else { throw .invalid("Tag \(s) does not exist in this dashboard.") }
                if !ids.contains(s) { ids.append(s) }
            }
            c.tags = ids  // [] clears
        }
        if let fields = try o.array("custom_fields") {
            if fields.isEmpty { c.fields = [] }
            for f in fields {
                guard let fo = f.objectValue, let fid = try fo.string("id")?.lowercased() else {
                    throw .invalid("custom_fields entries must be objects with an id and a value.")
                }
                guard dash.fields.contains(where: { $0.id == fid }) else { throw .invalid("Custom field \(fid) does not exist in this dashboard.") }
                let value: String?
                switch fo["value"] {
                case nil, .null?: value = nil
                case .string(let s)?: value = s
                case .int(let n)?: value = String(n)
                case .double(let d)?: value = String(d)
                case .bool(let b)?: value = String(b)
                default: throw .invalid("A custom field value must be a string.")
                }
                if let value, !value.isEmpty {
                    if let i = c.fields.firstIndex(where: { $0.id == fid }) { c.fields[i].value = value }
                    else { c.fields.append(TRFieldValue(id: fid, value: value)) }
                } else {
                    c.fields.removeAll { $0.id == fid }
                }
            }
        }
        if existing == nil {
            if c.displayName == nil {
                let name = [c.firstName, c.lastName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
                if !name.isEmpty { c.displayName = name }
            }
            nextID += 1
        }
        contacts[phone] = c
        return existing == nil
    }
}
