import GatewayCore
@testable import Sandbox
import Testing

/// The Text Request emulator over real sockets: auth, paging, contacts (204s, upsert rules,
/// delete rules, phone normalisation), sends (limits, segments, throttle, stats),
/// conversations, groups/tags/fields, hooks, signed webhooks, the admin deliver path, reset.
@Suite("Text Request emulator")
struct TextRequestEmulatorTests {
    static let key = [("x-api-key", "sandbox-key")]
    static let seed = TextRequestSeed.make()
    /// 2025-01-15T09:30:00Z, the fixture's clock.
    static let nowSeconds: Int64 = 1_736_933_400
    static let api = "/api/v3"

    func call(_ f: SandboxFixture, _ method: String, _ path: String, json: JSON? = nil,
              headers: [(String, String)] = TextRequestEmulatorTests.key) async throws -> (UpstreamResponse, JSON) {
        let r = try await f.call("textrequest", method, Self.api + path, headers: headers, json: json)
        return (r, r.body.isEmpty ? .null : try f.json(r))
    }

    /// A seeded dashboard-1 contact with at least `messages` messages.
    func seededContact(messages: Int) -> TRContact {
        Self.seed.dashboards[1]!.orderedContacts.first { $0.messages.count >= messages && $0.optedOut == nil && !$0.isSuppressed && !$0.isBlocked }!
    }

    // MARK: auth, errors, paging

    @Test func authMissingIs400AndWrongKeyIs401() async throws {
        let f = try SandboxFixture(["textrequest"])
        let (missing, mb) = try await call(f, "GET", "/dashboards", headers: [])
        #expect(missing.status == 400)
        #expect(mb["status"] == 400)
        #expect(mb["errorCode"] == .null)
        #expect(mb["message"] == "The x-api-key request header is missing.")
        #expect(mb["error_message"] == mb["message"])
        let (wrong, wb) = try await call(f, "GET", "/dashboards", headers: [("x-api-key", "nope")])
        #expect(wrong.status == 401)
        #expect(wb["status"] == 401)
        let (good, gb) = try await call(f, "GET", "/dashboards")
        #expect(good.status == 200)
        #expect(gb["meta"] == ["page": 0, "page_size": 100, "total_items": 2])
        #expect(gb["items"]?[0] == ["id": 1, "name": "Sandbox Dashboard", "phone": "14235550100"])
        let (unknown, _) = try await call(f, "GET", "/dashboards/99")
        #expect(unknown.status == 404)
        let (badID, bb) = try await call(f, "GET", "/dashboards/abc")
        #expect(badID.status == 400)
        #expect(bb["error_code"] == "parameterInvalid")
    }

    @Test func pagingThroughAllContacts() async throws {
        let f = try SandboxFixture(["textrequest"])
        var phones: [String] = []
        var page = 0
        while true {
            let (r, b) = try await call(f, "GET", "/dashboards/1/contacts?page=\(page)&page_size=100")
            #expect(r.status == 200)
            #expect(b["meta"]?["total_items"] == 420)
            let items = try #require(b["items"]?.arrayValue)
            if items.isEmpty { break }
            phones += items.compactMap { $0["phone_number"]?.stringValue }
            page += 1
        }
        #expect(page == 5)
        #expect(phones.count == Self.seed.dashboards[1]!.contacts.count)
        #expect(Set(phones).count == 420)
        #expect(phones == Self.seed.dashboards[1]!.orderedContacts.map(\.phone))
        #expect(phones.allSatisfy { $0.count == 11 && $0.hasPrefix("1") })
        let (past, pb) = try await call(f, "GET", "/dashboards/1/contacts?page=50")
        #expect(past.status == 200)
        #expect(pb["items"] == [])
        #expect(pb["meta"] == ["page": 50, "page_size": 100, "total_items": 420])
        for bad in ["page=-1", "page=abc", "page_size=-5", "page_size=x", "page="] {
            let (r, b) = try await call(f, "GET", "/dashboards/1/contacts?\(bad)")
            #expect(r.status == 400, "\(bad)")
            #expect(b["status"] == 400)
        }
        let (big, bigb) = try await call(f, "GET", "/dashboards/1/contacts?page_size=5000")
        #expect(big.status == 200)
        #expect(bigb["meta"]?["page_size"] == 1000)
        #expect(bigb["items"]?.arrayValue?.count == 420)
    }

