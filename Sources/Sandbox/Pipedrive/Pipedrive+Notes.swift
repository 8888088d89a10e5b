import GatewayCore

/// v1 notes: offset paging (`start`/`limit`, `additional_data.pagination`), JSON or form
/// bodies with v1's coercion of numeric strings, SQL-style UTC timestamps.
extension PipedriveEmulator {
    static let noteLinks = ["deal_id", "person_id", "org_id", "lead_id", "project_id"]
    static let notePins = ["pinned_to_lead_flag", "pinned_to_deal_flag", "pinned_to_organization_flag",
                           "pinned_to_person_flag", "pinned_to_project_flag"]

    func listNotes(_ call: EmulatorCall) throws -> HTTPResponse {
        let start = try v1Int(call.query("start"), "start") ?? 0
        let limit = min(try v1Int(call.query("limit"), "limit") ?? 100, 500)
        guard start >= 0 else { throw PDError.envelope(400, "start must be a non-negative integer") }
        guard limit >= 1 else { throw PDError.envelope(400, "limit must be a positive integer") }
        var tests: [(JSONObject) -> Bool] = [{ $0["active_flag"] == .bool(true) }]
        for (param, field) in [("user_id", "user_id"), ("deal_id", "deal_id"), ("person_id", "person_id"),
                               ("org_id", "org_id"), ("project_id", "project_id")] {
            if let v = try v1Int(call.query(param), param) { tests.append { $0[field]?.intValue == v } }
        }
        if let lead = call.query("lead_id"), !lead.isEmpty { tests.append { $0["lead_id"]?.stringValue == lead } }
        for pin in Self.notePins {
            if let v = try v1Flag(call.query(pin).map { .string($0) }, pin) { tests.append { $0[pin] == .bool(v) } }
        }
        if let s = call.query("updated_since"), !s.isEmpty {
            guard let t = UTCTime(parsing: s) else { throw PDError.envelope(400, "updated_since must be a RFC 3339 date-time") }
            tests.append { Self.millis($0["update_time"]) >= t.epochMillis }
        }
        for (param, upper) in [("start_date", false), ("end_date", true)] {
            guard let s = call.query(param), !s.isEmpty else { continue }
            guard PDValidate.isDate(s), let d = UTCTime(parsing: s) else { throw PDError.envelope(400, "\(param) must be YYYY-MM-DD") }
            tests.append { row in
                let t = Self.millis(row["add_time"])
                return upper ? t < d.epochMillis + 86_400_000 : t >= d.epochMillis
            }
        }
        let order = try noteSort(call.query("sort"))
        var rows = state[.note].all.filter { row in tests.allSatisfy { $0(row) } }
        rows.sort { a, b in
            for (field, desc) in order {
                let (x, y) = (Self.noteSortValue(field, a), Self.noteSortValue(field, b))
                if x != y { return desc ? x > y : x < y }
            }
            return (a["id"]?.intValue ?? 0) < (b["id"]?.intValue ?? 0)
        }
        let from = min(start, rows.count)
        let end = min(rows.count, from + limit)
        var pagination: JSONObject = ["start": .int(start), "limit": .int(limit), "more_items_in_collection": .bool(end < rows.count)]
        if end < rows.count { pagination["next_start"] = .int(end) }
        return ok(.array(rows[from..<end].map(renderNote)), additional: ["pagination": .object(pagination)])
    }

    func getNote(_ call: EmulatorCall) throws -> HTTPResponse {
        let id = try pathID(call)
        guard let row = state.live(.note, id) else { throw PDError.notFound(.note) }
        return ok(renderNote(row))
    }

