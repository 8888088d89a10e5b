import GatewayCore

/// HotProfile times are Japan Standard Time (UTC+9, no daylight saving), written
/// `yyyy/mm/dd HH:MM:SS` (FACTS 3.2 samples).
enum HotProfileTime {
    static let offsetMillis: Int64 = 9 * 3600 * 1000

    /// `2025/01/15 17:00:00` (JST) -> `2025-01-15T08:00:00Z`; nil for anything else.
    static func rfc3339(_ jst: String) -> String? { utc(jst)?.rfc3339 }

    static func utc(_ jst: String) -> UTCTime? {
        guard jst.utf8.count == 19, var t = UTCTime(parsing: jst) else { return nil }
        t.epochMillis -= offsetMillis
        return t
    }

    /// A UTC instant as HotProfile's JST `yyyy/mm/dd HH:MM:SS`.
    static func dateTime(_ t: UTCTime) -> String { UTCTime(epochMillis: t.epochMillis + offsetMillis).slashDateTime }

    /// A UTC instant's JST calendar day, `yyyy/mm/dd`.
    static func date(_ t: UTCTime) -> String { UTCTime(epochMillis: t.epochMillis + offsetMillis).slashDate }
}

/// HotProfile list entries to unified objects. Unset text fields are `""` upstream and
/// become null here; `raw` keeps the entry untouched.
enum HotProfileMapping {
    static let source = HotProfileAPI.source

    /// A non-blank string (numbers listed as strings, or as numbers, both count).
    static func text(_ o: JSONObject, _ key: String) -> String? {
        let s: String?
        switch o[key] {
        case .string(let v)?: s = v
        case .int(let v)?: s = String(v)
        default: s = nil
        }
        guard let s else { return nil }
        let trimmed = trim(s)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// Strips ASCII and ideographic (full-width) spaces at both ends.
    static func trim(_ s: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\u{3000}" || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = s.firstIndex(where: { !isSpace($0) }), let end = s.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(s[start...end])
    }

    static func userRef(_ o: JSONObject, _ key: String) -> String? {
        guard let id = o[key].flatMap(HotProfileAPI.int) else { return nil }
        return UnifiedID(source: source, kind: "user", remote: String(id)).description
    }

    /// `address` as written; for records whose address is kept in parts (`address1` prefecture
    /// and city, `address2` street, `address3` building) the parts joined as Japanese
    /// addresses are written: no space except before the building.
    static func address(_ o: JSONObject) -> String? {
        if let a = text(o, "address") { return a }
        let head = [text(o, "address1"), text(o, "address2")].compactMap { $0 }.joined()
        let joined = [head, text(o, "address3") ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        return joined.isEmpty ? nil : joined
    }

    /// Custom items `[{label, value}]` keyed by label.
    static func items(_ o: JSONObject, into fields: inout JSONObject) {
        for item in o["items"]?.arrayValue ?? [] {
            guard let label = item["label"]?.stringValue, !label.isEmpty else { continue }
            fields[label] = item["value"] ?? .null
        }
    }

    static func contact(_ o: JSONObject, _ entity: HotProfileEntity) throws(GatewayError) -> Contact {
        guard let remote = o["id"].flatMap(HotProfileAPI.int) else {
            throw .invalidResponse(source: source, "a \(entity.rawValue) entry has no id")
        }
        var c = Contact(id: UnifiedID(source: source, kind: entity.kind, remote: String(remote)))
        let last = text(o, "family_name"), first = text(o, "first_name")
        c.lastName = last
        c.firstName = first
        // `name` is how HotProfile shows the person: family name, a space, given name.
        let joined = [last, first].compactMap { $0 }.joined(separator: " ")
        c.displayName = text(o, "name") ?? (joined.isEmpty ? nil : joined)
        for (key, type) in [("email", "work"), ("mobile_email", "mobile")] {
            if let v = text(o, key) { c.emails.append(ContactPoint(value: v, type: type, primary: c.emails.isEmpty)) }
        }
        for (key, type) in [("tel", "work"), ("mobile_tel", "mobile"), ("fax", "fax")] {
            if let v = text(o, key) { c.phones.append(.phone(v, type: type, primary: c.phones.isEmpty, region: .jp)) }
        }
        if let client = o["client_id"].flatMap(HotProfileAPI.int) {
            c.company = Ref(id: UnifiedID(source: source, kind: "client", remote: String(client)).description,
                            name: text(o, "client_name"))
        }
        c.title = text(o, "post")
        c.address = address(o)
        c.ownerID = userRef(o, "owner_user_id")
        c.tags = (o["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
        c.note = text(o, "note")
        c.createdAt = o["created_at"]?.stringValue.flatMap(HotProfileTime.rfc3339)
        c.updatedAt = o["updated_at"]?.stringValue.flatMap(HotProfileTime.rfc3339)
        // Readings keep HotProfile's own keys, so a write's custom_fields set them back as is.
        for key in ["family_name_kana", "first_name_kana"] {
            if let v = text(o, key) { c.customFields[key] = .string(v) }
        }
        items(o, into: &c.customFields)
        c.raw = .object(o)
        return c
    }

    static func company(_ o: JSONObject) throws(GatewayError) -> Company {
        guard let remote = o["id"].flatMap(HotProfileAPI.int) else {
            throw .invalidResponse(source: source, "a clients entry has no id")
        }
        var c = Company(id: UnifiedID(source: source, kind: "client", remote: String(remote)))
        c.name = text(o, "name")
        c.website = text(o, "url")
        if let tel = text(o, "main_tel") { c.phones = [.phone(tel, type: "work", primary: true, region: .jp)] }
        c.address = address(o)
        // Listed as the registered choice's name.
        c.industry = text(o, "business_category_kbn")
        c.ownerID = userRef(o, "user_id")
        c.note = text(o, "note")
        c.createdAt = o["created_at"]?.stringValue.flatMap(HotProfileTime.rfc3339)
        c.updatedAt = o["updated_at"]?.stringValue.flatMap(HotProfileTime.rfc3339)
        for key in ["name_kana", "name_disp"] {
            if let v = text(o, key) { c.customFields[key] = .string(v) }
        }
        items(o, into: &c.customFields)
        c.raw = .object(o)
        return c
    }
}
