import GatewayCore

/// `/deals` from Pipedrive deals (`/api/v2/deals`). Reads name their stage and pipeline
/// from one `PipedriveMetadata` load per call.
///
/// Filters: `status` (open|won|lost|deleted), `stage_id`, `pipeline_id`, `contact_id`
/// (`person_id`), `company_id` (`org_id`), `updated_since` on the list; `q` through
/// `/api/v2/deals/search`, which also takes `person_id`, `organization_id` and `status`
/// (open|won|lost), so `q` combines with those three only.
struct PipedriveDeals: ResourceSource {
    let client: PipedriveClient
    var source: String { PipedriveClient.source }
    var kinds: [String] { ["deal"] }
    static let path = "/api/v2/deals"
    static let writableStatuses = ["open", "won", "lost"]

    func operations(kind: String) -> Set<ResourceOperation> { [.list, .get, .create, .update, .delete] }
    func filters(kind: String) -> Set<ListFilter.Name> {
        [.q, .status, .stage_id, .pipeline_id, .contact_id, .company_id, .updated_since]
    }
    func maxPageSize(kind: String) -> Int { 500 }

    func validate(kind: String, _ w: DealWrite, creating: Bool) -> [FieldError] {
        var c = PipedriveChecks()
        c.text("title", w.title, required: creating, clearable: false)
        if w.amount == .clear { c.add("value.amount", "cannot be cleared on Pipedrive (set 0)") }
        switch w.currency {
        case .keep: break
        case .clear: c.add("value.currency", "cannot be cleared on Pipedrive")
        case .set(let s): if !PipedriveChecks.isCurrency(s) { c.add("value.currency", "must be a 3-letter ISO 4217 code in capitals (e.g. USD)") }
        }
        switch w.status {
        case .keep: break
        case .clear: c.add("status", "cannot be cleared; one of open, won, lost")
        case .set(let s): if !Self.writableStatuses.contains(s) { c.add("status", "must be one of open, won, lost (delete a deal with DELETE)") }
        }
        if case .set = w.lostReason, w.status.value != "lost" {
            c.add("lost_reason", "may only be given with status \"lost\"")
        }
        c.id("stage_id", w.stageID, kind: "stage", clearable: false)
        c.id("pipeline_id", w.pipelineID, kind: "pipeline", clearable: false)
        c.id("contact_id", w.contactID, kind: "person", clearable: true)
        c.id("company_id", w.companyID, kind: "organization", clearable: true)
        c.date("expected_close_date", w.expectedCloseDate)
        c.owner(w.ownerID)
        c.customFields(w.customFields)
        return c.errors
    }

    func list(kind: String, filter: ListFilter, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Deal> {
        let person = try PipedriveFilter.id(filter, .contact_id, kind: "person")
        let org = try PipedriveFilter.id(filter, .company_id, kind: "organization")
        let stage = try PipedriveFilter.id(filter, .stage_id, kind: "stage")
        let pipeline = try PipedriveFilter.id(filter, .pipeline_id, kind: "pipeline")
        let status = filter[.status]
        if let status, !Deal.Status.allCases.map(\.rawValue).contains(status) {
            throw .badRequest("status must be one of open, won, lost, deleted for Pipedrive deals",
                              [FieldError("status", "must be one of open, won, lost, deleted")])
        }
        let result: (items: [JSON], next: String?)
        if filter[.q] != nil {
            try PipedriveFilter.refuseCombination(filter, search: .q, allowed: [.status, .contact_id, .company_id], what: "deals")
            if status == "deleted" {
                throw .badRequest("Pipedrive's deal search does not find deleted deals; use status=deleted without q",
                                  [FieldError("status", "cannot be deleted together with q on Pipedrive deals")])
            }
            var query = [("term", try PipedriveFilter.term(filter, .q, exact: false))]
            if let person { query.append(("person_id", String(person))) }
            if let org { query.append(("organization_id", String(org))) }
            if let status { query.append(("status", status)) }
            result = try await client.searchRecords("deals", query: query, page: page, context: context)
        } else {
            var query = PipedriveClient.paging(page)
            if let since = try PipedriveFilter.updatedSince(filter) { query.append(("updated_since", since)) }
            if let person { query.append(("person_id", String(person))) }
            if let org { query.append(("org_id", String(org))) }
            if let pipeline { query.append(("pipeline_id", String(pipeline))) }
            if let stage { query.append(("stage_id", String(stage))) }
            if let status { query.append(("status", status)) }
            result = try await client.list(Self.path, query: query, context: context)
        }
        let rows = Array(result.items.prefix(page.size))
        guard !rows.isEmpty else { return SourcePage(items: [], next: result.next) }
        let meta = try await PipedriveMetadata.load(client, context: context)
        var items: [Deal] = []
        for d in rows { items.append(try PipedriveMapping.deal(d, meta)) }
        return SourcePage(items: items, next: result.next)
    }

    func get(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) -> Deal {
        let n = try PipedriveID.require(id, kind: "deal")
        return try await mapped(try await client.record("GET", "\(Self.path)/\(n)", context: context), context)
    }

    func create(kind: String, _ w: DealWrite, context: AdapterContext) async throws(GatewayError) -> Deal {
        let errors = validate(kind: kind, w, creating: true)
        guard errors.isEmpty else { throw .validation(errors) }
        return try await mapped(try await client.record("POST", Self.path, body: .object(Self.body(w)), context: context), context)
    }

    func update(_ id: UnifiedID, _ w: DealWrite, context: AdapterContext) async throws(GatewayError) -> Deal {
        let n = try PipedriveID.require(id, kind: "deal")
        let errors = validate(kind: "deal", w, creating: false)
        guard errors.isEmpty else { throw .validation(errors) }
        return try await mapped(try await client.record("PATCH", "\(Self.path)/\(n)", body: .object(Self.body(w)), context: context), context)
    }

    func delete(_ id: UnifiedID, context: AdapterContext) async throws(GatewayError) {
        let n = try PipedriveID.require(id, kind: "deal")
        _ = try await client.send("DELETE", "\(Self.path)/\(n)", context: context)
    }

    private func mapped(_ d: JSON, _ context: AdapterContext) async throws(GatewayError) -> Deal {
        try PipedriveMapping.deal(d, try await PipedriveMetadata.load(client, context: context))
    }

    static func body(_ w: DealWrite) -> JSONObject {
        var b = JSONObject()
        if let t = w.title.value { b["title"] = .string(PipedriveText.trim(t)) }
        if let a = w.amount.value { b["value"] = a.rounded() == a && abs(a) < 9e15 ? .int(Int(a)) : .double(a) }
        if let cur = w.currency.value { b["currency"] = .string(cur) }
        if let s = w.status.value { b["status"] = .string(s) }
        switch w.lostReason {
        case .keep: break
        case .clear: b["lost_reason"] = .null
        case .set(let r): b["lost_reason"] = .string(r)
        }
        PipedriveBody.id(&b, "stage_id", w.stageID, kind: "stage")
        PipedriveBody.id(&b, "pipeline_id", w.pipelineID, kind: "pipeline")
        PipedriveBody.id(&b, "person_id", w.contactID, kind: "person")
        PipedriveBody.id(&b, "org_id", w.companyID, kind: "organization")
        switch w.expectedCloseDate {
        case .keep: break
        case .clear: b["expected_close_date"] = .null
        case .set(let d): b["expected_close_date"] = .string(d)
        }
        PipedriveBody.owner(&b, w.ownerID)
        PipedriveBody.customFields(&b, w.customFields)
        return b
    }
}
