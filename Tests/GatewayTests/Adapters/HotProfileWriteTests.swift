import Gateway
import GatewayCore
import Testing

@Suite("HotProfile adapter: writes")
struct HotProfileWriteTests {
    static func card() -> ContactWrite {
        var w = ContactWrite()
        w.lastName = .set("松本")
        w.firstName = .set("結衣")
        w.emails = .set([ContactPoint(value: "yui@example.co.jp", type: "work", primary: true)])
        w.phones = .set([ContactPoint(value: "03-3767-6447"), ContactPoint(value: "090-6345-7693", type: "mobile")])
        w.companyID = .set(UnifiedID("hotprofile:client:1303")!)
        w.address = .set("東京都港区東町5丁目1-20")
        w.ownerID = .set("hotprofile:user:58506")
        w.note = .set("展示会で名刺交換")
        w.customFields = .set(["family_name_kana": "マツモト", "first_name_kana": "ユイ", "extension": 7813])
        return w
    }

    @Test("creating a business card sends the mapped fields, defaults status/open_status, then reads it back")
    func createCard() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["id": 3002])
        h.transport.answer(200, fixture: "hotprofile/business_cards.get.200.json")
        let c = try await h.contacts.create(kind: "business_card", Self.card(), context: h.context)
        #expect(h.transport.requests.count == 2)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/business_cards/create", [
            "api_key": "test-key", "family_name": "松本", "first_name": "結衣", "email": "yui@example.co.jp", "mobile_email": "",
            "tel": "03-3767-6447", "mobile_tel": "090-6345-7693", "fax": "", "client_id": 1303, "address": "東京都港区東町5丁目1-20",
            "owner_user_id": 58506, "note": "展示会で名刺交換", "status": 1, "open_status": 1,
            "family_name_kana": "マツモト", "first_name_kana": "ユイ", "extension": 7813,
        ])
        #expect(!h.transport.requests[0].url.contains("test-key"))
        HotProfileHarness.expectPost(h.transport.requests[1], "/rest_api/v1/business_cards/get_entry_list",
                                     HotProfileHarness.listBody(page: 1, size: 1, search: ["from_id": 3002, "to_id": 3002]))
        #expect(c.id.description == "hotprofile:business_card:3002")
        #expect(c.lastName == "松本")
    }

    @Test("custom_fields may override the card defaults (a private card)")
    func createPrivateCard() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["id": 3002])
        h.transport.answer(200, fixture: "hotprofile/business_cards.get.200.json")
        var w = ContactWrite()
        w.lastName = .set("松本")
        w.companyID = .set(UnifiedID("hotprofile:client:1303")!)
        w.customFields = .set(["open_status": 3, "some_future_field": "x"])
        _ = try await h.contacts.create(kind: "business_card", w, context: h.context)
        #expect(h.transport.requests[0].jsonBody == ["api_key": "test-key", "family_name": "松本", "client_id": 1303, "status": 1,
                                                     "open_status": 3, "some_future_field": "x"])
    }

    @Test("a lead create writes title as post and owner_user_id as a string (the leads swagger's type)")
    func createLead() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/leads.create.200.json")
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        var w = ContactWrite()
        w.lastName = .set("吉田")
        w.title = .set("主任")
        w.companyID = .set(UnifiedID("hotprofile:client:1093")!)
        w.ownerID = .set("hotprofile:user:58502")
        w.customFields = .set(["important_customer_flg": true, "customer_id": "HP-1"])
        _ = try? await h.contacts.create(kind: "lead", w, context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/leads/create", [
            "api_key": "test-key", "family_name": "吉田", "client_id": 1093, "post": "主任", "owner_user_id": "58502",
            "important_customer_flg": true, "customer_id": "HP-1",
        ])
        #expect(h.transport.requests[1].jsonBody?["search"] == ["ids": "7346"])
    }

    @Test("updating a lead without company_id reads its client_id first (the update requires it)")
    func updateLeadKeepsClient() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        h.transport.answer(200, json: ["id": 7003])
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        var w = ContactWrite()
        w.firstName = .set("英樹")
        w.note = .clear
        w.emails = .clear
        let c = try await h.contacts.update(UnifiedID("hotprofile:lead:7003")!, w, context: h.context)
        #expect(h.transport.requests.count == 3)
        #expect(h.transport.requests[0].jsonBody?["search"] == ["ids": "7003"])
        HotProfileHarness.expectPost(h.transport.requests[1], "/rest_api/v1/leads/update", [
            "api_key": "test-key", "id": 7003, "client_id": 1093, "first_name": "英樹", "email": "", "mobile_email": "", "note": "",
        ])
        #expect(h.transport.requests[2].jsonBody?["search"] == ["ids": "7003"])
        #expect(c.id.remote == "7003")
    }

    @Test("updating a card with company_id needs no read before the update")
    func updateCardWithClient() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["id": 3002])
        h.transport.answer(200, fixture: "hotprofile/business_cards.get.200.json")
        var w = ContactWrite()
        w.companyID = .set(UnifiedID("hotprofile:client:1001")!)
        w.phones = .set([ContactPoint(value: "03-1111-2222", type: "fax")])
        w.ownerID = .clear
        _ = try await h.contacts.update(UnifiedID("hotprofile:business_card:3002")!, w, context: h.context)
        #expect(h.transport.requests.count == 2)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/business_cards/update", [
            "api_key": "test-key", "id": 3002, "client_id": 1001, "tel": "", "mobile_tel": "", "fax": "03-1111-2222", "owner_user_id": "",
        ])
    }

    @Test("an update with nothing to change is just a read")
    func emptyUpdate() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/clients.get.200.json")
        let c = try await h.companies.update(UnifiedID("hotprofile:client:1001")!, CompanyWrite(), context: h.context)
        #expect(h.transport.requests.count == 1)
        #expect(c.name == "株式会社平和情報技術")
    }

    @Test("client create: name_disp defaults to the name; website, phone, owner, note mapped")
    func createClient() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["id": 1001])
        h.transport.answer(200, fixture: "hotprofile/clients.get.200.json")
        var w = CompanyWrite()
        w.name = .set("株式会社平和情報技術")
        w.website = .set("https://www.heiwa-joho.co.jp")
        w.phones = .set([ContactPoint(value: "022-243-6065")])
        w.address = .set("宮城県仙台市青葉区東町4丁目25-19")
        w.ownerID = .set("hotprofile:user:58502")
        w.note = .set("与信確認済み")
        w.customFields = .set(["name_kana": "ヘイワジョウホウギジュツ", "business_category_kbn": 3])
        _ = try await h.companies.create(kind: "client", w, context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/clients/create", [
            "api_key": "test-key", "name": "株式会社平和情報技術", "name_disp": "株式会社平和情報技術", "url": "https://www.heiwa-joho.co.jp",
            "main_tel": "022-243-6065", "address": "宮城県仙台市青葉区東町4丁目25-19", "user_id": 58502, "note": "与信確認済み",
            "name_kana": "ヘイワジョウホウギジュツ", "business_category_kbn": 3,
        ])
    }

    @Test("client update sends no client_id and custom name_disp wins")
    func updateClient() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["id": 1001])
        h.transport.answer(200, fixture: "hotprofile/clients.get.200.json")
        var w = CompanyWrite()
        w.name = .set("株式会社新名称")
        w.industry = .clear
        w.customFields = .set(["name_disp": "新名称"])
        _ = try await h.companies.update(UnifiedID("hotprofile:client:1001")!, w, context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/clients/update", [
            "api_key": "test-key", "id": 1001, "name": "株式会社新名称", "business_category_kbn": "", "name_disp": "新名称",
        ])
    }

    @Test("a custom_fields api_key can neither replace the credential nor reach the upstream")
    func customAPIKey() async {
        let h = HotProfileHarness()
        var w = Self.card()
        w.customFields = .set(["api_key": "stolen", "id": 5])
        #expect(h.contacts.validate(kind: "business_card", w, creating: true) == [
            FieldError("custom_fields.api_key", "is set by the gateway"), FieldError("custom_fields.id", "is set by the gateway"),
        ])
        let e = await hotProfileError { _ = try await h.contacts.create(kind: "business_card", w, context: h.context) }
        guard case .validation? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(h.transport.requests.isEmpty)
    }
}

