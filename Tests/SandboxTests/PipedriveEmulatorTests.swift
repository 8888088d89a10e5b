import GatewayCore
@testable import Sandbox
import Testing

/// The Pipedrive emulator over real sockets: auth, v2 cursor paging and filters, CRUD,
/// validation, search, v1 notes, rate limits, webhooks, reset.
@Suite("Pipedrive emulator")
struct PipedriveEmulatorTests {
    static let token = [("x-api-token", "sandbox-key")]
    /// The seed, built the same way the emulator builds it (it is deterministic).
    static let seed = PipedriveSeed.make()

    /// A fixture whose burst limit does not get in the way unless a test wants it to.
    func fixture(burst: Int = 10_000, retryDelays: [Duration] = [.milliseconds(50)]) throws -> SandboxFixture {
        var o = SandboxOptions()
        o.pipedriveBurstLimit = burst
        o.pipedriveWebhookRetryDelays = retryDelays
        return try SandboxFixture(["pipedrive"], options: o)
    }

    func call(_ f: SandboxFixture, _ method: String, _ path: String, json: JSON? = nil, form: String? = nil,
              headers: [(String, String)] = PipedriveEmulatorTests.token) async throws -> (UpstreamResponse, JSON) {
        let r = try await f.call("pipedrive", method, path, headers: headers, json: json, form: form)
        return (r, r.body.isEmpty ? .null : try f.json(r))
    }

    /// Every record of a v2 list, following `next_cursor`.
    func all(_ f: SandboxFixture, _ path: String) async throws -> (ids: [Int], pages: Int, lastCursor: JSON?) {
        var ids: [Int] = []
        var cursor: String?
        var pages = 0
        var last: JSON?
        repeat {
            let sep = path.contains("?") ? "&" : "?"
            let (r, j) = try await call(f, "GET", path + (cursor.map { "\(sep)cursor=\($0)" } ?? ""))
            #expect(r.status == 200)
            ids += (j["data"]?.arrayValue ?? []).compactMap { $0["id"]?.intValue }
            last = j["additional_data"]?["next_cursor"]
            cursor = last?.stringValue
            pages += 1
        } while cursor != nil && pages < 50
        return (ids, pages, last)
    }

    func seeded(_ kind: PDKind, _ keep: (JSONObject) -> Bool = { _ in true }) -> Int {
        Self.seed[kind].all.filter { !PipedriveState.isDeleted(kind, $0) && keep($0) }.count
    }

    // MARK: auth

    @Test func acceptsTheTokenInTheHeaderOrTheQuery() async throws {
        let f = try fixture()
        let (byHeader, _) = try await call(f, "GET", "/api/v2/persons/1")
        #expect(byHeader.status == 200)
        let (byQuery, j) = try await call(f, "GET", "/api/v2/persons/1?api_token=sandbox-key", headers: [])
        #expect(byQuery.status == 200)
        #expect(j["data"]?["id"] == 1)
        let (v1, _) = try await call(f, "GET", "/v1/notes/1?api_token=sandbox-key", headers: [])
        #expect(v1.status == 200)
    }

