import GatewayCore
@testable import Sandbox
import Testing

/// The HotProfile emulator over real sockets: api_key in query/form/JSON, path variants,
/// page-number paging, search, ordering, field limits, create/update, reset, faults.
@Suite("HotProfile emulator")
struct HotProfileEmulatorTests {
    static let leads = "/rest_api/v1/leads/"
    static let cards = "/rest_api/v1/business_cards/"
    static let clients = "/rest_api/v1/clients/"
    /// The seed, built the way the emulator builds it (it is deterministic).
    static let seed = HPSeed.make()

    /// `?api_key=sandbox-key&k=v...`, every key and value percent-encoded.
    static func query(_ pairs: [(String, String)], key: String? = "sandbox-key") -> String {
        let all = (key.map { [("api_key", $0)] } ?? []) + pairs
        return "?" + all.map { FormEncoding.encode($0.0) + "=" + FormEncoding.encode($0.1) }.joined(separator: "&")
    }

    func post(_ f: SandboxFixture, _ path: String, json: JSON? = nil, form: String? = nil,
              method: String = "POST") async throws -> (UpstreamResponse, JSON) {
        let r = try await f.call("hotprofile", method, path, json: json, form: form)
        return (r, r.body.isEmpty ? .null : try f.json(r))
    }

    func list(_ f: SandboxFixture, _ pairs: [(String, String)]) async throws -> (status: Int, items: [JSON], pages: JSON, body: JSON) {
        try await list(f, "leads", pairs)
    }

    func list(_ f: SandboxFixture, _ entity: String, _ pairs: [(String, String)]) async throws -> (status: Int, items: [JSON], pages: JSON, body: JSON) {
        let path = "/rest_api/v1/\(entity)/get_entry_list_flow" + Self.query(pairs)
        let (r, j) = try await post(f, path)
        return (r.status, j[entity]?.arrayValue ?? [], j["pages"] ?? .null, j)
    }

    func errorFields(_ j: JSON) -> [String] { (j["errors"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue } }

    func error(_ j: JSON, _ field: String) -> JSON? { j["errors"]?.arrayValue?.first { $0["field"]?.stringValue == field } }

    // MARK: auth and paths

    @Test func acceptsTheKeyInTheQueryAFormOrAJSONBody() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (byQuery, q) = try await post(f, Self.leads + "get_entry_list_flow" + Self.query([]))
        #expect(byQuery.status == 200)
        #expect(q["pages"]?["total_count"] == 345)
        let (byForm, fj) = try await post(f, Self.leads + "get_entry_list_flow", form: "api_key=sandbox-key&page%5Bdisplay_number%5D=3")
        #expect(byForm.status == 200)
        #expect(fj["leads"]?.arrayValue?.count == 3)
        let (byJSON, jj) = try await post(f, Self.clients + "get_entry_list",
                                          json: ["api_key": "sandbox-key", "search": ["from_id": 1005, "to_id": 1005], "page": ["display_number": 1, "number": 1]])
        #expect(byJSON.status == 200)
        #expect(jj["clients"]?[0]?["id"] == 1005)
        #expect(jj["pages"] == ["current_number": 1, "display_number": 1, "total_count": 1, "total_number": 1])
        // Query and body merge member by member; bracket keys nest inside JSON too.
        let (merged, mj) = try await post(f, Self.leads + "get_entry_list" + Self.query([("page[display_number]", "5")]),
                                          json: ["api_key": "sandbox-key", "page[number]": 2])
        #expect(merged.status == 200)
        #expect(mj["leads"]?.arrayValue?.compactMap { $0["id"]?.intValue } == Array(7006...7010))
        #expect(mj["pages"]?["current_number"] == 2)
    }

