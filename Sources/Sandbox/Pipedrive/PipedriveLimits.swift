import GatewayCore

/// Pipedrive's burst limit: at most `limit` requests in any rolling 2-second window. A plain
/// value: `take(now:)` says whether the request may go and what the headers say.
struct PDBurstWindow: Sendable {
    let limit: Int
    let windowMillis: Int64 = 2000
    private(set) var hits: [Int64] = []

    init(limit: Int) { self.limit = limit }

    struct Decision: Equatable {
        var allowed: Bool
        var remaining: Int
        /// Seconds until the window frees a slot (Pipedrive's `x-ratelimit-reset`: seconds, not an epoch).
        var resetSeconds: Int
    }

    mutating func take(now: Int64) -> Decision {
        hits.removeAll { $0 + windowMillis <= now }
        let allowed = hits.count < limit
        if allowed { hits.append(now) }
        let oldest = hits.first ?? now
        let reset = Int((oldest + windowMillis - now + 999) / 1000)
        return Decision(allowed: allowed, remaining: max(0, limit - hits.count), resetSeconds: max(reset, 0))
    }
}

/// The legacy fair-use cap on POST/PUT/PATCH per UTC day (`x-daily-requests-left`).
struct PDDailyWrites: Sendable {
    static let perDay = 10_000
    private(set) var day: Int64 = -1
    private(set) var left = PDDailyWrites.perDay

    /// Counts one write; nil when the day's budget is gone.
    mutating func take(now: Int64) -> Int? {
        let today = now / 86_400_000
        if today != day { day = today; left = Self.perDay }
        guard left > 0 else { return nil }
        left -= 1
        return left
    }
}

/// The v2 cursor: opaque to clients; inside, the sort it belongs to and the sort key and id
/// of the first record of the next page (so a page boundary survives inserts and deletes).
/// Text: base64url of `sort_by:direction:key:id`.
struct PDCursor: Equatable {
    var sortBy: String
    var descending: Bool
    var key: Int64
    var id: Int

    var encoded: String {
        Self.base64url("\(sortBy):\(descending ? "desc" : "asc"):\(key):\(id)")
    }

    init(sortBy: String, descending: Bool, key: Int64, id: Int) {
        self.sortBy = sortBy
        self.descending = descending
        self.key = key
        self.id = id
    }

    init?(_ text: String) {
        guard let plain = Self.unbase64url(text) else { return nil }
        let parts = plain.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1] == "asc" || parts[1] == "desc",
              let key = Int64(parts[2]), let id = Int(parts[3]) else { return nil }
        self.init(sortBy: String(parts[0]), descending: parts[1] == "desc", key: key, id: id)
    }

    static func base64url(_ s: String) -> String {
        var t = Base64.encode(Array(s.utf8))
        while t.hasSuffix("=") { t.removeLast() }
        return String(t.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    static func unbase64url(_ s: String) -> String? {
        var t = String(s.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while t.utf8.count % 4 != 0 { t += "=" }
        guard let bytes = Base64.decode(t) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// Query-string reading with v2's strictness: a malformed value is a 400, not ignored.
struct PDQuery {
    let call: EmulatorCall

    func string(_ name: String) -> String? {
        guard let v = call.query(name), !v.isEmpty else { return nil }
        return v
    }

    func int(_ name: String) throws(PDError) -> Int? {
        guard let s = string(name) else { return nil }
        guard let i = Int(s) else { throw .validation(name, "must be integer") }
        return i
    }

    func bool(_ name: String) throws(PDError) -> Bool? {
        guard let s = string(name) else { return nil }
        switch s {
        case "true": return true
        case "false": return false
        default: throw .validation(name, "must be boolean")
        }
    }

    /// RFC 3339 only (a bare date is rejected, as v2 does).
    func time(_ name: String) throws(PDError) -> Int64? {
        guard let s = string(name) else { return nil }
        guard s.contains("T"), let t = UTCTime(parsing: s) else {
            throw .validation(name, "must be a RFC 3339 date-time, e.g. 2025-01-01T10:20:00Z")
        }
        return t.epochMillis
    }

    func oneOf(_ name: String, _ allowed: [String], default d: String? = nil) throws(PDError) -> String? {
        guard let s = string(name) else { return d }
        guard allowed.contains(s) else {
            throw .validation(name, "must be equal to one of the allowed values: \(allowed.joined(separator: ", "))")
        }
        return s
    }

    /// `ids=1,2,3` (at most 100).
    func ids() throws(PDError) -> Set<Int>? {
        guard let s = string("ids") else { return nil }
        var out = Set<Int>()
        for part in s.split(separator: ",") {
            guard let i = Int(String(part).trimmingSpaces()) else { throw .validation("ids", "must be a comma separated list of integers") }
            out.insert(i)
        }
        guard out.count <= 100 else { throw .validation("ids", "must contain at most 100 ids") }
        return out
    }

    /// `limit`: default 100, 1...500.
    func limit() throws(PDError) -> Int {
        guard let l = try int("limit") else { return 100 }
        guard (1...500).contains(l) else { throw .validation("limit", "must be between 1 and 500") }
        return l
    }
}