    @Test func rejectsAWrongOrMissingTokenWithPipedrivesEnvelope() async throws {
        let f = try fixture()
        for headers in [[("x-api-token", "nope")], []] {
            let (r, j) = try await call(f, "GET", "/api/v2/deals", headers: headers)
            #expect(r.status == 401)
            #expect(j == ["success": false, "error": "unauthorized access", "errorCode": 401,
                          "error_info": .string(PDError.errorInfo), "data": nil, "additional_data": nil])
            #expect(r.headers["x-ratelimit-remaining"] == nil)
        }
        let (q, _) = try await call(f, "GET", "/api/v1/webhooks?api_token=wrong", headers: [])
        #expect(q.status == 401)
    }

    // MARK: paging

    @Test func cursorPagingVisitsEverySeededPersonOnce() async throws {
        let f = try fixture()
        let (ids, pages, last) = try await all(f, "/api/v2/persons?limit=100")
        #expect(ids.count == PipedriveSeed.counts.persons)
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted())
        #expect(pages == 4)
        #expect(last == .null)
        let (desc, _, _) = try await all(f, "/api/v2/persons?limit=77&sort_by=update_time&sort_direction=desc")
        #expect(Set(desc) == Set(ids))
    }

    @Test func everyListableKindHasAtLeast300Records() async throws {
        let f = try fixture()
        for kind in ["persons", "organizations", "deals", "activities"] {
            let (ids, _, _) = try await all(f, "/api/v2/\(kind)?limit=500")
            #expect(ids.count >= 300, "\(kind)")
        }
        let (_, notes) = try await call(f, "GET", "/api/v1/notes?limit=500")
        #expect((notes["data"]?.arrayValue?.count ?? 0) == PipedriveSeed.counts.notes)
    }

    @Test func aCursorPastTheEndGivesAnEmptyLastPage() async throws {
        let f = try fixture()
        let beyond = PDCursor(sortBy: "id", descending: false, key: 1_000_000, id: 1_000_000).encoded
        let (r, j) = try await call(f, "GET", "/api/v2/persons?cursor=\(beyond)")
        #expect(r.status == 200)
        #expect(j["data"] == [])
        #expect(j["additional_data"]?["next_cursor"] == .null)
    }

    @Test func invalidCursorsAndLimitsAre400() async throws {
        let f = try fixture()
        let (_, first) = try await call(f, "GET", "/api/v2/deals?limit=2")
        let next = try #require(first["additional_data"]?["next_cursor"]?.stringValue)
        for path in ["/api/v2/persons?cursor=bm9wZQ", "/api/v2/persons?cursor=\(PDCursor.base64url("id:sideways:1:1"))",
                     "/api/v2/deals?cursor=\(next)&sort_by=update_time", "/api/v2/persons?limit=0",
                     "/api/v2/persons?limit=501", "/api/v2/persons?limit=ten"] {
            let (r, j) = try await call(f, "GET", path)
            #expect(r.status == 400, "\(path)")
            #expect(j["success"] == false)
            #expect(j["data"] == .null)
        }
    }

    // MARK: filters

    @Test func dealFiltersSelectExactlyTheMatchingDeals() async throws {
        let f = try fixture()
        let won = try await all(f, "/api/v2/deals?status=won&limit=500")
        #expect(won.ids.count == seeded(.deal) { $0["status"] == "won" })
        let stage = try await all(f, "/api/v2/deals?stage_id=2&limit=500")
        #expect(stage.ids.count == seeded(.deal) { $0["stage_id"] == 2 })
        let pipeline = try await all(f, "/api/v2/deals?pipeline_id=2&status=open")
        #expect(pipeline.ids.count == seeded(.deal) { $0["pipeline_id"] == 2 && $0["status"] == "open" })
        #expect(pipeline.ids.count > 0)
        let everything = try await all(f, "/api/v2/deals?limit=500")
        #expect(everything.ids.count == seeded(.deal))
        let deleted = try await all(f, "/api/v2/deals?status=deleted&limit=500")
        #expect(deleted.ids.count == Self.seed[.deal].all.count - seeded(.deal))
        #expect(deleted.ids.count > 0)
        #expect(Set(deleted.ids).isDisjoint(with: everything.ids))
    }

    @Test func updatedSinceAndOrgFiltersNarrowPersons() async throws {
        let f = try fixture()
        let since = UTCTime(parsing: "2025-01-01T00:00:00Z")!.epochMillis
        let recent = try await all(f, "/api/v2/persons?updated_since=2025-01-01T00:00:00Z&limit=500")
        let expected = seeded(.person) { PipedriveEmulator.millis($0["update_time"]) >= since }
        #expect(recent.ids.count == expected)
        #expect(expected > 0 && expected < PipedriveSeed.counts.persons)
        let older = try await all(f, "/api/v2/persons?updated_until=2025-01-01T00:00:00Z&limit=500")
        #expect(older.ids.count + recent.ids.count == PipedriveSeed.counts.persons)
        let org = try #require(Self.seed[.person][1]?["org_id"]?.intValue)
        let members = try await all(f, "/api/v2/persons?org_id=\(org)")
        #expect(members.ids.count == seeded(.person) { $0["org_id"]?.intValue == org })
        #expect(members.ids.contains(1))
        let (bad, _) = try await call(f, "GET", "/api/v2/persons?updated_since=2025-01-01")
        #expect(bad.status == 400)
    }

    @Test func unknownRecordsAre404() async throws {
        let f = try fixture()
        let (r, j) = try await call(f, "GET", "/api/v2/persons/999999")
        #expect(r.status == 404)
        #expect(j["success"] == false)
        #expect(j["error"] == "Person not found")
        #expect(j["error_info"] == .string(PDError.errorInfo))
        let (bad, _) = try await call(f, "GET", "/api/v2/deals/abc")
        #expect(bad.status == 400)
        let (patch, _) = try await call(f, "PATCH", "/api/v2/organizations/999999", json: ["name": "x"])
        #expect(patch.status == 404)
    }

    // MARK: create, update, delete

    @Test func dealCreatePatchDeleteRoundTrip() async throws {
        let f = try fixture()
        let (c, created) = try await call(f, "POST", "/api/v2/deals", json: [
            "title": "Sakura Logistics – round trip", "value": 1_500_000, "currency": "JPY", "person_id": 2, "stage_id": 8,
            "expected_close_date": "2025-03-31",
        ])
        #expect(c.status == 200)
        #expect(c.headers["x-daily-requests-left"] == "9999")
        let deal = try #require(created["data"])
        let id = try #require(deal["id"]?.intValue)
        #expect(id == Self.seed[.deal].nextID)
        #expect(deal["pipeline_id"] == 2)
        #expect(deal["status"] == "open")
        #expect(deal["add_time"] == "2025-01-15T09:30:00Z")
        let (_, got) = try await call(f, "GET", "/api/v2/deals/\(id)")
        #expect(got["data"] == deal)

        f.clock.advance(millis: 60_000)
        let (p, patched) = try await call(f, "PATCH", "/api/v2/deals/\(id)", json: ["value": 2_000_000])
        #expect(p.status == 200)
        #expect(patched["data"]?["value"] == 2_000_000)
        #expect(patched["data"]?["title"] == deal["title"])
        #expect(patched["data"]?["update_time"] == "2025-01-15T09:31:00Z")

        let (_, won) = try await call(f, "PATCH", "/api/v2/deals/\(id)", json: ["status": "lost", "lost_reason": "Chose a competitor"])
        #expect(won["data"]?["status"] == "lost")
        #expect(won["data"]?["lost_reason"] == "Chose a competitor")
        #expect(won["data"]?["lost_time"] == "2025-01-15T09:31:00Z")
        #expect(won["data"]?["close_time"] == "2025-01-15T09:31:00Z")

        let (d, deleted) = try await call(f, "DELETE", "/api/v2/deals/\(id)")
        #expect(d.status == 200)
        #expect(deleted == ["success": true, "data": ["id": .int(id)]])
        let (gone, _) = try await call(f, "GET", "/api/v2/deals/\(id)")
        #expect(gone.status == 404)
        let open = try await all(f, "/api/v2/deals?limit=500")
        #expect(!open.ids.contains(id))
        let trash = try await all(f, "/api/v2/deals?status=deleted&limit=500")
        #expect(trash.ids.contains(id))
    }

    @Test func personCreateDerivesNamesAndPrimaryContacts() async throws {
        let f = try fixture()
        let (r, j) = try await call(f, "POST", "/api/v2/persons", json: [
            "name": "Lan Nguyễn", "org_id": 3,
            "phones": [["value": "+84 912 345 678", "label": "mobile"], ["value": "+84 24 3123 4567"]],
        ])
        #expect(r.status == 200)
        let p = try #require(j["data"])
        #expect(p["first_name"] == "Lan")
        #expect(p["last_name"] == "Nguyễn")
        #expect(p["phones"] == [["value": "+84 912 345 678", "primary": true, "label": "mobile"],
                                ["value": "+84 24 3123 4567", "primary": false, "label": "work"]])
        #expect(p["org_id"] == 3)
        let id = try #require(p["id"]?.intValue)
        let (_, patched) = try await call(f, "PATCH", "/api/v2/persons/\(id)", json: ["org_id": nil])
        #expect(patched["data"]?["org_id"] == nil)
        #expect(patched["data"]?["name"] == "Lan Nguyễn")
    }

    @Test func v2RejectsBadEnumsNumericStringsAndBadDates() async throws {
        let f = try fixture()
        let bodies: [(String, JSON, String)] = [
            ("/api/v2/deals", ["title": "x", "status": "closed"], "status"),
            ("/api/v2/deals", ["title": "x", "value": "100"], "value"),
            ("/api/v2/deals", ["title": "x", "expected_close_date": "2025/03/31"], "expected_close_date"),
            ("/api/v2/deals", ["title": "x", "stage_id": 9999], "stage_id"),
            ("/api/v2/deals", ["value": 5], "title"),
            ("/api/v2/persons", ["name": "x", "owner_id": "21504301"], "owner_id"),
            ("/api/v2/organizations", ["address": ["value": "x"]], "name"),
            ("/api/v2/activities", ["due_date": "tomorrow"], "due_date"),
            ("/api/v2/stages", ["name": "x"], "pipeline_id"),
        ]
        for (path, body, field) in bodies {
            let (r, j) = try await call(f, "POST", path, json: body)
            #expect(r.status == 400, "\(path) \(field)")
            #expect(j["error"]?.stringValue?.hasPrefix("Validation failed: \(field)") == true, "\(j)")
        }
        let (text, _) = try await call(f, "POST", "/api/v2/persons", form: "name=x")
        #expect(text.status == 415)
        let (_, seedCount) = try await call(f, "GET", "/api/v2/deals?limit=500")
        #expect(seedCount["data"]?.arrayValue?.count == seeded(.deal))
    }

    // MARK: search

    @Test func searchFindsByNameEmailAndTitle() async throws {
        let f = try fixture()
        let person = try #require(Self.seed[.person][5])
        let email = try #require(person["emails"]?[0]?["value"]?.stringValue)
        let (r, j) = try await call(f, "GET", "/api/v2/persons/search?term=\(FormEncoding.encode(email))&fields=email&exact_match=true")
        #expect(r.status == 200)
        let items = try #require(j["data"]?["items"]?.arrayValue)
        #expect(items.count == 1)
        #expect(items.first?["result_score"] == 0.8)
        #expect(items.first?["item"]?["id"] == 5)
        #expect(items.first?["item"]?["type"] == "person")

        _ = try await call(f, "POST", "/api/v2/deals", json: ["title": "Zebra Unique Pilot", "org_id": 4])
        let (_, deals) = try await call(f, "GET", "/api/v2/deals/search?term=zebra%20unique")
        #expect(deals["data"]?["items"]?[0]?["item"]?["title"] == "Zebra Unique Pilot")
        #expect(deals["data"]?["items"]?[0]?["result_score"] == 0.75)
        #expect(deals["additional_data"]?["next_cursor"] == .null)

        let (short, _) = try await call(f, "GET", "/api/v2/organizations/search?term=a")
        #expect(short.status == 400)
        let (one, _) = try await call(f, "GET", "/api/v2/organizations/search?term=a&exact_match=true")
        #expect(one.status == 200)
    }

    @Test func searchPagesWithItsCursor() async throws {
        let f = try fixture()
        var seen: [Int] = []
        var cursor: String?
        repeat {
            let (_, j) = try await call(f, "GET", "/api/v2/persons/search?term=co&fields=email&limit=40" + (cursor.map { "&cursor=\($0)" } ?? ""))
            seen += (j["data"]?["items"]?.arrayValue ?? []).compactMap { $0["item"]?["id"]?.intValue }
            cursor = j["additional_data"]?["next_cursor"]?.stringValue
            f.clock.advance(millis: 2000)
        } while cursor != nil
        let expected = seeded(.person) { row in (row["emails"]?.arrayValue ?? []).contains { $0["value"]?.stringValue?.contains("co") == true } }
        #expect(seen.count == expected)
        #expect(Set(seen).count == seen.count)
        #expect(expected > 40)
    }

    // MARK: v1 notes

    @Test func notesPageByOffset() async throws {
        let f = try fixture()
        var start = 0
        var ids: [Int] = []
        var pages = 0
        while true {
            let (r, j) = try await call(f, "GET", "/api/v1/notes?start=\(start)&limit=100")
            #expect(r.status == 200)
            ids += (j["data"]?.arrayValue ?? []).compactMap { $0["id"]?.intValue }
            let p = try #require(j["additional_data"]?["pagination"])
            #expect(p["start"] == .int(start))
            #expect(p["limit"] == 100)
            pages += 1
            guard p["more_items_in_collection"] == true else {
                #expect(p["next_start"] == nil)
                break
            }
            start = try #require(p["next_start"]?.intValue)
        }
        #expect(ids.count == PipedriveSeed.counts.notes)
        #expect(Set(ids).count == ids.count)
        #expect(pages == 4)
        let deal = try #require(Self.seed[.note][1]?["deal_id"]?.intValue ?? Self.seed[.note][2]?["deal_id"]?.intValue)
        let (_, byDeal) = try await call(f, "GET", "/api/v1/notes?deal_id=\(deal)&limit=500")
        #expect(byDeal["data"]?.arrayValue?.count == seeded(.note) { $0["deal_id"]?.intValue == deal })
    }

    @Test func notesCreateFromJSONAndFormThenUpdateAndDelete() async throws {
        let f = try fixture()
        let (r, j) = try await call(f, "POST", "/api/v1/notes", json: ["content": "<p>Kick-off</p>", "deal_id": 1, "pinned_to_deal_flag": 1])
        #expect(r.status == 200)
        #expect(j["data"]?["content"] == "<p>Kick-off</p>")
        #expect(j["data"]?["pinned_to_deal_flag"] == true)
        #expect(j["data"]?["add_time"] == "2025-01-15 09:30:00")
        #expect(j["data"]?["deal"]?["title"] == Self.seed[.deal][1]?["title"])
        let id = try #require(j["data"]?["id"]?.intValue)
        let (form, fj) = try await call(f, "POST", "/v1/notes", form: "content=Ghi+ch%C3%BA&person_id=2")
        #expect(form.status == 200)
        #expect(fj["data"]?["content"] == "Ghi chú")
        #expect(fj["data"]?["person_id"] == 2)
        let (missing, mj) = try await call(f, "POST", "/api/v1/notes", json: ["deal_id": 1])
        #expect(missing.status == 400)
        #expect(mj["success"] == false)
        let (orphan, _) = try await call(f, "POST", "/api/v1/notes", json: ["content": "x"])
        #expect(orphan.status == 400)
        let (_, upd) = try await call(f, "PUT", "/api/v1/notes/\(id)", form: "content=Moved")
        #expect(upd["data"]?["content"] == "Moved")
        let (_, del) = try await call(f, "DELETE", "/api/v1/notes/\(id)")
        #expect(del == ["success": true, "data": true])
        let (gone, _) = try await call(f, "GET", "/api/v1/notes/\(id)")
        #expect(gone.status == 404)
    }
}

