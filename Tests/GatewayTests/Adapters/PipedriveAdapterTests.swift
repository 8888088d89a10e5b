@testable import Gateway
import GatewayCore
import Testing

/// Shared by the Pipedrive mapping tests: an adapter on a fake host, and readers for the
/// recorded requests.
enum PDTest {
    static let base = "https://acme.pipedrive.com"
    static let token = "pd-test-token"

    static func adapter() -> PipedriveAdapter {
        PipedriveAdapter(settings: UpstreamSettings(baseURL: base, credential: token))
    }

    static func fixture(_ name: String) -> String { "pipedrive/\(name).json" }

    /// `name=value` pairs of the request's query, decoded, in order.
    static func query(_ r: UpstreamRequest) -> [String] { r.pathAndQuery.query.map { "\($0.0)=\($0.1)" } }

    static func path(_ r: UpstreamRequest) -> String { r.pathAndQuery.path }

    /// Every request authenticates with the header and never puts the token in the URL.
    static func expectAuth(_ requests: [UpstreamRequest], sourceLocation: SourceLocation = #_sourceLocation) {
        for r in requests {
            #expect(r.headers["x-api-token"] == token, sourceLocation: sourceLocation)
            #expect(!r.url.contains(token), sourceLocation: sourceLocation)
            #expect(!r.url.contains("api_token"), sourceLocation: sourceLocation)
        }
    }

    static func metadataAnswers(_ t: RecordingTransport) {
        t.answer(200, fixture: fixture("pipelines.list.200"))
        t.answer(200, fixture: fixture("stages.list.200"))
    }

    /// The error a call threw (nil if it did not throw).
    static func error<T>(_ body: () async throws -> T) async -> GatewayError? {
        do { _ = try await body(); return nil } catch { return error as? GatewayError }
    }
}

@Suite("Pipedrive persons (/contacts)")
struct PipedriveAdapterTests {
    let t = RecordingTransport()
    var persons: any ResourceSource<Contact, ContactWrite> { PDTest.adapter().contacts! }

    @Test func adapterDeclaresItsResources() {
        let a = PDTest.adapter()
        #expect(a.source == "pipedrive")
        #expect(a.contacts?.kinds == ["person"])
        #expect(a.companies?.kinds == ["organization"])
        #expect(a.deals?.kinds == ["deal"])
        #expect(a.pipelines?.kinds == ["pipeline"])
        #expect(a.stages?.kinds == ["stage"])
        #expect(a.activities?.kinds == ["activity"])
        #expect(a.notes?.parentKinds == ["person", "deal", "organization"])
        #expect(a.passthrough != nil)
        #expect(a.messaging == nil)
        #expect(a.contacts?.filters(kind: "person") == [.q, .email, .phone, .updated_since, .company_id])
        #expect(a.contacts?.operations(kind: "person") == [.list, .get, .create, .update, .delete])
    }

