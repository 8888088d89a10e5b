import GatewayCore

/// HotProfile's REST API (Hammock, `https://{tenant}.hot-profile.com/rest_api/v1/`) as the
/// gateway uses it: business cards, clients and leads, each with `create`, `update`,
/// `get_entry_list` and `get_entry_list_flow` (also with a `.json` suffix), every one a POST.
/// Written from the vendor's Power Platform swagger (`hotprofile/connector-swagger.json`) and
/// FACTS.md §3.
///
/// Files: this one (routes, auth, request decoding, the operations, the error shape),
/// `HotProfileFields` (write fields, limits, validation), `HotProfileSearch` (search keys),
/// `HotProfileRender` (list output), `HotProfileStore` (state, JST times), `HotProfileSeed`
/// and `HotProfileSeedData` (the demo tenant).
///
/// Seed: 320 clients (ids 1001-1320), 330 business cards (3001-3330), 345 leads (7001-7345);
/// 8 users (58501-58508), 12 departments (501-512). Japanese names with katakana readings;
/// created/updated times from 2019-04 to 2025-01-14, all before the fixture clock.
/// Operation names: `business_cards.{create,update,list}`, `clients.{...}`, `leads.{...}`
/// (both list paths and both suffixes are one operation).
///
/// NOTES — where this emulator differs from, or guesses about, the real HotProfile:
/// - Error bodies, status codes and rate limits are undocumented (FACTS 3.2 [U]). The emulator
///   answers every error as `{"errors": [{"field"?, "code", "count"?, "message"}]}` (Rails-style,
///   Japanese ja.yml messages prefixed with HotProfile's field name): 401 `unauthorized` for a
///   missing or wrong `api_key`, 422 for validation (every bad field at once; codes `blank`,
///   `too_long` (+`count`), `not_a_number`, `inclusion`, `invalid`, `out_of_range`), 404
///   `not_found` for an unknown `id` on update and for unknown paths, 400 `bad_request` for a
///   body that does not parse, 429 `rate_limited` with `Retry-After: 60` (the only hint is a
///   third-party "1000 requests / 5 min"; not enforced, only the `rate_limit` fault sends it).
/// - GET, PUT, PATCH and DELETE on an API path are a 404 (Rails' routing error, a guess), not
///   a 405; they count as operation `unknown`. Other methods (OPTIONS, ...) get the host's 405
///   in the same error shape.
/// - `api_key` is read from the query, a form body or a JSON body (body wins); auth is checked
///   before validation. Query, form and JSON are merged (body wins); bracket keys nest, also
///   inside JSON (`{"page[number]": 2}`). Numeric strings are accepted for integer fields
///   (Rails coerces); anything else is `not_a_number`. Unknown write fields are ignored
///   (strong parameters); unknown `search` keys are ignored too.
/// - Lengths count Unicode code points (Ruby's `String#length`). `latitude`/`longitude` are
///   typed integer in the swagger but described as "3 digits, 14 decimals": decimals are
///   accepted and stored as strings (they are listed as strings). Blank values clear optional
///   fields on update; a blank `family_name`, `name`, `name_disp`, `client_id`, `status` or
///   `open_status` is refused even on update. Card and lead updates require `client_id` (the
///   swagger). Lead `owner_user_id` (typed string in the swagger) must be a registered user id.
/// - `pref_id`, `organization_id`, `lead_source_kbn_id`, `lead_status`, `*_kbn`, `user_id`
///   and `owner_user_id` must be registered ids (`HPRef`); `client_id` an existing client.
/// - List output: text fields not set are `""`, ids and coordinates `null` (as in the real
///   samples); lead `customer_id` is `null` until set. `name`/`name_kana` are the parts joined
///   by one space. Lead flags list as `"ー"` (unset, the samples) or `"○"` (set, a guess).
///   `extension` lists as a string. Client `*_kbn` list as the choice's name (the schema says
///   string); `pref_id`/`user_id` are listed as well. `address1..3` are the seeded address
///   parts (prefecture+city / street / building); an API-written `address` becomes
///   `address1` with `address2`/`address3` empty. `items` are `[{label, value}]` (FACTS 3.2
///   [U]; the swagger's `items`/`itemslabel`/`itemsvalue` flattening is not reproduced); cards
///   have no `items` (their schema lists none). The page fields the swagger repeats inside
///   each item are left out. `corporate_number` is a 13-digit integer (schema: integer).
///   `created_at`/`updated_at` are JST `yyyy/mm/dd HH:MM:SS`; a lead's `trade_on` is set to
///   its creation date (JST) when created through the API.
/// - Lists: default order `id asc`; ties broken by id. `page[display_number]` defaults to 20
///   for every entity (documented for leads only); out of range, a `page[number]` below 1 or
///   an unknown `order[key]`/`order[type]` is a 422. `total_number` is 0 when nothing matches.
///   `page[date_format_option]` is validated (boolean for cards, 0|1 for clients and leads)
///   but changes nothing: what it does is undocumented.
/// - Search: partial matches are ASCII case-insensitive; `search[name]` also matches without
///   the space; leads' `search[client_id]` (documented as "partial match") is exact; `ids`,
///   `user_ids`, `lead_source_kbn_ids` take a CSV or a JSON array; `multiple` needs every
///   word to match one of name, kana, client name, e-mail, phones, post, department,
///   address, note, customer id. Date ranges compare JST dates (`yyyy/mm/dd` or
///   `yyyy-mm-dd`); `*_datetime_updated_on` take `yyyy/mm/dd HH:MM:SS` (or dashes) in JST.
///   `role_id` is validated and ignored. Cards also accept `from_id`/`to_id`.
/// - No webhooks (HotProfile has none); no rate limiting except the injected fault.
public final class HotProfileEmulator: Emulator {
    public let name = "hotprofile"
    public private(set) var routes = EmulatorRoutes()