// MARK: - rate limits, webhooks, reset

extension PipedriveEmulatorTests {
    @Test func burstHeadersCountDownThen429UntilTheWindowPasses() async throws {
        let f = try fixture(burst: 5)
        for expected in (0..<5).reversed() {
            let (r, _) = try await call(f, "GET", "/api/v2/pipelines")
            #expect(r.status == 200)
            #expect(r.headers["x-ratelimit-limit"] == "5")
            #expect(r.headers["x-ratelimit-remaining"] == String(expected))
            #expect(r.headers["x-ratelimit-reset"] == "2")
        }
        let (over, j) = try await call(f, "GET", "/api/v2/pipelines")
        #expect(over.status == 429)
        #expect(over.headers["x-ratelimit-remaining"] == "0")
        #expect(j["success"] == false)
        #expect(j["error"] == "Request over limit")
        f.clock.advance(millis: 1500)
        let (still, _) = try await call(f, "GET", "/api/v1/notes/1")
        #expect(still.status == 429)
        #expect(still.headers["x-ratelimit-reset"] == "1")
        f.clock.advance(millis: 500)
        let (back, _) = try await call(f, "GET", "/api/v2/pipelines")
        #expect(back.status == 200)
        #expect(back.headers["x-ratelimit-remaining"] == "4")
    }

