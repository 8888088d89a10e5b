import Gateway
import GatewayCore
import Testing

@Suite("Text Request adapter: messaging")
struct TextRequestMessagingTests {
    // MARK: validation

    @Test func sendValidationNamesEveryBadFieldWithItsLimit() throws {
        let m = TRTest.messaging()
        let bad = try TRTest.send(["to": "+44 20 7946 0958", "body": .string(String(repeating: "a", count: 1601)),
                               "sender_name": .string(String(repeating: "b", count: 42)),
                               "media": ["https://example.com/a.png", "ftp://example.com/b.png", "https:///x", "http://exa mple.com"]])
        let errors = m.validate(bad)
        #expect(errors.map(\.field) == ["to", "body", "sender_name", "media[1]", "media[2]", "media[3]"])
        #expect(errors[0].message == "must be a US phone number (10 digits, or 11 starting with 1): Text Request supports US numbers only")
        #expect(errors[1].message == "must be at most 1600 characters (UTF-16 code units, as Text Request counts them); it has 1601")
        #expect(errors[2].message == "must be at most 41 characters")
        #expect(m.validate(try TRTest.send([:])).map(\.field) == ["to", "body"])
        #expect(m.validate(try TRTest.send(["to": nil, "body": ""])).map(\.field) == ["to", "body"])
    }

    /// The emulator (and the vendor's .NET backend) count UTF-16 code units: 800 emoji are
    /// 1600 units and pass, 801 do not, though both are far fewer "characters".
    @Test func bodyLengthIsCountedInUTF16CodeUnits() throws {
        let m = TRTest.messaging()
        let ok = try TRTest.send(["to": "4235550110", "body": .string(String(repeating: "😀", count: 800))])
        let long = try TRTest.send(["to": "4235550110", "body": .string(String(repeating: "😀", count: 801))])
        #expect(m.validate(ok).isEmpty)
        #expect(m.validate(long).map(\.message) == ["must be at most 1600 characters (UTF-16 code units, as Text Request counts them); it has 1602"])
        let name41 = try TRTest.send(["to": "14235550110", "body": "hi", "sender_name": .string(String(repeating: "n", count: 41))])
        #expect(m.validate(name41).isEmpty)
    }