    @Test func contactFilters() async throws {
        let f = try SandboxFixture(["textrequest"])
        let d = Self.seed.dashboards[1]!
        let (r1, b1) = try await call(f, "GET", "/dashboards/1/contacts?contact_phone_number=423555&page_size=1000")
        #expect(r1.status == 200)
        #expect(b1["meta"]?["total_items"]?.intValue == d.contacts.keys.filter { $0.hasPrefix("1423555") }.count)
        let optedOut = d.contacts.values.filter { $0.optedOut != nil }.count
        let (_, b2) = try await call(f, "GET", "/dashboards/1/contacts?has_opted_out=true")
        #expect(b2["meta"]?["total_items"]?.intValue == optedOut)
        #expect(optedOut == 6)
        let (_, b3) = try await call(f, "GET", "/dashboards/1/contacts?is_blocked=true")
        #expect(b3["meta"]?["total_items"] == 5)
        let tag = d.tags[0].id
        let (_, b4) = try await call(f, "GET", "/dashboards/1/contacts?tags=\(tag)")
        #expect(b4["meta"]?["total_items"]?.intValue == d.contacts.values.filter { $0.tags.contains(tag) }.count)
        let (_, b5) = try await call(f, "GET", "/dashboards/1/contacts?contact_created_after=2024-12-01T00:00:00Z")
        let cutoff = UTCTime(year: 2024, month: 12, day: 1)!.epochMillis
        #expect(b5["meta"]?["total_items"]?.intValue == d.contacts.values.filter { $0.created > cutoff }.count)
        let (bad, _) = try await call(f, "GET", "/dashboards/1/contacts?is_archived=maybe")
        #expect(bad.status == 400)
        let (badDate, _) = try await call(f, "GET", "/dashboards/1/contacts?contact_created_after=yesterday")
        #expect(badDate.status == 400)
    }

    // MARK: contacts

    @Test func contactGetUnknownIs204AndPhonesNormalise() async throws {
        let f = try SandboxFixture(["textrequest"])
        let (none, nb) = try await call(f, "GET", "/dashboards/1/contacts/4235550199")
        #expect(none.status == 204)
        #expect(none.body.isEmpty)
        #expect(nb == .null)
        let seeded = Self.seed.dashboards[1]!.orderedContacts[0]
        for form in [seeded.phone, String(seeded.phone.dropFirst()),
                     "1-" + seeded.phone.dropFirst().prefix(3) + "-555-" + seeded.phone.suffix(4)] {
            let (r, b) = try await call(f, "GET", "/dashboards/1/contacts/\(form)")
            #expect(r.status == 200, "\(form)")
            #expect(b["phone_number"] == .string(seeded.phone))
        }
        for bad in ["442079460000", "04235550199", "12345", "1423555019a", "1123555019"] {
            let (r, b) = try await call(f, "GET", "/dashboards/1/contacts/\(bad)")
            #expect(r.status == 400, "\(bad)")
            #expect(b["error_code"] == "parameterInvalid")
        }
        #expect(USPhone.normalize("+1 (423) 555-0199") == "14235550199")
        #expect(USPhone.normalize("4235550199") == "14235550199")
        #expect(USPhone.normalize("+44 20 7946 0000") == nil)
    }

    @Test func createOrUpdateThenRead() async throws {
        let f = try SandboxFixture(["textrequest"])
        let d = Self.seed.dashboards[1]!
        let body: JSON = ["first_name": "Ada", "last_name": "Lovelace", "note": "From the test",
                          "groups": [.int(d.groups[0].id)], "contact_tags": [.string(d.tags[1].id)],
                          "custom_fields": [["id": .string(d.fields[0].id), "value": "ada@example.com"]]]
        let (r, b) = try await call(f, "POST", "/dashboards/1/contacts/4235550199", json: body)
        #expect(r.status == 200)
        #expect(b["phone_number"] == "14235550199")
        #expect(b["display_name"] == "Ada Lovelace")
        #expect(b["groups"] == [.int(d.groups[0].id)])
        #expect(b["total_msgs_sent"] == 0)
        #expect(b["last_message"] == .null)
        #expect(b["date_created_utc"] == "2025-01-15T09:30:00.000Z")
        let (g, gb) = try await call(f, "GET", "/dashboards/1/contacts/14235550199")
        #expect(g.status == 200)
        #expect(gb == b)
        let (u, ub) = try await call(f, "POST", "/dashboards/1/contacts/14235550199", json: ["note": "Updated", "is_resolved": false])
        #expect(u.status == 200)
        #expect(ub["note"] == "Updated")
        #expect(ub["first_name"] == "Ada")
        #expect(ub["is_resolved"] == false)
        let (_, list) = try await call(f, "GET", "/dashboards/1/contacts?page_size=1")
        #expect(list["meta"]?["total_items"] == 421)
        let (badTag, _) = try await call(f, "POST", "/dashboards/1/contacts/14235550199", json: ["contact_tags": ["00000000-0000-0000-0000-000000000000"]])
        #expect(badTag.status == 400)
        let (badType, _) = try await call(f, "POST", "/dashboards/1/contacts/14235550199", json: ["first_name": 5])
        #expect(badType.status == 400)
    }

