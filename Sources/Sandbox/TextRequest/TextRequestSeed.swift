import GatewayCore
/// The deterministic starting state (a fixed-seed SplitMix64; nothing depends on the run).
///
/// - Dashboard 1 "Sandbox Dashboard", phone 14235550100: 420 contacts (ids 6401-6820, created
///   2024-01-02 ... 2024-12-20 in id order), numbers `1{423,615,212,415,865,901,312,617,206,512}555{0110-0151}`
///   (contact i gets area code `i % 10` and line `0110 + i / 10`). About four in five (over 300)
///   have a conversation of 1-12 messages; contacts 3, 57 and 211 (ids 6404, 6458, 6612) have 150, 120 and
///   105. 6 contacts opted out by texting STOP (archived), about 4% more archived, 5 blocked,
///   4 suppressed. 6 groups (ids 40470-40475, the last a keyword group), 6 tags and 3 custom
///   fields ("Email", "Customer Number", "Preferred Store") with values on some contacts.
/// - Dashboard 2 "Sandbox Support Line", phone 16155550100: 40 contacts
///   (`1{615,865,901,423}555{0150-0159}`), 2 groups, 2 tags, 1 field ("Order Number").
/// - No hooks. All times before 2025-01-15T08:00:00Z.
enum TextRequestSeed {
    static let start = UTCTime(year: 2024, month: 1, day: 2, hour: 14)!.epochMillis
    static let lastCreated = UTCTime(year: 2024, month: 12, day: 20)!.epochMillis
    static let end = UTCTime(year: 2025, month: 1, day: 15, hour: 8)!.epochMillis
    static let areas1 = ["423", "615", "212", "415", "865", "901", "312", "617", "206", "512"]
    static let areas2 = ["615", "865", "901", "423"]
    static let longConversations: [Int: Int] = [3: 150, 57: 120, 211: 105]
    static let optedOut: Set<Int> = [12, 48, 95, 160, 233, 301]
    static let blocked: Set<Int> = [21, 88, 142, 250, 318]
    static let suppressed: Set<Int> = [30, 77, 199, 280]

    static func pad4(_ n: Int) -> String { UTCTime.pad(n, 4) }

    static func make() -> TRState {
        var s = TRState()
        var d1 = TRDashboard(id: 1, name: "Sandbox Dashboard", phone: "14235550100")
        for (i, g) in TRSeedData.groups.enumerated() {
            d1.groups.append(TRGroup(id: s.nextGroupID, name: g.name, notes: g.notes, isKeyword: g.keyword,
                                     lastMessageSent: i == 3 ? nil : end - Int64(i + 1) * 86_400_000 * 9))
            s.nextGroupID += 1
        }
        for t in TRSeedData.tags { d1.tags.append(TRTag(id: s.uuid(), tag: t.name, color: t.color)) }
        for name in ["Email", "Customer Number", "Preferred Store"] { d1.fields.append(TRField(id: s.uuid(), name: name)) }
        s.nextDashboardID = 2
        for i in 0..<420 {
            let phone = "1" + areas1[i % 10] + "555" + pad4(110 + i / 10)
            let created = start + (lastCreated - start) / 420 * Int64(i) + Int64(s.random.int(3_600_000))
            var c = makeContact(&s, index: i, phone: phone, created: created, dashboard: d1)
            if suppressed.contains(i) {
                c.isSuppressed = true
                c.suppressedReason = "Contact asked not to be texted."
            }
            if blocked.contains(i) { c.isBlocked = true }
            d1.contacts[phone] = c
        }
        s.dashboards[1] = d1

        var d2 = TRDashboard(id: 2, name: "Sandbox Support Line", phone: "16155550100")
        for (name, notes) in [("Warranty Claims", "Open warranty cases."), ("Installers", nil as String?)] {
            d2.groups.append(TRGroup(id: s.nextGroupID, name: name, notes: notes, lastMessageSent: end - 86_400_000 * 3))
            s.nextGroupID += 1
        }
        for (name, color) in [("Urgent", "#E74C3C"), ("Parts On Order", "#F39C12")] {
            d2.tags.append(TRTag(id: s.uuid(), tag: name, color: color))
        }
        d2.fields.append(TRField(id: s.uuid(), name: "Order Number"))
        s.nextDashboardID = 3
        for i in 0..<40 {
            let phone = "1" + areas2[i % 4] + "555" + pad4(150 + i / 4)
            let created = start + (lastCreated - start) / 40 * Int64(i) + Int64(s.random.int(3_600_000))
            d2.contacts[phone] = makeContact(&s, index: 1000 + i, phone: phone, created: created, dashboard: d2)
        }
        s.dashboards[2] = d2
        return s
    }

