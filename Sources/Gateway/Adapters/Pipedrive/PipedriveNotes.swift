import GatewayCore

/// Notes of persons, deals and organizations: v1 `/api/v1/notes` (notes have no v2 API),
/// offset paging with `start`/`limit` and `additional_data.pagination`.
struct PipedriveNotes: NoteSource {
    let client: PipedriveClient
    var source: String { PipedriveClient.source }
    var parentKinds: Set<String> { Set(Self.parentKeys.keys) }
    static let path = "/api/v1/notes"
    /// The v1 query/body key that ties a note to its parent.
    static let parentKeys = ["person": "person_id", "deal": "deal_id", "organization": "org_id"]

    func maxPageSize() -> Int { 500 }

    func validate(_ write: NoteWrite) -> [FieldError] {
        var c = PipedriveChecks()
        c.text("content", write.content, required: true, clearable: false)
        return c.errors
    }

    private func parent(_ id: UnifiedID) throws(GatewayError) -> (key: String, id: Int) {
        guard let key = Self.parentKeys[id.kind], let n = PipedriveID.remote(id, kind: id.kind) else {
            throw .notFound("no Pipedrive record \(id) that takes notes (persons, deals, organizations)")
        }
        return (key, n)
    }

    func list(parent id: UnifiedID, page: PageRequest, context: AdapterContext) async throws(GatewayError) -> SourcePage<Note> {
        let p = try parent(id)
        var query = [(p.key, String(p.id)), ("limit", String(page.size))]
        if let t = page.token {
            guard let start = Int(t), start >= 0 else {
                throw .badRequest("the cursor is not one this gateway gave out", [FieldError("cursor", "is not valid")])
            }
            query.append(("start", String(start)))
        }
        let r = try await client.send("GET", Self.path, query: query, context: context)
        var items: [Note] = []
        for n in try client.items(r["data"], Self.path).prefix(page.size) { items.append(try PipedriveMapping.note(n)) }
        // `next_start` is sent only when more items exist.
        let pagination = r["additional_data"]?["pagination"]
        var next: String?
        if pagination?["more_items_in_collection"]?.boolValue == true {
            guard let start = pagination?["next_start"]?.intValue else {
                throw client.caller.invalid("\(Self.path): more_items_in_collection without next_start")
            }
            next = String(start)
        }
        return SourcePage(items: items, next: next)
    }

    func create(parent id: UnifiedID, _ write: NoteWrite, context: AdapterContext) async throws(GatewayError) -> Note {
        let p = try parent(id)
        let errors = validate(write)
        guard errors.isEmpty else { throw .validation(errors) }
        var body: JSONObject = ["content": .string(write.content.value ?? "")]
        body[p.key] = .int(p.id)
        return try PipedriveMapping.note(try await client.record("POST", Self.path, body: .object(body), context: context))
    }
}
