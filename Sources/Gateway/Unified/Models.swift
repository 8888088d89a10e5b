import GatewayCore

/// The unified model (§4). Every object renders the same members in the same order whatever
/// its source; a value the source does not have is `null` (or `[]` / `{}`), never missing,
/// so generated clients see one shape. `raw` (the upstream's object, untouched) is added only
/// for `?include=raw`.
public protocol UnifiedObject: Sendable {
    var id: UnifiedID { get }
    var raw: JSON? { get }
    /// The members after `id, source, kind, remote_id`.
    var fields: JSONObject { get }
}

extension UnifiedObject {
    public func json(includeRaw: Bool) -> JSON {
        var o: JSONObject = ["id": .string(id.description), "source": .string(id.source),
                             "kind": .string(id.kind), "remote_id": .string(id.remote)]
        for (k, v) in fields { o[k] = v }
        if includeRaw { o["raw"] = raw ?? .null }
        return .object(o)
    }
}

/// An e-mail address or phone number with its type (`work`, `home`, `mobile`, `other`, or the
/// upstream's label) and whether it is the primary one. Phones carry `original`, the number
/// as the upstream stored it; `value` is E.164 when the number allows it.
public struct ContactPoint: Sendable, Equatable {
    public var value: String
    public var type: String?
    public var primary: Bool
    public var original: String?

    public init(value: String, type: String? = nil, primary: Bool = false, original: String? = nil) {
        self.value = value
        self.type = type
        self.primary = primary
        self.original = original
    }

    public static func phone(_ raw: String, type: String? = nil, primary: Bool = false, region: PhoneRegion?) -> ContactPoint {
        ContactPoint(value: PhoneNumber.e164(raw, region: region) ?? raw, type: type, primary: primary, original: raw)
    }

    var emailJSON: JSON { ["value": .string(value), "type": JSON(type), "primary": .bool(primary)] }
    var phoneJSON: JSON { ["value": .string(value), "type": JSON(type), "primary": .bool(primary), "original": JSON(original ?? value)] }
}

public struct Money: Sendable, Equatable {
    public var amount: Double
    public var currency: String?

    public init(amount: Double, currency: String?) {
        self.amount = amount
        self.currency = currency
    }

    var json: JSON {
        let a: JSON = amount.rounded() == amount && abs(amount) < 9e15 ? .int(Int(amount)) : .double(amount)
        return ["amount": a, "currency": JSON(currency)]
    }
}

public struct Contact: UnifiedObject {
    public var id: UnifiedID
    public var displayName: String?
    public var firstName: String?
    public var lastName: String?
    public var emails: [ContactPoint] = []
    public var phones: [ContactPoint] = []
    public var company: Ref?
    public var title: String?
    public var address: String?
    public var ownerID: String?
    public var tags: [String] = []
    public var note: String?
    public var createdAt: String?
    public var updatedAt: String?
    public var customFields = JSONObject()
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["display_name": JSON(displayName), "first_name": JSON(firstName), "last_name": JSON(lastName),
         "emails": .array(emails.map(\.emailJSON)), "phones": .array(phones.map(\.phoneJSON)),
         "company": company?.json ?? .null, "title": JSON(title), "address": JSON(address),
         "owner_id": JSON(ownerID), "tags": .array(tags.map { .string($0) }), "note": JSON(note),
         "created_at": JSON(createdAt), "updated_at": JSON(updatedAt), "custom_fields": .object(customFields)]
    }
}

public struct Company: UnifiedObject {
    public var id: UnifiedID
    public var name: String?
    public var website: String?
    public var emails: [ContactPoint] = []
    public var phones: [ContactPoint] = []
    public var address: String?
    public var industry: String?
    public var ownerID: String?
    public var note: String?
    public var createdAt: String?
    public var updatedAt: String?
    public var customFields = JSONObject()
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["name": JSON(name), "website": JSON(website), "emails": .array(emails.map(\.emailJSON)),
         "phones": .array(phones.map(\.phoneJSON)), "address": JSON(address), "industry": JSON(industry),
         "owner_id": JSON(ownerID), "note": JSON(note), "created_at": JSON(createdAt),
         "updated_at": JSON(updatedAt), "custom_fields": .object(customFields)]
    }
}

public struct Deal: UnifiedObject {
    public enum Status: String, Sendable, CaseIterable { case open, won, lost, deleted }

