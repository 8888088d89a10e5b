import GatewayCore

/// Persons, deals, activities and notes of the seed (organizations and pipelines are in
/// `PipedriveSeed.swift`).
extension PipedriveSeed {
    static func persons(_ state: inout PipedriveState, _ r: inout PDRandom, _ orgs: [Org]) -> [Person] {
        typealias D = PDSeedData
        var used = Set<String>()
        var out: [Person] = []
        for _ in 0..<counts.persons {
            let org: Org? = r.chance(92) ? r.pick(orgs) : nil
            let country = org?.country ?? r.pick(D.Country.allCases)
            var first: String, last: String, display: String, local: String, title: String
            var language: String, handle: JSON = .null
            switch country {
            case .japan:
                let f = r.pick(D.jpFamily), g = r.pick(D.jpGiven)
                if r.chance(50) { (first, last, display) = (g.1, f.1, "\(f.1) \(g.1)") } else { (first, last, display) = (g.0, f.0, "\(g.0) \(f.0)") }
                local = "\(g.0.prefix(1)).\(f.0)".lowercased()
                title = r.chance(50) ? r.pick(D.jobTitlesJP) : r.pick(D.jobTitles)
                language = "ja"
                if r.chance(40) { handle = .string("LINE: \(g.0.lowercased())_\(f.0.lowercased())") }
            case .vietnam:
                let f = r.pick(D.vnFamily), m = r.pick(D.vnMiddle), g = r.pick(D.vnGiven)
                (first, last, display) = (g.0, "\(f.0) \(m)", "\(f.0) \(m) \(g.0)")
                local = "\(g.1).\(f.1)"
                title = r.chance(50) ? r.pick(D.jobTitlesVN) : r.pick(D.jobTitles)
                language = "vi"
                if r.chance(40) { handle = .string("Zalo: 09\(digits(&r, 8))") }
            case .us:
                let g = r.pick(D.usFirst), f = r.pick(D.usLast)
                (first, last, display) = (g, f, "\(g) \(f)")
                local = r.chance(50) ? "\(g).\(f)".lowercased() : "\(g.prefix(1))\(f)".lowercased()
                title = r.pick(D.jobTitles)
                language = "en"
            }
            let domain = org?.domain ?? r.pick(["gmail.com", "outlook.com", "yahoo.co.jp"])
            var email = "\(local)@\(domain)"
            var n = 2
            while used.contains(email) { email = "\(local)\(n)@\(domain)"; n += 1 }
            used.insert(email)
            var emails: [JSON] = [["value": .string(email), "primary": true, "label": org == nil ? "home" : "work"]]
            if org != nil && r.chance(25) {
                emails.append(["value": .string("\(local.replacingDots())\(r.int(10...99))@gmail.com"), "primary": false, "label": "home"])
            }
            var phones: [JSON] = [["value": .string(phone(&r, country, mobile: false)), "primary": true, "label": "work"]]
            if r.chance(60) { phones.append(["value": .string(phone(&r, country, mobile: true)), "primary": false, "label": "mobile"]) }
            if r.chance(15) { phones.append(["value": .string(phone(&r, country, mobile: false)), "primary": false, "label": "home"]) }
            var custom: JSONObject = [PDCustomFields.personLanguage: .string(language)]
            if !handle.isNull { custom[PDCustomFields.personChatHandle] = handle }
            let owner = org?.owner ?? r.pick(PDCompany.users).id
            let add = time(&r, from: max(earliest, r.chance(50) ? earliest : earliest + 200 * 86_400_000), to: latest - 10 * 86_400_000)
            let row: JSONObject = [
                "name": .string(display), "first_name": .string(first), "last_name": .string(last), "owner_id": .int(owner),
                "org_id": org.map { .int($0.id) } ?? .null, "add_time": rfc(add), "update_time": rfc(updated(&r, after: add)),
                "emails": .array(emails), "phones": .array(phones), "is_deleted": false, "visible_to": r.chance(80) ? 3 : 7,
                "label_ids": r.chance(35) ? [.int(r.int(1...3))] : [], "picture_id": nil, "job_title": .string(title),
                "custom_fields": .object(custom),
            ]
            let id = state[.person].insert(row)
            out.append(Person(id: id, name: display, org: org, owner: owner))
        }
        return out
    }

