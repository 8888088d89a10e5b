import Gateway
import GatewayCore
import Testing

@Suite("HotProfile adapter: passthrough")
struct HotProfilePassthroughTests {
    var h = HotProfileHarness()
    var pass: any PassthroughSource { h.adapter.passthrough! }

    @Test("a JSON body gets the gateway's api_key; the client's is dropped; the answer comes back as is")
    func jsonBody() async throws {
        h.transport.answer(200, fixture: "hotprofile/leads.get.200.json")
        let body = JSON.object(["api_key": "client-key", "search": ["ids": "7003"]]).serialized()
        let r = try await pass.passthrough(method: "POST", path: "rest_api/v1/leads/get_entry_list", query: "api_key=other&page%5Bnumber%5D=1",
                                           headers: ["Content-Type": "application/json", "Authorization": "Bearer x", "Cookie": "a=b"],
                                           body: body, context: h.context)
        #expect(r.status == 200)
        #expect(r.body == Fixture.bytes("hotprofile/leads.get.200.json"))
        let sent = h.transport.requests[0]
        #expect(sent.method == "POST")
        #expect(sent.pathAndQuery.path == "/rest_api/v1/leads/get_entry_list")
        #expect(sent.pathAndQuery.query.map { "\($0.0)=\($0.1)" } == ["page[number]=1"])
        #expect(sent.jsonBody == ["api_key": "test-key", "search": ["ids": "7003"]])
        #expect(sent.headers["Content-Type"] == "application/json")
        #expect(sent.headers["Authorization"] == nil && sent.headers["Cookie"] == nil)
    }

    @Test("a form body gets api_key in the form")
    func formBody() async throws {
        h.transport.answer(200, json: ["id": 1])
        _ = try await pass.passthrough(method: "POST", path: "/rest_api/v1/clients/update", query: nil,
                                       headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                       body: Array("id=1&api_key=mine&name=%E5%B9%B3%E5%92%8C".utf8), context: h.context)
        let sent = h.transport.requests[0]
        #expect(String(decoding: sent.body, as: UTF8.self) == "id=1&name=%E5%B9%B3%E5%92%8C&api_key=test-key")
        #expect(sent.pathAndQuery.query.isEmpty)
    }

    @Test("an empty POST gets a JSON body with api_key; a GET or another body type gets it in the query (last resort)")
    func fallbacks() async throws {
        h.transport.answer(200, json: [:])
        h.transport.answer(404, json: ["errors": []])
        h.transport.answer(200, json: [:])
        _ = try await pass.passthrough(method: "post", path: "/rest_api/v1/leads/get_entry_list", query: nil, headers: [:], body: [], context: h.context)
        #expect(h.transport.requests[0].jsonBody == ["api_key": "test-key"])
        #expect(h.transport.requests[0].headers["Content-Type"] == "application/json")
        #expect(h.transport.requests[0].method == "POST")
        let r = try await pass.passthrough(method: "GET", path: "/rest_api/v1/leads/get_entry_list", query: "x=1", headers: [:], body: [], context: h.context)
        #expect(r.status == 404)
        #expect(h.transport.requests[1].pathAndQuery.query.map { "\($0.0)=\($0.1)" } == ["x=1", "api_key=test-key"])
        #expect(h.transport.requests[1].body.isEmpty)
        _ = try await pass.passthrough(method: "POST", path: "/rest_api/v1/leads/import", query: nil, headers: ["Content-Type": "text/csv"],
                                       body: Array("a,b".utf8), context: h.context)
        #expect(h.transport.requests[2].query("api_key") == "test-key")
        #expect(h.transport.requests[2].body == Array("a,b".utf8))
    }

    @Test("paths that could leave /rest_api/v1/ or the host are refused before any call", arguments: [
        "/rest_api/v1/../admin", "/rest_api/v1/%2e%2e/admin", "/rest_api/v1/%2E%2E/x", "/rest_api/v1//leads",
        "//evil.example/rest_api/v1/leads", "http://evil.example/rest_api/v1/leads", "/rest_api/v1/leads@evil",
        "/rest_api/v1/leads%2f..%2fx", "/api/v2/persons", "/rest_api/v1/", "rest_api/v2/leads", "/rest_api/v1/a\\b",
        "/rest_api/v1/leads?x=1", "/rest_api/v1/le ads",
    ])
    func refused(path: String) async {
        let e = await hotProfileError { _ = try await pass.passthrough(method: "POST", path: path, query: nil, headers: [:], body: [], context: h.context) }
        guard case .badRequest? = e else { Issue.record("\(path): \(String(describing: e))"); return }
        #expect(h.transport.requests.isEmpty)
    }

    @Test("a JSON body that is not an object is a 400")
    func badJSON() async {
        let e = await hotProfileError {
            _ = try await pass.passthrough(method: "POST", path: "/rest_api/v1/leads/create", query: nil,
                                           headers: ["Content-Type": "application/json"], body: Array("[1]".utf8), context: h.context)
        }
        guard case .badRequest? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(h.transport.requests.isEmpty)
    }
}
