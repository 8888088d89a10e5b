import GatewayCore

/// HotProfile (Hammock, Japan): contacts from business cards and leads, companies from
/// clients, and passthrough to `/rest_api/v1/`. HotProfile has no delete API, so deletes
/// answer 405 (the protocol's default). See `HotProfileAPI` for how calls are made.
public struct HotProfileAdapter: SourceAdapter {
    public let source = HotProfileAPI.source
    let api: HotProfileAPI

    public init(settings: UpstreamSettings) {
        api = HotProfileAPI(settings: settings)
    }

    public var contacts: (any ResourceSource<Contact, ContactWrite>)? { HotProfileContacts(api: api) }
    public var companies: (any ResourceSource<Company, CompanyWrite>)? { HotProfileCompanies(api: api) }
    public var passthrough: (any PassthroughSource)? { HotProfilePassthrough(api: api) }
}
