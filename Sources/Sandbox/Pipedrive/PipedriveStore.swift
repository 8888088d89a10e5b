import GatewayCore

/// One kind's records by id, in id order. Deletes are soft (`is_deleted` / `active_flag`),
/// as Pipedrive keeps deleted records for 30 days.
struct PDTable: Sendable {
    private(set) var rows: [Int: JSONObject] = [:]
    private(set) var ids: [Int] = []
    var nextID: Int

    init(firstID: Int) { nextID = firstID }

    subscript(id: Int) -> JSONObject? {
        get { rows[id] }
        set {
            guard let newValue else { return }
            if rows[id] == nil { ids.append(id) }
            rows[id] = newValue
            nextID = max(nextID, id + 1)
        }
    }

    /// Stores `row` under a new id (set as `row["id"]`).
    mutating func insert(_ row: JSONObject) -> Int {
        let id = nextID
        var r = row
        r["id"] = .int(id)
        self[id] = r
        return id
    }

    /// Every record, deleted ones included, in id order.
    var all: [JSONObject] { ids.compactMap { rows[$0] } }
}

/// A Pipedrive user (owner ids point here).
struct PDUser: Sendable {
    let id: Int
    let name: String
    let email: String

    var json: JSON {
        ["id": .int(id), "name": .string(name), "email": .string(email), "has_pic": 0, "pic_hash": nil,
         "active_flag": true, "value": .int(id)]
    }
}

/// A `/v1/webhooks` subscription.
struct PDWebhook: Sendable {
    var id: Int
    var userID: Int
    var eventAction: String
    var eventObject: String
    var url: String
    var version: String
    var name: String
    var httpAuthUser: String?
    var httpAuthPassword: String?
    var addTime: UTCTime

    func json(companyID: Int) -> JSON {
        ["id": .int(id), "company_id": .int(companyID), "owner_id": .int(userID), "user_id": .int(userID),
         "event_action": .string(eventAction), "event_object": .string(eventObject), "subscription_url": .string(url),
         "version": .string(version), "is_active": 1, "add_time": .string(addTime.rfc3339Millis), "remove_time": nil,
         "type": "general", "http_auth_user": JSON(httpAuthUser), "http_auth_password": JSON(httpAuthPassword),
         "remove_reason": nil, "last_delivery_time": nil, "last_http_status": nil, "admin_id": .int(userID),
         "name": .string(name)]
    }
}

/// Everything `reset()` restores.
struct PipedriveState: Sendable {
    var tables: [PDKind: PDTable]
    var webhooks: [PDWebhook] = []
    var nextWebhookID = 1

    subscript(kind: PDKind) -> PDTable {
        get { tables[kind]! }
        set { tables[kind] = newValue }
    }

    /// A live (not deleted) record.
    func live(_ kind: PDKind, _ id: Int) -> JSONObject? {
        guard let r = self[kind][id], !PipedriveState.isDeleted(kind, r) else { return nil }
        return r
    }

    static func isDeleted(_ kind: PDKind, _ row: JSONObject) -> Bool {
        kind == .note ? row["active_flag"] == .bool(false) : row["is_deleted"] == .bool(true)
    }
}

/// The seed's company: the token's user is `users[0]` (an admin).
enum PDCompany {
    static let id = 7_215_903
    static let host = "sandbox-company.pipedrive.com"
    static let users: [PDUser] = [
        PDUser(id: 21_504_301, name: "Haruka Sato", email: "haruka.sato@bridgeline-crm.example"),
        PDUser(id: 21_504_302, name: "Nguyễn Minh Anh", email: "minhanh.nguyen@bridgeline-crm.example"),
        PDUser(id: 21_504_303, name: "Emily Carter", email: "emily.carter@bridgeline-crm.example"),
        PDUser(id: 21_504_304, name: "Kenji Watanabe", email: "kenji.watanabe@bridgeline-crm.example"),
    ]
    static var apiUser: PDUser { users[0] }
    static func user(_ id: Int) -> PDUser? { users.first { $0.id == id } }

    static let activityTypes = ["call", "meeting", "task", "deadline", "email", "lunch"]
}

/// SplitMix64: the seed's only source of variety, so every run builds the same data.
struct PDRandom: Sendable {
    private var core: SplitMix64

    init(seed: UInt64) { core = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { core.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }

    /// A random (version 4) UUID, lowercase.
    mutating func uuid() -> String {
        let hex = Array("0123456789abcdef")
        var a = next(), b = next()
        a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var s = ""
        for (i, word) in [a, b].enumerated() {
            for k in 0..<16 {
                let n = Int((word >> UInt64(60 - k * 4)) & 0xF)
                let pos = i * 16 + k
                if pos == 8 || pos == 12 || pos == 16 || pos == 20 { s.append("-") }
                s.append(hex[n])
            }
        }
        return s
    }
}
