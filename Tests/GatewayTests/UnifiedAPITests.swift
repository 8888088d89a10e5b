import Testing
@testable import Gateway
import GatewayCore

/// The unified API layer straight through the router (no sockets), over fake sources.
@Suite("Unified API: lists, cursors, errors, idempotency")
struct UnifiedAPITests {
    func harness(_ sources: FakeContacts...) throws -> APIHarness {
        try APIHarness(adapters: sources.map { FakeAdapter(source: $0.source, fakeContacts: $0) })
    }

    func ids(_ json: JSON?) -> [String] { json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [] }

    // MARK: paging

    @Test func pagingAMergedListReturnsEveryRecordOnceAndEndsWithNull() async throws {
        let a = FakeContacts(source: "alpha", count: 257)
        let b = FakeContacts(source: "beta", kinds: ["card", "lead"], count: 101)
        let h = try harness(a, b)
        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let r = await h.call(.GET, "/contacts?limit=50" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(r.status == 200)
            let page = ids(r.json)
            #expect(page.count <= 50)
            seen += page
            cursor = r.json?["next_cursor"]?.stringValue
            #expect(r.json?["sources"]?["alpha"]?["status"] == "ok")
            pages += 1
        } while cursor != nil && pages < 100
        #expect(seen.count == 257 + 2 * 101)
        #expect(Set(seen).count == seen.count)
        #expect(h.services.adapters.count == 2)
    }

    @Test func theLastPageHasANullCursor() async throws {
        let h = try harness(FakeContacts(source: "alpha", count: 3))
        let r = await h.call(.GET, "/contacts?limit=10")
        #expect(ids(r.json) == ["alpha:person:1", "alpha:person:2", "alpha:person:3"])
        #expect(r.json?["next_cursor"] == .null)
    }

    @Test func aCursorIsBoundToItsFiltersAndLimit() async throws {
        let h = try harness(FakeContacts(source: "alpha", count: 30))
        let first = await h.call(.GET, "/contacts?limit=10&q=x")
        let cursor = try #require(first.json?["next_cursor"]?.stringValue)
        let otherFilter = await h.call(.GET, "/contacts?q=y&cursor=\(cursor)")
        #expect(otherFilter.status == 400)
        #expect(otherFilter.json?["errors"]?[0]?["field"] == "cursor")
        let otherLimit = await h.call(.GET, "/contacts?q=x&limit=20&cursor=\(cursor)")
        #expect(otherLimit.status == 400)
        #expect(otherLimit.json?["errors"]?[0]?["field"] == "limit")
        let same = await h.call(.GET, "/contacts?q=x&cursor=\(cursor)")
        #expect(ids(same.json).first == "alpha:person:11")
        let garbage = await h.call(.GET, "/contacts?cursor=bm90LWEtY3Vyc29y")
        #expect(garbage.status == 400)
    }

    // MARK: partial results

    @Test func aFailingSourceIsReportedWithoutFailingTheList() async throws {
        let a = FakeContacts(source: "alpha", count: 5)
        let b = FakeContacts(source: "beta", count: 5)
        b.failNext(.upstream(source: "beta", status: 503, body: Array("down".utf8)))
        let h = try harness(a, b)
        let r = await h.call(.GET, "/contacts")
        #expect(r.status == 200)
        #expect(ids(r.json) == (1...5).map { "alpha:person:\($0)" })
        #expect(r.json?["sources"]?["alpha"] == ["status": "ok"])
        #expect(r.json?["sources"]?["beta"]?["status"] == "error")
        #expect(r.json?["sources"]?["beta"]?["error"]?.stringValue?.hasPrefix("502") == true)
        // The failed part is asked again on the next page.
        let next = try #require(r.json?["next_cursor"]?.stringValue)
        let r2 = await h.call(.GET, "/contacts?cursor=\(next)")
        #expect(ids(r2.json) == (1...5).map { "beta:person:\($0)" })
        #expect(r2.json?["next_cursor"] == .null)
    }

    @Test func aSourceThatKeepsFailingIsDroppedAfterThreePages() async throws {
        let a = FakeContacts(source: "alpha", count: 1)
        let b = FakeContacts(source: "beta", count: 5)
        b.failNext(.transport(source: "beta", .timeout), times: 3)
        let h = try harness(a, b)
        var cursor: String?
        var pages = 0
        repeat {
            let r = await h.call(.GET, "/contacts" + (cursor.map { "?cursor=\($0)" } ?? ""))
            cursor = r.json?["next_cursor"]?.stringValue
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 3)
    }

    @Test func askingOnlyForAFailingSourceGivesItsError() async throws {
        let b = FakeContacts(source: "beta", count: 5)
        b.failNext(.transport(source: "beta", .timeout))
        let h = try harness(FakeContacts(source: "alpha", count: 1), b)
        let r = await h.call(.GET, "/contacts?source=beta")
        #expect(r.status == 504)
        #expect(r.json?["upstream"]?["source"] == "beta")
        #expect(r.headers["Content-Type"] == "application/problem+json")
    }