    @Test func emptyArrayClearsNullLeaves() async throws {
        let f = try SandboxFixture(["textrequest"])
        let d = Self.seed.dashboards[1]!
        let tags: JSON = [.string(d.tags[0].id), .string(d.tags[2].id)]
        let fields: JSON = [["id": .string(d.fields[1].id), "value": "C-1"], ["id": .string(d.fields[2].id), "value": "Nashville"]]
        let path = "/dashboards/1/contacts/6155550188"
        let (_, b0) = try await call(f, "POST", path, json: ["contact_tags": tags, "custom_fields": fields])
        #expect(b0["contact_tags"] == tags)
        #expect(b0["custom_fields"]?.arrayValue?.count == 2)
        let (_, b1) = try await call(f, "POST", path, json: ["contact_tags": .null, "custom_fields": .null, "first_name": "Kim"])
        #expect(b1["contact_tags"] == tags)
        #expect(b1["custom_fields"]?.arrayValue?.count == 2)
        let (_, b2) = try await call(f, "POST", path, json: ["last_name": "Lee"])
        #expect(b2["contact_tags"] == tags)
        let (_, b3) = try await call(f, "POST", path, json: ["custom_fields": [["id": .string(d.fields[1].id), "value": "C-2"]]])
        #expect(b3["custom_fields"] == [["id": .string(d.fields[1].id), "value": "C-2"], ["id": .string(d.fields[2].id), "value": "Nashville"]])
        let (_, b4) = try await call(f, "POST", path, json: ["contact_tags": [], "custom_fields": []])
        #expect(b4["contact_tags"] == [])
        #expect(b4["custom_fields"] == [])
        #expect(b4["first_name"] == "Kim")
    }

    @Test func deleteRules() async throws {
        let f = try SandboxFixture(["textrequest"])
        let withHistory = seededContact(messages: 1)
        let (r1, b1) = try await call(f, "DELETE", "/dashboards/1/contacts/\(withHistory.phone)")
        #expect(r1.status == 400)
        #expect(b1["status"] == 400)
        let (r2, _) = try await call(f, "DELETE", "/dashboards/1/contacts/4155550199")
        #expect(r2.status == 404)
        _ = try await call(f, "POST", "/dashboards/1/contacts/4155550199", json: ["first_name": "Temp"])
        let (r3, _) = try await call(f, "DELETE", "/dashboards/1/contacts/4155550199")
        #expect(r3.status == 200)
        #expect(r3.body.isEmpty)
        let (r4, _) = try await call(f, "GET", "/dashboards/1/contacts/4155550199")
        #expect(r4.status == 204)
    }

    @Test func bulkUpsert() async throws {
        let f = try SandboxFixture(["textrequest"])
        let existing = Self.seed.dashboards[1]!.orderedContacts[5]
        let (r, b) = try await call(f, "POST", "/dashboards/1/contacts", json: [
            ["phone_number": "212-555-0190", "first_name": "Bulk", "last_name": "One"],
            ["phone_number": .string(existing.phone), "note": "bulk note"],
        ])
        #expect(r.status == 200)
        let items = try #require(b.arrayValue)
        #expect(items.count == 2)
        #expect(items[0]["phone_number"] == "12125550190")
        #expect(items[1]["note"] == "bulk note")
        #expect(items[1]["first_name"] == JSON(existing.firstName))
        let (bad, _) = try await call(f, "POST", "/dashboards/1/contacts", json: [["phone_number": "12125550191"], ["phone_number": "99"]])
        #expect(bad.status == 400)
        let (none, _) = try await call(f, "GET", "/dashboards/1/contacts/12125550191")
        #expect(none.status == 204)
    }

    // MARK: messages