    public var id: UnifiedID
    public var title: String?
    public var value: Money?
    public var status: Status?
    public var stage: Ref?
    public var pipeline: Ref?
    public var contactID: String?
    public var companyID: String?
    public var expectedCloseDate: String?
    public var lostReason: String?
    public var ownerID: String?
    public var createdAt: String?
    public var updatedAt: String?
    public var customFields = JSONObject()
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["title": JSON(title), "value": value?.json ?? .null, "status": JSON(status?.rawValue),
         "stage": stage?.json ?? .null, "pipeline": pipeline?.json ?? .null,
         "contact_id": JSON(contactID), "company_id": JSON(companyID),
         "expected_close_date": JSON(expectedCloseDate), "lost_reason": JSON(lostReason),
         "owner_id": JSON(ownerID), "created_at": JSON(createdAt), "updated_at": JSON(updatedAt),
         "custom_fields": .object(customFields)]
    }
}

public struct Pipeline: UnifiedObject {
    public var id: UnifiedID
    public var name: String?
    public var order: Int?
    public var active: Bool = true
    public var createdAt: String?
    public var updatedAt: String?
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["name": JSON(name), "order": JSON(order), "active": .bool(active),
         "created_at": JSON(createdAt), "updated_at": JSON(updatedAt)]
    }
}

public struct Stage: UnifiedObject {
    public var id: UnifiedID
    public var name: String?
    public var pipeline: Ref?
    public var order: Int?
    /// The win probability the upstream assigns to deals in this stage (0-100).
    public var probability: Int?
    public var createdAt: String?
    public var updatedAt: String?
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["name": JSON(name), "pipeline": pipeline?.json ?? .null, "order": JSON(order),
         "probability": JSON(probability), "created_at": JSON(createdAt), "updated_at": JSON(updatedAt)]
    }
}

public struct Activity: UnifiedObject {
    public var id: UnifiedID
    public var subject: String?
    public var type: String?
    public var done: Bool = false
    public var dueDate: String?
    public var dueTime: String?
    /// `HH:MM`.
    public var duration: String?
    public var note: String?
    public var dealID: String?
    public var contactID: String?
    public var companyID: String?
    public var ownerID: String?
    public var createdAt: String?
    public var updatedAt: String?
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["subject": JSON(subject), "type": JSON(type), "done": .bool(done), "due_date": JSON(dueDate),
         "due_time": JSON(dueTime), "duration": JSON(duration), "note": JSON(note),
         "deal_id": JSON(dealID), "contact_id": JSON(contactID), "company_id": JSON(companyID),
         "owner_id": JSON(ownerID), "created_at": JSON(createdAt), "updated_at": JSON(updatedAt)]
    }
}

public struct Note: UnifiedObject {
    public var id: UnifiedID
    public var content: String?
    public var dealID: String?
    public var contactID: String?
    public var companyID: String?
    public var ownerID: String?
    public var createdAt: String?
    public var updatedAt: String?
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["content": JSON(content), "deal_id": JSON(dealID), "contact_id": JSON(contactID),
         "company_id": JSON(companyID), "owner_id": JSON(ownerID),
         "created_at": JSON(createdAt), "updated_at": JSON(updatedAt)]
    }
}

public struct Message: UnifiedObject {
    public enum Direction: String, Sendable { case inbound, outbound }

    public var id: UnifiedID
    public var conversationID: String?
    public var direction: Direction?
    public var from: String?
    public var to: String?
    public var body: String?
    /// The upstream's delivery state, lowercased (`queued`, `sent`, `delivered`, `failed`, ...).
    public var status: String?
    public var error: String?
    public var media: [String] = []
    public var sentAt: String?
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["conversation_id": JSON(conversationID), "direction": JSON(direction?.rawValue),
         "from": JSON(from), "to": JSON(to), "body": JSON(body), "status": JSON(status),
         "error": JSON(error), "media": .array(media.map { .string($0) }), "sent_at": JSON(sentAt)]
    }
}

public struct Conversation: UnifiedObject {
    public var id: UnifiedID
    public var contactID: String?
    public var phone: String?
    public var displayName: String?
    public var archived: Bool = false
    public var lastMessageAt: String?
    public var lastMessage: String?
    public var raw: JSON?

    public init(id: UnifiedID) { self.id = id }

    public var fields: JSONObject {
        ["contact_id": JSON(contactID), "phone": JSON(phone), "display_name": JSON(displayName),
         "archived": .bool(archived), "last_message_at": JSON(lastMessageAt), "last_message": JSON(lastMessage)]
    }
}
