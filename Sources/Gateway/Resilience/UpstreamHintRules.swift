import GatewayCore

/// What each upstream path means to the cache and the limiter: which reads may be cached
/// (and under which TTL class), what they are about, and what a write changes. Derived from
/// the path, so adapters and passthrough get the same rules. Tags are
/// `<source>:<collection>:list` for lists and searches, `<source>:<collection>:<id>` for one
/// record; a write drops its collection's lists and its record.
public enum UpstreamHintRules {
    public static func hints(source: String, method: String, path: String) -> UpstreamHints {
        let segments = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/").map(String.init) } ?? []
        switch source {
        case "pipedrive": return pipedrive(method, segments)
        case "hotprofile": return hotprofile(method, segments)
        case "textrequest": return textrequest(method, segments)
        default: return UpstreamHints(retryable: method == "GET")
        }
    }

    /// `/api/v2/<collection>[/<id>|/search]`, `/api/v1/notes[/<id>]`.
    static func pipedrive(_ method: String, _ s: [String]) -> UpstreamHints {
        guard s.count >= 3, s[0] == "api" else { return UpstreamHints(retryable: method == "GET") }
        let collection = s[2]
        let id = s.count >= 4 && s[3] != "search" ? s[3] : nil
        let search = s.count >= 4 && s[3] == "search"
        let list = "pipedrive:\(collection):list"
        if method == "GET" {
            let cacheClass: String? = switch collection {
            case "persons": "contacts"
            case "organizations": "companies"
            case "deals": "deals"
            case "activities": "activities"
            case "notes": "notes"
            case "pipelines", "stages", "dealFields", "personFields", "organizationFields", "users": "metadata"
            default: nil
            }
            var h = UpstreamHints.read(cacheClass, tags: [id.map { "pipedrive:\(collection):\($0)" } ?? list])
            if search { h.bucket = "search" }
            return h
        }
        var tags = [list]
        if let id { tags.append("pipedrive:\(collection):\(id)") }
        return .write(invalidating: tags)
    }

    /// `/rest_api/v1/<entity>/<action>[.json]`: every call is a POST; `get_entry_list*` reads.
    static func hotprofile(_ method: String, _ s: [String]) -> UpstreamHints {
        guard s.count >= 4, s[0] == "rest_api" else { return UpstreamHints(retryable: method == "GET") }
        let entity = s[2]
        var action = s[3]
        if action.hasSuffix(".json") { action.removeLast(5) }
        if action.hasPrefix("get_entry_list") {
            let cacheClass = entity == "clients" ? "companies" : "contacts"
            return .read(cacheClass, tags: ["hotprofile:\(entity):list"])
        }
        // A client's name shows on its cards and leads.
        var tags = ["hotprofile:\(entity):list"]
        if entity == "clients" { tags += ["hotprofile:business_cards:list", "hotprofile:leads:list"] }
        return .write(invalidating: tags)
    }

    /// `/api/v3/dashboards/<d>/contacts[/<phone>[/messages|/conversations/...]]`,
    /// `/api/v3/dashboards/<d>/conversations`, `/api/v3/dashboards/<d>`.
    static func textrequest(_ method: String, _ s: [String]) -> UpstreamHints {
        guard s.count >= 4, s[0] == "api", s[2] == "dashboards" else { return UpstreamHints(retryable: method == "GET") }
        let d = s[3]
        let rest = Array(s.dropFirst(4))
        let contacts = "textrequest:\(d):contacts:list"
        let conversations = "textrequest:\(d):conversations:list"
        if method == "GET" {
            switch rest.count {
            case 0: return .read("metadata", tags: ["textrequest:\(d):dashboard"])
            case 1 where rest[0] == "contacts": return .read("contacts", tags: [contacts])
            case 1 where rest[0] == "conversations": return .read("conversations", tags: [conversations])
            case 2 where rest[0] == "contacts": return .read("contacts", tags: ["textrequest:\(d):contacts:\(rest[1])"])
            case 3 where rest[0] == "contacts" && rest[2] == "messages": return .read("messages", tags: ["textrequest:\(d):messages:\(rest[1])"])
            default: return .read(nil)
            }
        }
        guard rest.count >= 2, rest[0] == "contacts" else { return .write(invalidating: [contacts, conversations]) }
        let phone = rest[1]
        var tags = [contacts, conversations, "textrequest:\(d):contacts:\(phone)"]
        var bucket: String?
        if rest.count >= 3 && rest[2] == "messages" {
            tags.append("textrequest:\(d):messages:\(phone)")
            bucket = method == "POST" ? "send" : nil
        }
        if method == "DELETE" { tags.append("textrequest:\(d):messages:\(phone)") }
        return .write(invalidating: tags, bucket: bucket)
    }
}
