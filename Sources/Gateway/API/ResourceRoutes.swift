import GatewayCore

/// One unified resource (`/contacts`, `/companies`, `/deals`, ...): which sources back it and
/// what its list accepts. The routes are the same five for every resource; the sources decide
/// which operations a record's kind allows.
struct ResourceSpec<O: UnifiedObject, W: UnifiedWrite>: Sendable {
    var path: String
    var noun: String
    var sources: [any ResourceSource<O, W>]
    var filters: Set<ListFilter.Name>
    var statuses: [String] = []
    var operations: Set<ResourceOperation> = [.list, .get, .create, .update, .delete]
}

extension Router {
    mutating func addResource<O, W>(_ spec: ResourceSpec<O, W>, services: GatewayServices) {
        let resource = String(spec.path.dropFirst())
        if spec.operations.contains(.list) {
            add(.GET, spec.path, .cached({ request, ctx in APIHandler.renderedHit(request, ctx, services) }) { request, ctx in
                await APIHandler.renderedRead(request, ctx, services) { await APIHandler.run(ctx) { () throws(GatewayError) in
                    let (query, _) = try ListQuery.parse(request, filters: spec.filters, statuses: spec.statuses)
                    let page = try await ListEngine.page(resource: resource, sources: spec.sources, query: query, record: ctx.record) {
                        services.context(source: $0, request: ctx)
                    }
                    return .json(200, page.json(includeRaw: query.includeRaw))
                } }
            })
        }
        if spec.operations.contains(.create) {
            add(.POST, spec.path, .async { request, ctx in
                await APIHandler.idempotent(request, ctx, services.idempotency) {
                    await APIHandler.run(ctx) { () throws(GatewayError) in
                        let raw = try Self.includeRaw(request)
                        let write = try W.parse(try APIHandler.jsonBody(request))
                        let (src, kind) = try Self.creator(spec, write)
                        let errors = src.validate(kind: kind, write, creating: true)
                        if !errors.isEmpty { throw .validation(errors) }
                        let created = try await src.create(kind: kind, write, context: services.context(source: src.source, request: ctx))
                        return .json(201, created.json(includeRaw: raw),
                                     headers: ["Location": "\(spec.path)/\(Self.pathEscaped(created.id.description))"])
                    }
                }
            })
        }
        if spec.operations.contains(.get) {
            add(.GET, spec.path + "/{id}", .cached({ request, ctx in APIHandler.renderedHit(request, ctx, services) }) { request, ctx in
                await APIHandler.renderedRead(request, ctx, services) { await APIHandler.run(ctx) { () throws(GatewayError) in
                    let raw = try Self.includeRaw(request)
                    let (src, id) = try Self.owner(spec, ctx)
                    let object = try await src.get(id, context: services.context(source: src.source, request: ctx))
                    return .json(200, object.json(includeRaw: raw))
                } }
            })
        }
        if spec.operations.contains(.update) {
            add(.PATCH, spec.path + "/{id}", .async { request, ctx in
                await APIHandler.idempotent(request, ctx, services.idempotency) {
                    await APIHandler.run(ctx) { () throws(GatewayError) in
                        let raw = try Self.includeRaw(request)
                        let write = try W.parse(try APIHandler.jsonBody(request))
                        let (src, id) = try Self.owner(spec, ctx)
                        var errors: [FieldError] = []
                        if let s = write.source, s != id.source { errors.append(FieldError("source", "cannot be changed (the record is in \(id.source))")) }
                        if let k = write.kind, k != id.kind { errors.append(FieldError("kind", "cannot be changed (the record is a \(id.kind))")) }
                        errors += src.validate(kind: id.kind, write, creating: false)
                        if !errors.isEmpty { throw .validation(errors) }
                        let updated = try await src.update(id, write, context: services.context(source: src.source, request: ctx))
                        return .json(200, updated.json(includeRaw: raw))
                    }
                }
            })
        }
        if spec.operations.contains(.delete) {
            add(.DELETE, spec.path + "/{id}", .async { request, ctx in
                await APIHandler.idempotent(request, ctx, services.idempotency) {
                    await APIHandler.run(ctx) { () throws(GatewayError) in
                        if let q = request.query, !q.isEmpty { throw .badRequest("DELETE takes no query parameters") }
                        let (src, id) = try Self.owner(spec, ctx)
                        try await src.delete(id, context: services.context(source: src.source, request: ctx))
                        return HTTPResponse(status: 204)
                    }
                }
            })
        }
    }

    /// The source and kind a POST goes to: `source` names it (or there is only one), `kind`
    /// picks among that source's kinds (default: its first).
    static func creator<O, W>(_ spec: ResourceSpec<O, W>, _ write: W) throws(GatewayError) -> (any ResourceSource<O, W>, String) {
        let creatable = spec.sources.filter { s in s.kinds.contains { s.operations(kind: $0).contains(.create) } }
        let names = creatable.map(\.source).joined(separator: ", ")
        let src: any ResourceSource<O, W>
        if let name = write.source {
            guard let s = creatable.first(where: { $0.source == name }) else {
                throw .validation([FieldError("source", creatable.isEmpty ? "no configured source can create \(spec.noun)s" : "must be one of \(names)")])
            }
            src = s
        } else if creatable.count == 1 {
            src = creatable[0]
        } else {
            throw .validation([FieldError("source", creatable.isEmpty ? "no configured source can create \(spec.noun)s" : "is required: one of \(names)")])
        }
        let kinds = src.kinds.filter { src.operations(kind: $0).contains(.create) }
        if let k = write.kind {
            guard kinds.contains(k) else { throw .validation([FieldError("kind", "must be one of \(kinds.joined(separator: ", ")) for \(src.source)")]) }
            return (src, k)
        }
        return (src, kinds[0])
    }

    /// The source that owns the record `{id}`, or 404.
    static func owner<O, W>(_ spec: ResourceSpec<O, W>, _ ctx: RequestContext) throws(GatewayError) -> (any ResourceSource<O, W>, UnifiedID) {
        let id = try APIHandler.id(ctx, noun: spec.noun)
        guard let src = spec.sources.first(where: { $0.source == id.source && $0.kinds.contains(id.kind) }) else {
            throw .notFound("no \(spec.noun) \(id): \(id.source) \(id.kind) records are not served here")
        }
        return (src, id)
    }

    /// Single-record routes take `include=raw` and no other query parameter; checked
    /// before anything reaches an upstream.
    static func includeRaw(_ request: HTTPRequest) throws(GatewayError) -> Bool {
        guard let pairs = FormEncoding.pairs(request.query ?? "") else { throw .badRequest("the query string is not valid percent-encoded UTF-8") }
        let bad = pairs.filter { !($0.0 == "include" && $0.1 == "raw") }
        if !bad.isEmpty { throw .badRequest("invalid query parameters", bad.map { FieldError($0.0, $0.0 == "include" ? "the only value is raw" : "unknown query parameter") }) }
        return !pairs.isEmpty
    }

    /// An id in a path segment (`:` may stay, RFC 3986 §3.3).
    static func pathEscaped(_ s: String) -> String { FormEncoding.encode(s, keeping: ":") }

}
