import GatewayCore

/// One SMS/MMS in a conversation (FACTS 2.5 "message").
struct TRMessage: Sendable {
    var id: String
    var body: String
    /// "R" received from the contact, "S" sent from the dashboard.
    var direction: String
    /// The sender name for "S" (`sender_name`, default "API"); nil for "R".
    var username: String?
    var millis: Int64
    var status: String
    var error: String?
    var media: [String]
    /// Global insertion order, to break ties between equal timestamps.
    var seq: Int
    /// The send's `status_callback` (also told about later status changes).
    var callback: String? = nil

    var json: JSON {
        ["message_id": .string(id), "body": .string(body), "message_direction": .string(direction),
         "response_by_username": JSON(username),
         "message_timestamp_utc": .string(UTCTime(epochMillis: millis).rfc3339Millis),
         "delivery_status": .string(status), "delivery_error": JSON(error),
         "mms_media": .array(media.map { .string($0) })]
    }
}

struct TRFieldValue: Sendable, Equatable {
    var id: String
    var value: String
}

/// A contact of one dashboard, keyed by its 11-digit phone number.
struct TRContact: Sendable {
    /// `ContactId` in `contact_created` webhooks; also the conversation id in message webhooks.
    var id: Int
    var phone: String
    var firstName: String?
    var lastName: String?
    var displayName: String?
    var isSuppressed = false
    var isArchived = false
    var isBlocked = false
    var suppressedReason: String?
    var note: String?
    var groups: [Int] = []
    var tags: [String] = []
    var fields: [TRFieldValue] = []
    var isResolved = true
    var created: Int64
    var firstContact: Int64?
    var optedOut: Int64?
    var lastSent: Int64?
    var lastReceived: Int64?
    var totalSent = 0
    var totalReceived = 0
    var responseCount = 0
    /// Oldest first.
    var messages: [TRMessage] = []

    init(id: Int, phone: String, created: Int64) {
        self.id = id
        self.phone = phone
        self.created = created
    }

    var lastMessage: TRMessage? { messages.last }
    var lastContact: Int64? { messages.last?.millis }

    /// `ContactFriendlyName`, `consumerFriendlyName`.
    var friendlyName: String {
        if let d = displayName, !d.isEmpty { return d }
        return [firstName, lastName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    static func time(_ ms: Int64?) -> JSON { ms.map { .string(UTCTime(epochMillis: $0).rfc3339Millis) } ?? .null }

    /// The snake_case fields up to `opted_out_utc` (also the `contact_updated` payload).
    var editableJSON: JSONObject {
        ["phone_number": .string(phone), "first_name": JSON(firstName), "last_name": JSON(lastName),
         "display_name": JSON(displayName), "is_suppressed": .bool(isSuppressed), "is_archived": .bool(isArchived),
         "is_blocked": .bool(isBlocked), "suppressed_reason": JSON(suppressedReason), "note": JSON(note),
         "groups": .array(groups.map { .int($0) }), "contact_tags": .array(tags.map { .string($0) }),
         "custom_fields": .array(fields.map { ["id": .string($0.id), "value": .string($0.value)] }),
         "is_resolved": .bool(isResolved), "first_contact_utc": Self.time(firstContact),
         "opted_out_utc": Self.time(optedOut)]
    }

    var json: JSON {
        var o = editableJSON
        o["last_msg_sent_utc"] = Self.time(lastSent)
        o["last_msg_received_utc"] = Self.time(lastReceived)
        o["total_msgs_sent"] = .int(totalSent)
        o["total_msgs_received"] = .int(totalReceived)
        o["response_count"] = .int(responseCount)
        o["date_created_utc"] = Self.time(created)
        o["last_contact_date_utc"] = Self.time(lastContact)
        o["last_message"] = lastMessage?.json ?? .null
        return .object(o)
    }
}

struct TRGroup: Sendable {
    var id: Int
    var name: String
    var notes: String?
    var isKeyword = false
    var lastMessageSent: Int64?

    func json(memberCount: Int) -> JSON {
        ["id": .int(id), "group_member_count": .int(memberCount), "is_keyword": .bool(isKeyword),
         "name": .string(name), "notes": JSON(notes), "last_message_sent_utc": TRContact.time(lastMessageSent)]
    }
}

struct TRTag: Sendable {
    var id: String
    var tag: String
    var color: String

    var json: JSON { ["id": .string(id), "tag_color": .string(color), "tag": .string(tag)] }
}

struct TRField: Sendable {
    var id: String
    var name: String

    var json: JSON { ["id": .string(id), "name": .string(name)] }
}

struct TRHook: Sendable {
    var id: Int
    var url: String
    var event: String
    var verb: String
    var dashboardID: Int
    var userDefined = false

    var json: JSON {
        ["id": .int(id), "target_url": .string(url), "event": .string(event), "dashboard_id": .int(dashboardID),
         "httpVerb": .string(verb), "is_user_defined": .bool(userDefined), "is_connected": true]
    }
}

struct TRDashboard: Sendable {
    var id: Int
    var name: String
    var phone: String
    var contacts: [String: TRContact] = [:]
    var groups: [TRGroup] = []
    var tags: [TRTag] = []
    var fields: [TRField] = []
    var hooks: [TRHook] = []
    /// The 1 msg/s send throttle: when the next message may go out without queueing.
    var nextSendSlot: Int64 = 0

    var json: JSON { ["id": .int(id), "name": .string(name), "phone": .string(phone)] }

    /// Contacts in creation order (contact id).
    var orderedContacts: [TRContact] { contacts.values.sorted { $0.id < $1.id } }

    func memberCount(_ group: Int) -> Int { contacts.values.reduce(0) { $0 + ($1.groups.contains(group) ? 1 : 0) } }
}

/// Everything the emulator holds; a value, so `reset()` is one assignment.
struct TRState: Sendable {
    var dashboards: [Int: TRDashboard] = [:]
    var nextDashboardID = 1
    var nextContactID = 6401
    var nextGroupID = 40470
    var nextHookID = 1301
    var nextSeq = 1
    var random = TRRandom(seed: 0x7E47_2E0E_5753_0003)

    mutating func uuid() -> String { random.uuid() }

    mutating func seq() -> Int {
        defer { nextSeq += 1 }
        return nextSeq
    }
}

/// SplitMix64: the seed's and the emulator's only source of "randomness" (deterministic).
struct TRRandom: Sendable {
    private var core: SplitMix64

    init(seed: UInt64) { core = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { core.next() }

    /// 0..<n.
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func chance(_ percent: Int) -> Bool { int(100) < percent }

    mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }

    /// A version-4-looking lowercase GUID.
    mutating func uuid() -> String {
        let hex = Array("0123456789abcdef")
        var out = ""
        let a = next(), b = next()
        for i in 0..<32 {
            var nibble = Int(((i < 16 ? a : b) >> UInt64((i % 16) * 4)) & 0xF)
            if i == 12 { nibble = 4 }
            if i == 16 { nibble = 8 | (nibble & 3) }
            if [8, 12, 16, 20].contains(i) { out.append("-") }
            out.append(hex[nibble])
        }
        return out
    }
}
