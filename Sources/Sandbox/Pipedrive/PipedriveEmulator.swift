import GatewayCore

/// Pipedrive's REST API as the gateway uses it: v2 for persons, organizations, deals,
/// activities, stages and pipelines (`/api/v2/...`), v1 for notes and webhooks (`/api/v1/...`,
/// also the spec's `/v1/...`). Written from `openapi-v2.yml`, `openapi-v1.yml`,
/// `webhooks-v2-asyncapi.yml` and FACTS.md §1.
///
/// Files: this one (routes, auth, envelopes, rate limits), `PipedriveModels` (field tables,
/// validation, rendering), `PipedriveStore` (state), `PipedriveLimits` (burst window, cursor,
/// query parsing), `Pipedrive+Records` (v2 list/get/create/update/delete), `Pipedrive+Rules`
/// (per-entity defaults and invariants), `Pipedrive+Search`, `Pipedrive+Notes`,
/// `Pipedrive+Webhooks`, `PipedriveSeed` (+`+People`, `PipedriveSeedData`).
///
/// Seed: company 7215903 with 4 users (21504301-21504304; the API token is user 21504301),
/// 3 pipelines with 6/5/5 stages, 320 organizations, 360 persons, 340 deals (open, won, lost and
/// 18 deleted; USD, JPY, VND, EUR), 330 activities, 320 notes; no webhooks. Japanese,
/// Vietnamese and US names; custom field keys in `PDCustomFields`. All times before
/// 2025-01-15T08:00:00Z.
///
/// NOTES — where this emulator differs from, or guesses about, the real Pipedrive:
/// - Auth: `x-api-token` header or `api_token` query (both on v1 and v2; FACTS 1.1 and §6 item 1:
///   v2's acceptance of `api_token` is unconfirmed). OAuth Bearer tokens are not accepted.
///   401 body: `{success:false, error:"unauthorized access", errorCode:401, error_info, data:null,
///   additional_data:null}`. 401s are not counted against the burst window.
/// - 429 body is unconfirmed (FACTS 1.6 truncates at `{"succ...`): the standard envelope with
///   `error:"Request over limit"` and `errorCode:429`. No `Retry-After`. The Cloudflare 403 for
///   clients that keep hammering is not emulated, nor is the token-based daily budget.
/// - Burst limit: one rolling 2-second window (a log of request times) for the one accepted
///   token, limit `options.pipedriveBurstLimit`; search endpoints also have their own window of
///   10. `x-ratelimit-reset` is the whole seconds until the oldest request in the window leaves
///   it. `x-daily-requests-left` (POST/PUT/PATCH, from 10,000 per UTC day) turns into a 429 at 0.
/// - v2 responses leave out a field whose value is null unless the spec marks it nullable
///   (the live API sends `"org_id": null` etc.; the spec's types do not allow null, so the
///   emulator omits them to stay valid against the spec). Clients should treat missing and null alike.
/// - v2 validation errors: 400 in the standard envelope, `error: "Validation failed: <field>:
///   <reason>"` (the live wording is unconfirmed). Unknown body members are ignored, not rejected.
///   Non-integer path ids are a 400. Referenced records (org_id, person_id, stage_id, ...) must exist.
///   Query booleans (`done`, `exact_match`) take only `true`/`false`; dates in queries must be RFC 3339
///   with a time (`updated_since=2025-01-01` is a 400). Body `currency` must be 3 capital letters;
///   activity `type` one of call, meeting, task, deadline, email, lunch; v2 bodies must be JSON (else 415).
/// - POST /organizations requires `name` (the v2 spec says `title`, a spec bug per FACTS 1.5).
///   POST /persons requires `name` (the v2 spec lists nothing as required; v1 requires it).
/// - `first_name`/`last_name` of a person are derived from `name` (first word / the rest).
/// - GET of a deleted record is a 404; deleted deals are listed only with `status=deleted`
///   (deleting sets `status` to `deleted` and `is_deleted` to true). Deletes are soft and kept.
/// - `lost_reason` is kept only when the deal ends up `lost`; won/lost set `won_time`/`lost_time`
///   and `close_time`, reopening clears them. A `stage_id` moves the deal to that stage's pipeline;
///   a `pipeline_id` alone puts it in that pipeline's first stage. Deleting a pipeline deletes its
///   stages (no events for them); deleting an organization or person does not unlink or delete
///   related records.
/// - Cursors are base64url of `sort_by:direction:key:id` (the first record of the next page); a
///   cursor from another sort is a 400. `include_fields`, `custom_fields`, `filter_id` are ignored.
/// - Search: case-insensitive substring match (exact, case-insensitive with `exact_match=true`);
///   `result_score` is 1 for an exact match, 0.75 for a prefix, 0.5 otherwise, times 0.8 when the
///   match is not in the name/title. The search cursor is an offset. `notes` searches the content
///   of notes attached to the record.
/// - v1 notes: numeric strings are accepted (v1 coerces). `limit` above 500 is clamped. Default
///   order `id ASC`. An empty page has `data: []` (the live v1 may send null). Content is stored as
///   given (no HTML sanitising). DELETE answers `{success:true, data:true}` as the v1 spec says.
/// - v1 webhooks: `name` is required (spec). Both action vocabularies (v2 create/change/delete and
///   v1 added/updated/merged/deleted) are accepted for both versions. Loopback URLs are allowed.
///   The 40-per-user limit answers 422 in the standard envelope ("Webhooks limit reached").
///   `last_delivery_time`/`last_http_status` stay null; the ban counter and 3-day deletion are not
///   emulated. Deliveries follow `options.pipedriveWebhookRetryDelays` (at most 4 attempts).
/// - Webhook v2 payloads: `meta.entity_id` is a string (the guide), `company_id`, `user_id`,
///   `webhook_id`, `webhook_owner_id`, `permitted_user_ids` are integers (the AsyncAPI file).
///   `delete` events carry `data: null` and the last state in `previous`. Note events carry the
///   v1 note object (notes have no v2 shape). Stage and pipeline events are sent on v2 webhooks too.
/// - Webhook v1 payloads: `current`/`previous` are the v2 objects converted to v1 conventions
///   (SQL timestamps, `active_flag`, flat custom fields, `email`/`phone`, `user_id` for owners).
public final class PipedriveEmulator: Emulator {
    public let name = "pipedrive"
    public private(set) var routes = EmulatorRoutes()

