import GatewayCore

/// Pipedrive (`source: "pipedrive"`): persons, organizations, deals, pipelines, stages and
/// activities through API v2; notes through v1; a passthrough to both. Authenticates with
/// the `x-api-token` header.
///
/// Files: `PipedriveClient` (auth, envelope, paging), `PipedriveIDs` (ids, filters),
/// `PipedriveMapping` (records to the unified model), `PipedriveValidation` (write checks,
/// body helpers), `PipedriveMetadata` (stage/pipeline names), `PipedriveSearch`, one file per
/// resource, `PipedrivePassthrough`.
public struct PipedriveAdapter: SourceAdapter {
    public let source = PipedriveClient.source
    let client: PipedriveClient

    public init(settings: UpstreamSettings) {
        client = PipedriveClient(settings: settings)
    }

    public var contacts: (any ResourceSource<Contact, ContactWrite>)? { PipedrivePersons(client: client) }
    public var companies: (any ResourceSource<Company, CompanyWrite>)? { PipedriveOrganizations(client: client) }
    public var deals: (any ResourceSource<Deal, DealWrite>)? { PipedriveDeals(client: client) }
    public var pipelines: (any ResourceSource<Pipeline, NoWrite>)? { PipedrivePipelines(client: client) }
    public var stages: (any ResourceSource<Stage, NoWrite>)? { PipedriveStages(client: client) }
    public var activities: (any ResourceSource<Activity, ActivityWrite>)? { PipedriveActivities(client: client) }
    public var notes: (any NoteSource)? { PipedriveNotes(client: client) }
    public var passthrough: (any PassthroughSource)? { PipedrivePassthrough(client: client) }

    /// Stage and pipeline names as deal reads use them (for a later cache).
    public func metadata(context: AdapterContext) async throws(GatewayError) -> PipedriveMetadata {
        try await PipedriveMetadata.load(client, context: context)
    }
}
