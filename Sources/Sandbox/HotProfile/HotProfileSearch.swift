import GatewayCore

/// What `search[...]` keys mean, per entity (FACTS 3.3 and the swagger). Text filters are
/// partial matches (ASCII case-insensitive); unknown keys are ignored, as Rails ignores
/// unpermitted parameters.
enum HPSearchKey {
    /// Partial match on a listed field (`client.` prefix: on the lead's client).
    case partial(String)
    /// Exact match on a listed integer field.
    case equals(String)
    case fromID, toID
    /// `yyyy/mm/dd` bounds (inclusive) on a JST date: `created`, `updated` or the `trade_on` field.
    case fromDate(String), toDate(String)
    /// `yyyy/mm/dd HH:MM:SS` bounds (inclusive) on `updated_at`.
    case fromUpdatedTime, toUpdatedTime
    /// Numeric bounds on `latitude`/`longitude`.
    case fromNumber(String), toNumber(String)
    /// Comma-separated ids (or a JSON array), OR-ed, against an integer field or an id list.
    case anyOf(String)
    /// `1`/`0` on a lead flag.
    case flag(String)
    /// Space-separated words, each matching some text field.
    case multiple
    /// Accepted and validated, with no effect (`role_id`: every record is visible to the API key).
    case ignoredInteger

    static let cardKeys: [String: HPSearchKey] = {
        var k = common(partial: ["family_name", "first_name", "family_name_kana", "first_name_kana", "client_name",
                                 "organization_ancestry_all_name", "post", "tel", "fax", "mobile_tel", "email",
                                 "mobile_email", "zip", "address", "url", "note", "direct_note", "lead_source",
                                 "request_key", "latitude", "longitude"])
        k["from_trade_on"] = .fromDate("trade_on")
        k["to_trade_on"] = .toDate("trade_on")
        k["role_id"] = .ignoredInteger
        return k
    }()

    static let clientKeys: [String: HPSearchKey] = {
        var k = common(partial: ["name", "name_kana", "name_disp", "zip", "address", "latitude", "longitude",
                                 "corporate_number", "main_tel", "url", "mail_domain", "note", "name_sub",
                                 "name_kana_sub", "zip_sub", "address_sub", "pref_sub"])
        k["user_ids"] = .anyOf("user_id")
        k["from_datetime_updated_on"] = .fromUpdatedTime
        k["to_datetime_updated_on"] = .toUpdatedTime
        return k
    }()

    static let leadKeys: [String: HPSearchKey] = {
        var k = common(partial: ["family_name", "first_name", "client_name", "family_name_kana", "first_name_kana",
                                 "organization_name", "organization_ancestry_all_name", "post", "email", "mobile_email",
                                 "tel", "extension", "fax", "mobile_tel", "zip", "pref", "address", "url", "latitude",
                                 "longitude", "lead_source", "note", "customer_id", "name"])
        k["client_id"] = .equals("client_id")
        k["client.name_kana"] = .partial("client.name_kana")
        k["client.name_disp"] = .partial("client.name_disp")
        k["owner_user_id"] = .equals("owner_user_id")
        k["organization_id"] = .equals("organization_id")
        k["lead_status"] = .equals("lead_status")
        k["role_id"] = .ignoredInteger
        k["from_datetime_updated_on"] = .fromUpdatedTime
        k["to_datetime_updated_on"] = .toUpdatedTime
        k["from_trade_on"] = .fromDate("trade_on")
        k["to_trade_on"] = .toDate("trade_on")
        for c in ["latitude", "longitude"] {
            k["from_" + c] = .fromNumber(c)
            k["to_" + c] = .toNumber(c)
        }
        k["lead_source_kbn_ids"] = .anyOf("lead_source_kbn_id")
        k["ids"] = .anyOf("id")
        k["user_ids"] = .anyOf("user_ids")
        for f in HPFields.leadFlags { k[f] = .flag(f) }
        k["multiple"] = .multiple
        return k
    }()

    /// Keys every entity has: the id range (the swagger lists it for clients and leads; cards
    /// get it too) and the created/updated date ranges.
    private static func common(partial: [String]) -> [String: HPSearchKey] {
        var k: [String: HPSearchKey] = ["from_id": .fromID, "to_id": .toID,
                                        "from_created_on": .fromDate("created"), "to_created_on": .toDate("created"),
                                        "from_updated_on": .fromDate("updated"), "to_updated_on": .toDate("updated")]
        for p in partial { k[p] = .partial(p) }
        return k
    }

    static func keys(_ e: HPEntity) -> [String: HPSearchKey] {
        switch e {
        case .businessCards: cardKeys
        case .clients: clientKeys
        case .leads: leadKeys
        }
    }
}

/// A record with its list output, as the filters see it.
struct HPRow {
    let record: HPRecord
    let out: JSONObject
}

typealias HPFilter = (HPRow) -> Bool

extension HPState {
    /// The filters `search` asks for, or every problem with it.
    func filters(_ e: HPEntity, _ search: JSONObject) -> ([HPFilter], [HPFieldError]) {
        var flat: [(String, JSON)] = []
        for (k, v) in search {
            if k == "client", let nested = v.objectValue {  // search[client][name_kana]
                for (nk, nv) in nested { flat.append(("client.\(nk)", nv)) }
            } else {
                flat.append((k, v))
            }
        }
        let table = HPSearchKey.keys(e)
        var filters: [HPFilter] = []
        var errors: [HPFieldError] = []
        for (k, v) in flat {
            guard let key = table[k], !HPFields.isBlank(v) else { continue }
            let name = k.hasPrefix("client.") ? "search[client][\(k.dropFirst(7))]" : "search[\(k)]"
            switch filter(key, v) {
            case .success(let f): filters.append(f)
            case .failure(let err): errors.append(err.named(name))
            }
        }
        return (filters, errors)
    }