    @Test func listFirstPageSendsLimitAndAuthHeader() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.list.200"))
        let page = try await persons.list(kind: "person", filter: ListFilter(), page: PageRequest(size: 2), context: t.context())
        // The page, then one lookup of its organizations' names (no answer queued: names stay null).
        #expect(t.requests.count == 2)
        #expect(t.requests[1].url.hasPrefix("https://acme.pipedrive.com/api/v2/organizations?ids="))
        let r = t.requests[0]
        #expect(r.method == "GET")
        #expect(r.url == "https://acme.pipedrive.com/api/v2/persons?limit=2")
        #expect(r.headers["X-Request-Id"] == "test-request")
        PDTest.expectAuth(t.requests)
        #expect(page.items.map(\.id.description) == ["pipedrive:person:1", "pipedrive:person:2"])
        #expect(page.next == "aWQ6YXNjOjM6Mw")
    }

    @Test func listWithCursorAndFiltersEndsOnAFullLastPage() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.list-last.200"))
        let filter = ListFilter([.updated_since: "2025-01-01", .company_id: "pipedrive:organization:49"])
        let page = try await persons.list(kind: "person", filter: filter, page: PageRequest(size: 2, token: "aWQ6YXNjOjM6Mw"), context: t.context())
        #expect(PDTest.path(t.requests[0]) == "/api/v2/persons")
        #expect(PDTest.query(t.requests[0]) == ["limit=2", "cursor=aWQ6YXNjOjM6Mw", "updated_since=2025-01-01T00:00:00Z", "org_id=49"])
        #expect(page.items.count == 2)
        #expect(page.next == nil)
    }

    @Test func updatedSinceKeepsTheTimeAndConvertsToUTC() async throws {
        t.answer(200, json: ["success": true, "data": [], "additional_data": ["next_cursor": nil]])
        let page = try await persons.list(kind: "person", filter: ListFilter([.updated_since: "2025-01-15T17:00:00+09:00"]),
                                          page: PageRequest(size: 50), context: t.context())
        #expect(PDTest.query(t.requests[0]) == ["limit=50", "updated_since=2025-01-15T08:00:00Z"])
        #expect(page.items.isEmpty)
        #expect(page.next == nil)
    }

    @Test func companyNamesComeFromOneOrganizationLookupPerPage() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.get.200"))
        t.answer(200, json: ["success": true, "data": [["id": 307, "name": "Kaede Textile"]], "additional_data": ["next_cursor": nil]])
        let c = try await persons.get(UnifiedID("pipedrive:person:318")!, context: t.context())
        #expect(c.company == Ref(id: "pipedrive:organization:307", name: "Kaede Textile"))
        #expect(t.requests.count == 2)
    }

    @Test func nullDataIsAnEmptyLastPage() async throws {
        t.answer(200, json: ["success": true, "data": nil, "additional_data": nil])
        let page = try await persons.list(kind: "person", filter: ListFilter(), page: PageRequest(size: 50), context: t.context())
        #expect(page.items.isEmpty)
        #expect(page.next == nil)
    }

    @Test func mapsEveryPersonField() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.get.200"))
        let c = try await persons.get(UnifiedID("pipedrive:person:318")!, context: t.context())
        #expect(t.requests.map(\.url) == ["https://acme.pipedrive.com/api/v2/persons/318",
                                          "https://acme.pipedrive.com/api/v2/organizations?ids=307&limit=1"])
        #expect(t.requests[0].method == "GET")
        PDTest.expectAuth(t.requests)
        #expect(c.id.description == "pipedrive:person:318")
        #expect(c.displayName == "佐藤 結衣")
        #expect(c.firstName == "結衣")
        #expect(c.lastName == "佐藤")
        #expect(c.emails == [ContactPoint(value: "y.sato@kaede-textile.co.jp", type: "work", primary: true),
                             ContactPoint(value: "ysato15@gmail.com", type: "home", primary: false)])
        #expect(c.phones == [ContactPoint(value: "+814531539197", type: "work", primary: true, original: "+81 45-3153-9197"),
                             ContactPoint(value: "+819061552374", type: "mobile", primary: false, original: "+81 90-6155-2374"),
                             ContactPoint(value: "+81682450522", type: "home", primary: false, original: "+81 6-8245-0522")])
        // The organization lookup failed (nothing queued): the name stays null, the read succeeds.
        #expect(c.company == Ref(id: "pipedrive:organization:307", name: nil))
        #expect(c.title == "経営企画室")
        #expect(c.address == nil)
        #expect(c.ownerID == "pipedrive:user:21504303")
        #expect(c.tags == ["2"])
        #expect(c.note == nil)
        #expect(c.createdAt == "2024-01-02T05:25:27Z")
        #expect(c.updatedAt == "2024-07-18T14:47:26Z")
        #expect(c.customFields == ["3c8e0f6a1d92b47e5a0c6d18f2b9e4a7c1d05f36": "ja",
                                   "9d41b7e2c06a58f3e1d4b2a97c60e8f5d3a1b742": "LINE: yui_sato"])
        #expect(c.raw == Fixture.json(PDTest.fixture("persons.get.200"))["data"])
        let rendered = c.json(includeRaw: true)
        #expect(rendered["source"] == "pipedrive")
        #expect(rendered["kind"] == "person")
        #expect(rendered["remote_id"] == "318")
        #expect(rendered["raw"]?["id"] == 318)
    }

    @Test func mapsPostalAddressNotesAndNullOrganization() async throws {
        t.answer(200, json: ["success": true, "data": [
            "id": 7, "name": "Jane Doe", "first_name": "Jane", "last_name": "Doe", "owner_id": 1, "org_id": nil,
            "add_time": "2024-01-01T10:00:00.000+02:00", "emails": [], "phones": [["value": "0412 345", "primary": true]],
            "postal_address": ["value": "1 Main St, Springfield", "country": "USA"], "notes": "Met at the fair",
            "label_ids": [1, 3],
        ]])
        let c = try await persons.get(UnifiedID("pipedrive:person:7")!, context: t.context())
        #expect(c.company == nil)
        #expect(c.address == "1 Main St, Springfield")
        #expect(c.note == "Met at the fair")
        #expect(c.title == nil)
        #expect(c.tags == ["1", "3"])
        #expect(c.createdAt == "2024-01-01T08:00:00Z")
        #expect(c.updatedAt == nil)
        #expect(c.phones == [ContactPoint(value: "0412 345", type: nil, primary: true, original: "0412 345")])
        #expect(c.customFields.isEmpty)
    }

    @Test func qSearchesThenFetchesTheFullRecordsInSearchOrder() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.search.200"))
        t.answer(200, fixture: PDTest.fixture("persons.search-ids.200"))
        let page = try await persons.list(kind: "person", filter: ListFilter([.q: "sato"]), page: PageRequest(size: 3), context: t.context())
        // Search, full records, then the organization-name lookup.
        #expect(t.requests.count == 3)
        #expect(PDTest.path(t.requests[0]) == "/api/v2/persons/search")
        #expect(PDTest.query(t.requests[0]) == ["term=sato", "limit=3"])
        #expect(PDTest.path(t.requests[1]) == "/api/v2/persons")
        #expect(PDTest.query(t.requests[1]) == ["ids=266,276,344", "limit=3"])
        PDTest.expectAuth(t.requests)
        #expect(page.items.map(\.id.remote) == ["266", "276", "344"])
        #expect(page.items[0].displayName == "Shota Sato")
        #expect(page.items[0].emails.first?.type == "work")  // full record, not the slim search item
        #expect(page.next == "czoz")
    }

    @Test func searchOrderWinsOverTheListOrder() async throws {
        t.answer(200, json: ["success": true, "data": ["items": [["result_score": 1, "item": ["id": 9, "type": "person"]],
                                                                ["result_score": 0.5, "item": ["id": 3, "type": "person"]]]],
                             "additional_data": ["next_cursor": nil]])
        t.answer(200, json: ["success": true, "data": [["id": 3, "name": "B"], ["id": 9, "name": "A"]], "additional_data": ["next_cursor": nil]])
        let page = try await persons.list(kind: "person", filter: ListFilter([.q: "ab"]), page: PageRequest(size: 10), context: t.context())
        #expect(page.items.map(\.displayName) == ["A", "B"])
        #expect(page.next == nil)
    }

    @Test func emptySearchMakesOneCall() async throws {
        t.answer(200, json: ["success": true, "data": ["items": []], "additional_data": ["next_cursor": nil]])
        let page = try await persons.list(kind: "person", filter: ListFilter([.email: "nobody@example.com"]), page: PageRequest(size: 10), context: t.context())
        #expect(t.requests.count == 1)
        #expect(page.items.isEmpty)
        #expect(page.next == nil)
    }

    @Test func emailSearchIsExactOnTheEmailFieldAndTakesCompanyAndCursor() async throws {
        t.answer(200, json: ["success": true, "data": ["items": []], "additional_data": ["next_cursor": nil]])
        _ = try await persons.list(kind: "person", filter: ListFilter([.email: "Y.Sato@kaede-textile.co.jp", .company_id: "pipedrive:organization:307"]),
                                   page: PageRequest(size: 20, token: "czoy"), context: t.context())
        #expect(PDTest.path(t.requests[0]) == "/api/v2/persons/search")
        #expect(PDTest.query(t.requests[0]) == ["term=Y.Sato@kaede-textile.co.jp", "fields=email", "exact_match=true",
                                                "organization_id=307", "limit=20", "cursor=czoy"])
    }

    @Test func phoneSearchUsesThePhoneField() async throws {
        t.answer(200, json: ["success": true, "data": ["items": []], "additional_data": ["next_cursor": nil]])
        _ = try await persons.list(kind: "person", filter: ListFilter([.phone: "+81 45-3153"]), page: PageRequest(size: 5), context: t.context())
        #expect(PDTest.query(t.requests[0]) == ["term=+81 45-3153", "fields=phone", "limit=5"])
    }

    @Test func searchFiltersCannotBeCombinedWithUpdatedSince() async {
        let e = await PDTest.error { try await persons.list(kind: "person", filter: ListFilter([.q: "sato", .updated_since: "2025-01-01"]),
                                                            page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(let message, let fields)? = e else { Issue.record("expected badRequest, got \(String(describing: e))"); return }
        #expect(message.contains("updated_since"))
        #expect(fields == [FieldError("updated_since", "cannot be combined with q on Pipedrive persons")])
        #expect(t.requests.isEmpty)
    }

    @Test func onlyOneSearchFilterAtATime() async {
        let e = await PDTest.error { try await persons.list(kind: "person", filter: ListFilter([.q: "sato", .email: "a@b.c"]),
                                                            page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields.map(\.field) == ["email", "q"])
        #expect(t.requests.isEmpty)
    }

    @Test func shortSearchTermIsRefused() async {
        let e = await PDTest.error { try await persons.list(kind: "person", filter: ListFilter([.q: " s "]), page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields == [FieldError("q", "must have at least 2 characters")])
        #expect(t.requests.isEmpty)
    }

    @Test func companyFilterMustBeAnOrganizationID() async {
        let e = await PDTest.error { try await persons.list(kind: "person", filter: ListFilter([.company_id: "pipedrive:deal:4"]),
                                                            page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields == [FieldError("company_id", "must be an id of the form pipedrive:organization:<id>")])
        #expect(t.requests.isEmpty)
    }

    @Test func badUpdatedSinceIsRefused() async {
        let e = await PDTest.error { try await persons.list(kind: "person", filter: ListFilter([.updated_since: "yesterday"]),
                                                            page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields.map(\.field) == ["updated_since"])
    }

    @Test func createSendsTheV2Body() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.create.200"))
        var w = ContactWrite()
        w.displayName = .set(" Nguyễn Thị Lan ")
        w.emails = .set([ContactPoint(value: "lan@example.vn", type: "work", primary: true)])
        w.phones = .set([ContactPoint(value: "+84 28 3123 4567", type: "work", primary: true)])
        w.companyID = .set(UnifiedID("pipedrive:organization:49")!)
        w.ownerID = .set("pipedrive:user:21504302")
        w.tags = .set(["1"])
        w.customFields = .set(["3c8e0f6a1d92b47e5a0c6d18f2b9e4a7c1d05f36": "vi"])
        let c = try await persons.create(kind: "person", w, context: t.context())
        let r = t.requests[0]
        #expect(r.method == "POST")
        #expect(r.url == "https://acme.pipedrive.com/api/v2/persons")
        #expect(r.headers["Content-Type"] == "application/json")
        PDTest.expectAuth(t.requests)
        #expect(r.jsonBody == ["name": "Nguyễn Thị Lan",
                               "emails": [["value": "lan@example.vn", "primary": true, "label": "work"]],
                               "phones": [["value": "+84 28 3123 4567", "primary": true, "label": "work"]],
                               "org_id": 49, "owner_id": 21504302, "label_ids": [1],
                               "custom_fields": ["3c8e0f6a1d92b47e5a0c6d18f2b9e4a7c1d05f36": "vi"]])
        #expect(c.id.description == "pipedrive:person:361")
        #expect(c.firstName == "Nguyễn")
        #expect(c.phones.first?.value == "+842831234567")
    }

    @Test func createFromFirstAndLastName() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.create.200"))
        var w = ContactWrite()
        w.firstName = .set("Lan")
        w.lastName = .set("Nguyễn")
        _ = try await persons.create(kind: "person", w, context: t.context())
        #expect(t.requests[0].jsonBody == ["name": "Lan Nguyễn"])
    }

    @Test func updateWithOnlyAFirstNameReadsTheStoredLastName() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.get.200"))
        t.answer(200, fixture: PDTest.fixture("persons.update.200"))
        var w = ContactWrite()
        w.firstName = .set("優奈")
        w.emails = .clear
        w.companyID = .clear
        w.tags = .clear
        _ = try await persons.update(UnifiedID("pipedrive:person:318")!, w, context: t.context())
        // Then the organization-name lookup of the answer.
        #expect(Array(t.requests.map(\.method).prefix(2)) == ["GET", "PATCH"])
        #expect(t.requests.filter { $0.method == "PATCH" }.count == 1)
        #expect(t.requests[1].url == "https://acme.pipedrive.com/api/v2/persons/318")
        #expect(t.requests[1].jsonBody == ["name": "優奈 佐藤", "emails": [], "org_id": nil, "label_ids": []])
        PDTest.expectAuth(t.requests)
    }

    @Test func updateWithDisplayNameIsOnePatch() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.update.200"))
        var w = ContactWrite()
        w.displayName = .set("Nguyễn Thị Mai")
        w.phones = .clear
        let c = try await persons.update(UnifiedID("pipedrive:person:361")!, w, context: t.context())
        #expect(t.requests.first?.method == "PATCH")
        #expect(t.requests.filter { $0.method != "GET" }.count == 1)
        #expect(t.requests[0].jsonBody == ["name": "Nguyễn Thị Mai", "phones": []])
        #expect(c.displayName == "Nguyễn Thị Mai")
        #expect(c.phones.isEmpty)
    }

    @Test func deleteSendsDelete() async throws {
        t.answer(200, fixture: PDTest.fixture("persons.delete.200"))
        try await persons.delete(UnifiedID("pipedrive:person:361")!, context: t.context())
        #expect(t.requests.map { "\($0.method) \($0.url)" } == ["DELETE https://acme.pipedrive.com/api/v2/persons/361"])
        PDTest.expectAuth(t.requests)
    }

    @Test func idOfAnotherKindIsNotFoundWithoutACall() async {
        for text in ["pipedrive:deal:4", "pipedrive:person:abc", "pipedrive:person:0", "hotprofile:person:4"] {
            let e = await PDTest.error { try await persons.get(UnifiedID(text)!, context: t.context()) }
            guard case .notFound? = e else { Issue.record("expected notFound for \(text), got \(String(describing: e))"); continue }
        }
        #expect(t.requests.isEmpty)
    }

    @Test func upstream404KeepsItsStatusAndBody() async {
        t.answer(404, fixture: PDTest.fixture("persons.get.404"))
        let e = await PDTest.error { try await persons.get(UnifiedID("pipedrive:person:999999")!, context: t.context()) }
        guard case .upstream(let source, let status, let body, _)? = e else { Issue.record("expected upstream"); return }
        #expect(source == "pipedrive")
        #expect(status == 404)
        #expect(body == Fixture.bytes(PDTest.fixture("persons.get.404")))
    }

    @Test func upstream400KeepsTheValidationEnvelope() async {
        t.answer(400, fixture: PDTest.fixture("persons.create.400"))
        var w = ContactWrite()
        w.displayName = .set("X")
        w.companyID = .set(UnifiedID("pipedrive:organization:999999")!)
        let e = await PDTest.error { try await persons.create(kind: "person", w, context: t.context()) }
        guard case .upstream(_, let status, let body, _)? = e else { Issue.record("expected upstream"); return }
        #expect(status == 400)
        #expect((try? JSON.parse(body))?["error"] == "Validation failed: org_id: organization 999999 does not exist")
    }

    @Test func upstream401And5xxAndRetryAfter() async {
        t.answer(401, fixture: PDTest.fixture("persons.list.401"))
        t.answer(UpstreamResponse(status: 503, headers: ["Retry-After": "7"], body: Array("maintenance".utf8)))
        let list = { () async throws -> SourcePage<Contact> in
            try await persons.list(kind: "person", filter: ListFilter(), page: PageRequest(size: 5), context: t.context())
        }
        guard case .upstream(_, 401, _, _)? = await PDTest.error(list) else { Issue.record("expected 401"); return }
        guard case .upstream(_, 503, let body, let retryAfter)? = await PDTest.error(list) else { Issue.record("expected 503"); return }
        #expect(body == Array("maintenance".utf8))
        #expect(retryAfter == "7")
    }

    @Test func transportFailureIsTaggedWithTheSource() async {
        t.fail(.timeout)
        let e = await PDTest.error { try await persons.get(UnifiedID("pipedrive:person:1")!, context: t.context()) }
        guard case .transport(let source, let error)? = e else { Issue.record("expected transport, got \(String(describing: e))"); return }
        #expect(source == "pipedrive")
        #expect(error == .timeout)
    }

    @Test func unreadableAnswersAreInvalidResponses() async {
        t.answer(200, json: ["success": true, "data": [1, 2]])
        t.answer(UpstreamResponse(status: 200, headers: [:], body: Array("<html>".utf8)))
        t.answer(200, json: ["success": true, "data": [["name": "no id"]], "additional_data": ["next_cursor": nil]])
        guard case .invalidResponse? = await PDTest.error({ try await persons.get(UnifiedID("pipedrive:person:1")!, context: t.context()) }) else {
            Issue.record("expected invalidResponse for a non-object data"); return
        }
        guard case .invalidResponse? = await PDTest.error({ try await persons.get(UnifiedID("pipedrive:person:1")!, context: t.context()) }) else {
            Issue.record("expected invalidResponse for a non-JSON body"); return
        }
        guard case .invalidResponse? = await PDTest.error({
            try await persons.list(kind: "person", filter: ListFilter(), page: PageRequest(size: 5), context: t.context())
        }) else { Issue.record("expected invalidResponse for a record without id"); return }
    }
}
