import GatewayCore

/// The record kinds the emulator stores. Records are kept as their v2 JSON object (nulls
/// included); `PDKind.render` turns one into what the API answers.
enum PDKind: String, CaseIterable, Sendable {
    case person, organization, deal, activity, stage, pipeline, note

    /// The path segment (`persons`) and the word in messages (`Person`).
    var plural: String {
        switch self {
        case .person: "persons"
        case .organization: "organizations"
        case .deal: "deals"
        case .activity: "activities"
        case .stage: "stages"
        case .pipeline: "pipelines"
        case .note: "notes"
        }
    }

    var title: String {
        switch self {
        case .person: "Person"
        case .organization: "Organization"
        case .deal: "Deal"
        case .activity: "Activity"
        case .stage: "Stage"
        case .pipeline: "Pipeline"
        case .note: "Note"
        }
    }
}

/// A field's wire type, as the specs give it; what request validation checks.
indirect enum PDType: Sendable {
    case int, number, string, bool
    /// `YYYY-MM-DD`.
    case date
    /// `HH:MM`.
    case clock
    /// RFC 3339 (v2) or `YYYY-MM-DD HH:MM:SS` (v1), whichever `UTCTime(parsing:)` reads.
    case datetime
    case oneOf([String])
    /// An integer from a fixed set (`visible_to`).
    case intIn([Int])
    case array(PDType)
    /// An object whose listed members have these types (others are kept as given).
    case object([PDField])
    /// `custom_fields`: any object.
    case anyObject
}

struct PDField: Sendable {
    let name: String
    let type: PDType
    let nullable: Bool

    init(_ name: String, _ type: PDType, nullable: Bool = false) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }
}

// MARK: - Field tables (openapi-v2.yml response and request schemas)

extension PDKind {
    static let addressFields: [PDField] = ["value", "country", "admin_area_level_1", "admin_area_level_2", "locality",
                                           "sublocality", "route", "street_number", "subpremise", "postal_code"].map { PDField($0, .string) }
    static let contactEntry = PDType.object([PDField("value", .string), PDField("primary", .bool), PDField("label", .string)])

