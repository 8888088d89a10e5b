import Testing
import Gateway
import GatewayCore
@testable import Sandbox

/// `WebhookRegistrar` against the Text Request and Pipedrive emulators, then their own
/// senders delivering to what it registered.
@Suite("Webhook registration end to end")
struct WebhookRegistrarEndToEndTests {
    func register(_ fx: GatewayFixture, secrets: WebhookSecrets = .sandbox) async -> [WebhookRegistrar.Outcome] {
        let registrar = WebhookRegistrar(services: fx.services, loop: fx.gatewayThread.loop, secrets: secrets,
                                         publicURL: "http://\(fx.address)/")
        return await Task(executorPreference: fx.gatewayThread.loop) { await registrar.register() }.value
    }

    func textRequestHooks(_ fx: GatewayFixture) async throws -> [JSON] {
        let r = try await fx.sandboxFixture.call("textrequest", "GET", "/api/v3/dashboards/1/hooks", headers: [("x-api-key", "sandbox-key")])
        return try fx.sandboxFixture.json(r)["items"]?.arrayValue ?? []
    }

    func pipedriveHooks(_ fx: GatewayFixture) async throws -> [JSON] {
        let r = try await fx.sandboxFixture.call("pipedrive", "GET", "/api/v1/webhooks", headers: [("x-api-token", "sandbox-key")])
        return try fx.sandboxFixture.json(r)["data"]?.arrayValue ?? []
    }

    func eventually(_ fx: GatewayFixture, _ match: (JSON) -> Bool) async throws -> [JSON] {
        for _ in 0..<200 {
            let e = try await fx.call("GET", "/events?limit=500").json?["data"]?.arrayValue ?? []
            if e.contains(where: match) { return e.filter(match) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return []
    }

    @Test func registersEverythingOnceThenNothingAndTheHooksDeliver() async throws {
        let fx = try GatewayFixture()
        let base = "http://\(fx.address)"
        let first = await register(fx)
        #expect(first.count == 12)
        #expect(first.allSatisfy { $0.status == .created }, "\(first)")
        #expect(first.filter { $0.source == "textrequest" }.map(\.hook) == WebhookRegistrar.textRequestEvents)
        #expect(first.filter { $0.source == "pipedrive" }.map(\.hook) == WebhookRegistrar.pipedriveObjects.map { "*." + $0 })
        for o in first {
            #expect(!o.description.contains("sandbox-secret") && !o.description.contains("sandbox-key"))
        }

        // What the emulators now hold, exactly.
        let tr = try await textRequestHooks(fx)
        #expect(tr.count == 5)
        #expect(Set(tr.compactMap { $0["event"]?.stringValue }) == Set(WebhookRegistrar.textRequestEvents))
        #expect(tr.allSatisfy { $0["target_url"]?.stringValue == base + "/webhooks/textrequest" && $0["httpVerb"] == "POST" })
        let pd = try await pipedriveHooks(fx)
        #expect(pd.count == 7)
        #expect(Set(pd.compactMap { $0["event_object"]?.stringValue }) == Set(WebhookRegistrar.pipedriveObjects))
        #expect(pd.allSatisfy { h in
            h["subscription_url"]?.stringValue == base + "/webhooks/pipedrive" && h["event_action"] == "*" && h["version"] == "2.0"
                && h["http_auth_user"] == "sandbox" && h["http_auth_password"] == "sandbox-secret"
        })

        // Again: everything is there, nothing is created.
        let second = await register(fx)
        #expect(second.count == 12)
        #expect(second.allSatisfy { $0.status == .alreadyPresent }, "\(second)")
        #expect(try await fx.upstreamCalls("textrequest", "hooks.create") == 5)
        #expect(try await fx.upstreamCalls("pipedrive", "webhooks.create") == 7)
        #expect(try await textRequestHooks(fx).count == 5)
        #expect(try await pipedriveHooks(fx).count == 7)

        // Text Request's sender, through the registered hook: signed, accepted, one event.
        let delivered = try await fx.sandboxFixture.call("textrequest", "POST", "/_sandbox/textrequest/deliver",
                                                         json: ["event": "msg_received", "phone": "4235550188", "body": "Registered hello"])
        #expect(delivered.status == 202)
        // A new number: contact_created, then msg_received, each through its own hook.
        #expect(try fx.sandboxFixture.json(delivered)["queued"] == 2)
        let messages = try await eventually(fx) { $0["type"] == "message.received" }
        #expect(messages.count == 1)
        #expect(messages.first?["data"]?["body"] == "Registered hello")
        #expect(messages.first?["subject_id"] == "textrequest:contact:1:14235550188")
        let contacts = try await eventually(fx) { $0["type"] == "contact.created" && $0["source"] == "textrequest" }
        #expect(contacts.count == 1)
        #expect(contacts.first?["subject_id"] == "textrequest:contact:1:14235550188")

        // Pipedrive's sender, with the Basic credentials it was given.
        let patched = try await fx.sandboxFixture.call("pipedrive", "PATCH", "/api/v2/deals/5", headers: [("x-api-token", "sandbox-key")],
                                                       json: ["title": "Registered change"])
        #expect(patched.status == 200)
        let deals = try await eventually(fx) { $0["type"] == "deal.updated" && $0["subject_id"] == "pipedrive:deal:5" }
        #expect(deals.count == 1)
        #expect(deals.first?["data"]?["current"]?["title"] == "Registered change")
    }

    @Test func missingCredentialsAndAConflictingHookAreReportedNotPapered() async throws {
        let fx = try GatewayFixture()
        let base = "http://\(fx.address)"
        // Someone registered change.deal by hand already: a second hook would double deal changes.
        let manual = try await fx.sandboxFixture.call("pipedrive", "POST", "/api/v1/webhooks", headers: [("x-api-token", "sandbox-key")], json: [
            "subscription_url": .string(base + "/webhooks/pipedrive"), "event_action": "change", "event_object": "deal",
            "version": "2.0", "name": "by hand", "http_auth_user": "sandbox", "http_auth_password": "sandbox-secret",
        ])
        #expect(manual.status == 201)
        let outcomes = await register(fx)
        let deal = outcomes.first { $0.hook == "*.deal" }
        guard case .failed(let why)? = deal?.status else {
            Issue.record("*.deal: \(String(describing: deal))")
            return
        }
        #expect(why.contains("change.deal"))
        #expect(outcomes.filter { $0.status == .created }.count == 11)
        #expect(try await pipedriveHooks(fx).count == 7)

        // No Basic credentials for Pipedrive: nothing is registered there (every delivery would
        // be refused), and Text Request is unaffected.
        let fx2 = try GatewayFixture()
        var secrets = WebhookSecrets.sandbox
        secrets.pipedrivePassword = nil
        let without = await register(fx2, secrets: secrets)
        #expect(without.filter { $0.source == "pipedrive" }.allSatisfy { $0.status == .failed("no Pipedrive webhook Basic credentials are configured") })
        #expect(without.filter { $0.source == "textrequest" }.allSatisfy { $0.status == .created })
        #expect(try await pipedriveHooks(fx2).isEmpty)
    }

    @Test func aPublicURLMustBeAnAbsoluteHTTPURL() {
        #expect(WebhookRegistrar.problem(withPublicURL: "https://crm.example.com/gw") == nil)
        #expect(WebhookRegistrar.problem(withPublicURL: "ftp://crm.example.com") == "must start with http:// or https://")
        #expect(WebhookRegistrar.problem(withPublicURL: "https:///path") == "has no host")
        #expect(WebhookRegistrar.problem(withPublicURL: "https://x/?a=1") == "must not have a query or fragment")
    }
}
