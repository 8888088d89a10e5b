import GatewayCore

/// Where an id-valued field must point ("only the ID ... that is registered").
enum HPTable: Sendable {
    case clients, departments, prefectures, users, leadSources, leadStatuses
    case businessCategories, workerNumbers, capitals, ipos
}

/// What a write field accepts, from the swagger's type and its "N characters or less" text.
enum HPKind: Sendable {
    /// A string of at most N characters (Unicode code points, as Ruby counts them).
    case text(Int)
    /// An integer id (`id`).
    case integer
    /// An integer of at most N digits (`extension`: "Integer only up to 8 characters").
    case digits(Int)
    /// An integer id registered in a table.
    case reference(HPTable)
    /// One of a few integer codes (`status` 1|2, `open_status` 1|3).
    case choice([Int])
    /// "Integer 3 digits, within decimal 14 digits" (typed integer in the swagger, but a decimal).
    case coordinate
    /// A boolean flag (`true`/`false`, `1`/`0`).
    case flag
    /// `yyyy/mm/dd`.
    case date
}

struct HPField: Sendable {
    let name: String
    let kind: HPKind
    /// The swagger marks it required for this operation.
    var required = false
    /// The record cannot exist without it: a blank value is refused even on update.
    var presence = false

    func req() -> HPField { var f = self; f.required = true; return f }
}

/// One rejected field, rendered as one member of the error body's `errors` array.
struct HPFieldError: Error, Sendable, Equatable {
    let field: String
    let code: String
    var count: Int? = nil
    let message: String

    var json: JSON {
        var o: JSONObject = ["field": .string(field), "code": .string(code)]
        if let count { o["count"] = .int(count) }
        o["message"] = .string(message)
        return .object(o)
    }

    // Rails' Japanese (ja.yml) messages, prefixed with HotProfile's own field name.
    static func blank(_ f: String) -> HPFieldError { .init(field: f, code: "blank", message: "\(f)を入力してください") }
    static func tooLong(_ f: String, _ n: Int) -> HPFieldError {
        .init(field: f, code: "too_long", count: n, message: "\(f)は\(n)文字以内で入力してください")
    }
    static func tooManyDigits(_ f: String, _ n: Int) -> HPFieldError {
        .init(field: f, code: "too_long", count: n, message: "\(f)は\(n)桁以内の整数で入力してください")
    }
    static func notANumber(_ f: String) -> HPFieldError { .init(field: f, code: "not_a_number", message: "\(f)は数値で入力してください") }
    static func inclusion(_ f: String) -> HPFieldError { .init(field: f, code: "inclusion", message: "\(f)は一覧にありません") }
    static func invalid(_ f: String) -> HPFieldError { .init(field: f, code: "invalid", message: "\(f)は不正な値です") }
    static func outOfRange(_ f: String, _ lo: Int, _ hi: Int) -> HPFieldError {
        .init(field: f, code: "out_of_range", count: hi, message: "\(f)は\(lo)から\(hi)の範囲で指定してください")
    }
}

/// The write fields of each entity and operation, with the swagger's limits and required flags.
enum HPFields {
    private static func text(_ n: String, _ max: Int) -> HPField { HPField(name: n, kind: .text(max)) }
    private static func ref(_ n: String, _ t: HPTable) -> HPField { HPField(name: n, kind: .reference(t)) }
    private static func present(_ f: HPField) -> HPField { var f = f; f.presence = true; return f }

    static let leadFlags = ["error_mail_flg", "error_tel_flg", "error_fax_flg", "error_address_flg", "not_mail_flg",
                            "not_tel_flg", "not_fax_flg", "not_dm_flg", "competitor_flg", "important_customer_flg",
                            "end_user_flg", "store_flg"]

