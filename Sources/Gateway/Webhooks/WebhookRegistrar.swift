import GatewayCore

/// Registers the gateway's receivers with the upstreams that can be told where to deliver
/// (issue 6): Text Request hooks (`POST /dashboards/{id}/hooks`) for the five events
/// `/webhooks/textrequest` normalizes, and Pipedrive webhooks (`POST /v1/webhooks`, v2
/// payloads, HTTP Basic credentials from `WebhookSecrets`) for the objects
/// `/webhooks/pipedrive` normalizes. Hana cannot be told: its URL is configured on Hana's side.
///
/// Idempotent: the existing hooks are listed first and only the missing ones are created,
/// so running it again creates nothing. Calls go through `UpstreamCaller` with each
/// upstream's own credential header, over the transport given (the gateway's guarded stack
/// when built from `GatewayServices`, so rate limits apply). Outcomes and errors never
/// carry a credential or the Basic password.
public struct WebhookRegistrar: Sendable {
    public enum Status: Sendable, Equatable, CustomStringConvertible {
        case created
        case alreadyPresent
        case failed(String)

        public var description: String {
            switch self {
            case .created: "created"
            case .alreadyPresent: "already present"
            case .failed(let why): "failed: \(why)"
            }
        }
    }

    /// One hook: which upstream, what it is for, where it points, and what happened.
    public struct Outcome: Sendable, Equatable, CustomStringConvertible {
        public var source: String
        /// Text Request's event (`msg_received`), or Pipedrive's `event_action.event_object` (`*.deal`).
        public var hook: String
        public var url: String
        public var status: Status

        public var description: String { "\(source) \(hook) -> \(url): \(status)" }
    }

    /// What `/webhooks/textrequest` normalizes.
    public static let textRequestEvents = ["msg_received", "msg_sent", "msg_status_updated", "contact_created", "contact_updated"]
    /// What `/webhooks/pipedrive` normalizes; each with `event_action` `*` (create, change
    /// and delete: all of Pipedrive's v2 actions, all normalized).
    public static let pipedriveObjects = ["person", "organization", "deal", "activity", "note", "stage", "pipeline"]
    static let requestID = "webhooks-register"

    let upstreams: [String: UpstreamSettings]
    let secrets: WebhookSecrets
    /// Scheme, host, port and base path of the gateway as the upstreams reach it, no trailing slash.
    public let publicURL: String
    let transport: @Sendable (String) -> any UpstreamTransport

    /// `transport` carries every call (the CLI's curl on its loop, a test's fake).
    public init(upstreams: [String: UpstreamSettings], secrets: WebhookSecrets, publicURL: String, transport: any UpstreamTransport) {
        self.init(upstreams: upstreams, secrets: secrets, publicURL: publicURL) { _ in transport }
    }

    /// The adapters' own call path: `services`' per-upstream stack on `loop` (rate limiter,
    /// circuit breaker, cache), with `services.settings` as the upstreams.
    public init(services: GatewayServices, loop: EventLoop, secrets: WebhookSecrets, publicURL: String) {
        self.init(upstreams: services.settings, secrets: secrets, publicURL: publicURL) { source in
            services.transport(for: loop, source: source) ?? UnavailableTransport()
        }
    }

    init(upstreams: [String: UpstreamSettings], secrets: WebhookSecrets, publicURL: String,
         transport: @escaping @Sendable (String) -> any UpstreamTransport) {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        self.upstreams = upstreams
        self.secrets = secrets
        self.publicURL = base
        self.transport = transport
    }

