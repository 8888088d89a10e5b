import GatewayCore

/// What a HotProfile write field accepts, from the connector swagger's types and its "N
/// characters or less" texts (FACTS 3.4). The emulator enforces the same rules.
enum HotProfileRule: Sendable {
    /// At most N characters, counted in Unicode code points (Ruby's `String#length`).
    case text(Int)
    /// A registered id (department, prefecture, user, choice list).
    case integer
    /// "Integer only up to N characters" (`extension`).
    case digits(Int)
    /// One of a few codes (`status` 1|2, `open_status` 1|3).
    case choice([Int])
    /// `yyyy/mm/dd`.
    case date
    /// "Integer 3 digits, within decimal 14 digits" (latitude, longitude).
    case coordinate
    /// A boolean flag.
    case flag

    /// Nil when `v` is acceptable, else the message.
    func check(_ v: JSON) -> String? {
        if v.isNull { return nil }
        switch self {
        case .text(let max):
            let s: String
            switch v {
            case .string(let t): s = t
            case .int(let i): s = String(i)
            case .double(let d): s = String(d)
            default: return "must be a string"
            }
            return s.unicodeScalars.count > max ? "must be at most \(max) characters" : nil
        case .integer:
            return Self.integer(v) == nil ? "must be an integer id" : nil
        case .digits(let n):
            guard let i = Self.integer(v), i >= 0 else { return "must be a non-negative integer" }
            return String(i).count > n ? "must be an integer of at most \(n) digits" : nil
        case .choice(let allowed):
            guard let i = Self.integer(v), allowed.contains(i) else {
                return "must be one of " + allowed.map(String.init).joined(separator: ", ")
            }
            return nil
        case .date:
            guard let s = v.stringValue, s.utf8.count == 10, UTCTime(parsing: s) != nil else { return "must be a date yyyy/mm/dd" }
            return nil
        case .coordinate:
            let s: String? = switch v {
            case .string(let t): t
            case .int(let i): String(i)
            case .double(let d): String(d)
            default: nil
            }
            guard let s, Self.isCoordinate(s) else { return "must be a decimal with at most 3 integer digits and 14 decimals" }
            return nil
        case .flag:
            switch v {
            case .bool, .int(0), .int(1), .string("0"), .string("1"), .string("true"), .string("false"): return nil
            default: return "must be true or false"
            }
        }
    }

    static func integer(_ v: JSON) -> Int? {
        if let i = v.intValue { return i }
        if let s = v.stringValue, !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return Int(s) }
        return nil
    }

    static func isCoordinate(_ s: String) -> Bool {
        var u = Substring(s)
        if u.hasPrefix("-") { u = u.dropFirst() }
        let parts = u.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard let whole = parts.first, digits(whole), whole.count <= 3 else { return false }
        return parts.count == 1 || (digits(parts[1]) && parts[1].count <= 14)
    }
}

/// Per entity: the limits of the fields the unified model maps, the HotProfile fields a
/// write may set through `custom_fields` (checked with the same rules), and the HotProfile
/// fields that must be set through their unified name instead.
enum HotProfileRules {
    static let leadFlags = ["error_mail_flg", "error_tel_flg", "error_fax_flg", "error_address_flg", "not_mail_flg",
                            "not_tel_flg", "not_fax_flg", "not_dm_flg", "competitor_flg", "important_customer_flg",
                            "end_user_flg", "store_flg"]

    /// HotProfile fields set by the gateway itself.
    static let reserved: Set<String> = ["api_key", "id"]

    /// Writable HotProfile fields with no unified counterpart.
    static func custom(_ e: HotProfileEntity) -> [String: HotProfileRule] {
        switch e {
        case .businessCards:
            return ["organization_id": .integer, "family_name_kana": .text(100), "first_name_kana": .text(100),
                    "extension": .digits(8), "zip": .text(50), "pref_id": .integer, "url": .text(255),
                    "latitude": .coordinate, "longitude": .coordinate, "lead_source_kbn_id": .integer,
                    "lead_source": .text(3000), "status": .choice([1, 2]), "open_status": .choice([1, 3]),
                    "owner_user": .text(255), "trade_on": .date, "direct_note": .text(3000)]
        case .leads:
            var r: [String: HotProfileRule] = [
                "family_name_kana": .text(100), "first_name_kana": .text(100), "organization_id": .integer,
                "extension": .digits(8), "zip": .text(50), "pref_id": .integer, "url": .text(255),
                "lead_status": .integer, "latitude": .coordinate, "longitude": .coordinate,
                "lead_source_kbn_id": .integer, "lead_source": .text(3000), "customer_id": .text(255)]
            for f in leadFlags { r[f] = .flag }
            return r
        case .clients:
            return ["name_kana": .text(255), "name_disp": .text(255), "zip": .text(100), "pref_id": .integer,
                    "latitude": .coordinate, "longitude": .coordinate, "business_category_kbn": .integer,
                    "worker_number_kbn": .integer, "capital_kbn": .integer, "ipo_kbn": .integer,
                    "sales_last_year": .text(255), "mail_domain": .text(255), "name_sub": .text(255),
                    "name_kana_sub": .text(255), "zip_sub": .text(100), "address_sub": .text(255), "pref_sub": .text(255)]
        }
    }