    static let card: [HPField] = [
        present(ref("client_id", .clients)), ref("organization_id", .departments), present(text("family_name", 100)),
        text("first_name", 100), text("family_name_kana", 100), text("first_name_kana", 100), text("tel", 100),
        HPField(name: "extension", kind: .digits(8)), text("fax", 100), text("email", 200), text("mobile_tel", 100),
        text("mobile_email", 100), text("zip", 50), ref("pref_id", .prefectures), text("address", 255), text("url", 255),
        HPField(name: "latitude", kind: .coordinate), HPField(name: "longitude", kind: .coordinate),
        ref("lead_source_kbn_id", .leadSources), text("lead_source", 3000),
        present(HPField(name: "status", kind: .choice([1, 2]))), present(HPField(name: "open_status", kind: .choice([1, 3]))),
        ref("owner_user_id", .users), text("owner_user", 255), HPField(name: "trade_on", kind: .date),
        text("note", 3000), text("direct_note", 3000),
    ]

    static let client: [HPField] = [
        present(text("name", 255)), text("name_kana", 255), present(text("name_disp", 255)), text("zip", 100),
        ref("pref_id", .prefectures), text("address", 255),
        HPField(name: "latitude", kind: .coordinate), HPField(name: "longitude", kind: .coordinate),
        ref("business_category_kbn", .businessCategories), ref("worker_number_kbn", .workerNumbers),
        ref("capital_kbn", .capitals), ref("ipo_kbn", .ipos), text("sales_last_year", 255), text("main_tel", 255),
        text("url", 255), text("mail_domain", 255), ref("user_id", .users), text("note", 3000),
        text("name_sub", 255), text("name_kana_sub", 255), text("zip_sub", 100), text("address_sub", 255), text("pref_sub", 255),
    ]

    /// Lengths from `leads/create`: the update operation's descriptions are shifted by one row
    /// in the swagger (FACTS 3.4). `owner_user_id` is typed string there but is a user id.
    static let lead: [HPField] = [
        present(ref("client_id", .clients)), present(text("family_name", 100)), text("first_name", 100),
        text("family_name_kana", 100), text("first_name_kana", 100), ref("organization_id", .departments),
        text("post", 255), text("tel", 100), HPField(name: "extension", kind: .digits(8)), text("fax", 100),
        text("email", 200), text("mobile_tel", 100), text("mobile_email", 100), text("zip", 50),
        ref("pref_id", .prefectures), text("address", 255), text("url", 255), ref("lead_status", .leadStatuses),
        HPField(name: "latitude", kind: .coordinate), HPField(name: "longitude", kind: .coordinate),
        ref("lead_source_kbn_id", .leadSources), text("lead_source", 3000), text("note", 3000),
    ] + leadFlags.map { HPField(name: $0, kind: .flag) } + [text("customer_id", 255), ref("owner_user_id", .users)]

    static func fields(_ e: HPEntity) -> [HPField] {
        switch e {
        case .businessCards: card
        case .clients: client
        case .leads: lead
        }
    }

    /// The fields of `create`, with the swagger's required ones marked.
    static func create(_ e: HPEntity) -> [HPField] {
        let required: Set<String> = switch e {
        case .businessCards: ["client_id", "family_name", "status", "open_status"]
        case .clients: ["name", "name_disp"]
        case .leads: ["client_id", "family_name"]
        }
        return fields(e).map { required.contains($0.name) ? $0.req() : $0 }
    }

    /// The fields of `update`: `id` first; cards and leads also require `client_id` (swagger).
    static func update(_ e: HPEntity) -> [HPField] {
        let required: Set<String> = e == .clients ? [] : ["client_id"]
        return [HPField(name: "id", kind: .integer, required: true)] + fields(e).map { required.contains($0.name) ? $0.req() : $0 }
    }

