import Gateway
import GatewayCore
@testable import Sandbox
import Testing

/// The Pipedrive adapter against the Pipedrive emulator over loopback: paging through the
/// seed (360 persons, 320 organizations, 322 live deals, 330 activities, 3 pipelines,
/// 16 stages), filters and searches, write round trips, notes, errors, faults, passthrough.
@Suite("Pipedrive adapter end to end", .serialized)
struct PipedriveAdapterEndToEndTests {
    static let seed = PipedriveSeed.make()
    let f: SandboxFixture
    let adapter: PipedriveAdapter
    var ctx: AdapterContext { AdapterContext(transport: f.client, requestID: "t") }

    /// Deal pages make three calls (deals, pipelines, stages): the burst window is raised so
    /// long traversals are not paced by the emulator's 40 per 2 s.
    init() throws {
        var o = SandboxOptions()
        o.pipedriveBurstLimit = 1000
        f = try SandboxFixture(["pipedrive"], options: o)
        adapter = PipedriveAdapter(settings: UpstreamSettings(baseURL: f.host("pipedrive").baseURL, credential: "sandbox-key"))
    }

    static func live(_ kind: PDKind, _ keep: (JSONObject) -> Bool = { _ in true }) -> [JSONObject] {
        seed[kind].all.filter { !PipedriveState.isDeleted(kind, $0) && keep($0) }
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

    func operations(_ name: String) async throws -> Int {
        try await f.stats("pipedrive")["by_operation"]?[name]?.intValue ?? 0
    }

    func error<T>(_ body: () async throws -> T) async -> GatewayError? {
        do { _ = try await body(); return nil } catch { return error as? GatewayError }
    }

    @Test("paging through every listable kind: each id exactly once, the last page ends the list")
    func paging() async throws {
        let persons = try await all(100) { (flt, p) throws(GatewayError) in try await adapter.contacts!.list(kind: "person", filter: flt, page: p, context: ctx) }
        #expect(persons.items.count == Self.live(.person).count && persons.pages == 4)
        #expect(Set(persons.items.map(\.id.remote)).count == persons.items.count)
        // 360 persons in pages of 120: the third page is full and is the last; no fourth call.
        let before = try await operations("persons.list")
        let exact = try await all(120) { (flt, p) throws(GatewayError) in try await adapter.contacts!.list(kind: "person", filter: flt, page: p, context: ctx) }
        #expect(exact.items.count == 360 && exact.pages == 3)
        #expect(try await operations("persons.list") - before == 3)

        let orgs = try await all(100) { (flt, p) throws(GatewayError) in try await adapter.companies!.list(kind: "organization", filter: flt, page: p, context: ctx) }
        #expect(orgs.items.count == Self.live(.organization).count && orgs.items.count >= 250)
        #expect(Set(orgs.items.map(\.id.remote)).count == orgs.items.count)

        let deals = try await all(100) { (flt, p) throws(GatewayError) in try await adapter.deals!.list(kind: "deal", filter: flt, page: p, context: ctx) }
        #expect(deals.items.count == Self.live(.deal).count && deals.items.count >= 250)
        #expect(Set(deals.items.map(\.id.remote)).count == deals.items.count)
        #expect(deals.items.allSatisfy { $0.stage?.name != nil && $0.pipeline?.name != nil && $0.status != .deleted })

        let activities = try await all(100) { (flt, p) throws(GatewayError) in try await adapter.activities!.list(kind: "activity", filter: flt, page: p, context: ctx) }
        #expect(activities.items.count == Self.live(.activity).count && activities.items.count >= 250)
        #expect(Set(activities.items.map(\.id.remote)).count == activities.items.count)

        let pipelines = try await all(2) { (flt, p) throws(GatewayError) in try await adapter.pipelines!.list(kind: "pipeline", filter: flt, page: p, context: ctx) }
        #expect(pipelines.items.map(\.id.remote) == ["1", "2", "3"] && pipelines.pages == 2)

        let stages = try await all(5) { (flt, p) throws(GatewayError) in try await adapter.stages!.list(kind: "stage", filter: flt, page: p, context: ctx) }
        #expect(stages.items.count == 16 && Set(stages.items.map(\.id.remote)).count == 16 && stages.pages == 4)
        #expect(stages.items.allSatisfy { $0.pipeline?.name != nil })
    }

    @Test("a page of deals costs one deals call plus one pipelines and one stages call")
    func dealPageCalls() async throws {
        let page = try await adapter.deals!.list(kind: "deal", filter: ListFilter(), page: PageRequest(size: 50), context: ctx)
        #expect(page.items.count == 50 && page.next != nil)
        let s = try await f.stats("pipedrive")
        #expect(s["by_operation"]?["deals.list"] == 1)
        #expect(s["by_operation"]?["pipelines.list"] == 1)
        #expect(s["by_operation"]?["stages.list"] == 1)
        #expect(s["requests_total"] == 3)
    }

    @Test("person filters: company, updated_since, q, email, phone")
    func personFilters() async throws {
        let org = 49
        let byOrg = try await all(100, filter: ListFilter([.company_id: "pipedrive:organization:\(org)"])) { (flt, p) throws(GatewayError) in
            try await adapter.contacts!.list(kind: "person", filter: flt, page: p, context: ctx)
        }
        #expect(byOrg.items.count == Self.live(.person) { $0["org_id"]?.intValue == org }.count && !byOrg.items.isEmpty)
        #expect(byOrg.items.allSatisfy { $0.company?.id == "pipedrive:organization:\(org)" })

        let since = "2025-01-01T00:00:00Z"
        let recent = try await all(200, filter: ListFilter([.updated_since: since])) { (flt, p) throws(GatewayError) in
            try await adapter.contacts!.list(kind: "person", filter: flt, page: p, context: ctx)
        }
        #expect(recent.items.count == Self.live(.person) { ($0["update_time"]?.stringValue ?? "") >= since }.count && !recent.items.isEmpty)
        #expect(recent.items.allSatisfy { ($0.updatedAt ?? "") >= since })

        let sato = try await all(5, filter: ListFilter([.q: "sato"])) { (flt, p) throws(GatewayError) in
            try await adapter.contacts!.list(kind: "person", filter: flt, page: p, context: ctx)
        }
        #expect(sato.items.count > 5 && Set(sato.items.map(\.id.remote)).count == sato.items.count)
        #expect(sato.items.allSatisfy { c in
            (c.displayName ?? "").lowercased().contains("sato") || c.emails.contains { $0.value.contains("sato") } || c.customFields.contains { "\($0.value)".lowercased().contains("sato") }
        })

