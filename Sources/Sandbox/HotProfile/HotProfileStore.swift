import GatewayCore

/// The three listable kinds, named as in the paths (`/rest_api/v1/<entity>/...`) and as the
/// list envelope's key.
enum HPEntity: String, CaseIterable, Sendable {
    case businessCards = "business_cards"
    case clients
    case leads

    /// `page[display_number]`: 1-1000 for cards and clients, "up to 100" for leads (FACTS 3.3).
    var maxDisplayNumber: Int { self == .leads ? 100 : 1000 }

    /// `order[key]` values. Leads spell them `create_at`/`update_at` (sic, the swagger);
    /// for clients the swagger only says "Over", so `id`/`updated_at` is a guess.
    var orderKeys: [String] {
        switch self {
        case .businessCards: ["id", "trade_on", "updated_at"]
        case .clients: ["id", "updated_at"]
        case .leads: ["id", "create_at", "update_at"]
        }
    }
}

/// One stored record: its write fields (canonical JSON: text as strings, ids as ints, flags as
/// bools, coordinates as decimal strings, unset as null) plus seed-only attributes
/// (`post` of cards, `address1..3`, `tag_ids`, `items`, ...), and its timestamps.
struct HPRecord: Sendable {
    var id: Int
    var fields: [String: JSON]
    var createdAt: Int64
    var updatedAt: Int64

    subscript(key: String) -> JSON? {
        get { fields[key] }
        set { fields[key] = newValue }
    }

    func string(_ key: String) -> String? { fields[key]?.stringValue }
    func int(_ key: String) -> Int? { fields[key]?.intValue }
    func ints(_ key: String) -> [Int] { fields[key]?.arrayValue?.compactMap(\.intValue) ?? [] }
}

/// Everything the emulator holds. A value: `reset()` copies the seeded one back.
struct HPState: Sendable {
    var clients: [HPRecord] = []
    var cards: [HPRecord] = []
    var leads: [HPRecord] = []
    var nextID: [HPEntity: Int] = [:]

    func records(_ e: HPEntity) -> [HPRecord] {
        switch e {
        case .businessCards: cards
        case .clients: clients
        case .leads: leads
        }
    }

    func find(_ e: HPEntity, _ id: Int) -> HPRecord? { records(e).first { $0.id == id } }

    func client(_ id: Int?) -> HPRecord? { id.flatMap { find(.clients, $0) } }

    /// Whether `id` is registered in `table` (the write operations accept only those).
    func exists(_ table: HPTable, _ id: Int) -> Bool {
        switch table {
        case .clients: client(id) != nil
        case .departments: HPRef.department(id) != nil
        case .prefectures: HPRef.prefecture(id) != nil
        case .users: HPRef.user(id) != nil
        case .leadSources: HPRef.name(HPRef.leadSources, id) != nil
        case .leadStatuses: HPRef.name(HPRef.leadStatuses, id) != nil
        case .businessCategories: HPRef.name(HPRef.businessCategories, id) != nil
        case .workerNumbers: HPRef.name(HPRef.workerNumbers, id) != nil
        case .capitals: HPRef.name(HPRef.capitals, id) != nil
        case .ipos: HPRef.name(HPRef.ipos, id) != nil
        }
    }

    /// Stores a new record and returns its id.
    mutating func insert(_ e: HPEntity, fields: [String: JSON], now: Int64) -> Int {
        let id = nextID[e] ?? 1
        nextID[e] = id + 1
        let r = HPRecord(id: id, fields: fields, createdAt: now, updatedAt: now)
        switch e {
        case .businessCards: cards.append(r)
        case .clients: clients.append(r)
        case .leads: leads.append(r)
        }
        return id
    }

    /// Applies `changes` to record `id`; false if there is none.
    mutating func update(_ e: HPEntity, id: Int, changes: [String: JSON], now: Int64) -> Bool {
        func apply(_ list: inout [HPRecord]) -> Bool {
            guard let i = list.firstIndex(where: { $0.id == id }) else { return false }
            for (k, v) in changes { list[i].fields[k] = v }
            list[i].updatedAt = now
            return true
        }
        switch e {
        case .businessCards: return apply(&cards)
        case .clients: return apply(&clients)
        case .leads: return apply(&leads)
        }
    }
}

/// HotProfile's timestamps are Japan time (the samples' `2018/10/19 17:54:06`); stored times are UTC.
enum HPTime {
    static let jstOffsetMillis: Int64 = 9 * 3600 * 1000

    /// `yyyy/mm/dd HH:MM:SS` in JST.
    static func dateTime(_ millis: Int64) -> String { UTCTime(epochMillis: millis + jstOffsetMillis).slashDateTime }

    /// `yyyy/mm/dd` in JST.
    static func date(_ millis: Int64) -> String { UTCTime(epochMillis: millis + jstOffsetMillis).slashDate }

    /// A `yyyy/mm/dd` (or `yyyy-mm-dd`) date normalised to `yyyy/mm/dd`; nil if it is not a date.
    static func normalizedDate(_ text: String) -> String? {
        guard text.utf8.count == 10, let t = UTCTime(parsing: text) else { return nil }
        return t.slashDate
    }

    /// A JST `yyyy/mm/dd HH:MM:SS` (or a bare date, meaning midnight) as UTC epoch millis.
    static func parseDateTime(_ text: String) -> Int64? {
        guard text.utf8.count == 10 || text.utf8.count == 19, let t = UTCTime(parsing: text) else { return nil }
        return t.epochMillis - jstOffsetMillis
    }
}
