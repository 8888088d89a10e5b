import GatewayCore

/// A field of a write: left alone (absent), cleared (`null`), or set.
public enum Change<Value: Sendable & Equatable>: Sendable, Equatable {
    case keep
    case clear
    case set(Value)

    public var value: Value? { if case .set(let v) = self { return v } else { return nil } }
    public var isKeep: Bool { self == .keep }
}

/// One problem with one field, named as the client named it (§4: `last_name`, not
/// HotProfile's `family_name`).
public struct FieldError: Sendable, Equatable {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// What every write body has in common: how it is read from JSON. Unknown members are
/// errors (§4), except inside `custom_fields`, which pass through.
public protocol UnifiedWrite: Sendable {
    /// `POST` bodies name their source (and kind where a source has several).
    var source: String? { get }
    var kind: String? { get }
    init(_ body: inout WriteReader)
}

extension UnifiedWrite {
    /// Parses a request body; every problem is collected, none is fatal on its own.
    public static func parse(_ json: JSON) throws(GatewayError) -> Self {
        guard let object = json.objectValue else { throw .validation([FieldError("", "the body must be a JSON object")]) }
        var reader = WriteReader(object)
        let value = Self(&reader)
        reader.finish()
        guard reader.errors.isEmpty else { throw .validation(reader.errors) }
        return value
    }
}

/// Reads typed members of a JSON object, recording a `FieldError` for each wrong one and
/// remembering which members were read so the rest can be reported as unknown.
public struct WriteReader {
    let object: JSONObject
    var known: Set<String> = []
    public private(set) var errors: [FieldError] = []

    init(_ object: JSONObject) { self.object = object }

    public mutating func fail(_ field: String, _ message: String) { errors.append(FieldError(field, message)) }

    mutating func finish() {
        for key in object.keys where !known.contains(key) { fail(key, "unknown field") }
    }

    mutating func raw(_ name: String) -> JSON? {
        known.insert(name)
        return object[name]
    }

    public mutating func string(_ name: String) -> Change<String> {
        switch raw(name) {
        case nil: return .keep
        case .null?: return .clear
        case .string(let s)?: return .set(s)
        default: fail(name, "must be a string"); return .keep
        }
    }

    public mutating func bool(_ name: String) -> Change<Bool> {
        switch raw(name) {
        case nil: return .keep
        case .null?: return .clear
        case .bool(let b)?: return .set(b)
        default: fail(name, "must be true or false"); return .keep
        }
    }

    public mutating func number(_ name: String) -> Change<Double> {
        switch raw(name) {
        case nil: return .keep
        case .null?: return .clear
        case let v?:
            if let d = v.doubleValue, d.isFinite { return .set(d) }
            fail(name, "must be a number"); return .keep
        }
    }

    public mutating func integer(_ name: String) -> Change<Int> {
        switch raw(name) {
        case nil: return .keep
        case .null?: return .clear
        case let v?:
            if let i = v.intValue { return .set(i) }
            fail(name, "must be an integer"); return .keep
        }
    }

    /// A unified id of another record (`company_id`, `stage_id`, ...).
    public mutating func id(_ name: String) -> Change<UnifiedID> {
        switch string(name) {
        case .keep: return .keep
        case .clear: return .clear
        case .set(let s):
            if let id = UnifiedID(s) { return .set(id) }
            fail(name, "must be an id of the form <source>:<kind>:<remote id>"); return .keep
        }
    }

    public mutating func strings(_ name: String) -> Change<[String]> {
        switch raw(name) {
        case nil: return .keep
        case .null?: return .clear
        case .array(let a)?:
            let s = a.compactMap(\.stringValue)
            if s.count == a.count { return .set(s) }
            fail(name, "must be an array of strings"); return .keep
        default: fail(name, "must be an array of strings"); return .keep
        }
    }

