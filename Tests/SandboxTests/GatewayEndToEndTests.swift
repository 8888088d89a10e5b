import Testing
import Gateway
import GatewayCore
@testable import Sandbox

/// The gateway against the emulators over real sockets, route by route (§3-§5).
@Suite("Gateway end to end in the sandbox")
struct GatewayEndToEndTests {
    /// Follows `next_cursor` to the end; fails on a page over the limit or a repeated id.
    func pageThrough(_ fx: GatewayFixture, _ path: String, limit: Int = 200) async throws -> (ids: [String], pages: Int) {
        var ids: [String] = []
        var cursor: String?
        var pages = 0
        let sep = path.contains("?") ? "&" : "?"
        repeat {
            let r = try await fx.call("GET", path + sep + "limit=\(limit)" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(r.status == 200, "\(path): \(r.text)")
            let page = r.json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(page.count <= limit)
            ids += page
            cursor = r.json?["next_cursor"]?.stringValue
            #expect(r.json?["next_cursor"] != nil, "next_cursor must always be present")
            pages += 1
        } while cursor != nil && pages < 50
        #expect(cursor == nil, "\(path) did not end")
        return (ids, pages)
    }

    @Test(arguments: [
        ("/contacts?source=pipedrive", "pipedrive:person:"),
        ("/contacts?source=hotprofile", "hotprofile:"),
        ("/contacts?source=textrequest", "textrequest:contact:1:"),
        ("/companies?source=pipedrive", "pipedrive:organization:"),
        ("/companies?source=hotprofile", "hotprofile:client:"),
        ("/deals?source=pipedrive", "pipedrive:deal:"),
    ])
    func pagingThroughEachSourceReturnsEveryRecordOnce(_ path: String, _ prefix: String) async throws {
        let fx = try GatewayFixture()
        let (ids, pages) = try await pageThrough(fx, path)
        #expect(ids.count >= 250, "\(path): \(ids.count)")
        #expect(Set(ids).count == ids.count, "\(path): duplicates")
        #expect(ids.allSatisfy { $0.hasPrefix(prefix) })
        #expect(pages >= 2)
    }

    @Test func theMergedContactListCoversEverySourceAndEnds() async throws {
        let fx = try GatewayFixture()
        let (ids, _) = try await pageThrough(fx, "/contacts")
        let bySource = Dictionary(grouping: ids) { String($0.split(separator: ":")[0]) }
        #expect(Set(bySource.keys) == ["pipedrive", "hotprofile", "textrequest"])
        #expect(Set(ids).count == ids.count)
        // Pipedrive 360 persons, HotProfile 330 cards + 345 leads, Text Request 420 contacts.
        let seeded = 360 + 330 + 345 + 420
        #expect(ids.count == seeded)
    }

    @Test func aFailingUpstreamIsReportedWithoutFailingTheList() async throws {
        let fx = try GatewayFixture()
        _ = try await fx.sandboxFixture.setFault("hotprofile", ["mode": "status", "status": 503, "count": -1])
        let r = try await fx.call("GET", "/contacts?limit=30")
        #expect(r.status == 200)
        #expect(r.json?["sources"]?["hotprofile"]?["status"] == "error")
        #expect(r.json?["sources"]?["pipedrive"]?["status"] == "ok")
        #expect(r.json?["sources"]?["textrequest"]?["status"] == "ok")
        let ids = r.json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(!ids.isEmpty)
        #expect(!ids.contains { $0.hasPrefix("hotprofile:") })
        let only = try await fx.call("GET", "/contacts?source=hotprofile")
        #expect(only.status == 502)
        #expect(only.json?["upstream"]?["source"] == "hotprofile")
        #expect(only.json?["upstream"]?["status"] == 503)
    }

    @Test func aRetriedPostWithTheSameKeyReachesTheUpstreamOnce() async throws {
        let fx = try GatewayFixture()
        let body: JSON = ["source": "pipedrive", "display_name": "Nguyễn Văn An", "emails": [["value": "an@example.com", "type": "work", "primary": true]]]
        let first = try await fx.call("POST", "/contacts", json: body, headers: [("Idempotency-Key", "journey-1")])
        #expect(first.status == 201, "\(first.text)")
        let second = try await fx.call("POST", "/contacts", json: body, headers: [("Idempotency-Key", "journey-1")])
        #expect(second.status == 201)
        #expect(second.headers["Idempotent-Replayed"] == "true")
        #expect(second.json?["id"] == first.json?["id"])
        #expect(try await fx.upstreamCalls("pipedrive", "persons.create") == 1)
        let other = try await fx.call("POST", "/contacts", json: ["source": "pipedrive", "display_name": "Other"], headers: [("Idempotency-Key", "journey-1")])
        #expect(other.status == 422)
        #expect(try await fx.upstreamCalls("pipedrive", "persons.create") == 1)
    }

    @Test func pipedriveContactRoundTrip() async throws {
        let fx = try GatewayFixture()
        let created = try await fx.call("POST", "/contacts", json: ["source": "pipedrive", "display_name": "Ann Lee", "phones": [["value": "+14235550123", "type": "mobile"]]])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(created.headers["Location"] == "/contacts/\(id)")
        let read = try await fx.call("GET", "/contacts/\(id)")
        #expect(read.json?["display_name"] == "Ann Lee")
        #expect(read.json?["phones"]?[0]?["value"] == "+14235550123")
        let patched = try await fx.call("PATCH", "/contacts/\(id)", json: ["display_name": "Ann Lee-Smith"])
        #expect(patched.status == 200, "\(patched.text)")
        #expect(try await fx.call("GET", "/contacts/\(id)").json?["display_name"] == "Ann Lee-Smith")
        #expect(try await fx.call("DELETE", "/contacts/\(id)").status == 204)
        #expect(try await fx.call("GET", "/contacts/\(id)").status == 404)
    }

    @Test func hotprofileLeadRoundTripAndNoDelete() async throws {
        let fx = try GatewayFixture()
        let created = try await fx.call("POST", "/contacts", json: ["source": "hotprofile", "kind": "lead", "last_name": "山田", "first_name": "太郎",
                                                                     "company_id": "hotprofile:client:1001"])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(id.hasPrefix("hotprofile:lead:"))
        let patched = try await fx.call("PATCH", "/contacts/\(id)", json: ["title": "部長", "company_id": "hotprofile:client:1001"])
        #expect(patched.status == 200, "\(patched.text)")
        #expect(try await fx.call("GET", "/contacts/\(id)").json?["title"] == "部長")
        #expect(try await fx.call("DELETE", "/contacts/\(id)").status == 405)
        let tooLong = try await fx.call("POST", "/contacts", json: ["source": "hotprofile", "kind": "lead", "last_name": .string(String(repeating: "長", count: 101))])
        #expect(tooLong.status == 422)
        #expect(tooLong.json?["errors"]?.arrayValue?.contains { $0["field"] == "last_name" } == true)
        #expect(try await fx.upstreamCalls("hotprofile", "leads.create") == 1)
    }

    @Test func textRequestContactAndMessages() async throws {
        let fx = try GatewayFixture()
        let created = try await fx.call("POST", "/contacts", json: ["source": "textrequest", "first_name": "Jo", "last_name": "Doe", "phones": ["(423) 555-0199"]])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(id == "textrequest:contact:1:14235550199")
        let sent = try await fx.call("POST", "/messages", json: ["to": "423-555-0199", "body": "Hello from the gateway"])
        #expect(sent.status == 201, "\(sent.text)")
        #expect(sent.json?["direction"] == "outbound")
        let history = try await fx.call("GET", "/messages?contact_id=\(id)")
        #expect(history.status == 200, "\(history.text)")
        let bodies = history.json?["data"]?.arrayValue?.compactMap { $0["body"]?.stringValue } ?? []
        #expect(bodies.last == "Hello from the gateway")
        let byPhone = try await fx.call("GET", "/messages?phone=4235550199")
        #expect(byPhone.json?["data"]?.arrayValue?.count == bodies.count)
        let conversation = try #require(sent.json?["conversation_id"]?.stringValue)
        let archived = try await fx.call("POST", "/conversations/\(conversation)/archive")
        #expect(archived.status == 200, "\(archived.text)")
        #expect(archived.json?["archived"] == true)
        let unarchived = try await fx.call("POST", "/conversations/\(conversation)/unarchive")
        #expect(unarchived.json?["archived"] == false)
        let long = try await fx.call("POST", "/messages", json: ["to": "4235550199", "body": .string(String(repeating: "x", count: 1601))])
        #expect(long.status == 422)
        let foreign = try await fx.call("POST", "/messages", json: ["to": "+81 3 1234 5678", "body": "hi"])
        #expect(foreign.status == 422)
        #expect(try await fx.upstreamCalls("textrequest", "conversation_messages.send") == 1)
        // Text Request keeps a contact with message history: the upstream's refusal is a 409.
        #expect(try await fx.call("DELETE", "/contacts/\(id)").status == 409)
        let quiet = try await fx.call("POST", "/contacts", json: ["source": "textrequest", "first_name": "No", "last_name": "Messages", "phones": ["4235550188"]])
        let quietID = try #require(quiet.json?["id"]?.stringValue)
        #expect(try await fx.call("DELETE", "/contacts/\(quietID)").status == 204)
        #expect(try await fx.call("GET", "/contacts/\(quietID)").status == 404)
    }

    @Test func aDealMovesThroughItsStagesToWon() async throws {
        let fx = try GatewayFixture()
        let stages = try await fx.call("GET", "/stages?limit=200")
        #expect(stages.status == 200)
        let all = stages.json?["data"]?.arrayValue ?? []
        let pipelineID = try #require(all.first?["pipeline"]?["id"]?.stringValue)
        let inPipeline = all.filter { $0["pipeline"]?["id"]?.stringValue == pipelineID }
        #expect(inPipeline.count >= 3)
        let filtered = try await fx.call("GET", "/stages?pipeline_id=\(pipelineID)")
        #expect(filtered.json?["data"]?.arrayValue?.count == inPipeline.count)
        let pipelines = try await fx.call("GET", "/pipelines")
        #expect(pipelines.json?["data"]?.arrayValue?.count == 3)
        let created = try await fx.call("POST", "/deals", json: ["source": "pipedrive", "title": "Gateway pilot", "value": ["amount": 12000, "currency": "USD"],
                                                                  "stage_id": inPipeline[0]["id"]!, "expected_close_date": "2025-03-31"])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(created.json?["stage"]?["name"] == inPipeline[0]["name"])
        for stage in inPipeline.dropFirst() {
            let moved = try await fx.call("PATCH", "/deals/\(id)", json: ["stage_id": stage["id"]!])
            #expect(moved.status == 200, "\(moved.text)")
            #expect(moved.json?["stage"]?["id"] == stage["id"])
        }
        let won = try await fx.call("PATCH", "/deals/\(id)", json: ["status": "won"])
        #expect(won.json?["status"] == "won")
        let stage = try await fx.call("GET", "/stages/\(inPipeline[0]["id"]!.stringValue!)")
        #expect(stage.json?["name"] == inPipeline[0]["name"])
        let badStatus = try await fx.call("PATCH", "/deals/\(id)", json: ["status": "maybe", "expected_close_date": "31/03/2025"])
        #expect(Set(badStatus.json?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []) == ["status", "expected_close_date"])
        let note = try await fx.call("POST", "/deals/\(id)/notes", json: ["content": "Signed"])
        #expect(note.status == 201, "\(note.text)")
        let notes = try await fx.call("GET", "/deals/\(id)/notes")
        #expect(notes.json?["data"]?.arrayValue?.compactMap { $0["content"]?.stringValue } == ["Signed"])
        let deals = try await fx.call("GET", "/deals?source=pipedrive&status=won&limit=200")
        #expect(deals.json?["data"]?.arrayValue?.allSatisfy { $0["status"] == "won" } == true)
    }

    @Test func activitiesListAndCreate() async throws {
        let fx = try GatewayFixture()
        let list = try await fx.call("GET", "/activities?limit=5")
        #expect(list.status == 200)
        #expect(list.json?["data"]?.arrayValue?.count == 5)
        let created = try await fx.call("POST", "/activities", json: ["subject": "Call back", "type": "call", "due_date": "2025-02-01"])
        #expect(created.status == 201, "\(created.text)")
        #expect(created.json?["subject"] == "Call back")
    }

    @Test func companiesReadAndWrite() async throws {
        let fx = try GatewayFixture()
        let created = try await fx.call("POST", "/companies", json: ["source": "hotprofile", "name": "株式会社テスト"])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json?["id"]?.stringValue)
        #expect(try await fx.call("GET", "/companies/\(id)").json?["name"] == "株式会社テスト")
        let pd = try await fx.call("POST", "/companies", json: ["source": "pipedrive", "name": "Acme"])
        #expect(pd.status == 201, "\(pd.text)")
    }

