import GatewayCore

/// A list filter as HotProfile `search[...]` keys, plus a check on each returned record
/// where HotProfile's own match is wider than the filter (phone numbers, date-only ranges).
/// The check only drops records, so a page never holds more than was asked for.
struct HotProfileListQuery: Sendable {
    var search = JSONObject()
    var checks: [@Sendable (JSONObject) -> Bool] = []

    func accepts(_ record: JSONObject) -> Bool { checks.allSatisfy { $0(record) } }
}

/// Which §5 filters each kind honours, from the swagger's `search[...]` parameters:
/// - `q`: leads `search[multiple]` (space-separated words, each matching name, kana, client,
///   e-mail, phones, position, department, address, note or customer id); clients
///   `search[name]` (partial match on the company name). Cards have no free-text search.
/// - `email`: `search[email]` (partial match) on cards and leads; clients have no e-mail.
/// - `phone`: HotProfile matches the stored text (`03-1234-5678`), so a number given as
///   `+81312345678` would never match; the search asks for its last four digits (the one
///   group every way of writing a Japanese number keeps) and the records are then compared by
///   E.164. Leads search `search[multiple]` (tel and mobile_tel), cards `search[tel]`,
///   clients `search[main_tel]`.
/// - `company_id`: leads `search[client_id]` (the swagger calls it a partial match, so the
///   client id is compared again). Cards can only search the client's name.
/// - `updated_since`: leads and clients `search[from_datetime_updated_on]` (JST, to the
///   second); cards only have the day-granular `search[from_updated_on]` (JST day), so
///   records of that day from before the instant are dropped here.
enum HotProfileFilters {
    static func names(_ e: HotProfileEntity) -> Set<ListFilter.Name> {
        switch e {
        case .businessCards: [.email, .phone, .updated_since]
        case .leads: [.q, .email, .phone, .company_id, .updated_since]
        case .clients: [.q, .phone, .updated_since]
        }
    }

    static func query(_ e: HotProfileEntity, _ filter: ListFilter) throws(GatewayError) -> HotProfileListQuery {
        var query = HotProfileListQuery()
        let allowed = names(e)
        for name in filter.present where !allowed.contains(name) {
            throw .badRequest("HotProfile \(e.kind) records cannot be filtered by \(name.rawValue)",
                              [FieldError(name.rawValue, "not supported by HotProfile \(e.kind) records")])
        }
        var words: [String] = []
        if let q = filter[.q].map(HotProfileMapping.trim), !q.isEmpty {
            if e == .leads { words.append(q) } else { query.search["name"] = .string(q) }
        }
        if let email = filter[.email].map(HotProfileMapping.trim), !email.isEmpty {
            query.search["email"] = .string(email)
        }
        if let phone = filter[.phone] {
            let digits = Self.digits(phone)
            guard digits.count >= 4 else {
                throw .badRequest("phone must be a phone number", [FieldError("phone", "must have at least 4 digits")])
            }
            let last4 = String(digits.suffix(4))
            switch e {
            case .leads: words.append(last4)
            case .businessCards: query.search["tel"] = .string(last4)
            case .clients: query.search["main_tel"] = .string(last4)
            }
            let wanted = Self.phoneKey(phone)
            let keys = e == .clients ? ["main_tel"] : ["tel", "mobile_tel", "fax"]
            query.checks.append { o in keys.contains { k in HotProfileMapping.text(o, k).map(Self.phoneKey) == wanted } }
        }
        if !words.isEmpty { query.search["multiple"] = .string(words.joined(separator: " ")) }
        if let raw = filter[.company_id] {
            guard let id = UnifiedID(raw), let n = HotProfileRules.remote(id, kind: "client") else {
                throw .badRequest("company_id must be a hotprofile:client:<id> id",
                                  [FieldError("company_id", "must be a hotprofile:client:<id> id")])
            }
            query.search["client_id"] = .int(n)
            query.checks.append { $0["client_id"].flatMap(HotProfileAPI.int) == n }
        }
        if let text = filter[.updated_since] {
            guard let since = UTCTime(parsing: text) else {
                throw .badRequest("updated_since must be an RFC 3339 timestamp or YYYY-MM-DD",
                                  [FieldError("updated_since", "must be an RFC 3339 timestamp or YYYY-MM-DD")])
            }
            if e == .businessCards {
                query.search["from_updated_on"] = .string(HotProfileTime.date(since))
                let seconds = since.epochSeconds
                query.checks.append { o in
                    guard let t = o["updated_at"]?.stringValue.flatMap(HotProfileTime.utc) else { return false }
                    return t.epochSeconds >= seconds
                }
            } else {
                query.search["from_datetime_updated_on"] = .string(HotProfileTime.dateTime(since))
            }
        }
        return query
    }

    /// ASCII and full-width digits, in order.
    static func digits(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if ("0"..."9").contains(c) { out.unicodeScalars.append(c) }
            else if (0xFF10...0xFF19).contains(c.value) { out.unicodeScalars.append(Unicode.Scalar(c.value - 0xFF10 + 0x30)!) }
        }
        return out
    }

    /// What two ways of writing one number share: E.164 where it can be placed, else the digits.
    static func phoneKey(_ s: String) -> String { PhoneNumber.e164(s, region: .jp) ?? digits(s) }
}