    @Test func sendLimitsSegmentsStatsAndThrottle() async throws {
        let f = try SandboxFixture(["textrequest"])
        let c = seededContact(messages: 2)
        let path = "/dashboards/1/contacts/\(c.phone)/messages"
        let max = String(repeating: "a", count: 1600)
        let (r1, m1) = try await call(f, "POST", path, json: ["body": .string(max), "sender_name": "Gateway Test"])
        #expect(r1.status == 200)
        #expect(m1["body"]?.stringValue?.count == 1600)
        #expect(m1["message_direction"] == "S")
        #expect(m1["delivery_status"] == "sent")
        #expect(m1["response_by_username"] == "Gateway Test")
        #expect(m1["message_timestamp_utc"] == "2025-01-15T09:30:00.000Z")
        let (r2, b2) = try await call(f, "POST", path, json: ["body": .string(max + "a")])
        #expect(r2.status == 400)
        #expect(b2["error_code"] == "parameterInvalid")
        let (r3, _) = try await call(f, "POST", path, json: ["body": "hi", "sender_name": .string(String(repeating: "n", count: 42))])
        #expect(r3.status == 400)
        let (r4, _) = try await call(f, "POST", path, json: ["sender_name": "x"])
        #expect(r4.status == 400)

        // The contact's stats follow the send; the stored copy is delivered.
        let (_, contact) = try await call(f, "GET", "/dashboards/1/contacts/\(c.phone)")
        #expect(contact["total_msgs_sent"]?.intValue == c.totalSent + 1)
        #expect(contact["last_msg_sent_utc"] == "2025-01-15T09:30:00.000Z")
        #expect(contact["last_message"]?["message_id"] == m1["message_id"])
        #expect(contact["last_message"]?["delivery_status"] == "delivered")

        // 1 msg/s: a second send in the same second is queued; a second later it is sent.
        let (_, q) = try await call(f, "POST", path, json: ["body": "second"])
        #expect(q["delivery_status"] == "queued")
        f.clock.advance(millis: 5000)
        let (_, s) = try await call(f, "POST", path, json: ["body": "third"])
        #expect(s["delivery_status"] == "sent")

        // Top-level send: segments for GSM-7 and UCS-2, a new contact created.
        func top(_ text: String) async throws -> JSON {
            let (r, b) = try await call(f, "POST", "/messages", json: ["from": "4235550100", "to": "4235550177", "body": .string(text)])
            #expect(r.status == 200)
            return b
        }
        let one = try await top(String(repeating: "b", count: 160))
        #expect(one["segments_count"] == 1)
        #expect(one["from"] == "14235550100")
        #expect(one["to"] == "14235550177")
        #expect(one["status"] == "sending")
        #expect(try await top(String(repeating: "b", count: 161))["segments_count"] == 2)
        #expect(try await top(max)["segments_count"] == 11)
        #expect(try await top(String(repeating: "ж", count: 70))["segments_count"] == 1)
        #expect(try await top(String(repeating: "ж", count: 71))["segments_count"] == 2)
        #expect(try await top(String(repeating: "{", count: 80))["segments_count"] == 1)
        #expect(try await top(String(repeating: "{", count: 81))["segments_count"] == 2)
        let (_, created) = try await call(f, "GET", "/dashboards/1/contacts/14235550177")
        #expect(created["total_msgs_sent"] == 7)
        let (badFrom, _) = try await call(f, "POST", "/messages", json: ["from": "4235550111", "to": "4235550177", "body": "x"])
        #expect(badFrom.status == 400)
        let (noTo, _) = try await call(f, "POST", "/messages", json: ["from": "4235550100", "body": "x"])
        #expect(noTo.status == 400)
        #expect(SMSSegments.count(String(repeating: "a", count: 306)) == 2)
        #expect(SMSSegments.count(String(repeating: "a", count: 307)) == 3)
    }

