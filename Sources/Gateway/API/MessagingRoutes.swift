import GatewayCore

extension Router {
    /// `/messages` (send, conversation history) and `/conversations` (list, archive,
    /// unarchive), over the one messaging source (Text Request).
    mutating func addMessaging(services: GatewayServices) {
        let sources = services.adapters.compactMap(\.messaging)
        /// `inBody`: a bad `source` is a 422 in a body, a 400 in a query.
        @Sendable func messaging(_ named: String?, inBody: Bool = false) throws(GatewayError) -> any MessagingSource {
            if let named {
                guard let s = sources.first(where: { $0.source == named }) else {
                    let e = FieldError("source", sources.isEmpty ? "no messaging source is configured" : "must be one of \(sources.map(\.source).joined(separator: ", "))")
                    throw inBody ? .validation([e]) : .badRequest("unknown source", [e])
                }
                return s
            }
            guard let s = sources.first else { throw .notConfigured("a messaging source (textrequest)") }
            return s
        }

        add(.POST, "/messages", .async { request, ctx in
            await APIHandler.idempotent(request, ctx, services.idempotency) {
                await APIHandler.run(ctx) { () throws(GatewayError) in
                    let raw = try Self.includeRaw(request)
                    let send = try MessageSend.parse(try APIHandler.jsonBody(request))
                    let src = try messaging(send.source, inBody: true)
                    let errors = src.validate(send)
                    if !errors.isEmpty { throw .validation(errors) }
                    let message = try await src.send(send, context: services.context(source: src.source, request: ctx))
                    return .json(201, message.json(includeRaw: raw))
                }
            }
        })

        add(.GET, "/messages", .async { request, ctx in
            await APIHandler.run(ctx) { () throws(GatewayError) in
                let (query, extra) = try ListQuery.parse(request, filters: [], extra: ["contact_id", "phone"])
                var contact: UnifiedID?
                if let c = extra["contact_id"] {
                    guard let id = UnifiedID(c) else { throw .badRequest("invalid query parameters", [FieldError("contact_id", "must be an id of the form <source>:<kind>:<remote id>")]) }
                    contact = id
                }
                let phone = extra["phone"]
                guard (contact == nil) != (phone == nil) else {
                    throw .badRequest("give exactly one of contact_id and phone", [FieldError(contact == nil ? "contact_id" : "phone", contact == nil ? "contact_id or phone is required" : "not together with contact_id")])
                }
                let src = try messaging(contact?.source ?? query.sources?.first)
                if let contact, contact.source != src.source || contact.kind != "contact" {
                    throw .badRequest("messages are kept by \(src.source)", [FieldError("contact_id", "must be a \(src.source) contact id")])
                }
                let page = try await SinglePartList.page(resource: "messages", source: src.source, key: contact?.description ?? "phone:" + (phone ?? ""),
                                                         query: query, maxPageSize: src.maxPageSize()) { page throws(GatewayError) in
                    try await src.history(contact: contact, phone: phone, page: page, context: services.context(source: src.source, request: ctx))
                }
                return .json(200, page.json(includeRaw: query.includeRaw))
            }
        })

        add(.GET, "/conversations", .async { request, ctx in
            await APIHandler.run(ctx) { () throws(GatewayError) in
                let (query, _) = try ListQuery.parse(request, filters: [.q])
                let src = try messaging(query.sources?.first)
                let unsupported = query.filter.present.subtracting(src.conversationFilters())
                if !unsupported.isEmpty {
                    throw .badRequest("a filter cannot be honoured", unsupported.map { FieldError($0.rawValue, "\(src.source) cannot filter conversations by it") })
                }
                let page = try await SinglePartList.page(resource: "conversations", source: src.source, key: "", query: query,
                                                         maxPageSize: src.maxPageSize()) { page throws(GatewayError) in
                    try await src.conversations(filter: query.filter, page: page, context: services.context(source: src.source, request: ctx))
                }
                return .json(200, page.json(includeRaw: query.includeRaw))
            }
        })

        for (action, archived) in [("archive", true), ("unarchive", false)] {
            add(.POST, "/conversations/{id}/\(action)", .async { request, ctx in
                await APIHandler.idempotent(request, ctx, services.idempotency) {
                    await APIHandler.run(ctx) { () throws(GatewayError) in
                        let raw = try Self.includeRaw(request)
                        let id = try APIHandler.id(ctx, noun: "conversation")
                        guard let src = sources.first(where: { $0.source == id.source }), id.kind == "conversation" else {
                            throw .notFound("no conversation \(id)")
                        }
                        let c = try await src.setArchived(id, archived, context: services.context(source: src.source, request: ctx))
                        return .json(200, c.json(includeRaw: raw))
                    }
                }
            })
        }
    }
}