    let environment: EmulatorEnvironment
    let options: SandboxOptions
    let seeded: PipedriveState
    var state: PipedriveState
    var burst: PDBurstWindow
    var searchBurst = PDBurstWindow(limit: 10)
    var daily = PDDailyWrites()
    /// Ids for webhook deliveries (`meta.id`, `correlation_id`).
    var uuids = PDRandom(seed: 0x0D15_EA5E_F00D)

    public init(environment: EmulatorEnvironment, options: SandboxOptions) {
        self.environment = environment
        self.options = options
        seeded = PipedriveSeed.make()
        state = seeded
        burst = PDBurstWindow(limit: options.pipedriveBurstLimit)
        routes = makeRoutes()
    }

    public func reset() {
        state = seeded
        burst = PDBurstWindow(limit: options.pipedriveBurstLimit)
        searchBurst = PDBurstWindow(limit: 10)
        daily = PDDailyWrites()
    }

    public func rateLimitedResponse() -> HTTPResponse {
        var r = response(PDError.envelope(429, "Request over limit", errorCode: true))
        addRateHeaders(&r, limit: options.pipedriveBurstLimit, decision: .init(allowed: false, remaining: 0, resetSeconds: 2))
        return r
    }

    public func errorResponse(status: Int, message: String) -> HTTPResponse {
        response(PDError.envelope(status, message, errorCode: status == 401 || status == 429))
    }

    // MARK: routes

    private func makeRoutes() -> EmulatorRoutes {
        var r = EmulatorRoutes()
        for kind in [PDKind.person, .organization, .deal, .activity, .stage, .pipeline] {
            let base = "/api/v2/\(kind.plural)"
            let op = kind.plural
            if [.person, .organization, .deal].contains(kind) {
                r.add(.GET, base + "/search", op + ".search", api(search: true) { [unowned self] in try self.search(kind, $0) })
            }
            r.add(.GET, base, op + ".list", api { [unowned self] in try self.list(kind, $0) })
            r.add(.POST, base, op + ".create", api { [unowned self] in try self.create(kind, $0) })
            r.add(.GET, base + "/{id}", op + ".get", api { [unowned self] in try self.get(kind, $0) })
            r.add(.PATCH, base + "/{id}", op + ".update", api { [unowned self] in try self.update(kind, $0) })
            r.add(.DELETE, base + "/{id}", op + ".delete", api { [unowned self] in try self.delete(kind, $0) })
        }
        for prefix in ["/api/v1", "/v1"] {
            r.add(.GET, prefix + "/notes", "notes.list", api { [unowned self] in try self.listNotes($0) })
            r.add(.POST, prefix + "/notes", "notes.create", api { [unowned self] in try self.createNote($0) })
            r.add(.GET, prefix + "/notes/{id}", "notes.get", api { [unowned self] in try self.getNote($0) })
            r.add(.PUT, prefix + "/notes/{id}", "notes.update", api { [unowned self] in try self.updateNote($0) })
            r.add(.DELETE, prefix + "/notes/{id}", "notes.delete", api { [unowned self] in try self.deleteNote($0) })
            r.add(.GET, prefix + "/webhooks", "webhooks.list", api { [unowned self] in try self.listWebhooks($0) })
            r.add(.POST, prefix + "/webhooks", "webhooks.create", api { [unowned self] in try self.createWebhook($0) })
            r.add(.DELETE, prefix + "/webhooks/{id}", "webhooks.delete", api { [unowned self] in try self.deleteWebhook($0) })
        }
        return r
    }