@Suite("HotProfile adapter: validation")
struct HotProfileValidationTests {
    static func long(_ n: Int, _ c: Character = "長") -> String { String(repeating: c, count: n) }

    @Test("a valid card and a valid lead have no errors")
    func valid() {
        let h = HotProfileHarness()
        #expect(h.contacts.validate(kind: "business_card", HotProfileWriteTests.card(), creating: true).isEmpty)
        var lead = HotProfileWriteTests.card()
        lead.title = .set("部長")
        #expect(h.contacts.validate(kind: "lead", lead, creating: true).isEmpty)
    }

    @Test("limits are counted in code points and at the limit is fine")
    func atLimits() {
        let h = HotProfileHarness()
        var w = HotProfileWriteTests.card()
        w.lastName = .set(Self.long(100, "𠮷"))  // outside the BMP: one code point each
        w.note = .set(Self.long(3000))
        w.emails = .set([ContactPoint(value: Self.long(190, "a") + "@ex.co.jp")])  // 199
        #expect(h.contacts.validate(kind: "business_card", w, creating: true).isEmpty)
    }

    @Test("every contact rule at once, named by the client's fields, with the limit")
    func contactErrors() {
        let h = HotProfileHarness()
        var w = ContactWrite()
        w.lastName = .set(Self.long(101))
        w.firstName = .set(Self.long(101))
        w.displayName = .set("山田 太郎")
        w.emails = .set([ContactPoint(value: Self.long(195, "a") + "@ex.co.jp"), ContactPoint(value: "not-an-email", type: "mobile"),
                         ContactPoint(value: "x@y.jp", type: "work")])
        w.phones = .set([ContactPoint(value: Self.long(101, "1")), ContactPoint(value: " ", type: "mobile")])
        w.companyID = .set(UnifiedID("hotprofile:lead:1")!)
        w.title = .set(Self.long(256))
        w.address = .set(Self.long(256))
        w.ownerID = .set("58501")
        w.tags = .set(["VIP"])
        w.note = .set(Self.long(3001))
        w.customFields = .set(["family_name_kana": .string(Self.long(101)), "extension": 123456789, "lead_status": "active",
                               "latitude": "1234.5", "store_flg": "yes", "family_name": "x", "post": "y"])
        let errors = h.contacts.validate(kind: "lead", w, creating: true)
        #expect(errors == [
            FieldError("last_name", "must be at most 100 characters"),
            FieldError("first_name", "must be at most 100 characters"),
            FieldError("display_name", "HotProfile shows the name from last_name and first_name: set those instead"),
            FieldError("emails[0].value", "must be at most 200 characters"),
            FieldError("emails[1].value", "must be an e-mail address"),
            FieldError("emails[2]", "HotProfile holds one e-mail address per type (work, mobile): this is a second work one"),
            FieldError("phones[0].value", "must be at most 100 characters"),
            FieldError("phones[1].value", "must not be blank"),
            FieldError("company_id", "must be a hotprofile:client:<id> id"),
            FieldError("title", "must be at most 255 characters"),
            FieldError("address", "must be at most 255 characters"),
            FieldError("owner_id", "must be a hotprofile:user:<id> id"),
            FieldError("tags", "HotProfile's API cannot write tags"),
            FieldError("note", "must be at most 3000 characters"),
            FieldError("custom_fields.family_name_kana", "must be at most 100 characters"),
            FieldError("custom_fields.extension", "must be an integer of at most 8 digits"),
            FieldError("custom_fields.lead_status", "must be an integer id"),
            FieldError("custom_fields.latitude", "must be a decimal with at most 3 integer digits and 14 decimals"),
            FieldError("custom_fields.store_flg", "must be true or false"),
            FieldError("custom_fields.family_name", "set `last_name` instead"),
            FieldError("custom_fields.post", "set `title` instead"),
        ])
    }

    @Test("create requires last_name and company_id; a mobile e-mail is limited to 100")
    func required() {
        let h = HotProfileHarness()
        var w = ContactWrite()
        w.emails = .set([ContactPoint(value: Self.long(95, "a") + "@ex.co.jp", type: "mobile")])
        #expect(h.contacts.validate(kind: "business_card", w, creating: true) == [
            FieldError("last_name", "is required"),
            FieldError("emails[0].value", "must be at most 100 characters"),
            FieldError("company_id", "is required: a HotProfile business_card belongs to a client (hotprofile:client:<id>)"),
        ])
        #expect(h.contacts.validate(kind: "business_card", ContactWrite(), creating: false).isEmpty)
    }

    @Test("update cannot clear or blank the required fields")
    func clearing() {
        let h = HotProfileHarness()
        var w = ContactWrite()
        w.lastName = .clear
        w.companyID = .clear
        w.customFields = .set(["status": "", "open_status": 2])
        #expect(h.contacts.validate(kind: "business_card", w, creating: false) == [
            FieldError("last_name", "cannot be cleared: HotProfile requires it"),
            FieldError("company_id", "cannot be cleared: a HotProfile business_card belongs to a client"),
            FieldError("custom_fields.status", "cannot be blank: HotProfile requires it"),
            FieldError("custom_fields.open_status", "must be one of 1, 3"),
        ])
        w = ContactWrite()
        w.lastName = .set(" \u{3000}")
        #expect(h.contacts.validate(kind: "lead", w, creating: false) == [FieldError("last_name", "must not be blank")])
    }

    @Test("business cards take no title; dates in custom_fields are yyyy/mm/dd")
    func cardOnly() {
        let h = HotProfileHarness()
        var w = HotProfileWriteTests.card()
        w.title = .set("課長")
        w.customFields = .set(["trade_on": "2025/13/01", "zip": .string(Self.long(51, "1"))])
        #expect(h.contacts.validate(kind: "business_card", w, creating: true) == [
            FieldError("title", "HotProfile's API cannot write a business card's position"),
            FieldError("custom_fields.trade_on", "must be a date yyyy/mm/dd"),
            FieldError("custom_fields.zip", "must be at most 50 characters"),
        ])
    }

    @Test("every client rule at once")
    func companyErrors() {
        let h = HotProfileHarness()
        var w = CompanyWrite()
        w.website = .set(Self.long(256, "w"))
        w.emails = .set([ContactPoint(value: "info@a.co.jp")])
        w.phones = .set([ContactPoint(value: Self.long(256, "1")), ContactPoint(value: "03-1111-2222")])
        w.address = .set(Self.long(256))
        w.industry = .set("製造業")
        w.ownerID = .set("hotprofile:client:1")
        w.note = .set(Self.long(3001))
        w.customFields = .set(["name_disp": .string(Self.long(256)), "main_tel": "1", "ipo_kbn": "x"])
        #expect(h.companies.validate(kind: "client", w, creating: true) == [
            FieldError("name", "is required"),
            FieldError("website", "must be at most 255 characters"),
            FieldError("emails", "HotProfile clients have no e-mail address (custom_fields.mail_domain holds the domain)"),
            FieldError("phones[0].value", "must be at most 255 characters"),
            FieldError("phones[1]", "HotProfile holds only one phone number here"),
            FieldError("address", "must be at most 255 characters"),
            FieldError("industry", "HotProfile takes the id of a registered industry: set custom_fields.business_category_kbn"),
            FieldError("owner_id", "must be a hotprofile:user:<id> id"),
            FieldError("note", "must be at most 3000 characters"),
            FieldError("custom_fields.name_disp", "must be at most 255 characters"),
            FieldError("custom_fields.main_tel", "set `phones` instead"),
            FieldError("custom_fields.ipo_kbn", "must be an integer id"),
        ])
        var ok = CompanyWrite()
        ok.name = .set(Self.long(255))
        ok.emails = .set([])
        #expect(h.companies.validate(kind: "client", ok, creating: true).isEmpty)
        var clear = CompanyWrite()
        clear.name = .clear
        clear.customFields = .set(["name_disp": nil])
        #expect(h.companies.validate(kind: "client", clear, creating: false) == [
            FieldError("name", "cannot be cleared: HotProfile requires it"),
            FieldError("custom_fields.name_disp", "cannot be blank: HotProfile requires it"),
        ])
    }

    @Test("create with errors makes no upstream call and throws them all")
    func noCallOnErrors() async {
        let h = HotProfileHarness()
        var w = ContactWrite()
        w.note = .set(Self.long(3001))
        let e = await hotProfileError { _ = try await h.contacts.create(kind: "lead", w, context: h.context) }
        guard case .validation(let errors)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(errors.map(\.field) == ["last_name", "company_id", "note"])
        let e2 = await hotProfileError { _ = try await h.companies.update(UnifiedID("hotprofile:client:1")!, { var c = CompanyWrite(); c.note = .set(Self.long(3001)); return c }(), context: h.context) }
        guard case .validation? = e2 else { Issue.record("\(String(describing: e2))"); return }
        #expect(h.transport.requests.isEmpty)
    }
}
