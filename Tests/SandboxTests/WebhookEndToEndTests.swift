import Testing
import Gateway
import GatewayCore
@testable import Sandbox

/// Webhooks from the emulators' real senders (and forged ones) into the gateway's durable inbox.
@Suite("Webhooks end to end")
struct WebhookEndToEndTests {
    func events(_ fx: GatewayFixture, after: Int = 0) async throws -> [JSON] {
        try await fx.call("GET", "/events?after=\(after)&limit=500").json?["data"]?.arrayValue ?? []
    }

    func eventually(_ fx: GatewayFixture, count: Int) async throws -> [JSON] {
        for _ in 0..<200 {
            let e = try await events(fx)
            if e.count >= count { return e }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await events(fx)
    }

    @Test func hanaDeliveriesFromTheEmulatorBecomeEvents() async throws {
        let fx = try GatewayFixture()
        let target = "http://\(fx.address)/webhooks/hana/{event}?token=sandbox-secret"
        let r = try await fx.sandboxFixture.call("hana", "POST", "/_sandbox/hana/deliver",
                                                 json: ["event": "lead.updated", "count": 3, "target_url": .string(target)])
        #expect(r.status == 202)
        let got = try await eventually(fx, count: 3)
        #expect(got.count == 3)
        #expect(got.allSatisfy { $0["type"] == "contact.updated" && $0["source"] == "hana" })
        #expect(got.allSatisfy { $0["subject_id"]?.stringValue?.hasPrefix("hana:lead:") == true })
        #expect(got.map { $0["id"]?.intValue ?? 0 } == [1, 2, 3])
        let metrics = try await fx.call("GET", "/metrics")
        #expect(metrics.text.contains("crmgw_events_received_total{source=\"hana\"} 3"))
    }

    @Test func forgedSendersGet401AndNothingIsStored() async throws {
        let fx = try GatewayFixture()
        let hana = try await fx.call("POST", "/webhooks/hana/lead.created?token=guess", raw: Array("{}".utf8))
        #expect(hana.status == 401)
        #expect(hana.headers["WWW-Authenticate"] == "Bearer")
        let tr = try await fx.call("POST", "/webhooks/textrequest", headers: [("x-tr-webhook-timestamp", "1736933400"), ("x-tr-webhook-signature", "AAAA")],
                                   raw: Array("{}".utf8))
        #expect(tr.status == 401)
        let pd = try await fx.call("POST", "/webhooks/pipedrive", headers: [("Authorization", "Basic " + Base64.encode(Array("sandbox:guess".utf8)))],
                                   raw: Array("{}".utf8))
        #expect(pd.status == 401)
        #expect(try await events(fx).isEmpty)
        #expect(try await fx.services.inbox!.store.counts().deliveries == 0)
    }

    @Test func aRepeatIsStoredOnceAndAMalformedBodyIsADeadLetter() async throws {
        let fx = try GatewayFixture()
        let body = Array(#"{"meta":{"action":"change","entity":"deal","entity_id":"3","id":"delivery-1"},"data":{"id":3},"previous":{}}"#.utf8)
        let auth = ("Authorization", "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8)))
        let first = try await fx.call("POST", "/webhooks/pipedrive", headers: [auth], raw: body)
        #expect(first.status == 200)
        #expect(first.json?["status"] == "stored")
        let again = try await fx.call("POST", "/webhooks/pipedrive", headers: [auth], raw: body)
        #expect(again.status == 200)
        #expect(again.json?["status"] == "duplicate")
        #expect(try await events(fx).count == 1)
        let broken = try await fx.call("POST", "/webhooks/pipedrive", headers: [auth], raw: Array("{not json".utf8))
        #expect(broken.status == 400)
        #expect(try await fx.services.inbox!.store.counts().deadLetters == 1)
    }

    @Test func aSignedTextRequestMessageIsAMessageEvent() async throws {
        let fx = try GatewayFixture()
        let body = #"{"messageUniqueIdentifier":"m-1","conversation":{"consumerPhoneNumber":"14235550123","messageDirection":"R","message":"hi","date":"2025-01-15T09:29:00.000Z"}}"#
        let ts = String(UTCTime(epochMillis: fx.sandboxFixture.clock.nowMillis()).epochSeconds)
        let sig = Base64.encode(hmacSHA256(key: Array("sandbox-key".utf8), message: Array("\(ts).\(body)".utf8)))
        let r = try await fx.call("POST", "/webhooks/textrequest", headers: [("x-tr-webhook-timestamp", ts), ("x-tr-webhook-signature", sig)], raw: Array(body.utf8))
        #expect(r.status == 200, "\(r.text)")
        let e = try await events(fx)
        #expect(e.first?["type"] == "message.received")
        #expect(e.first?["data"]?["contact_id"] == "textrequest:contact:1:14235550123")
    }
}

@Suite("Webhooks end to end: Pipedrive's own sender")
struct PipedriveWebhookEndToEndTests {
    @Test func aDealChangeDeliveredByPipedriveInvalidatesTheCachedDeal() async throws {
        let fx = try GatewayFixture()
        let token = [("x-api-token", "sandbox-key")]
        let hook = try await fx.sandboxFixture.call("pipedrive", "POST", "/api/v1/webhooks", headers: token, json: [
            "subscription_url": .string("http://\(fx.address)/webhooks/pipedrive"), "event_action": "change", "event_object": "deal",
            "version": "2.0", "name": "gateway", "http_auth_user": "sandbox", "http_auth_password": "sandbox-secret",
        ])
        #expect(hook.status == 201 || hook.status == 200, "\(String(decoding: hook.body, as: UTF8.self))")
        let before = try await fx.call("GET", "/deals/pipedrive:deal:5")
        #expect(before.status == 200)
        let cached = try await fx.call("GET", "/deals/pipedrive:deal:5")
        #expect(cached.headers["Cache-Status"]?.contains("hit") == true)
        // The deal changes in Pipedrive itself (not through the gateway); Pipedrive tells us.
        let patched = try await fx.sandboxFixture.call("pipedrive", "PATCH", "/api/v2/deals/5", headers: token, json: ["title": "Renamed upstream"])
        #expect(patched.status == 200)
        var after: GatewayFixture.Answer?
        for _ in 0..<100 {
            let e = try await fx.call("GET", "/events?limit=10").json?["data"]?.arrayValue ?? []
            if e.contains(where: { $0["type"] == "deal.updated" && $0["subject_id"] == "pipedrive:deal:5" }) {
                after = try await fx.call("GET", "/deals/pipedrive:deal:5")
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let fresh = try #require(after)
        #expect(fresh.json?["title"] == "Renamed upstream")
        #expect(fresh.headers["Cache-Status"]?.contains("hit") == false)
    }
}

@Suite("Webhooks end to end: Text Request's own sender")
struct TextRequestWebhookEndToEndTests {
    @Test func anInboundTextBecomesAMessageEventAndShowsInTheConversation() async throws {
        let fx = try GatewayFixture()
        let key = [("x-api-key", "sandbox-key")]
        let hook = try await fx.sandboxFixture.call("textrequest", "POST", "/api/v3/dashboards/1/hooks", headers: key, json: [
            "event": "msg_received", "target_url": .string("http://\(fx.address)/webhooks/textrequest"),
        ])
        #expect(hook.status == 201)
        // The conversation is read (and cached) first.
        let phone = "4235550177"
        let before = try await fx.call("GET", "/messages?phone=\(phone)")
        let countBefore = before.json?["data"]?.arrayValue?.count ?? 0
        let delivered = try await fx.sandboxFixture.call("textrequest", "POST", "/_sandbox/textrequest/deliver",
                                                         json: ["event": "msg_received", "phone": .string(phone), "body": "Inbound hello", "dashboard_id": 1])
        #expect(delivered.status == 202)
        var event: JSON?
        for _ in 0..<100 {
            let e = try await fx.call("GET", "/events?limit=50").json?["data"]?.arrayValue ?? []
            if let m = e.first(where: { $0["type"] == "message.received" }) { event = m; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let received = try #require(event)
        let subject = "textrequest:contact:1:1" + phone
        #expect(received["subject_id"]?.stringValue == subject)
        #expect(received["data"]?["body"] == "Inbound hello")
        let after = try await fx.call("GET", "/messages?phone=\(phone)")
        let bodies = after.json?["data"]?.arrayValue?.compactMap { $0["body"]?.stringValue } ?? []
        #expect(bodies.count == countBefore + 1)
        #expect(bodies.last == "Inbound hello")
    }
}

@Suite("Hana leads as contacts, from the inbox")
struct HanaContactsEndToEndTests {
    @Test func deliveredLeadsAreListedReadableAndPatchedThroughHana() async throws {
        let fx = try GatewayFixture()
        let target = "http://\(fx.address)/webhooks/hana/{event}?token=sandbox-secret"
        let r = try await fx.sandboxFixture.call("hana", "POST", "/_sandbox/hana/deliver", json: ["event": "lead.created", "count": 3, "target_url": .string(target)])
        #expect(r.status == 202)
        var listed: [JSON] = []
        for _ in 0..<100 {
            listed = try await fx.call("GET", "/contacts?source=hana").json?["data"]?.arrayValue ?? []
            if listed.count >= 3 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(listed.count == 3)
        let id = try #require(listed.first?["id"]?.stringValue)
        #expect(id.hasPrefix("hana:lead:"))
        let one = try await fx.call("GET", "/contacts/\(id)")
        #expect(one.status == 200)
        #expect(one.json?["display_name"] == listed.first?["display_name"])
        let before = try await fx.upstreamCalls("hana", "update")
        let patched = try await fx.call("PATCH", "/contacts/\(id)", json: ["display_name": "Nguyễn Thị Mai"])
        #expect(patched.status == 200, "\(patched.text)")
        #expect(patched.json?["display_name"] == "Nguyễn Thị Mai")
        #expect(try await fx.upstreamCalls("hana", "update") == before + 1)
        #expect(try await fx.call("PATCH", "/contacts/\(id)", json: ["title": "x"]).status == 422)
        #expect(try await fx.call("GET", "/contacts/hana:lead:not-delivered").status == 404)
    }
}

@Suite("Hana opportunities as deals, from the inbox")
struct HanaDealsEndToEndTests {
    @Test func deliveredOpportunitiesAreListedAndPatchedThroughHana() async throws {
        let fx = try GatewayFixture()
        let target = "http://\(fx.address)/webhooks/hana/{event}?token=sandbox-secret"
        let r = try await fx.sandboxFixture.call("hana", "POST", "/_sandbox/hana/deliver", json: ["event": "opportunity.created", "count": 2, "target_url": .string(target)])
        #expect(r.status == 202)
        var listed: [JSON] = []
        for _ in 0..<100 {
            listed = try await fx.call("GET", "/deals?source=hana").json?["data"]?.arrayValue ?? []
            if listed.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(listed.count == 2)
        let id = try #require(listed.first?["id"]?.stringValue)
        #expect(id.hasPrefix("hana:opportunity:"))
        #expect(listed.first?["contact_id"]?.stringValue?.hasPrefix("hana:lead:") == true)
        let before = try await fx.upstreamCalls("hana", "update")
        let patched = try await fx.call("PATCH", "/deals/\(id)", json: ["title": "Cập nhật ticket", "value": ["amount": 1000000]])
        #expect(patched.status == 200, "\(patched.text)")
        #expect(patched.json?["title"] == "Cập nhật ticket")
        #expect(patched.json?["value"]?["amount"] == 1000000)
        #expect(try await fx.upstreamCalls("hana", "update") == before + 1)
        #expect(try await fx.call("PATCH", "/deals/\(id)", json: ["status": "won"]).status == 422)
    }
}
