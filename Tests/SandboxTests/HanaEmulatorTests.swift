import Testing
import Gateway
import GatewayCore
@testable import Sandbox

private let updatePath = "/external-api/v1.0/update"
private let bearer = [("Authorization", "Bearer sandbox-key")]
private let appID = "dbd9a5f7-b3c4-45bb-a8eb-2b8e10bff8c2"
private let leadID = "3ee8e2ea-d149-4e24-98f0-072900b0b9f3"
private let opportunityID = "7ad14152-9be8-442d-bf0f-33c94b5db16d"
private let chatURL = "https://bot.hana.ai/apps/dbd9a5f7-b3c4-45bb-a8eb-2b8e10bff8c2/chats/5e6f3f81da043f97f8ae0c44"

/// Hana delivering its events to `receiver`, the way `serve --sandbox` points it at the gateway.
private func hanaSendingTo(_ receiver: RecordingReceiver) throws -> SandboxFixture {
    var options = SandboxOptions()
    options.hanaWebhookURL = receiver.url("/webhooks/hana/{event}?token=sandbox-secret")
    return try SandboxFixture(["hana"], options: options)
}

/// `{"nomalizeData": n, "rawData": r}` (sic).
private func pair(_ n: JSON, _ r: JSON) -> JSON { ["nomalizeData": n, "rawData": r] }
private func pair(_ v: JSON) -> JSON { pair(v, v) }

/// The seeded sample lead as a webhook sends it (attribute order as stored).
private func sampleLeadAttributes(funnel: String = "actived", viral: Int = 3) -> JSONObject {
    [
        "id": pair(.string(leadID)),
        "baseName": pair("Nguyễn Thị Thu Hương"),
        "baseEmail": pair("thuhuong.nguyen@gmail.com"),
        "basePhonenumber": pair("0978712200"),
        "baseBirthday": pair("14-09-1994", "1994-09-13T17:00:00.000Z"),
        "baseGender": pair("female"),
        "baseFunnelStatus": pair(.string(funnel)),
        "sourceType": pair("facebook"),
        "baseSourceInput": pair(["Youtube", "Sendo"]),
        "cf_string_ghi_chu": pair("Đã thanh toán hàng"),
        "cf_number_diem_viral": pair(.int(viral)),
        "cf_number_kieu_so": pair(1.09),
        "cf_enum_chau_luc": pair(["Châu Âu", "Châu Á"]),
    ]
}

private func sampleOpportunityAttributes(dealValue: Int = 1_990_000) -> JSONObject {
    [
        "id": pair(.string(opportunityID)),
        "baseName": pair("Gói Nâng cao – Thu Hương"),
        "leadName": pair("Nguyễn Thị Thu Hương"),
        "leadEmail": pair("thuhuong.nguyen@gmail.com"),
        "leadPhonenumber": pair("0978712200", "84978712200"),
        "dealValue": pair(.int(dealValue)),
        "cf_number_so_luong": pair(1),
        "cf_enum_san_pham": pair(["Gói Nâng cao"]),
    ]
}

/// The whole webhook body, in the seed's key order.
private func eventBody(lead: JSONObject?, opportunity: JSONObject?, conversation: String = chatURL) -> JSON {
    var o: JSONObject = ["application": ["id": .string(appID)]]
    if let lead { o["lead"] = .object(lead) }
    if let opportunity { o["opportunity"] = .object(opportunity) }
    o["conversation"] = ["conversationUrl": .string(conversation)]
    return .object(o)
}

private func deliver(_ f: SandboxFixture, _ body: JSON) async throws -> (status: Int, body: JSON) {
    let r = try await f.call("hana", "POST", "/_sandbox/hana/deliver", json: body)
    return (r.status, try f.json(r))
}

