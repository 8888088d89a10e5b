import GatewayCore

/// The 40-character custom field keys the seed uses (v2 `custom_fields{}`).
public enum PDCustomFields {
    public static let personLanguage = "3c8e0f6a1d92b47e5a0c6d18f2b9e4a7c1d05f36"
    public static let personChatHandle = "9d41b7e2c06a58f3e1d4b2a97c60e8f5d3a1b742"
    public static let orgIndustry = "e7a2c4f1b9d3e6a08c5f2b7d1e4a9c3f6b0d8e25"
    public static let orgEmployees = "b06d3f9a2e8c1b5d7a4e0f3c9b2d6e8a1f5c7d40"
    public static let dealRegion = "41f9c2e7a0b5d83c6e1f4a9b2d7c0e5f8a3b6d19"
    /// A monetary field: `{"value": 1200000, "currency": "JPY"}`.
    public static let dealBudget = "c5e8a1d4f7b0c3e6a9d2f5b8e1c4a7d0f3b6e9c2"
}

/// Builds the seeded state from a fixed-seed PRNG: the same data on every run. All times
/// fall before the test fixture's clock (2025-01-15T09:30:00Z); update times are spread so
/// `updated_since` filters select a real subset.
enum PipedriveSeed {
    static let counts = (organizations: 320, persons: 360, deals: 340, activities: 330, notes: 320)
    /// 2023-03-01 .. 2025-01-15T08:00:00Z.
    static let earliest = UTCTime(year: 2023, month: 3, day: 1)!.epochMillis
    static let latest = UTCTime(year: 2025, month: 1, day: 15, hour: 8)!.epochMillis

    struct Org {
        let id: Int
        let name: String
        let short: String
        let domain: String
        let country: PDSeedData.Country
        let owner: Int
        let address: JSON
    }

    struct Person {
        let id: Int
        let name: String
        let org: Org?
        let owner: Int
    }

    static func make() -> PipedriveState {
        var r = PDRandom(seed: 0x0050_1ED0_2025_0115)
        var tables: [PDKind: PDTable] = [:]
        for kind in PDKind.allCases { tables[kind] = PDTable(firstID: 1) }
        var state = PipedriveState(tables: tables)
        pipelines(&state)
        let orgs = organizations(&state, &r)
        let people = persons(&state, &r, orgs)
        deals(&state, &r, orgs, people)
        activities(&state, &r, people)
        notes(&state, &r, people)
        return state
    }

    // MARK: helpers

    static func time(_ r: inout PDRandom, from: Int64, to: Int64) -> Int64 {
        guard to > from else { return from }
        let span = (to - from) / 1000
        return from + Int64(r.int(0...Int(span))) * 1000
    }

    /// An update time after `add`: a third of records changed in the last six weeks.
    static func updated(_ r: inout PDRandom, after add: Int64) -> Int64 {
        let recent = latest - 42 * 86_400_000
        if r.chance(33) { return time(&r, from: max(add, recent), to: latest) }
        return time(&r, from: add, to: min(latest, add + 200 * 86_400_000))
    }

    static func rfc(_ ms: Int64) -> JSON { .string(UTCTime(epochMillis: ms).rfc3339) }

    static func digits(_ r: inout PDRandom, _ n: Int) -> String {
        var s = ""
        for _ in 0..<n { s += String(r.int(0...9)) }
        return s
    }

