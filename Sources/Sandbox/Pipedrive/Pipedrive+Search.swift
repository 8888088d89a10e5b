import GatewayCore

/// `GET /api/v2/{persons,organizations,deals}/search`: `term` (2+ characters, 1 with
/// `exact_match`), `fields`, `exact_match`, the kind's filters, cursor paging;
/// `data.items[{result_score, item}]`.
extension PipedriveEmulator {
    func search(_ kind: PDKind, _ call: EmulatorCall) throws -> HTTPResponse {
        let q = PDQuery(call: call)
        let exact = try q.bool("exact_match") ?? false
        guard let rawTerm = call.query("term") else { throw PDError.validation("term", "is required") }
        let term = rawTerm.trimmingSpaces()
        guard term.count >= (exact ? 1 : 2) else {
            throw PDError.validation("term", "must be at least \(exact ? 1 : 2) characters long")
        }
        let allFields: [String]
        switch kind {
        case .person: allFields = ["custom_fields", "email", "notes", "phone", "name"]
        case .organization: allFields = ["address", "custom_fields", "notes", "name"]
        default: allFields = ["custom_fields", "notes", "title"]
        }
        var fields = allFields
        if let list = q.string("fields") {
            fields = list.split(separator: ",").map { String($0).trimmingSpaces() }
            for f in fields where !allFields.contains(f) {
                throw PDError.validation("fields", "must be equal to one of the allowed values: \(allFields.joined(separator: ", "))")
            }
        }
        let limit = try q.limit()
        var start = 0
        if let c = q.string("cursor") {
            guard let plain = PDCursor.unbase64url(c), plain.hasPrefix("s:"), let o = Int(plain.dropFirst(2)), o >= 0 else {
                throw PDError.validation("cursor", "is not a valid cursor for this query")
            }
            start = o
        }
        let orgFilter = try q.int("organization_id")
        let personFilter = kind == .deal ? try q.int("person_id") : nil
        let statusFilter = kind == .deal ? try q.oneOf("status", ["open", "won", "lost"]) : nil

        let needle = term.lowercased()
        var notesByID: [Int: [String]] = [:]
        if fields.contains("notes") {
            let link = kind == .person ? "person_id" : kind == .organization ? "org_id" : "deal_id"
            for n in state[.note].all where n["active_flag"] == .bool(true) {
                if let id = n[link]?.intValue, let c = n["content"]?.stringValue { notesByID[id, default: []].append(c) }
            }
        }
        var hits: [(score: Double, id: Int, item: JSON)] = []
        for row in state[kind].all where !PipedriveState.isDeleted(kind, row) {
            if let o = orgFilter, row["org_id"]?.intValue != o { continue }
            if let p = personFilter, row["person_id"]?.intValue != p { continue }
            if let s = statusFilter, row["status"]?.stringValue != s { continue }
            var best = 0.0
            var matchedCustom: [JSON] = []
            var matchedNotes: [JSON] = []
            for field in fields {
                let texts = field == "notes" ? notesByID[row["id"]?.intValue ?? 0] ?? [] : searchable(field, row)
                for text in texts {
                    let s = Self.score(text, needle, exact: exact) * (field == "name" || field == "title" ? 1 : 0.8)
                    guard s > 0 else { continue }
                    best = max(best, s)
                    if field == "custom_fields" { matchedCustom.append(.string(text)) }
                    if field == "notes" { matchedNotes.append(.string(text)) }
                }
            }
            guard best > 0 else { continue }
            hits.append((best, row["id"]?.intValue ?? 0, searchItem(kind, row, custom: matchedCustom, notes: matchedNotes)))
        }
        hits.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        let from = min(start, hits.count)
        let end = min(hits.count, from + limit)
        let items: [JSON] = hits[from..<end].map { ["result_score": .double($0.score), "item": $0.item] }
        let next: JSON = end < hits.count ? .string(PDCursor.base64url("s:\(end)")) : .null
        return ok(["items": .array(items)], additional: ["next_cursor": next])
    }

    /// 1 for an exact (case-insensitive) match, 0.75 for a prefix, 0.5 for a substring.
    static func score(_ text: String, _ needle: String, exact: Bool) -> Double {
        let t = text.lowercased()
        if t == needle { return 1 }
        if exact { return 0 }
        if t.hasPrefix(needle) { return 0.75 }
        return t.contains(needle) ? 0.5 : 0
    }

    private func searchable(_ field: String, _ row: JSONObject) -> [String] {
        switch field {
        case "name", "title":
            return [row[field]?.stringValue].compactMap { $0 }
        case "email":
            return (row["emails"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
        case "phone":
            return (row["phones"]?.arrayValue ?? []).compactMap { $0["value"]?.stringValue }
        case "address":
            return [row["address"]?["value"]?.stringValue].compactMap { $0 }
        case "custom_fields":
            return (row["custom_fields"]?.objectValue ?? JSONObject()).compactMap { entry -> String? in
                entry.value.stringValue ?? entry.value["value"]?.stringValue
            }
        default:
            return []
        }
    }

    /// The spec's search item for one record.
    private func searchItem(_ kind: PDKind, _ row: JSONObject, custom: [JSON], notes: [JSON]) -> JSON {
        var o = JSONObject()
        o["id"] = row["id"]
        o["type"] = .string(kind.rawValue)
        let owner: JSON = ["id": row["owner_id"] ?? .null]
        func ref(_ k: PDKind, _ field: String, name: String = "name") -> JSON? {
            guard let id = row[field]?.intValue, let r = state[k][id] else { return nil }
            return ["id": .int(id), "name": r[name] ?? .null]
        }
        switch kind {
        case .person:
            o["name"] = row["name"]
            o["phones"] = .array((row["phones"]?.arrayValue ?? []).compactMap { $0["value"] })
            o["emails"] = .array((row["emails"]?.arrayValue ?? []).compactMap { $0["value"] })
            o["visible_to"] = row["visible_to"]
            o["owner"] = owner
            if let org = ref(.organization, "org_id") {
                o["organization"] = ["id": org["id"] ?? .null, "name": org["name"] ?? .null,
                                     "address": state[.organization][org["id"]?.intValue ?? 0]?["address"]?["value"] ?? .null]
            }
        case .organization:
            o["name"] = row["name"]
            if let a = row["address"]?["value"] { o["address"] = a }
            o["visible_to"] = row["visible_to"]
            o["owner"] = owner
        default:
            o["title"] = row["title"]
            o["value"] = .int(Int((row["value"]?.doubleValue ?? 0).rounded()))
            o["currency"] = row["currency"]
            o["status"] = row["status"]
            o["visible_to"] = row["visible_to"]
            o["owner"] = owner
            o["stage"] = ref(.stage, "stage_id") ?? .null
            o["person"] = ref(.person, "person_id") ?? .null
            o["organization"] = ref(.organization, "org_id") ?? .null
            o["is_archived"] = row["is_archived"] ?? false
        }
        o["custom_fields"] = .array(custom)
        o["notes"] = .array(notes)
        return .object(o)
    }
}
