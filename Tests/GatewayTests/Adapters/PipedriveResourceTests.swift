@testable import Gateway
import GatewayCore
import Testing

@Suite("Pipedrive organizations, pipelines, stages, activities, notes")
struct PipedriveResourceTests {
    let t = RecordingTransport()
    let a = PDTest.adapter()

    // MARK: organizations

    @Test func organizationListAndMapping() async throws {
        t.answer(200, fixture: PDTest.fixture("organizations.list.200"))
        let page = try await a.companies!.list(kind: "organization", filter: ListFilter([.updated_since: "2024-06-01"]),
                                               page: PageRequest(size: 2), context: t.context())
        #expect(PDTest.path(t.requests[0]) == "/api/v2/organizations")
        #expect(PDTest.query(t.requests[0]) == ["limit=2", "updated_since=2024-06-01T00:00:00Z"])
        PDTest.expectAuth(t.requests)
        #expect(page.items.count == 2)
        #expect(page.next != nil)
    }

    @Test func mapsEveryOrganizationField() async throws {
        t.answer(200, fixture: PDTest.fixture("organizations.get.200"))
        let c = try await a.companies!.get(UnifiedID("pipedrive:organization:49")!, context: t.context())
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v2/organizations/49")
        #expect(c.id.description == "pipedrive:organization:49")
        #expect(c.name == "Yamabuki Systems Co., Ltd.")
        #expect(c.address == "2-8-2 Marunouchi, Chiyoda-ku, Tokyo 100-0015, Japan")
        #expect(c.ownerID == "pipedrive:user:21504301")
        #expect(c.website == nil)
        #expect(c.industry == nil)
        #expect(c.emails.isEmpty && c.phones.isEmpty)
        #expect(c.createdAt == "2024-02-23T20:16:27Z")
        #expect(c.updatedAt == "2024-12-25T01:20:35Z")
        #expect(c.customFields == ["e7a2c4f1b9d3e6a08c5f2b7d1e4a9c3f6b0d8e25": "Trading", "b06d3f9a2e8c1b5d7a4e0f3c9b2d6e8a1f5c7d40": 150])
        #expect(c.raw == Fixture.json(PDTest.fixture("organizations.get.200"))["data"])
    }

