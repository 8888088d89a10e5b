import GatewayCore

/// A list request's query (§5): `limit` (1-200, default 50), an opaque `cursor`, `source`
/// (one or more, comma-separated), `include=raw`, and the filters the resource offers.
/// Anything else is a 400 naming the parameter: a misspelt filter must not silently widen
/// a list.
struct ListQuery: Sendable {
    var limit: Int = 50
    var limitGiven = false
    var cursor: ListCursor?
    var sources: [String]?
    var includeRaw = false
    var filter = ListFilter()

    static let maxLimit = 200

    static func parse(_ request: HTTPRequest, filters allowed: Set<ListFilter.Name>, statuses: [String] = [],
                      extra: Set<String> = []) throws(GatewayError) -> (ListQuery, [String: String]) {
        var q = ListQuery()
        var errors: [FieldError] = []
        var extras: [String: String] = [:]
        guard let pairs = FormEncoding.pairs(request.query ?? "") else {
            throw .badRequest("the query string is not valid percent-encoded UTF-8")
        }
        var seen: Set<String> = []
        for (name, value) in pairs {
            if !seen.insert(name).inserted { errors.append(FieldError(name, "given more than once")); continue }
            switch name {
            case "limit":
                if let l = Int(value), (1...maxLimit).contains(l) { q.limit = l; q.limitGiven = true }
                else { errors.append(FieldError("limit", "must be an integer from 1 to \(maxLimit)")) }
            case "cursor":
                if let c = ListCursor(encoded: value) { q.cursor = c } else { errors.append(FieldError("cursor", "is not a cursor this gateway issued")) }
            case "source":
                let list = value.split(separator: ",").map { String($0) }
                if list.isEmpty { errors.append(FieldError("source", "must name at least one source")) } else { q.sources = list }
            case "include":
                if value == "raw" { q.includeRaw = true } else { errors.append(FieldError("include", "the only value is raw")) }
            default:
                if extra.contains(name) { extras[name] = value; continue }
                guard let f = ListFilter.Name(rawValue: name), allowed.contains(f) else {
                    errors.append(FieldError(name, "unknown query parameter")); continue
                }
                if let problem = check(f, value, statuses: statuses) { errors.append(FieldError(name, problem)); continue }
                q.filter[f] = value
            }
        }
        if !errors.isEmpty { throw .badRequest("invalid query parameters", errors) }
        return (q, extras)
    }

    static func check(_ f: ListFilter.Name, _ value: String, statuses: [String]) -> String? {
        switch f {
        case .updated_since:
            return UTCTime(parsing: value) == nil ? "must be an RFC 3339 timestamp or a YYYY-MM-DD date" : nil
        case .contact_id, .company_id, .stage_id, .pipeline_id:
            return UnifiedID(value) == nil ? "must be an id of the form <source>:<kind>:<remote id>" : nil
        case .status:
            return statuses.contains(value) ? nil : "must be one of \(statuses.joined(separator: ", "))"
        case .q, .email, .phone:
            return value.isEmpty ? "must not be empty" : nil
        }
    }

    /// What a cursor is bound to: the same filters and sources must come with it.
    var binding: String {
        let f = filter.values.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }
        return (f + ["source=\((sources ?? []).joined(separator: ","))"]).joined(separator: "&")
    }
}

/// The opaque cursor of a (possibly merged) list: where each source part stands. Encoded
/// as base64url JSON; it carries the page size and the filters it was made for, so a cursor
/// replayed with other filters is refused instead of returning a wrong page.
struct ListCursor: Sendable, Equatable {
    struct Part: Sendable, Equatable {
        var source: String
        var kind: String
        var size: Int
        var token: String?
        var done: Bool
        /// Consecutive failed pages; the part is dropped from the listing after three.
        var failures: Int
    }

    var resource: String
    var limit: Int
    var binding: UInt64
    var parts: [Part]

    init(resource: String, limit: Int, binding: UInt64, parts: [Part]) {
        self.resource = resource
        self.limit = limit
        self.binding = binding
        self.parts = parts
    }

    init?(encoded: String) {
        guard let bytes = Base64URL.decode(encoded), let json = try? JSON.parse(bytes),
              json["v"]?.intValue == 1, let r = json["r"]?.stringValue, let l = json["l"]?.intValue,
              let b = json["b"]?.stringValue, let binding = UInt64(b, radix: 16), let ps = json["p"]?.arrayValue else { return nil }
        var parts: [Part] = []
        for p in ps {
            guard let s = p["s"]?.stringValue, let k = p["k"]?.stringValue, let n = p["n"]?.intValue, n > 0,
                  let d = p["d"]?.boolValue, let e = p["e"]?.intValue else { return nil }
            let t = p["t"]
            guard t == nil || t == .null || t?.stringValue != nil else { return nil }
            parts.append(Part(source: s, kind: k, size: n, token: t?.stringValue, done: d, failures: e))
        }
        self.init(resource: r, limit: l, binding: binding, parts: parts)
    }

    var encoded: String {
        let json: JSON = ["v": 1, "r": .string(resource), "l": .int(limit), "b": .string(String(binding, radix: 16)),
                          "p": .array(parts.map { ["s": .string($0.source), "k": .string($0.kind), "n": .int($0.size),
                                                   "t": JSON($0.token), "d": .bool($0.done), "e": .int($0.failures)] })]
        return Base64URL.encode(json.serialized())
    }

    /// FNV-1a, enough to tell one filter set from another.
    static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }
}

/// RFC 4648 §5 base64url without padding (cursors travel in query strings).
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        var s = Base64.encode(bytes)
        while s.hasSuffix("=") { s.removeLast() }
        return String(s.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") }) else { return nil }
        var s = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while s.utf8.count % 4 != 0 { s += "=" }
        return Base64.decode(s)
    }
}