    private enum Problem: Error {
        case notANumber, invalid
        func named(_ n: String) -> HPFieldError { self == .notANumber ? .notANumber(n) : .invalid(n) }
    }

    private func filter(_ key: HPSearchKey, _ v: JSON) -> Result<HPFilter, Problem> {
        switch key {
        case .partial(let field):
            guard let needle = HPFields.scalarText(v).map(Self.folded) else { return .failure(.invalid) }
            return .success { row in Self.folded(self.text(row, field)).contains(needle) }
        case .equals(let field):
            guard let want = HPFields.integer(v) else { return .failure(.notANumber) }
            return .success { $0.out[field]?.intValue == want }
        case .fromID, .toID:
            guard let bound = HPFields.integer(v) else { return .failure(.notANumber) }
            if case .fromID = key { return .success { $0.record.id >= bound } }
            return .success { $0.record.id <= bound }
        case .fromDate(let field), .toDate(let field):
            guard let s = v.stringValue, let day = HPTime.normalizedDate(s) else { return .failure(.invalid) }
            let isFrom = if case .fromDate = key { true } else { false }
            return .success { row in
                guard let d = Self.day(row, field) else { return false }
                return isFrom ? d >= day : d <= day
            }
        case .fromUpdatedTime, .toUpdatedTime:
            guard let s = v.stringValue, let t = HPTime.parseDateTime(s) else { return .failure(.invalid) }
            // Whole seconds: a stored 12:00:00.500 is within `to ... 12:00:00`.
            if case .fromUpdatedTime = key { return .success { $0.record.updatedAt / 1000 >= t / 1000 } }
            return .success { $0.record.updatedAt / 1000 <= t / 1000 }
        case .fromNumber(let field), .toNumber(let field):
            guard let s = HPFields.scalarText(v), let bound = Self.decimal(s) else { return .failure(.notANumber) }
            let isFrom = if case .fromNumber = key { true } else { false }
            return .success { row in
                guard let x = row.out[field]?.stringValue.flatMap(Self.decimal) else { return false }
                return isFrom ? x >= bound : x <= bound
            }
        case .anyOf(let field):
            let parts: [JSON] = v.arrayValue ?? (v.stringValue?.split(separator: ",").map { .string(String($0)) } ?? [v])
            let ids = parts.map(HPFields.integer)
            guard !ids.contains(nil) else { return .failure(.notANumber) }
            let wanted = Set(ids.compactMap { $0 })
            if field == "user_ids" { return .success { !wanted.isDisjoint(with: $0.record.ints("user_ids")) } }
            return .success { row in row.out[field]?.intValue.map(wanted.contains) ?? false }
        case .flag(let field):
            guard let b = HPFields.flag(v) else { return .failure(.invalid) }
            return .success { ($0.record.fields[field]?.boolValue ?? false) == b }
        case .multiple:
            guard let s = HPFields.scalarText(v) else { return .failure(.invalid) }
            let words = s.split(whereSeparator: { $0 == " " || $0 == "\u{3000}" }).map { Self.folded(String($0)) }
            let fields = ["name", "name_kana", "client_name", "email", "mobile_email", "tel", "mobile_tel", "post",
                          "organization_name", "address", "note", "customer_id"]
            return .success { row in
                let hay = fields.map { Self.folded(self.text(row, $0)) }
                return words.allSatisfy { w in hay.contains { $0.contains(w) } }
            }
        case .ignoredInteger:
            guard HPFields.integer(v) != nil else { return .failure(.notANumber) }
            return .success { _ in true }
        }
    }

    /// The text a partial match looks at.
    private func text(_ row: HPRow, _ field: String) -> String {
        if field.hasPrefix("client.") {
            let c = client(row.record.int("client_id"))
            return c?.string(String(field.dropFirst(7))) ?? ""
        }
        if field == "organization_ancestry_all_name" {
            return HPRef.department(row.record.int("organization_id"))?.hierarchy.joined(separator: " ") ?? ""
        }
        if field == "name" {  // a full name matches with or without the space between its parts
            let n = row.out["name"]?.stringValue ?? ""
            return n + "\u{1}" + n.filter { $0 != " " }
        }
        switch row.out[field] ?? row.record.fields[field] {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return ""
        }
    }

    private static func day(_ row: HPRow, _ field: String) -> String? {
        switch field {
        case "created": HPTime.date(row.record.createdAt)
        case "updated": HPTime.date(row.record.updatedAt)
        default: row.out[field]?.stringValue
        }
    }

    /// ASCII case folding (MySQL's default collations compare ASCII case-insensitively).
    static func folded(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value >= 65 && $0.value <= 90 ? Unicode.Scalar($0.value + 32)! : $0 }))
    }

    /// A decimal string as a fixed-point number (1e-14 units would overflow; 1e-9 is enough to compare).
    static func decimal(_ s: String) -> Int? {
        guard HPFields.isCoordinate(s) else { return nil }
        let negative = s.hasPrefix("-")
        let body = negative ? s.dropFirst() : Substring(s)
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var frac = parts.count > 1 ? String(parts[1].prefix(9)) : ""
        frac += String(repeating: "0", count: 9 - frac.count)
        guard let w = Int(parts[0]), let f = Int(frac) else { return nil }
        return (w * 1_000_000_000 + f) * (negative ? -1 : 1)
    }
}
