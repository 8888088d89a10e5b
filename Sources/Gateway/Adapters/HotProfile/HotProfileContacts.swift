import GatewayCore

/// `/contacts`: business cards (名刺) and leads (リード), each paged on its own.
struct HotProfileContacts: ResourceSource {
    let api: HotProfileAPI
    var source: String { HotProfileAPI.source }
    var kinds: [String] { [HotProfileEntity.businessCards.kind, HotProfileEntity.leads.kind] }
    static let entities: [HotProfileEntity] = [.businessCards, .leads]

    func operations(kind: String) -> Set<ResourceOperation> { entity(kind) == nil ? [] : [.list, .get, .create, .update] }
    func filters(kind: String) -> Set<ListFilter.Name> { entity(kind).map(HotProfileFilters.names) ?? [] }
    func maxPageSize(kind: String) -> Int { entity(kind)?.maxPageSize ?? 100 }

    func entity(_ kind: String) -> HotProfileEntity? {
        HotProfileEntity(kind: kind).flatMap { Self.entities.contains($0) ? $0 : nil }
    }

    func validate(kind: String, _ write: ContactWrite, creating: Bool) -> [FieldError] {
        guard let e = entity(kind) else { return [FieldError("kind", "must be business_card or lead")] }
        return HotProfileWritePlan.contact(e, write, creating: creating).errors
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Contact> {
        guard let e = entity(kind) else { throw .badRequest("HotProfile contacts are business_card or lead records") }
        return try await api.list(e, filter, page, context: context) { (o) throws(GatewayError) in try HotProfileMapping.contact(o, e) }
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Contact {
        let (e, n) = try HotProfileAPI.remote(id, Self.entities)
        return try HotProfileMapping.contact(try await api.get(e, n, context: context), e)
    }

    func create(kind: String, _ write: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        guard let e = entity(kind) else { throw .validation([FieldError("kind", "must be business_card or lead")]) }
        let record = try await api.create(e, HotProfileWritePlan.contact(e, write, creating: true), context: context)
        return try HotProfileMapping.contact(record, e)
    }

    func update(_ id: UnifiedID, _ write: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        let (e, n) = try HotProfileAPI.remote(id, Self.entities)
        let record = try await api.update(e, n, HotProfileWritePlan.contact(e, write, creating: false), context: context)
        return try HotProfileMapping.contact(record, e)
    }
}
