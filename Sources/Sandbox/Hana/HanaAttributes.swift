import GatewayCore

/// The four attribute value types of Hana's developer page ("KIỂU DỮ LIỆU").
enum HanaValueType: Sendable {
    /// `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, e.g. `2020-09-13T17:00:00.000Z`.
    case date
    /// `1` or `1.0`.
    case number
    case string
    /// e.g. `["Youtube","Sendo"]`.
    case strings

    var label: String {
        switch self {
        case .date: "a Date (yyyy-MM-dd'T'HH:mm:ss.SSSZ)"
        case .number: "a Number"
        case .string: "a String"
        case .strings: "an Array of strings"
        }
    }

    /// Whether `value` has this type (null never does; callers decide what null means).
    func accepts(_ value: JSON) -> Bool {
        switch (self, value) {
        case (.number, .int), (.number, .double), (.string, .string): true
        case (.date, .string(let s)): HanaAttributes.parseDate(s) != nil
        case (.strings, .array(let a)): a.allSatisfy { $0.stringValue != nil }
        default: false
        }
    }
}

enum HanaKind: String, Sendable, CaseIterable {
    case lead, opportunity
}

/// The application's attributes: Hana's predefined `base*` ones and the owner's custom
/// `cf_*` ones (the sandbox application defines those listed here). Names and types come
/// from the seed document's samples; `cf_date_*` and the opportunity's `cf_*` are ours.
enum HanaAttributes {
    static let lead: [(name: String, type: HanaValueType)] = [
        ("baseName", .string), ("baseEmail", .string), ("basePhonenumber", .string),
        ("baseBirthday", .date), ("baseGender", .string), ("baseFunnelStatus", .string),
        ("sourceType", .string), ("baseSourceInput", .strings),
        ("cf_string_ghi_chu", .string), ("cf_number_diem_viral", .number), ("cf_number_kieu_so", .number),
        ("cf_enum_chau_luc", .strings), ("cf_date_ngay_hen", .date),
    ]

    static let opportunity: [(name: String, type: HanaValueType)] = [
        ("baseName", .string), ("leadName", .string), ("leadEmail", .string), ("leadPhonenumber", .string),
        ("dealValue", .number),
        ("cf_string_ghi_chu_ticket", .string), ("cf_number_so_luong", .number), ("cf_enum_san_pham", .strings),
        ("cf_date_ngay_chot", .date),
    ]

    static func type(of name: String, in kind: HanaKind) -> HanaValueType? {
        (kind == .lead ? lead : opportunity).first { $0.name == name }?.type
    }

    /// Attributes whose normalized form is a Vietnamese local phone number.
    static let phoneAttributes: Set<String> = ["basePhonenumber", "leadPhonenumber"]

    /// `yyyy-MM-dd'T'HH:mm:ss.SSS` followed by `Z`, `±HHMM` (Java's `Z` pattern) or `±HH:MM`.
    static func parseDate(_ s: String) -> UTCTime? {
        let b = Array(s.utf8)
        guard b.count >= 24, b[10] == UInt8(ascii: "T"), b[19] == UInt8(ascii: "."),
              b[20...22].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let zone = b[23...]
        if zone.count == 5, zone.first == UInt8(ascii: "+") || zone.first == UInt8(ascii: "-") {
            return UTCTime(parsing: String(decoding: Array(b[..<26]) + [UInt8(ascii: ":")] + Array(b[26...]), as: UTF8.self))
        }
        guard zone.elementsEqual("Z".utf8) || zone.count == 6 else { return nil }
        return UTCTime(parsing: s)
    }

    /// Hana's application is Vietnamese: dates are normalized to `dd-MM-yyyy` in Asia/Ho_Chi_Minh
    /// (UTC+7, no DST), so the seed's raw `2020-09-13T17:00:00.000Z` becomes `14-09-2020`.
    static func normalizedDate(_ t: UTCTime) -> String {
        let p = UTCTime(epochMillis: t.epochMillis + 7 * 3_600_000).parts
        return "\(UTCTime.pad(p.day))-\(UTCTime.pad(p.month))-\(p.year)"
    }

    /// `+84395458994`, `84395458994`, `0395 458 994` -> `0395458994` (the seed's sample keeps
    /// `0978712200` as is); anything else is returned with separators removed.
    static func normalizedPhone(_ raw: String) -> String {
        var digits = String(raw.unicodeScalars.filter { !" .-()".unicodeScalars.contains($0) })
        if digits.hasPrefix("+84") { digits = "0" + digits.dropFirst(3) }
        else if digits.hasPrefix("84") && digits.count == 11 { digits = "0" + digits.dropFirst(2) }
        return digits
    }

    /// The `nomalizeData` (sic) for a stored raw value.
    static func normalized(_ name: String, _ raw: JSON, in kind: HanaKind) -> JSON {
        if phoneAttributes.contains(name), let s = raw.stringValue { return .string(normalizedPhone(s)) }
        if type(of: name, in: kind) == .date, let s = raw.stringValue, let t = parseDate(s) {
            return .string(normalizedDate(t))
        }
        return raw
    }
}
