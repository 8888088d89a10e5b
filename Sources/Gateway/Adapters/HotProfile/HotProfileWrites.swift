import GatewayCore

/// A unified write turned into HotProfile's write fields, with every problem found on the
/// way (named by the client's field names). Validation and the request body come from the
/// same walk, so they cannot disagree.
struct HotProfileWritePlan {
    var fields = JSONObject()
    var errors: [FieldError] = []

    /// `""` clears an optional HotProfile field (Rails treats a blank as nil).
    mutating func put(_ key: String, _ change: Change<String>) {
        switch change {
        case .keep: break
        case .clear: fields[key] = ""
        case .set(let s): fields[key] = .string(s)
        }
    }

    mutating func put(_ key: String, _ change: Change<Int>) {
        switch change {
        case .keep: break
        case .clear: fields[key] = ""
        case .set(let i): fields[key] = .int(i)
        }
    }

    /// A contact point list into fixed slots (HotProfile has one field per kind of number):
    /// `type` picks the slot; other types (`work`, `home`, none) go to the first one. Slots
    /// left out are cleared, so the list replaces what was there.
    mutating func slots(_ name: String, _ change: Change<[ContactPoint]>,
                        _ slots: [Slot], email: Bool) {
        let list: [ContactPoint]
        switch change {
        case .keep: return
        case .clear: list = []
        case .set(let l): list = l
        }
        var filled: [String: String] = [:]
        for (i, p) in list.enumerated() {
            let slot = slots.first { $0.types.contains(p.type ?? "") } ?? slots[0]
            if filled[slot.key] != nil {
                let what = email ? "e-mail address" : "phone number"
                let message = slots.count == 1 ? "HotProfile holds only one \(what) here"
                    : "HotProfile holds one \(what) per type (\(slots.map(\.label).joined(separator: ", "))): this is a second \(slot.label) one"
                errors.append(FieldError("\(name)[\(i)]", message))
                continue
            }
            let value = HotProfileMapping.trim(p.value)
            if value.isEmpty {
                errors.append(FieldError("\(name)[\(i)].value", "must not be blank"))
            } else if value.unicodeScalars.count > slot.max {
                errors.append(FieldError("\(name)[\(i)].value", "must be at most \(slot.max) characters"))
            } else if email && !HotProfileRules.looksLikeEmail(value) {
                errors.append(FieldError("\(name)[\(i)].value", "must be an e-mail address"))
            }
            filled[slot.key] = value
        }
        for slot in slots { fields[slot.key] = .string(filled[slot.key] ?? "") }
    }

    mutating func custom(_ change: Change<JSONObject>) {
        guard case .set(let o) = change else { return }
        for (k, v) in o where !HotProfileRules.reserved.contains(k) { fields[k] = v }
    }

    /// One HotProfile field a contact point can go to; `types` pick it (the first slot takes
    /// every other type).
    struct Slot {
        var key: String
        var label: String
        var types: Set<String>
        var max: Int
    }

    static let emailSlots = [Slot(key: "email", label: "work", types: ["work"], max: 200),
                             Slot(key: "mobile_email", label: "mobile", types: ["mobile"], max: 100)]
    static let phoneSlots = [Slot(key: "tel", label: "work", types: ["work"], max: 100),
                             Slot(key: "mobile_tel", label: "mobile", types: ["mobile"], max: 100),
                             Slot(key: "fax", label: "fax", types: ["fax"], max: 100)]