    /// The response object's fields, in the spec's order. A null value is left out unless the
    /// spec marks the field nullable (see NOTES in PipedriveEmulator.swift).
    var responseFields: [PDField] {
        switch self {
        case .person:
            return [PDField("id", .int), PDField("name", .string), PDField("first_name", .string), PDField("last_name", .string),
                    PDField("owner_id", .int), PDField("org_id", .int), PDField("add_time", .string), PDField("update_time", .string),
                    PDField("emails", .array(Self.contactEntry)), PDField("phones", .array(Self.contactEntry)),
                    PDField("is_deleted", .bool), PDField("visible_to", .int), PDField("label_ids", .array(.int)),
                    PDField("picture_id", .int), PDField("postal_address", .object(Self.addressFields)),
                    PDField("notes", .string), PDField("im", .array(Self.contactEntry)), PDField("birthday", .string),
                    PDField("job_title", .string), PDField("custom_fields", .anyObject)]
        case .organization:
            return [PDField("id", .int), PDField("name", .string), PDField("owner_id", .int), PDField("add_time", .string),
                    PDField("update_time", .string), PDField("is_deleted", .bool), PDField("visible_to", .int),
                    PDField("address", .object(Self.addressFields)), PDField("label_ids", .array(.int)),
                    PDField("custom_fields", .anyObject)]
        case .deal:
            return [PDField("id", .int), PDField("title", .string), PDField("creator_user_id", .int), PDField("owner_id", .int),
                    PDField("person_id", .int), PDField("org_id", .int), PDField("pipeline_id", .int), PDField("stage_id", .int),
                    PDField("value", .number), PDField("currency", .string), PDField("add_time", .string),
                    PDField("update_time", .string), PDField("stage_change_time", .string), PDField("is_deleted", .bool),
                    PDField("is_archived", .bool), PDField("archive_time", .string), PDField("status", .string),
                    PDField("probability", .number, nullable: true), PDField("lost_reason", .string, nullable: true),
                    PDField("visible_to", .int), PDField("close_time", .string, nullable: true), PDField("won_time", .string),
                    PDField("lost_time", .string), PDField("expected_close_date", .date), PDField("label_ids", .array(.int)),
                    PDField("origin", .string), PDField("origin_id", .string, nullable: true),
                    PDField("channel", .int, nullable: true), PDField("channel_id", .string, nullable: true),
                    PDField("source_lead_id", .string, nullable: true), PDField("arr", .number, nullable: true),
                    PDField("mrr", .number, nullable: true), PDField("acv", .number, nullable: true),
                    PDField("custom_fields", .anyObject)]
        case .activity:
            return [PDField("id", .int), PDField("subject", .string), PDField("type", .string), PDField("owner_id", .int),
                    PDField("creator_user_id", .int), PDField("is_deleted", .bool), PDField("add_time", .string),
                    PDField("update_time", .string), PDField("deal_id", .int), PDField("lead_id", .string),
                    PDField("person_id", .int), PDField("org_id", .int), PDField("project_id", .int),
                    PDField("due_date", .string), PDField("due_time", .string), PDField("duration", .string),
                    PDField("busy", .bool), PDField("done", .bool), PDField("marked_as_done_time", .string),
                    PDField("location", .object(Self.addressFields)), PDField("participants", .array(.anyObject)),
                    PDField("attendees", .array(.anyObject)), PDField("conference_meeting_client", .string),
                    PDField("conference_meeting_url", .string), PDField("conference_meeting_id", .string),
                    PDField("public_description", .string), PDField("priority", .int), PDField("note", .string)]
        case .stage:
            return [PDField("id", .int), PDField("order_nr", .int), PDField("name", .string), PDField("is_deleted", .bool),
                    PDField("deal_probability", .int), PDField("pipeline_id", .int), PDField("is_deal_rot_enabled", .bool),
                    PDField("days_to_rotten", .int, nullable: true), PDField("add_time", .string), PDField("update_time", .string)]
        case .pipeline:
            return [PDField("id", .int), PDField("name", .string), PDField("order_nr", .int), PDField("is_deleted", .bool),
                    PDField("is_deal_probability_enabled", .bool), PDField("add_time", .string), PDField("update_time", .string)]
        case .note:
            return [PDField("id", .int), PDField("active_flag", .bool), PDField("add_time", .string), PDField("content", .string),
                    PDField("deal", .anyObject), PDField("lead_id", .string), PDField("deal_id", .int),
                    PDField("last_update_user_id", .int), PDField("org_id", .int), PDField("organization", .anyObject),
                    PDField("person", .anyObject), PDField("person_id", .int), PDField("project_id", .int),
                    PDField("project", .anyObject), PDField("pinned_to_lead_flag", .bool), PDField("pinned_to_deal_flag", .bool),
                    PDField("pinned_to_organization_flag", .bool), PDField("pinned_to_person_flag", .bool),
                    PDField("pinned_to_project_flag", .bool), PDField("update_time", .string), PDField("user", .anyObject),
                    PDField("user_id", .int)]
        }
    }

