import GatewayCore

/// What a new v2 record starts as, and the invariants every create/update keeps: references
/// exist, deal status times, stage/pipeline consistency, person name parts, primary contacts.
extension PipedriveEmulator {
    func defaults(_ kind: PDKind, now: UTCTime) -> JSONObject {
        var row = JSONObject()
        for f in kind.responseFields where f.name != "id" { row[f.name] = .null }
        let user = JSON.int(PDCompany.apiUser.id)
        let t = JSON.string(now.rfc3339)
        row["add_time"] = t
        row["update_time"] = t
        row["is_deleted"] = false
        switch kind {
        case .person:
            row["owner_id"] = user
            row["emails"] = []
            row["phones"] = []
            row["visible_to"] = 3
            row["label_ids"] = []
            row["custom_fields"] = .object(JSONObject())
        case .organization:
            row["owner_id"] = user
            row["visible_to"] = 3
            row["label_ids"] = []
            row["custom_fields"] = .object(JSONObject())
        case .deal:
            row["creator_user_id"] = user
            row["owner_id"] = user
            row["value"] = 0
            row["currency"] = "USD"
            row["is_archived"] = false
            row["status"] = "open"
            row["visible_to"] = 3
            row["label_ids"] = []
            row["origin"] = "API"
            row["custom_fields"] = .object(JSONObject())
        case .activity:
            row["owner_id"] = user
            row["creator_user_id"] = user
            row["type"] = "task"
            row["busy"] = false
            row["done"] = false
            row["participants"] = []
            row["attendees"] = []
        case .stage:
            row["deal_probability"] = 100
            row["is_deal_rot_enabled"] = false
        case .pipeline:
            row["is_deal_probability_enabled"] = false
        case .note:
            break
        }
        return row
    }

    func applyRules(_ kind: PDKind, old: JSONObject?, row: inout JSONObject, body: JSONObject, now: UTCTime) throws {
        if let owner = body["owner_id"]?.intValue, PDCompany.user(owner) == nil {
            throw PDError.validation("owner_id", "user \(owner) does not exist")
        }
        switch kind {
        case .person: try personRules(&row, body: body)
        case .organization: break
        case .deal: try dealRules(old: old, row: &row, body: body, now: now)
        case .activity: try activityRules(old: old, row: &row, body: body, now: now)
        case .stage:
            if body["pipeline_id"] != nil || old == nil {
                let p = row["pipeline_id"]?.intValue ?? 0
                guard state.live(.pipeline, p) != nil else { throw PDError.validation("pipeline_id", "pipeline \(p) does not exist") }
                if old?["pipeline_id"]?.intValue != p { row["order_nr"] = .int(nextOrder(.stage) { $0["pipeline_id"]?.intValue == p }) }
            }
        case .pipeline:
            if old == nil { row["order_nr"] = .int(nextOrder(.pipeline) { _ in true }) }
        case .note: break
        }
    }

    private func nextOrder(_ kind: PDKind, _ among: (JSONObject) -> Bool) -> Int {
        let orders = state[kind].all.filter { !PipedriveState.isDeleted(kind, $0) && among($0) }.compactMap { $0["order_nr"]?.intValue }
        return (orders.max() ?? 0) + 1
    }

    /// A referenced record must exist (and not be deleted).
    func requireLive(_ kind: PDKind, _ field: String, _ body: JSONObject) throws {
        guard let v = body[field], let id = v.intValue else { return }
        guard state.live(kind, id) != nil else { throw PDError.validation(field, "\(kind.rawValue) \(id) does not exist") }
    }

    private func personRules(_ row: inout JSONObject, body: JSONObject) throws {
        try requireLive(.organization, "org_id", body)
        if let name = body["name"]?.stringValue {
            let trimmed = name.trimmingSpaces()
            row["name"] = .string(trimmed)
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            row["first_name"] = .string(parts.first.map(String.init) ?? trimmed)
            row["last_name"] = parts.count > 1 ? .string(String(parts[1])) : .null
        }
        for field in ["emails", "phones"] where body[field] != nil {
            row[field] = .array(Self.normalizedContacts(row[field]?.arrayValue ?? []))
        }
    }