    @Test func searchHasItsOwnWindowOfTen() async throws {
        let f = try fixture()
        for _ in 0..<10 {
            let (r, _) = try await call(f, "GET", "/api/v2/persons/search?term=sato")
            #expect(r.status == 200)
        }
        let (over, _) = try await call(f, "GET", "/api/v2/deals/search?term=crm")
        #expect(over.status == 429)
        #expect(over.headers["x-ratelimit-limit"] == "10")
        let (other, _) = try await call(f, "GET", "/api/v2/persons?limit=1")
        #expect(other.status == 200)
    }

    @Test func dailyWriteCounterAndInjectedFaultsUseTheVendorsShapes() async throws {
        let f = try fixture()
        let (a, _) = try await call(f, "POST", "/api/v2/pipelines", json: ["name": "A"])
        let (b, _) = try await call(f, "PATCH", "/api/v2/pipelines/1", json: ["name": "Sales"])
        let (g, _) = try await call(f, "GET", "/api/v2/pipelines/1")
        #expect(a.headers["x-daily-requests-left"] == "9999")
        #expect(b.headers["x-daily-requests-left"] == "9998")
        #expect(g.headers["x-daily-requests-left"] == nil)
        _ = try await f.setFault("pipedrive", ["mode": "rate_limit", "count": 1])
        let (limited, lj) = try await call(f, "GET", "/api/v2/persons")
        #expect(limited.status == 429)
        #expect(limited.headers["x-ratelimit-remaining"] == "0")
        #expect(lj["error"] == "Request over limit")
        _ = try await f.setFault("pipedrive", ["mode": "status", "status": 503, "count": 1])
        let (down, dj) = try await call(f, "GET", "/api/v2/persons")
        #expect(down.status == 503)
        #expect(dj["success"] == false)
        #expect(dj["error_info"] == .string(PDError.errorInfo))
    }