    // MARK: filters

    @Test func aFilterASourceCannotHonourIsReportedAndItsRecordsLeftOut() async throws {
        let a = FakeContacts(source: "alpha", count: 2, supported: [.email])
        let b = FakeContacts(source: "beta", count: 2, supported: [])
        let h = try harness(a, b)
        let r = await h.call(.GET, "/contacts?email=x%40y.z")
        #expect(r.status == 200)
        #expect(ids(r.json) == ["alpha:person:1", "alpha:person:2"])
        #expect(r.json?["sources"]?["beta"]?["status"] == "error")
        #expect(r.json?["sources"]?["beta"]?["error"]?.stringValue?.contains("email") == true)
        #expect(b.calls.isEmpty)
        let explicit = await h.call(.GET, "/contacts?email=x%40y.z&source=beta")
        #expect(explicit.status == 400)
        #expect(explicit.json?["errors"]?[0]?["field"] == "email")
    }

    @Test func anIdFilterOfAnotherSourceMatchesNothingThere() async throws {
        let a = FakeContacts(source: "alpha", count: 2, supported: [.company_id])
        let b = FakeContacts(source: "beta", count: 2, supported: [.company_id])
        let h = try harness(a, b)
        let r = await h.call(.GET, "/contacts?company_id=alpha%3Aorganization%3A7")
        #expect(ids(r.json) == ["alpha:person:1", "alpha:person:2"])
        #expect(b.calls.isEmpty)
    }

