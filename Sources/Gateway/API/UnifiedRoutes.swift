import GatewayCore

extension Router {
    /// Every route of §3 except events and webhooks (a later issue), over the configured
    /// adapters. Routes exist whether or not a source backs them, so the router always
    /// matches openapi.yaml; with no source, lists are empty and ids are 404.
    public mutating func addUnifiedAPI(services: GatewayServices) {
        let a = services.adapters
        addResource(ResourceSpec(path: "/contacts", noun: "contact", sources: a.compactMap(\.contacts),
                                 filters: [.q, .email, .phone, .updated_since, .company_id]), services: services)
        addResource(ResourceSpec(path: "/companies", noun: "company", sources: a.compactMap(\.companies),
                                 filters: [.q, .updated_since]), services: services)
        addResource(ResourceSpec(path: "/deals", noun: "deal", sources: a.compactMap(\.deals),
                                 filters: [.q, .status, .stage_id, .pipeline_id, .contact_id, .company_id, .updated_since],
                                 statuses: Deal.Status.allCases.map(\.rawValue)), services: services)
        addResource(ResourceSpec(path: "/pipelines", noun: "pipeline", sources: a.compactMap(\.pipelines),
                                 filters: [], operations: [.list, .get]), services: services)
        addResource(ResourceSpec(path: "/stages", noun: "stage", sources: a.compactMap(\.stages),
                                 filters: [.pipeline_id], operations: [.list, .get]), services: services)
        addResource(ResourceSpec(path: "/activities", noun: "activity", sources: a.compactMap(\.activities),
                                 filters: [.contact_id, .company_id, .updated_since, .status], statuses: ["open", "done"],
                                 operations: [.list, .create]), services: services)
        for parent in ["contacts", "companies", "deals"] {
            addNotes(parent: parent, services: services)
        }
        addMessaging(services: services)
        addPassthrough(services: services)
        addUpstreams(services: services)
        addOpenAPI()
        addDocs()
        addMetrics(services: services)
        addWebhooks(services: services)
    }

    /// `GET/POST /{parent}/{id}/notes`: notes on a contact, company or deal.
    mutating func addNotes(parent: String, services: GatewayServices) {
        let noun = parent == "companies" ? "company" : String(parent.dropLast())
        let path = "/\(parent)/{id}/notes"
        @Sendable func source(_ ctx: RequestContext) throws(GatewayError) -> (any NoteSource, UnifiedID) {
            let id = try APIHandler.id(ctx, noun: noun)
            guard let src = services.adapters.first(where: { $0.source == id.source })?.notes, src.parentKinds.contains(id.kind) else {
                throw .notFound("\(id.source) \(id.kind) records have no notes served here")
            }
            return (src, id)
        }
        add(.GET, path, .async { request, ctx in
            await APIHandler.run(ctx) { () throws(GatewayError) in
                let (src, parentID) = try source(ctx)
                let (query, _) = try ListQuery.parse(request, filters: [])
                let page = try await SinglePartList.page(resource: "\(parent)/notes", source: src.source, key: parentID.description, query: query,
                                                         maxPageSize: src.maxPageSize()) { page throws(GatewayError) in
                    try await src.list(parent: parentID, page: page, context: services.context(source: src.source, request: ctx))
                }
                return .json(200, page.json(includeRaw: query.includeRaw))
            }
        })
        add(.POST, path, .async { request, ctx in
            await APIHandler.idempotent(request, ctx, services.idempotency) {
                await APIHandler.run(ctx) { () throws(GatewayError) in
                    let raw = try Self.includeRaw(request)
                    let write = try NoteWrite.parse(try APIHandler.jsonBody(request))
                    let (src, parentID) = try source(ctx)
                    let errors = src.validate(write)
                    if !errors.isEmpty { throw .validation(errors) }
                    let note = try await src.create(parent: parentID, write, context: services.context(source: src.source, request: ctx))
                    return .json(201, note.json(includeRaw: raw))
                }
            }
        })
    }
}

/// Paging over one source part that is not a `ResourceSource` (notes, messages,
/// conversations): the same cursor format, bound to its key (the parent or the contact).
enum SinglePartList {
    static func page<O: UnifiedObject>(resource: String, source: String, key: String, query: ListQuery, maxPageSize: Int,
                                       fetch: (PageRequest) async throws(GatewayError) -> SourcePage<O>) async throws(GatewayError) -> MergedList<O> {
        let binding = ListCursor.hash(query.binding + "&key=" + key)
        var part: ListCursor.Part
        var limit = query.limit
        if let c = query.cursor {
            guard c.resource == resource, c.binding == binding, c.parts.count == 1 else {
                throw .badRequest("the cursor belongs to another list", [FieldError("cursor", "does not match this list")])
            }
            if query.limitGiven && query.limit != c.limit {
                throw .badRequest("the cursor was made with limit=\(c.limit)", [FieldError("limit", "must be \(c.limit) (or absent) with this cursor")])
            }
            part = c.parts[0]
            limit = c.limit
        } else {
            part = .init(source: "", kind: "", size: min(query.limit, maxPageSize), token: nil, done: false, failures: 0)
        }
        let page = try await fetch(PageRequest(size: part.size, token: part.token))
        part.token = page.next
        part.done = page.next == nil
        var list = MergedList<O>()
        list.items = Array(page.items.prefix(part.size))
        list.sources = [(source, "ok", nil)]
        list.next = part.done ? nil : ListCursor(resource: resource, limit: limit, binding: binding, parts: [part])
        return list
    }
}
