import Gateway
import GatewayCore
import Testing

/// The HotProfile adapter against the HotProfile emulator over loopback: paging through the
/// seeded tenant (330 cards, 345 leads, 320 clients), write round trips, filters, errors.
@Suite("HotProfile adapter end to end", .serialized)
struct HotProfileAdapterEndToEndTests {
    let f: SandboxFixture
    let adapter: HotProfileAdapter
    var contacts: any ResourceSource<Contact, ContactWrite> { adapter.contacts! }
    var companies: any ResourceSource<Company, CompanyWrite> { adapter.companies! }
    var ctx: AdapterContext { AdapterContext(transport: f.client, requestID: "t") }

    init() throws {
        f = try SandboxFixture(["hotprofile"])
        adapter = HotProfileAdapter(settings: UpstreamSettings(baseURL: f.host("hotprofile").baseURL, credential: "sandbox-key"))
    }

    func all<T>(_ size: Int, filter: ListFilter = ListFilter(),
                _ page: (ListFilter, PageRequest) async throws(GatewayError) -> SourcePage<T>) async throws -> (items: [T], pages: Int) {
        var items: [T] = []
        var token: String?
        var pages = 0
        repeat {
            let p = try await page(filter, PageRequest(size: size, token: token))
            #expect(p.items.count <= size)
            items += p.items
            token = p.next
            pages += 1
        } while token != nil && pages < 100
        return (items, pages)
    }

    func listCount(_ entity: String) async throws -> Int {
        try await f.stats("hotprofile")["by_operation"]?["\(entity).list"]?.intValue ?? 0
    }

    @Test("paging through every card, lead and client: each id exactly once, the last page ends the list")
    func paging() async throws {
        let cards = try await all(100) { (flt, p) throws(GatewayError) in try await contacts.list(kind: "business_card", filter: flt, page: p, context: ctx) }
        #expect(cards.items.count == 330 && cards.pages == 4)
        #expect(Set(cards.items.map(\.id.remote)).count == 330)
        #expect(cards.items.first?.id.description == "hotprofile:business_card:3001")
        let leads = try await all(100) { (flt, p) throws(GatewayError) in try await contacts.list(kind: "lead", filter: flt, page: p, context: ctx) }
        #expect(leads.items.count == 345 && leads.pages == 4)
        #expect(Set(leads.items.map(\.id.remote)).count == 345)
        // 320 clients in pages of 80: the fourth page is full and is the last; no fifth call.
        let before = try await listCount("clients")
        let clients = try await all(80) { (flt, p) throws(GatewayError) in try await companies.list(kind: "client", filter: flt, page: p, context: ctx) }
        #expect(clients.items.count == 320 && clients.pages == 4)
        #expect(Set(clients.items.map(\.id.remote)).count == 320)
        #expect(try await listCount("clients") - before == 4)
        #expect(clients.items.allSatisfy { $0.name != nil && $0.createdAt?.hasSuffix("Z") == true })
        #expect(leads.items.allSatisfy { $0.lastName != nil && $0.company?.id.hasPrefix("hotprofile:client:") == true })
    }

    @Test("lead: create -> get -> update (client kept) -> get; delete is 405")
    func leadRoundTrip() async throws {
        var w = ContactWrite()
        w.lastName = .set("山田")
        w.firstName = .set("太郎")
        w.emails = .set([ContactPoint(value: "taro.yamada@example.co.jp")])
        w.phones = .set([ContactPoint(value: "03-1234-5678"), ContactPoint(value: "090-1111-2222", type: "mobile")])
        w.companyID = .set(UnifiedID("hotprofile:client:1001")!)
        w.title = .set("部長")
        w.address = .set("東京都千代田区丸の内1-1-1")
        w.ownerID = .set("hotprofile:user:58501")
        w.note = .set("展示会")
        w.customFields = .set(["family_name_kana": "ヤマダ", "first_name_kana": "タロウ"])
        let created = try await contacts.create(kind: "lead", w, context: ctx)
        #expect(created.id.kind == "lead")
        #expect(created.displayName == "山田 太郎")
        #expect(created.emails == [ContactPoint(value: "taro.yamada@example.co.jp", type: "work", primary: true)])
        #expect(created.phones.map(\.value) == ["+81312345678", "+819011112222"])
        #expect(created.company == Ref(id: "hotprofile:client:1001", name: "株式会社平和情報技術"))
        #expect(created.title == "部長" && created.address == "東京都千代田区丸の内1-1-1" && created.note == "展示会")
        #expect(created.ownerID == "hotprofile:user:58501")
        #expect(created.createdAt == "2025-01-15T09:30:00Z")  // the fixture clock, back from JST
        #expect(created.customFields["family_name_kana"] == "ヤマダ")

        let fetched = try await contacts.get(created.id, context: ctx)
        #expect(fetched.lastName == "山田" && fetched.raw == created.raw)

        var u = ContactWrite()
        u.firstName = .set("次郎")
        u.phones = .set([ContactPoint(value: "090-3333-4444", type: "mobile")])
        u.note = .clear
        let updated = try await contacts.update(created.id, u, context: ctx)
        #expect(updated.firstName == "次郎" && updated.displayName == "山田 次郎")
        #expect(updated.phones == [ContactPoint(value: "+819033334444", type: "mobile", primary: true, original: "090-3333-4444")])
        #expect(updated.note == nil)
        #expect(updated.company?.id == "hotprofile:client:1001")
        #expect(try await contacts.get(created.id, context: ctx).firstName == "次郎")

        let e = await hotProfileE2EError { try await contacts.delete(created.id, context: ctx) }
        guard case .methodNotAllowed? = e else { Issue.record("\(String(describing: e))"); return }
    }

