import Testing
@testable import Gateway
import GatewayCore

@Suite("Upstream hint rules: what the cache and the limiter make of each upstream path")
struct UpstreamHintRulesTests {
    func h(_ source: String, _ method: String, _ path: String) -> UpstreamHints {
        UpstreamHintRules.hints(source: source, method: method, path: path)
    }

    @Test func pipedriveReadsAreCachedByCollectionAndTaggedByRecordOrList() {
        #expect(h("pipedrive", "GET", "/api/v2/persons") == .read("contacts", tags: ["pipedrive:persons:list"]))
        #expect(h("pipedrive", "GET", "/api/v2/persons/5") == .read("contacts", tags: ["pipedrive:persons:5"]))
        #expect(h("pipedrive", "GET", "/api/v2/stages?pipeline_id=1") == .read("metadata", tags: ["pipedrive:stages:list"]))
        var search = UpstreamHints.read("deals", tags: ["pipedrive:deals:list"])
        search.bucket = "search"
        #expect(h("pipedrive", "GET", "/api/v2/deals/search?term=x") == search)
    }

    @Test func pipedriveWritesDropTheirRecordAndTheirLists() {
        #expect(h("pipedrive", "PATCH", "/api/v2/deals/9") == .write(invalidating: ["pipedrive:deals:list", "pipedrive:deals:9"]))
        #expect(h("pipedrive", "POST", "/api/v1/notes") == .write(invalidating: ["pipedrive:notes:list"]))
        #expect(!h("pipedrive", "DELETE", "/api/v2/persons/1").retryable)
    }

    @Test func hotprofileListPostsAreReadsAndClientWritesDropCardAndLeadLists() {
        #expect(h("hotprofile", "POST", "/rest_api/v1/leads/get_entry_list.json") == .read("contacts", tags: ["hotprofile:leads:list"]))
        #expect(h("hotprofile", "POST", "/rest_api/v1/clients/get_entry_list_flow") == .read("companies", tags: ["hotprofile:clients:list"]))
        #expect(h("hotprofile", "POST", "/rest_api/v1/clients/update") ==
                .write(invalidating: ["hotprofile:clients:list", "hotprofile:business_cards:list", "hotprofile:leads:list"]))
    }

    @Test func textRequestSendsTakeTheSendBucketAndDropTheConversation() {
        let send = h("textrequest", "POST", "/api/v3/dashboards/1/contacts/14235550123/messages")
        #expect(send.bucket == "send")
        #expect(Set(send.tags) == ["textrequest:1:contacts:list", "textrequest:1:conversations:list",
                                   "textrequest:1:contacts:14235550123", "textrequest:1:messages:14235550123"])
        #expect(h("textrequest", "GET", "/api/v3/dashboards/1/contacts/14235550123/messages?page=0") ==
                .read("messages", tags: ["textrequest:1:messages:14235550123"]))
        #expect(h("textrequest", "GET", "/api/v3/dashboards/1") == .read("metadata", tags: ["textrequest:1:dashboard"]))
    }
}

@Suite("Validators and cache headers on unified reads")
struct ValidatorTests {
    @Test func aMatchingIfNoneMatchGetsA304WithTheSameValidator() throws {
        let loop = try EventLoop(name: "etag")
        let body = Array(#"{"a":1}"#.utf8)
        let ok = HTTPResponse(status: 200, contentType: "application/json", body: body)
        let get = HTTPRequest(head: HTTPRequestHead(method: .GET, target: "/contacts/x"))
        let first = finishResponse(ok, get, RequestContext(requestID: "r", pathParameters: [:], loop: loop))
        let etag = try #require(first.headers["ETag"])
        #expect(etag.hasPrefix("W/\""))
        let again = HTTPRequest(head: HTTPRequestHead(method: .GET, target: "/contacts/x", headers: ["If-None-Match": "\"zzz\", \(etag)"]))
        let second = finishResponse(ok, again, RequestContext(requestID: "r", pathParameters: [:], loop: loop))
        #expect(second.status == 304)
        #expect(second.body.isEmpty)
        #expect(second.headers["ETag"] == etag)
        let other = HTTPRequest(head: HTTPRequestHead(method: .GET, target: "/contacts/x", headers: ["If-None-Match": "W/\"0000000000000000\""]))
        #expect(finishResponse(ok, other, RequestContext(requestID: "r", pathParameters: [:], loop: loop)).status == 200)
        let post = HTTPRequest(head: HTTPRequestHead(method: .POST, target: "/contacts"))
        #expect(finishResponse(ok, post, RequestContext(requestID: "r", pathParameters: [:], loop: loop)).headers["ETag"] == nil)
    }

    @Test func cacheStatusSaysHitOnlyWhenEveryAnswerCameFromTheCache() {
        let record = RequestRecord()
        record.add(.init(source: "pipedrive", status: 200, cache: CacheOutcome(kind: .hit, age: 7, ttl: 23)))
        record.add(.init(source: "pipedrive", status: 200, cache: CacheOutcome(kind: .hit, age: 2, ttl: 580)))
        #expect(record.cacheHeaders?.status == "crm-gateway; hit; ttl=23")
        #expect(record.cacheHeaders?.age == 7)
        record.add(.init(source: "hotprofile", status: 200, cache: CacheOutcome(kind: .coalesced, age: 0, ttl: 30)))
        #expect(record.cacheHeaders?.status == "crm-gateway; fwd=uri-miss; stored; collapsed")
        #expect(record.cacheHeaders?.age == nil)
        let stale = RequestRecord()
        stale.add(.init(source: "pipedrive", status: 200, cache: CacheOutcome(kind: .stale, age: 95, ttl: -65)))
        #expect(stale.cacheHeaders?.status == "crm-gateway; hit; ttl=-65; detail=stale")
        #expect(stale.servedStale("pipedrive"))
        #expect(!stale.servedStale("hotprofile"))
    }

    @Test func preferWaitAndNoCacheAreRead() {
        let r = HTTPRequest(head: HTTPRequestHead(method: .GET, target: "/x", headers: ["Prefer": "respond-async, wait=3", "Cache-Control": "max-age=0, no-cache"]),
                            receivedAt: LoopInstant(nanoseconds: 1_000_000_000))
        let record = RequestRecord(request: r)
        #expect(record.revalidate)
        #expect(record.appliedWait == 3)
        #expect(record.deadline == LoopInstant(nanoseconds: 4_000_000_000))
        let plain = RequestRecord(request: HTTPRequest(head: HTTPRequestHead(method: .GET, target: "/x"), receivedAt: LoopInstant(nanoseconds: 0)))
        #expect(!plain.revalidate)
        #expect(plain.deadline == LoopInstant(nanoseconds: 10_000_000_000))
        let capped = RequestRecord(request: HTTPRequest(head: HTTPRequestHead(method: .GET, target: "/x", headers: ["Prefer": "wait=60"])))
        #expect(capped.appliedWait == 10)
    }
}
