import GatewayCore

/// Stage and pipeline names, for the `stage`/`pipeline` refs of deals and stages. Deals carry
/// only ids, so one load (all stages, all pipelines) serves a whole page instead of one
/// call per deal. A plain value so a cache can hold it later.
public struct PipedriveMetadata: Sendable, Equatable {
    public var pipelines: [Int: String]
    public var stages: [Int: String]

    public init(pipelines: [Int: String] = [:], stages: [Int: String] = [:]) {
        self.pipelines = pipelines
        self.stages = stages
    }

    /// Largest page of `/api/v2/stages` and `/api/v2/pipelines`; a company has few of them.
    static let pageSize = 500

    /// Pipelines, and stages unless `stages` is false: `GET /api/v2/pipelines` then
    /// `GET /api/v2/stages`, following cursors.
    static func load(_ client: PipedriveClient, stages: Bool = true, context: AdapterContext) async throws(GatewayError) -> PipedriveMetadata {
        var meta = PipedriveMetadata()
        meta.pipelines = try await names("/api/v2/pipelines", client, context)
        if stages { meta.stages = try await names("/api/v2/stages", client, context) }
        return meta
    }

    private static func names(_ path: String, _ client: PipedriveClient, _ context: AdapterContext) async throws(GatewayError) -> [Int: String] {
        var out: [Int: String] = [:]
        var cursor: String?
        repeat {
            let page = try await client.list(path, query: PipedriveClient.paging(PageRequest(size: pageSize, token: cursor)), context: context)
            for item in page.items {
                if let id = item["id"]?.intValue, let name = item["name"]?.stringValue { out[id] = name }
            }
            cursor = page.next
        } while cursor != nil
        return out
    }
}
