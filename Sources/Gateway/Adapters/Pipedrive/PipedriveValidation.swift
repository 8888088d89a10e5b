import GatewayCore

/// Field checks shared by the Pipedrive writes (§4: "Pipedrive: status enum, dates as
/// YYYY-MM-DD"), collecting every problem under the client's field name.
struct PipedriveChecks {
    private(set) var errors: [FieldError] = []

    mutating func add(_ field: String, _ message: String) { errors.append(FieldError(field, message)) }

    /// A text that must not be empty, nor cleared when `clearable` is false.
    mutating func text(_ field: String, _ change: Change<String>, required: Bool, clearable: Bool) {
        switch change {
        case .keep: if required { add(field, "is required") }
        case .clear: if !clearable { add(field, required ? "is required" : "cannot be cleared on Pipedrive") }
        case .set(let s): if PipedriveText.trim(s).isEmpty { add(field, "must not be empty") }
        }
    }

    /// A related record's id: a Pipedrive id of `kind`.
    mutating func id(_ field: String, _ change: Change<UnifiedID>, kind: String, clearable: Bool) {
        switch change {
        case .keep: break
        case .clear: if !clearable { add(field, "cannot be cleared on Pipedrive") }
        case .set(let id):
            if PipedriveID.remote(id, kind: kind) == nil { add(field, "must be a Pipedrive \(kind) id of the form \(PipedriveID.form(kind))") }
        }
    }

    /// `owner_id`: `pipedrive:user:<n>`; every Pipedrive record has an owner.
    mutating func owner(_ change: Change<String>) {
        switch change {
        case .keep: break
        case .clear: add("owner_id", "cannot be cleared on Pipedrive (every record has an owner)")
        case .set(let s): if PipedriveID.user(s) == nil { add("owner_id", "must be a Pipedrive user id of the form \(PipedriveID.form("user"))") }
        }
    }

    mutating func date(_ field: String, _ change: Change<String>) {
        if case .set(let s) = change, !Self.isDate(s) { add(field, "must be a date in the form YYYY-MM-DD") }
    }

    mutating func clock(_ field: String, _ change: Change<String>) {
        if case .set(let s) = change, !Self.isClock(s) { add(field, "must be a time in the form HH:MM (00:00 to 23:59)") }
    }

    /// A unified field the Pipedrive record has no writable counterpart for: refused, never dropped.
    mutating func unsupported<T>(_ field: String, _ change: Change<T>, _ what: String) {
        if !change.isKeep { add(field, "cannot be written to Pipedrive \(what)") }
    }

    mutating func customFields(_ change: Change<JSONObject>) {
        if change == .clear { add("custom_fields", "cannot be cleared as a whole; set single fields to null") }
    }

    /// `emails`/`phones`: every entry has a value.
    mutating func points(_ field: String, _ change: Change<[ContactPoint]>) {
        guard case .set(let list) = change else { return }
        for (i, p) in list.enumerated() where PipedriveText.trim(p.value).isEmpty { add("\(field)[\(i)].value", "must not be empty") }
    }

    /// `YYYY-MM-DD`, a real calendar date.
    static func isDate(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return false }
        for i in [0, 1, 2, 3, 5, 6, 8, 9] where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { return false }
        guard let y = Int(s.prefix(4)), let m = Int(s.dropFirst(5).prefix(2)), let d = Int(s.suffix(2)) else { return false }
        return UTCTime(year: y, month: m, day: d) != nil
    }

    /// `HH:MM`, 00:00 to 23:59 (Pipedrive's `due_time` and `duration`).
    static func isClock(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 5, b[2] == UInt8(ascii: ":") else { return false }
        for i in [0, 1, 3, 4] where !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { return false }
        guard let h = Int(s.prefix(2)), let m = Int(s.suffix(2)) else { return false }
        return h <= 23 && m <= 59
    }

    /// Three capital letters (ISO 4217 form).
    static func isCurrency(_ s: String) -> Bool {
        s.utf8.count == 3 && s.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }
}

/// Building v2 write bodies from unified writes.
enum PipedriveBody {
    static func points(_ list: [ContactPoint]) -> JSON {
        .array(list.map { p in
            var o: JSONObject = ["value": .string(p.value), "primary": .bool(p.primary)]
            if let t = p.type { o["label"] = .string(t) }
            return .object(o)
        })
    }

    /// Sets `key` to the Pipedrive id behind a unified id change (null when cleared).
    static func id(_ body: inout JSONObject, _ key: String, _ change: Change<UnifiedID>, kind: String) {
        switch change {
        case .keep: break
        case .clear: body[key] = .null
        case .set(let id): if let n = PipedriveID.remote(id, kind: kind) { body[key] = .int(n) }
        }
    }

    static func owner(_ body: inout JSONObject, _ change: Change<String>) {
        if case .set(let s) = change, let n = PipedriveID.user(s) { body["owner_id"] = .int(n) }
    }

    static func customFields(_ body: inout JSONObject, _ change: Change<JSONObject>) {
        if case .set(let o) = change { body["custom_fields"] = .object(o) }
    }
}