    @Test func invalidSendMakesNoCall() async throws {
        let t = RecordingTransport()
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.messaging().send(try! TRTest.send(["to": "555-0110", "body": "hi"]), context: t.context())
        }
        #expect(TRTest.label(e) == "validation to")
        #expect(t.requests.isEmpty)
    }

    // MARK: send

    @Test func sendLearnsTheDashboardNumberOnceThenPostsToTheConversation() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("dashboard.get.200"))
        t.answer(200, fixture: TRTest.fixture("messages.send.200"))
        t.answer(200, fixture: TRTest.fixture("messages.send.200"))
        let m = TRTest.adapter().messaging!
        let send = try TRTest.send(["source": "textrequest", "to": "(423) 555-0110", "body": "Your table is ready 🎉",
                                "sender_name": "Front Desk", "media": ["https://example.com/menu.png"]])
        let msg = try await m.send(send, context: t.context())
        _ = try await m.send(send, context: t.context())
        #expect(t.requests.map(\.method) == ["GET", "POST", "POST"])
        #expect(t.requests[0].url == "https://api.textrequest.test/api/v3/dashboards/1")
        let post = t.requests[1]
        #expect(post.url == "https://api.textrequest.test/api/v3/dashboards/1/contacts/14235550110/messages")
        #expect(post.headers["x-api-key"] == "test-key")
        #expect(post.jsonBody == ["body": "Your table is ready 🎉", "sender_name": "Front Desk", "mms_media": ["https://example.com/menu.png"]])
        #expect(msg.id.description == "textrequest:message:1:1dde0360-6890-4de6-ada0-f9c351ae6c89")
        #expect(msg.conversationID == "textrequest:conversation:1:14235550110")
        #expect(msg.direction == .outbound)
        #expect(msg.from == "+14235550100")
        #expect(msg.to == "+14235550110")
        #expect(msg.body == "Your table is ready 🎉")
        #expect(msg.status == "sent")
        #expect(msg.error == nil)
        #expect(msg.media == ["https://example.com/menu.png"])
        #expect(msg.sentAt == "2026-12-01T21:41:47Z")
        #expect(msg.raw == Fixture.json(TRTest.fixture("messages.send.200")))
    }

    @Test func sendWithoutOptionalFieldsSendsOnlyTheBody() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("messages.send.200"))
        _ = try await TRTest.messaging().send(try TRTest.send(["to": "+1 423 555 0110", "body": "hi", "media": []]), context: t.context())
        #expect(t.requests.count == 1)
        #expect(t.requests[0].jsonBody == ["body": "hi"])
    }

    @Test func aFailedDashboardLookupSendsNothing() async throws {
        let t = RecordingTransport()
        t.answer(503, json: ["status": 503])
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.adapter().messaging!.send(try! TRTest.send(["to": "4235550110", "body": "hi"]), context: t.context())
        }
        #expect(TRTest.label(e) == "upstream textrequest 503")
        #expect(t.requests.map(\.method) == ["GET"])
    }

    // MARK: history

    @Test func historyByContactPagesOldestFirstAndMapsDirections() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("messages.list.200"))
        let page = try await TRTest.messaging().history(contact: TRTest.id("textrequest:contact:1:14235550110"), phone: nil,
                                                    page: PageRequest(size: 3), context: t.context())
        #expect(t.requests[0].method == "GET")
        #expect(t.requests[0].url == "https://api.textrequest.test/api/v3/dashboards/1/contacts/14235550110/messages?page=0&page_size=3")
        #expect(page.next == "1")  // 3 of 8
        #expect(page.items.map(\.direction) == [.outbound, .inbound, .inbound])
        let inbound = page.items[1]
        #expect(inbound.id.description == "textrequest:message:1:8c05e86f-dd10-49c9-a207-40fe79764467")
        #expect(inbound.from == "+14235550110")
        #expect(inbound.to == "+14235550100")
        #expect(inbound.body == "Thanks!")
        #expect(inbound.status == "delivered")
        #expect(inbound.sentAt == "2024-06-03T11:36:12Z")
        #expect(page.items[0].sentAt == "2024-04-10T05:07:39Z")
    }

    @Test func historyByPhoneWithMediaOnAFullLastPage() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("messages.list-mms.200"))
        let page = try await TRTest.messaging().history(contact: nil, phone: "617.555.0110", page: PageRequest(size: 2), context: t.context())
        #expect(t.requests[0].pathAndQuery.path == "/api/v3/dashboards/1/contacts/16175550110/messages")
        #expect(page.next == nil)
        #expect(page.items[1].media == ["https://textrequeststorage.com/182739/44b917d9-b253-4f77-99d4-f6756f0111d5.jpeg"])
        #expect(page.items[1].conversationID == "textrequest:conversation:1:16175550110")
    }

    /// Spec-shaped values: 7 fractional digits without a zone, a capitalised status, a numeric code.
    @Test func dotNetTimesStatusesAndCodesAreNormalised() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("messages.list-dotnet.200"))
        let page = try await TRTest.messaging().history(contact: nil, phone: "4235550110", page: PageRequest(size: 10), context: t.context())
        let m = try #require(page.items.first)
        #expect(m.sentAt == "2021-06-15T20:00:00Z")
        #expect(m.status == "undelivered")
        #expect(m.error == "2005")
        #expect(m.media.count == 2)
    }

    @Test func noContentIsNotFoundForAContactAndEmptyForAPhone() async throws {
        let t = RecordingTransport()
        t.answer(TRTest.noContent())
        t.answer(TRTest.noContent())
        let m = TRTest.messaging()
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await m.history(contact: TRTest.id("textrequest:contact:1:12025550199"), phone: nil, page: PageRequest(size: 10), context: t.context())
        }
        #expect(TRTest.label(e) == "notFound")
        let page = try await m.history(contact: nil, phone: "2025550199", page: PageRequest(size: 10), context: t.context())
        #expect(page.items.isEmpty && page.next == nil)
    }

    @Test func historyArgumentsAreCheckedBeforeAnyCall() async {
        let t = RecordingTransport()
        let m = TRTest.messaging()
        let cases: [(UnifiedID?, String?, String)] = [
            (nil, nil, "badRequest"), (nil, "+81 3 1234 5678", "badRequest"),
            (TRTest.id("pipedrive:person:12"), nil, "badRequest"),
            (TRTest.id("textrequest:contact:1:14235550110"), "2025550199", "badRequest"),
            (TRTest.id("textrequest:contact:2:14235550110"), nil, "notFound"),
        ]
        for (contact, phone, want) in cases {
            let e = await TRTest.failure { () async throws(GatewayError) in
                try await m.history(contact: contact, phone: phone, page: PageRequest(size: 10), context: t.context())
            }
            #expect(TRTest.label(e) == want, "\(String(describing: contact)) \(String(describing: phone))")
        }
        #expect(t.requests.isEmpty)
    }

    // MARK: conversations

    @Test func conversationsListSearchesAndMaps() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("conversations.list.200"))
        let m = TRTest.messaging()
        #expect(m.conversationFilters() == [.q, .phone, .contact_id])
        let page = try await m.conversations(filter: ListFilter([.q: "555-01"]), page: PageRequest(size: 2), context: t.context())
        #expect(t.requests[0].method == "GET")
        #expect(t.requests[0].pathAndQuery.path == "/api/v3/dashboards/1/conversations")
        #expect(TRTest.query(t.requests[0]) == ["page=0", "page_size=2", "search=555-01"])
        #expect(t.requests[0].query("include_archived") == nil)
        #expect(page.next == "1")
        let c = try #require(page.items.first)
        #expect(c.id.description == "textrequest:conversation:1:14235550142")
        #expect(c.contactID == "textrequest:contact:1:14235550142")
        #expect(c.phone == "+14235550142")
        #expect(c.displayName == nil)
        #expect(c.archived == false)
        #expect(c.lastMessageAt == "2025-01-15T05:04:21Z")
        #expect(c.lastMessage == "C")
        #expect(c.raw == Fixture.json(TRTest.fixture("conversations.list.200"))["items"]?[0])
    }

    @Test func noConversationsAtAllIsAnEmptyList() async throws {
        let t = RecordingTransport()
        t.answer(TRTest.noContent())
        let page = try await TRTest.messaging().conversations(filter: ListFilter(), page: PageRequest(size: 10), context: t.context())
        #expect(page.items.isEmpty && page.next == nil)
    }

    @Test func aPhoneFilterReadsThatOneConversationFromItsContact() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        t.answer(200, fixture: TRTest.fixture("contacts.get-opted-out.200"))
        let m = TRTest.messaging()
        let page = try await m.conversations(filter: ListFilter([.phone: "+16175550110", .q: "paul"]), page: PageRequest(size: 10), context: t.context())
        #expect(t.requests[0].url == "https://api.textrequest.test/api/v3/dashboards/1/contacts/16175550110")
        let c = try #require(page.items.first)
        #expect(page.items.count == 1 && page.next == nil)
        #expect(c.displayName == "Paul Smith")
        #expect(c.lastMessage == "Please call me when you can")
        #expect(c.lastMessageAt == "2024-06-25T12:12:11Z")
        let miss = try await m.conversations(filter: ListFilter([.contact_id: "textrequest:contact:1:16175550110", .q: "zzz"]), page: PageRequest(size: 10), context: t.context())
        #expect(miss.items.isEmpty)
        // Archived conversations are not listed, with or without a filter.
        let archived = try await m.conversations(filter: ListFilter([.phone: "2125550111"]), page: PageRequest(size: 10), context: t.context())
        #expect(archived.items.isEmpty)
        #expect(t.requests.count == 3)
    }

    @Test func aContactIDFilterOfAnotherKindIsBadRequest() async {
        let t = RecordingTransport()
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.messaging().conversations(filter: ListFilter([.contact_id: "textrequest:message:1:abc"]), page: PageRequest(size: 10), context: t.context())
        }
        #expect(TRTest.label(e) == "badRequest")
        #expect(t.requests.isEmpty)
    }

    @Test func archiveThenReadsTheContact() async throws {
        let t = RecordingTransport()
        t.answer(TRTest.emptyOK())
        t.answer(200, fixture: TRTest.fixture("contacts.get-opted-out.200"))
        t.answer(TRTest.emptyOK())
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        let m = TRTest.messaging()
        let c = try await m.setArchived(TRTest.id("textrequest:conversation:1:12125550111"), true, context: t.context())
        #expect(t.requests[0].method == "PUT")
        #expect(t.requests[0].url == "https://api.textrequest.test/api/v3/dashboards/1/contacts/12125550111/conversations/archive")
        #expect(t.requests[0].body.isEmpty)
        #expect(t.requests[1].method == "GET")
        #expect(c.id.description == "textrequest:conversation:1:12125550111")
        #expect(c.archived == true)
        #expect(c.displayName == "Margaret Garcia")
        #expect(c.contactID == "textrequest:contact:1:12125550111")
        let u = try await m.setArchived(TRTest.id("textrequest:conversation:1:16175550110"), false, context: t.context())
        #expect(t.requests[2].pathAndQuery.path == "/api/v3/dashboards/1/contacts/16175550110/conversations/unarchive")
        #expect(u.archived == false)
    }

    @Test func archivingAnUnknownConversationKeepsThe404() async {
        let t = RecordingTransport()
        t.answer(404, json: ["status": 404, "message": "No contact"])
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.messaging().setArchived(TRTest.id("textrequest:conversation:1:12025550199"), true, context: t.context())
        }
        #expect(TRTest.label(e) == "upstream textrequest 404")
        #expect(t.requests.count == 1)
    }
}

