import GatewayCore

/// Unified ids of Pipedrive records (`pipedrive:person:123`) and the filters that carry them.
enum PipedriveID {
    static func make(_ kind: String, _ remote: Int) -> UnifiedID {
        UnifiedID(source: PipedriveClient.source, kind: kind, remote: String(remote))
    }

    /// `pipedrive:<kind>:<n>` for an integer JSON value (nil for null or missing).
    static func string(_ kind: String, _ value: JSON?) -> String? {
        guard let n = value?.intValue else { return nil }
        return make(kind, n).description
    }

    /// The Pipedrive integer id behind `id`, when it is a Pipedrive id of that kind.
    static func remote(_ id: UnifiedID, kind: String) -> Int? {
        guard id.source == PipedriveClient.source, id.kind == kind else { return nil }
        return id.integerRemote
    }

    /// `pipedrive:user:<n>` (owner ids are plain strings in writes).
    static func user(_ text: String) -> Int? {
        UnifiedID(text).flatMap { remote($0, kind: "user") }
    }

    /// The record a get/update/delete names, or 404: an id of another kind, or a remote part
    /// that is not a positive integer, cannot name a Pipedrive record of this kind.
    static func require(_ id: UnifiedID, kind: String) throws(GatewayError) -> Int {
        guard let n = remote(id, kind: kind) else { throw .notFound("no Pipedrive \(kind) \(id)") }
        return n
    }

    static func form(_ kind: String) -> String { "pipedrive:\(kind):<id>" }
}

/// Reading §5 list filters into Pipedrive query parameters.
enum PipedriveFilter {
    /// An id filter's Pipedrive id; `.badRequest` naming the filter when it is not a
    /// Pipedrive id of the expected kind.
    static func id(_ filter: ListFilter, _ name: ListFilter.Name, kind: String) throws(GatewayError) -> Int? {
        guard let text = filter[name] else { return nil }
        guard let id = UnifiedID(text), let n = PipedriveID.remote(id, kind: kind) else {
            throw .badRequest("the \(name.rawValue) filter must be a Pipedrive \(kind) id",
                              [FieldError(name.rawValue, "must be an id of the form \(PipedriveID.form(kind))")])
        }
        return n
    }

    /// `updated_since` as v2 wants it: RFC 3339 with a time (a bare date is a 400 upstream).
    static func updatedSince(_ filter: ListFilter) throws(GatewayError) -> String? {
        guard let text = filter[.updated_since] else { return nil }
        guard let t = UTCTime(parsing: text) else {
            throw .badRequest("updated_since must be an RFC 3339 timestamp or a YYYY-MM-DD date",
                              [FieldError("updated_since", "must be an RFC 3339 timestamp or a YYYY-MM-DD date")])
        }
        return t.rfc3339
    }

    /// Refuses a combination of filters the upstream cannot honour together.
    static func refuseCombination(_ filter: ListFilter, search: ListFilter.Name, allowed: Set<ListFilter.Name>, what: String) throws(GatewayError) {
        let extra = filter.present.subtracting(allowed).subtracting([search])
        guard !extra.isEmpty else { return }
        let names = extra.map(\.rawValue).sorted()
        let with = allowed.map(\.rawValue).sorted()
        throw .badRequest("Pipedrive \(what) search (\(search.rawValue)) cannot be combined with \(names.joined(separator: ", "))"
                          + (with.isEmpty ? "" : "; it combines only with \(with.joined(separator: ", "))"),
                          extra.sorted { $0.rawValue < $1.rawValue }.map { FieldError($0.rawValue, "cannot be combined with \(search.rawValue) on Pipedrive \(what)") })
    }

    /// The search term: at least 2 characters (1 with `exact_match`), as the search endpoints require.
    static func term(_ filter: ListFilter, _ name: ListFilter.Name, exact: Bool) throws(GatewayError) -> String {
        let term = PipedriveText.trim(filter[name] ?? "")
        let minimum = exact ? 1 : 2
        guard term.count >= minimum else {
            throw .badRequest("\(name.rawValue) must have at least \(minimum) characters for a Pipedrive search",
                              [FieldError(name.rawValue, "must have at least \(minimum) characters")])
        }
        return term
    }
}

/// Text helpers of this adapter (kept here so no other adapter's extension can clash).
enum PipedriveText {
    static func trim(_ text: String) -> String {
        var s = Substring(text)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