    static func shuffled<T>(_ items: [T], _ r: inout PDRandom) -> [T] {
        var a = items
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, r.int(0...i)) }
        return a
    }

    // MARK: pipelines and stages

    static func pipelines(_ state: inout PipedriveState) {
        let defs: [(String, Bool, [(String, Int)])] = [
            ("Sales pipeline", true, [("Qualified", 10), ("Contact made", 20), ("Demo scheduled", 40),
                                      ("Proposal made", 60), ("Negotiations started", 80), ("Contract sent", 90)]),
            ("Enterprise", true, [("Discovery", 10), ("Solution design", 30), ("Proposal", 50), ("Legal review", 75), ("Closing", 90)]),
            ("Partner channel (APAC)", false, [("Lead in", 10), ("Partner vetting", 25), ("Joint pitch", 50),
                                               ("Commercials", 70), ("Signed", 100)]),
        ]
        let base = UTCTime(year: 2022, month: 11, day: 7, hour: 2)!.epochMillis
        for (p, (name, probability, stages)) in defs.enumerated() {
            let t = base + Int64(p) * 86_400_000
            _ = state[.pipeline].insert(["name": .string(name), "order_nr": .int(p + 1), "is_deleted": false,
                                         "is_deal_probability_enabled": .bool(probability), "add_time": rfc(t),
                                         "update_time": rfc(t + 3_600_000)])
            for (i, (stage, chance)) in stages.enumerated() {
                _ = state[.stage].insert(["order_nr": .int(i + 1), "name": .string(stage), "is_deleted": false,
                                          "deal_probability": .int(chance), "pipeline_id": .int(p + 1),
                                          "is_deal_rot_enabled": .bool(i < 2), "days_to_rotten": i < 2 ? 30 : nil,
                                          "add_time": rfc(t), "update_time": rfc(t + 3_600_000)])
            }
        }
    }

    // MARK: organizations

    static func organizations(_ state: inout PipedriveState, _ r: inout PDRandom) -> [Org] {
        typealias D = PDSeedData
        var specs: [(String, String, String, D.Country)] = []  // name, short, domain, country
        var jp: [(String, String, String, D.Country)] = []
        for s in D.jpStems {
            for i in D.jpIndustries {
                let kanji = "\(s.1)\(i.1)株式会社"
                let romaji = "\(s.0) \(i.0) Co., Ltd."
                let useKanji = (s.2.count + i.2.count) % 2 == 0
                jp.append((useKanji ? kanji : romaji, "\(s.0) \(i.0)", "\(s.2)-\(i.2).co.jp", .japan))
            }
        }
        var vn: [(String, String, String, D.Country)] = []
        for s in D.vnStems {
            for i in D.vnIndustries {
                for (kind, tag) in [("TNHH", ""), ("Cổ phần", "jsc")] {
                    vn.append(("Công ty \(kind) \(i.0) \(s.0)", "\(s.0) \(i.0)", "\(s.1)\(i.1)\(tag).vn", .vietnam))
                }
            }
        }
        var us: [(String, String, String, D.Country)] = []
        for s in D.usStems {
            for (k, i) in D.usIndustries.enumerated() {
                let slug = (s + i).lowercased().filter { $0 != " " }
                us.append(("\(s) \(i) \(D.usSuffixes[(k + s.count) % 3])", "\(s) \(i)", "\(slug).com", .us))
            }
        }
        specs += shuffled(jp, &r).prefix(120)
        specs += shuffled(vn, &r).prefix(100)
        specs += shuffled(us, &r).prefix(counts.organizations - 220)
        specs = shuffled(specs, &r)
        var out: [Org] = []
        for (name, short, domain, country) in specs {
            let owner = r.pick(PDCompany.users).id
            let address = address(&r, country)
            let add = time(&r, from: earliest, to: latest - 30 * 86_400_000)
            let employees = r.pick([12, 35, 80, 150, 420, 1200, 5400])
            let row: JSONObject = [
                "name": .string(name), "owner_id": .int(owner), "add_time": rfc(add), "update_time": rfc(updated(&r, after: add)),
                "is_deleted": false, "visible_to": r.chance(80) ? 3 : 7, "address": address,
                "label_ids": r.chance(30) ? [.int(r.int(1...3))] : [],
                "custom_fields": [PDCustomFields.orgIndustry: .string(r.pick(PDSeedData.industriesEN)),
                                  PDCustomFields.orgEmployees: .int(employees)],
            ]
            let id = state[.organization].insert(row)
            out.append(Org(id: id, name: name, short: short, domain: domain, country: country, owner: owner, address: address))
        }
        return out
    }

    static func address(_ r: inout PDRandom, _ country: PDSeedData.Country) -> JSON {
        switch country {
        case .japan:
            let p = r.pick(PDSeedData.jpPlaces)
            let street = r.pick(p.3)
            let number = "\(r.int(1...4))-\(r.int(1...20))-\(r.int(1...12))"
            let postal = "\(p.4)-\(digits(&r, 4))"
            return ["value": .string("\(number) \(street), \(p.2), \(p.0) \(postal), Japan"), "country": "Japan",
                    "admin_area_level_1": .string(p.1), "locality": .string(p.0), "sublocality": .string(p.2),
                    "route": .string(street), "street_number": .string(number), "postal_code": .string(postal)]
        case .vietnam:
            let p = r.pick(PDSeedData.vnPlaces)
            let street = r.pick(p.3)
            let number = String(r.int(1...220))
            return ["value": .string("\(number) \(street), \(p.2), \(p.0), Việt Nam"), "country": "Vietnam",
                    "admin_area_level_1": .string(p.1), "locality": .string(p.0), "sublocality": .string(p.2),
                    "route": .string(street), "street_number": .string(number), "postal_code": .string(p.4)]
        case .us:
            let p = r.pick(PDSeedData.usPlaces)
            let street = r.pick(p.3)
            let number = String(r.int(100...2999))
            let postal = p.4 + digits(&r, 2)
            return ["value": .string("\(number) \(street), \(p.0), \(p.1) \(postal), USA"), "country": "United States",
                    "admin_area_level_1": .string(p.1), "locality": .string(p.0), "sublocality": .string(p.2),
                    "route": .string(street), "street_number": .string(number), "postal_code": .string(postal)]
        }
    }
}