        let target = Self.live(.person)[10]
        let email = target["emails"]?[0]?["value"]?.stringValue ?? ""
        let byEmail = try await adapter.contacts!.list(kind: "person", filter: ListFilter([.email: email.uppercased()]), page: PageRequest(size: 10), context: ctx)
        #expect(byEmail.items.map(\.id.remote) == [String(target["id"]?.intValue ?? 0)])
        #expect(byEmail.next == nil)

        let phone = target["phones"]?[0]?["value"]?.stringValue ?? ""
        let byPhone = try await adapter.contacts!.list(kind: "person", filter: ListFilter([.phone: phone]), page: PageRequest(size: 10), context: ctx)
        #expect(byPhone.items.contains { $0.id.remote == String(target["id"]?.intValue ?? 0) })

        let e = await error { try await adapter.contacts!.list(kind: "person", filter: ListFilter([.q: "sato", .updated_since: since]), page: PageRequest(size: 10), context: ctx) }
        guard case .badRequest? = e else { Issue.record("expected badRequest"); return }
    }

    @Test("deal filters: status, stage, pipeline, contact, company, q")
    func dealFilters() async throws {
        func deals(_ filter: ListFilter) async throws -> [Deal] {
            try await all(200, filter: filter) { (flt, p) throws(GatewayError) in try await adapter.deals!.list(kind: "deal", filter: flt, page: p, context: ctx) }.items
        }
        let won = try await deals(ListFilter([.status: "won"]))
        #expect(won.count == Self.live(.deal) { $0["status"] == "won" }.count && won.allSatisfy { $0.status == .won })
        let deleted = try await deals(ListFilter([.status: "deleted"]))
        #expect(deleted.count == Self.seed[.deal].all.filter { $0["is_deleted"] == .bool(true) }.count && deleted.allSatisfy { $0.status == .deleted })
        let stage = try await deals(ListFilter([.stage_id: "pipedrive:stage:8"]))
        #expect(!stage.isEmpty && stage.allSatisfy { $0.stage == Ref(id: "pipedrive:stage:8", name: "Solution design") })
        let pipeline = try await deals(ListFilter([.pipeline_id: "pipedrive:pipeline:3", .status: "open"]))
        #expect(pipeline.count == Self.live(.deal) { $0["pipeline_id"] == 3 && $0["status"] == "open" }.count)
        #expect(pipeline.allSatisfy { $0.pipeline == Ref(id: "pipedrive:pipeline:3", name: "Partner channel (APAC)") && $0.status == .open })
        let first = Self.live(.deal)[0]
        let person = first["person_id"]?.intValue ?? 0, org = first["org_id"]?.intValue ?? 0
        let byContact = try await deals(ListFilter([.contact_id: "pipedrive:person:\(person)"]))
        #expect(!byContact.isEmpty && byContact.allSatisfy { $0.contactID == "pipedrive:person:\(person)" })
        let byCompany = try await deals(ListFilter([.company_id: "pipedrive:organization:\(org)"]))
        #expect(byCompany.count == Self.live(.deal) { $0["org_id"]?.intValue == org }.count)
        let search = try await deals(ListFilter([.q: "security audit", .status: "won"]))
        #expect(!search.isEmpty && search.allSatisfy { $0.status == .won && ($0.title ?? "").lowercased().contains("security audit") })
        let stages = try await all(20, filter: ListFilter([.pipeline_id: "pipedrive:pipeline:2"])) { (flt, p) throws(GatewayError) in
            try await adapter.stages!.list(kind: "stage", filter: flt, page: p, context: ctx)
        }.items
        #expect(stages.map(\.name) == ["Discovery", "Solution design", "Proposal", "Legal review", "Closing"])
    }

    @Test("activity filters: contact, company, status done/open")
    func activityFilters() async throws {
        let a = Self.live(.activity)[0]
        let person = a["person_id"]?.intValue ?? 0
        let byContact = try await adapter.activities!.list(kind: "activity", filter: ListFilter([.contact_id: "pipedrive:person:\(person)"]),
                                                           page: PageRequest(size: 200), context: ctx)
        #expect(byContact.items.count == Self.live(.activity) { $0["person_id"]?.intValue == person }.count)
        #expect(byContact.items.allSatisfy { $0.contactID == "pipedrive:person:\(person)" })
        let done = try await all(200, filter: ListFilter([.status: "done"])) { (flt, p) throws(GatewayError) in
            try await adapter.activities!.list(kind: "activity", filter: flt, page: p, context: ctx)
        }.items
        let open = try await all(200, filter: ListFilter([.status: "open"])) { (flt, p) throws(GatewayError) in
            try await adapter.activities!.list(kind: "activity", filter: flt, page: p, context: ctx)
        }.items
        #expect(done.allSatisfy(\.done) && open.allSatisfy { !$0.done })
        #expect(done.count + open.count == Self.live(.activity).count)
    }

    @Test("person: create -> get -> update (first name only) -> get -> delete -> 404")
    func personRoundTrip() async throws {
        let persons = adapter.contacts!
        var w = ContactWrite()
        w.firstName = .set("Lan")
        w.lastName = .set("Nguyễn Thị")
        w.emails = .set([ContactPoint(value: "lan@example.vn", type: "work", primary: true)])
        w.phones = .set([ContactPoint(value: "+84 28 3123 4567", type: "mobile")])
        w.companyID = .set(UnifiedID("pipedrive:organization:49")!)
        w.ownerID = .set("pipedrive:user:21504302")
        w.tags = .set(["2"])
        w.customFields = .set(["3c8e0f6a1d92b47e5a0c6d18f2b9e4a7c1d05f36": "vi"])
        let created = try await persons.create(kind: "person", w, context: ctx)
        #expect(created.displayName == "Lan Nguyễn Thị")
        #expect(created.createdAt == "2025-01-15T09:30:00Z")
        let got = try await persons.get(created.id, context: ctx)
        #expect(got.firstName == "Lan" && got.lastName == "Nguyễn Thị")
        #expect(got.emails == [ContactPoint(value: "lan@example.vn", type: "work", primary: true)])
        #expect(got.phones == [ContactPoint(value: "+842831234567", type: "mobile", primary: true, original: "+84 28 3123 4567")])
        #expect(got.company == Ref(id: "pipedrive:organization:49", name: "Yamabuki Systems Co., Ltd."))
        #expect(got.ownerID == "pipedrive:user:21504302")
        #expect(got.tags == ["2"])
        #expect(got.customFields == ["3c8e0f6a1d92b47e5a0c6d18f2b9e4a7c1d05f36": "vi"])

        var u = ContactWrite()
        u.firstName = .set("Mai")
        u.companyID = .clear
        u.tags = .clear
        _ = try await persons.update(created.id, u, context: ctx)
        let updated = try await persons.get(created.id, context: ctx)
        #expect(updated.displayName == "Mai Nguyễn Thị")
        #expect(updated.company == nil)
        #expect(updated.tags.isEmpty)
        #expect(updated.emails.count == 1)

        try await persons.delete(created.id, context: ctx)
        let e = await error { try await persons.get(created.id, context: ctx) }
        guard case .upstream(source: "pipedrive", status: 404, _, _)? = e else { Issue.record("expected 404, got \(String(describing: e))"); return }
    }

    @Test("organization: create -> get -> update -> delete")
    func organizationRoundTrip() async throws {
        let orgs = adapter.companies!
        var w = CompanyWrite()
        w.name = .set("Sông Hồng Trading JSC")
        w.address = .set("12 Lý Thái Tổ, Hoàn Kiếm, Hà Nội")
        let created = try await orgs.create(kind: "organization", w, context: ctx)
        #expect(try await orgs.get(created.id, context: ctx).address == "12 Lý Thái Tổ, Hoàn Kiếm, Hà Nội")
        var u = CompanyWrite()
        u.name = .set("Sông Hồng Trading")
        u.address = .clear
        let updated = try await orgs.update(created.id, u, context: ctx)
        #expect(updated.name == "Sông Hồng Trading" && updated.address == nil)
        try await orgs.delete(created.id, context: ctx)
        guard case .upstream(_, 404, _, _)? = await error({ try await orgs.get(created.id, context: ctx) }) else { Issue.record("expected 404"); return }
    }

    @Test("deal: create -> get -> update to lost -> get -> delete -> listed as deleted")
    func dealRoundTrip() async throws {
        let deals = adapter.deals!
        var w = DealWrite()
        w.title = .set("Hanoi Retail – POS rollout")
        w.amount = .set(125_000.5)
        w.currency = .set("USD")
        w.stageID = .set(UnifiedID("pipedrive:stage:8")!)
        w.contactID = .set(UnifiedID("pipedrive:person:284")!)
        w.companyID = .set(UnifiedID("pipedrive:organization:49")!)
        w.expectedCloseDate = .set("2025-03-31")
        w.ownerID = .set("pipedrive:user:21504303")
        let created = try await deals.create(kind: "deal", w, context: ctx)
        let got = try await deals.get(created.id, context: ctx)
        #expect(got.title == "Hanoi Retail – POS rollout")
        #expect(got.value == Money(amount: 125_000.5, currency: "USD"))
        #expect(got.status == .open)
        #expect(got.stage == Ref(id: "pipedrive:stage:8", name: "Solution design"))
        #expect(got.pipeline == Ref(id: "pipedrive:pipeline:2", name: "Enterprise"))
        #expect(got.contactID == "pipedrive:person:284" && got.companyID == "pipedrive:organization:49")
        #expect(got.expectedCloseDate == "2025-03-31")
        #expect(got.ownerID == "pipedrive:user:21504303")

        var u = DealWrite()
        u.status = .set("lost")
        u.lostReason = .set("Budget cut")
        u.stageID = .set(UnifiedID("pipedrive:stage:13")!)
        u.expectedCloseDate = .clear
        _ = try await deals.update(created.id, u, context: ctx)
        let lost = try await deals.get(created.id, context: ctx)
        #expect(lost.status == .lost && lost.lostReason == "Budget cut")
        #expect(lost.stage == Ref(id: "pipedrive:stage:13", name: "Partner vetting"))
        #expect(lost.pipeline == Ref(id: "pipedrive:pipeline:3", name: "Partner channel (APAC)"))
        #expect(lost.expectedCloseDate == nil)

        try await deals.delete(created.id, context: ctx)
        guard case .upstream(_, 404, _, _)? = await error({ try await deals.get(created.id, context: ctx) }) else { Issue.record("expected 404"); return }
        let deleted = try await all(200, filter: ListFilter([.status: "deleted"])) { (flt, p) throws(GatewayError) in
            try await deals.list(kind: "deal", filter: flt, page: p, context: ctx)
        }.items
        #expect(deleted.first { $0.id == created.id }?.status == .deleted)
    }

    @Test("activity create -> get; notes on a person: create -> list")
    func activityAndNotes() async throws {
        var w = ActivityWrite()
        w.subject = .set("Call Lan about the POS pilot")
        w.type = .set("call")
        w.dueDate = .set("2025-02-03")
        w.dueTime = .set("09:30")
        w.duration = .set("00:45")
        w.contactID = .set(UnifiedID("pipedrive:person:284")!)
        w.dealID = .set(UnifiedID("pipedrive:deal:4")!)
        let created = try await adapter.activities!.create(kind: "activity", w, context: ctx)
        let got = try await adapter.activities!.get(created.id, context: ctx)
        #expect(got.subject == "Call Lan about the POS pilot" && got.type == "call" && !got.done)
        #expect(got.dueDate == "2025-02-03" && got.dueTime == "09:30" && got.duration == "00:45")
        #expect(got.contactID == "pipedrive:person:284" && got.dealID == "pipedrive:deal:4")
        #expect(got.ownerID == "pipedrive:user:21504301")

        let parent = UnifiedID("pipedrive:person:284")!
        let before = try await all(2) { (_, p) throws(GatewayError) in try await adapter.notes!.list(parent: parent, page: p, context: ctx) }.items
        var n = NoteWrite()
        n.content = .set("Lan asked for a pilot in two stores.")
        let note = try await adapter.notes!.create(parent: parent, n, context: ctx)
        #expect(note.contactID == "pipedrive:person:284" && note.createdAt == "2025-01-15T09:30:00Z")
        let after = try await all(2) { (_, p) throws(GatewayError) in try await adapter.notes!.list(parent: parent, page: p, context: ctx) }.items
        #expect(after.count == before.count + 1)
        #expect(Set(after.map(\.id)).count == after.count)
        #expect(after.contains { $0.id == note.id && $0.content == "Lan asked for a pilot in two stores." })

        let dealNotes = try await all(2) { (_, p) throws(GatewayError) in
            try await adapter.notes!.list(parent: UnifiedID("pipedrive:deal:117")!, page: p, context: ctx)
        }
        #expect(dealNotes.items.count == Self.live(.note) { $0["deal_id"] == 117 }.count && dealNotes.items.count >= 3)
        #expect(dealNotes.items.allSatisfy { $0.dealID == "pipedrive:deal:117" })
    }

    @Test("errors: 404, upstream validation 400, injected 503, wrong credential")
    func errors() async throws {
        let e404 = await error { try await adapter.contacts!.get(UnifiedID("pipedrive:person:999999")!, context: ctx) }
        guard case .upstream(_, 404, let body, _)? = e404 else { Issue.record("expected 404"); return }
        #expect((try? JSON.parse(body))?["error"] == "Person not found")

        var w = DealWrite()
        w.title = .set("x")
        w.stageID = .set(UnifiedID("pipedrive:stage:999")!)
        let e400 = await error { try await adapter.deals!.create(kind: "deal", w, context: ctx) }
        guard case .upstream(_, 400, let b400, _)? = e400 else { Issue.record("expected 400"); return }
        #expect((try? JSON.parse(b400))?["success"] == false)

        _ = try await f.setFault("pipedrive", ["mode": "status", "status": 503, "count": 1])
        let e503 = await error { try await adapter.pipelines!.list(kind: "pipeline", filter: ListFilter(), page: PageRequest(size: 5), context: ctx) }
        guard case .upstream(_, 503, _, _)? = e503 else { Issue.record("expected 503, got \(String(describing: e503))"); return }
        #expect(try await adapter.pipelines!.list(kind: "pipeline", filter: ListFilter(), page: PageRequest(size: 5), context: ctx).items.count == 3)

        let wrong = PipedriveAdapter(settings: UpstreamSettings(baseURL: f.host("pipedrive").baseURL, credential: "not-the-key"))
        let e401 = await error { try await wrong.pipelines!.get(UnifiedID("pipedrive:pipeline:1")!, context: ctx) }
        guard case .upstream(_, 401, _, _)? = e401 else { Issue.record("expected 401"); return }
    }

    @Test("passthrough uses the gateway's token, not the client's")
    func passthrough() async throws {
        let r = try await adapter.passthrough!.passthrough(method: "GET", path: "/api/v2/persons/1", query: "api_token=wrong",
                                                          headers: [("x-api-token", "wrong"), ("Authorization", "Bearer wrong")], body: [], context: ctx)
        #expect(r.status == 200)
        #expect((try? JSON.parse(r.body))?["data"]?["id"] == 1)
        let notes = try await adapter.passthrough!.passthrough(method: "GET", path: "api/v1/notes", query: "limit=1&deal_id=117",
                                                              headers: HTTPHeaders(), body: [], context: ctx)
        #expect((try? JSON.parse(notes.body))?["additional_data"]?["pagination"]?["more_items_in_collection"] == true)
    }
}
