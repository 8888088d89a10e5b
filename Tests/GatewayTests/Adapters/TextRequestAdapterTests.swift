import Gateway
import GatewayCore
import Testing

/// Shared by the Text Request adapter suites: the adapter against a RecordingTransport,
/// fixtures recorded from the emulator (`Fixtures/textrequest/`), and error labels.
enum TRTest {
    static let base = "https://api.textrequest.test"
    static let key = "test-key"
    static let emailField = "f308302c-c7c2-42e1-a4e4-92014f599dad"

    static func adapter(_ options: [String: String] = ["dashboard_id": "1"]) -> TextRequestAdapter {
        TextRequestAdapter(settings: UpstreamSettings(baseURL: base + "/", credential: key, options: options))
    }

    static func contacts(_ options: [String: String] = ["dashboard_id": "1"]) -> any ResourceSource<Contact, ContactWrite> {
        adapter(options).contacts!
    }

    static func messaging(_ options: [String: String] = ["dashboard_id": "1", "dashboard_phone": "14235550100"]) -> any MessagingSource {
        adapter(options).messaging!
    }

    static func fixture(_ name: String) -> String { "textrequest/\(name).json" }

    static func noContent() -> UpstreamResponse { UpstreamResponse(status: 204, headers: HTTPHeaders(), body: []) }
    static func emptyOK() -> UpstreamResponse { UpstreamResponse(status: 200, headers: HTTPHeaders(), body: []) }

    static func id(_ s: String) -> UnifiedID { UnifiedID(s)! }

    static func contactWrite(_ json: JSON) throws -> ContactWrite { try ContactWrite.parse(json) }
    static func send(_ json: JSON) throws -> MessageSend { try MessageSend.parse(json) }

    /// The error a call threw, or nil when it returned.
    static func failure<T>(_ body: () async throws(GatewayError) -> T) async -> GatewayError? {
        do { _ = try await body(); return nil } catch { return error }
    }

    /// A short, comparable label for an error.
    static func label(_ e: GatewayError?) -> String {
        guard let e else { return "none" }
        switch e {
        case .validation(let f): return "validation " + f.map(\.field).joined(separator: ",")
        case .badRequest: return "badRequest"
        case .notFound: return "notFound"
        case .methodNotAllowed: return "methodNotAllowed"
        case .conflict: return "conflict"
        case .upstream(let source, let status, _, _): return "upstream \(source) \(status)"
        case .transport(let source, _): return "transport \(source)"
        case .invalidResponse: return "invalidResponse"
        case .notConfigured: return "notConfigured"
        default: return "other"
        }
    }

    static func query(_ r: UpstreamRequest) -> [String] { r.pathAndQuery.query.map { "\($0.0)=\($0.1)" } }
}

@Suite("Text Request adapter: contacts")
struct TextRequestContactTests {
    // MARK: list