    static func phone(_ r: inout PDRandom, _ country: PDSeedData.Country, mobile: Bool) -> String {
        switch country {
        case .japan:
            return mobile ? "+81 \(r.pick(["80", "90", "70"]))-\(digits(&r, 4))-\(digits(&r, 4))"
                : "+81 \(r.pick(["3", "6", "45", "52", "92"]))-\(digits(&r, 4))-\(digits(&r, 4))"
        case .vietnam:
            return mobile ? "+84 9\(r.int(0...8)) \(digits(&r, 3)) \(digits(&r, 4))"
                : "+84 \(r.pick(["24", "28", "236"])) 3\(digits(&r, 3)) \(digits(&r, 4))"
        case .us:
            // 555-0100..0199 are reserved for fiction.
            return "+1 \(r.pick(["415", "512", "206", "212", "312", "617"]))-555-01\(digits(&r, 2))"
        }
    }

    // MARK: deals

    static func deals(_ state: inout PipedriveState, _ r: inout PDRandom, _ orgs: [Org], _ people: [Person]) {
        let stagesByPipeline = Dictionary(grouping: state[.stage].all, by: { $0["pipeline_id"]?.intValue ?? 0 })
        for _ in 0..<counts.deals {
            let person: Person? = r.chance(85) ? r.pick(people) : nil
            let org = person?.org ?? (r.chance(90) ? r.pick(orgs) : nil)
            let country = org?.country ?? .us
            let product = r.pick(PDSeedData.products)
            let title = "\(org?.short ?? person?.name ?? "Direct") – \(product)"
            var currency: String
            switch country {
            case .japan: currency = "JPY"
            case .vietnam: currency = "VND"
            case .us: currency = "USD"
            }
            if r.chance(12) { currency = "EUR" }
            let value: Int
            switch currency {
            case "JPY": value = r.int(50...3000) * 10_000
            case "VND": value = r.int(50...2000) * 1_000_000
            default: value = r.int(40...2500) * 100
            }
            let roll = r.int(0...99)
            let pipeline = roll < 60 ? 1 : roll < 85 ? 2 : 3
            let stages = stagesByPipeline[pipeline] ?? []
            let stage = r.pick(stages)
            let statusRoll = r.int(0...99)
            let status = statusRoll < 55 ? "open" : statusRoll < 77 ? "won" : statusRoll < 95 ? "lost" : "deleted"
            let add = time(&r, from: earliest, to: latest - 20 * 86_400_000)
            var update = updated(&r, after: add)
            if status == "deleted" { update = time(&r, from: latest - 25 * 86_400_000, to: latest) }
            let closed = time(&r, from: add, to: update)
            let owner = person?.owner ?? org?.owner ?? PDCompany.apiUser.id
            let region: String = currency == "EUR" ? "EMEA" : country == .us ? "North America" : "APAC"
            var custom: JSONObject = [PDCustomFields.dealRegion: .string(region)]
            if r.chance(40) { custom[PDCustomFields.dealBudget] = ["value": .int(value / 100 * 120), "currency": .string(currency)] }
            let row: JSONObject = [
                "title": .string(title), "creator_user_id": .int(owner), "owner_id": .int(owner),
                "person_id": person.map { .int($0.id) } ?? .null, "org_id": org.map { .int($0.id) } ?? .null,
                "pipeline_id": .int(pipeline), "stage_id": stage["id"] ?? .null, "value": .int(value), "currency": .string(currency),
                "add_time": rfc(add), "update_time": rfc(update), "stage_change_time": rfc(time(&r, from: add, to: update)),
                "is_deleted": .bool(status == "deleted"), "is_archived": false, "archive_time": nil, "status": .string(status),
                "probability": r.chance(30) ? stage["deal_probability"] ?? .null : .null,
                "lost_reason": status == "lost" ? .string(r.pick(PDSeedData.lostReasons)) : .null,
                "visible_to": r.chance(85) ? 3 : 7,
                "close_time": status == "won" || status == "lost" ? rfc(closed) : .null,
                "won_time": status == "won" ? rfc(closed) : .null, "lost_time": status == "lost" ? rfc(closed) : .null,
                "expected_close_date": .string(UTCTime(epochMillis: add + Int64(r.int(30...240)) * 86_400_000).isoDate),
                "label_ids": [], "origin": "ManuallyCreated", "origin_id": nil, "channel": nil, "channel_id": nil,
                "source_lead_id": nil, "arr": nil, "mrr": nil, "acv": nil, "custom_fields": .object(custom),
            ]
            _ = state[.deal].insert(row)
        }
    }

    // MARK: activities