    typealias Operation = (EmulatorCall) throws -> HTTPResponse

    /// Auth, then the burst windows, then the operation; every authenticated answer carries the
    /// rate-limit headers.
    private func api(search: Bool = false, _ operation: @escaping Operation) -> EmulatorRoutes.Handler {
        { [unowned self] call in
            let token = call.header("x-api-token") ?? call.query("api_token")
            guard let token, token == options.credential else {
                return response(PDError.envelope(401, "unauthorized access", errorCode: true))
            }
            let now = call.now.epochMillis
            let limit: Int
            let decision: PDBurstWindow.Decision
            if search {
                let s = searchBurst.take(now: now)
                if s.allowed { _ = burst.take(now: now) }
                (limit, decision) = (searchBurst.limit, s)
            } else {
                (limit, decision) = (burst.limit, burst.take(now: now))
            }
            var r: HTTPResponse
            var dailyLeft: Int?
            let writes = call.method == .POST || call.method == .PUT || call.method == .PATCH
            if !decision.allowed {
                r = response(PDError.envelope(429, "Request over limit", errorCode: true))
            } else if writes, let left = daily.take(now: now) {
                dailyLeft = left
                r = run(operation, call)
            } else if writes {
                dailyLeft = 0
                r = response(PDError.envelope(429, "Request over limit", errorCode: true))
            } else {
                r = run(operation, call)
            }
            addRateHeaders(&r, limit: limit, decision: decision)
            if let dailyLeft { r.headers.replaceOrAdd("x-daily-requests-left", String(dailyLeft)) }
            return r
        }
    }

    private func run(_ operation: Operation, _ call: EmulatorCall) -> HTTPResponse {
        do {
            return try operation(call)
        } catch let e as PDError {
            return response(e)
        } catch {
            return response(PDError.envelope(500, "Internal server error"))
        }
    }

    private func addRateHeaders(_ r: inout HTTPResponse, limit: Int, decision: PDBurstWindow.Decision) {
        r.headers.replaceOrAdd("x-ratelimit-limit", String(limit))
        r.headers.replaceOrAdd("x-ratelimit-remaining", String(decision.remaining))
        r.headers.replaceOrAdd("x-ratelimit-reset", String(decision.resetSeconds))
    }

    // MARK: envelopes

    func response(_ e: PDError) -> HTTPResponse { .json(status: e.status, e.body) }

    /// `{"success": true, "data": ..., "additional_data": ...}`.
    func ok(_ data: JSON, additional: JSON? = nil, status: Int = 200) -> HTTPResponse {
        var o: JSONObject = ["success": true, "data": data]
        if let additional { o["additional_data"] = additional }
        return .json(status: status, .object(o))
    }

    /// The `{id}` path parameter as an integer.
    func pathID(_ call: EmulatorCall) throws(PDError) -> Int {
        guard let id = Int(call.parameter("id")), id > 0 else { throw .validation("id", "must be a positive integer") }
        return id
    }

    /// A v2 body: JSON only.
    func jsonBody(_ call: EmulatorCall) throws(PDError) -> JSON? {
        guard let parsed = call.jsonBody() else { return nil }
        if let ct = call.contentType, ct != "application/json" {
            throw .envelope(415, "Unsupported Media Type: the v2 API accepts application/json only")
        }
        switch parsed {
        case .success(let j): return j
        case .failure(let e): throw .envelope(400, "Invalid JSON in request body: \(e.reason)")
        }
    }
}
