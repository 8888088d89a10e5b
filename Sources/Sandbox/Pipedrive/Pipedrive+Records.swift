import GatewayCore

/// v2 list / get / create / update (PATCH) / delete, shared by persons, organizations, deals,
/// activities, stages and pipelines. Per-entity rules live in `Pipedrive+Rules.swift`.
extension PipedriveEmulator {
    func list(_ kind: PDKind, _ call: EmulatorCall) throws -> HTTPResponse {
        let q = PDQuery(call: call)
        let limit = try q.limit()
        var sortFields = ["id", "update_time", "add_time"]
        if kind == .activity { sortFields.append("due_date") }
        if kind == .stage { sortFields.append("order_nr") }
        let sortBy = try q.oneOf("sort_by", sortFields, default: "id")!
        let descending = try q.oneOf("sort_direction", ["asc", "desc"], default: "asc") == "desc"
        var cursor: PDCursor?
        if let text = q.string("cursor") {
            guard let c = PDCursor(text), c.sortBy == sortBy, c.descending == descending else {
                throw PDError.validation("cursor", "is not a valid cursor for this query")
            }
            cursor = c
        }
        let keep = try listFilter(kind, q)
        var keyed = state[kind].all.filter(keep).map { (key: Self.sortKey(sortBy, $0), id: $0["id"]?.intValue ?? 0, row: $0) }
        keyed.sort { a, b in
            let asc = a.key != b.key ? a.key < b.key : a.id < b.id
            return descending ? !asc : asc
        }
        var start = 0
        if let c = cursor {
            start = keyed.firstIndex { e in
                if e.key != c.key { return descending ? e.key < c.key : e.key > c.key }
                return descending ? e.id <= c.id : e.id >= c.id
            } ?? keyed.count
        }
        let end = min(keyed.count, start + limit)
        let page = keyed[start..<end].map { kind.render($0.row) }
        var next: JSON = .null
        if end < keyed.count {
            next = .string(PDCursor(sortBy: sortBy, descending: descending, key: keyed[end].key, id: keyed[end].id).encoded)
        }
        return ok(.array(page), additional: ["next_cursor": next])
    }

    func get(_ kind: PDKind, _ call: EmulatorCall) throws -> HTTPResponse {
        let id = try pathID(call)
        guard let row = state.live(kind, id) else { throw PDError.notFound(kind) }
        return ok(kind.render(row))
    }

    func create(_ kind: PDKind, _ call: EmulatorCall) throws -> HTTPResponse {
        let body = try PDValidate.body(try jsonBody(call), kind, creating: true)
        let now = call.now
        var row = defaults(kind, now: now)
        for (k, v) in body { row[k] = v }
        try applyRules(kind, old: nil, row: &row, body: body, now: now)
        let id = state[kind].insert(row)
        let stored = state[kind][id]!
        emit(.create, kind, old: nil, new: stored, now: now)
        return ok(kind.render(stored))
    }

    func update(_ kind: PDKind, _ call: EmulatorCall) throws -> HTTPResponse {
        let id = try pathID(call)
        guard let old = state.live(kind, id) else { throw PDError.notFound(kind) }
        let body = try PDValidate.body(try jsonBody(call), kind, creating: false)
        let now = call.now
        var row = old
        for (k, v) in body { row[k] = v }
        try applyRules(kind, old: old, row: &row, body: body, now: now)
        let changed = row.entries.contains { $0.key != "update_time" && old[$0.key] != $0.value }
        guard changed else { return ok(kind.render(old)) }
        if body["update_time"] == nil { row["update_time"] = .string(now.rfc3339) }
        state[kind][id] = row
        let deleted = PipedriveState.isDeleted(kind, row)
        emit(deleted ? .delete : .change, kind, old: old, new: row, now: now)
        return ok(kind.render(row))
    }

