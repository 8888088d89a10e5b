import Gateway
import GatewayCore
import Testing

/// Shared set-up of the HotProfile mapping tests: an adapter on a recording transport.
struct HotProfileHarness {
    let transport = RecordingTransport()
    let adapter = HotProfileAdapter(settings: UpstreamSettings(baseURL: "https://acme.hot-profile.com/", credential: "test-key"))
    var contacts: any ResourceSource<Contact, ContactWrite> { adapter.contacts! }
    var companies: any ResourceSource<Company, CompanyWrite> { adapter.companies! }
    var context: AdapterContext { transport.context(requestID: "req-1") }

    /// The list entry `index` of a fixture, as the upstream sent it.
    static func entry(_ fixture: String, _ key: String, _ index: Int = 0) -> JSON {
        Fixture.json("hotprofile/\(fixture)")[key]![index]!
    }

    /// The request as HotProfile must receive it: a POST with a JSON body, nothing in the query.
    static func expectPost(_ r: UpstreamRequest, _ path: String, _ body: JSON, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.method == "POST", sourceLocation: sourceLocation)
        #expect(r.url == "https://acme.hot-profile.com" + path, sourceLocation: sourceLocation)
        #expect(r.headers["Content-Type"] == "application/json", sourceLocation: sourceLocation)
        #expect(r.headers["Accept"] == "application/json", sourceLocation: sourceLocation)
        #expect(r.headers["X-Request-Id"] == "req-1", sourceLocation: sourceLocation)
        #expect(r.jsonBody == body, sourceLocation: sourceLocation)
    }

    static func listBody(page: Int, size: Int, search: JSONObject? = nil) -> JSON {
        var o: JSONObject = ["api_key": "test-key", "page": ["number": .int(page), "display_number": .int(size)],
                             "order": ["key": "id", "type": "asc"]]
        if let search { o["search"] = .object(search) }
        return .object(o)
    }
}

/// Runs `body` and returns the `GatewayError` it threw (nil when it did not throw).
func hotProfileError(_ body: () async throws -> Void) async -> GatewayError? {
    do { try await body() } catch let e as GatewayError { return e } catch { Issue.record("not a GatewayError: \(error)") }
    return nil
}

@Suite("HotProfile adapter: reads and paging")
struct HotProfileReadTests {
    @Test("the adapter is `hotprofile` with contacts (business_card, lead), companies (client) and passthrough only")
    func shape() {
        let h = HotProfileHarness()
        #expect(h.adapter.source == "hotprofile")
        #expect(h.contacts.kinds == ["business_card", "lead"])
        #expect(h.companies.kinds == ["client"])
        #expect(h.contacts.operations(kind: "business_card") == [.list, .get, .create, .update])
        #expect(h.contacts.operations(kind: "lead") == [.list, .get, .create, .update])
        #expect(h.companies.operations(kind: "client") == [.list, .get, .create, .update])
        #expect(h.contacts.maxPageSize(kind: "business_card") == 1000)
        #expect(h.contacts.maxPageSize(kind: "lead") == 100)
        #expect(h.companies.maxPageSize(kind: "client") == 1000)
        #expect(h.adapter.passthrough != nil)
        #expect(h.adapter.deals == nil && h.adapter.activities == nil && h.adapter.notes == nil && h.adapter.messaging == nil)
    }