    /// Checks `params` against `fields`: the canonical values of the fields present, and every
    /// problem (all of them, not just the first).
    static func validate(_ fields: [HPField], _ params: JSONObject, exists: (HPTable, Int) -> Bool)
        -> (values: [String: JSON], errors: [HPFieldError]) {
        var values: [String: JSON] = [:]
        var errors: [HPFieldError] = []
        for f in fields {
            guard let raw = params[f.name] else {
                if f.required { errors.append(.blank(f.name)) }
                continue
            }
            if isBlank(raw) {
                if f.required || f.presence { errors.append(.blank(f.name)) } else {
                    if case .text = f.kind { values[f.name] = "" } else { values[f.name] = .null }
                }
                continue
            }
            switch convert(raw, f, exists: exists) {
            case .success(let v): values[f.name] = v
            case .failure(let e): errors.append(e)
            }
        }
        return (values, errors)
    }

    static func isBlank(_ v: JSON) -> Bool {
        switch v {
        case .null: true
        case .string(let s): s.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\u{3000}" }
        default: false
        }
    }

    private static func convert(_ raw: JSON, _ f: HPField, exists: (HPTable, Int) -> Bool) -> Result<JSON, HPFieldError> {
        switch f.kind {
        case .text(let max):
            guard let s = scalarText(raw) else { return .failure(.invalid(f.name)) }
            return s.unicodeScalars.count > max ? .failure(.tooLong(f.name, max)) : .success(.string(s))
        case .integer:
            guard let i = integer(raw) else { return .failure(.notANumber(f.name)) }
            return .success(.int(i))
        case .digits(let n):
            guard let i = integer(raw), i >= 0 else { return .failure(.notANumber(f.name)) }
            return String(i).count > n ? .failure(.tooManyDigits(f.name, n)) : .success(.int(i))
        case .reference(let table):
            guard let i = integer(raw) else { return .failure(.notANumber(f.name)) }
            return exists(table, i) ? .success(.int(i)) : .failure(.inclusion(f.name))
        case .choice(let allowed):
            guard let i = integer(raw) else { return .failure(.notANumber(f.name)) }
            return allowed.contains(i) ? .success(.int(i)) : .failure(.inclusion(f.name))
        case .coordinate:
            guard let s = scalarText(raw), isCoordinate(s) else { return .failure(.invalid(f.name)) }
            return .success(.string(s))
        case .flag:
            guard let b = flag(raw) else { return .failure(.inclusion(f.name)) }
            return .success(.bool(b))
        case .date:
            guard let s = raw.stringValue, let d = HPTime.normalizedDate(s) else { return .failure(.invalid(f.name)) }
            return .success(.string(d))
        }
    }

    /// A string, or a number written as one (JSON bodies may send `"tel": 312345678`).
    static func scalarText(_ v: JSON) -> String? {
        switch v {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        default: nil
        }
    }

    /// An integer from a JSON number or a decimal string (query and form values are strings).
    static func integer(_ v: JSON) -> Int? {
        switch v {
        case .int(let i): return i
        case .double: return v.intValue
        case .string(let s):
            let t = s.trimmingSpaces()
            let digits = t.hasPrefix("-") || t.hasPrefix("+") ? t.dropFirst() : Substring(t)
            guard !digits.isEmpty, digits.utf8.count <= 18, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(t.hasPrefix("+") ? String(digits) : t)
        default: return nil
        }
    }

    static func flag(_ v: JSON) -> Bool? {
        switch v {
        case .bool(let b): b
        case .int(1): true
        case .int(0): false
        case .string(let s): ["true": true, "1": true, "false": false, "0": false][s.lowercased()]
        default: nil
        }
    }

    /// Up to 3 integer digits and up to 14 decimals, optionally negative.
    static func isCoordinate(_ s: String) -> Bool {
        var u = Substring(s).utf8[...]
        if u.first == UInt8(ascii: "-") { u = u.dropFirst() }
        let parts = u.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits: (Substring.UTF8View.SubSequence) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard let whole = parts.first, isDigits(whole), whole.count <= 3 else { return false }
        if parts.count == 2 { return isDigits(parts[1]) && parts[1].count <= 14 }
        return true
    }
}