    @Test func conversationMessagesPagingAnd204() async throws {
        let f = try SandboxFixture(["textrequest"])
        let (none, _) = try await call(f, "GET", "/dashboards/1/contacts/4235550199/messages")
        #expect(none.status == 204)
        #expect(none.body.isEmpty)
        let long = Self.seed.dashboards[1]!.orderedContacts.first { $0.messages.count == 150 }!
        let (r0, p0) = try await call(f, "GET", "/dashboards/1/contacts/\(long.phone)/messages")
        #expect(r0.status == 200)
        #expect(p0["meta"] == ["page": 0, "page_size": 100, "total_items": 150])
        let (_, p1) = try await call(f, "GET", "/dashboards/1/contacts/\(long.phone)/messages?page=1")
        let items = (p0["items"]?.arrayValue ?? []) + (p1["items"]?.arrayValue ?? [])
        #expect(items.count == 150)
        let stamps = items.compactMap { $0["message_timestamp_utc"]?.stringValue }
        #expect(stamps == stamps.sorted())
        #expect(items.compactMap { $0["message_id"]?.stringValue } == long.messages.map(\.id))
        let (_, all) = try await call(f, "GET", "/dashboards/1/messages?page_size=1000&start_date=2025-01-01T00:00:00Z")
        let expected = Self.seed.dashboards[1]!.contacts.values.flatMap(\.messages)
            .filter { $0.millis >= UTCTime(year: 2025, month: 1, day: 1)!.epochMillis }.count
        #expect(all["meta"]?["total_items"]?.intValue == expected)
        #expect(all["items"]?[0]?["dashboard_phone"] == "14235550100")
        #expect(all["items"]?[0]?["customer_phone"]?.stringValue?.count == 11)
    }

    @Test func conversationsArchiveAndUnarchive() async throws {
        let f = try SandboxFixture(["textrequest"])
        let c = seededContact(messages: 1)
        let visible = Self.seed.dashboards[1]!.contacts.values.filter { !$0.messages.isEmpty && !$0.isArchived }.count
        let (r0, b0) = try await call(f, "GET", "/dashboards/1/conversations?page_size=1000")
        #expect(r0.status == 200)
        #expect(b0["meta"]?["total_items"]?.intValue == visible)
        #expect(b0["items"]?[0]?["last_message"]?["message_id"] != nil)
        let (a, _) = try await call(f, "PUT", "/dashboards/1/contacts/\(c.phone)/conversations/archive")
        #expect(a.status == 200)
        #expect(a.body.isEmpty)
        let (_, contact) = try await call(f, "GET", "/dashboards/1/contacts/\(c.phone)")
        #expect(contact["is_archived"] == true)
        let (_, b1) = try await call(f, "GET", "/dashboards/1/conversations?page_size=1000")
        #expect(b1["meta"]?["total_items"]?.intValue == visible - 1)
        let (_, b2) = try await call(f, "GET", "/dashboards/1/conversations?page_size=1000&include_archived=true")
        #expect(b2["items"]?.arrayValue?.contains { $0["phone_number"] == .string(c.phone) } == true)
        let (u, _) = try await call(f, "PUT", "/dashboards/1/contacts/\(c.phone)/conversations/unarchive")
        #expect(u.status == 200)
        let (_, b3) = try await call(f, "GET", "/dashboards/1/conversations?page_size=1000")
        #expect(b3["meta"]?["total_items"]?.intValue == visible)
        let (unknown, _) = try await call(f, "PUT", "/dashboards/1/contacts/4235550199/conversations/archive")
        #expect(unknown.status == 404)
        _ = try await call(f, "POST", "/dashboards", json: ["name": "Empty", "phone": "9015550100"])
        let (empty, _) = try await call(f, "GET", "/dashboards/3/conversations")
        #expect(empty.status == 204)
    }

    @Test func optedOutSendsAndInboundStop() async throws {
        let f = try SandboxFixture(["textrequest"])
        let out = Self.seed.dashboards[1]!.orderedContacts.first { $0.optedOut != nil }!
        #expect(out.messages.last?.body == "STOP")
        #expect(out.isArchived)
        let (r, m) = try await call(f, "POST", "/dashboards/1/contacts/\(out.phone)/messages", json: ["body": "Are you there?"])
        #expect(r.status == 200)
        #expect(m["delivery_status"] == "error")
        #expect(m["delivery_error"] == "21610")
        let (_, top) = try await call(f, "POST", "/messages", json: ["from": "14235550100", "to": .string(out.phone), "body": "Hello?"])
        #expect(top["status"] == "error")

        let fresh = seededContact(messages: 1)
        let d = try await f.call("textrequest", "POST", "/_sandbox/textrequest/deliver",
                                 json: ["event": "msg_received", "phone": .string(fresh.phone), "body": "stop"])
        #expect(d.status == 202)
        let (_, c) = try await call(f, "GET", "/dashboards/1/contacts/\(fresh.phone)")
        #expect(c["opted_out_utc"] == "2025-01-15T09:30:00.000Z")
        #expect(c["is_archived"] == true)
    }

