import GatewayCore

/// Contact writes: what Text Request can hold (§4 limits, checked before any call) and the
/// `post_contact_request` body. The spec gives no length limits for names or notes, so none
/// are invented; what it cannot store at all (company, title, address, owner, more than one
/// phone, e-mail without `email_field_id`) is refused rather than dropped.
extension TextRequestAPI {
    func validateContact(_ w: ContactWrite, creating: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(FieldError(field, message)) }

        switch w.phones {
        case .keep:
            if creating { fail("phones", "is required: a Text Request contact is identified by its phone number") }
        case .clear:
            fail("phones", "cannot be cleared: the phone number identifies a Text Request contact")
        case .set(let list):
            if list.count != 1 { fail("phones", "must hold exactly 1 phone number: a Text Request contact has one") }
            if let first = list.first, TextRequestPhone.digits11(first.value) == nil { fail("phones[0].value", TextRequestPhone.rule) }
        }

        if case .set(let list) = w.emails, !list.isEmpty {
            if emailFieldID == nil {
                fail("emails", "Text Request contacts have no e-mail address (the gateway's email_field_id option can keep one in a custom field)")
            } else {
                if list.count > 1 { fail("emails", "must hold at most 1 e-mail address: Text Request keeps one in a custom field") }
                let v = list[0].value
                if !v.contains("@") || v.contains(" ") { fail("emails[0].value", "must be an e-mail address") }
            }
        }
        if emailFieldID != nil, w.customFields == .clear, !w.emails.isKeep {
            fail("custom_fields", "cannot be cleared in the same write as emails: Text Request clears every custom field at once")
        }
        if w.companyID.value != nil { fail("company_id", "Text Request contacts have no company") }
        if w.title.value != nil { fail("title", "Text Request contacts have no title") }
        if w.address.value != nil { fail("address", "Text Request contacts have no address") }
        if w.ownerID.value != nil { fail("owner_id", "Text Request contacts have no owner") }

        for (i, tag) in (w.tags.value ?? []).enumerated() where !TextRequestGUID.isGUID(tag) {
            fail("tags[\(i)]", "must be a Text Request tag id (a GUID such as 06051c49-15fe-4728-9a3f-63c5d9fd47a2)")
        }

        for (key, value) in w.customFields.value ?? JSONObject() {
            let field = "custom_fields.\(key)"
            if TextRequestGUID.isGUID(key) {
                switch value {
                case .string, .int, .double, .bool, .null: break
                default: fail(field, "must be a string, a number, true/false or null")
                }
            } else if TextRequestContactFlags.booleans.contains(key) {
                if value.boolValue == nil { fail(field, "must be true or false") }
            } else if key == "suppressed_reason" {
                if value.stringValue == nil && !value.isNull { fail(field, "must be a string or null") }
            } else if key == "groups" {
                let ok = value.arrayValue.map { a in a.allSatisfy { $0.intValue.map { $0 > 0 } ?? false } } ?? false
                if !ok { fail(field, "must be an array of Text Request group ids (positive integers)") }
            } else if TextRequestContactFlags.readOnly.contains(key) {
                fail(field, "is read-only: Text Request sets it when the contact texts STOP")
            } else {
                fail(field, "unknown: Text Request takes custom field ids (GUIDs), is_suppressed, is_blocked, is_archived, is_resolved, suppressed_reason and groups")
            }
        }
        return errors
    }

    /// The `post_contact_request` body for a validated write. A cleared text is sent as ""
    /// (the spec says nothing of null for strings; an empty array clears tags/fields).
    func contactBody(_ w: ContactWrite) -> JSONObject {
        var o = JSONObject()
        func text(_ key: String, _ change: Change<String>) {
            switch change {
            case .keep: break
            case .clear: o[key] = ""
            case .set(let v): o[key] = .string(v)
            }
        }
        text("first_name", w.firstName)
        text("last_name", w.lastName)
        text("display_name", w.displayName)
        text("note", w.note)
        switch w.tags {
        case .keep: break
        case .clear: o["contact_tags"] = []
        case .set(let ids): o["contact_tags"] = .array(ids.map { .string($0.lowercased()) })
        }

        var fields: [JSON] = []
        var clearFields = false
        switch w.customFields {
        case .keep: break
        case .clear: clearFields = true
        case .set(let custom):
            for (key, value) in custom {
                if TextRequestGUID.isGUID(key) {
                    fields.append(["id": .string(key.lowercased()), "value": .string(TextRequestText.of(value) ?? "")])
                } else if key == "suppressed_reason" {
                    o[key] = .string(value.stringValue ?? "")
                } else {
                    o[key] = value  // flags and groups, validated
                }
            }
        }
        if let emailFieldID {
            switch w.emails {
            case .keep: break
            case .clear: fields.append(["id": .string(emailFieldID), "value": ""])
            case .set(let list): fields.append(["id": .string(emailFieldID), "value": .string(list.first?.value ?? "")])
            }
        }
        if clearFields { o["custom_fields"] = [] }  // validation keeps emails out of such a write
        else if !fields.isEmpty { o["custom_fields"] = .array(fields) }
        return o
    }
}