    /// Every entry gets `primary` and `label`; exactly one is primary.
    static func normalizedContacts(_ entries: [JSON]) -> [JSON] {
        var out: [JSON] = []
        var sawPrimary = false
        for e in entries {
            guard var o = e.objectValue, let v = o["value"]?.stringValue, !v.isEmpty else { continue }
            let primary = o["primary"]?.boolValue == true && !sawPrimary
            sawPrimary = sawPrimary || primary
            o["primary"] = .bool(primary)
            if o["label"]?.stringValue == nil { o["label"] = "work" }
            out.append(.object(JSONObject([("value", .string(v)), ("primary", o["primary"]!), ("label", o["label"]!)])))
        }
        if !sawPrimary, var first = out.first?.objectValue {
            first["primary"] = true
            out[0] = .object(first)
        }
        return out
    }

    private func dealRules(old: JSONObject?, row: inout JSONObject, body: JSONObject, now: UTCTime) throws {
        try requireLive(.person, "person_id", body)
        try requireLive(.organization, "org_id", body)
        if let c = body["currency"]?.stringValue {
            guard c.utf8.count == 3, c.utf8.allSatisfy({ (65...90).contains($0) }) else {
                throw PDError.validation("currency", "must be a 3-letter ISO 4217 code")
            }
        }
        // Stage and pipeline.
        let stageGiven = body["stage_id"]?.intValue
        let pipelineGiven = body["pipeline_id"]?.intValue
        if let s = stageGiven {
            guard let stage = state.live(.stage, s) else { throw PDError.validation("stage_id", "stage \(s) does not exist") }
            let p = stage["pipeline_id"]?.intValue ?? 0
            if let pg = pipelineGiven, pg != p {
                throw PDError.validation("stage_id", "stage \(s) does not belong to pipeline \(pg)")
            }
            row["pipeline_id"] = .int(p)
        } else if let p = pipelineGiven ?? (old == nil ? 1 : nil) {
            guard state.live(.pipeline, p) != nil else { throw PDError.validation("pipeline_id", "pipeline \(p) does not exist") }
            if old?["pipeline_id"]?.intValue != p {
                let first = state[.stage].all.filter { $0["pipeline_id"]?.intValue == p && $0["is_deleted"] != .bool(true) }
                    .min { ($0["order_nr"]?.intValue ?? 0) < ($1["order_nr"]?.intValue ?? 0) }
                guard let first else { throw PDError.validation("pipeline_id", "pipeline \(p) has no stages") }
                row["stage_id"] = first["id"] ?? .null
            }
        }
        if let old, old["stage_id"] != row["stage_id"] { row["stage_change_time"] = .string(now.rfc3339) }
        // Status and its times.
        if body["is_deleted"] == .bool(true) { row["status"] = "deleted" }
        if row["status"]?.stringValue == "deleted" { row["is_deleted"] = true }
        let status = row["status"]?.stringValue ?? "open"
        if status != old?["status"]?.stringValue {
            let t = JSON.string(now.rfc3339)
            switch status {
            case "won":
                row["won_time"] = body["won_time"] ?? t
                row["close_time"] = body["close_time"] ?? t
                row["lost_time"] = .null
            case "lost":
                row["lost_time"] = body["lost_time"] ?? t
                row["close_time"] = body["close_time"] ?? t
                row["won_time"] = .null
            case "open":
                row["won_time"] = .null
                row["lost_time"] = .null
                row["close_time"] = .null
            default:
                break
            }
        }
        if status != "lost" && status != "deleted" { row["lost_reason"] = .null }
        if body["is_archived"] == .bool(true) && old?["is_archived"] != .bool(true) && body["archive_time"] == nil {
            row["archive_time"] = .string(now.rfc3339)
        }
    }

    private func activityRules(old: JSONObject?, row: inout JSONObject, body: JSONObject, now: UTCTime) throws {
        try requireLive(.deal, "deal_id", body)
        try requireLive(.person, "person_id", body)
        try requireLive(.organization, "org_id", body)
        if let type = body["type"]?.stringValue, !PDCompany.activityTypes.contains(type) {
            throw PDError.validation("type", "must be one of the activity types: \(PDCompany.activityTypes.joined(separator: ", "))")
        }
        if row["subject"]?.stringValue?.isEmpty ?? true {
            let type = row["type"]?.stringValue ?? "task"
            row["subject"] = .string(type.prefix(1).uppercased() + type.dropFirst())
        }
        if let done = body["done"]?.boolValue, done != old?["done"]?.boolValue {
            row["marked_as_done_time"] = done ? .string(now.rfc3339) : .null
        }
        if body["person_id"] != nil && body["participants"] == nil {
            if let p = row["person_id"]?.intValue {
                row["participants"] = [["person_id": .int(p), "primary": true]]
            } else {
                row["participants"] = []
            }
        }
    }
}