    @Test("a business card list is one JSON POST: api_key in the body, page[number]/[display_number], id asc")
    func listRequest() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/business_cards.list.200.json")
        let page = try await h.contacts.list(kind: "business_card", filter: ListFilter(), page: PageRequest(size: 2), context: h.context)
        #expect(h.transport.requests.count == 1)
        let r = h.transport.requests[0]
        HotProfileHarness.expectPost(r, "/rest_api/v1/business_cards/get_entry_list", HotProfileHarness.listBody(page: 1, size: 2))
        #expect(!r.url.contains("test-key"))
        #expect(page.items.map(\.id.description) == ["hotprofile:business_card:3001", "hotprofile:business_card:3002"])
        #expect(page.next == "2")
    }

    @Test("a business card maps every unified field, JST times to UTC, readings to custom_fields")
    func cardMapping() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/business_cards.list.200.json")
        let c = try await h.contacts.list(kind: "business_card", filter: ListFilter(), page: PageRequest(size: 2), context: h.context).items[0]
        #expect(c.id == UnifiedID(source: "hotprofile", kind: "business_card", remote: "3001"))
        #expect(c.displayName == "小川 大輔")
        #expect(c.lastName == "小川")
        #expect(c.firstName == "大輔")
        #expect(c.emails == [ContactPoint(value: "daisuke.ogawa@chuo-shoten.co.jp", type: "work", primary: true)])
        #expect(c.phones == [
            ContactPoint(value: "+81698688289", type: "work", primary: true, original: "06-9868-8289"),
            ContactPoint(value: "+819059828835", type: "mobile", primary: false, original: "090-5982-8835"),
        ])
        #expect(c.company == Ref(id: "hotprofile:client:1179", name: "中央商店株式会社"))
        #expect(c.title == "課長")
        #expect(c.address == "大阪府大阪市中央区栄町3丁目30-9 スクエア 12F")
        #expect(c.ownerID == "hotprofile:user:58503")
        #expect(c.tags == ["要フォロー", "既存顧客"])
        #expect(c.note == nil)
        #expect(c.createdAt == "2019-04-06T22:30:23Z")  // 2019/04/07 07:30:23 JST
        #expect(c.updatedAt == "2020-01-17T21:33:58Z")  // 2020/01/18 06:33:58 JST
        #expect(c.customFields == ["family_name_kana": "オガワ", "first_name_kana": "ダイスケ"])
        #expect(c.raw == HotProfileHarness.entry("business_cards.list.200.json", "business_cards"))
    }

    @Test("`raw` is the upstream entry untouched, and only with include=raw")
    func rawInclude() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        let c = try await h.contacts.get(UnifiedID("hotprofile:lead:7003")!, context: h.context)
        #expect(c.json(includeRaw: true)["raw"] == HotProfileHarness.entry("leads.get.200.json", "leads"))
        #expect(c.json(includeRaw: false)["raw"] == nil)
        #expect(c.json(includeRaw: false)["source"] == "hotprofile")
        #expect(c.json(includeRaw: false)["kind"] == "lead")
        #expect(c.json(includeRaw: false)["remote_id"] == "7003")
    }

    @Test("a lead is fetched by search[ids] and maps items, tags and owner")
    func leadGet() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        let c = try await h.contacts.get(UnifiedID("hotprofile:lead:7003")!, context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/leads/get_entry_list",
                                     HotProfileHarness.listBody(page: 1, size: 1, search: ["ids": "7003"]))
        #expect(c.displayName == "吉田 英樹")
        #expect(c.lastName == "吉田" && c.firstName == "英樹")
        #expect(c.emails == [ContactPoint(value: "yoshida-h@tokai-software.co.jp", type: "work", primary: true)])
        #expect(c.phones == [
            ContactPoint(value: "+81343006628", type: "work", primary: true, original: "03-4300-6628"),
            ContactPoint(value: "+818064395701", type: "mobile", primary: false, original: "080-6439-5701"),
        ])
        #expect(c.company == Ref(id: "hotprofile:client:1093", name: "株式会社東海ソフトウェア"))
        #expect(c.title == "主任")
        #expect(c.address == "東京都渋谷区西町1丁目16-16 スクエア 8F")
        #expect(c.ownerID == "hotprofile:user:58502")
        #expect(c.tags == ["新規"])
        #expect(c.note == nil)
        #expect(c.createdAt == "2019-04-13T19:04:48Z")
        #expect(c.updatedAt == "2020-07-03T10:10:05Z")
        #expect(c.customFields == ["family_name_kana": "ヨシダ", "first_name_kana": "ヒデキ", "検討時期": "半年以内", "予算": "100万〜500万円"])
    }

    @Test("a business card is fetched by the from_id/to_id range")
    func cardGet() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/business_cards.get.200.json")
        let c = try await h.contacts.get(UnifiedID("hotprofile:business_card:3002")!, context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/business_cards/get_entry_list",
                                     HotProfileHarness.listBody(page: 1, size: 1, search: ["from_id": 3002, "to_id": 3002]))
        #expect(c.id.remote == "3002")
        #expect(c.address == "東京都港区東町5丁目1-20")
        #expect(c.createdAt == "2019-04-13T18:55:33Z")
    }

    @Test("a client maps name, website, phone, address, industry, owner, note, times and custom items")
    func clientGet() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/clients.get.200.json")
        let c = try await h.companies.get(UnifiedID("hotprofile:client:1001")!, context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/clients/get_entry_list",
                                     HotProfileHarness.listBody(page: 1, size: 1, search: ["from_id": 1001, "to_id": 1001]))
        #expect(c.id.description == "hotprofile:client:1001")
        #expect(c.name == "株式会社平和情報技術")
        #expect(c.website == "https://www.heiwa-joho.co.jp")
        #expect(c.emails.isEmpty)
        #expect(c.phones == [ContactPoint(value: "+81222436065", type: "work", primary: true, original: "022-243-6065")])
        #expect(c.address == "宮城県仙台市青葉区東町4丁目25-19 第一ビル 9F")
        #expect(c.industry == "情報通信業")
        #expect(c.ownerID == "hotprofile:user:58502")
        #expect(c.note == "与信確認済み")
        #expect(c.createdAt == "2019-04-01T02:10:07Z")
        #expect(c.updatedAt == "2019-04-01T02:10:07Z")
        #expect(c.customFields == ["name_kana": "ヘイワジョウホウギジュツ", "name_disp": "平和情報技術", "顧客ランク": "B", "決算月": "9月"])
        #expect(c.raw == HotProfileHarness.entry("clients.get.200.json", "clients"))
    }

    @Test("a client list pages like the others")
    func clientList() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/clients.list.200.json")
        let page = try await h.companies.list(kind: "client", filter: ListFilter(), page: PageRequest(size: 2), context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/clients/get_entry_list", HotProfileHarness.listBody(page: 1, size: 2))
        #expect(page.items.map(\.id.remote) == ["1001", "1002"])
        #expect(page.next == "2")
    }

    @Test("a full last page (current_number == total_number) has next == nil")
    func lastPage() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/business_cards.list-last.200.json")
        let page = try await h.contacts.list(kind: "business_card", filter: ListFilter(), page: PageRequest(size: 2, token: "165"), context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/business_cards/get_entry_list", HotProfileHarness.listBody(page: 165, size: 2))
        #expect(page.items.map(\.id.remote) == ["3329", "3330"])
        #expect(page.next == nil)
    }

    @Test("an empty result is the last page, whatever total_number says")
    func emptyPage() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["leads": [], "pages": ["current_number": 3, "display_number": 20, "total_count": 99, "total_number": 5]])
        let page = try await h.contacts.list(kind: "lead", filter: ListFilter(), page: PageRequest(size: 20, token: "3"), context: h.context)
        #expect(page.items.isEmpty)
        #expect(page.next == nil)
    }

    @Test("the page size is capped at HotProfile's maximum (leads: 100)")
    func pageSizeCap() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["leads": [], "pages": ["current_number": 1, "display_number": 100, "total_count": 0, "total_number": 0]])
        _ = try await h.contacts.list(kind: "lead", filter: ListFilter(), page: PageRequest(size: 200), context: h.context)
        #expect(h.transport.requests[0].jsonBody?["page"]?["display_number"] == 100)
    }

    @Test("a cursor that is not a page number is a 400, before any call")
    func badCursor() async {
        let h = HotProfileHarness()
        for token in ["abc", "0", "-1", "01", ""] {
            let e = await hotProfileError { _ = try await h.contacts.list(kind: "lead", filter: ListFilter(), page: PageRequest(size: 5, token: token), context: h.context) }
            guard case .badRequest? = e else { Issue.record("token \(token): \(String(describing: e))"); continue }
        }
        #expect(h.transport.requests.isEmpty)
    }

    @Test("get of an id HotProfile does not return is a 404")
    func getNone() async {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/business_cards.get-none.200.json")
        let e = await hotProfileError { _ = try await h.contacts.get(UnifiedID("hotprofile:business_card:9999")!, context: h.context) }
        guard case .notFound? = e else { Issue.record("\(String(describing: e))"); return }
    }

    @Test("get answered with another record (the search was ignored) is a 404, not the wrong record")
    func getWrongRecord() async {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/business_cards.get.200.json")  // id 3002
        let e = await hotProfileError { _ = try await h.contacts.get(UnifiedID("hotprofile:business_card:3005")!, context: h.context) }
        guard case .notFound? = e else { Issue.record("\(String(describing: e))"); return }
    }

    @Test("ids of another kind or with a non-numeric remote part are 404s without a call")
    func foreignIDs() async {
        let h = HotProfileHarness()
        for id in ["hotprofile:client:1001", "hotprofile:lead:abc", "hotprofile:lead:0", "pipedrive:person:1", "hotprofile:business_card:007"] {
            let e = await hotProfileError { _ = try await h.contacts.get(UnifiedID(id)!, context: h.context) }
            guard case .notFound? = e else { Issue.record("\(id): \(String(describing: e))"); continue }
        }
        let e = await hotProfileError { _ = try await h.companies.get(UnifiedID("hotprofile:lead:7001")!, context: h.context) }
        guard case .notFound? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(h.transport.requests.isEmpty)
    }

    @Test("delete is not offered: 405")
    func deleteNotAllowed() async {
        let h = HotProfileHarness()
        let e = await hotProfileError { try await h.contacts.delete(UnifiedID("hotprofile:lead:7001")!, context: h.context) }
        guard case .methodNotAllowed? = e else { Issue.record("\(String(describing: e))"); return }
        let e2 = await hotProfileError { try await h.companies.delete(UnifiedID("hotprofile:client:1001")!, context: h.context) }
        guard case .methodNotAllowed? = e2 else { Issue.record("\(String(describing: e2))"); return }
        #expect(h.transport.requests.isEmpty)
    }

    @Test("an entry with a blank given name shows the family name alone; parts-only addresses are joined")
    func sparseEntry() async throws {
        let h = HotProfileHarness()
        let entry: JSON = ["id": 5, "client_id": 1001, "client_name": "株式会社A", "name": "山田 ", "family_name": "山田", "first_name": "",
                           "email": "", "mobile_email": "m@docomo.ne.jp", "tel": "", "mobile_tel": "", "fax": "03-1111-2222",
                           "address": "", "address1": "東京都港区", "address2": "芝1-2-3", "address3": "Aビル 3F", "post": "",
                           "owner_user_id": nil, "created_at": "2025/01/01 08:59:59", "updated_at": "bad", "tags": []]
        h.transport.answer(200, json: ["business_cards": [entry], "pages": ["current_number": 1, "display_number": 5, "total_count": 1, "total_number": 1]])
        let c = try await h.contacts.list(kind: "business_card", filter: ListFilter(), page: PageRequest(size: 5), context: h.context).items[0]
        #expect(c.displayName == "山田")
        #expect(c.firstName == nil)
        #expect(c.emails == [ContactPoint(value: "m@docomo.ne.jp", type: "mobile", primary: true)])
        #expect(c.phones == [ContactPoint(value: "+81311112222", type: "fax", primary: true, original: "03-1111-2222")])
        #expect(c.address == "東京都港区芝1-2-3 Aビル 3F")
        #expect(c.title == nil && c.ownerID == nil && c.tags.isEmpty)
        #expect(c.createdAt == "2024-12-31T23:59:59Z")  // across the date line
        #expect(c.updatedAt == nil)
        #expect(c.customFields.isEmpty)
    }
}