    static func activities(_ state: inout PipedriveState, _ r: inout PDRandom, _ people: [Person]) {
        let deals = state[.deal].all.filter { $0["is_deleted"] != .bool(true) }
        let from = UTCTime(year: 2024, month: 6, day: 1)!.epochMillis
        let to = UTCTime(year: 2025, month: 3, day: 31)!.epochMillis
        for _ in 0..<counts.activities {
            let deal: JSONObject? = r.chance(70) ? r.pick(deals) : nil
            let personID = deal?["person_id"]?.intValue ?? (deal == nil ? r.pick(people).id : nil)
            let person = personID.flatMap { id in people.first { $0.id == id } }
            let orgID = deal?["org_id"]?.intValue ?? person?.org?.id
            let type = r.pick(PDCompany.activityTypes)
            let who = person?.name ?? deal?["title"]?.stringValue ?? "client"
            let subject = "\(r.pick(PDSeedData.activitySubjects[type] ?? ["Follow-up"])) – \(who)"
            let due = time(&r, from: from, to: to)
            let add = min(latest - 86_400_000, due - Int64(r.int(1...30)) * 86_400_000)
            let update = updated(&r, after: add)
            let past = due < latest
            let done = past && r.chance(85)
            var row: JSONObject = [
                "subject": .string(subject), "type": .string(type), "owner_id": .int(person?.owner ?? r.pick(PDCompany.users).id),
                "creator_user_id": .int(r.pick(PDCompany.users).id), "is_deleted": false, "add_time": rfc(add),
                "update_time": rfc(done ? max(update, min(due + 3_600_000, latest)) : update),
                "deal_id": deal?["id"] ?? .null, "lead_id": nil, "person_id": personID.map { .int($0) } ?? .null,
                "org_id": orgID.map { .int($0) } ?? .null, "project_id": nil,
                "due_date": .string(UTCTime(epochMillis: due).isoDate),
                "due_time": r.chance(80) ? .string("\(UTCTime.pad(r.int(0...9)))\(r.chance(50) ? ":00" : ":30")") : nil,
                "duration": type == "meeting" || type == "lunch" ? .string(r.pick(["00:30", "01:00", "01:30"])) : "00:30",
                "busy": .bool(type == "meeting" || type == "lunch"), "done": .bool(done),
                "marked_as_done_time": done ? rfc(min(due + 3_600_000, latest)) : nil,
                "location": nil, "participants": personID.map { [["person_id": .int($0), "primary": true]] } ?? [],
                "attendees": [], "public_description": nil, "priority": nil,
                "note": r.chance(30) ? .string("<p>Agenda: next steps and timeline.</p>") : nil,
            ]
            if type == "meeting", let o = orgID, let org = state[.organization][o] { row["location"] = org["address"] ?? .null }
            _ = state[.activity].insert(row)
        }
    }

    // MARK: notes

    static func notes(_ state: inout PipedriveState, _ r: inout PDRandom, _ people: [Person]) {
        let deals = state[.deal].all
        let orgs = state[.organization].all
        for _ in 0..<counts.notes {
            var row: JSONObject = ["active_flag": true]
            for f in ["lead_id", "deal_id", "last_update_user_id", "org_id", "person_id", "project_id"] { row[f] = .null }
            for pin in PipedriveEmulator.notePins { row[pin] = false }
            let roll = r.int(0...99)
            var name = "the client"
            var product = r.pick(PDSeedData.products)
            if roll < 58 {
                let d = r.pick(deals)
                row["deal_id"] = d["id"] ?? .null
                row["person_id"] = d["person_id"] ?? .null
                row["org_id"] = d["org_id"] ?? .null
                row["pinned_to_deal_flag"] = .bool(r.chance(10))
                if let t = d["title"]?.stringValue, let dash = t.firstRange(of: " – ") { product = String(t[dash.upperBound...]) }
                if let p = d["person_id"]?.intValue { name = people[p - 1].name }
            } else if roll < 83 {
                let p = r.pick(people)
                row["person_id"] = .int(p.id)
                row["org_id"] = p.org.map { .int($0.id) } ?? .null
                row["pinned_to_person_flag"] = .bool(r.chance(10))
                name = p.name
            } else if roll < 96 {
                let o = r.pick(orgs)
                row["org_id"] = o["id"] ?? .null
                name = o["name"]?.stringValue ?? name
            } else {
                row["lead_id"] = .string(r.uuid())
            }
            row["content"] = .string(r.pick(PDSeedData.noteTemplates).replacing("{name}", with: name).replacing("{product}", with: product))
            let user = r.pick(PDCompany.users).id
            let add = time(&r, from: earliest, to: latest - 86_400_000)
            let update = r.chance(60) ? add : updated(&r, after: add)
            row["add_time"] = .string(UTCTime(epochMillis: add).sqlDateTime)
            row["update_time"] = .string(UTCTime(epochMillis: update).sqlDateTime)
            row["user_id"] = .int(user)
            row["last_update_user_id"] = .int(user)
            _ = state[.note].insert(row)
        }
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(filter { $0 != "." }) }
}