    func register(_ f: SandboxFixture, _ body: JSON) async throws -> Int {
        let (r, j) = try await call(f, "POST", "/api/v1/webhooks", json: body)
        #expect(r.status == 201)
        #expect(j["status"] == "ok")
        return try #require(j["data"]?["id"]?.intValue)
    }

    @Test func personCreateIsDeliveredAsV2PayloadWithBasicAuth() async throws {
        let f = try fixture()
        let receiver = try RecordingReceiver()
        let hook = try await register(f, ["subscription_url": .string(receiver.url("/hooks/pd")), "event_action": "create",
                                          "event_object": "person", "name": "gateway", "http_auth_user": "pd",
                                          "http_auth_password": "s3cret"])
        _ = try await call(f, "PATCH", "/api/v2/persons/1", json: ["name": "Not Delivered"])  // a change: no match
        let (_, created) = try await call(f, "POST", "/api/v2/persons", json: ["name": "Yui Mori", "org_id": 2])
        let id = try #require(created["data"]?["id"]?.intValue)
        let got = await receiver.waitFor(count: 1)
        try #require(got.count == 1)
        let req = got[0]
        #expect(req.method == .POST)
        #expect(req.path == "/hooks/pd")
        #expect(req.headers["Authorization"] == "Basic " + Base64.encode(Array("pd:s3cret".utf8)))
        let body = try JSON.parse(req.body)
        let meta = try #require(body["meta"])
        #expect(meta["action"] == "create")
        #expect(meta["entity"] == "person")
        #expect(meta["entity_id"] == .string(String(id)))
        #expect(meta["attempt"] == 1)
        #expect(meta["version"] == "2.0")
        #expect(meta["change_source"] == "api")
        #expect(meta["webhook_id"] == .int(hook))
        #expect(meta["timestamp"] == "2025-01-15T09:30:00.000Z")
        #expect(meta["id"]?.stringValue?.count == 36)
        #expect(body["data"] == created["data"])
        #expect(body["previous"] == .null)
        #expect(body.objectValue?.keys == ["meta", "data", "previous"])
    }