    @Test func organizationSearchStandsAlone() async throws {
        t.answer(200, fixture: PDTest.fixture("organizations.search.200"))
        t.answer(200, json: ["success": true, "data": [["id": 49, "name": "Yamabuki Systems Co., Ltd."], ["id": 59, "name": "Yamabuki Trading"]],
                             "additional_data": ["next_cursor": nil]])
        let page = try await a.companies!.list(kind: "organization", filter: ListFilter([.q: "yamabuki"]), page: PageRequest(size: 5), context: t.context())
        #expect(PDTest.path(t.requests[0]) == "/api/v2/organizations/search")
        #expect(PDTest.query(t.requests[0]) == ["term=yamabuki", "limit=5"])
        #expect(PDTest.query(t.requests[1]) == ["ids=49,59,204,222,265", "limit=5"])
        #expect(page.items.map(\.id.remote) == ["49", "59"])  // the others vanished between the calls
        #expect(page.next == nil)

        let e = await PDTest.error { try await a.companies!.list(kind: "organization", filter: ListFilter([.q: "yamabuki", .updated_since: "2025-01-01"]),
                                                                 page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields.map(\.field) == ["updated_since"])
    }

    @Test func organizationWrites() async throws {
        t.answer(200, fixture: PDTest.fixture("organizations.get.200"))
        t.answer(200, fixture: PDTest.fixture("organizations.get.200"))
        t.answer(200, json: ["success": true, "data": ["id": 49]])
        var w = CompanyWrite()
        w.name = .set("Yamabuki Systems Co., Ltd.")
        w.address = .set("2-8-2 Marunouchi")
        w.ownerID = .set("pipedrive:user:21504301")
        w.customFields = .set(["e7a2c4f1b9d3e6a08c5f2b7d1e4a9c3f6b0d8e25": "Trading"])
        _ = try await a.companies!.create(kind: "organization", w, context: t.context())
        var u = CompanyWrite()
        u.address = .clear
        _ = try await a.companies!.update(UnifiedID("pipedrive:organization:49")!, u, context: t.context())
        try await a.companies!.delete(UnifiedID("pipedrive:organization:49")!, context: t.context())
        #expect(t.requests.map { "\($0.method) \(PDTest.path($0))" } == ["POST /api/v2/organizations", "PATCH /api/v2/organizations/49",
                                                                         "DELETE /api/v2/organizations/49"])
        #expect(t.requests[0].jsonBody == ["name": "Yamabuki Systems Co., Ltd.", "address": ["value": "2-8-2 Marunouchi"],
                                           "owner_id": 21504301, "custom_fields": ["e7a2c4f1b9d3e6a08c5f2b7d1e4a9c3f6b0d8e25": "Trading"]])
        #expect(t.requests[1].jsonBody == ["address": nil])
        PDTest.expectAuth(t.requests)
    }

    // MARK: pipelines and stages

    @Test func pipelinesListAndGet() async throws {
        t.answer(200, fixture: PDTest.fixture("pipelines.list.200"))
        t.answer(200, fixture: PDTest.fixture("pipelines.get.200"))
        let page = try await a.pipelines!.list(kind: "pipeline", filter: ListFilter(), page: PageRequest(size: 3), context: t.context())
        let p = try await a.pipelines!.get(UnifiedID("pipedrive:pipeline:1")!, context: t.context())
        #expect(t.requests.map(\.url) == ["https://acme.pipedrive.com/api/v2/pipelines?limit=3", "https://acme.pipedrive.com/api/v2/pipelines/1"])
        PDTest.expectAuth(t.requests)
        #expect(page.items.map(\.name) == ["Sales pipeline", "Enterprise", "Partner channel (APAC)"])
        #expect(page.next == nil)
        #expect(p.id.description == "pipedrive:pipeline:1")
        #expect(p.order == 1)
        #expect(p.active)
        #expect(p.createdAt == "2022-11-07T02:00:00Z")
        #expect(p.updatedAt == "2022-11-07T03:00:00Z")
        #expect(p.raw == Fixture.json(PDTest.fixture("pipelines.get.200"))["data"])
        #expect(a.pipelines!.filters(kind: "pipeline").isEmpty)
    }

    @Test func deletedPipelineIsInactive() async throws {
        t.answer(200, json: ["success": true, "data": ["id": 9, "name": "Old", "is_deleted": true]])
        #expect(try await a.pipelines!.get(UnifiedID("pipedrive:pipeline:9")!, context: t.context()).active == false)
    }

    @Test func stagesListByPipelineWithPipelineNames() async throws {
        t.answer(200, fixture: PDTest.fixture("stages.list.200"))
        t.answer(200, fixture: PDTest.fixture("pipelines.list.200"))
        let page = try await a.stages!.list(kind: "stage", filter: ListFilter([.pipeline_id: "pipedrive:pipeline:2"]),
                                            page: PageRequest(size: 16), context: t.context())
        #expect(t.requests.map { PDTest.path($0) } == ["/api/v2/stages", "/api/v2/pipelines"])
        #expect(PDTest.query(t.requests[0]) == ["limit=16", "pipeline_id=2"])
        #expect(page.items.count == 16)
        #expect(page.items[7].pipeline == Ref(id: "pipedrive:pipeline:2", name: "Enterprise"))
        #expect(page.next == nil)
    }

    @Test func mapsEveryStageField() async throws {
        t.answer(200, fixture: PDTest.fixture("stages.get.200"))
        t.answer(200, fixture: PDTest.fixture("pipelines.list.200"))
        let s = try await a.stages!.get(UnifiedID("pipedrive:stage:5")!, context: t.context())
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v2/stages/5")
        #expect(s.name == "Negotiations started")
        #expect(s.pipeline == Ref(id: "pipedrive:pipeline:1", name: "Sales pipeline"))
        #expect(s.order == 5)
        #expect(s.probability == 80)
        #expect(s.createdAt == "2022-11-07T02:00:00Z")
        #expect(s.updatedAt == "2022-11-07T03:00:00Z")
        #expect(s.raw == Fixture.json(PDTest.fixture("stages.get.200"))["data"])
    }

    @Test func stageFilterMustBeAPipelineID() async {
        let e = await PDTest.error { try await a.stages!.list(kind: "stage", filter: ListFilter([.pipeline_id: "pipedrive:stage:2"]),
                                                              page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields == [FieldError("pipeline_id", "must be an id of the form pipedrive:pipeline:<id>")])
    }

    // MARK: activities

    @Test func activityListFiltersAndMapping() async throws {
        t.answer(200, fixture: PDTest.fixture("activities.list.200"))
        let filter = ListFilter([.contact_id: "pipedrive:person:223", .company_id: "pipedrive:organization:21",
                                 .updated_since: "2024-01-01T00:00:00Z", .status: "done"])
        let page = try await a.activities!.list(kind: "activity", filter: filter, page: PageRequest(size: 2, token: "cur"), context: t.context())
        #expect(PDTest.path(t.requests[0]) == "/api/v2/activities")
        #expect(PDTest.query(t.requests[0]) == ["limit=2", "cursor=cur", "person_id=223", "org_id=21", "updated_since=2024-01-01T00:00:00Z", "done=true"])
        PDTest.expectAuth(t.requests)
        #expect(page.next == "aWQ6YXNjOjM6Mw")
        let x = page.items[0]
        #expect(x.id.description == "pipedrive:activity:1")
        #expect(x.subject == "Email pricing sheet – Đặng Thị Hương")
        #expect(x.type == "email")
        #expect(x.done)
        #expect(x.dueDate == "2024-08-14")
        #expect(x.dueTime == "06:30")
        #expect(x.duration == "00:30")
        #expect(x.note == nil)
        #expect(x.dealID == "pipedrive:deal:326")
        #expect(x.contactID == "pipedrive:person:223")
        #expect(x.companyID == "pipedrive:organization:21")
        #expect(x.ownerID == "pipedrive:user:21504301")
        #expect(x.createdAt == "2024-07-25T18:10:06Z")
        #expect(x.updatedAt == "2024-12-23T07:12:56Z")
        #expect(page.items[1].done == false)
        #expect(page.items[1].dueTime == nil)
    }

    @Test func activityStatusOpenAndUnknown() async throws {
        t.answer(200, json: ["success": true, "data": [], "additional_data": ["next_cursor": nil]])
        _ = try await a.activities!.list(kind: "activity", filter: ListFilter([.status: "open"]), page: PageRequest(size: 5), context: t.context())
        #expect(PDTest.query(t.requests[0]) == ["limit=5", "done=false"])
        let e = await PDTest.error { try await a.activities!.list(kind: "activity", filter: ListFilter([.status: "won"]), page: PageRequest(size: 5), context: t.context()) }
        guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest"); return }
        #expect(fields == [FieldError("status", "must be done or open")])
        #expect(t.requests.count == 1)
    }

    @Test func activityCreate() async throws {
        t.answer(200, fixture: PDTest.fixture("activities.create.200"))
        var w = ActivityWrite()
        w.subject = .set("Call Lan about the POS pilot")
        w.type = .set("call")
        w.done = .set(false)
        w.dueDate = .set("2025-02-03")
        w.dueTime = .set("09:30")
        w.duration = .set("00:45")
        w.note = .set("Bring pricing")
        w.dealID = .set(UnifiedID("pipedrive:deal:4")!)
        w.contactID = .set(UnifiedID("pipedrive:person:284")!)
        w.companyID = .set(UnifiedID("pipedrive:organization:49")!)
        w.ownerID = .set("pipedrive:user:21504302")
        let x = try await a.activities!.create(kind: "activity", w, context: t.context())
        #expect(t.requests[0].method == "POST")
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v2/activities")
        #expect(t.requests[0].jsonBody == ["subject": "Call Lan about the POS pilot", "type": "call", "done": false, "due_date": "2025-02-03",
                                           "due_time": "09:30", "duration": "00:45", "note": "Bring pricing", "deal_id": 4,
                                           "person_id": 284, "org_id": 49, "owner_id": 21504302])
        #expect(x.id.description == "pipedrive:activity:331")
        #expect(x.note == "Bring pricing")
        #expect(x.ownerID == "pipedrive:user:21504302")
    }

    @Test func activityTimesWithSecondsAreShortened() async throws {
        t.answer(200, json: ["success": true, "data": ["id": 5, "due_time": "14:00:00", "duration": "01:30:00"]])
        let x = try await a.activities!.get(UnifiedID("pipedrive:activity:5")!, context: t.context())
        #expect(x.dueTime == "14:00")
        #expect(x.duration == "01:30")
    }

    // MARK: notes

    @Test func notesListForADealPagesWithNextStart() async throws {
        t.answer(200, fixture: PDTest.fixture("notes.list.200"))
        t.answer(200, fixture: PDTest.fixture("notes.list-last.200"))
        let first = try await a.notes!.list(parent: UnifiedID("pipedrive:deal:117")!, page: PageRequest(size: 2), context: t.context())
        let last = try await a.notes!.list(parent: UnifiedID("pipedrive:deal:117")!, page: PageRequest(size: 2, token: first.next), context: t.context())
        #expect(PDTest.path(t.requests[0]) == "/api/v1/notes")
        #expect(PDTest.query(t.requests[0]) == ["deal_id=117", "limit=2"])
        #expect(PDTest.query(t.requests[1]) == ["deal_id=117", "limit=2", "start=2"])
        PDTest.expectAuth(t.requests)
        #expect(first.next == "2")
        #expect(last.next == nil)
        #expect(last.items.count == 1)
        let n = first.items[0]
        #expect(n.id.description == "pipedrive:note:9")
        #expect(n.content == "<p>Đã gọi cho Ryo Kato: cần báo giá Security audit trước cuối tháng.</p>")
        #expect(n.dealID == "pipedrive:deal:117")
        #expect(n.contactID == "pipedrive:person:103")
        #expect(n.companyID == "pipedrive:organization:73")
        #expect(n.ownerID == "pipedrive:user:21504301")
        #expect(n.createdAt == "2024-07-02T07:35:52Z")
        #expect(n.updatedAt == "2024-07-02T07:35:52Z")
        #expect(n.raw?["deal"]?["title"] == "Hikari Marine – Security audit")
    }

    @Test func notesParentKeys() async throws {
        for (parent, key) in [("pipedrive:person:284", "person_id=284"), ("pipedrive:organization:49", "org_id=49")] {
            t.answer(200, json: ["success": true, "data": [], "additional_data": ["pagination": ["start": 0, "limit": 10, "more_items_in_collection": false]]])
            let page = try await a.notes!.list(parent: UnifiedID(parent)!, page: PageRequest(size: 10), context: t.context())
            #expect(PDTest.query(t.requests.last!) == [key, "limit=10"])
            #expect(page.next == nil)
        }
        let e = await PDTest.error { try await a.notes!.list(parent: UnifiedID("pipedrive:activity:1")!, page: PageRequest(size: 10), context: t.context()) }
        guard case .notFound? = e else { Issue.record("expected notFound"); return }
        let bad = await PDTest.error { try await a.notes!.list(parent: UnifiedID("pipedrive:deal:1")!, page: PageRequest(size: 10, token: "x"), context: t.context()) }
        guard case .badRequest? = bad else { Issue.record("expected badRequest for a foreign cursor"); return }
        #expect(t.requests.count == 2)
    }

    @Test func noteCreate() async throws {
        t.answer(200, fixture: PDTest.fixture("notes.create.200"))
        var w = NoteWrite()
        w.content = .set("Lan asked for a pilot in two stores.")
        let n = try await a.notes!.create(parent: UnifiedID("pipedrive:person:284")!, w, context: t.context())
        #expect(t.requests[0].method == "POST")
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v1/notes")
        #expect(t.requests[0].jsonBody == ["content": "Lan asked for a pilot in two stores.", "person_id": 284])
        PDTest.expectAuth(t.requests)
        #expect(n.id.description == "pipedrive:note:321")
        #expect(n.contactID == "pipedrive:person:284")
        #expect(n.dealID == nil)
        #expect(n.createdAt == "2026-12-01T21:42:38Z")
    }

    @Test func noteValidation() {
        #expect(a.notes!.validate(NoteWrite()) == [FieldError("content", "is required")])
        var w = NoteWrite()
        w.content = .set("  ")
        #expect(a.notes!.validate(w) == [FieldError("content", "must not be empty")])
        w.content = .clear
        #expect(a.notes!.validate(w) == [FieldError("content", "is required")])
    }
}