/// Outcomes reach the sender's log just after the receiver has recorded the request.
private func waitForOutcomes(_ f: SandboxFixture, count: Int) async -> [WebhookDelivery] {
    let deadline = ContinuousClock.now + .seconds(5)
    while ContinuousClock.now < deadline {
        let d = f.host("hana").webhooks.deliveries
        if d.count >= count { return d }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return f.host("hana").webhooks.deliveries
}

@Suite("Hana emulator")
struct HanaEmulatorTests {
    // MARK: auth

    /// A header set named for what it is, so the test log never shows a credential.
    struct AuthCase: Sendable, CustomTestStringConvertible {
        var name: String
        var headers: [(String, String)]
        var testDescription: String { name }
    }

    @Test(arguments: [
        AuthCase(name: "no Authorization", headers: []),
        AuthCase(name: "a wrong Bearer token", headers: [("Authorization", "Bearer wrong-key")]),
        AuthCase(name: "the key as Basic credentials", headers: [("Authorization", "Basic c2FuZGJveC1rZXk6")]),
        AuthCase(name: "the key without a scheme", headers: [("Authorization", "sandbox-key")]),
        AuthCase(name: "Bearer without a token", headers: [("Authorization", "Bearer")]),
        AuthCase(name: "the key in X-Api-Key", headers: [("X-Api-Key", "sandbox-key")]),
    ])
    func withoutTheBearerTokenIs401(_ authCase: AuthCase) async throws {
        let headers = authCase.headers
        let f = try SandboxFixture(["hana"])
        let r = try await f.call("hana", "POST", updatePath, headers: headers, json: ["lead": ["id": .string(leadID)]])
        #expect(r.status == 401)
        #expect(r.header("WWW-Authenticate") == "Bearer")
        #expect(r.header("Content-Type") == "application/json; charset=utf-8")
        #expect(try f.json(r) == ["statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"])
    }

    @Test func bearerSchemeIsCaseInsensitive() async throws {
        let f = try SandboxFixture(["hana"])
        let r = try await f.call("hana", "POST", updatePath, headers: [("Authorization", "bearer sandbox-key")],
                                 json: ["lead": ["id": .string(leadID)]])
        #expect(r.status == 200)
    }

    @Test func otherCredentialIsAcceptedWhenConfigured() async throws {
        var options = SandboxOptions()
        options.credential = "other-token"
        options.hanaUpdatePath = "/api/partner/update"
        let f = try SandboxFixture(["hana"], options: options)
        let ok = try await f.call("hana", "POST", "/api/partner/update", headers: [("Authorization", "Bearer other-token")],
                                  json: ["lead": ["id": .string(leadID)]])
        #expect(ok.status == 200)
        let old = try await f.call("hana", "POST", "/api/partner/update", headers: bearer, json: ["lead": ["id": .string(leadID)]])
        #expect(old.status == 401)
        let elsewhere = try await f.call("hana", "POST", updatePath, headers: [("Authorization", "Bearer other-token")],
                                         json: ["lead": ["id": .string(leadID)]])
        #expect(elsewhere.status == 404)
    }

    // MARK: update

    /// The seed document's own sample body, verbatim.
    @Test func seedSampleUpdatesLeadAndOpportunity() async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let body: JSON = [
            "lead": [
                "id": .string(leadID), "baseName": "Thu Hương", "basePhonenumber": "+84395458994", "baseGender": "female",
                "baseFunnelStatus": "actived", "sourceType": "facebook", "baseSourceInput": ["Youtube", "Sendo"],
                "cf_string_ghi_chu": "Đã thanh toán hàng", "cf_number_diem_viral": 3, "cf_enum_chau_luc": ["Châu Âu", "Châu Á"],
            ],
            "opportunity": [
                "id": .string(opportunityID), "baseName": "Cập nhật ticket", "leadEmail": "lehamy@example.vn",
                "leadName": "Lê Hà My", "leadPhonenumber": "84969957194", "dealValue": 1_000_000,
            ],
        ]
        let r = try await f.call("hana", "POST", updatePath, headers: bearer, json: body)
        #expect(r.status == 200)
        #expect(r.body == Array(#"{"success":true,"lead":{"id":"3ee8e2ea-d149-4e24-98f0-072900b0b9f3"},"opportunity":{"id":"7ad14152-9be8-442d-bf0f-33c94b5db16d"}}"#.utf8))

        let got = await receiver.waitFor(count: 2)
        #expect(got.count == 2)
        let lead = try #require(got.first { $0.path == "/webhooks/hana/lead.updated" })
        let opp = try #require(got.first { $0.path == "/webhooks/hana/opportunity.updated" })

        var leadAttrs = sampleLeadAttributes()
        leadAttrs["baseName"] = pair("Thu Hương")
        leadAttrs["basePhonenumber"] = pair("0395458994", "+84395458994")
        #expect(try JSON.parse(lead.body).text == eventBody(lead: leadAttrs, opportunity: nil).text)

        var oppAttrs = sampleOpportunityAttributes(dealValue: 1_000_000)
        oppAttrs["baseName"] = pair("Cập nhật ticket")
        oppAttrs["leadName"] = pair("Lê Hà My")
        oppAttrs["leadEmail"] = pair("lehamy@example.vn")
        oppAttrs["leadPhonenumber"] = pair("0969957194", "84969957194")
        #expect(try JSON.parse(opp.body).text == eventBody(lead: leadAttrs, opportunity: oppAttrs).text)
        #expect(lead.query == "token=sandbox-secret")
        #expect(lead.method == .POST)
        #expect(lead.headers["Content-Type"] == "application/json")
    }

    @Test func dateIsNormalizedToVietnameseDayAndNullClears() async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let r = try await f.call("hana", "POST", updatePath, headers: bearer, json: [
            "lead": ["id": .string(leadID), "baseBirthday": "2020-09-13T17:00:00.000Z", "baseEmail": nil,
                     "cf_date_ngay_hen": "2025-02-01T09:30:00.000+0700", "cf_number_kieu_so": 2],
        ])
        #expect(r.status == 200)
        let got = await receiver.waitFor(count: 1)
        let first = try #require(got.first)
        let lead = try #require(try JSON.parse(first.body)["lead"]?.objectValue)
        #expect(lead["baseBirthday"] == pair("14-09-2020", "2020-09-13T17:00:00.000Z"))
        #expect(lead["baseEmail"] == nil)
        #expect(lead["cf_date_ngay_hen"] == pair("01-02-2025", "2025-02-01T09:30:00.000+0700"))
        #expect(lead["cf_number_kieu_so"] == pair(2))
        #expect(lead.keys.last == "cf_date_ngay_hen")
    }

    @Test func validationNamesEveryBadAttributeAndAppliesNothing() async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let r = try await f.call("hana", "POST", updatePath, headers: bearer, json: [
            "lead": [
                "id": .string(leadID), "baseName": "Hương", "baseBirthday": "2020-09-13", "cf_number_diem_viral": "3",
                "baseSourceInput": ["Youtube", 1], "baseAge": 30, "baseGender": nil,
            ],
            "opportunity": ["dealValue": "1000000", "leadName": ["Lê Hà My"]],
        ])
        #expect(r.status == 400)
        let expected: JSON = [
            "statusCode": 400,
            "message": "Invalid attributes: lead.baseBirthday, lead.cf_number_diem_viral, lead.baseSourceInput, lead.baseAge, opportunity.id, opportunity.dealValue, opportunity.leadName",
            "error": "Bad Request",
            "errors": [
                ["attribute": "lead.baseBirthday", "message": "must be a Date (yyyy-MM-dd'T'HH:mm:ss.SSSZ)"],
                ["attribute": "lead.cf_number_diem_viral", "message": "must be a Number"],
                ["attribute": "lead.baseSourceInput", "message": "must be an Array of strings"],
                ["attribute": "lead.baseAge", "message": "unknown attribute"],
                ["attribute": "opportunity.id", "message": "is required"],
                ["attribute": "opportunity.dealValue", "message": "must be a Number"],
                ["attribute": "opportunity.leadName", "message": "must be a String"],
            ],
        ]
        #expect(try f.json(r).text == expected.text)

        // The valid baseName was not applied either: the next event still shows the seed's name.
        let d = try await deliver(f, ["event": "lead.updated", "id": .string(leadID)])
        #expect(d.status == 202)
        let got = await receiver.waitFor(count: 1)
        #expect(got.count == 1)
        let first = try #require(got.first)
        #expect(try JSON.parse(first.body)["lead"]?["baseName"] == pair("Nguyễn Thị Thu Hương"))
    }

    @Test(arguments: [
        (#"{"lead":"x"}"#, "lead", "must be an object"),
        (#"{"lead":{"id":""}}"#, "lead.id", "must be a non-empty String"),
        (#"{"lead":{"id":7}}"#, "lead.id", "must be a non-empty String"),
        (#"{"opportunity":{"id":"x","basePhonenumber":"0978712200"}}"#, "opportunity.basePhonenumber", "unknown attribute"),
        (#"{"opportunity":{"id":"x","cf_enum_san_pham":"Gói Nâng cao"}}"#, "opportunity.cf_enum_san_pham", "must be an Array of strings"),
        (#"{"lead":{"id":"x","cf_number_diem_viral":true}}"#, "lead.cf_number_diem_viral", "must be a Number"),
        (#"{"lead":{"id":"x","cf_date_ngay_hen":"2025-02-01T09:30:00Z"}}"#, "lead.cf_date_ngay_hen", "must be a Date (yyyy-MM-dd'T'HH:mm:ss.SSSZ)"),
        (#"{"lead":{"id":"x","cf_unknown":"v"}}"#, "lead.cf_unknown", "unknown attribute"),
    ])
    func invalidPartIs400(_ body: String, _ attribute: String, _ message: String) async throws {
        let f = try SandboxFixture(["hana"])
        let r = try await f.call("hana", "POST", updatePath, headers: bearer + [("Content-Type", "application/json")],
                                 body: Array(body.utf8))
        #expect(r.status == 400)
        let j = try f.json(r)
        #expect(j["errors"] == [["attribute": .string(attribute), "message": .string(message)]])
        #expect(j["message"] == .string("Invalid attributes: \(attribute)"))
    }

    @Test func bodyProblemsAre400Or415() async throws {
        let f = try SandboxFixture(["hana"])
        let json = bearer + [("Content-Type", "application/json")]
        let notJSON = try await f.call("hana", "POST", updatePath, headers: json, body: Array("{".utf8))
        #expect(notJSON.status == 400)
        #expect(try f.json(notJSON) == ["statusCode": 400, "message": "Body must be a JSON object", "error": "Bad Request"])
        let empty = try await f.call("hana", "POST", updatePath, headers: json)
        #expect(empty.status == 400)
        let array = try await f.call("hana", "POST", updatePath, headers: bearer, json: [["lead": ["id": "x"]]])
        #expect(array.status == 400)
        let neither = try await f.call("hana", "POST", updatePath, headers: bearer, json: ["leads": ["id": "x"]])
        #expect(neither.status == 400)
        #expect(try f.json(neither)["message"] == "lead or opportunity is required")
        let nulls = try await f.call("hana", "POST", updatePath, headers: bearer, json: ["lead": nil, "opportunity": nil])
        #expect(try f.json(nulls)["message"] == "lead or opportunity is required")
        let nullLead = try await f.call("hana", "POST", updatePath, headers: bearer,
                                        json: ["lead": nil, "opportunity": ["id": .string(opportunityID)]])
        #expect(nullLead.status == 200)
        #expect(nullLead.body == Array(#"{"success":true,"opportunity":{"id":"7ad14152-9be8-442d-bf0f-33c94b5db16d"}}"#.utf8))
        let form = try await f.call("hana", "POST", updatePath, headers: bearer, form: "lead[id]=x")
        #expect(form.status == 415)
        #expect(try f.json(form) == ["statusCode": 415, "message": "Content-Type must be application/json",
                                     "error": "Unsupported Media Type"])
    }

    @Test func unknownIDIs404AndNothingIsApplied() async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let missing = "00000000-0000-4000-8000-000000000000"
        let lead = try await f.call("hana", "POST", updatePath, headers: bearer,
                                    json: ["lead": ["id": .string(missing), "baseName": "X"]])
        #expect(lead.status == 404)
        #expect(try f.json(lead) == ["statusCode": 404, "message": .string("Lead \(missing) not found"), "error": "Not Found"])
        let opp = try await f.call("hana", "POST", updatePath, headers: bearer, json: [
            "lead": ["id": .string(leadID), "baseName": "Applied?"],
            "opportunity": ["id": .string(missing), "dealValue": 5],
        ])
        #expect(opp.status == 404)
        #expect(try f.json(opp)["message"] == .string("Opportunity \(missing) not found"))

        _ = try await deliver(f, ["event": "lead.updated", "id": .string(leadID)])
        let got = await receiver.waitFor(count: 1)
        #expect(got.count == 1)
        let first = try #require(got.first)
        #expect(try JSON.parse(first.body)["lead"]?["baseName"] == pair("Nguyễn Thị Thu Hương"))
    }

    @Test func unknownPathAndMethodUseTheErrorShape() async throws {
        let f = try SandboxFixture(["hana"])
        let path = try await f.call("hana", "POST", "/external-api/v1.0/leads", headers: bearer, json: [:])
        #expect(path.status == 404)
        #expect(try f.json(path) == ["statusCode": 404, "message": "Not found", "error": "Not Found"])
        let method = try await f.call("hana", "GET", updatePath, headers: bearer)
        #expect(method.status == 405)
        #expect(try f.json(method)["statusCode"] == 405)
    }

    // MARK: webhooks: the six events

    @Test func leadUpdatedCarriesTheWholeLead() async throws {
        let receiver = try RecordingReceiver()
        let f = try SandboxFixture(["hana"])
        let d = try await deliver(f, ["event": "lead.updated", "id": .string(leadID),
                                      "target_url": .string(receiver.url("/hooks/{event}?token=t"))])
        #expect(d.status == 202)
        #expect(d.body.text == #"{"queued":1,"ids":["3ee8e2ea-d149-4e24-98f0-072900b0b9f3"]}"#)
        let got = await receiver.waitFor(count: 1)
        let request = try #require(got.first)
        #expect(request.path == "/hooks/lead.updated")
        #expect(request.query == "token=t")
        // Byte for byte: key order, `nomalizeData` spelling, Vietnamese text as UTF-8.
        #expect(String(decoding: request.body, as: UTF8.self)
            == eventBody(lead: sampleLeadAttributes(funnel: "consulting", viral: 4), opportunity: nil).text)
    }

    @Test func opportunityUpdatedCarriesItsLead() async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let d = try await deliver(f, ["event": "opportunity.updated", "id": .string(opportunityID)])
        #expect(d.body == ["queued": 1, "ids": [.string(opportunityID)]])
        let request = try #require(await receiver.waitFor(count: 1).first)
        #expect(request.path == "/webhooks/hana/opportunity.updated")
        #expect(String(decoding: request.body, as: UTF8.self)
            == eventBody(lead: sampleLeadAttributes(), opportunity: sampleOpportunityAttributes(dealValue: 2_090_000)).text)
    }

    @Test func leadDeletedCarriesTheLastStateAndRemovesIt() async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let d = try await deliver(f, ["event": "lead.deleted", "id": .string(leadID)])
        #expect(d.body == ["queued": 1, "ids": [.string(leadID)]])
        let request = try #require(await receiver.waitFor(count: 1).first)
        #expect(request.path == "/webhooks/hana/lead.deleted")
        #expect(String(decoding: request.body, as: UTF8.self) == eventBody(lead: sampleLeadAttributes(), opportunity: nil).text)

        let gone = try await f.call("hana", "POST", updatePath, headers: bearer, json: ["lead": ["id": .string(leadID)]])
        #expect(gone.status == 404)
        // Its opportunity stays, now without a lead in its events.
        _ = try await deliver(f, ["event": "opportunity.updated", "id": .string(opportunityID)])
        let second = await receiver.waitFor(count: 2)
        #expect(second.count == 2)
        #expect(try JSON.parse(second[1].body).objectValue?.keys == ["application", "opportunity", "conversation"])
    }

    @Test func opportunityDeletedCarriesTheLastState() async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let d = try await deliver(f, ["event": "opportunity.deleted", "id": .string(opportunityID)])
        #expect(d.body == ["queued": 1, "ids": [.string(opportunityID)]])
        let request = try #require(await receiver.waitFor(count: 1).first)
        #expect(request.path == "/webhooks/hana/opportunity.deleted")
        #expect(String(decoding: request.body, as: UTF8.self)
            == eventBody(lead: sampleLeadAttributes(), opportunity: sampleOpportunityAttributes()).text)
        let gone = try await f.call("hana", "POST", updatePath, headers: bearer, json: ["opportunity": ["id": .string(opportunityID)]])
        #expect(gone.status == 404)
    }

    @Test(arguments: [HanaKind.lead, .opportunity])
    func createdEventsCarryNewRecords(_ kind: HanaKind) async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let event = "\(kind.rawValue).created"
        let d = try await deliver(f, ["event": .string(event), "count": 3])
        #expect(d.status == 202)
        #expect(d.body["queued"] == 3)
        let ids = (d.body["ids"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
        let got = await receiver.waitFor(count: 3)
        #expect(got.count == 3)
        var seen: [String] = []
        for request in got {
            #expect(request.path == "/webhooks/hana/\(event)")
            let body = try JSON.parse(request.body)
            let keys = body.objectValue?.keys ?? []
            #expect(keys == (kind == .lead ? ["application", "lead", "conversation"] : ["application", "lead", "opportunity", "conversation"]))
            #expect(body["application"] == ["id": .string(appID)])
            let record = try #require(body[kind.rawValue]?.objectValue)
            #expect(record.keys.first == "id")
            #expect(record.keys.contains("baseName"))
            for (name, value) in record {
                #expect(value.objectValue?.keys == ["nomalizeData", "rawData"], "\(name)")
            }
            let url = try #require(body["conversation"]?["conversationUrl"]?.stringValue)
            #expect(url.hasPrefix("https://bot.hana.ai/apps/\(appID)/chats/"))
            #expect(url.count == "https://bot.hana.ai/apps/\(appID)/chats/".count + 24)
            seen.append(try #require(record["id"]?["rawData"]?.stringValue))
            #expect(record["id"]?["nomalizeData"] == record["id"]?["rawData"])
        }
        #expect(Set(seen) == Set(ids))
        // The new records exist: the update endpoint knows them.
        let r = try await f.call("hana", "POST", updatePath, headers: bearer, json: [kind.rawValue: ["id": .string(ids[0])]])
        #expect(r.status == 200)
    }

    @Test func createdIdsAreDeterministic() async throws {
        var ids: [JSON] = []
        for _ in 0..<2 {
            let f = try SandboxFixture(["hana"])
            ids.append(try await deliver(f, ["event": "lead.created", "count": 2, "target_url": "http://127.0.0.1:9/{event}"]).body["ids"] ?? nil)
        }
        #expect(ids[0] == ids[1])
        #expect(ids[0].arrayValue?.count == 2)
    }

    @Test(arguments: [
        (["event": "lead.merged"] as JSON, "event"),
        ([:] as JSON, "event"),
        (["event": "lead.created", "count": 0] as JSON, "count"),
        (["event": "lead.created", "count": 101] as JSON, "count"),
        (["event": "lead.created", "id": "x"] as JSON, "id"),
        (["event": "lead.updated", "id": "x", "count": 2] as JSON, "count"),
        (["event": "lead.updated", "target_url": "ftp://x"] as JSON, "target_url"),
        (["event": "lead.updated", "colour": "red"] as JSON, "colour"),
    ])
    func invalidDeliverIs400(_ body: JSON, _ field: String) async throws {
        var options = SandboxOptions()
        options.hanaWebhookURL = "http://127.0.0.1:9/{event}"
        let f = try SandboxFixture(["hana"], options: options)
        let d = try await deliver(f, body)
        #expect(d.status == 400)
        #expect(d.body["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } == [field])
    }

    @Test func deliverNeedsATarget() async throws {
        let f = try SandboxFixture(["hana"])
        let d = try await deliver(f, ["event": "lead.created"])
        #expect(d.status == 400)
        #expect(d.body["errors"] == [["field": "target_url", "message": "required: no Hana webhook URL is configured"]])
        let unknown = try await deliver(f, ["event": "lead.updated", "id": "nope", "target_url": "http://127.0.0.1:9/x"])
        #expect(unknown.status == 404)
    }

    // MARK: the off-switch

    /// "If Hana's request fails more than 5 times, that event is OFF for 30 minutes."
    @Test func sixFailuresSwitchAnEventOffForThirtyMinutes() async throws {
        let receiver = try RecordingReceiver()
        receiver.respond(with: 500)
        let f = try hanaSendingTo(receiver)
        let updated: JSON = ["event": "lead.updated", "id": .string(leadID)]

        // Five failures: the event is still on.
        #expect(try await deliver(f, ["event": "lead.updated", "count": 5]).body["queued"] == 5)
        #expect(await receiver.waitFor(count: 5).count == 5)
        #expect(await waitForOutcomes(f, count: 5).count == 5)
        #expect(try await deliver(f, updated).body["queued"] == 1)
        #expect(await receiver.waitFor(count: 6).count == 6)
        #expect(await waitForOutcomes(f, count: 6).map(\.status) == Array(repeating: 500, count: 6))

        // The sixth failure switched it off (noticed at the next call): changes still happen, no event.
        let off = try await deliver(f, updated)
        #expect(off.status == 202)
        #expect(off.body == ["queued": 0, "ids": [.string(leadID)], "off_until": "2025-01-15T10:00:00.000Z",
                             "reason": "lead.updated failed more than 5 times in a row; it is off for 30 minutes"])
        let viaUpdate = try await f.call("hana", "POST", updatePath, headers: bearer,
                                         json: ["lead": ["id": .string(leadID), "baseName": "Off"]])
        #expect(viaUpdate.status == 200)
        // Other events are unaffected.
        #expect(try await deliver(f, ["event": "opportunity.updated"]).body["queued"] == 1)
        #expect(await receiver.waitFor(count: 7).count == 7)

        f.clock.advance(millis: 30 * 60 * 1000 - 1)
        #expect(try await deliver(f, updated).body["queued"] == 0)
        f.clock.advance(millis: 1)
        receiver.respond(with: 200)
        #expect(try await deliver(f, updated).body["queued"] == 1)
        let all = await receiver.waitFor(count: 8)
        #expect(all.count == 8)
        #expect(all.filter { $0.path == "/webhooks/hana/lead.updated" }.count == 7)
        let last = try JSON.parse(try #require(all.last { $0.path == "/webhooks/hana/lead.updated" }).body)
        #expect(last["lead"]?["baseName"] == pair("Off"))
    }

    @Test func aSuccessResetsTheFailureCount() async throws {
        let receiver = try RecordingReceiver()
        receiver.respond(with: 503)
        let f = try hanaSendingTo(receiver)
        #expect(try await deliver(f, ["event": "lead.created", "count": 5]).body["queued"] == 5)
        #expect(await waitForOutcomes(f, count: 5).count == 5)
        receiver.respond(with: 200)
        #expect(try await deliver(f, ["event": "lead.created"]).body["queued"] == 1)
        #expect(await waitForOutcomes(f, count: 6).count == 6)
        receiver.respond(with: 503)
        #expect(try await deliver(f, ["event": "lead.created", "count": 5]).body["queued"] == 5)
        #expect(await waitForOutcomes(f, count: 11).count == 11)
        // 5 failures, 1 success, 5 failures: never more than 5 in a row.
        #expect(try await deliver(f, ["event": "lead.created"]).body["queued"] == 1)
    }

    @Test func unreachableReceiverCountsAsFailure() async throws {
        let f = try SandboxFixture(["hana"])
        // Port 9 (discard) is closed on loopback: every delivery fails to connect.
        let target: JSON = "http://127.0.0.1:9/hana/{event}"
        #expect(try await deliver(f, ["event": "lead.deleted", "count": 6, "target_url": target]).body["queued"] == 6)
        let outcomes = await waitForOutcomes(f, count: 6)
        #expect(outcomes.count == 6)
        #expect(outcomes.allSatisfy { $0.status == nil && $0.error != nil && $0.event == "lead.deleted" })
        let off = try await deliver(f, ["event": "lead.deleted", "target_url": target])
        #expect(off.body["queued"] == 0)
        #expect(off.body["off_until"] == "2025-01-15T10:00:00.000Z")
    }

    /// The state machine alone, no sockets.
    @Test func switchStateMachine() {
        let t0 = UTCTime(epochMillis: 1_736_933_400_000)
        func at(_ minutes: Int64, _ ms: Int64 = 0) -> UTCTime { UTCTime(epochMillis: t0.epochMillis + minutes * 60_000 + ms) }
        let created = HanaEvent(.lead, .created), deleted = HanaEvent(.opportunity, .deleted)
        var s = HanaEventSwitches()
        for n in 1...6 { s.sent(n, created) }
        s.sent(7, deleted)
        for n in 1...5 { s.completed(n, ok: false, now: t0) }
        #expect(s.offUntil(created, now: t0) == nil)
        #expect(s.failures[created] == 5)
        s.completed(7, ok: false, now: t0)
        s.completed(6, ok: false, now: at(1))
        #expect(s.offUntil(created, now: at(1)) == at(31))
        #expect(s.offUntil(created, now: at(31, -1)) == at(31))
        #expect(s.offUntil(deleted, now: at(1)) == nil)
        #expect(s.failures[deleted] == 1)
        // Outcomes of deliveries sent before the switch went off do not count; unknown ones are ignored.
        s.sent(8, created)
        s.completed(8, ok: false, now: at(2))
        s.completed(99, ok: false, now: at(2))
        #expect(s.pending.isEmpty)
        #expect(s.offUntil(created, now: at(31)) == nil)
        #expect(s.failures[created] == 0)
        // Back on: a success clears the count.
        for n in 9...13 { s.sent(n, created); s.completed(n, ok: false, now: at(32)) }
        s.sent(14, created)
        s.completed(14, ok: true, now: at(32))
        #expect(s.failures[created] == 0)
        s.sent(15, created)
        s.completed(15, ok: false, now: at(32))
        #expect(s.offUntil(created, now: at(32)) == nil)
    }

    @Test func deliverRequestParsing() throws {
        let ok = try HanaDeliverRequest.parse(["event": "opportunity.updated", "id": "x", "target_url": "https://h/{event}"],
                                              urlConfigured: false).get()
        #expect(ok == HanaDeliverRequest(event: HanaEvent(.opportunity, .updated), count: 1, id: "x", target: "https://h/{event}"))
        let defaults = try HanaDeliverRequest.parse(["event": "lead.deleted", "count": 3, "id": nil], urlConfigured: true).get()
        #expect(defaults == HanaDeliverRequest(event: HanaEvent(.lead, .deleted), count: 3))
        func fields(_ body: JSON) -> [String] {
            guard case .failure(let invalid) = HanaDeliverRequest.parse(body, urlConfigured: false) else { return [] }
            return invalid.errors.map(\.field)
        }
        #expect(fields(["event": "lead.created"]) == ["target_url"])
        #expect(fields("lead.created") == [""])
        #expect(fields(["event": "Lead.Created", "count": "2", "target_url": 1, "x": 1]) == ["x", "event", "count", "target_url"])
        #expect(HanaEvent.all.map(\.description) == ["lead.created", "lead.updated", "lead.deleted",
                                                     "opportunity.created", "opportunity.updated", "opportunity.deleted"])
    }

    // MARK: reset and seed

    @Test func resetRestoresTheSeed() async throws {
        let receiver = try RecordingReceiver()
        let f = try hanaSendingTo(receiver)
        let created = try await deliver(f, ["event": "lead.created"]).body["ids"]?[0]
        let changed = try await f.call("hana", "POST", updatePath, headers: bearer,
                                       json: ["lead": ["id": .string(leadID), "baseName": "Changed"]])
        #expect(changed.status == 200)
        _ = try await deliver(f, ["event": "opportunity.deleted", "id": .string(opportunityID)])
        #expect(await receiver.waitFor(count: 3).count == 3)

        let reset = try await f.call("hana", "POST", "/_sandbox/hana/reset")
        #expect(reset.status == 200)

        let again = try await deliver(f, ["event": "lead.created"]).body["ids"]?[0]
        #expect(again == created)
        let opp = try await f.call("hana", "POST", updatePath, headers: bearer, json: ["opportunity": ["id": .string(opportunityID)]])
        #expect(opp.status == 200)
        _ = try await deliver(f, ["event": "lead.updated", "id": .string(leadID)])
        let got = await receiver.waitFor(count: 5)
        #expect(got.count == 5)
        let lead = try #require(got.last { $0.path == "/webhooks/hana/lead.updated" })
        #expect(String(decoding: lead.body, as: UTF8.self)
            == eventBody(lead: sampleLeadAttributes(funnel: "consulting", viral: 4), opportunity: nil).text)
    }

    @Test func seedIsLargeVietnameseAndDeterministic() throws {
        let s = HanaSeed.make()
        #expect(s.leads.count == 340)
        #expect(s.opportunities.count == 320)
        #expect(s.leads == HanaSeed.make().leads)
        #expect(s.opportunities == HanaSeed.make().opportunities)
        let leadIDs = Set(s.leads.map(\.id))
        #expect(leadIDs.count == 340)
        #expect(Set(s.opportunities.map(\.id)).count == 320)
        #expect(leadIDs.isDisjoint(with: s.opportunities.map(\.id)))
        for (kind, records) in [(HanaKind.lead, s.leads), (.opportunity, s.opportunities)] {
            for r in records {
                let id = Array(r.id.utf8)
                #expect(id.count == 36 && id[8] == UInt8(ascii: "-") && id[14] == UInt8(ascii: "4"), "\(r.id)")
                for (name, value) in r.attributes where name != "id" {
                    let type = try #require(HanaAttributes.type(of: name, in: kind), "\(name)")
                    #expect(type.accepts(value), "\(name): \(value.text)")
                }
            }
        }
        #expect(s.opportunities.allSatisfy { $0.leadID.map(leadIDs.contains) == true })
        #expect(s.opportunities.allSatisfy { o in s.leads.first { $0.id == o.leadID }?.chatID == o.chatID })
        let names = s.leads.compactMap { $0.attributes["baseName"]?.stringValue }
        #expect(names.count == 340)
        #expect(names.filter { $0.unicodeScalars.contains { $0.value > 0x7F } }.count > 300)
        let phones = s.leads.compactMap { $0.attributes["basePhonenumber"]?.stringValue }
        #expect(phones.filter { $0.hasPrefix("0") && $0.count == 10 }.count > 200)
        #expect(phones.filter { $0.hasPrefix("+84") && $0.count == 12 }.count > 20)
        #expect(phones.filter { $0.hasPrefix("84") && $0.count == 11 }.count > 5)
        #expect(s.leads.filter { $0.attributes["baseBirthday"]?.stringValue?.hasSuffix("T17:00:00.000Z") == true }.count > 200)
        #expect(s.leads.filter { $0.attributes["cf_enum_chau_luc"] != nil }.count > 50)
    }

    // MARK: attribute types and normalization (no sockets)

    @Test(arguments: [
        ("2020-09-13T17:00:00.000Z", true), ("2020-09-14T00:00:00.000+0700", true), ("2020-09-14T00:00:00.000+07:00", true),
        ("2020-09-13T12:00:00.000-0500", true),
        ("2020-09-13T17:00:00Z", false), ("2020-09-13T17:00:00.00Z", false), ("2020-09-13", false), ("14-09-2020", false),
        ("2020-13-01T00:00:00.000Z", false), ("2020-02-30T00:00:00.000Z", false), ("2020-09-13T17:00:00.000", false),
        ("2020-09-13 17:00:00.000Z", false), ("2020-09-13T17:00:00.000+7", false),
    ])
    func dateType(_ text: String, _ valid: Bool) {
        #expect(HanaValueType.date.accepts(.string(text)) == valid)
    }

    @Test func otherTypes() {
        #expect(HanaValueType.number.accepts(1) && HanaValueType.number.accepts(1.0) && HanaValueType.number.accepts(1.09))
        #expect(!HanaValueType.number.accepts("1") && !HanaValueType.number.accepts(nil) && !HanaValueType.number.accepts(true))
        #expect(HanaValueType.string.accepts("") && !HanaValueType.string.accepts(1) && !HanaValueType.string.accepts(["a"]))
        #expect(HanaValueType.strings.accepts([]) && HanaValueType.strings.accepts(["Youtube", "Sendo"]))
        #expect(!HanaValueType.strings.accepts(["a", nil]) && !HanaValueType.strings.accepts("Youtube"))
        #expect(!HanaValueType.date.accepts(1_600_016_400_000))
    }

    @Test(arguments: [
        ("0978712200", "0978712200"), ("+84395458994", "0395458994"), ("84969957194", "0969957194"),
        ("+84 395 458 994", "0395458994"), ("0395-458-994", "0395458994"), ("842838221234", "842838221234"),
        ("+12025550123", "+12025550123"),
    ])
    func phoneNormalization(_ raw: String, _ normalized: String) {
        #expect(HanaAttributes.normalized("basePhonenumber", .string(raw), in: .lead) == .string(normalized))
        #expect(HanaAttributes.normalized("leadPhonenumber", .string(raw), in: .opportunity) == .string(normalized))
        #expect(HanaAttributes.normalized("baseName", .string(raw), in: .lead) == .string(raw))
    }

    @Test func dateNormalizationUsesVietnamTime() {
        func n(_ s: String) -> JSON { HanaAttributes.normalized("baseBirthday", .string(s), in: .lead) }
        #expect(n("2020-09-13T17:00:00.000Z") == "14-09-2020")
        #expect(n("2020-09-13T16:59:59.999Z") == "13-09-2020")
        #expect(n("2020-12-31T17:00:00.000Z") == "01-01-2021")
        #expect(n("2020-09-14T00:00:00.000+0700") == "14-09-2020")
        #expect(HanaAttributes.normalized("cf_date_ngay_chot", "2025-01-15T09:30:00.000Z", in: .opportunity) == "15-01-2025")
        #expect(HanaAttributes.normalized("cf_number_kieu_so", 1.09, in: .lead) == 1.09)
    }
}