    @Test func passthroughStaysOnItsUpstream() async throws {
        let fx = try GatewayFixture()
        let ok = try await fx.call("GET", "/passthrough/pipedrive/api/v2/persons?limit=1")
        #expect(ok.status == 200)
        #expect(ok.headers["Upstream-Status"] == "200")
        #expect(ok.json?["success"] == true)
        let escape = try await fx.call("GET", "/passthrough/pipedrive/api/v2/%2e%2e/%2e%2e/_sandbox/pipedrive/stats")
        #expect(escape.status == 400)
        let unknown = try await fx.call("GET", "/passthrough/nowhere/x")
        #expect(unknown.status == 404)
        let withKey = try await fx.call("GET", "/passthrough/textrequest/api/v3/dashboards", headers: [("x-api-key", "stolen")])
        #expect(withKey.status == 200)
    }

    @Test func upstreamsShowsWhatIsConfiguredAndReachable() async throws {
        let fx = try GatewayFixture()
        _ = try await fx.call("GET", "/contacts?limit=3")
        let r = try await fx.call("GET", "/upstreams")
        let data = r.json?["data"]?.arrayValue ?? []
        let pd = try #require(data.first { $0["source"] == "pipedrive" })
        #expect(pd["configured"] == true)
        #expect(pd["reachable"] == true)
        #expect(data.first { $0["source"] == "aranda" }?["configured"] == false)
        #expect(!r.text.contains("sandbox-key"))
        let metrics = try await fx.call("GET", "/metrics")
        #expect(metrics.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(metrics.text.contains("crmgw_requests_total{route=\"GET /contacts\",code=\"200\"} 1\n"))
        #expect(metrics.text.contains("crmgw_upstream_requests_total{upstream=\"pipedrive\",code=\"200\"}"))
        #expect(!metrics.text.contains("sandbox-key"))
    }