    @Test func dashboardsCreateUpdateDelete() async throws {
        let f = try SandboxFixture(["textrequest"])
        let (c, cb) = try await call(f, "POST", "/dashboards", json: ["name": "Line 3", "phone": "+1 (901) 555-0100"])
        #expect(c.status == 200)
        #expect(cb == ["id": 3, "name": "Line 3", "phone": "19015550100"])
        let (dup, _) = try await call(f, "POST", "/dashboards", json: ["name": "Dup", "phone": "9015550100"])
        #expect(dup.status == 400)
        let (u, ub) = try await call(f, "PUT", "/dashboards/3", json: ["name": "Renamed"])
        #expect(u.status == 200)
        #expect(ub["name"] == "Renamed")
        let (del, _) = try await call(f, "DELETE", "/dashboards/3")
        #expect(del.status == 204)
        #expect(del.body.isEmpty)
        let (again, _) = try await call(f, "DELETE", "/dashboards/3")
        #expect(again.status == 404)
        let (_, d2) = try await call(f, "GET", "/dashboards/2")
        #expect(d2 == ["id": 2, "name": "Sandbox Support Line", "phone": "16155550100"])
    }

    // MARK: groups, tags, fields

    @Test func groupsTagsFields() async throws {
        let f = try SandboxFixture(["textrequest"])
        let d = Self.seed.dashboards[1]!
        let (g0, gl) = try await call(f, "GET", "/dashboards/1/groups")
        #expect(g0.status == 200)
        #expect(gl["meta"]?["total_items"] == 6)
        #expect(gl["items"]?[0]?["group_member_count"]?.intValue == d.memberCount(d.groups[0].id))
        let (gc, gcb) = try await call(f, "POST", "/dashboards/1/groups", json: ["name": "Test Group", "notes": "n"])
        #expect(gc.status == 200)
        #expect(gcb["group_member_count"] == 0)
        let (gn, _) = try await call(f, "POST", "/dashboards/1/groups", json: ["notes": "no name"])
        #expect(gn.status == 400)
        let (gu, _) = try await call(f, "GET", "/dashboards/1/groups/99999")
        #expect(gu.status == 204)
        let (gd, _) = try await call(f, "DELETE", "/dashboards/1/groups/\(gcb["id"]!.intValue!)")
        #expect(gd.status == 204)
        let (gd2, _) = try await call(f, "DELETE", "/dashboards/1/groups/\(gcb["id"]!.intValue!)")
        #expect(gd2.status == 404)

        let (tc, tb) = try await call(f, "POST", "/dashboards/1/tags", json: ["tag": "Test Tag"])
        #expect(tc.status == 200)
        #expect(tb["tag_color"] == "#1EB1C4")
        #expect(tb["id"]?.stringValue?.count == 36)
        let (dup, db) = try await call(f, "POST", "/dashboards/1/tags", json: ["tag": "hot lead"])
        #expect(dup.status == 400)
        #expect(db["message"]?.stringValue?.contains("already exists") == true)
        let (tu, _) = try await call(f, "GET", "/dashboards/1/tags/00000000-0000-0000-0000-000000000000")
        #expect(tu.status == 204)

        let (fl, flb) = try await call(f, "GET", "/dashboards/1/fields")
        #expect(fl.status == 200)
        #expect(flb.arrayValue?.count == 3)
        #expect(flb[0] == ["id": .string(d.fields[0].id), "name": "Email"])
        let (fdel, _) = try await call(f, "DELETE", "/dashboards/1/fields/\(d.fields[0].id)")
        #expect(fdel.status == 400)
        let (fc, fcb) = try await call(f, "POST", "/dashboards/1/fields", json: ["name": "Birthday"])
        #expect(fc.status == 200)
        let (fdel2, _) = try await call(f, "DELETE", "/dashboards/1/fields/\(fcb["id"]!.stringValue!)")
        #expect(fdel2.status == 204)
        let (fg, _) = try await call(f, "GET", "/dashboards/1/fields/\(fcb["id"]!.stringValue!)")
        #expect(fg.status == 204)
    }

    // MARK: hooks and webhooks