    let options: SandboxOptions
    let seeded: HPState
    var state: HPState

    public init(environment: EmulatorEnvironment, options: SandboxOptions) {
        self.options = options
        seeded = HPSeed.make()
        state = seeded
        addRoutes()
    }

    public func reset() { state = seeded }

    public func rateLimitedResponse() -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Retry-After", "60")
        return Self.errors(429, [HPFieldError(field: "", code: "rate_limited", message: "APIの利用回数が上限を超えました。しばらく時間をおいてから再度お試しください")], headers: h)
    }

    public func errorResponse(status: Int, message: String) -> HTTPResponse {
        let code = switch status {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 422: "unprocessable_entity"
        case 429: "rate_limited"
        case 503: "service_unavailable"
        default: status >= 500 ? "internal_server_error" : "error"
        }
        return Self.errors(status, [HPFieldError(field: "", code: code, message: message)])
    }

    /// `{"errors": [...]}`; members without a field leave `field` out.
    static func errors(_ status: Int, _ list: [HPFieldError], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        let items: [JSON] = list.map { e in
            guard e.field.isEmpty, case .object(var o) = e.json else { return e.json }
            o["field"] = nil
            return .object(o)
        }
        return .json(status: status, ["errors": .array(items)], headers: headers)
    }

    // MARK: routes

    private func addRoutes() {
        for e in HPEntity.allCases {
            let actions: [(String, String, (HPEntity, JSONObject, EmulatorCall) -> HTTPResponse)] = [
                ("create", "create", { [unowned self] in create($0, $1, $2) }),
                ("update", "update", { [unowned self] in update($0, $1, $2) }),
                ("get_entry_list", "list", { [unowned self] in list($0, $1, $2) }),
                ("get_entry_list_flow", "list", { [unowned self] in list($0, $1, $2) }),
            ]
            for (action, op, handler) in actions {
                for suffix in ["", ".json"] {
                    let path = "/rest_api/v1/\(e.rawValue)/\(action)\(suffix)"
                    routes.add(.POST, path, "\(e.rawValue).\(op)") { [unowned self] call in
                        switch authorizedParams(call) {
                        case .failure(let rejection): rejection.response
                        case .success(let params): handler(e, params, call)
                        }
                    }
                    for m in [HTTPMethod.GET, .PUT, .PATCH, .DELETE] {
                        routes.add(m, path, "unknown") { [unowned self] _ in errorResponse(status: 404, message: "Not Found") }
                    }
                }
            }
        }
    }

    struct Rejection: Error { let response: HTTPResponse }

    /// Query and body merged (body wins), then the `api_key` check.
    func authorizedParams(_ call: EmulatorCall) -> Result<JSONObject, Rejection> {
        var params = FormEncoding.nested(call.query).objectValue ?? JSONObject()
        if !call.request.body.isEmpty {
            let ct = call.contentType ?? ""
            let looksJSON = ct.contains("json") || (ct.isEmpty && call.request.body.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{"))
            let body: JSONObject?
            if looksJSON {
                if case .success(.object(let o)) = call.jsonBody() { body = Self.nestBrackets(o) } else { body = nil }
            } else {
                body = call.formBody().flatMap { FormEncoding.nested($0).objectValue }
            }
            guard let body else {
                return .failure(Rejection(response: errorResponse(status: 400, message: "リクエストの形式が不正です")))
            }
            params = Self.merged(params, body)
        }
        let key = params["api_key"].flatMap(HPFields.scalarText) ?? ""
        guard !key.isEmpty, constantTimeEquals(Array(key.utf8), Array(options.credential.utf8)) else {
            return .failure(Rejection(response: Self.errors(401, [HPFieldError(field: "", code: "unauthorized", message: "APIキーが正しくありません")])))
        }
        return .success(params)
    }

    /// `b` over `a`, objects merged member by member.
    static func merged(_ a: JSONObject, _ b: JSONObject) -> JSONObject {
        var out = a
        for (k, v) in b {
            if let bo = v.objectValue, let ao = out[k]?.objectValue { out[k] = .object(merged(ao, bo)) } else { out[k] = v }
        }
        return out
    }

    /// `{"page[number]": 2}` -> `{"page": {"number": 2}}`, keeping JSON values.
    static func nestBrackets(_ o: JSONObject) -> JSONObject {
        var out = JSONObject()
        for (k, v) in o {
            guard let open = k.firstIndex(of: "["), k.hasSuffix("]") else {
                out[k] = out[k]?.objectValue.flatMap { existing in v.objectValue.map { .object(merged(existing, $0)) } } ?? v
                continue
            }
            let inner = k[k.index(after: open)..<k.index(before: k.endIndex)]
            var path = [String(k[..<open])] + inner.split(separator: "][", omittingEmptySubsequences: false).map(String.init)
            var node = v
            while path.count > 1 { node = .object([path.removeLast(): node]) }
            out = merged(out, [path[0]: node])
        }
        return out
    }

    // MARK: operations

    func create(_ e: HPEntity, _ params: JSONObject, _ call: EmulatorCall) -> HTTPResponse {
        let (values, errors) = HPFields.validate(HPFields.create(e), params, exists: state.exists)
        guard errors.isEmpty else { return Self.errors(422, errors) }
        var fields: [String: JSON] = [:]
        for f in HPFields.fields(e) {
            if case .text = f.kind { fields[f.name] = "" } else { fields[f.name] = .null }
        }
        let now = call.now.epochMillis
        switch e {
        case .businessCards:
            fields["post"] = ""
            fields["request_key"] = ""
            fields["tag_ids"] = []
        case .clients:
            fields["corporate_number"] = .null
            fields["items"] = []
        case .leads:
            for flag in HPFields.leadFlags { fields[flag] = false }
            fields["customer_id"] = .null
            fields["trade_on"] = .string(HPTime.date(now))
            for k in ["tag_ids", "items", "user_ids", "interest_product_type_ids"] { fields[k] = [] }
        }
        for (k, v) in values { fields[k] = v }
        for (k, v) in Self.addressParts(values) { fields[k] = v }
        if fields["address1"] == nil { fields["address1"] = ""; fields["address2"] = ""; fields["address3"] = "" }
        let id = state.insert(e, fields: fields, now: now)
        return .json(status: 200, ["id": .int(id)])
    }

    func update(_ e: HPEntity, _ params: JSONObject, _ call: EmulatorCall) -> HTTPResponse {
        // Rails finds the record first: an unknown (well-formed) id is a 404 whatever else is wrong.
        if let id = params["id"].flatMap(HPFields.integer), state.find(e, id) == nil {
            return Self.errors(404, [HPFieldError(field: "id", code: "not_found", message: "指定されたid(\(id))のデータが見つかりません")])
        }
        let (values, errors) = HPFields.validate(HPFields.update(e), params, exists: state.exists)
        guard errors.isEmpty, let id = values["id"]?.intValue else { return Self.errors(422, errors) }
        var changes = values
        changes["id"] = nil
        for (k, v) in Self.addressParts(values) { changes[k] = v }
        _ = state.update(e, id: id, changes: changes, now: call.now.epochMillis)
        return .json(status: 200, ["id": .int(id)])
    }

    /// An address written through the API is one string: it becomes `address1`.
    static func addressParts(_ values: [String: JSON]) -> [String: JSON] {
        guard let a = values["address"] else { return [:] }
        return ["address1": a.isNull ? "" : a, "address2": "", "address3": ""]
    }

    func list(_ e: HPEntity, _ params: JSONObject, _ call: EmulatorCall) -> HTTPResponse {
        let page = params["page"]?.objectValue ?? JSONObject()
        let order = params["order"]?.objectValue ?? JSONObject()
        var errors: [HPFieldError] = []

        func int(_ v: JSON?, _ name: String, default d: Int, range: ClosedRange<Int>) -> Int {
            guard let v, !HPFields.isBlank(v) else { return d }
            guard let i = HPFields.integer(v) else { errors.append(.notANumber(name)); return d }
            guard range.contains(i) else { errors.append(.outOfRange(name, range.lowerBound, range.upperBound)); return d }
            return i
        }
        let number = int(page["number"], "page[number]", default: 1, range: 1...Int(Int32.max))
        let per = int(page["display_number"], "page[display_number]", default: 20, range: 1...e.maxDisplayNumber)
        if let v = page["date_format_option"], !HPFields.isBlank(v) {
            let ok = e == .businessCards ? HPFields.flag(v) != nil : [0, 1].contains(HPFields.integer(v) ?? -1) || v.boolValue != nil
            if !ok { errors.append(.inclusion("page[date_format_option]")) }
        }
        let key = order["key"].flatMap(HPFields.scalarText).flatMap { $0.isEmpty ? nil : $0 } ?? "id"
        if !e.orderKeys.contains(key) { errors.append(.inclusion("order[key]")) }
        let direction = order["type"].flatMap(HPFields.scalarText).flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? "asc"
        if direction != "asc" && direction != "desc" { errors.append(.inclusion("order[type]")) }
        let (filters, searchErrors) = state.filters(e, params["search"]?.objectValue ?? JSONObject())
        errors += searchErrors
        guard errors.isEmpty else { return Self.errors(422, errors) }

        let rows = state.records(e).map { HPRow(record: $0, out: state.render(e, $0)) }.filter { row in filters.allSatisfy { $0(row) } }
        let sorted = rows.sorted { a, b in
            let (x, y) = direction == "desc" ? (b, a) : (a, b)
            switch key {
            case "trade_on":
                let (p, q) = (x.out["trade_on"]?.stringValue ?? "", y.out["trade_on"]?.stringValue ?? "")
                if p != q { return p < q }
            case "updated_at", "update_at":
                if x.record.updatedAt != y.record.updatedAt { return x.record.updatedAt < y.record.updatedAt }
            case "create_at":
                if x.record.createdAt != y.record.createdAt { return x.record.createdAt < y.record.createdAt }
            default: break
            }
            return x.record.id < y.record.id
        }
        let start = min((number - 1).multipliedReportingOverflow(by: per).overflow ? sorted.count : (number - 1) * per, sorted.count)
        let slice = sorted[start..<min(start + per, sorted.count)]
        let pages: JSONObject = ["current_number": .int(number), "display_number": .int(per),
                                 "total_count": .int(sorted.count), "total_number": .int((sorted.count + per - 1) / per)]
        return .json(status: 200, [e.rawValue: .array(slice.map { .object($0.out) }), "pages": .object(pages)])
    }
}
