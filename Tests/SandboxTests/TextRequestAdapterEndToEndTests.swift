import Gateway
import GatewayCore
@testable import Sandbox
import Testing

/// The Text Request adapter against the Text Request emulator over loopback: paging to the
/// end, round trips, filters, 204/404 handling, sends and archiving, faults.
@Suite("Text Request adapter end to end")
struct TextRequestAdapterEndToEndTests {
    static let seed = TextRequestSeed.make()

    struct Env {
        let fx: SandboxFixture
        let adapter: TextRequestAdapter
        var context: AdapterContext { AdapterContext(transport: fx.client, requestID: "t") }
        var contacts: any ResourceSource<Contact, ContactWrite> { adapter.contacts! }
        var messaging: any MessagingSource { adapter.messaging! }

        init(options: [String: String] = ["dashboard_id": "1"]) throws {
            fx = try SandboxFixture(["textrequest"])
            adapter = TextRequestAdapter(settings: UpstreamSettings(baseURL: fx.host("textrequest").baseURL, credential: "sandbox-key", options: options))
        }

        func calls(_ operation: String) async throws -> Int {
            try await fx.stats("textrequest")["by_operation"]?[operation]?.intValue ?? 0
        }
    }

    static func failure<T>(_ body: () async throws(GatewayError) -> T) async -> GatewayError? {
        do { _ = try await body(); return nil } catch { return error }
    }

    // MARK: paging