    /// What POST and PATCH accept (v2 request schemas; notes: the v1 one). Other members are ignored.
    var writableFields: [PDField] {
        switch self {
        case .person:
            return [PDField("name", .string), PDField("owner_id", .int), PDField("org_id", .int, nullable: true),
                    PDField("add_time", .datetime), PDField("update_time", .datetime),
                    PDField("emails", .array(Self.contactEntry)), PDField("phones", .array(Self.contactEntry)),
                    PDField("visible_to", .intIn([1, 3, 5, 7])), PDField("label_ids", .array(.int)),
                    PDField("marketing_status", .oneOf(["no_consent", "unsubscribed", "subscribed", "archived"])),
                    PDField("custom_fields", .anyObject)]
        case .organization:
            return [PDField("name", .string), PDField("owner_id", .int), PDField("add_time", .datetime),
                    PDField("update_time", .datetime), PDField("visible_to", .intIn([1, 3, 5, 7])),
                    PDField("label_ids", .array(.int)), PDField("address", .object(Self.addressFields), nullable: true),
                    PDField("custom_fields", .anyObject)]
        case .deal:
            return [PDField("title", .string), PDField("owner_id", .int), PDField("person_id", .int, nullable: true),
                    PDField("org_id", .int, nullable: true), PDField("pipeline_id", .int), PDField("stage_id", .int),
                    PDField("value", .number), PDField("currency", .string), PDField("is_deleted", .bool),
                    PDField("is_archived", .bool), PDField("archive_time", .datetime),
                    PDField("status", .oneOf(["open", "won", "lost", "deleted"])),
                    PDField("probability", .number, nullable: true), PDField("lost_reason", .string, nullable: true),
                    PDField("visible_to", .intIn([1, 3, 5, 7])), PDField("close_time", .datetime, nullable: true),
                    PDField("won_time", .datetime), PDField("lost_time", .datetime),
                    PDField("expected_close_date", .date, nullable: true), PDField("label_ids", .array(.int)),
                    PDField("custom_fields", .anyObject)]
        case .activity:
            return [PDField("subject", .string), PDField("type", .string), PDField("owner_id", .int),
                    PDField("deal_id", .int, nullable: true), PDField("lead_id", .string, nullable: true),
                    PDField("person_id", .int, nullable: true), PDField("org_id", .int, nullable: true),
                    PDField("project_id", .int, nullable: true), PDField("due_date", .date, nullable: true),
                    PDField("due_time", .clock, nullable: true), PDField("duration", .clock, nullable: true),
                    PDField("busy", .bool), PDField("done", .bool), PDField("location", .object(Self.addressFields), nullable: true),
                    PDField("participants", .array(.object([PDField("person_id", .int), PDField("primary", .bool)]))),
                    PDField("attendees", .array(.object([PDField("email", .string), PDField("name", .string),
                                                          PDField("status", .string), PDField("is_organizer", .bool),
                                                          PDField("person_id", .int), PDField("user_id", .int)]))),
                    PDField("public_description", .string, nullable: true), PDField("priority", .int, nullable: true),
                    PDField("note", .string, nullable: true)]
        case .stage:
            return [PDField("name", .string), PDField("pipeline_id", .int), PDField("deal_probability", .int),
                    PDField("is_deal_rot_enabled", .bool), PDField("days_to_rotten", .int, nullable: true)]
        case .pipeline:
            return [PDField("name", .string), PDField("is_deal_probability_enabled", .bool)]
        case .note:
            return []  // v1: see Pipedrive+Notes.swift (lenient coercion)
        }
    }

    /// Required on POST (v2 spec; organizations: `name`, not the spec's `title`, see NOTES).
    var requiredOnCreate: [String] {
        switch self {
        case .person, .organization, .pipeline: ["name"]
        case .deal: ["title"]
        case .stage: ["name", "pipeline_id"]
        case .activity, .note: []
        }
    }

    /// The API answer for a stored record.
    func render(_ row: JSONObject) -> JSON {
        var out = JSONObject()
        for f in responseFields {
            let v = row[f.name] ?? .null
            if v.isNull && !f.nullable { continue }
            out[f.name] = v
        }
        return .object(out)
    }
}

// MARK: - Errors and envelopes

/// An answer other than success: the status and the vendor's body for it.
struct PDError: Error {
    let status: Int
    let body: JSON

    static let errorInfo = "Please check developers.pipedrive.com for more information about Pipedrive API."

    /// The common envelope (FACTS 1.2). `errorCode` only where Pipedrive is known to add it.
    static func envelope(_ status: Int, _ message: String, errorCode: Bool = false) -> PDError {
        var o: JSONObject = ["success": false, "error": .string(message)]
        if errorCode { o["errorCode"] = .int(status) }
        o["error_info"] = .string(errorInfo)
        o["data"] = .null
        o["additional_data"] = .null
        return PDError(status: status, body: .object(o))
    }

    static func validation(_ field: String, _ reason: String) -> PDError {
        envelope(400, "Validation failed: \(field): \(reason)")
    }

    static func notFound(_ kind: PDKind) -> PDError { envelope(404, "\(kind.title) not found") }

    /// The /v1/webhooks shape: `{"status":"error","success":false,"errors":{"field":["msg"]}}`.
    static func webhook(_ status: Int, _ field: String, _ message: String) -> PDError {
        PDError(status: status, body: ["status": "error", "success": false, "errors": .object([field: .array([.string(message)])])])
    }
}

// MARK: - Request validation (v2: strict types, no coercion of strings to numbers)

