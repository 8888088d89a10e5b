import GatewayCore

/// One page of a list over one or more sources (§5). Each source kind is a "part" with its
/// own upstream paging; a page asks the parts concurrently and concatenates their items in
/// part order. Part page sizes are fixed on the first page (the limit shared between the
/// parts) and kept in the cursor, so page-number upstreams line up and no page holds more
/// than `limit` items. A failing part does not fail the page: it is reported in `sources`
/// and retried on the next page (dropped after three failures in a row, so a broken
/// upstream cannot make a listing endless).
struct MergedList<Object: UnifiedObject> {
    var items: [Object] = []
    var next: ListCursor?
    var sources: [(source: String, status: String, error: String?)] = []

    func json(includeRaw: Bool) -> JSON {
        var report = JSONObject()
        for s in sources {
            var o: JSONObject = ["status": .string(s.status)]
            if let e = s.error { o["error"] = .string(e) }
            report[s.source] = .object(o)
        }
        return ["data": .array(items.map { $0.json(includeRaw: includeRaw) }),
                "next_cursor": JSON(next?.encoded), "sources": .object(report)]
    }
}

enum ListEngine {
    static let maxPartFailures = 3

    static func page<O, W>(resource: String, sources all: [any ResourceSource<O, W>], query: ListQuery, record: RequestRecord? = nil,
                           context: @escaping @Sendable (String) -> AdapterContext) async throws(GatewayError) -> MergedList<O> {
        let chosen = try select(all, query.sources, resource: resource)
        let binding = ListCursor.hash(query.binding)
        var notes: [String: String] = [:]
        var unusable: [FieldError] = []

        // Which parts can take part at all under these filters (the same answer on every page).
        var candidates: [(src: any ResourceSource<O, W>, kind: String)] = []
        for src in chosen {
            for kind in src.kinds {
                // An id of another source in an id filter: this part has no matches.
                if foreignIDFilter(query.filter, source: src.source) != nil { continue }
                let missing = query.filter.present.subtracting(src.filters(kind: kind))
                if !missing.isEmpty {
                    let names = missing.map(\.rawValue).sorted().joined(separator: ", ")
                    let text = "\(src.source) cannot filter \(kind) records by \(names); they are left out"
                    if query.sources != nil { unusable.append(FieldError(names, "\(src.source) cannot filter \(kind) records by it")) }
                    notes[src.source] = notes[src.source].map { $0 + "; " + text } ?? text
                    continue
                }
                candidates.append((src, kind))
            }
        }
        if !unusable.isEmpty { throw .badRequest("a filter cannot be honoured by the source asked for", unusable) }

        var cursor: ListCursor
        if let given = query.cursor {
            guard given.resource == resource, given.binding == binding else {
                throw .badRequest("the cursor belongs to another list (other resource, filters or sources)", [FieldError("cursor", "does not match this list")])
            }
            if query.limitGiven && query.limit != given.limit {
                throw .badRequest("the cursor was made with limit=\(given.limit)", [FieldError("limit", "must be \(given.limit) (or absent) with this cursor")])
            }
            cursor = given
        } else {
            let share = max(1, query.limit / max(1, candidates.count))
            cursor = ListCursor(resource: resource, limit: query.limit, binding: binding, parts: candidates.map {
                .init(source: $0.src.source, kind: $0.kind, size: min(share, $0.src.maxPageSize(kind: $0.kind)), token: nil, done: false, failures: 0)
            })
        }

        // Parts to ask on this page: in order, while the limit has room.
        var budget = cursor.limit
        var asked: [Int] = []
        for (i, part) in cursor.parts.enumerated() where !part.done && part.size <= budget {
            guard candidates.contains(where: { $0.src.source == part.source && $0.kind == part.kind }) else {
                throw .badRequest("the cursor names a source that is no longer available", [FieldError("cursor", "is stale")])
            }
            asked.append(i)
            budget -= part.size
        }

        let filter = query.filter
        let results = await withTaskGroup(of: (Int, Result<SourcePage<O>, GatewayError>).self) { group in
            for i in asked {
                let part = cursor.parts[i]
                let src = candidates.first { $0.src.source == part.source && $0.kind == part.kind }!.src
                let ctx = context(part.source)
                group.addTask {
                    do throws(GatewayError) {
                        let page = try await src.list(kind: part.kind, filter: filter, page: PageRequest(size: part.size, token: part.token), context: ctx)
                        return (i, .success(page))
                    } catch {
                        return (i, .failure(error))
                    }
                }
            }
            var out: [Int: Result<SourcePage<O>, GatewayError>] = [:]
            for await (i, r) in group { out[i] = r }
            return out
        }

        var list = MergedList<O>()
        var failures: [String: GatewayError] = [:]
        var firstFailure: GatewayError?
        for i in asked {
            switch results[i]! {
            case .success(let page):
                list.items += page.items.prefix(cursor.parts[i].size)
                cursor.parts[i].token = page.next
                cursor.parts[i].done = page.next == nil
                cursor.parts[i].failures = 0
            case .failure(let e):
                failures[cursor.parts[i].source] = failures[cursor.parts[i].source] ?? e
                firstFailure = firstFailure ?? e
                cursor.parts[i].failures += 1
                if cursor.parts[i].failures >= maxPartFailures { cursor.parts[i].done = true }
            }
        }
        // Asked explicitly for sources that all failed: that is the answer, not an empty page.
        if query.sources != nil, let firstFailure, asked.allSatisfy({ if case .failure = results[$0]! { true } else { false } }) {
            throw firstFailure
        }
        for src in chosen {
            if let e = failures[src.source] {
                list.sources.append((src.source, "error", e.summary))
            } else if let note = notes[src.source] {
                list.sources.append((src.source, "error", note))
            } else if record?.servedStale(src.source) == true {
                list.sources.append((src.source, "stale", nil))
            } else {
                list.sources.append((src.source, "ok", nil))
            }
        }
        list.next = cursor.parts.contains { !$0.done } ? cursor : nil
        return list
    }

    /// The sources a list asks: all that back the resource, or those named by `source`.
    static func select<O, W>(_ all: [any ResourceSource<O, W>], _ names: [String]?, resource: String) throws(GatewayError) -> [any ResourceSource<O, W>] {
        guard let names else { return all }
        var out: [any ResourceSource<O, W>] = []
        var errors: [FieldError] = []
        for n in names {
            if let s = all.first(where: { $0.source == n }) {
                if !out.contains(where: { $0.source == n }) { out.append(s) }
            } else {
                let have = all.map(\.source).joined(separator: ", ")
                errors.append(FieldError("source", "\(n) does not serve \(resource) here (available: \(have.isEmpty ? "none" : have))"))
            }
        }
        if !errors.isEmpty { throw .badRequest("unknown source", errors) }
        return out
    }

    /// An id filter naming another source: that source's records cannot match it.
    static func foreignIDFilter(_ filter: ListFilter, source: String) -> ListFilter.Name? {
        for name in [ListFilter.Name.contact_id, .company_id, .stage_id, .pipeline_id] {
            if let id = filter.id(name), id.source != source { return name }
        }
        return nil
    }
}