    /// Why `url` cannot be the public base URL (nil: it can): an absolute http(s) URL with a
    /// host, and no query or fragment (paths are appended to it).
    public static func problem(withPublicURL url: String) -> String? {
        let lower = url.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lower.hasPrefix($0) }) else {
            return "must start with http:// or https://"
        }
        let rest = url.dropFirst(scheme.count)
        let host = rest.prefix { $0 != "/" }
        if host.isEmpty { return "has no host" }
        if url.contains("?") || url.contains("#") { return "must not have a query or fragment" }
        if url.contains(" ") { return "must not contain spaces" }
        return nil
    }

    /// Registers what is missing at every configured upstream that takes registrations.
    public func register() async -> [Outcome] {
        var out: [Outcome] = []
        if let s = upstreams["textrequest"] { out += await registerTextRequest(s) }
        if let s = upstreams["pipedrive"] { out += await registerPipedrive(s) }
        return out
    }

    // MARK: Text Request

    private func registerTextRequest(_ settings: UpstreamSettings) async -> [Outcome] {
        let caller = UpstreamCaller(source: "textrequest", settings: settings)
        let context = AdapterContext(transport: transport("textrequest"), requestID: Self.requestID)
        let target = publicURL + "/webhooks/textrequest"
        let dashboard = settings.options["dashboard_id"] ?? "1"
        let path = "/api/v3/dashboards/\(FormEncoding.encode(dashboard))/hooks"
        var headers = HTTPHeaders()
        headers.add("x-api-key", settings.credential)
        func outcome(_ event: String, _ status: Status) -> Outcome {
            Outcome(source: "textrequest", hook: event, url: target, status: status)
        }
        // The hooks this dashboard has: (event, target_url), every page.
        var existing: [(event: String, url: String)] = []
        do {
            var page = 0
            while true {
                let r = try await caller.call("GET", path, query: [("page", String(page)), ("page_size", "100")], headers: headers,
                                              cacheReads: false, context: context)
                try caller.requireSuccess(r)
                let body = try caller.parse(r.body)
                let items = body["items"]?.arrayValue ?? []
                for h in items {
                    if let e = h["event"]?.stringValue, let u = h["target_url"]?.stringValue { existing.append((e, u)) }
                }
                let total = body["meta"]?["total_items"]?.intValue ?? 0
                page += 1
                if items.isEmpty || page * 100 >= total { break }
            }
        } catch {
            let why = "listing the hooks: " + redacted(Problem(error).detail, settings)
            return Self.textRequestEvents.map { outcome($0, .failed(why)) }
        }
        var out: [Outcome] = []
        for event in Self.textRequestEvents {
            if existing.contains(where: { $0.event == event && $0.url == target }) {
                out.append(outcome(event, .alreadyPresent))
                continue
            }
            let body: JSON = ["target_url": .string(target), "event": .string(event), "http_verb": "POST"]
            do {
                let r = try await caller.call("POST", path, headers: headers, body: body.serialized(), context: context)
                switch r.status {
                case 200, 201: out.append(outcome(event, .created))
                // "A webhook for this event and url already exists" (made since the listing).
                case 409: out.append(outcome(event, .alreadyPresent))
                default: out.append(outcome(event, .failed(refusal(r, settings))))
                }
            } catch {
                out.append(outcome(event, .failed(redacted(Problem(error).detail, settings))))
            }
        }
        return out
    }

    // MARK: Pipedrive

    private func registerPipedrive(_ settings: UpstreamSettings) async -> [Outcome] {
        let target = publicURL + "/webhooks/pipedrive"
        func outcome(_ object: String, _ status: Status) -> Outcome {
            Outcome(source: "pipedrive", hook: "*.\(object)", url: target, status: status)
        }
        guard let user = secrets.pipedriveUser, !user.isEmpty, let password = secrets.pipedrivePassword, !password.isEmpty else {
            // Without them our receiver would refuse every delivery.
            return Self.pipedriveObjects.map { outcome($0, .failed("no Pipedrive webhook Basic credentials are configured")) }
        }
        let caller = UpstreamCaller(source: "pipedrive", settings: settings)
        let context = AdapterContext(transport: transport("pipedrive"), requestID: Self.requestID)
        var headers = HTTPHeaders()
        headers.add("x-api-token", settings.credential)
        let hooks: [JSON]
        do {
            let r = try await caller.call("GET", "/api/v1/webhooks", headers: headers, cacheReads: false, context: context)
            try caller.requireSuccess(r)
            hooks = try caller.parse(r.body)["data"]?.arrayValue ?? []
        } catch {
            let why = "listing the webhooks: " + redacted(Problem(error).detail, settings)
            return Self.pipedriveObjects.map { outcome($0, .failed(why)) }
        }
        var out: [Outcome] = []
        for object in Self.pipedriveObjects {
            let same = hooks.filter { $0["subscription_url"]?.stringValue == target && $0["event_object"]?.stringValue == object }
            if let hook = same.first(where: { $0["event_action"]?.stringValue == "*" && $0["version"]?.stringValue == "2.0" }) {
                // Compared, never shown: the listing includes the password.
                if hook["http_auth_user"]?.stringValue == user && hook["http_auth_password"]?.stringValue == password {
                    out.append(outcome(object, .alreadyPresent))
                } else {
                    out.append(outcome(object, .failed("webhook \(hook["id"]?.intValue ?? 0) exists with other Basic credentials; delete it and run again")))
                }
                continue
            }
            if let other = same.first {
                // Another hook for the same object and URL would deliver some changes twice.
                let action = other["event_action"]?.stringValue ?? "?"
                let version = other["version"]?.stringValue ?? "?"
                out.append(outcome(object, .failed("webhook \(other["id"]?.intValue ?? 0) (\(action).\(object), version \(version)) already points here; delete it and run again")))
                continue
            }
            let body: JSON = [
                "subscription_url": .string(target), "event_action": "*", "event_object": .string(object),
                "name": .string("crm-gateway \(object)"), "version": "2.0",
                "http_auth_user": .string(user), "http_auth_password": .string(password),
            ]
            do {
                let r = try await caller.call("POST", "/api/v1/webhooks", headers: headers, body: body.serialized(), context: context)
                out.append(outcome(object, (200..<300).contains(r.status) ? .created : .failed(refusal(r, settings))))
            } catch {
                out.append(outcome(object, .failed(redacted(Problem(error).detail, settings))))
            }
        }
        return out
    }

    // MARK: reporting

    /// `HTTP 400: <the upstream's message>`, secrets removed.
    private func refusal(_ r: UpstreamResponse, _ settings: UpstreamSettings) -> String {
        let json = try? JSON.parse(r.body)
        let message = json?["error"]?.stringValue ?? json?["message"]?.stringValue ?? json?["Message"]?.stringValue
        return redacted("HTTP \(r.status)" + (message.map { ": " + String($0.prefix(300)) } ?? ""), settings)
    }

    /// `text` with every secret this registrar knows replaced.
    private func redacted(_ text: String, _ settings: UpstreamSettings) -> String {
        var t = text
        for secret in [settings.credential, secrets.pipedrivePassword, secrets.textRequestKey, secrets.hanaToken] {
            if let s = secret, s.count >= 4 { t = t.replacing(s, with: "[redacted]") }
        }
        return t
    }
}
