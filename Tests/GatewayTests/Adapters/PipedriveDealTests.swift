@testable import Gateway
import GatewayCore
import Testing

@Suite("Pipedrive deals (/deals)")
struct PipedriveDealTests {
    let t = RecordingTransport()
    var deals: any ResourceSource<Deal, DealWrite> { PDTest.adapter().deals! }

    @Test func declaresItsFilters() {
        #expect(deals.filters(kind: "deal") == [.q, .status, .stage_id, .pipeline_id, .contact_id, .company_id, .updated_since])
        #expect(deals.operations(kind: "deal") == [.list, .get, .create, .update, .delete])
    }

    @Test func listLoadsStageAndPipelineNamesOncePerPage() async throws {
        t.answer(200, fixture: PDTest.fixture("deals.list.200"))
        PDTest.metadataAnswers(t)
        let page = try await deals.list(kind: "deal", filter: ListFilter(), page: PageRequest(size: 2), context: t.context())
        #expect(t.requests.map { PDTest.path($0) } == ["/api/v2/deals", "/api/v2/pipelines", "/api/v2/stages"])
        #expect(PDTest.query(t.requests[0]) == ["limit=2"])
        #expect(PDTest.query(t.requests[1]) == ["limit=500"])
        #expect(PDTest.query(t.requests[2]) == ["limit=500"])
        PDTest.expectAuth(t.requests)
        #expect(page.next == "aWQ6YXNjOjM6Mw")
        #expect(page.items.map(\.stage) == [Ref(id: "pipedrive:stage:8", name: "Solution design"), Ref(id: "pipedrive:stage:3", name: "Demo scheduled")])
        #expect(page.items.map(\.pipeline) == [Ref(id: "pipedrive:pipeline:2", name: "Enterprise"), Ref(id: "pipedrive:pipeline:1", name: "Sales pipeline")])
        #expect(page.items.map(\.status) == [.open, .won])
    }

