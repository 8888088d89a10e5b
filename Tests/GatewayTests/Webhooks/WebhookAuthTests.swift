import Testing
@testable import Gateway
import GatewayCore

@Suite("Webhook sender authentication")
struct WebhookAuthTests {
    @Test func hanaTakesTheTokenFromTheURLOrABearerHeader() {
        #expect(WebhookAuth.hana(query: "token=sandbox-secret", headers: [:], secret: "sandbox-secret") == nil)
        #expect(WebhookAuth.hana(query: nil, headers: ["Authorization": "Bearer sandbox-secret"], secret: "sandbox-secret") == nil)
        #expect(WebhookAuth.hana(query: "token=nope", headers: [:], secret: "sandbox-secret") == "wrong token")
        #expect(WebhookAuth.hana(query: nil, headers: [:], secret: "sandbox-secret") == "missing token")
        #expect(WebhookAuth.hana(query: "token=x", headers: [:], secret: nil) != nil)
    }

    func signed(_ body: String, ts: String, key: String = "sandbox-key") -> HTTPHeaders {
        let sig = Base64.encode(hmacSHA256(key: Array(key.utf8), message: Array("\(ts).\(body)".utf8)))
        return ["x-tr-webhook-timestamp": ts, "x-tr-webhook-signature": sig]
    }

    @Test func textRequestChecksTheSignatureOverTimestampAndBody() {
        let body = #"{"message_id":"m1","status":"delivered"}"#
        let ok = signed(body, ts: "1736933400")
        #expect(WebhookAuth.textRequest(headers: ok, body: Array(body.utf8), key: "sandbox-key", nowSeconds: 1_736_933_400, window: 300) == nil)
        // Another body, another key, a replay outside the window, a malformed header: refused.
        #expect(WebhookAuth.textRequest(headers: ok, body: Array((body + " ").utf8), key: "sandbox-key", nowSeconds: 1_736_933_400, window: 300) == "wrong signature")
        #expect(WebhookAuth.textRequest(headers: signed(body, ts: "1736933400", key: "other"), body: Array(body.utf8), key: "sandbox-key", nowSeconds: 1_736_933_400, window: 300) == "wrong signature")
        #expect(WebhookAuth.textRequest(headers: ok, body: Array(body.utf8), key: "sandbox-key", nowSeconds: 1_736_933_701, window: 300) == "timestamp outside the 300 s window")
        #expect(WebhookAuth.textRequest(headers: ["x-tr-webhook-timestamp": "soon", "x-tr-webhook-signature": "AAAA"], body: [], key: "sandbox-key", nowSeconds: 0, window: 300) != nil)
    }

    @Test func pipedriveChecksBasicCredentials() {
        let good = "Basic " + Base64.encode(Array("sandbox:sandbox-secret".utf8))
        #expect(WebhookAuth.pipedrive(headers: ["Authorization": good], user: "sandbox", password: "sandbox-secret") == nil)
        let bad = "Basic " + Base64.encode(Array("sandbox:guess".utf8))
        #expect(WebhookAuth.pipedrive(headers: ["Authorization": bad], user: "sandbox", password: "sandbox-secret") == "wrong credentials")
        #expect(WebhookAuth.pipedrive(headers: [:], user: "sandbox", password: "sandbox-secret") == "missing Basic credentials")
    }
}

@Suite("Webhook payloads to normalized events")
struct WebhookNormalizerTests {
    let now = UTCTime(epochSeconds: 1_736_933_400)

    @Test func hanaLeadUpdatedBecomesAContactEventKeyedByItsBytes() throws {
        let body = Array(#"{"application":{"id":"app"},"lead":{"id":{"nomalizeData":"L1","rawData":"L1"},"baseName":{"nomalizeData":"Thu Hương","rawData":"Thu Hương"}},"conversation":{"conversationUrl":"https://x"}}"#.utf8)
        let d = try WebhookNormalizer.hana(event: "lead.updated", body: body, receivedAt: now)
        #expect(d.events.count == 1)
        #expect(d.events[0].type == "contact.updated")
        #expect(d.events[0].subjectID == "hana:lead:L1")
        #expect(d.events[0].occurredAt == "2025-01-15T09:30:00Z")
        #expect(d.events[0].data["lead"]?["baseName"]?["rawData"] == "Thu Hương")
        let again = try WebhookNormalizer.hana(event: "lead.updated", body: body, receivedAt: now)
        #expect(again.dedupeKey == d.dedupeKey)
        let other = try WebhookNormalizer.hana(event: "lead.created", body: body, receivedAt: now)
        #expect(other.dedupeKey != d.dedupeKey)
        #expect(throws: MalformedDelivery.self) { try WebhookNormalizer.hana(event: "lead.exploded", body: body, receivedAt: now) }
        #expect(throws: MalformedDelivery.self) { try WebhookNormalizer.hana(event: "opportunity.created", body: body, receivedAt: now) }
        #expect(throws: MalformedDelivery.self) { try WebhookNormalizer.hana(event: "lead.created", body: Array("{".utf8), receivedAt: now) }
    }

    @Test func textRequestEventsAreRecognisedByShape() throws {
        let received = Array(#"{"messageUniqueIdentifier":"m-9","conversation":{"consumerPhoneNumber":"14235550123","messageDirection":"R","message":"hello","date":"2025-01-15T09:29:00.000Z"}}"#.utf8)
        let d = try WebhookNormalizer.textRequest(body: received, event: nil, dashboard: "1", receivedAt: now)
        #expect(d.kind == "msg_received")
        #expect(d.events[0].type == "message.received")
        #expect(d.events[0].subjectID == "textrequest:contact:1:14235550123")
        #expect(d.events[0].data["body"] == "hello")
        #expect(d.invalidates.contains("textrequest:1:messages:14235550123"))
        let status = try WebhookNormalizer.textRequest(body: Array(#"{"message_id":"m-9","status":"Delivered","error_code":null}"#.utf8), event: nil, dashboard: "1", receivedAt: now)
        #expect(status.events[0].type == "message.status_updated")
        #expect(status.events[0].data["status"] == "delivered")
        #expect(throws: MalformedDelivery.self) { try WebhookNormalizer.textRequest(body: Array("[]".utf8), event: nil, dashboard: "1", receivedAt: now) }
    }

    @Test func pipedriveV2DealChangeIsADealUpdatedKeyedByTheDeliveryID() throws {
        let body = Array(#"{"meta":{"action":"change","entity":"deal","entity_id":"42","id":"d-uuid-1","timestamp":"2025-01-15T09:00:00.000Z"},"data":{"id":42,"title":"T"},"previous":{"title":"S"}}"#.utf8)
        let d = try WebhookNormalizer.pipedrive(body: body, receivedAt: now)
        #expect(d.dedupeKey == "pipedrive:d-uuid-1")
        #expect(d.events[0].type == "deal.updated")
        #expect(d.events[0].subjectID == "pipedrive:deal:42")
        #expect(d.events[0].data["previous"]?["title"] == "S")
        #expect(d.invalidates == ["pipedrive:deals:list", "pipedrive:deals:42"])
        #expect(throws: MalformedDelivery.self) { try WebhookNormalizer.pipedrive(body: Array(#"{"meta":{}}"#.utf8), receivedAt: now) }
    }
}