    @Test func aMissingOrWrongKeyIs401() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (none, nj) = try await post(f, Self.leads + "get_entry_list_flow")
        #expect(none.status == 401)
        #expect(nj == ["errors": [["code": "unauthorized", "message": "APIキーが正しくありません"]]])
        let (wrong, _) = try await post(f, Self.leads + "create" + Self.query([("client_id", "1001"), ("family_name", "山田")], key: "nope"))
        #expect(wrong.status == 401)
        // The body wins over the query, both ways.
        let (bodyWrong, _) = try await post(f, Self.leads + "get_entry_list_flow" + Self.query([]), json: ["api_key": "nope"])
        #expect(bodyWrong.status == 401)
        let (bodyRight, _) = try await post(f, Self.leads + "get_entry_list_flow?api_key=nope", json: ["api_key": "sandbox-key"])
        #expect(bodyRight.status == 200)
        // Nothing was created by the rejected create.
        let (_, _, pages, _) = try await list(f, [])
        #expect(pages["total_count"] == 345)
    }

    @Test func bothListPathsWithAndWithoutTheJSONSuffixAreOneOperation() async throws {
        let f = try SandboxFixture(["hotprofile"])
        for path in ["get_entry_list", "get_entry_list_flow", "get_entry_list.json", "get_entry_list_flow.json"] {
            let (r, j) = try await post(f, Self.leads + path + Self.query([("page[display_number]", "2")]))
            #expect(r.status == 200)
            #expect(j["leads"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [7001, 7002])
        }
        let (c, _) = try await post(f, Self.cards + "create.json" + Self.query([("client_id", "1001"), ("family_name", "鈴木"), ("status", "1"), ("open_status", "1")]))
        #expect(c.status == 200)
        let stats = try await f.stats("hotprofile")
        #expect(stats["by_operation"]?["leads.list"] == 4)
        #expect(stats["by_operation"]?["business_cards.create"] == 1)
    }

    @Test func otherMethodsAre404() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (get, j) = try await post(f, Self.leads + "get_entry_list_flow" + Self.query([]), method: "GET")
        #expect(get.status == 404)
        #expect(j["errors"]?[0]?["code"] == "not_found")
        let (unknown, _) = try await post(f, "/rest_api/v1/daily_reports/get_entry_list" + Self.query([]))
        #expect(unknown.status == 404)
    }

    // MARK: paging

    @Test func pagesThroughEveryLead() async throws {
        let f = try SandboxFixture(["hotprofile"])
        var ids: [Int] = []
        for page in 1...4 {
            let (status, items, pages, _) = try await list(f, [("page[number]", String(page)), ("page[display_number]", "100")])
            #expect(status == 200)
            #expect(pages == ["current_number": .int(page), "display_number": 100, "total_count": 345, "total_number": 4])
            #expect(items.count == (page == 4 ? 45 : 100))
            ids += items.compactMap { $0["id"]?.intValue }
        }
        #expect(ids == Array(7001...7345))
        let (status, items, pages, _) = try await list(f, [("page[number]", "5"), ("page[display_number]", "100")])
        #expect(status == 200)
        #expect(items.isEmpty)
        #expect(pages == ["current_number": 5, "display_number": 100, "total_count": 345, "total_number": 4])
    }

    @Test func displayNumberLimits() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (_, defaulted, dp, _) = try await list(f, [])
        #expect(defaulted.count == 20)
        #expect(dp["display_number"] == 20)
        let (over, _, _, body) = try await list(f, [("page[display_number]", "101")])
        #expect(over == 422)
        #expect(error(body, "page[display_number]") == ["field": "page[display_number]", "code": "out_of_range", "count": 100,
                                                         "message": "page[display_number]は1から100の範囲で指定してください"])
        let (zero, _, _, _) = try await list(f, [("page[display_number]", "0")])
        #expect(zero == 422)
        let (allClients, items, _, _) = try await list(f, "clients", [("page[display_number]", "1000")])
        #expect(allClients == 200)
        #expect(items.count == 320)
        let (tooMany, _, _, _) = try await list(f, "clients", [("page[display_number]", "1001")])
        #expect(tooMany == 422)
        let (notNumber, _, _, nb) = try await list(f, "business_cards", [("page[display_number]", "ten")])
        #expect(notNumber == 422)
        #expect(error(nb, "page[display_number]")?["code"] == "not_a_number")
        let (pageZero, _, _, pz) = try await list(f, [("page[number]", "0")])
        #expect(pageZero == 422)
        #expect(errorFields(pz) == ["page[number]"])
    }

    // MARK: search and order

    @Test func searchesKanaByPartialMatch() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let expected = Self.seed.leads.filter { ($0.string("family_name_kana") ?? "").contains("ヤマ") }.map(\.id)
        #expect(expected.count > 10)
        let (status, items, pages, _) = try await list(f, [("search[family_name_kana]", "ヤマ"), ("page[display_number]", "100")])
        #expect(status == 200)
        #expect(items.compactMap { $0["id"]?.intValue } == expected)
        #expect(pages["total_count"] == .int(expected.count))
        let clientsExpected = Self.seed.clients.filter { ($0.string("name_kana") ?? "").contains("セイサクショ") }.count
        let (_, _, cp, _) = try await list(f, "clients", [("search[name_kana]", "セイサクショ")])
        #expect(cp["total_count"] == .int(clientsExpected))
        #expect(clientsExpected > 0)
    }

    @Test func searchesByIDRangeAndOtherKeys() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (_, items, pages, _) = try await list(f, [("search[from_id]", "7010"), ("search[to_id]", "7019")])
        #expect(items.compactMap { $0["id"]?.intValue } == Array(7010...7019))
        #expect(pages["total_number"] == 1)
        let (_, byIDs, _, _) = try await list(f, [("search[ids]", "7003,7100,9999")])
        #expect(byIDs.compactMap { $0["id"]?.intValue } == [7003, 7100])
        let lead = Self.seed.leads[41]
        let (_, byClient, _, _) = try await list(f, [("search[client_id]", String(lead.int("client_id")!)), ("page[display_number]", "100")])
        #expect(byClient.compactMap { $0["id"]?.intValue } == Self.seed.leads.filter { $0.int("client_id") == lead.int("client_id") }.map(\.id))
        let inactive = Self.seed.leads.filter { $0.int("lead_status") == 2 }.count
        let (_, _, sp, _) = try await list(f, [("search[lead_status]", "2")])
        #expect(sp["total_count"] == .int(inactive))
        let name = (lead.string("family_name") ?? "") + (lead.string("first_name") ?? "")
        let (_, multi, _, _) = try await list(f, [("search[multiple]", name + " " + (lead.string("post") ?? "")), ("page[display_number]", "100")])
        #expect(multi.contains { $0["id"]?.intValue == lead.id })
        let updatedIn2024 = Self.seed.leads.filter { HPTime.date($0.updatedAt).hasPrefix("2024/") }.count
        let (_, _, dp, _) = try await list(f, [("search[from_updated_on]", "2024/01/01"), ("search[to_updated_on]", "2024/12/31")])
        #expect(dp["total_count"] == .int(updatedIn2024))
        let (bad, _, _, body) = try await list(f, [("search[from_updated_on]", "2024/13/01"), ("search[to_id]", "x")])
        #expect(bad == 422)
        #expect(errorFields(body).sorted() == ["search[from_updated_on]", "search[to_id]"])
        let (_, _, ignored, _) = try await list(f, [("search[no_such_key]", "x")])
        #expect(ignored["total_count"] == 345)
    }

    @Test func ordersByTheDocumentedKeys() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (_, desc, _, _) = try await list(f, [("order[key]", "update_at"), ("order[type]", "desc"), ("page[display_number]", "100")])
        let stamps = desc.compactMap { $0["updated_at"]?.stringValue }
        #expect(stamps.count == 100)
        #expect(stamps == stamps.sorted(by: >))
        let newest = Self.seed.leads.max { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }!
        #expect(desc.first?["id"] == .int(newest.id))
        let (_, byID, _, _) = try await list(f, [("order[key]", "id"), ("order[type]", "desc"), ("page[display_number]", "3")])
        #expect(byID.compactMap { $0["id"]?.intValue } == [7345, 7344, 7343])
        let (_, cards, _, _) = try await list(f, "business_cards", [("order[key]", "trade_on"), ("page[display_number]", "50")])
        let trades = cards.compactMap { $0["trade_on"]?.stringValue }
        #expect(trades == trades.sorted())
        // Leads spell it `update_at`; `updated_at` is the cards' and clients' key.
        let (wrongKey, _, _, body) = try await list(f, [("order[key]", "updated_at")])
        #expect(wrongKey == 422)
        #expect(errorFields(body) == ["order[key]"])
        let (wrongType, _, _, _) = try await list(f, [("order[type]", "up")])
        #expect(wrongType == 422)
    }

    // MARK: field limits

    @Test func reportsEveryFieldOverItsLimitInOneResponse() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let body: JSON = ["api_key": "sandbox-key", "client_id": 1001, "family_name": .string(String(repeating: "山", count: 101)),
                          "email": .string(String(repeating: "e", count: 201)), "note": .string(String(repeating: "メ", count: 3001)),
                          "extension": "123456789", "zip": .string(String(repeating: "1", count: 51))]
        let (r, j) = try await post(f, Self.leads + "create", json: body)
        #expect(r.status == 422)
        #expect(error(j, "family_name") == ["field": "family_name", "code": "too_long", "count": 100, "message": "family_nameは100文字以内で入力してください"])
        #expect(error(j, "email")?["count"] == 200)
        #expect(error(j, "note")?["count"] == 3000)
        #expect(error(j, "extension")?["count"] == 8)
        #expect(error(j, "zip")?["count"] == 50)
        #expect(errorFields(j) == ["family_name", "extension", "email", "zip", "note"])
        // Exactly at the limits (counted in characters, not bytes) is fine.
        let atLimit: JSON = ["api_key": "sandbox-key", "client_id": 1001, "family_name": .string(String(repeating: "山", count: 100)),
                             "email": .string(String(repeating: "e", count: 200)), "note": .string(String(repeating: "メ", count: 3000)),
                             "extension": 12_345_678]
        let (ok, _) = try await post(f, Self.leads + "create", json: atLimit)
        #expect(ok.status == 200)
        // Missing required fields and over-long ones come back together. (A form body: query
        // strings this long exceed the 8 KiB request line.)
        let form = String(Self.query([
            ("family_name", String(repeating: "a", count: 101)), ("email", String(repeating: "e", count: 201)),
            ("address", String(repeating: "住", count: 256)), ("note", String(repeating: "n", count: 3001)),
            ("direct_note", String(repeating: "d", count: 3001)),
        ]).dropFirst())
        let (card, cj) = try await post(f, Self.cards + "create", form: form)
        #expect(card.status == 422)
        #expect(errorFields(cj) == ["client_id", "family_name", "email", "address", "status", "open_status", "note", "direct_note"])
        #expect(error(cj, "address")?["count"] == 255)
        #expect(error(cj, "direct_note")?["message"] == "direct_noteは3000文字以内で入力してください")
    }

    @Test func reportsEveryMissingRequiredField() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (card, cj) = try await post(f, Self.cards + "create" + Self.query([("first_name", "花子")]))
        #expect(card.status == 422)
        #expect(errorFields(cj) == ["client_id", "family_name", "status", "open_status"])
        #expect(cj["errors"]?[0] == ["field": "client_id", "code": "blank", "message": "client_idを入力してください"])
        let (client, clj) = try await post(f, Self.clients + "create" + Self.query([]))
        #expect(client.status == 422)
        #expect(errorFields(clj) == ["name", "name_disp"])
        let (lead, lj) = try await post(f, Self.leads + "update" + Self.query([]))
        #expect(lead.status == 422)
        #expect(errorFields(lj) == ["id", "client_id"])
    }

    @Test func checksTypesChoicesAndReferences() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (r, j) = try await post(f, Self.cards + "create" + Self.query([
            ("client_id", "999999"), ("family_name", "山田"), ("status", "3"), ("open_status", "2"), ("extension", "12a"),
            ("pref_id", "48"), ("owner_user_id", "1"), ("trade_on", "2024/02/30"), ("latitude", "35.123456789012345"),
        ]))
        #expect(r.status == 422)
        let codes = (j["errors"]?.arrayValue ?? []).map { "\($0["field"]?.stringValue ?? ""):\($0["code"]?.stringValue ?? "")" }
        #expect(codes == ["client_id:inclusion", "extension:not_a_number", "pref_id:inclusion", "latitude:invalid",
                          "status:inclusion", "open_status:inclusion", "owner_user_id:inclusion", "trade_on:invalid"])
    }

    // MARK: create and update

    @Test func createdRecordsAreListed() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let form = "api_key=sandbox-key&client_id=1001&family_name=%E6%96%B0%E8%A6%8F&first_name=%E5%A4%AA%E9%83%8E" +
            "&family_name_kana=%E3%82%B7%E3%83%B3%E3%82%AD&first_name_kana=%E3%82%BF%E3%83%AD%E3%82%A6&not_dm_flg=1&extension=42"
        let (r, j) = try await post(f, Self.leads + "create", form: form)
        #expect(r.status == 200)
        #expect(j == ["id": 7346])
        let (_, items, pages, _) = try await list(f, [("search[ids]", "7346")])
        #expect(pages["total_count"] == 1)
        let lead = try #require(items.first)
        #expect(lead["name"] == "新規 太郎")
        #expect(lead["name_kana"] == "シンキ タロウ")
        #expect(lead["client_name"] == .string(Self.seed.clients[0].string("name")!))
        #expect(lead["not_dm_flg"] == "○")
        #expect(lead["store_flg"] == "ー")
        #expect(lead["extension"] == "42")
        #expect(lead["email"] == "")
        #expect(lead["customer_id"] == .null)
        #expect(lead["created_at"] == "2025/01/15 18:30:00")
        #expect(lead["updated_at"] == "2025/01/15 18:30:00")
        let (_, _, all, _) = try await list(f, [])
        #expect(all["total_count"] == 346)
        let (c, cj) = try await post(f, Self.clients + "create" + Self.query([("name", "株式会社テスト"), ("name_disp", "テスト")]))
        #expect(c.status == 200)
        #expect(cj == ["id": 1321])
    }

    @Test func updateChangesFieldsAndUpdatedAt() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (_, before, _, _) = try await list(f, [("search[ids]", "7001")])
        let original = try #require(before.first?.objectValue)
        f.clock.advance(millis: 3_600_000)
        let (r, j) = try await post(f, Self.leads + "update", json: ["api_key": "sandbox-key", "id": 7001, "client_id": 1002,
                                                                      "post": "営業部長", "lead_status": 2, "fax": ""])
        #expect(r.status == 200)
        #expect(j == ["id": 7001])
        let (_, after, _, _) = try await list(f, [("search[ids]", "7001")])
        let updated = try #require(after.first?.objectValue)
        #expect(updated["post"] == "営業部長")
        #expect(updated["lead_status"] == 2)
        #expect(updated["lead_status_name"] == "非アクティブ")
        #expect(updated["client_id"] == 1002)
        #expect(updated["client_name"] == .string(Self.seed.clients[1].string("name")!))
        #expect(updated["fax"] == "")
        #expect(updated["updated_at"] == "2025/01/15 19:30:00")
        #expect(updated["created_at"] == original["created_at"])
        for k in ["family_name", "first_name", "email", "tel", "items", "tags"] { #expect(updated[k] == original[k]) }
        // A blank family_name is refused on update too.
        let (blank, bj) = try await post(f, Self.leads + "update" + Self.query([("id", "7001"), ("client_id", "1002"), ("family_name", "")]))
        #expect(blank.status == 422)
        #expect(errorFields(bj) == ["family_name"])
    }

    @Test func updatingAnUnknownIDIs404() async throws {
        let f = try SandboxFixture(["hotprofile"])
        for (path, extra) in [(Self.leads, [("client_id", "1001")]), (Self.cards, [("client_id", "1001")]), (Self.clients, [])] {
            let (r, j) = try await post(f, path + "update" + Self.query([("id", "424242")] + extra))
            #expect(r.status == 404)
            #expect(j == ["errors": [["field": "id", "code": "not_found", "message": "指定されたid(424242)のデータが見つかりません"]]])
        }
    }

    @Test func resetRestoresTheSeed() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let (_, before, _, _) = try await list(f, "business_cards", [("search[from_id]", "3001"), ("search[to_id]", "3001")])
        _ = try await post(f, Self.cards + "update" + Self.query([("id", "3001"), ("client_id", "1001"), ("note", "変更")]))
        _ = try await post(f, Self.cards + "create" + Self.query([("client_id", "1001"), ("family_name", "鈴木"), ("status", "1"), ("open_status", "1")]))
        let (_, changed, cp, _) = try await list(f, "business_cards", [("search[from_id]", "3001"), ("search[to_id]", "3001")])
        #expect(changed != before)
        #expect(cp["total_count"] == 1)
        let reset = try await f.call("hotprofile", "POST", "/_sandbox/hotprofile/reset")
        #expect(reset.status == 200)
        let (_, after, _, _) = try await list(f, "business_cards", [("search[from_id]", "3001"), ("search[to_id]", "3001")])
        #expect(after == before)
        let (_, _, all, _) = try await list(f, "business_cards", [])
        #expect(all["total_count"] == 330)
    }

    // MARK: seed and faults

    @Test func seedIsDeterministicAndReferentiallySound() {
        let a = HPSeed.make(), b = HPSeed.make()
        #expect(a.clients.count == 320 && a.cards.count == 330 && a.leads.count == 345)
        for e in HPEntity.allCases {
            #expect(a.records(e).map { a.render(e, $0) } == b.records(e).map { b.render(e, $0) })
        }
        let clientIDs = Set(a.clients.map(\.id))
        let limit = UTCTime(epochMillis: 1_736_933_400_000).epochMillis
        for r in a.cards + a.leads {
            #expect(clientIDs.contains(r.int("client_id") ?? 0))
            #expect(!(r.string("family_name_kana") ?? "").isEmpty && !(r.string("first_name_kana") ?? "").isEmpty)
            #expect(r.createdAt <= r.updatedAt && r.updatedAt < limit)
        }
        #expect(Set(a.clients.compactMap { $0.string("name") }).count == 320)
        for c in a.clients {
            let digits = String(c.int("corporate_number") ?? 0)
            #expect(digits.count == 13)
            let base = digits.dropFirst()
            let sum = base.reversed().enumerated().reduce(0) { $0 + Int(String($1.element))! * ($1.offset % 2 == 0 ? 1 : 2) }
            #expect(Int(String(digits.first!)) == 9 - sum % 9)
        }
    }

    @Test func faultsUseTheErrorShape() async throws {
        let f = try SandboxFixture(["hotprofile"])
        _ = try await f.setFault("hotprofile", ["mode": "rate_limit", "count": 1])
        let (limited, lj) = try await post(f, Self.leads + "get_entry_list_flow" + Self.query([]))
        #expect(limited.status == 429)
        #expect(limited.headers["Retry-After"] == "60")
        #expect(lj["errors"]?[0]?["code"] == "rate_limited")
        _ = try await f.setFault("hotprofile", ["mode": "status", "status": 503, "count": 1])
        let (down, dj) = try await post(f, Self.leads + "get_entry_list_flow" + Self.query([]))
        #expect(down.status == 503)
        #expect(dj == ["errors": [["code": "service_unavailable", "message": "Injected fault"]]])
        let (fine, _) = try await post(f, Self.leads + "get_entry_list_flow" + Self.query([]))
        #expect(fine.status == 200)
    }

    @Test func aBodyThatDoesNotParseIs400() async throws {
        let f = try SandboxFixture(["hotprofile"])
        let r = try await f.call("hotprofile", "POST", Self.clients + "create", headers: [("Content-Type", "application/json")],
                                 body: Array("{\"api_key\": ".utf8))
        #expect(r.status == 400)
        #expect(try f.json(r)["errors"]?[0]?["code"] == "bad_request")
    }
}