    @Test func pagesThroughEveryContactOnce() async throws {
        let env = try Env()
        var ids: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await env.contacts.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 37, token: token), context: env.context)
            #expect(page.items.count <= 37)
            ids += page.items.map(\.id.description)
            token = page.next
            pages += 1
        } while token != nil && pages < 50
        #expect(ids.count == 420)
        #expect(Set(ids).count == 420)
        #expect(pages == 12)  // 11 full pages and 13 on the last: no empty page fetched
        #expect(try await env.calls("contacts.list") == 12)
        #expect(ids.first == "textrequest:contact:1:14235550110")
    }

    @Test func aFullLastPageEndsTheList() async throws {
        let env = try Env()
        var count = 0
        var token: String?
        var pages = 0
        repeat {
            let page = try await env.contacts.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 100, token: token), context: env.context)
            count += page.items.count
            token = page.next
            pages += 1
        } while token != nil && pages < 10
        #expect(count == 420 && pages == 5)
        // 420 = 5 x 84: the fifth page of 84 is full and is the last.
        let env2 = try Env()
        var t2: String?
        var sizes: [Int] = []
        repeat {
            let page = try await env2.adapter.contacts!.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 84, token: t2), context: env2.context)
            sizes.append(page.items.count)
            t2 = page.next
        } while t2 != nil && sizes.count < 10
        #expect(sizes == [84, 84, 84, 84, 84])
    }

    @Test func pagesThroughEveryUnarchivedConversationOnce() async throws {
        let env = try Env()
        let expected = Self.seed.dashboards[1]!.contacts.values.filter { !$0.messages.isEmpty && !$0.isArchived }.count
        #expect(expected >= 250)
        var ids: [String] = []
        var token: String?
        var last: String?
        var ordered = true
        repeat {
            let page = try await env.messaging.conversations(filter: ListFilter(), page: PageRequest(size: 45, token: token), context: env.context)
            for c in page.items {
                ids.append(c.id.description)
                #expect(c.archived == false)
                #expect(c.contactID == "textrequest:contact:" + c.id.remote)
                if let l = last, let at = c.lastMessageAt, at > l { ordered = false }
                last = c.lastMessageAt
            }
            token = page.next
        } while token != nil && ids.count < 1000
        #expect(ids.count == expected)
        #expect(Set(ids).count == expected)
        #expect(ordered)  // newest last message first
    }

    @Test func pagesThroughALongConversationOldestFirst() async throws {
        let env = try Env()
        let contact = try #require(Self.seed.dashboards[1]!.contacts["14155550110"])
        #expect(contact.messages.count == 150)
        var messages: [Message] = []
        var token: String?
        repeat {
            let page = try await env.messaging.history(contact: UnifiedID("textrequest:contact:1:14155550110"), phone: nil,
                                                       page: PageRequest(size: 40, token: token), context: env.context)
            messages += page.items
            token = page.next
        } while token != nil && messages.count < 1000
        #expect(messages.count == 150)
        #expect(Set(messages.map(\.id.description)).count == 150)
        #expect(messages.map(\.id.remote) == contact.messages.map { "1:" + $0.id })
        let times = messages.compactMap(\.sentAt)
        #expect(times.count == 150 && times == times.sorted())
        #expect(messages.allSatisfy { $0.conversationID == "textrequest:conversation:1:14155550110" })
        for m in messages {
            let (ours, theirs) = ("+14235550100", "+14155550110")
            #expect(m.direction == .inbound ? (m.from == theirs && m.to == ours) : (m.from == ours && m.to == theirs))
        }
        #expect(try await env.calls("conversation_messages.list") == 4)
        #expect(try await env.calls("dashboards.get") == 1)  // the dashboard's number, learnt once
    }

    // MARK: round trips

    @Test func createGetUpdateGetDelete() async throws {
        let env = try Env(options: ["dashboard_id": "1", "email_field_id": "f308302c-c7c2-42e1-a4e4-92014f599dad"])
        let tag = Self.seed.dashboards[1]!.tags[0].id
        let created = try await env.contacts.create(kind: "contact", try ContactWrite.parse([
            "source": "textrequest", "first_name": "Ava", "last_name": "Nguyen", "phones": [["value": "(202) 555-0123"]],
            "emails": [["value": "ava@example.com"]], "note": "Met at the expo", "tags": .array([.string(tag)]),
            "custom_fields": ["is_resolved": false],
        ]), context: env.context)
        let id = created.id
        #expect(id.description == "textrequest:contact:1:12025550123")
        #expect(created.displayName == "Ava Nguyen")
        #expect(created.phones.map(\.value) == ["+12025550123"])

        let got = try await env.contacts.get(id, context: env.context)
        #expect(got.firstName == "Ava" && got.lastName == "Nguyen" && got.note == "Met at the expo")
        #expect(got.emails.map(\.value) == ["ava@example.com"])
        #expect(got.tags == [tag])
        #expect(got.customFields["is_resolved"] == false)
        #expect(got.createdAt != nil)

        let again = await Self.failure { () async throws(GatewayError) in
            try await env.contacts.create(kind: "contact", try! ContactWrite.parse(["phones": ["+1 202 555 0123"]]), context: env.context)
        }
        guard case .conflict? = again else { Issue.record("expected a conflict"); return }

        _ = try await env.contacts.update(id, try ContactWrite.parse([
            "last_name": "Tran", "note": nil, "tags": nil, "emails": [["value": "ava.tran@example.com"]],
            "custom_fields": ["is_suppressed": true, "suppressed_reason": "asked"],
        ]), context: env.context)
        let updated = try await env.contacts.get(id, context: env.context)
        #expect(updated.lastName == "Tran")
        #expect(updated.firstName == "Ava")
        #expect(updated.note == nil)
        #expect(updated.tags.isEmpty)
        #expect(updated.emails.map(\.value) == ["ava.tran@example.com"])
        #expect(updated.customFields["is_suppressed"] == true)
        #expect(updated.customFields["suppressed_reason"] == "asked")

        try await env.contacts.delete(id, context: env.context)
        let gone = await Self.failure { () async throws(GatewayError) in try await env.contacts.get(id, context: env.context) }
        guard case .notFound? = gone else { Issue.record("expected notFound after delete"); return }
        let deleteAgain = await Self.failure { () async throws(GatewayError) in try await env.contacts.delete(id, context: env.context) }
        guard case .upstream(_, 404, _, _)? = deleteAgain else { Issue.record("expected the upstream 404"); return }
    }

    @Test func updateOfAnUnknownContactCreatesNothing() async throws {
        let env = try Env()
        let id = UnifiedID(source: "textrequest", kind: "contact", remote: "1:12025550177")
        let e = await Self.failure { () async throws(GatewayError) in
            try await env.contacts.update(id, try! ContactWrite.parse(["first_name": "Ghost"]), context: env.context)
        }
        guard case .notFound? = e else { Issue.record("expected notFound"); return }
        #expect(try await env.calls("contacts.upsert") == 0)
    }

    @Test func aContactWithHistoryCannotBeDeleted() async throws {
        let env = try Env()
        let e = await Self.failure { () async throws(GatewayError) in
            try await env.contacts.delete(UnifiedID("textrequest:contact:1:14235550110")!, context: env.context)
        }
        guard case .conflict? = e else { Issue.record("expected a conflict"); return }
    }

    // MARK: filters

    @Test func phoneFilterFindsExactlyThatContact() async throws {
        let env = try Env()
        let page = try await env.contacts.list(kind: "contact", filter: ListFilter([.phone: "+1 415-555-0110"]), page: PageRequest(size: 10), context: env.context)
        #expect(page.items.map(\.id.description) == ["textrequest:contact:1:14155550110"])
        #expect(page.next == nil)
    }

    @Test func emailFilterUsesTheEmailCustomField() async throws {
        let env = try Env(options: ["dashboard_id": "1", "email_field_id": "f308302c-c7c2-42e1-a4e4-92014f599dad"])
        let page = try await env.contacts.list(kind: "contact", filter: ListFilter([.email: "paul.smith@example.com"]), page: PageRequest(size: 10), context: env.context)
        #expect(page.items.map(\.id.description) == ["textrequest:contact:1:16175550110"])
        #expect(page.items.first?.emails.map(\.value) == ["paul.smith@example.com"])
    }

    @Test func conversationSearchByNameAndByPhone() async throws {
        let env = try Env()
        let named = try await env.messaging.conversations(filter: ListFilter([.q: "paul smith"]), page: PageRequest(size: 100), context: env.context)
        #expect(named.items.map(\.id.description).contains("textrequest:conversation:1:16175550110"))
        let one = try await env.messaging.conversations(filter: ListFilter([.phone: "617-555-0110"]), page: PageRequest(size: 100), context: env.context)
        #expect(one.items.map(\.id.description) == ["textrequest:conversation:1:16175550110"])
        #expect(one.items.first?.displayName == "Paul Smith")
    }

    // MARK: messaging

    @Test func sendThenReadItBackAndArchive() async throws {
        let env = try Env()
        let sent = try await env.messaging.send(try MessageSend.parse([
            "to": "(415) 555-0110", "body": "See you at 5 🎉", "sender_name": "Front Desk", "media": ["https://example.com/map.png"],
        ]), context: env.context)
        #expect(sent.direction == .outbound)
        #expect(sent.from == "+14235550100" && sent.to == "+14155550110")
        #expect(["sent", "queued"].contains(sent.status ?? ""))
        #expect(sent.sentAt == "2025-01-15T09:30:00Z")

        let history = try await env.messaging.history(contact: nil, phone: "4155550110", page: PageRequest(size: 100, token: "1"), context: env.context)
        let last = try #require(history.items.last)
        #expect(last.id == sent.id)
        #expect(last.body == "See you at 5 🎉")
        #expect(last.media == ["https://example.com/map.png"])
        #expect(history.next == nil)

        let conversation = UnifiedID(source: "textrequest", kind: "conversation", remote: "1:14155550110")
        let archived = try await env.messaging.setArchived(conversation, true, context: env.context)
        #expect(archived.archived && archived.lastMessage == "See you at 5 🎉")
        let hidden = try await env.messaging.conversations(filter: ListFilter([.phone: "4155550110"]), page: PageRequest(size: 10), context: env.context)
        #expect(hidden.items.isEmpty)
        let back = try await env.messaging.setArchived(conversation, false, context: env.context)
        #expect(!back.archived)
    }

    @Test func sendingToANewNumberStartsAConversation() async throws {
        let env = try Env()
        _ = try await env.messaging.send(try MessageSend.parse(["to": "2025550188", "body": "Welcome!"]), context: env.context)
        let c = try await env.contacts.get(UnifiedID("textrequest:contact:1:12025550188")!, context: env.context)
        #expect(c.phones.first?.value == "+12025550188")
    }

    @Test func invalidSendsNeverReachTheUpstream() async throws {
        let env = try Env()
        let e = await Self.failure { () async throws(GatewayError) in
            try await env.messaging.send(try! MessageSend.parse(["to": "+44 20 7946 0958", "body": .string(String(repeating: "x", count: 1601))]), context: env.context)
        }
        guard case .validation(let errors)? = e else { Issue.record("expected validation"); return }
        #expect(errors.map(\.field) == ["to", "body"])
        #expect(try await env.fx.stats("textrequest")["requests_total"] == 0)
    }

    // MARK: errors

    @Test func unknownContactIsNotFoundAndUnknownConversationKeeps404() async throws {
        let env = try Env()
        let a = await Self.failure { () async throws(GatewayError) in try await env.contacts.get(UnifiedID("textrequest:contact:1:12025550199")!, context: env.context) }
        guard case .notFound? = a else { Issue.record("expected notFound"); return }
        let b = await Self.failure { () async throws(GatewayError) in
            try await env.messaging.setArchived(UnifiedID("textrequest:conversation:1:12025550199")!, true, context: env.context)
        }
        guard case .upstream(_, 404, _, _)? = b else { Issue.record("expected the upstream 404"); return }
        let c = await Self.failure { () async throws(GatewayError) in
            try await env.messaging.history(contact: UnifiedID("textrequest:contact:1:12025550199"), phone: nil, page: PageRequest(size: 10), context: env.context)
        }
        guard case .notFound? = c else { Issue.record("expected notFound"); return }
    }

    @Test func anInjected503SurfacesAsAnUpstreamError() async throws {
        let env = try Env()
        _ = try await env.fx.setFault("textrequest", ["mode": "status", "status": 503, "count": 1])
        let e = await Self.failure { () async throws(GatewayError) in
            try await env.contacts.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 10), context: env.context)
        }
        guard case .upstream(let source, 503, _, _)? = e else { Issue.record("expected the upstream 503"); return }
        #expect(source == "textrequest")
        let after = try await env.contacts.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 10), context: env.context)
        #expect(after.items.count == 10)
    }

    @Test func aWrongKeyIsTheUpstreams401() async throws {
        let fx = try SandboxFixture(["textrequest"])
        let adapter = TextRequestAdapter(settings: UpstreamSettings(baseURL: fx.host("textrequest").baseURL, credential: "wrong"))
        let e = await Self.failure { () async throws(GatewayError) in
            try await adapter.contacts!.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 10), context: AdapterContext(transport: fx.client, requestID: "t"))
        }
        guard case .upstream(_, 401, _, _)? = e else { Issue.record("expected the upstream 401"); return }
    }

    @Test func passthroughReachesTheAPIWithTheGatewaysKey() async throws {
        let env = try Env()
        let r = try await env.adapter.passthrough!.passthrough(method: "GET", path: "/api/v3/dashboards/1/tags", query: "page=0&page_size=2",
                                                               headers: [("x-api-key", "client-key")], body: [], context: env.context)
        #expect(r.status == 200)
        let body = try JSON.parse(r.body)
        #expect(body["meta"]?["total_items"] == 6)
        #expect(body["items"]?.arrayValue?.count == 2)
    }
}