    func createNote(_ call: EmulatorCall) throws -> HTTPResponse {
        let body = try v1Body(call)
        let now = call.now
        guard let content = body["content"]?.stringValue, !content.trimmingSpaces().isEmpty else {
            throw PDError.envelope(400, "Validation failed: content: is required")
        }
        var row: JSONObject = ["active_flag": true, "add_time": .string(now.sqlDateTime), "content": .string(content)]
        for f in ["lead_id", "deal_id", "last_update_user_id", "org_id", "person_id", "project_id"] { row[f] = .null }
        for pin in Self.notePins { row[pin] = false }
        row["update_time"] = .string(now.sqlDateTime)
        row["user_id"] = .int(PDCompany.apiUser.id)
        try applyNoteFields(body, to: &row)
        guard Self.noteLinks.contains(where: { !(row[$0] ?? .null).isNull }) else {
            throw PDError.envelope(400, "Validation failed: a note must be attached to a deal, person, organization, lead or project (deal_id, person_id, org_id, lead_id or project_id)")
        }
        if let t = body["add_time"]?.stringValue {
            guard let parsed = UTCTime(parsing: t) else { throw PDError.envelope(400, "Validation failed: add_time: must be YYYY-MM-DD HH:MM:SS") }
            row["add_time"] = .string(parsed.sqlDateTime)
        }
        let id = state[.note].insert(row)
        let stored = state[.note][id]!
        emit(.create, .note, old: nil, new: stored, now: now)
        return ok(renderNote(stored))
    }

    func updateNote(_ call: EmulatorCall) throws -> HTTPResponse {
        let id = try pathID(call)
        guard let old = state.live(.note, id) else { throw PDError.notFound(.note) }
        let body = try v1Body(call)
        var row = old
        if let c = body["content"] {
            guard let s = c.stringValue, !s.trimmingSpaces().isEmpty else {
                throw PDError.envelope(400, "Validation failed: content: must not be empty")
            }
            row["content"] = .string(s)
        }
        try applyNoteFields(body, to: &row)
        guard Self.noteLinks.contains(where: { !(row[$0] ?? .null).isNull }) else {
            throw PDError.envelope(400, "Validation failed: a note must stay attached to a deal, person, organization, lead or project")
        }
        if row != old {
            row["update_time"] = .string(call.now.sqlDateTime)
            row["last_update_user_id"] = .int(PDCompany.apiUser.id)
            state[.note][id] = row
            emit(.change, .note, old: old, new: row, now: call.now)
        }
        return ok(renderNote(row))
    }

    func deleteNote(_ call: EmulatorCall) throws -> HTTPResponse {
        let id = try pathID(call)
        guard let old = state.live(.note, id) else { throw PDError.notFound(.note) }
        var row = old
        row["active_flag"] = false
        row["update_time"] = .string(call.now.sqlDateTime)
        state[.note][id] = row
        emit(.delete, .note, old: old, new: row, now: call.now)
        return ok(true)
    }

    /// The note as v1 answers it, with the linked records' names.
    func renderNote(_ row: JSONObject) -> JSON {
        var r = row
        if let d = row["deal_id"]?.intValue, let deal = state[.deal][d] { r["deal"] = ["title": deal["title"] ?? .null] }
        if let o = row["org_id"]?.intValue, let org = state[.organization][o] { r["organization"] = ["name": org["name"] ?? .null] }
        if let p = row["person_id"]?.intValue, let person = state[.person][p] { r["person"] = ["name": person["name"] ?? .null] }
        if let u = row["user_id"]?.intValue, let user = PDCompany.user(u) {
            r["user"] = ["email": .string(user.email), "is_you": .bool(u == PDCompany.apiUser.id), "name": .string(user.name)]
        }
        return PDKind.note.render(r)
    }