enum PDValidate {
    /// Checks `value` against `type`; returns the value to store.
    static func check(_ value: JSON, _ type: PDType, field: String) throws(PDError) -> JSON {
        switch type {
        case .int:
            if case .int = value { return value }
            if case .double(let d) = value, d.rounded() == d, abs(d) < 9e15 { return .int(Int(d)) }
            throw .validation(field, "must be integer")
        case .number:
            switch value {
            case .int, .double: return value
            default: throw .validation(field, "must be number")
            }
        case .string:
            guard case .string = value else { throw .validation(field, "must be string") }
            return value
        case .bool:
            guard case .bool = value else { throw .validation(field, "must be boolean") }
            return value
        case .date:
            guard case .string(let s) = value, isDate(s) else { throw .validation(field, "must match format \"date\" (YYYY-MM-DD)") }
            return value
        case .clock:
            guard case .string(let s) = value, isClock(s) else { throw .validation(field, "must match format HH:MM") }
            return value
        case .datetime:
            guard case .string(let s) = value, let t = UTCTime(parsing: s), s.count > 10 else {
                throw .validation(field, "must be a RFC 3339 date-time, e.g. 2025-01-01T10:20:00Z")
            }
            return .string(t.rfc3339)
        case .oneOf(let allowed):
            let text: String
            switch value {
            case .string(let s): text = s
            case .int(let i) where allowed.contains(String(i)): return value
            default: throw .validation(field, "must be equal to one of the allowed values: \(allowed.joined(separator: ", "))")
            }
            guard allowed.contains(text) else {
                throw .validation(field, "must be equal to one of the allowed values: \(allowed.joined(separator: ", "))")
            }
            return value
        case .intIn(let allowed):
            guard case .int(let i) = try check(value, .int, field: field), allowed.contains(i) else {
                throw .validation(field, "must be equal to one of the allowed values: \(allowed.map(String.init).joined(separator: ", "))")
            }
            return .int(i)
        case .array(let inner):
            guard case .array(let items) = value else { throw .validation(field, "must be array") }
            var out: [JSON] = []
            for (i, item) in items.enumerated() { out.append(try check(item, inner, field: "\(field)[\(i)]")) }
            return .array(out)
        case .object(let members):
            guard case .object(var o) = value else { throw .validation(field, "must be object") }
            for m in members {
                guard let v = o[m.name], !v.isNull else { continue }
                o[m.name] = try check(v, m.type, field: "\(field).\(m.name)")
            }
            return .object(o)
        case .anyObject:
            guard case .object = value else { throw .validation(field, "must be object") }
            return value
        }
    }

    /// The writable members of `body` (a JSON object), each type-checked.
    static func body(_ body: JSON?, _ kind: PDKind, creating: Bool) throws(PDError) -> JSONObject {
        guard let body else {
            if creating && !kind.requiredOnCreate.isEmpty { throw .validation(kind.requiredOnCreate[0], "is required") }
            return JSONObject()
        }
        guard case .object(let o) = body else { throw .envelope(400, "Validation failed: request body must be a JSON object") }
        var out = JSONObject()
        for f in kind.writableFields {
            guard let v = o[f.name] else { continue }
            if v.isNull {
                guard f.nullable else { throw .validation(f.name, "must be \(f.type.word), not null") }
                out[f.name] = .null
                continue
            }
            out[f.name] = try check(v, f.type, field: f.name)
        }
        if creating {
            for name in kind.requiredOnCreate {
                let v = out[name] ?? .null
                if v.isNull || v.stringValue?.trimmingSpaces().isEmpty == true { throw .validation(name, "is required") }
            }
        } else {
            for name in ["name", "title"] where out[name]?.stringValue?.trimmingSpaces().isEmpty == true {
                throw .validation(name, "must not be empty")
            }
        }
        return out
    }

    static func isDate(_ s: String) -> Bool {
        s.utf8.count == 10 && UTCTime(parsing: s) != nil && !s.contains("/")
    }

    static func isClock(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 5, b[2] == UInt8(ascii: ":"), let h = Int(s.prefix(2)), let m = Int(s.suffix(2)) else { return false }
        return (0...23).contains(h) && (0...59).contains(m)
    }
}

extension PDType {
    var word: String {
        switch self {
        case .int, .intIn: "integer"
        case .number: "number"
        case .bool: "boolean"
        case .array: "array"
        case .object, .anyObject: "object"
        default: "string"
        }
    }
}