    @Test func listSendsKeyAndZeroBasedPageAndMapsItems() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.list.200"))
        let page = try await TRTest.contacts().list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 2), context: t.context())
        let r = try #require(t.requests.first)
        #expect(t.requests.count == 1)
        #expect(r.method == "GET")
        #expect(r.url == "https://api.textrequest.test/api/v3/dashboards/1/contacts?page=0&page_size=2")
        #expect(r.headers["x-api-key"] == "test-key")
        #expect(r.headers["Accept"] == "application/json")
        #expect(r.headers["Authorization"] == nil)
        #expect(page.items.map(\.id.description) == ["textrequest:contact:1:14235550110", "textrequest:contact:1:16155550110"])
        #expect(page.next == "1")
    }

    @Test func fullLastPageHasNoNext() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.list-last.200"))
        let page = try await TRTest.contacts().list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 2, token: "209"), context: t.context())
        #expect(TRTest.query(t.requests[0]) == ["page=209", "page_size=2"])
        #expect(page.items.count == 2)  // 418 + 2 == total_items 420
        #expect(page.next == nil)
    }

    @Test func emptyPageAndNoContentEndTheList() async throws {
        let t = RecordingTransport()
        t.answer(200, json: ["items": [], "meta": ["page": 7, "page_size": 50, "total_items": 999]])
        t.answer(TRTest.noContent())
        let c = TRTest.contacts()
        let a = try await c.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 50, token: "7"), context: t.context())
        let b = try await c.list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 50), context: t.context())
        #expect(a.items.isEmpty && a.next == nil)
        #expect(b.items.isEmpty && b.next == nil)
    }

    @Test func pageSizeIsCappedAtTheDocumentedDefault() async throws {
        let t = RecordingTransport()
        t.answer(200, json: ["items": [], "meta": ["page": 0, "page_size": 100, "total_items": 0]])
        _ = try await TRTest.contacts().list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 200), context: t.context())
        #expect(TRTest.contacts().maxPageSize(kind: "contact") == 100)
        #expect(t.requests[0].query("page_size") == "100")
    }

    @Test func badCursorIsBadRequestWithoutACall() async {
        let t = RecordingTransport()
        for token in ["x", "-1", "01", ""] {
            let e = await TRTest.failure { () async throws(GatewayError) in
                try await TRTest.contacts().list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 10, token: token), context: t.context())
            }
            #expect(TRTest.label(e) == "badRequest", "token \(token)")
        }
        #expect(t.requests.isEmpty)
    }

    @Test func phoneFilterIsSentAsElevenDigits() async throws {
        let t = RecordingTransport()
        t.answer(200, json: ["items": [], "meta": ["page": 0, "page_size": 10, "total_items": 0]])
        _ = try await TRTest.contacts().list(kind: "contact", filter: ListFilter([.phone: "+1 (423) 555-0110"]), page: PageRequest(size: 10), context: t.context())
        #expect(TRTest.query(t.requests[0]) == ["page=0", "page_size=10", "contact_phone_number=14235550110"])
    }

    @Test func nonUSPhoneFilterMatchesNothingWithoutACall() async throws {
        let t = RecordingTransport()
        let page = try await TRTest.contacts().list(kind: "contact", filter: ListFilter([.phone: "+81 3-1234-5678"]), page: PageRequest(size: 10), context: t.context())
        #expect(page.items.isEmpty && page.next == nil)
        #expect(t.requests.isEmpty)
    }

    @Test func declaredFiltersArePhoneAndEmailOnlyWithTheEmailField() async throws {
        #expect(TRTest.contacts().filters(kind: "contact") == [.phone])
        let withEmail = TRTest.contacts(["dashboard_id": "1", "email_field_id": TRTest.emailField])
        #expect(withEmail.filters(kind: "contact") == [.phone, .email])
        let t = RecordingTransport()
        t.answer(200, json: ["items": [], "meta": ["page": 0, "page_size": 10, "total_items": 0]])
        _ = try await withEmail.list(kind: "contact", filter: ListFilter([.email: "paul.smith@example.com"]), page: PageRequest(size: 10), context: t.context())
        #expect(TRTest.query(t.requests[0]) == ["page=0", "page_size=10", "custom_field_id_1=\(TRTest.emailField)", "custom_field_value_1=paul.smith@example.com"])
    }

    @Test func undeclaredFilterIsBadRequestWithoutACall() async {
        let t = RecordingTransport()
        for name in [ListFilter.Name.q, .updated_since, .email] {
            let e = await TRTest.failure { () async throws(GatewayError) in
                try await TRTest.contacts().list(kind: "contact", filter: ListFilter([name: "x"]), page: PageRequest(size: 10), context: t.context())
            }
            #expect(TRTest.label(e) == "badRequest", "\(name)")
        }
        #expect(t.requests.isEmpty)
    }

    @Test func dashboardDefaultsToOneAndMustBeAnInteger() async throws {
        let t = RecordingTransport()
        t.answer(200, json: ["items": [], "meta": ["page": 0, "page_size": 10, "total_items": 0]])
        _ = try await TRTest.contacts([:]).list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 10), context: t.context())
        #expect(t.requests[0].pathAndQuery.path == "/api/v3/dashboards/1/contacts")
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.contacts(["dashboard_id": "main"]).list(kind: "contact", filter: ListFilter(), page: PageRequest(size: 10), context: t.context())
        }
        #expect(TRTest.label(e) == "notConfigured")
        #expect(t.requests.count == 1)
    }

    // MARK: get and mapping

    @Test func getMapsEveryField() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        let c = try await TRTest.contacts(["dashboard_id": "1", "email_field_id": TRTest.emailField])
            .get(TRTest.id("textrequest:contact:1:16175550110"), context: t.context())
        #expect(t.requests[0].method == "GET")
        #expect(t.requests[0].url == "https://api.textrequest.test/api/v3/dashboards/1/contacts/16175550110")
        #expect(c.id == UnifiedID(source: "textrequest", kind: "contact", remote: "1:16175550110"))
        #expect(c.displayName == "Paul Smith")
        #expect(c.firstName == "Paul")
        #expect(c.lastName == "Smith")
        #expect(c.phones == [ContactPoint(value: "+16175550110", type: "mobile", primary: true, original: "16175550110")])
        #expect(c.emails == [ContactPoint(value: "paul.smith@example.com", type: nil, primary: true)])
        #expect(c.company == nil && c.title == nil && c.address == nil && c.ownerID == nil)
        #expect(c.tags == ["b355251e-5ca2-4a31-8ab1-ee2d05aa6664"])
        #expect(c.note == nil)
        #expect(c.createdAt == "2024-01-08T11:15:30Z")
        #expect(c.updatedAt == nil)
        #expect(JSON.object(c.customFields) == [
            TRTest.emailField: "paul.smith@example.com",
            "ef305fd0-0169-4385-a6b1-d5cc92c1352f": "San Francisco",
            "is_suppressed": false, "is_blocked": false, "is_archived": false, "is_resolved": true,
            "suppressed_reason": nil, "has_opted_out": false, "opted_out_utc": nil, "groups": [],
        ])
        #expect(c.raw == Fixture.json(TRTest.fixture("contacts.get.200")))
        #expect(c.json(includeRaw: true)["raw"] == Fixture.json(TRTest.fixture("contacts.get.200")))
        #expect(c.json(includeRaw: false)["raw"] == nil)
    }

    @Test func withoutEmailFieldTheEmailStaysACustomField() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.get.200"))
        let c = try await TRTest.contacts().get(TRTest.id("textrequest:contact:1:16175550110"), context: t.context())
        #expect(c.emails.isEmpty)
        #expect(c.customFields[TRTest.emailField] == "paul.smith@example.com")
    }

    @Test func optedOutAndSuppressedFlagsAreCustomFields() async throws {
        let t = RecordingTransport()
        t.answer(200, fixture: TRTest.fixture("contacts.get-opted-out.200"))
        t.answer(200, fixture: TRTest.fixture("contacts.get-suppressed.200"))
        let out = try await TRTest.contacts().get(TRTest.id("textrequest:contact:1:12125550111"), context: t.context())
        let sup = try await TRTest.contacts().get(TRTest.id("textrequest:contact:1:14235550113"), context: t.context())
        #expect(out.customFields["has_opted_out"] == true)
        #expect(out.customFields["opted_out_utc"] == "2024-12-04T15:42:44Z")
        #expect(out.customFields["is_archived"] == true)
        #expect(out.customFields["groups"] == [40472])
        #expect(sup.customFields["is_suppressed"] == true)
        #expect(sup.customFields["suppressed_reason"] == "Contact asked not to be texted.")
        #expect(sup.customFields["has_opted_out"] == false)
    }

    @Test func noContentIsNotFound() async {
        let t = RecordingTransport()
        t.answer(TRTest.noContent())
        let e = await TRTest.failure { () async throws(GatewayError) in
            try await TRTest.contacts().get(TRTest.id("textrequest:contact:1:12025550199"), context: t.context())
        }
        #expect(TRTest.label(e) == "notFound")
        #expect(t.requests.count == 1)
    }

    @Test func idsOfAnotherDashboardOrMalformedAreNotFoundWithoutACall() async {
        let t = RecordingTransport()
        for id in ["textrequest:contact:2:14235550110", "textrequest:contact:1:4235550110", "textrequest:contact:1:14235550110:x",
                   "textrequest:contact:1:10235550110", "textrequest:conversation:1:14235550110", "pipedrive:contact:1:14235550110"] {
            let e = await TRTest.failure { () async throws(GatewayError) in
                try await TRTest.contacts().get(TRTest.id(id), context: t.context())
            }
            #expect(TRTest.label(e) == "notFound", "\(id)")
        }
        #expect(t.requests.isEmpty)
    }
}