    /// `[{value, type?, primary?}]`; a bare string is accepted as `{value}`.
    public mutating func contactPoints(_ name: String) -> Change<[ContactPoint]> {
        switch raw(name) {
        case nil: return .keep
        case .null?: return .clear
        case .array(let a)?:
            var out: [ContactPoint] = []
            for (i, item) in a.enumerated() {
                let field = "\(name)[\(i)]"
                if let s = item.stringValue { out.append(ContactPoint(value: s)); continue }
                guard let o = item.objectValue, let v = o["value"]?.stringValue else {
                    fail(field, "must be {\"value\": string, \"type\"?: string, \"primary\"?: boolean}"); continue
                }
                for k in o.keys where !["value", "type", "primary"].contains(k) { fail("\(field).\(k)", "unknown field") }
                let type = o["type"]
                if let type, type.stringValue == nil, !type.isNull { fail("\(field).type", "must be a string") }
                let primary = o["primary"]
                if let primary, primary.boolValue == nil, !primary.isNull { fail("\(field).primary", "must be true or false") }
                out.append(ContactPoint(value: v, type: type?.stringValue, primary: primary?.boolValue ?? false))
            }
            return .set(out)
        default: fail(name, "must be an array"); return .keep
        }
    }

    public mutating func object(_ name: String) -> Change<JSONObject> {
        switch raw(name) {
        case nil: return .keep
        case .null?: return .clear
        case .object(let o)?: return .set(o)
        default: fail(name, "must be an object"); return .keep
        }
    }

    public mutating func source() -> String? {
        switch string("source") {
        case .set(let s): return s
        case .clear: fail("source", "must be a string"); return nil
        case .keep: return nil
        }
    }

    public mutating func kind() -> String? {
        switch string("kind") {
        case .set(let s): return s
        case .clear: fail("kind", "must be a string"); return nil
        case .keep: return nil
        }
    }
}

public struct ContactWrite: UnifiedWrite {
    public var source: String?
    public var kind: String?
    public var displayName: Change<String> = .keep
    public var firstName: Change<String> = .keep
    public var lastName: Change<String> = .keep
    public var emails: Change<[ContactPoint]> = .keep
    public var phones: Change<[ContactPoint]> = .keep
    public var companyID: Change<UnifiedID> = .keep
    public var title: Change<String> = .keep
    public var address: Change<String> = .keep
    public var ownerID: Change<String> = .keep
    public var tags: Change<[String]> = .keep
    public var note: Change<String> = .keep
    public var customFields: Change<JSONObject> = .keep

    public init() {}

    public init(_ r: inout WriteReader) {
        source = r.source()
        kind = r.kind()
        displayName = r.string("display_name")
        firstName = r.string("first_name")
        lastName = r.string("last_name")
        emails = r.contactPoints("emails")
        phones = r.contactPoints("phones")
        companyID = r.id("company_id")
        title = r.string("title")
        address = r.string("address")
        ownerID = r.string("owner_id")
        tags = r.strings("tags")
        note = r.string("note")
        customFields = r.object("custom_fields")
    }
}

public struct CompanyWrite: UnifiedWrite {
    public var source: String?
    public var kind: String?
    public var name: Change<String> = .keep
    public var website: Change<String> = .keep
    public var emails: Change<[ContactPoint]> = .keep
    public var phones: Change<[ContactPoint]> = .keep
    public var address: Change<String> = .keep
    public var industry: Change<String> = .keep
    public var ownerID: Change<String> = .keep
    public var note: Change<String> = .keep
    public var customFields: Change<JSONObject> = .keep

    public init() {}