    @Test func unknownAndBadQueryParametersAreNamed() async throws {
        let h = try harness(FakeContacts(source: "alpha", count: 2))
        let r = await h.call(.GET, "/contacts?limit=0&emial=a&updated_since=yesterday&source=nope")
        #expect(r.status == 400)
        let fields = Set(r.json?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        #expect(fields == ["limit", "emial", "updated_since"])
        let src = await h.call(.GET, "/contacts?source=nope")
        #expect(src.status == 400)
        #expect(src.json?["errors"]?[0]?["field"] == "source")
    }

    // MARK: records and errors

    @Test func upstreamErrorsKeepTheirMeaning() async throws {
        let a = FakeContacts(source: "alpha", count: 2)
        let h = try harness(a)
        let missing = await h.call(.GET, "/contacts/alpha:person:99")
        #expect(missing.status == 404)
        #expect(missing.json?["upstream"] == ["source": "alpha", "status": 404, "body": ["error": "gone"]])
        #expect(missing.json?["request_id"] == "req-1")
        a.failNext(.upstream(source: "alpha", status: 500, body: []))
        #expect(await h.call(.GET, "/contacts/alpha:person:1").status == 502)
        a.failNext(.upstream(source: "alpha", status: 401, body: []))
        let auth = await h.call(.GET, "/contacts/alpha:person:1")
        #expect(auth.status == 502)
        #expect(auth.json?["type"] == .string(ProblemType.upstreamAuth))
        a.failNext(.upstream(source: "alpha", status: 422, body: Array(#"{"errors":[]}"#.utf8)))
        #expect(await h.call(.GET, "/contacts/alpha:person:1").status == 422)
        a.failNext(.upstream(source: "alpha", status: 429, body: [], retryAfter: "7"))
        let limited = await h.call(.GET, "/contacts/alpha:person:1")
        #expect(limited.status == 429)
        #expect(limited.headers["Retry-After"] == "7")
        a.failNext(.transport(source: "alpha", .connectFailed("refused")))
        #expect(await h.call(.GET, "/contacts/alpha:person:1").status == 502)
        #expect(await h.call(.GET, "/contacts/not-an-id").status == 404)
        #expect(await h.call(.GET, "/contacts/gamma:person:1").status == 404)
    }

    @Test func includeRawAddsTheUpstreamObject() async throws {
        let h = try harness(FakeContacts(source: "alpha", count: 1))
        let plain = await h.call(.GET, "/contacts/alpha:person:1")
        #expect(plain.json?["raw"] == nil)
        let raw = await h.call(.GET, "/contacts/alpha:person:1?include=raw")
        #expect(raw.json?["raw"] == ["n": 1])
        let listed = await h.call(.GET, "/contacts?include=raw")
        #expect(listed.json?["data"]?[0]?["raw"] == ["n": 1])
    }

    @Test func writesAreValidatedBeforeAnyUpstreamCall() async throws {
        let a = FakeContacts(source: "alpha", count: 1)
        let h = try harness(a, FakeContacts(source: "beta", count: 1))
        let noSource = await h.call(.POST, "/contacts", json: ["display_name": "x"])
        #expect(noSource.status == 422)
        #expect(noSource.json?["errors"]?[0]?["field"] == "source")
        let bad = await h.call(.POST, "/contacts", json: ["source": "alpha", "last_name": "far too long a name", "colour": "red", "emails": [["value": 1]]])
        #expect(bad.status == 422)
        let fields = Set(bad.json?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        #expect(fields == ["colour", "emails[0]"])
        let limits = await h.call(.POST, "/contacts", json: ["source": "alpha", "last_name": "far too long a name"])
        #expect(Set(limits.json?["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? []) == ["last_name", "display_name"])
        let notJSON = await h.call(.POST, "/contacts", headers: ["Content-Type": "text/plain"], body: Array("hi".utf8))
        #expect(notJSON.status == 415)
        let broken = await h.call(.POST, "/contacts", headers: ["Content-Type": "application/json"], body: Array("{".utf8))
        #expect(broken.status == 400)
        #expect(a.calls.isEmpty)
        let ok = await h.call(.POST, "/contacts", json: ["source": "alpha", "display_name": "Ann"])
        #expect(ok.status == 201)
        #expect(ok.headers["Location"] == "/contacts/alpha:person:new1")
        #expect(ok.json?["display_name"] == "Ann")
    }

    @Test func patchCannotMoveARecordToAnotherSource() async throws {
        let h = try harness(FakeContacts(source: "alpha", count: 1))
        let r = await h.call(.PATCH, "/contacts/alpha:person:1", json: ["source": "beta", "display_name": "x"])
        #expect(r.status == 422)
        #expect(r.json?["errors"]?[0]?["field"] == "source")
        #expect(await h.call(.DELETE, "/contacts/alpha:person:1").status == 204)
    }

    // MARK: idempotency

    @Test func aRetriedPostWithTheSameKeyReachesTheUpstreamOnce() async throws {
        let a = FakeContacts(source: "alpha", count: 1)
        let h = try harness(a)
        let body: JSON = ["source": "alpha", "display_name": "Ann"]
        let first = await h.call(.POST, "/contacts", json: body, headers: ["Idempotency-Key": "k-1"])
        let again = await h.call(.POST, "/contacts", json: body, headers: ["Idempotency-Key": "k-1"])
        #expect(first.status == 201)
        #expect(again.status == 201)
        #expect(again.json == first.json)
        #expect(again.headers["Idempotent-Replayed"] == "true")
        #expect(a.calls == ["create person"])
        let different = await h.call(.POST, "/contacts", json: ["source": "alpha", "display_name": "Bob"], headers: ["Idempotency-Key": "k-1"])
        #expect(different.status == 422)
        #expect(a.calls == ["create person"])
        let badKey = await h.call(.POST, "/contacts", json: body, headers: ["Idempotency-Key": "has space"])
        #expect(badKey.status == 400)
    }

    @Test func idempotencyKeysExpireAfterADay() async throws {
        let clock = ManualWallClock(millis: 0)
        let store = IdempotencyStore(clock: clock)
        guard case .proceed = store.begin(key: "k", method: .POST, path: "/x", query: nil, body: []) else { Issue.record("not proceed"); return }
        guard case .inProgress = store.begin(key: "k", method: .POST, path: "/x", query: nil, body: []) else { Issue.record("not in progress"); return }
        store.finish(key: "k", response: HTTPResponse(status: 201))
        guard case .replay(let r) = store.begin(key: "k", method: .POST, path: "/x", query: nil, body: []) else { Issue.record("not replay"); return }
        #expect(r.status == 201)
        // The same JSON with other whitespace is the same request.
        guard case .replay = store.begin(key: "k", method: .POST, path: "/x", query: nil, body: []) else { Issue.record("not replay"); return }
        clock.advance(millis: 24 * 3600 * 1000 + 1)
        guard case .proceed = store.begin(key: "k", method: .POST, path: "/x", query: nil, body: []) else { Issue.record("not expired"); return }
        store.finish(key: "k", response: HTTPResponse(status: 429))
        guard case .proceed = store.begin(key: "k", method: .POST, path: "/x", query: nil, body: []) else { Issue.record("429 was kept"); return }
    }

    @Test func jsonWhitespaceDoesNotChangeTheFingerprint() {
        let a = IdempotencyStore.fingerprint(method: .POST, path: "/x", query: nil, body: Array(#"{"a": 1,  "b":[1, 2]}"#.utf8))
        let b = IdempotencyStore.fingerprint(method: .POST, path: "/x", query: nil, body: Array(#"{"a":1,"b":[1,2]}"#.utf8))
        let c = IdempotencyStore.fingerprint(method: .POST, path: "/x", query: nil, body: Array(#"{"a":2,"b":[1,2]}"#.utf8))
        #expect(a == b)
        #expect(a != c)
    }

    // MARK: spec

    @Test func theServedSpecIsTheFileInTheRepository() async throws {
        let h = try harness()
        let r = await h.call(.GET, "/openapi.yaml")
        #expect(r.status == 200)
        #expect(OpenAPIDocument.yaml + "\n" == String(decoding: Fixture.repositoryFile("openapi.yaml"), as: UTF8.self))
    }
}