    @Test func metadataFollowsCursors() async throws {
        t.answer(200, json: ["success": true, "data": [["id": 1, "name": "A"]], "additional_data": ["next_cursor": "p2"]])
        t.answer(200, json: ["success": true, "data": [["id": 2, "name": "B"]], "additional_data": ["next_cursor": nil]])
        t.answer(200, json: ["success": true, "data": [["id": 7, "name": "S", "pipeline_id": 2]], "additional_data": ["next_cursor": nil]])
        let meta = try await PDTest.adapter().metadata(context: t.context())
        #expect(meta == PipedriveMetadata(pipelines: [1: "A", 2: "B"], stages: [7: "S"]))
        #expect(t.requests.map { PDTest.path($0) + "?" + PDTest.query($0).joined(separator: "&") }
                == ["/api/v2/pipelines?limit=500", "/api/v2/pipelines?limit=500&cursor=p2", "/api/v2/stages?limit=500"])
    }

    @Test func emptyPageSkipsTheMetadata() async throws {
        t.answer(200, json: ["success": true, "data": [], "additional_data": ["next_cursor": nil]])
        let page = try await deals.list(kind: "deal", filter: ListFilter([.status: "won"]), page: PageRequest(size: 10), context: t.context())
        #expect(t.requests.count == 1)
        #expect(page.items.isEmpty)
        #expect(page.next == nil)
    }

    @Test func mapsEveryDealField() async throws {
        t.answer(200, fixture: PDTest.fixture("deals.get.200"))
        PDTest.metadataAnswers(t)
        let d = try await deals.get(UnifiedID("pipedrive:deal:4")!, context: t.context())
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v2/deals/4")
        #expect(d.id.description == "pipedrive:deal:4")
        #expect(d.title == "Wakaba Systems – Fleet telematics rollout")
        #expect(d.value == Money(amount: 25_400_000, currency: "JPY"))
        #expect(d.status == .lost)
        #expect(d.stage == Ref(id: "pipedrive:stage:5", name: "Negotiations started"))
        #expect(d.pipeline == Ref(id: "pipedrive:pipeline:1", name: "Sales pipeline"))
        #expect(d.contactID == "pipedrive:person:229")
        #expect(d.companyID == "pipedrive:organization:287")
        #expect(d.expectedCloseDate == "2024-10-10")
        #expect(d.lostReason == "Project postponed")
        #expect(d.ownerID == "pipedrive:user:21504301")
        #expect(d.createdAt == "2024-04-19T08:54:32Z")
        #expect(d.updatedAt == "2024-09-30T06:53:29Z")
        #expect(d.customFields == ["41f9c2e7a0b5d83c6e1f4a9b2d7c0e5f8a3b6d19": "APAC"])
        #expect(d.raw == Fixture.json(PDTest.fixture("deals.get.200"))["data"])
        #expect(d.json(includeRaw: false)["value"] == ["amount": 25_400_000, "currency": "JPY"])
    }

    @Test func deletedDealsListWithStatusDeleted() async throws {
        t.answer(200, fixture: PDTest.fixture("deals.list-deleted.200"))
        PDTest.metadataAnswers(t)
        let page = try await deals.list(kind: "deal", filter: ListFilter([.status: "deleted"]), page: PageRequest(size: 1), context: t.context())
        #expect(PDTest.query(t.requests[0]) == ["limit=1", "status=deleted"])
        #expect(page.items.first?.status == .deleted)
        #expect(page.items.first?.lostReason == nil)
    }

    @Test func everyListFilterReachesTheQuery() async throws {
        t.answer(200, json: ["success": true, "data": [], "additional_data": ["next_cursor": nil]])
        let filter = ListFilter([.status: "open", .stage_id: "pipedrive:stage:8", .pipeline_id: "pipedrive:pipeline:2",
                                 .contact_id: "pipedrive:person:284", .company_id: "pipedrive:organization:49",
                                 .updated_since: "2024-12-01T00:00:00Z"])
        _ = try await deals.list(kind: "deal", filter: filter, page: PageRequest(size: 50, token: "c1"), context: t.context())
        #expect(PDTest.query(t.requests[0]) == ["limit=50", "cursor=c1", "updated_since=2024-12-01T00:00:00Z", "person_id=284",
                                                "org_id=49", "pipeline_id=2", "stage_id=8", "status=open"])
    }

    @Test func unknownStatusIsABadRequest() async {
        let e = await PDTest.error { try await deals.list(kind: "deal", filter: ListFilter([.status: "closed"]), page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields == [FieldError("status", "must be one of open, won, lost, deleted")])
        #expect(t.requests.isEmpty)
    }

    @Test func idFiltersMustBeOfTheRightKind() async {
        for (name, value) in [(ListFilter.Name.stage_id, "pipedrive:pipeline:1"), (.pipeline_id, "pipedrive:stage:1"),
                              (.contact_id, "pipedrive:organization:1"), (.company_id, "pipedrive:person:1")] {
            let e = await PDTest.error { try await deals.list(kind: "deal", filter: ListFilter([name: value]), page: PageRequest(size: 5), context: t.context()) }
            guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest for \(name)"); continue }
            #expect(fields.map(\.field) == [name.rawValue])
        }
        #expect(t.requests.isEmpty)
    }

    @Test func qSearchesDealsWithPersonOrganizationAndStatus() async throws {
        t.answer(200, fixture: PDTest.fixture("deals.search.200"))
        t.answer(200, fixture: PDTest.fixture("deals.search-ids.200"))
        PDTest.metadataAnswers(t)
        let filter = ListFilter([.q: "telematics", .contact_id: "pipedrive:person:229", .company_id: "pipedrive:organization:287", .status: "lost"])
        let page = try await deals.list(kind: "deal", filter: filter, page: PageRequest(size: 2), context: t.context())
        #expect(t.requests.map { PDTest.path($0) } == ["/api/v2/deals/search", "/api/v2/deals", "/api/v2/pipelines", "/api/v2/stages"])
        #expect(PDTest.query(t.requests[0]) == ["term=telematics", "person_id=229", "organization_id=287", "status=lost", "limit=2"])
        #expect(PDTest.query(t.requests[1]) == ["ids=4,7", "limit=2"])
        #expect(page.items.map(\.id.remote) == ["4", "7"])
        #expect(page.next == "czoy")
    }

    @Test func qCannotBeCombinedWithStageOrPipelineOrUpdatedSince() async {
        let e = await PDTest.error { try await deals.list(kind: "deal", filter: ListFilter([.q: "pos", .stage_id: "pipedrive:stage:1", .updated_since: "2025-01-01"]),
                                                          page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(let message, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields.map(\.field) == ["stage_id", "updated_since"])
        #expect(message.contains("company_id, contact_id, status"))
        #expect(t.requests.isEmpty)
    }

    @Test func qWithStatusDeletedIsRefused() async {
        let e = await PDTest.error { try await deals.list(kind: "deal", filter: ListFilter([.q: "pos", .status: "deleted"]), page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields.map(\.field) == ["status"])
    }

    @Test func createSendsEveryField() async throws {
        t.answer(200, fixture: PDTest.fixture("deals.create.200"))
        PDTest.metadataAnswers(t)
        var w = DealWrite()
        w.title = .set("Hanoi Retail – POS rollout")
        w.amount = .set(125_000.5)
        w.currency = .set("USD")
        w.status = .set("open")
        w.stageID = .set(UnifiedID("pipedrive:stage:8")!)
        w.contactID = .set(UnifiedID("pipedrive:person:284")!)
        w.companyID = .set(UnifiedID("pipedrive:organization:49")!)
        w.expectedCloseDate = .set("2025-03-31")
        w.ownerID = .set("pipedrive:user:21504303")
        w.customFields = .set(["41f9c2e7a0b5d83c6e1f4a9b2d7c0e5f8a3b6d19": "APAC"])
        let d = try await deals.create(kind: "deal", w, context: t.context())
        #expect(t.requests[0].method == "POST")
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v2/deals")
        #expect(t.requests[0].jsonBody == ["title": "Hanoi Retail – POS rollout", "value": 125_000.5, "currency": "USD", "status": "open",
                                           "stage_id": 8, "person_id": 284, "org_id": 49, "expected_close_date": "2025-03-31",
                                           "owner_id": 21504303, "custom_fields": ["41f9c2e7a0b5d83c6e1f4a9b2d7c0e5f8a3b6d19": "APAC"]])
        PDTest.expectAuth(t.requests)
        #expect(d.id.description == "pipedrive:deal:341")
        #expect(d.value == Money(amount: 125_000.5, currency: "USD"))
        #expect(d.stage == Ref(id: "pipedrive:stage:8", name: "Solution design"))
        #expect(d.pipeline == Ref(id: "pipedrive:pipeline:2", name: "Enterprise"))
        #expect(d.lostReason == nil)
    }

    @Test func updateToLostWithReasonAndClears() async throws {
        t.answer(200, fixture: PDTest.fixture("deals.update.200"))
        PDTest.metadataAnswers(t)
        var w = DealWrite()
        w.status = .set("lost")
        w.lostReason = .set("Budget cut")
        w.amount = .set(1500)
        w.pipelineID = .set(UnifiedID("pipedrive:pipeline:2")!)
        w.contactID = .clear
        w.companyID = .clear
        w.expectedCloseDate = .clear
        let d = try await deals.update(UnifiedID("pipedrive:deal:341")!, w, context: t.context())
        #expect(t.requests[0].method == "PATCH")
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v2/deals/341")
        #expect(t.requests[0].jsonBody == ["value": 1500, "status": "lost", "lost_reason": "Budget cut", "pipeline_id": 2,
                                           "person_id": nil, "org_id": nil, "expected_close_date": nil])
        #expect(d.status == .lost)
        #expect(d.lostReason == "Budget cut")
    }

    @Test func deleteSendsDelete() async throws {
        t.answer(200, json: ["success": true, "data": ["id": 341]])
        try await deals.delete(UnifiedID("pipedrive:deal:341")!, context: t.context())
        #expect(t.requests.map { "\($0.method) \($0.url)" } == ["DELETE https://acme.pipedrive.com/api/v2/deals/341"])
    }

    @Test func upstreamValidationErrorIsPassedOn() async {
        t.answer(400, fixture: PDTest.fixture("deals.update.400"))
        var w = DealWrite()
        w.title = .set("x")
        let e = await PDTest.error { try await deals.update(UnifiedID("pipedrive:deal:341")!, w, context: t.context()) }
        guard case .upstream(_, 400, let body, _)? = e else { Issue.record("expected upstream 400"); return }
        #expect(body == Fixture.bytes(PDTest.fixture("deals.update.400")))
    }

    @Test func metadataFailureFailsTheRead() async {
        t.answer(200, fixture: PDTest.fixture("deals.get.200"))
        t.answer(503, json: ["success": false, "error": "Service unavailable"])
        let e = await PDTest.error { try await deals.get(UnifiedID("pipedrive:deal:4")!, context: t.context()) }
        guard case .upstream(_, 503, _, _)? = e else { Issue.record("expected upstream 503"); return }
    }
}