    public init(_ r: inout WriteReader) {
        source = r.source()
        kind = r.kind()
        name = r.string("name")
        website = r.string("website")
        emails = r.contactPoints("emails")
        phones = r.contactPoints("phones")
        address = r.string("address")
        industry = r.string("industry")
        ownerID = r.string("owner_id")
        note = r.string("note")
        customFields = r.object("custom_fields")
    }
}

public struct DealWrite: UnifiedWrite {
    public var source: String?
    public var kind: String?
    public var title: Change<String> = .keep
    /// `value: {amount, currency}`; either part may be given alone on update.
    public var amount: Change<Double> = .keep
    public var currency: Change<String> = .keep
    public var status: Change<String> = .keep
    public var stageID: Change<UnifiedID> = .keep
    public var pipelineID: Change<UnifiedID> = .keep
    public var contactID: Change<UnifiedID> = .keep
    public var companyID: Change<UnifiedID> = .keep
    public var expectedCloseDate: Change<String> = .keep
    public var lostReason: Change<String> = .keep
    public var ownerID: Change<String> = .keep
    public var customFields: Change<JSONObject> = .keep

    public init() {}

    public init(_ r: inout WriteReader) {
        source = r.source()
        kind = r.kind()
        title = r.string("title")
        switch r.raw("value") {
        case nil: break
        case .null?: amount = .clear
        case .object(let o)?:
            for k in o.keys where k != "amount" && k != "currency" { r.fail("value.\(k)", "unknown field") }
            switch o["amount"] {
            case nil: break
            case .null?: amount = .clear
            case let v?: if let d = v.doubleValue, d.isFinite { amount = .set(d) } else { r.fail("value.amount", "must be a number") }
            }
            switch o["currency"] {
            case nil: break
            case .null?: currency = .clear
            case .string(let s)?: currency = .set(s)
            default: r.fail("value.currency", "must be a string")
            }
        default: r.fail("value", "must be {\"amount\": number, \"currency\": string}")
        }
        status = r.string("status")
        stageID = r.id("stage_id")
        pipelineID = r.id("pipeline_id")
        contactID = r.id("contact_id")
        companyID = r.id("company_id")
        expectedCloseDate = r.string("expected_close_date")
        lostReason = r.string("lost_reason")
        ownerID = r.string("owner_id")
        customFields = r.object("custom_fields")
    }
}

public struct ActivityWrite: UnifiedWrite {
    public var source: String?
    public var kind: String?
    public var subject: Change<String> = .keep
    public var type: Change<String> = .keep
    public var done: Change<Bool> = .keep
    public var dueDate: Change<String> = .keep
    public var dueTime: Change<String> = .keep
    public var duration: Change<String> = .keep
    public var note: Change<String> = .keep
    public var dealID: Change<UnifiedID> = .keep
    public var contactID: Change<UnifiedID> = .keep
    public var companyID: Change<UnifiedID> = .keep
    public var ownerID: Change<String> = .keep

    public init() {}

    public init(_ r: inout WriteReader) {
        source = r.source()
        kind = r.kind()
        subject = r.string("subject")
        type = r.string("type")
        done = r.bool("done")
        dueDate = r.string("due_date")
        dueTime = r.string("due_time")
        duration = r.string("duration")
        note = r.string("note")
        dealID = r.id("deal_id")
        contactID = r.id("contact_id")
        companyID = r.id("company_id")
        ownerID = r.string("owner_id")
    }
}

public struct NoteWrite: UnifiedWrite {
    public var source: String? { nil }
    public var kind: String? { nil }
    public var content: Change<String> = .keep

    public init() {}

    public init(_ r: inout WriteReader) {
        content = r.string("content")
    }
}

/// `POST /messages`: `{to, body, sender_name?, media?}` (§3).
public struct MessageSend: UnifiedWrite {
    public var source: String?
    public var kind: String? { nil }
    public var to: Change<String> = .keep
    public var body: Change<String> = .keep
    public var senderName: Change<String> = .keep
    public var media: Change<[String]> = .keep

    public init() {}

    public init(_ r: inout WriteReader) {
        source = r.source()
        to = r.string("to")
        body = r.string("body")
        senderName = r.string("sender_name")
        media = r.strings("media")
    }
}

/// The write type of read-only resources (pipelines, stages).
public struct NoWrite: UnifiedWrite {
    public var source: String? { nil }
    public var kind: String? { nil }
    public init() {}
    public init(_ r: inout WriteReader) {}
}
