import Testing
@testable import Sandbox
import GatewayCore

@Test func formNesting() {
    let pairs = FormEncoding.pairs("api_key=k&page%5Bnumber%5D=2&search[client][name_kana]=%E3%82%A2+b&ids[]=1&ids[]=2")!
    let j = FormEncoding.nested(pairs)
    #expect(j["api_key"] == "k")
    #expect(j["page"]?["number"] == "2")
    #expect(j["search"]?["client"]?["name_kana"] == "ア b")
    #expect(j["ids"] == ["1", "2"])
}

@Test func fixtureServesAdminStats() async throws {
    let f = try SandboxFixture(["hana"])
    let s = try await f.stats("hana")
    #expect(s["requests_total"] == 0)
    let r = try await f.setFault("hana", ["mode": "status", "status": 503, "count": 1])
    #expect(r.status == 200)
    let bad = try await f.setFault("hana", ["mode": "explode"])
    #expect(bad.status == 422)
}