@Suite("Text Request adapter: passthrough")
struct TextRequestPassthroughTests {
    @Test func addsTheKeyAndDropsTheClientsCredentials() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("dashboard.get.200"))
        let headers: HTTPHeaders = [("x-api-key", "client-key"), ("Authorization", "Bearer client"), ("Cookie", "a=b"), ("X-Trace", "abc")]
        let r = try await TRTest.adapter().passthrough!.passthrough(method: "get", path: "api/v3/dashboards/1", query: "page=0&search=a%40b",
                                                                headers: headers, body: [], context: t.context())
        #expect(r.status == 200)
        let req = try #require(t.requests.first)
        #expect(req.method == "GET")
        #expect(req.url == "https://api.textrequest.test/api/v3/dashboards/1?page=0&search=a%40b")
        #expect(req.headers.values("x-api-key") == ["test-key"])
        #expect(req.headers["Authorization"] == nil)
        #expect(req.headers["Cookie"] == nil)
        #expect(req.headers["X-Trace"] == "abc")
    }

    @Test func upstreamErrorsComeBackAsTheyAre() async throws {
        let t = RecordingTransport()
        t.answer(404, json: ["status": 404, "message": "Dashboard 9 was not found."])
        let r = try await TRTest.adapter().passthrough!.passthrough(method: "DELETE", path: "/api/v3/dashboards/9", query: nil,
                                                                headers: HTTPHeaders(), body: [], context: t.context())
        #expect(r.status == 404)
        #expect(try JSON.parse(r.body)["message"] == "Dashboard 9 was not found.")
    }

    @Test func pathsThatCouldLeaveTheAPIAreRefusedBeforeAnyCall() async {
        let t = RecordingTransport()
        let p = TRTest.adapter().passthrough!
        let refused = ["/api/v2/messages", "/api/v3", "/other", "/api/v3/../v2/x", "/api/v3//evil.example/x", "/api/v3/%2e%2e/x",
                       "/api/v3/%2E%2E/x", "/api/v3/a%2Fb", "/api/v3/https://evil.example", "/api/v3/user@evil.example",
                       "/api/v3/a\\b", "/api/v3/a b", "/api/v3/a?b", "http://evil.example/api/v3/x"]
        for path in refused {
            let e = await TRTest.failure { () async throws(GatewayError) in
                try await p.passthrough(method: "GET", path: path, query: nil, headers: HTTPHeaders(), body: [], context: t.context())
            }
            #expect(TRTest.label(e) == "badRequest", "\(path)")
        }
        let method = await TRTest.failure { () async throws(GatewayError) in
            try await p.passthrough(method: "TRACE", path: "/api/v3/dashboards", query: nil, headers: HTTPHeaders(), body: [], context: t.context())
        }
        let query = await TRTest.failure { () async throws(GatewayError) in
            try await p.passthrough(method: "GET", path: "/api/v3/dashboards", query: "a=b c", headers: HTTPHeaders(), body: [], context: t.context())
        }
        #expect(TRTest.label(method) == "badRequest")
        #expect(TRTest.label(query) == "badRequest")
        #expect(t.requests.isEmpty)
    }

    @Test func aBodyIsForwardedAsIs() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.upsert.200"))
        let body = Array(#"{"first_name":"Ava"}"#.utf8)
        _ = try await TRTest.adapter().passthrough!.passthrough(method: "POST", path: "/api/v3/dashboards/1/contacts/12025550123", query: "",
                                                            headers: [("Content-Type", "application/json")], body: body, context: t.context())
        #expect(t.requests[0].body == body)
        #expect(t.requests[0].url == "https://api.textrequest.test/api/v3/dashboards/1/contacts/12025550123")
        #expect(t.requests[0].headers.values("Content-Type") == ["application/json"])
    }
}
