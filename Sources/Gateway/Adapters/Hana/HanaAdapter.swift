import GatewayCore

/// Hana publishes no read API: its leads and opportunities are known only from the webhook
/// deliveries the inbox stored (§7). Reads come from the latest stored event per record
/// (a `.deleted` event hides the record); a PATCH goes to Hana's update endpoint (Bearer
/// token, `options["update_path"]`) through the limiter, and answers with the stored state
/// with the change applied (Hana confirms later with its own `*.updated` webhook).
public struct HanaAdapter: SourceAdapter {
    public let source = "hana"
    let leads: HanaRecords
    let opportunities: HanaOpportunities

    public init(settings: UpstreamSettings, store: EventStore) {
        let caller = UpstreamCaller(source: "hana", settings: settings)
        let path = settings.options["update_path"] ?? "/external-api/v1.0/update"
        leads = HanaRecords(caller: caller, store: store, updatePath: path)
        opportunities = HanaOpportunities(caller: caller, store: store, updatePath: path)
    }

    public var contacts: (any ResourceSource<Contact, ContactWrite>)? { leads }
    public var deals: (any ResourceSource<Deal, DealWrite>)? { opportunities }
}

/// Hana opportunities (tickets) as deals, the same way: reads from the inbox, PATCH to Hana.
struct HanaOpportunities: ResourceSource {
    let source = "hana"
    let kinds = ["opportunity"]
    let caller: UpstreamCaller
    let store: EventStore
    let updatePath: String

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get, .update] }
    func filters(kind: String) -> Set<ListFilter.Name> { [] }
    func maxPageSize(kind: String) -> Int { 200 }

    func validate(kind: String, _ w: DealWrite, creating: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        let unsupported: [(String, Bool)] = [("status", !w.status.isKeep), ("stage_id", !w.stageID.isKeep), ("pipeline_id", !w.pipelineID.isKeep),
                                             ("contact_id", !w.contactID.isKeep), ("company_id", !w.companyID.isKeep),
                                             ("expected_close_date", !w.expectedCloseDate.isKeep), ("lost_reason", !w.lostReason.isKeep),
                                             ("owner_id", !w.ownerID.isKeep), ("value.currency", !w.currency.isKeep)]
        for (name, given) in unsupported where given {
            errors.append(FieldError(name, "Hana opportunities have no such attribute; use title, value.amount or custom_fields (cf_*)"))
        }
        return errors
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Deal> {
        let (rows, next) = try await HanaInbox.page(store, prefix: "hana:opportunity:", page)
        return SourcePage(items: rows.filter { $0.type != "deal.deleted" }.compactMap(Self.deal), next: next)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Deal {
        guard let event = try await HanaInbox.latest(store, id), event.type != "deal.deleted", let d = Self.deal(event) else {
            throw .notFound("no Hana opportunity \(id) (Hana records are known from its webhooks)")
        }
        return d
    }

    func update(_ id: UnifiedID, _ w: DealWrite, context: AdapterContext) async throws(GatewayError) -> Deal {
        var updated = try await get(id, context: context)
        var opportunity: JSONObject = ["id": .string(id.remote)]
        switch w.title { case .set(let v): opportunity["baseName"] = .string(v); updated.title = v; case .clear: opportunity["baseName"] = .null; updated.title = nil; case .keep: break }
        switch w.amount {
        case .set(let v): opportunity["dealValue"] = v.rounded() == v ? .int(Int(v)) : .double(v); updated.value = Money(amount: v, currency: nil)
        case .clear: opportunity["dealValue"] = .null; updated.value = nil
        case .keep: break
        }
        if case .set(let fields) = w.customFields { for (k, v) in fields { opportunity[k] = v; updated.customFields[k] = v } }
        let r = try await caller.call("POST", updatePath, headers: ["Authorization": "Bearer \(caller.settings.credential)"],
                                      body: JSON.object(["opportunity": .object(opportunity)]).serialized(), context: context)
        try caller.requireSuccess(r)
        return updated
    }

    /// A stored `deal.*` event's opportunity (and its linked lead) as a deal.
    static func deal(_ e: StoredEvent) -> Deal? {
        guard let data = try? JSON.parse(e.data), let o = data["opportunity"]?.objectValue, let id = UnifiedID(e.subjectID) else { return nil }
        func raw(_ name: String) -> JSON? { o[name]?["rawData"] }
        var d = Deal(id: id)
        d.title = raw("baseName")?.stringValue
        if let amount = raw("dealValue")?.doubleValue { d.value = Money(amount: amount, currency: nil) }
        if let lead = data["lead"]?["id"]?["rawData"]?.stringValue { d.contactID = "hana:lead:\(lead)" }
        for (k, v) in o where !["id", "baseName", "dealValue"].contains(k) { d.customFields[k] = v["rawData"] ?? v }
        d.updatedAt = e.occurredAt
        d.raw = data
        return d
    }
}

/// Reading Hana records from the inbox, shared by leads and opportunities.
enum HanaInbox {
    /// The latest event of exactly `id` (the prefix query also matches longer ids).
    static func latest(_ store: EventStore, _ id: UnifiedID) async throws(GatewayError) -> StoredEvent? {
        let subject = id.description
        do {
            return try await store.latest(subjectPrefix: subject, limit: 5, after: nil).first { $0.subjectID == subject }
        } catch {
            throw .invalidResponse(source: "hana", "the event store: \(error)")
        }
    }

    /// One page of the latest events under `prefix`, paged by subject id.
    static func page(_ store: EventStore, prefix: String, _ page: PageRequest) async throws(GatewayError) -> (rows: [StoredEvent], next: String?) {
        let rows: [StoredEvent]
        do { rows = try await store.latest(subjectPrefix: prefix, limit: page.size, after: page.token) } catch {
            throw .invalidResponse(source: "hana", "the event store: \(error)")
        }
        return (rows, rows.count < page.size ? nil : rows.last?.subjectID)
    }
}

struct HanaRecords: ResourceSource {
    let source = "hana"
    let kinds = ["lead"]
    let caller: UpstreamCaller
    let store: EventStore
    let updatePath: String

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get, .update] }
    func filters(kind: String) -> Set<ListFilter.Name> { [] }
    func maxPageSize(kind: String) -> Int { 200 }

    func validate(kind: String, _ w: ContactWrite, creating: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        for (name, change) in [("first_name", w.firstName), ("last_name", w.lastName), ("title", w.title), ("address", w.address), ("note", w.note)] where !change.isKeep {
            errors.append(FieldError(name, "Hana leads have no such attribute; use display_name or custom_fields (cf_*)"))
        }
        if !w.companyID.isKeep { errors.append(FieldError("company_id", "Hana leads have no company")) }
        if !w.ownerID.isKeep { errors.append(FieldError("owner_id", "Hana leads have no owner")) }
        if !w.tags.isKeep { errors.append(FieldError("tags", "Hana leads have no tags")) }
        if case .set(let emails) = w.emails, emails.count > 1 { errors.append(FieldError("emails", "a Hana lead has one e-mail address")) }
        if case .set(let phones) = w.phones, phones.count > 1 { errors.append(FieldError("phones", "a Hana lead has one phone number")) }
        if case .set(let fields) = w.customFields {
            for k in fields.keys where !k.hasPrefix("cf_") && !k.hasPrefix("base") && k != "sourceType" {
                errors.append(FieldError("custom_fields.\(k)", "Hana attributes are base* or cf_*"))
            }
        }
        return errors
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Contact> {
        let (rows, next) = try await HanaInbox.page(store, prefix: "hana:lead:", page)
        return SourcePage(items: rows.filter { $0.type != "contact.deleted" }.compactMap(Self.contact), next: next)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Contact {
        guard let event = try await HanaInbox.latest(store, id), event.type != "contact.deleted", let c = Self.contact(event) else {
            throw .notFound("no Hana lead \(id) (Hana records are known from its webhooks)")
        }
        return c
    }

    func update(_ id: UnifiedID, _ w: ContactWrite, context: AdapterContext) async throws(GatewayError) -> Contact {
        let current = try await get(id, context: context)
        var lead: JSONObject = ["id": .string(id.remote)]
        switch w.displayName { case .set(let v): lead["baseName"] = .string(v); case .clear: lead["baseName"] = .null; case .keep: break }
        switch w.emails { case .set(let v): lead["baseEmail"] = JSON(v.first?.value); case .clear: lead["baseEmail"] = .null; case .keep: break }
        switch w.phones { case .set(let v): lead["basePhonenumber"] = JSON(v.first?.value); case .clear: lead["basePhonenumber"] = .null; case .keep: break }
        if case .set(let fields) = w.customFields { for (k, v) in fields { lead[k] = v } }
        let r = try await caller.call("POST", updatePath, headers: ["Authorization": "Bearer \(caller.settings.credential)"],
                                      body: JSON.object(["lead": .object(lead)]).serialized(), context: context)
        try caller.requireSuccess(r)
        var updated = current
        if case .set(let v) = w.displayName { updated.displayName = v } else if case .clear = w.displayName { updated.displayName = nil }
        if case .set(let v) = w.emails { updated.emails = v.prefix(1).map { ContactPoint(value: $0.value, type: nil, primary: true) } } else if case .clear = w.emails { updated.emails = [] }
        if case .set(let v) = w.phones { updated.phones = v.prefix(1).map { ContactPoint.phone($0.value, primary: true, region: .vn) } } else if case .clear = w.phones { updated.phones = [] }
        if case .set(let fields) = w.customFields { for (k, v) in fields { updated.customFields[k] = v } }
        return updated
    }

    /// A stored `contact.*` event's lead (`{attribute: {nomalizeData, rawData}}`) as a contact.
    static func contact(_ e: StoredEvent) -> Contact? {
        guard let data = try? JSON.parse(e.data), let lead = data["lead"]?.objectValue,
              let id = UnifiedID(e.subjectID) else { return nil }
        func raw(_ name: String) -> JSON? { lead[name]?["rawData"] }
        var c = Contact(id: id)
        c.displayName = raw("baseName")?.stringValue
        if let email = raw("baseEmail")?.stringValue, !email.isEmpty { c.emails = [ContactPoint(value: email, type: nil, primary: true)] }
        if let phone = raw("basePhonenumber")?.stringValue, !phone.isEmpty { c.phones = [.phone(phone, primary: true, region: .vn)] }
        for (k, v) in lead where k != "id" && !["baseName", "baseEmail", "basePhonenumber"].contains(k) {
            c.customFields[k] = v["rawData"] ?? v
        }
        if let url = data["conversation"]?["conversationUrl"] { c.customFields["conversation_url"] = url }
        c.updatedAt = e.occurredAt
        c.raw = data
        return c
    }
}
