import GatewayCore

/// A Text Request `contact` (FACTS 2.5) as a unified Contact.
///
/// - The phone number is the contact's identity: one phone, `mobile` (it takes texts), primary.
/// - `tags` are the tag ids (GUIDs), as the contact carries them: names would cost a
///   `GET /tags` per read, and ids are what a write takes back (`contact_tags`).
/// - `custom_fields`: the upstream's custom field values keyed by field id, plus the
///   contact's flags (`is_suppressed`, `suppressed_reason`, `is_blocked`, `is_archived`,
///   `is_resolved`, `has_opted_out`, `opted_out_utc`) and `groups`; the writable ones can be
///   written back under the same keys.
/// - `updated_at` is null: Text Request keeps no last-change time (`last_contact_date_utc` is
///   the last message).
extension TextRequestAPI {
    func contact(_ json: JSON) throws(GatewayError) -> Contact {
        guard let o = json.objectValue else { throw caller.invalid("a contact that is not an object") }
        guard let raw = TextRequestText.of(o["phone_number"]), let phone = TextRequestPhone.digits11(raw) else {
            throw caller.invalid("a contact without a US phone_number")
        }
        var c = Contact(id: try id("contact", phone: phone))
        c.firstName = TextRequestText.of(o["first_name"])
        c.lastName = TextRequestText.of(o["last_name"])
        c.displayName = TextRequestText.of(o["display_name"])
            ?? TextRequestText.of(.string([c.firstName, c.lastName].compactMap { $0 }.joined(separator: " ")))
        c.phones = [ContactPoint.phone(raw, type: "mobile", primary: true, region: .us)]
        c.note = TextRequestText.of(o["note"])
        c.tags = o["contact_tags"]?.arrayValue?.compactMap { TextRequestText.of($0) } ?? []
        c.createdAt = TextRequestTime.rfc3339(o["date_created_utc"])

        var custom = JSONObject()
        for entry in o["custom_fields"]?.arrayValue ?? [] {
            guard let fid = TextRequestText.of(entry["id"]) else { continue }
            custom[fid] = entry["value"].flatMap { TextRequestText.of($0) }.map { .string($0) } ?? .null
            if let emailFieldID, fid.lowercased() == emailFieldID, let email = TextRequestText.of(entry["value"]) {
                c.emails = [ContactPoint(value: email, type: nil, primary: true)]
            }
        }
        for flag in TextRequestContactFlags.booleans { custom[flag] = .bool(o[flag]?.boolValue ?? false) }
        custom["suppressed_reason"] = JSON(TextRequestText.of(o["suppressed_reason"]))
        let optedOut = TextRequestTime.rfc3339(o["opted_out_utc"])
        custom["has_opted_out"] = .bool(optedOut != nil || TextRequestText.of(o["opted_out_utc"]) != nil)
        custom["opted_out_utc"] = JSON(optedOut)
        custom["groups"] = .array((o["groups"]?.arrayValue ?? []).compactMap { $0.intValue.map { .int($0) } })
        c.customFields = custom
        c.raw = json
        return c
    }
}

/// The contact flags that `custom_fields` carries, and which of them a write may set.
enum TextRequestContactFlags {
    static let booleans = ["is_suppressed", "is_blocked", "is_archived", "is_resolved"]
    /// Read-only: set by Text Request when the contact texts STOP.
    static let readOnly = ["has_opted_out", "opted_out_utc"]
}