    /// One contact with its names, memberships, field values and conversation.
    static func makeContact(_ s: inout TRState, index i: Int, phone: String, created: Int64, dashboard d: TRDashboard) -> TRContact {
        var c = TRContact(id: s.nextContactID, phone: phone, created: created)
        s.nextContactID += 1
        let first = s.random.pick(TRSeedData.firstNames)
        let last = s.random.pick(TRSeedData.lastNames)
        if !s.random.chance(6) {
            c.firstName = first
            c.lastName = last
            c.displayName = first + " " + last
        }
        if s.random.chance(20) { c.note = s.random.pick(TRSeedData.notes) }
        for _ in 0..<s.random.int(3) {
            let g = s.random.pick(d.groups).id
            if !c.groups.contains(g) { c.groups.append(g) }
        }
        for _ in 0..<s.random.int(3) {
            let t = s.random.pick(d.tags).id
            if !c.tags.contains(t) { c.tags.append(t) }
        }
        for (k, f) in d.fields.enumerated() where s.random.chance([40, 30, 20][k % 3]) {
            let value: String
            switch f.name {
            case "Email": value = (c.firstName ?? "contact").lowercased() + "." + (c.lastName ?? String(i)).lowercased() + "@example.com"
            case "Preferred Store": value = s.random.pick(TRSeedData.stores)
            default: value = "C-\(10000 + i * 7)"
            }
            c.fields.append(TRFieldValue(id: f.id, value: value))
        }
        let count = longConversations[i] ?? (optedOut.contains(i) || s.random.chance(80) ? 1 + s.random.int(12) : 0)
        if count > 0 { addConversation(&s, &c, count: count, optOut: optedOut.contains(i)) }
        if !c.messages.isEmpty && c.optedOut == nil && s.random.chance(4) { c.isArchived = true }
        return c
    }

    /// `count` messages between the contact's creation and `end`, then the stats they imply.
    static func addConversation(_ s: inout TRState, _ c: inout TRContact, count: Int, optOut: Bool) {
        let from = c.created + 3_600_000
        let window = end - 3_600_000 - from
        var times = (0..<count).map { _ in from + Int64(s.random.next() % UInt64(window)) }
        times.sort()
        var direction = s.random.chance(60) ? "S" : "R"
        let first = c.firstName ?? "there"
        for (k, t) in times.enumerated() {
            if k > 0 && s.random.chance(70) { direction = direction == "S" ? "R" : "S" }
            var text = direction == "S"
                ? s.random.pick(TRSeedData.outbound).replacing("{first}", with: first)
                : s.random.pick(TRSeedData.inbound)
            var status = "delivered"
            var error: String?
            if optOut && k == count - 1 {
                direction = "R"
                text = "STOP"
            } else if direction == "S" && s.random.chance(5) {
                (status, error) = s.random.chance(60) ? ("undelivered", "30003") : ("failed", "30005")
            }
            let media = s.random.chance(3) ? ["https://textrequeststorage.com/182739/\(s.uuid()).jpeg"] : []
            let m = TRMessage(id: s.uuid(), body: text, direction: direction,
                              username: direction == "S" ? s.random.pick(TRSeedData.agents) : nil,
                              millis: t, status: status, error: error, media: media, seq: s.seq())
            if direction == "S" {
                if c.messages.last?.direction == "R" { c.responseCount += 1 }
                c.totalSent += 1
                c.lastSent = t
            } else {
                c.totalReceived += 1
                c.lastReceived = t
            }
            c.messages.append(m)
        }
        c.firstContact = times.first
        if optOut {
            c.optedOut = times.last
            c.isArchived = true
        }
        c.isResolved = c.messages.last?.direction == "S" || !s.random.chance(80)
    }
}
