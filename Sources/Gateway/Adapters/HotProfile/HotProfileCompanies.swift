import GatewayCore

/// `/companies`: clients (顧客).
struct HotProfileCompanies: ResourceSource {
    let api: HotProfileAPI
    var source: String { HotProfileAPI.source }
    var kinds: [String] { [HotProfileEntity.clients.kind] }

    func operations(kind: String) -> Set<ResourceOperation> { kind == "client" ? [.list, .get, .create, .update] : [] }
    func filters(kind: String) -> Set<ListFilter.Name> { kind == "client" ? HotProfileFilters.names(.clients) : [] }
    func maxPageSize(kind: String) -> Int { HotProfileEntity.clients.maxPageSize }

    func validate(kind: String, _ write: CompanyWrite, creating: Bool) -> [FieldError] {
        guard kind == "client" else { return [FieldError("kind", "must be client")] }
        return HotProfileWritePlan.company(write, creating: creating).errors
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Company> {
        guard kind == "client" else { throw .badRequest("HotProfile companies are client records") }
        return try await api.list(.clients, filter, page, context: context) { (o) throws(GatewayError) in try HotProfileMapping.company(o) }
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Company {
        let (e, n) = try HotProfileAPI.remote(id, [.clients])
        return try HotProfileMapping.company(try await api.get(e, n, context: context))
    }

    func create(kind: String, _ write: CompanyWrite, context: AdapterContext) async throws(GatewayError) -> Company {
        guard kind == "client" else { throw .validation([FieldError("kind", "must be client")]) }
        return try HotProfileMapping.company(try await api.create(.clients, HotProfileWritePlan.company(write, creating: true), context: context))
    }

    func update(_ id: UnifiedID, _ write: CompanyWrite, context: AdapterContext) async throws(GatewayError) -> Company {
        let (e, n) = try HotProfileAPI.remote(id, [.clients])
        return try HotProfileMapping.company(try await api.update(e, n, HotProfileWritePlan.company(write, creating: false), context: context))
    }
}