    @Test func upstreamErrorsKeepTheirMeaningOverTheWire() async throws {
        let fx = try GatewayFixture()
        let missing = try await fx.call("GET", "/contacts/pipedrive:person:999999")
        #expect(missing.status == 404)
        #expect(missing.headers["Content-Type"] == "application/problem+json")
        #expect(missing.json?["request_id"]?.stringValue == missing.headers["X-Request-Id"])
        _ = try await fx.sandboxFixture.setFault("pipedrive", ["mode": "status", "status": 500, "count": 1])
        let failed = try await fx.call("GET", "/contacts/pipedrive:person:1")
        #expect(failed.status == 502)
        // Every attempt reset (curl itself retries a GET once on a reused connection).
        _ = try await fx.sandboxFixture.setFault("pipedrive", ["mode": "reset", "count": -1])
        let reset = try await fx.call("GET", "/deals/pipedrive:deal:1")
        #expect(reset.status == 502)
        #expect(reset.json?["upstream"]?["status"] == .null)
        #expect(!failed.text.contains("sandbox-key") && !missing.text.contains("sandbox-key"))
    }
}

@Suite("Gateway end to end: the remaining routes")
struct GatewayRemainingRoutesTests {
    @Test func everyOtherRouteAnswersOverTheWire() async throws {
        let fx = try GatewayFixture()
        let conversations = try await fx.call("GET", "/conversations?limit=5")
        #expect(conversations.status == 200, "\(conversations.text)")
        #expect(conversations.json?["data"]?.arrayValue?.count == 5)
        #expect(conversations.json?["data"]?[0]?["id"]?.stringValue?.hasPrefix("textrequest:conversation:1:") == true)

        let pipelines = try await fx.call("GET", "/pipelines")
        let pipelineID = try #require(pipelines.json?["data"]?[0]?["id"]?.stringValue)
        let pipeline = try await fx.call("GET", "/pipelines/\(pipelineID)")
        #expect(pipeline.json?["id"]?.stringValue == pipelineID)

        let company = try await fx.call("GET", "/companies/pipedrive:organization:1")
        #expect(company.status == 200)
        let renamed = try await fx.call("PATCH", "/companies/pipedrive:organization:1", json: ["name": "Renamed KK"])
        #expect(renamed.json?["name"] == "Renamed KK")
        #expect(try await fx.call("DELETE", "/companies/pipedrive:organization:2").status == 204)

        for parent in ["/contacts/pipedrive:person:1", "/companies/pipedrive:organization:1"] {
            let content = "note on \(parent)"
            let added = try await fx.call("POST", "\(parent)/notes", json: ["content": .string(content)])
            #expect(added.status == 201, "\(added.text)")
            let notes = try await fx.call("GET", "\(parent)/notes?limit=200")
            let contents = notes.json?["data"]?.arrayValue?.compactMap { $0["content"]?.stringValue } ?? []
            #expect(contents.contains(content))
        }
        #expect(try await fx.call("GET", "/contacts/hotprofile:lead:7001/notes").status == 404)

        let deal = try await fx.call("POST", "/deals", json: ["title": "To delete"])
        let dealID = try #require(deal.json?["id"]?.stringValue)
        #expect(try await fx.call("DELETE", "/deals/\(dealID)").status == 204)
        #expect(try await fx.call("GET", "/deals/\(dealID)").status == 404)

        let spec = try await fx.call("GET", "/openapi.yaml")
        #expect(spec.status == 200)
        #expect(spec.text.hasPrefix("openapi: 3.1.0"))
        #expect(spec.headers["Content-Type"]?.hasPrefix("application/yaml") == true)
    }
}