    @Test func changesCarryOnlyTheChangedFieldsAndV1HooksGetV1Payloads() async throws {
        let f = try fixture()
        let receiver = try RecordingReceiver()
        _ = try await register(f, ["subscription_url": .string(receiver.url("/v2")), "event_action": "change",
                                   "event_object": "*", "name": "v2"])
        _ = try await register(f, ["subscription_url": .string(receiver.url("/v1")), "event_action": "updated",
                                   "event_object": "deal", "name": "v1", "version": "1.0"])
        let before = try #require(Self.seed[.deal][1])
        _ = try await call(f, "PATCH", "/api/v2/deals/1", json: ["title": "Renamed deal"])
        let got = await receiver.waitFor(count: 2)
        try #require(got.count == 2)
        let v2 = try JSON.parse(try #require(got.first { $0.path == "/v2" }).body)
        #expect(v2["meta"]?["action"] == "change")
        #expect(v2["data"]?["title"] == "Renamed deal")
        #expect(v2["previous"]?["title"] == before["title"])
        #expect(v2["previous"]?["value"] == nil)
        let v1 = try JSON.parse(try #require(got.first { $0.path == "/v1" }).body)
        #expect(v1["event"] == "updated.deal")
        #expect(v1["meta"]?["action"] == "updated")
        #expect(v1["current"]?["title"] == "Renamed deal")
        #expect(v1["previous"]?["title"] == before["title"])
        #expect(v1["current"]?["user_id"] == before["owner_id"])
        #expect(v1["retry"] == 0)
    }

    @Test func aFailingReceiverIsRetriedWithTheAttemptNumber() async throws {
        let f = try fixture(retryDelays: [.milliseconds(50), .milliseconds(50), .milliseconds(50)])
        let receiver = try RecordingReceiver()
        receiver.respond(with: 500)
        _ = try await register(f, ["subscription_url": .string(receiver.url("/fail")), "event_action": "*",
                                   "event_object": "organization", "name": "flaky"])
        _ = try await call(f, "DELETE", "/api/v2/organizations/7")
        let got = await receiver.waitFor(count: 4)
        #expect(got.count == 4)
        let attempts = try got.map { try JSON.parse($0.body)["meta"]?["attempt"]?.intValue }
        #expect(attempts == [1, 2, 3, 4])
        let last = try JSON.parse(got[3].body)
        #expect(last["meta"]?["action"] == "delete")
        #expect(last["data"] == .null)
        #expect(last["previous"]?["id"] == 7)
        try await Task.sleep(for: .milliseconds(200))
        #expect(receiver.requests.count == 4)
    }

    @Test func webhookRegistrationIsValidated() async throws {
        let f = try fixture()
        let bad: [(JSON, String)] = [
            (["event_action": "*", "event_object": "*", "name": "n"], "subscription_url"),
            (["subscription_url": "ftp://x.example", "event_action": "*", "event_object": "*", "name": "n"], "subscription_url"),
            (["subscription_url": "https://x.example", "event_action": "merge", "event_object": "*", "name": "n"], "event_action"),
            (["subscription_url": "https://x.example", "event_action": "*", "event_object": "invoice", "name": "n"], "event_object"),
            (["subscription_url": "https://x.example", "event_action": "*", "event_object": "*"], "name"),
        ]
        for (body, field) in bad {
            let (r, j) = try await call(f, "POST", "/api/v1/webhooks", json: body)
            #expect(r.status == 400, "\(field)")
            #expect(j["status"] == "error")
            #expect(j["errors"]?[field] != nil, "\(j)")
        }
        for i in 0..<40 {
            _ = try await register(f, ["subscription_url": .string("http://127.0.0.1:9/\(i)"), "event_action": "*",
                                       "event_object": "*", "name": .string("h\(i)")])
        }
        let (full, fj) = try await call(f, "POST", "/api/v1/webhooks", form: "subscription_url=https%3A%2F%2Fx.example&event_action=*&event_object=*&name=x")
        #expect(full.status == 422)
        #expect(fj["error"] == "Webhooks limit reached")
        let (_, list) = try await call(f, "GET", "/api/v1/webhooks")
        #expect(list["data"]?.arrayValue?.count == 40)
        #expect(list["data"]?[0]?["version"] == "2.0")
        let (del, dj) = try await call(f, "DELETE", "/api/v1/webhooks/1")
        #expect(del.status == 200)
        #expect(dj == ["status": "ok", "success": true])
        let (again, aj) = try await call(f, "DELETE", "/api/v1/webhooks/1")
        #expect(again.status == 404)
        #expect(aj == ["status": "error", "success": false, "errors": ["id": ["not found"]]])
    }

    @Test func adminDeliverResendsAnEventForAStoredRecord() async throws {
        let f = try fixture()
        let receiver = try RecordingReceiver()
        _ = try await register(f, ["subscription_url": .string(receiver.url("/admin")), "event_action": "*",
                                   "event_object": "person", "name": "admin"])
        let r = try await f.call("pipedrive", "POST", "/_sandbox/pipedrive/deliver", json: ["entity": "person", "action": "change", "id": 5])
        #expect(r.status == 202)
        #expect(try f.json(r) == ["queued": 1, "event": "change.person"])
        let got = await receiver.waitFor(count: 1)
        try #require(got.count == 1)
        let body = try JSON.parse(got[0].body)
        #expect(body["meta"]?["action"] == "change")
        #expect(body["data"]?["id"] == 5)
        #expect(body["data"]?["name"] == Self.seed[.person][5]?["name"])
        let missing = try await f.call("pipedrive", "POST", "/_sandbox/pipedrive/deliver", json: ["entity": "person", "id": 99999])
        #expect(missing.status == 404)
        let bad = try await f.call("pipedrive", "POST", "/_sandbox/pipedrive/deliver", json: ["entity": "lead", "id": 1])
        #expect(bad.status == 400)
    }

    @Test func resetRestoresTheSeed() async throws {
        let f = try fixture()
        let (_, created) = try await call(f, "POST", "/api/v2/persons", json: ["name": "Temp Person"])
        let id = try #require(created["data"]?["id"]?.intValue)
        _ = try await call(f, "DELETE", "/api/v2/deals/1")
        _ = try await call(f, "PATCH", "/api/v2/organizations/1", json: ["name": "Changed"])
        _ = try await register(f, ["subscription_url": "https://x.example", "event_action": "*", "event_object": "*", "name": "x"])
        let r = try await f.call("pipedrive", "POST", "/_sandbox/pipedrive/reset")
        #expect(r.status == 200)
        let persons = try await all(f, "/api/v2/persons?limit=500")
        #expect(persons.ids.count == PipedriveSeed.counts.persons)
        let (gone, _) = try await call(f, "GET", "/api/v2/persons/\(id)")
        #expect(gone.status == 404)
        let (deal, _) = try await call(f, "GET", "/api/v2/deals/1")
        #expect(deal.status == (Self.seed.live(.deal, 1) == nil ? 404 : 200))
        let (_, org) = try await call(f, "GET", "/api/v2/organizations/1")
        #expect(org["data"] == PDKind.organization.render(try #require(Self.seed[.organization][1])))
        let (_, hooks) = try await call(f, "GET", "/api/v1/webhooks")
        #expect(hooks["data"] == [])
        let (_, again) = try await call(f, "POST", "/api/v2/persons", json: ["name": "Temp Person"])
        #expect(again["data"]?["id"] == .int(id))
    }

    @Test func seedIsDeterministicAndUsesFortyHexCustomFieldKeys() {
        let other = PipedriveSeed.make()
        for kind in PDKind.allCases {
            #expect(other[kind].all == Self.seed[kind].all, "\(kind)")
        }
        for key in [PDCustomFields.personLanguage, PDCustomFields.personChatHandle, PDCustomFields.orgIndustry,
                    PDCustomFields.orgEmployees, PDCustomFields.dealRegion, PDCustomFields.dealBudget] {
            #expect(key.utf8.count == 40 && key.allSatisfy { $0.isHexDigit })
        }
        let currencies = Set(Self.seed[.deal].all.compactMap { $0["currency"]?.stringValue })
        #expect(currencies == ["USD", "JPY", "VND", "EUR"])
        let statuses = Set(Self.seed[.deal].all.compactMap { $0["status"]?.stringValue })
        #expect(statuses == ["open", "won", "lost", "deleted"])
        #expect(Self.seed[.pipeline].all.count == 3)
        #expect(Self.seed[.stage].all.count == 16)
        let fixtureNow = UTCTime(parsing: "2025-01-15T09:30:00Z")!.epochMillis
        for kind in PDKind.allCases {
            #expect(Self.seed[kind].all.allSatisfy { PipedriveEmulator.millis($0["update_time"]) < fixtureNow }, "\(kind)")
        }
    }
}
