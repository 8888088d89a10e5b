import GatewayCore

/// The list output of each entity: the write fields plus what get_entry_list adds (names of
/// referenced choices, `name`/`name_kana`, `address1..3`, tags, custom `items`, timestamps
/// in JST). Field order follows the swagger's response schemas.
extension HPState {
    func render(_ e: HPEntity, _ r: HPRecord) -> JSONObject {
        switch e {
        case .businessCards: renderCard(r)
        case .clients: renderClient(r)
        case .leads: renderLead(r)
        }
    }

    private func value(_ r: HPRecord, _ key: String) -> JSON { r.fields[key] ?? .null }

    /// `"山田 太郎"`: the parts joined by a space even when one is empty (the sample's
    /// `name_kana: " "` for a lead without readings).
    private func joined(_ r: HPRecord, _ a: String, _ b: String) -> JSON {
        .string((r.string(a) ?? "") + " " + (r.string(b) ?? ""))
    }

    private func addressParts(_ r: HPRecord, into o: inout JSONObject) {
        o["address"] = value(r, "address")
        o["address1"] = value(r, "address1")
        o["address2"] = value(r, "address2")
        o["address3"] = value(r, "address3")
    }

    private func tags(_ r: HPRecord, into o: inout JSONObject) {
        let ids = r.ints("tag_ids")
        o["tag_ids"] = .array(ids.map { .int($0) })
        o["tags"] = .array(ids.compactMap { HPRef.name(HPRef.tags, $0) }.map { .string($0) })
    }

    private func timestamps(_ r: HPRecord, into o: inout JSONObject) {
        o["created_at"] = .string(HPTime.dateTime(r.createdAt))
        o["updated_at"] = .string(HPTime.dateTime(r.updatedAt))
    }

    /// `extension` is written as an integer but listed as a string (the leads schema).
    private func extensionText(_ r: HPRecord) -> JSON { r.int("extension").map { .string(String($0)) } ?? "" }

    func renderCard(_ r: HPRecord) -> JSONObject {
        var o = JSONObject()
        o["id"] = .int(r.id)
        o["client_id"] = value(r, "client_id")
        o["client_name"] = JSON(client(r.int("client_id"))?.string("name"))
        o["organization_id"] = value(r, "organization_id")
        o["organization_name"] = JSON(HPRef.department(r.int("organization_id"))?.hierarchy.last)
        o["name"] = joined(r, "family_name", "first_name")
        o["name_kana"] = joined(r, "family_name_kana", "first_name_kana")
        for k in ["family_name", "first_name", "family_name_kana", "first_name_kana", "post", "tel"] { o[k] = value(r, k) }
        o["extension"] = extensionText(r)
        for k in ["fax", "email", "mobile_tel", "mobile_email", "zip", "pref_id"] { o[k] = value(r, k) }
        addressParts(r, into: &o)
        for k in ["url", "latitude", "longitude", "lead_source_kbn_id", "lead_source", "status", "open_status",
                  "owner_user_id", "owner_user"] { o[k] = value(r, k) }
        let owner = HPRef.user(r.int("owner_user_id"))?.name ?? r.string("owner_user")
        o["user_name"] = JSON(owner)
        for k in ["trade_on", "note", "direct_note", "request_key"] { o[k] = value(r, k) }
        tags(r, into: &o)
        timestamps(r, into: &o)
        return o
    }

    func renderClient(_ r: HPRecord) -> JSONObject {
        var o = JSONObject()
        o["id"] = .int(r.id)
        for k in ["name", "name_kana", "name_disp", "zip", "pref_id"] { o[k] = value(r, k) }
        o["pref"] = JSON(HPRef.prefecture(r.int("pref_id")))
        addressParts(r, into: &o)
        o["latitude"] = value(r, "latitude")
        o["longitude"] = value(r, "longitude")
        // Listed as the registered choice's name (the schema types them as strings).
        o["business_category_kbn"] = JSON(HPRef.name(HPRef.businessCategories, r.int("business_category_kbn")))
        o["worker_number_kbn"] = JSON(HPRef.name(HPRef.workerNumbers, r.int("worker_number_kbn")))
        o["capital_kbn"] = JSON(HPRef.name(HPRef.capitals, r.int("capital_kbn")))
        o["ipo_kbn"] = JSON(HPRef.name(HPRef.ipos, r.int("ipo_kbn")))
        for k in ["sales_last_year", "main_tel", "url", "mail_domain", "note", "user_id"] { o[k] = value(r, k) }
        let user = HPRef.user(r.int("user_id"))
        o["user_name"] = JSON(user?.name)
        o["user_code"] = JSON(user?.code)
        o["corporate_number"] = value(r, "corporate_number")
        for k in ["name_sub", "name_kana_sub", "zip_sub", "address_sub", "pref_sub", "items"] { o[k] = value(r, k) }
        timestamps(r, into: &o)
        return o
    }

    func renderLead(_ r: HPRecord) -> JSONObject {
        var o = JSONObject()
        o["id"] = .int(r.id)
        o["client_id"] = value(r, "client_id")
        o["client_name"] = JSON(client(r.int("client_id"))?.string("name"))
        let dept = HPRef.department(r.int("organization_id"))
        o["organization_id"] = value(r, "organization_id")
        o["organization_name"] = JSON(dept?.hierarchy.last)
        o["organization_hierarchy"] = .array((dept?.hierarchy ?? []).map { .string($0) })
        o["name"] = joined(r, "family_name", "first_name")
        o["name_kana"] = joined(r, "family_name_kana", "first_name_kana")
        for k in ["family_name", "first_name", "family_name_kana", "first_name_kana", "post", "tel"] { o[k] = value(r, k) }
        o["extension"] = extensionText(r)
        for k in ["fax", "email", "mobile_tel", "mobile_email", "zip", "pref_id"] { o[k] = value(r, k) }
        o["pref"] = JSON(HPRef.prefecture(r.int("pref_id")))
        addressParts(r, into: &o)
        for k in ["url", "latitude", "longitude", "lead_status"] { o[k] = value(r, k) }
        o["lead_status_name"] = JSON(HPRef.name(HPRef.leadStatuses, r.int("lead_status")))
        o["lead_source_kbn_id"] = value(r, "lead_source_kbn_id")
        o["lead_source_kbn_name"] = JSON(HPRef.name(HPRef.leadSources, r.int("lead_source_kbn_id")))
        o["lead_source"] = value(r, "lead_source")
        // Flags are listed as display strings; "ー" (unset) is the samples', "○" (set) a guess.
        for k in HPFields.leadFlags { o[k] = r.fields[k]?.boolValue == true ? "○" : "ー" }
        o["customer_id"] = value(r, "customer_id")
        let owner = HPRef.user(r.int("owner_user_id"))
        o["owner_user_id"] = value(r, "owner_user_id")
        o["owner_user_code"] = JSON(owner?.code)
        o["owner_user_name"] = JSON(owner?.name)
        o["user_names"] = .array(r.ints("user_ids").compactMap { HPRef.user($0)?.name }.map { .string($0) })
        tags(r, into: &o)
        let products = r.ints("interest_product_type_ids")
        o["interest_product_type_ids"] = .array(products.map { .int($0) })
        o["interest_product_type_names"] = .array(products.compactMap { HPRef.name(HPRef.products, $0) }.map { .string($0) })
        for k in ["trade_on", "note", "items"] { o[k] = value(r, k) }
        timestamps(r, into: &o)
        return o
    }
}
