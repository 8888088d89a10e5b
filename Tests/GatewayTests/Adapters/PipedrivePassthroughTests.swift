@testable import Gateway
import GatewayCore
import Testing

@Suite("Pipedrive passthrough")
struct PipedrivePassthroughTests {
    let t = RecordingTransport()
    var pass: any PassthroughSource { PDTest.adapter().passthrough! }

    @Test func addsTheTokenAndStripsTheClientsCredentials() async throws {
        t.answer(201, json: ["success": true, "data": ["id": 5]])
        let headers: HTTPHeaders = [("x-api-token", "client-token"), ("Authorization", "Bearer client"), ("Cookie", "s=1"),
                                    ("Content-Type", "application/json"), ("Accept", "application/json"), ("api_token", "client-token")]
        let r = try await pass.passthrough(method: "post", path: "api/v1/webhooks", query: "api_token=client-token&a=1&API_TOKEN=x&b=%20c",
                                           headers: headers, body: Array("{\"x\":1}".utf8), context: t.context())
        #expect(r.status == 201)
        let sent = t.requests[0]
        #expect(sent.method == "POST")
        #expect(sent.url == "https://acme.pipedrive.com/api/v1/webhooks?a=1&b=%20c")
        #expect(sent.headers.values("x-api-token") == [PDTest.token])
        #expect(sent.headers["Authorization"] == nil)
        #expect(sent.headers["Cookie"] == nil)
        #expect(sent.headers["api_token"] == nil)
        #expect(sent.headers["Content-Type"] == "application/json")
        #expect(sent.body == Array("{\"x\":1}".utf8))
    }

    @Test func answersAreReturnedAsTheyAre() async throws {
        t.answer(404, fixture: PDTest.fixture("persons.get.404"))
        let r = try await pass.passthrough(method: "GET", path: "/api/v2/persons/999999", query: nil, headers: HTTPHeaders(), body: [], context: t.context())
        #expect(r.status == 404)
        #expect(r.body == Fixture.bytes(PDTest.fixture("persons.get.404")))
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v2/persons/999999")
    }

    @Test func onlyAPIPathsOnThisHost() async {
        let refused = ["/v1/persons", "/api/v3/persons", "/api/v2", "/api/v2/../v1/users", "/api/v2//persons", "/api/v2/%2e%2e/x",
                       "/api/v2/%2E%2E/x", "/api/v2/persons@evil.example", "/api/v2/http://evil.example", "https://evil.example/api/v2/x",
                       "//evil.example/api/v2/x", "/api/v2/persons?x=1", "/api/v2/per sons", "/api/v2/a%2fb", "/api/v2/a\\b",
                       "/api/v1/https:evil", "/API/v2/persons"]
        for path in refused {
            let e = await PDTest.error { try await pass.passthrough(method: "GET", path: path, query: nil, headers: HTTPHeaders(), body: [], context: t.context()) }
            guard case .badRequest(_, let fields)? = e else { Issue.record("expected badRequest for \(path), got \(String(describing: e))"); continue }
            #expect(fields.map(\.field) == ["path"])
        }
        #expect(t.requests.isEmpty)
    }

    @Test func refusesOtherMethodsAndMalformedQueries() async {
        let m = await PDTest.error { try await pass.passthrough(method: "TRACE", path: "/api/v2/persons", query: nil, headers: HTTPHeaders(), body: [], context: t.context()) }
        guard case .methodNotAllowed? = m else { Issue.record("expected methodNotAllowed"); return }
        for q in ["a=%zz", "a=1#frag", "a=1 2"] {
            let e = await PDTest.error { try await pass.passthrough(method: "GET", path: "/api/v2/persons", query: q, headers: HTTPHeaders(), body: [], context: t.context()) }
            guard case .badRequest? = e else { Issue.record("expected badRequest for query \(q)"); continue }
        }
        #expect(t.requests.isEmpty)
    }

    @Test func aQueryOfOnlyTheTokenIsDropped() async throws {
        t.answer(200, json: ["success": true, "data": []])
        _ = try await pass.passthrough(method: "GET", path: "/api/v1/deals:(id,title)", query: "api_token=abc", headers: HTTPHeaders(), body: [], context: t.context())
        #expect(t.requests[0].url == "https://acme.pipedrive.com/api/v1/deals:(id,title)")
    }
}