    /// Custom fields the record cannot be without: refused blank even on update.
    static func present(_ e: HotProfileEntity) -> Set<String> {
        switch e {
        case .businessCards: ["status", "open_status"]
        case .leads: []
        case .clients: ["name_disp"]
        }
    }

    /// HotProfile field -> the unified field that writes it.
    static func mapped(_ e: HotProfileEntity) -> [String: String] {
        switch e {
        case .businessCards, .leads:
            var m = ["family_name": "last_name", "first_name": "first_name", "email": "emails", "mobile_email": "emails",
                     "tel": "phones", "mobile_tel": "phones", "fax": "phones", "client_id": "company_id",
                     "address": "address", "owner_user_id": "owner_id", "note": "note"]
            if e == .leads { m["post"] = "title" }
            return m
        case .clients:
            return ["name": "name", "url": "website", "main_tel": "phones", "address": "address",
                    "user_id": "owner_id", "note": "note"]
        }
    }

    /// Every problem with `custom_fields`, named `custom_fields.<key>`.
    static func checkCustom(_ e: HotProfileEntity, _ change: Change<JSONObject>) -> [FieldError] {
        guard case .set(let o) = change else { return [] }
        var errors: [FieldError] = []
        let rules = custom(e), mapped = mapped(e), present = present(e)
        for (k, v) in o {
            let field = "custom_fields.\(k)"
            if reserved.contains(k) {
                errors.append(FieldError(field, "is set by the gateway"))
            } else if let unified = mapped[k] {
                errors.append(FieldError(field, "set `\(unified)` instead"))
            } else if let rule = rules[k] {
                if present.contains(k), isBlank(v) {
                    errors.append(FieldError(field, "cannot be blank: HotProfile requires it"))
                } else if let message = rule.check(v) {
                    errors.append(FieldError(field, message))
                }
            }
            // Other keys pass through unchecked (§4): HotProfile ignores fields it does not know.
        }
        return errors
    }

    static func isBlank(_ v: JSON) -> Bool {
        switch v {
        case .null: true
        case .string(let s): HotProfileMapping.trim(s).isEmpty
        default: false
        }
    }

    /// A text field of the unified write: length, and presence for the required ones.
    static func checkText(_ field: String, _ change: Change<String>, max: Int, required: Bool = false,
                          creating: Bool, into errors: inout [FieldError]) {
        switch change {
        case .keep:
            if required && creating { errors.append(FieldError(field, "is required")) }
        case .clear:
            if required { errors.append(FieldError(field, "cannot be cleared: HotProfile requires it")) }
        case .set(let s):
            if required && HotProfileMapping.trim(s).isEmpty {
                errors.append(FieldError(field, "must not be blank"))
            } else if s.unicodeScalars.count > max {
                errors.append(FieldError(field, "must be at most \(max) characters"))
            }
        }
    }

    /// `local@domain`: HotProfile only limits the length, but anything else is surely a mistake.
    static func looksLikeEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".")
            && !parts[1].hasSuffix(".") && !s.contains(where: { $0 == " " || $0 == "\u{3000}" })
    }

    /// A `hotprofile:<kind>:<positive integer>` id, or nil.
    static func remote(_ id: UnifiedID, kind: String) -> Int? {
        guard id.source == HotProfileAPI.source, id.kind == kind else { return nil }
        return id.integerRemote
    }

    static func owner(_ field: String, _ change: Change<String>, into errors: inout [FieldError]) -> Change<Int> {
        switch change {
        case .keep: return .keep
        case .clear: return .clear
        case .set(let s):
            guard let id = UnifiedID(s), let n = remote(id, kind: "user") else {
                errors.append(FieldError(field, "must be a hotprofile:user:<id> id"))
                return .keep
            }
            return .set(n)
        }
    }
}
