import GatewayCore

/// `/pipelines` from `/api/v2/pipelines` (list, get; no filters).
struct PipedrivePipelines: ResourceSource {
    typealias Write = NoWrite
    let client: PipedriveClient
    var source: String { PipedriveClient.source }
    var kinds: [String] { ["pipeline"] }
    static let path = "/api/v2/pipelines"

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get] }
    func filters(kind: String) -> Set<ListFilter.Name> { [] }
    func maxPageSize(kind: String) -> Int { 500 }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Pipeline> {
        let result = try await client.list(Self.path, query: PipedriveClient.paging(page), context: context)
        var items: [Pipeline] = []
        for p in result.items.prefix(page.size) { items.append(try PipedriveMapping.pipeline(p)) }
        return SourcePage(items: items, next: result.next)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Pipeline {
        let n = try PipedriveID.require(id, kind: "pipeline")
        return try PipedriveMapping.pipeline(try await client.record("GET", "\(Self.path)/\(n)", context: context))
    }
}

/// `/stages` from `/api/v2/stages` (list with `pipeline_id`, get). The pipeline's name comes
/// from one pipelines load per call.
struct PipedriveStages: ResourceSource {
    typealias Write = NoWrite
    let client: PipedriveClient
    var source: String { PipedriveClient.source }
    var kinds: [String] { ["stage"] }
    static let path = "/api/v2/stages"

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get] }
    func filters(kind: String) -> Set<ListFilter.Name> { [.pipeline_id] }
    func maxPageSize(kind: String) -> Int { 500 }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Stage> {
        var query = PipedriveClient.paging(page)
        if let p = try PipedriveFilter.id(filter, .pipeline_id, kind: "pipeline") { query.append(("pipeline_id", String(p))) }
        let result = try await client.list(Self.path, query: query, context: context)
        let rows = Array(result.items.prefix(page.size))
        guard !rows.isEmpty else { return SourcePage(items: [], next: result.next) }
        let meta = try await PipedriveMetadata.load(client, stages: false, context: context)
        var items: [Stage] = []
        for s in rows { items.append(try PipedriveMapping.stage(s, pipelines: meta.pipelines)) }
        return SourcePage(items: items, next: result.next)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Stage {
        let n = try PipedriveID.require(id, kind: "stage")
        let s = try await client.record("GET", "\(Self.path)/\(n)", context: context)
        let meta = try await PipedriveMetadata.load(client, stages: false, context: context)
        return try PipedriveMapping.stage(s, pipelines: meta.pipelines)
    }
}
