import Gateway
import GatewayCore
import Testing

@Suite("HotProfile adapter: filters")
struct HotProfileFilterTests {
    @Test("each kind declares only the filters its search[...] keys honour")
    func declared() {
        let h = HotProfileHarness()
        #expect(h.contacts.filters(kind: "business_card") == [.email, .phone, .updated_since])
        #expect(h.contacts.filters(kind: "lead") == [.q, .email, .phone, .company_id, .updated_since])
        #expect(h.companies.filters(kind: "client") == [.q, .phone, .updated_since])
        #expect(h.contacts.filters(kind: "client").isEmpty)
    }

    @Test("lead filters: q and the phone's last 4 digits in search[multiple], email, client_id, JST updated time")
    func leadSearch() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        let filter = ListFilter([.q: "吉田", .phone: "+81343006628", .email: "yoshida-h@", .company_id: "hotprofile:client:1093",
                                 .updated_since: "2020-07-03T10:10:05Z"])
        let page = try await h.contacts.list(kind: "lead", filter: filter, page: PageRequest(size: 10), context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/leads/get_entry_list", HotProfileHarness.listBody(
            page: 1, size: 10, search: ["multiple": "吉田 6628", "email": "yoshida-h@", "client_id": 1093,
                                        "from_datetime_updated_on": "2020/07/03 19:10:05"]))
        #expect(page.items.map(\.id.remote) == ["7003"])
        #expect(page.next == nil)
    }

    @Test("phone: records whose numbers only share the last 4 digits are dropped (E.164 comparison)")
    func phonePostFilter() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")  // tel 03-4300-6628, mobile 080-6439-5701
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        let other = try await h.contacts.list(kind: "lead", filter: ListFilter([.phone: "+81399996628"]), page: PageRequest(size: 10), context: h.context)
        #expect(other.items.isEmpty)
        let mobile = try await h.contacts.list(kind: "lead", filter: ListFilter([.phone: "080 6439 5701"]), page: PageRequest(size: 10), context: h.context)
        #expect(mobile.items.map(\.id.remote) == ["7003"])
        #expect(h.transport.requests[1].jsonBody?["search"] == ["multiple": "5701"])
        let national = try await h.contacts.list(kind: "lead", filter: ListFilter([.phone: "0343006628"]), page: PageRequest(size: 10), context: h.context)
        #expect(national.items.count == 1)
    }

    @Test("business cards: email and tel searches; updated_since as the JST day, then to the second here")
    func cardSearch() async throws {
        let h = HotProfileHarness()
        // Card 3002 was updated 2019/04/14 03:55:33 JST = 2019-04-13T18:55:33Z.
        h.transport.answer(200, fixture: "hotprofile/business_cards.get.200.json")
        h.transport.answer(200, fixture: "hotprofile/business_cards.get.200.json")
        let kept = try await h.contacts.list(kind: "business_card", filter: ListFilter([.updated_since: "2019-04-13T18:55:33Z", .email: "yui", .phone: "03-3767-6447"]),
                                             page: PageRequest(size: 10), context: h.context)
        HotProfileHarness.expectPost(h.transport.requests[0], "/rest_api/v1/business_cards/get_entry_list", HotProfileHarness.listBody(
            page: 1, size: 10, search: ["email": "yui", "tel": "6447", "from_updated_on": "2019/04/14"]))
        #expect(kept.items.map(\.id.remote) == ["3002"])
        let dropped = try await h.contacts.list(kind: "business_card", filter: ListFilter([.updated_since: "2019-04-13T18:55:34Z"]),
                                                page: PageRequest(size: 10), context: h.context)
        #expect(h.transport.requests[1].jsonBody?["search"] == ["from_updated_on": "2019/04/14"])
        #expect(dropped.items.isEmpty)
        #expect(dropped.next == nil)
    }

    @Test("updated_since as a date is UTC midnight, sent as 09:00 JST")
    func updatedSinceDate() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, json: ["clients": [], "pages": ["current_number": 1, "display_number": 5, "total_count": 0, "total_number": 0]])
        _ = try await h.companies.list(kind: "client", filter: ListFilter([.updated_since: "2025-01-14", .q: " 平和 "]), page: PageRequest(size: 5), context: h.context)
        #expect(h.transport.requests[0].jsonBody?["search"] == ["name": "平和", "from_datetime_updated_on": "2025/01/14 09:00:00"])
    }

    @Test("client phone searches main_tel by its last 4 digits")
    func clientPhone() async throws {
        let h = HotProfileHarness()
        h.transport.answer(200, fixture: "hotprofile/clients.get.200.json")
        let page = try await h.companies.list(kind: "client", filter: ListFilter([.phone: "+81222436065"]), page: PageRequest(size: 5), context: h.context)
        #expect(h.transport.requests[0].jsonBody?["search"] == ["main_tel": "6065"])
        #expect(page.items.map(\.id.remote) == ["1001"])
    }

    @Test("unusable filters are 400s before any call")
    func badFilters() async {
        let h = HotProfileHarness()
        let cases: [(String, ListFilter)] = [
            ("business_card", ListFilter([.company_id: "hotprofile:client:1001"])),  // cards cannot search by client id
            ("business_card", ListFilter([.q: "山田"])),
            ("lead", ListFilter([.company_id: "hotprofile:lead:5"])),
            ("lead", ListFilter([.company_id: "hotprofile:client:abc"])),
            ("lead", ListFilter([.company_id: "1001"])),
            ("lead", ListFilter([.updated_since: "yesterday"])),
            ("lead", ListFilter([.phone: "123"])),
            ("lead", ListFilter([.status: "open"])),
        ]
        for (kind, filter) in cases {
            let e = await hotProfileError { _ = try await h.contacts.list(kind: kind, filter: filter, page: PageRequest(size: 5), context: h.context) }
            guard case .badRequest? = e else { Issue.record("\(kind) \(filter.values): \(String(describing: e))"); continue }
        }
        let e = await hotProfileError { _ = try await h.companies.list(kind: "client", filter: ListFilter([.email: "a@b.jp"]), page: PageRequest(size: 5), context: h.context) }
        guard case .badRequest? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(h.transport.requests.isEmpty)
    }
}
