import GatewayCore

/// Pipedrive records (v2 objects; v1 for notes) to the unified model. `raw` keeps the
/// upstream object as received. v2 leaves out some null fields and sends others as null:
/// missing and null are read alike.
enum PipedriveMapping {
    /// The record's integer `id`, or `.invalidResponse`.
    static func id(_ json: JSON, _ kind: String) throws(GatewayError) -> UnifiedID {
        guard let n = json["id"]?.intValue else {
            throw .invalidResponse(source: PipedriveClient.source, "a Pipedrive \(kind) without an integer id")
        }
        return PipedriveID.make(kind, n)
    }

    /// RFC 3339 UTC from v2's RFC 3339 or v1's `YYYY-MM-DD HH:MM:SS` (UTC).
    static func time(_ value: JSON?) -> String? {
        value?.stringValue.flatMap { UTCTime(parsing: $0) }?.rfc3339
    }

    static func string(_ value: JSON?) -> String? {
        guard let s = value?.stringValue, !s.isEmpty else { return nil }
        return s
    }

    /// `HH:MM` from `HH:MM` or `HH:MM:SS`.
    static func clock(_ value: JSON?) -> String? {
        guard let s = string(value) else { return nil }
        let b = Array(s.utf8)
        if b.count == 8, b[5] == UInt8(ascii: ":") { return String(s.prefix(5)) }
        return s
    }

    static func customFields(_ value: JSON?) -> JSONObject { value?.objectValue ?? JSONObject() }

    /// `[{value, label, primary}]`.
    static func points(_ value: JSON?, phone: Bool) -> [ContactPoint] {
        (value?.arrayValue ?? []).compactMap { e -> ContactPoint? in
            guard let v = e["value"]?.stringValue, !v.isEmpty else { return nil }
            let label = string(e["label"])
            let primary = e["primary"]?.boolValue ?? false
            return phone ? ContactPoint.phone(v, type: label, primary: primary, region: nil)
                : ContactPoint(value: v, type: label, primary: primary)
        }
    }

    static func contact(_ p: JSON) throws(GatewayError) -> Contact {
        var c = Contact(id: try id(p, "person"))
        c.displayName = string(p["name"])
        c.firstName = string(p["first_name"])
        c.lastName = string(p["last_name"])
        c.emails = points(p["emails"], phone: false)
        c.phones = points(p["phones"], phone: true)
        if let org = PipedriveID.string("organization", p["org_id"]) { c.company = Ref(id: org, name: nil) }
        c.title = string(p["job_title"])
        c.address = string(p["postal_address"]?["value"])
        c.ownerID = PipedriveID.string("user", p["owner_id"])
        c.tags = (p["label_ids"]?.arrayValue ?? []).compactMap { $0.intValue.map(String.init) }
        c.note = string(p["notes"])
        c.createdAt = time(p["add_time"])
        c.updatedAt = time(p["update_time"])
        c.customFields = customFields(p["custom_fields"])
        c.raw = p
        return c
    }

    static func company(_ o: JSON) throws(GatewayError) -> Company {
        var c = Company(id: try id(o, "organization"))
        c.name = string(o["name"])
        c.address = string(o["address"]?["value"])
        c.ownerID = PipedriveID.string("user", o["owner_id"])
        c.createdAt = time(o["add_time"])
        c.updatedAt = time(o["update_time"])
        c.customFields = customFields(o["custom_fields"])
        c.raw = o
        return c
    }

    static func deal(_ d: JSON, _ meta: PipedriveMetadata) throws(GatewayError) -> Deal {
        var deal = Deal(id: try id(d, "deal"))
        deal.title = string(d["title"])
        let amount = d["value"]?.doubleValue
        let currency = string(d["currency"])
        if amount != nil || currency != nil { deal.value = Money(amount: amount ?? 0, currency: currency) }
        deal.status = d["is_deleted"]?.boolValue == true ? .deleted : d["status"]?.stringValue.flatMap(Deal.Status.init)
        if let s = d["stage_id"]?.intValue { deal.stage = Ref(id: PipedriveID.make("stage", s).description, name: meta.stages[s]) }
        if let p = d["pipeline_id"]?.intValue { deal.pipeline = Ref(id: PipedriveID.make("pipeline", p).description, name: meta.pipelines[p]) }
        deal.contactID = PipedriveID.string("person", d["person_id"])
        deal.companyID = PipedriveID.string("organization", d["org_id"])
        deal.expectedCloseDate = string(d["expected_close_date"])
        deal.lostReason = string(d["lost_reason"])
        deal.ownerID = PipedriveID.string("user", d["owner_id"])
        deal.createdAt = time(d["add_time"])
        deal.updatedAt = time(d["update_time"])
        deal.customFields = customFields(d["custom_fields"])
        deal.raw = d
        return deal
    }

    static func pipeline(_ p: JSON) throws(GatewayError) -> Pipeline {
        var out = Pipeline(id: try id(p, "pipeline"))
        out.name = string(p["name"])
        out.order = p["order_nr"]?.intValue
        out.active = p["is_deleted"]?.boolValue != true
        out.createdAt = time(p["add_time"])
        out.updatedAt = time(p["update_time"])
        out.raw = p
        return out
    }

    static func stage(_ s: JSON, pipelines: [Int: String]) throws(GatewayError) -> Stage {
        var out = Stage(id: try id(s, "stage"))
        out.name = string(s["name"])
        if let p = s["pipeline_id"]?.intValue { out.pipeline = Ref(id: PipedriveID.make("pipeline", p).description, name: pipelines[p]) }
        out.order = s["order_nr"]?.intValue
        out.probability = s["deal_probability"]?.intValue
        out.createdAt = time(s["add_time"])
        out.updatedAt = time(s["update_time"])
        out.raw = s
        return out
    }

    static func activity(_ a: JSON) throws(GatewayError) -> Activity {
        var out = Activity(id: try id(a, "activity"))
        out.subject = string(a["subject"])
        out.type = string(a["type"])
        out.done = a["done"]?.boolValue ?? false
        out.dueDate = string(a["due_date"])
        out.dueTime = clock(a["due_time"])
        out.duration = clock(a["duration"])
        out.note = string(a["note"])
        out.dealID = PipedriveID.string("deal", a["deal_id"])
        out.contactID = PipedriveID.string("person", a["person_id"])
        out.companyID = PipedriveID.string("organization", a["org_id"])
        out.ownerID = PipedriveID.string("user", a["owner_id"])
        out.createdAt = time(a["add_time"])
        out.updatedAt = time(a["update_time"])
        out.raw = a
        return out
    }

    /// A v1 note (`user_id` is its author; times are UTC `YYYY-MM-DD HH:MM:SS`).
    static func note(_ n: JSON) throws(GatewayError) -> Note {
        var out = Note(id: try id(n, "note"))
        out.content = n["content"]?.stringValue
        out.dealID = PipedriveID.string("deal", n["deal_id"])
        out.contactID = PipedriveID.string("person", n["person_id"])
        out.companyID = PipedriveID.string("organization", n["org_id"])
        out.ownerID = PipedriveID.string("user", n["user_id"])
        out.createdAt = time(n["add_time"])
        out.updatedAt = time(n["update_time"])
        out.raw = n
        return out
    }
}
