/// Every upstream adapter this build has, by source name. Adding an upstream: one folder
/// under `Sources/Gateway/Adapters/` and one line here.
public enum AdapterRegistry {
    public static let sources = ["hotprofile", "pipedrive", "textrequest"]

    /// The adapters for the configured upstreams (unknown names are ignored here; the
    /// configuration rejects them before this is called).
    public static func adapters(for settings: [String: UpstreamSettings]) -> [any SourceAdapter] {
        var out: [any SourceAdapter] = []
        if let s = settings["pipedrive"] { out.append(PipedriveAdapter(settings: s)) }
        if let s = settings["hotprofile"] { out.append(HotProfileAdapter(settings: s)) }
        if let s = settings["textrequest"] { out.append(TextRequestAdapter(settings: s)) }
        return out
    }

    /// The same, plus the adapters that read from the webhook inbox (Hana has no read API).
    public static func adapters(for settings: [String: UpstreamSettings], events: EventStore?) -> [any SourceAdapter] {
        var out = adapters(for: settings)
        if let s = settings["hana"], let events { out.append(HanaAdapter(settings: s, store: events)) }
        return out
    }
}