    @Test func hooksRegisterConflictAndDelete() async throws {
        let f = try SandboxFixture(["textrequest"])
        let (types, tb) = try await call(f, "GET", "/eventTypes")
        #expect(types.status == 200)
        #expect(tb.arrayValue?.count == 7)
        let hook: JSON = ["target_url": "https://example.com/tr", "event": "msg_received", "http_verb": "PUT"]
        let (r1, b1) = try await call(f, "POST", "/dashboards/1/hooks", json: hook)
        #expect(r1.status == 201)
        #expect(b1["target_url"] == "https://example.com/tr")
        #expect(b1["event"] == "msg_received")
        #expect(b1["dashboard_id"] == 1)
        #expect(b1["httpVerb"] == "PUT")
        #expect(b1["is_user_defined"] == false)
        let (r2, b2) = try await call(f, "POST", "/dashboards/1/hooks", json: hook)
        #expect(r2.status == 409)
        #expect(b2["status"] == 409)
        let (r3, b3) = try await call(f, "POST", "/dashboards/1/hooks", json: ["target_url": "https://example.com/tr", "event": "msg_sent", "httpVerb": "POST"])
        #expect(r3.status == 201)
        #expect(b3["httpVerb"] == "POST")
        let (r4, _) = try await call(f, "POST", "/dashboards/1/hooks", json: ["target_url": "https://example.com/tr", "event": "msg_exploded"])
        #expect(r4.status == 400)
        let (r5, _) = try await call(f, "POST", "/dashboards/1/hooks", json: ["target_url": "https://example.com/x", "event": "msg_sent", "http_verb": "GET"])
        #expect(r5.status == 400)
        let (_, list) = try await call(f, "GET", "/dashboards/1/hooks")
        #expect(list["meta"]?["total_items"] == 2)
        let (del, _) = try await call(f, "DELETE", "/dashboards/1/hooks/\(b1["id"]!.intValue!)")
        #expect(del.status == 204)
        #expect(del.body.isEmpty)
        let (del2, _) = try await call(f, "DELETE", "/dashboards/1/hooks/\(b1["id"]!.intValue!)")
        #expect(del2.status == 404)
    }

    /// Recomputes `Base64(HMAC-SHA256(key, "{ts}.{body}"))` and checks the timestamp is the clock's.
    func expectSigned(_ req: HTTPRequest) {
        let ts = req.headers["x-tr-webhook-timestamp"]
        #expect(ts == String(Self.nowSeconds))
        let expected = Base64.encode(hmacSHA256(key: Array("sandbox-key".utf8), message: Array(((ts ?? "") + ".").utf8) + req.body))
        #expect(req.headers["x-tr-webhook-signature"] == expected)
    }

    @Test func signedWebhooksOnSend() async throws {
        let f = try SandboxFixture(["textrequest"])
        let receiver = try RecordingReceiver()
        for (event, verb) in [("contact_created", "POST"), ("msg_sent", "PUT"), ("msg_status_updated", "POST")] {
            let (r, _) = try await call(f, "POST", "/dashboards/1/hooks",
                                        json: ["target_url": .string(receiver.url("/" + event)), "event": .string(event), "http_verb": .string(verb)])
            #expect(r.status == 201)
        }
        let (r, m) = try await call(f, "POST", "/dashboards/1/contacts/4235550198/messages", json: ["body": "Hello from the gateway"])
        #expect(r.status == 200)
        let got = await receiver.waitFor(count: 3)
        try #require(got.count == 3)
        for req in got { expectSigned(req) }

        let created = try #require(got.first { $0.path == "/contact_created" })
        #expect(created.method == .POST)
        let cb = try JSON.parse(created.body)
        #expect(cb["ContactPhoneNumber"] == "14235550198")
        #expect(cb["LocationPhoneNumber"] == "14235550100")
        #expect(cb["ContactId"]?.intValue != nil)

        let sent = try #require(got.first { $0.path == "/msg_sent" })
        #expect(sent.method == .PUT)
        let sb = try JSON.parse(sent.body)
        #expect(sb["messageUniqueIdentifier"] == m["message_id"])
        #expect(sb["yourPhoneNumber"]?["description"] == "Sandbox Dashboard")
        #expect(sb["yourPhoneNumber"]?["phoneNumber"] == "14235550100")
        #expect(sb["conversation"]?["messageDirection"] == "S")
        #expect(sb["conversation"]?["message"] == "Hello from the gateway")
        #expect(sb["conversation"]?["numSegments"] == 1)
        #expect(sb["conversation"]?["consumerPhoneNumber"] == "14235550198")

        let status = try #require(got.first { $0.path == "/msg_status_updated" })
        let stb = try JSON.parse(status.body)
        #expect(stb == ["message_id": m["message_id"]!, "status": "delivered", "error_code": .null])

        // contact_updated (snake_case, no message stats) on an update.
        _ = try await call(f, "POST", "/dashboards/1/hooks", json: ["target_url": .string(receiver.url("/contact_updated")), "event": "contact_updated"])
        _ = try await call(f, "POST", "/dashboards/1/contacts/4235550198", json: ["first_name": "Grace"])
        let more = await receiver.waitFor(count: 4)
        let updated = try #require(more.first { $0.path == "/contact_updated" })
        expectSigned(updated)
        let ub = try JSON.parse(updated.body)
        #expect(ub["first_name"] == "Grace")
        #expect(ub["phone_number"] == "14235550198")
        #expect(ub["opted_out_utc"] == .null)
        #expect(ub["total_msgs_sent"] == nil)
    }