    @Test("business card: create (active, public) -> get -> move to another client -> get")
    func cardRoundTrip() async throws {
        var w = ContactWrite()
        w.lastName = .set("佐藤")
        w.companyID = .set(UnifiedID("hotprofile:client:1002")!)
        w.emails = .set([ContactPoint(value: "sato@example.co.jp"), ContactPoint(value: "sato@docomo.ne.jp", type: "mobile")])
        let created = try await contacts.create(kind: "business_card", w, context: ctx)
        #expect(created.id.kind == "business_card")
        #expect(created.displayName == "佐藤")
        #expect(created.emails.map(\.type) == ["work", "mobile"])
        #expect(created.raw?["status"] == 1 && created.raw?["open_status"] == 1)
        var u = ContactWrite()
        u.companyID = .set(UnifiedID("hotprofile:client:1003")!)
        u.customFields = .set(["open_status": 3])
        let moved = try await contacts.update(created.id, u, context: ctx)
        #expect(moved.company?.id == "hotprofile:client:1003")
        #expect(moved.raw?["open_status"] == 3)
        #expect(try await contacts.get(created.id, context: ctx).company?.id == "hotprofile:client:1003")
    }

    @Test("client: create -> get -> update -> get")
    func clientRoundTrip() async throws {
        var w = CompanyWrite()
        w.name = .set("株式会社ゲートウェイ")
        w.website = .set("https://gateway.example.co.jp")
        w.phones = .set([ContactPoint(value: "03-5555-6666")])
        w.ownerID = .set("hotprofile:user:58502")
        let created = try await companies.create(kind: "client", w, context: ctx)
        #expect(created.name == "株式会社ゲートウェイ")
        #expect(created.customFields["name_disp"] == "株式会社ゲートウェイ")
        #expect(created.phones.first?.value == "+81355556666")
        #expect(created.ownerID == "hotprofile:user:58502")
        var u = CompanyWrite()
        u.note = .set("新規取引")
        u.website = .clear
        let updated = try await companies.update(created.id, u, context: ctx)
        #expect(updated.note == "新規取引" && updated.website == nil && updated.name == "株式会社ゲートウェイ")
        #expect(try await companies.get(created.id, context: ctx).note == "新規取引")
    }

    @Test("filters match what a full listing says")
    func filters() async throws {
        let leads = try await all(100) { (flt, p) throws(GatewayError) in try await contacts.list(kind: "lead", filter: flt, page: p, context: ctx) }.items
        // company_id
        let client = try #require(leads.first?.company?.id)
        let byClient = try await all(100, filter: ListFilter([.company_id: client])) { (flt, p) throws(GatewayError) in
            try await contacts.list(kind: "lead", filter: flt, page: p, context: ctx) }.items
        #expect(byClient.map(\.id) == leads.filter { $0.company?.id == client }.map(\.id))
        // updated_since
        let since = "2024-06-01T00:00:00Z"
        let recent = try await all(50, filter: ListFilter([.updated_since: since])) { (flt, p) throws(GatewayError) in
            try await contacts.list(kind: "lead", filter: flt, page: p, context: ctx) }.items
        let expected = leads.filter { ($0.updatedAt ?? "") >= since }.map(\.id)
        #expect(!expected.isEmpty && recent.map(\.id) == expected)
        // phone, written as E.164 while HotProfile stores 03-...
        let target = try #require(leads.first { !$0.phones.isEmpty })
        let byPhone = try await contacts.list(kind: "lead", filter: ListFilter([.phone: target.phones[0].value]), page: PageRequest(size: 100), context: ctx)
        #expect(byPhone.items.contains { $0.id == target.id })
        #expect(byPhone.items.allSatisfy { $0.phones.contains { $0.value == target.phones[0].value } })
        // q (search[multiple]) and email
        let byName = try await contacts.list(kind: "lead", filter: ListFilter([.q: target.lastName! + " " + (target.firstName ?? "")]), page: PageRequest(size: 100), context: ctx)
        #expect(byName.items.contains { $0.id == target.id })
        let email = try #require(target.emails.first?.value)
        let byEmail = try await contacts.list(kind: "lead", filter: ListFilter([.email: email]), page: PageRequest(size: 100), context: ctx)
        #expect(byEmail.items.map(\.id).contains(target.id))
        // cards: updated_since is day-granular upstream and exact here
        let cards = try await all(1000) { (flt, p) throws(GatewayError) in try await contacts.list(kind: "business_card", filter: flt, page: p, context: ctx) }.items
        let cut = try #require(cards.compactMap(\.updatedAt).sorted().dropFirst(300).first)
        let recentCards = try await all(1000, filter: ListFilter([.updated_since: cut])) { (flt, p) throws(GatewayError) in
            try await contacts.list(kind: "business_card", filter: flt, page: p, context: ctx) }.items
        #expect(recentCards.map(\.id) == cards.filter { ($0.updatedAt ?? "") >= cut }.map(\.id))
        // clients by name
        let heiwa = try await companies.list(kind: "client", filter: ListFilter([.q: "平和"]), page: PageRequest(size: 100), context: ctx)
        #expect(!heiwa.items.isEmpty && heiwa.items.allSatisfy { $0.name?.contains("平和") == true })
    }