@Suite("HotProfile adapter: upstream errors")
struct HotProfileErrorTests {
    @Test("a 422 from HotProfile surfaces as .upstream(422) with its body")
    func upstream422() async {
        let h = HotProfileHarness()
        h.transport.answer(422, fixture: "hotprofile/leads.create.422.json")
        var w = ContactWrite()
        w.lastName = .set("山田")
        w.companyID = .set(UnifiedID("hotprofile:client:1001")!)
        let e = await hotProfileError { _ = try await h.contacts.create(kind: "lead", w, context: h.context) }
        guard case .upstream(let source, let status, let body, _)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(source == "hotprofile" && status == 422)
        #expect(body == Fixture.bytes("hotprofile/leads.create.422.json"))
    }

    @Test("a 404 on update (unknown id) stays a 404 upstream error")
    func upstream404() async {
        let h = HotProfileHarness()
        h.transport.answer(404, fixture: "hotprofile/leads.update.404.json")
        var w = ContactWrite()
        w.note = .set("x")
        w.companyID = .set(UnifiedID("hotprofile:client:1001")!)
        let e = await hotProfileError { _ = try await h.contacts.update(UnifiedID("hotprofile:lead:99999")!, w, context: h.context) }
        guard case .upstream(_, 404, let body, _)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(body == Fixture.bytes("hotprofile/leads.update.404.json"))
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/leads/update",
                                     ["api_key": "test-key", "id": 99999, "client_id": 1001, "note": "x"])
    }

    @Test("a 503 and a 401 surface as .upstream with their status")
    func upstream5xx() async {
        let h = HotProfileHarness()
        h.transport.answer(UpstreamResponse(status: 503, headers: ["Retry-After": "7"], body: Fixture.bytes("hotprofile/list.503.json")))
        h.transport.answer(401, fixture: "hotprofile/list.401.json")
        for expected in [503, 401] {
            let e = await hotProfileError { _ = try await h.contacts.list(kind: "lead", filter: ListFilter(), page: PageRequest(size: 5), context: h.context) }
            guard case .upstream("hotprofile", let status, _, let retry)? = e else { Issue.record("\(String(describing: e))"); continue }
            #expect(status == expected)
            #expect(retry == (expected == 503 ? "7" : nil))
        }
    }

    @Test("a transport failure is .transport tagged hotprofile")
    func transportFailure() async {
        let h = HotProfileHarness()
        h.transport.fail(.timeout)
        let e = await hotProfileError { _ = try await h.companies.list(kind: "client", filter: ListFilter(), page: PageRequest(size: 5), context: h.context) }
        guard case .transport("hotprofile", .timeout)? = e else { Issue.record("\(String(describing: e))"); return }
    }

    @Test("a body without the entity array, without pages, or not JSON is .invalidResponse")
    func invalidBodies() async {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["clients": [], "pages": ["total_number": 0]])  // asked for leads
        h.transport.answer(200, json: ["leads": []])
        h.transport.answer(UpstreamResponse(status: 200, body: Array("<html>".utf8)))
        h.transport.answer(200, json: ["leads": [["name": "no id"]], "pages": ["current_number": 1, "total_number": 1]])
        for _ in 0..<4 {
            let e = await hotProfileError { _ = try await h.contacts.list(kind: "lead", filter: ListFilter(), page: PageRequest(size: 5), context: h.context) }
            guard case .invalidResponse("hotprofile", _)? = e else { Issue.record("\(String(describing: e))"); continue }
        }
    }

    @Test("create answered without an id is .invalidResponse")
    func createWithoutID() async {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["ok": true])
        var w = CompanyWrite()
        w.name = .set("株式会社テスト")
        let e = await hotProfileError { _ = try await h.companies.create(kind: "client", w, context: h.context) }
        guard case .invalidResponse? = e else { Issue.record("\(String(describing: e))"); return }
    }
}