    @Test func adminDeliverReceivesAMessage() async throws {
        let f = try SandboxFixture(["textrequest"])
        let receiver = try RecordingReceiver()
        _ = try await call(f, "POST", "/dashboards/1/hooks", json: ["target_url": .string(receiver.url("/in")), "event": "msg_received"])
        let c = Self.seed.dashboards[1]!.contacts["14235550123"]!
        let r = try await f.call("textrequest", "POST", "/_sandbox/textrequest/deliver",
                                 json: ["event": "msg_received", "phone": "4235550123", "body": "hello", "dashboard_id": 1])
        #expect(r.status == 202)
        let rb = try f.json(r)
        #expect(rb["queued"] == 1)
        let got = await receiver.waitFor(count: 1)
        try #require(got.count == 1)
        expectSigned(got[0])
        let wb = try JSON.parse(got[0].body)
        #expect(wb["conversation"]?["messageDirection"] == "R")
        #expect(wb["conversation"]?["message"] == "hello")
        #expect(wb["messageUniqueIdentifier"] == rb["message_id"])

        let total = c.messages.count + 1
        let lastPage = (total - 1) / 100
        let (_, page) = try await call(f, "GET", "/dashboards/1/contacts/14235550123/messages?page=\(lastPage)")
        #expect(page["meta"]?["total_items"]?.intValue == total)
        let last = try #require(page["items"]?.arrayValue?.last)
        #expect(last["body"] == "hello")
        #expect(last["message_direction"] == "R")
        #expect(last["message_id"] == rb["message_id"])
        let (_, contact) = try await call(f, "GET", "/dashboards/1/contacts/14235550123")
        #expect(contact["total_msgs_received"]?.intValue == c.totalReceived + 1)
        #expect(contact["last_msg_received_utc"] == "2025-01-15T09:30:00.000Z")
        #expect(contact["is_resolved"] == false)

        let s = try await f.call("textrequest", "POST", "/_sandbox/textrequest/deliver",
                                 json: ["event": "msg_status_updated", "message_id": rb["message_id"]!, "status": "failed", "error_code": "30003"])
        #expect(s.status == 202)
        let bad = try await f.call("textrequest", "POST", "/_sandbox/textrequest/deliver", json: ["event": "msg_received", "phone": "12", "body": "x"])
        #expect(bad.status == 400)
    }

    // MARK: faults and reset

    @Test func rateLimitFaultAndReset() async throws {
        let f = try SandboxFixture(["textrequest"])
        let fault = try await f.setFault("textrequest", ["mode": "rate_limit", "count": 1])
        #expect(fault.status == 200)
        let (limited, lb) = try await call(f, "GET", "/dashboards")
        #expect(limited.status == 429)
        #expect(limited.headers["Retry-After"] == "1")
        #expect(lb["status"] == 429)

        _ = try await call(f, "POST", "/dashboards/1/contacts/4235550199", json: ["first_name": "Gone"])
        _ = try await call(f, "DELETE", "/dashboards/1/groups/\(Self.seed.dashboards[1]!.groups[0].id)")
        _ = try await call(f, "DELETE", "/dashboards/2")
        let reset = try await f.call("textrequest", "POST", "/_sandbox/textrequest/reset")
        #expect(reset.status == 200)
        let (_, dashboards) = try await call(f, "GET", "/dashboards")
        #expect(dashboards["meta"]?["total_items"] == 2)
        let (_, contacts) = try await call(f, "GET", "/dashboards/1/contacts?page_size=1")
        #expect(contacts["meta"]?["total_items"] == 420)
        let (gone, _) = try await call(f, "GET", "/dashboards/1/contacts/4235550199")
        #expect(gone.status == 204)
        let (_, groups) = try await call(f, "GET", "/dashboards/1/groups")
        #expect(groups["meta"]?["total_items"] == 6)
        // The same ids as a fresh seed (deterministic).
        let (_, tags) = try await call(f, "GET", "/dashboards/1/tags")
        #expect(tags["items"]?[0]?["id"] == .string(Self.seed.dashboards[1]!.tags[0].id))
    }
}