    @Test("unknown ids: get is .notFound, update is the upstream's 404")
    func notFound() async throws {
        let e = await hotProfileE2EError { _ = try await contacts.get(UnifiedID("hotprofile:lead:999999")!, context: ctx) }
        guard case .notFound? = e else { Issue.record("\(String(describing: e))"); return }
        let e2 = await hotProfileE2EError { _ = try await companies.get(UnifiedID("hotprofile:client:999999")!, context: ctx) }
        guard case .notFound? = e2 else { Issue.record("\(String(describing: e2))"); return }
        var u = ContactWrite()
        u.note = .set("x")
        u.companyID = .set(UnifiedID("hotprofile:client:1001")!)
        let e3 = await hotProfileE2EError { _ = try await contacts.update(UnifiedID("hotprofile:business_card:999999")!, u, context: ctx) }
        guard case .upstream("hotprofile", 404, _, _)? = e3 else { Issue.record("\(String(describing: e3))"); return }
    }

    @Test("a client id HotProfile does not know is its 422, passed on with the body")
    func upstreamValidation() async throws {
        var w = ContactWrite()
        w.lastName = .set("鈴木")
        w.companyID = .set(UnifiedID("hotprofile:client:999999")!)
        let e = await hotProfileE2EError { _ = try await contacts.create(kind: "lead", w, context: ctx) }
        guard case .upstream("hotprofile", 422, let body, _)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(try JSON.parse(body)["errors"]?[0]?["field"] == "client_id")
    }

    @Test("an injected 503 surfaces as .upstream(status: 503); the next call succeeds")
    func fault() async throws {
        _ = try await f.setFault("hotprofile", ["mode": "status", "status": 503, "count": 1])
        let e = await hotProfileE2EError { _ = try await contacts.list(kind: "lead", filter: ListFilter(), page: PageRequest(size: 5), context: ctx) }
        guard case .upstream("hotprofile", 503, _, _)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(try await contacts.list(kind: "lead", filter: ListFilter(), page: PageRequest(size: 5), context: ctx).items.count == 5)
    }

    @Test("a wrong credential is HotProfile's 401")
    func wrongKey() async {
        let bad = HotProfileAdapter(settings: UpstreamSettings(baseURL: f.host("hotprofile").baseURL, credential: "nope"))
        let e = await hotProfileE2EError { _ = try await bad.companies!.list(kind: "client", filter: ListFilter(), page: PageRequest(size: 5), context: ctx) }
        guard case .upstream("hotprofile", 401, _, _)? = e else { Issue.record("\(String(describing: e))"); return }
    }

    @Test("passthrough reaches the API with the gateway's key, whatever key the client sent")
    func passthrough() async throws {
        let body = JSON.object(["api_key": "wrong", "search": ["ids": "7001"]]).serialized()
        let r = try await adapter.passthrough!.passthrough(method: "POST", path: "rest_api/v1/leads/get_entry_list", query: nil,
                                                          headers: ["Content-Type": "application/json"], body: body, context: ctx)
        #expect(r.status == 200)
        #expect(try JSON.parse(r.body)["leads"]?[0]?["id"] == 7001)
        let form = try await adapter.passthrough!.passthrough(method: "POST", path: "/rest_api/v1/clients/get_entry_list_flow", query: "search%5Bfrom_id%5D=1001&search%5Bto_id%5D=1001",
                                                             headers: [:], body: [], context: ctx)
        #expect(try JSON.parse(form.body)["clients"]?.arrayValue?.count == 1)
    }
}

func hotProfileE2EError(_ body: () async throws -> Void) async -> GatewayError? {
    do { try await body() } catch let e as GatewayError { return e } catch { Issue.record("not a GatewayError: \(error)") }
    return nil
}