    private func applyNoteFields(_ body: JSONObject, to row: inout JSONObject) throws {
        for (field, kind) in [("deal_id", PDKind.deal), ("person_id", .person), ("org_id", .organization)] {
            guard let v = body[field] else { continue }
            guard let id = try v1Int(v, field) else { row[field] = .null; continue }
            guard state.live(kind, id) != nil else { throw PDError.envelope(400, "Validation failed: \(field): \(kind.rawValue) \(id) does not exist") }
            row[field] = .int(id)
        }
        if let v = body["project_id"] { row["project_id"] = try v1Int(v, "project_id").map { .int($0) } ?? .null }
        if let v = body["lead_id"] {
            let s = v.stringValue ?? ""
            if s.isEmpty { row["lead_id"] = .null } else {
                guard s.utf8.count == 36, s.split(separator: "-").count == 5 else {
                    throw PDError.envelope(400, "Validation failed: lead_id: must be a UUID")
                }
                row["lead_id"] = .string(s)
            }
        }
        if let v = body["user_id"], let u = try v1Int(v, "user_id") {
            guard PDCompany.user(u) != nil else { throw PDError.envelope(400, "Validation failed: user_id: user \(u) does not exist") }
            row["user_id"] = .int(u)
        }
        for pin in Self.notePins {
            if let v = try v1Flag(body[pin], pin) { row[pin] = .bool(v) }
        }
    }

    /// A v1 body: a JSON object or form pairs (values stay strings).
    func v1Body(_ call: EmulatorCall) throws -> JSONObject {
        if call.request.body.isEmpty { return JSONObject() }
        if call.contentType == "application/x-www-form-urlencoded" {
            guard let pairs = call.formBody() else { throw PDError.envelope(400, "Malformed form body") }
            return JSONObject(pairs.map { ($0.0, JSON.string($0.1)) })
        }
        switch call.jsonBody() {
        case .success(.object(let o))?: return o
        case .success?: throw PDError.envelope(400, "Request body must be a JSON object")
        case .failure(let e)?: throw PDError.envelope(400, "Invalid JSON in request body: \(e.reason)")
        case nil: return JSONObject()
        }
    }

    /// v1 coerces: an integer or a string of digits; empty or null means none.
    func v1Int(_ v: JSON?, _ field: String) throws -> Int? {
        switch v {
        case nil, .null?: return nil
        case .int(let i)?: return i
        case .double(let d)? where d.rounded() == d: return Int(d)
        case .string(let s)? where s.isEmpty: return nil
        case .string(let s)?:
            guard let i = Int(s) else { throw PDError.envelope(400, "Validation failed: \(field): must be a number") }
            return i
        default: throw PDError.envelope(400, "Validation failed: \(field): must be a number")
        }
    }

    func v1Int(_ s: String?, _ field: String) throws -> Int? { try v1Int(s.map { JSON.string($0) }, field) }

    /// 0/1, "0"/"1" or booleans.
    func v1Flag(_ v: JSON?, _ field: String) throws -> Bool? {
        switch v {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case .int(0)?, .string("0")?, .string("false")?: return false
        case .int(1)?, .string("1")?, .string("true")?: return true
        default: throw PDError.envelope(400, "Validation failed: \(field): must be 0 or 1")
        }
    }

    private func noteSort(_ text: String?) throws -> [(String, Bool)] {
        guard let text, !text.isEmpty else { return [("id", false)] }
        let allowed = ["id", "add_time", "update_time", "content", "user_id", "deal_id", "person_id", "org_id"]
        return try text.split(separator: ",").map { part in
            let words = part.split(separator: " ").map(String.init)
            guard let field = words.first, allowed.contains(field), words.count <= 2 else {
                throw PDError.envelope(400, "Invalid sort field; one of \(allowed.joined(separator: ", "))")
            }
            let dir = words.count == 2 ? words[1].uppercased() : "ASC"
            guard dir == "ASC" || dir == "DESC" else { throw PDError.envelope(400, "Invalid sort direction \(words[1])") }
            return (field, dir == "DESC")
        }
    }

    private static func noteSortValue(_ field: String, _ row: JSONObject) -> String {
        switch row[field] {
        case .int(let i)?: return String(repeating: "0", count: max(0, 12 - String(i).count)) + String(i)
        case .string(let s)?: return s
        default: return ""
        }
    }
}