    func delete(_ kind: PDKind, _ call: EmulatorCall) throws -> HTTPResponse {
        let id = try pathID(call)
        guard let old = state.live(kind, id) else { throw PDError.notFound(kind) }
        var row = old
        row["is_deleted"] = true
        if kind == .deal { row["status"] = "deleted" }
        row["update_time"] = .string(call.now.rfc3339)
        state[kind][id] = row
        if kind == .pipeline {
            // Its stages go with it (deals keep their stage ids, as Pipedrive's own cleanup is not emulated).
            for var stage in state[.stage].all where stage["pipeline_id"]?.intValue == id && stage["is_deleted"] != .bool(true) {
                stage["is_deleted"] = true
                stage["update_time"] = row["update_time"]
                state[.stage][stage["id"]?.intValue ?? 0] = stage
            }
        }
        emit(.delete, kind, old: old, new: row, now: call.now)
        return ok(["id": .int(id)])
    }

    // MARK: filters and sorting

    /// The list filters each kind documents (FACTS 1.4). Deleted records are left out, except
    /// deals with `status=deleted`.
    private func listFilter(_ kind: PDKind, _ q: PDQuery) throws -> (JSONObject) -> Bool {
        var tests: [(JSONObject) -> Bool] = []
        func equal(_ param: String, _ field: String) throws {
            if let v = try q.int(param) { tests.append { $0[field]?.intValue == v } }
        }
        let ids = try q.ids()
        if let ids { tests.append { ids.contains($0["id"]?.intValue ?? 0) } }
        if kind != .stage && kind != .pipeline {
            try equal("owner_id", "owner_id")
            if let since = try q.time("updated_since") { tests.append { Self.millis($0["update_time"]) >= since } }
            if let until = try q.time("updated_until") { tests.append { Self.millis($0["update_time"]) < until } }
        }
        switch kind {
        case .person:
            try equal("org_id", "org_id")
            if let dealID = try q.int("deal_id") {
                let personID = state[.deal][dealID]?["person_id"]?.intValue
                tests.append { $0["id"]?.intValue == personID }
            }
        case .deal:
            try equal("person_id", "person_id")
            try equal("org_id", "org_id")
            try equal("pipeline_id", "pipeline_id")
            try equal("stage_id", "stage_id")
            let status = try q.oneOf("status", ["open", "won", "lost", "deleted"])
            switch status {
            case "deleted": tests.append { $0["is_deleted"] == .bool(true) }
            case let s?: tests.append { $0["is_deleted"] != .bool(true) && $0["status"]?.stringValue == s }
            case nil: tests.append { $0["is_deleted"] != .bool(true) }
            }
        case .activity:
            try equal("deal_id", "deal_id")
            try equal("person_id", "person_id")
            try equal("org_id", "org_id")
            if let lead = q.string("lead_id") { tests.append { $0["lead_id"]?.stringValue == lead } }
            if let done = try q.bool("done") { tests.append { $0["done"] == .bool(done) } }
        case .stage:
            if let p = try q.int("pipeline_id") { tests.append { $0["pipeline_id"]?.intValue == p } }
        case .organization, .pipeline, .note:
            break
        }
        if kind != .deal { tests.append { !PipedriveState.isDeleted(kind, $0) } }
        return { row in tests.allSatisfy { $0(row) } }
    }

    static func millis(_ v: JSON?) -> Int64 {
        guard let s = v?.stringValue, let t = UTCTime(parsing: s) else { return 0 }
        return t.epochMillis
    }

    /// The sort key of a record (times in milliseconds, dates in days; missing sorts first).
    static func sortKey(_ field: String, _ row: JSONObject) -> Int64 {
        switch field {
        case "add_time", "update_time": return millis(row[field])
        case "due_date":
            guard let s = row["due_date"]?.stringValue, let t = UTCTime(parsing: s) else { return -1 }
            return t.epochMillis / 86_400_000
        case "order_nr": return Int64(row["order_nr"]?.intValue ?? 0)
        default: return Int64(row["id"]?.intValue ?? 0)
        }
    }
}