    /// Business cards and leads (FACTS 3.4): `client_id` and `family_name` required on create,
    /// and `client_id` on update too (the caller fills it in from the record when the write
    /// leaves it out). New cards are active and public unless `custom_fields` say otherwise.
    static func contact(_ e: HotProfileEntity, _ w: ContactWrite, creating: Bool) -> HotProfileWritePlan {
        var p = HotProfileWritePlan()
        HotProfileRules.checkText("last_name", w.lastName, max: 100, required: true, creating: creating, into: &p.errors)
        HotProfileRules.checkText("first_name", w.firstName, max: 100, creating: creating, into: &p.errors)
        if !w.displayName.isKeep {
            p.errors.append(FieldError("display_name", "HotProfile shows the name from last_name and first_name: set those instead"))
        }
        p.put("family_name", w.lastName)
        p.put("first_name", w.firstName)
        p.slots("emails", w.emails, emailSlots, email: true)
        p.slots("phones", w.phones, phoneSlots, email: false)
        switch w.companyID {
        case .keep:
            if creating { p.errors.append(FieldError("company_id", "is required: a HotProfile \(e.kind) belongs to a client (hotprofile:client:<id>)")) }
        case .clear:
            p.errors.append(FieldError("company_id", "cannot be cleared: a HotProfile \(e.kind) belongs to a client"))
        case .set(let id):
            if let n = HotProfileRules.remote(id, kind: "client") { p.fields["client_id"] = .int(n) } else {
                p.errors.append(FieldError("company_id", "must be a hotprofile:client:<id> id"))
            }
        }
        if e == .leads {
            HotProfileRules.checkText("title", w.title, max: 255, creating: creating, into: &p.errors)
            p.put("post", w.title)
        } else if !w.title.isKeep {
            p.errors.append(FieldError("title", "HotProfile's API cannot write a business card's position"))
        }
        HotProfileRules.checkText("address", w.address, max: 255, creating: creating, into: &p.errors)
        p.put("address", w.address)
        let owner = HotProfileRules.owner("owner_id", w.ownerID, into: &p.errors)
        // The leads swagger types `owner_user_id` as a string; the cards one as an integer.
        if e == .leads, case .set(let n) = owner { p.fields["owner_user_id"] = .string(String(n)) } else { p.put("owner_user_id", owner) }
        if !w.tags.isKeep { p.errors.append(FieldError("tags", "HotProfile's API cannot write tags")) }
        HotProfileRules.checkText("note", w.note, max: 3000, creating: creating, into: &p.errors)
        p.put("note", w.note)
        p.errors += HotProfileRules.checkCustom(e, w.customFields)
        if creating && e == .businessCards {
            p.fields["status"] = 1  // active
            p.fields["open_status"] = 1  // public to the whole tenant
        }
        p.custom(w.customFields)
        return p
    }

    /// Clients: `name` and `name_disp` (the abbreviation) required on create; `name_disp`
    /// defaults to `name` unless `custom_fields` give one.
    static func company(_ w: CompanyWrite, creating: Bool) -> HotProfileWritePlan {
        var p = HotProfileWritePlan()
        HotProfileRules.checkText("name", w.name, max: 255, required: true, creating: creating, into: &p.errors)
        p.put("name", w.name)
        if creating, case .set(let name) = w.name { p.fields["name_disp"] = .string(name) }
        HotProfileRules.checkText("website", w.website, max: 255, creating: creating, into: &p.errors)
        p.put("url", w.website)
        if case .set(let list) = w.emails, !list.isEmpty {
            p.errors.append(FieldError("emails", "HotProfile clients have no e-mail address (custom_fields.mail_domain holds the domain)"))
        }
        p.slots("phones", w.phones, [Slot(key: "main_tel", label: "work", types: [], max: 255)], email: false)
        HotProfileRules.checkText("address", w.address, max: 255, creating: creating, into: &p.errors)
        p.put("address", w.address)
        switch w.industry {
        case .keep: break
        case .clear: p.fields["business_category_kbn"] = ""
        case .set:
            p.errors.append(FieldError("industry", "HotProfile takes the id of a registered industry: set custom_fields.business_category_kbn"))
        }
        p.put("user_id", HotProfileRules.owner("owner_id", w.ownerID, into: &p.errors))
        HotProfileRules.checkText("note", w.note, max: 3000, creating: creating, into: &p.errors)
        p.put("note", w.note)
        p.errors += HotProfileRules.checkCustom(.clients, w.customFields)
        p.custom(w.customFields)
        return p
    }
}
