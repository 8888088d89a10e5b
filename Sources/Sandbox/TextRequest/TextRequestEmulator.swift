import GatewayCore

/// Text Request API v3 as the gateway uses it, under `/api/v3/...`: dashboards, contacts,
/// conversation messages, top-level sends, dashboard messages, conversations (archive),
/// groups, tags, custom fields, webhooks (`/eventTypes`, hooks) and signed outbound webhook
/// deliveries. Written from `textrequest/openapi-v3.yaml`, `connector-swagger.json` and FACTS §2.
///
/// Files: this one (routes, auth, errors, paging, request parsing), `TextRequestModels` (state
/// and JSON shapes), `USPhone` (phone normalisation, SMS segments), `TextRequest+Contacts`,
/// `TextRequest+Messages` (sends, conversations), `TextRequest+Directory` (dashboards, groups,
/// tags, fields), `TextRequest+Webhooks` (hooks, event payloads, signing, admin deliver),
/// `TextRequestSeed` (+ `TextRequestSeedData`).
///
/// Seed: dashboard 1 "Sandbox Dashboard" (14235550100) with 420 contacts, 335 conversations
/// (2,543 messages; three conversations of 105-150 messages), 6 groups, 6 tags, 3 custom fields;
/// dashboard 2 "Sandbox Support Line" (16155550100) with 40 contacts (178 messages), 2 groups,
/// 2 tags, 1 field. No hooks. Groups, tags and fields are few, as on a real dashboard.
/// Every seeded time is before 2025-01-15T08:00:00Z. See `TextRequestSeed` for the details.
///
/// NOTES — where this emulator differs from, or guesses about, the real Text Request:
/// - Auth [U, FACTS 2.1]: a missing (or empty) `x-api-key` header is a 400, a wrong key a 401
///   (the docs say 400 for a missing header, the operations document 401 for omitted/invalid).
/// - Error body [U, FACTS 2.3]: the prose shape `{"status":N,"errorCode":null,"message":"..."}`
///   plus the schema's `error_message` (same text) and, for 400 validation errors only,
///   `error_code: "parameterInvalid"` (the spec's own example code). `error_code` is left out
///   rather than null elsewhere: the spec's `error` schema types it as a non-nullable string, so
///   this is the shape that validates against the schema and also matches the prose.
/// - Nulls: the spec types `opted_out_utc`, `last_msg_*_utc`, `first_contact_utc`,
///   `last_contact_date_utc`, `suppressed_reason`, `note`, `last_message`, `delivery_error`,
///   `response_by_username` and group `notes`/`last_message_sent_utc` as non-nullable, but its
///   examples and FACTS 2.5 show null; the emulator sends null when there is no value.
/// - Times are RFC 3339 with milliseconds (`2025-01-15T09:30:00.000Z`); the vendor's .NET
///   backend sends up to 7 fractional digits. Date filters accept RFC 3339 or `YYYY-MM-DD`;
///   anything else is a 400.
/// - Paging: `page` 0-based (default 0), `page_size` default 100, at least 1 (0 is a 400, a guess)
///   and clamped to 1000 (meta reports the clamped size; the vendor's maximum is unknown).
///   An empty `page=` is non-numeric, so a 400.
/// - Phone numbers: `+`, spaces, `-`, `.`, `(`, `)` are stripped (the spec's examples use
///   `321-654-7890`), then 10 digits or 11 starting with 1, with NANP area code and exchange
///   starting 2-9; anything else is a 400. Responses use 11 digits.
/// - Unknown dashboard id: 404 everywhere (the spec documents 400 for GET; a non-numeric id is
///   a 400). Unknown group/tag on PUT or DELETE: 404; unknown field on DELETE: 204 (the spec's
///   204 text says so, its 404 text says otherwise); GET of an unknown group/tag/field: 204.
/// - Contacts list order is creation order. `contact_phone_number` starts-with matches the
///   11-digit number or the 10 digits after the 1. `tags` and `groups` filters match a contact
///   having ANY of the listed ids. Date pairs compare strictly (`_before` <, `_after` >) and leave
///   out contacts with no value. `custom_field_id_N` without `custom_field_value_N` is a 400.
/// - Contact writes: `groups`, `contact_tags`, `custom_fields` must reference existing ids (400).
///   `custom_fields` entries override values by id (an empty/null value removes that one); an
///   empty array clears them all; null/omitted leaves them. Same for `contact_tags` (a non-empty
///   array replaces the set) and `groups`. On create, `display_name` defaults to "first last".
/// - Sending: `body` required and at most 1600 UTF-16 code units (the .NET string length);
///   `sender_name` at most 41; `mms_media` must be http(s) URLs; `location_callback` needs the
///   `[LocationRequest]` tag (400 otherwise, as the spec warns); the tag and
///   `geolocation_requested` insert an invented link. Sending unarchives the conversation.
///   `response_count` counts sends that answer a received message. Receiving marks the
///   contact unresolved; an inbound "STOP" opts out and archives, "START" opts back in.
/// - Throttle [FACTS 2.4]: dashboards are non-10DLC, 1 msg/s each by the wall clock. A send
///   inside the current second is accepted with `delivery_status: "queued"` (the conversation
///   send) / `status: "sending"` (top-level), instead of `sent`. Every accepted send becomes
///   "delivered" at once: `msg_sent` then `msg_status_updated` go out immediately.
/// - Sends to an opted-out or suppressed contact are accepted with status "error" and
///   `delivery_error: "21610"` (a guess, Twilio's unsubscribed-recipient code).
/// - Conversations: newest last message first; 204 only when the dashboard has no conversation
///   at all (filters that match nothing give 200 with empty items). `search` matches digits in
///   the phone number or a case-insensitive part of the display name. Dashboard messages: oldest
///   first, `start_date`/`end_date` inclusive, never 204.
/// - `GET /dashboards/{id}/hooks` answers the paginated container (the spec's schema says a
///   single `webhook`, which cannot be what a list returns). `is_connected` is always true.
/// - Webhooks: signed as FACTS 2.6 (`x-tr-webhook-timestamp`, `x-tr-webhook-signature` with the
///   API key); one attempt, no retries (retry policy undocumented [U]). `account.id` is 5120
///   (invented); `conversation.id` is the contact id; deprecated ids and `claimedBy` are null.
///   The message's `status_callback` gets the same `msg_status_updated` body, signed the same way.
///   `contact_created` fires for a contact made by a write, a send or an inbound text;
///   `contact_updated` for a write to an existing contact (single or bulk), an archive/unarchive
///   that changes the flag, and an inbound STOP/START; never for message statistics.
/// - Admin `deliver`: `{"event":"msg_received","phone":"4235550123","body":"hello","dashboard_id":1}`
///   (optional `mms_media`; an inbound text from a blocked contact is dropped) or
///   `{"event":"msg_status_updated","message_id":"...","status":"failed","error_code":"30003"}`;
///   202 `{"event","queued","message_id"}` where `queued` counts the deliveries started.
/// - Rate limiting [U, FACTS 2.7]: no HTTP limit is published; the `rate_limit` fault answers 429
///   with the prose error body and `Retry-After: 1` (a guess).
/// - Not emulated: payments, users, keywords, reviews, campaigns, MMS upload, provisioning, redact.
public final class TextRequestEmulator: Emulator {
    public let name = "textrequest"
    public private(set) var routes = EmulatorRoutes()

    let environment: EmulatorEnvironment
    let options: SandboxOptions
    let seeded: TRState
    var state: TRState

    static let prefix = "/api/v3"
    static let maxPageSize = 1000
    /// `account.id` in message webhooks.
    static let accountID = 5120

    public init(environment: EmulatorEnvironment, options: SandboxOptions) {
        self.environment = environment
        self.options = options
        seeded = TextRequestSeed.make()
        state = seeded
        routes = makeRoutes()
    }

    public func reset() { state = seeded }

    public func rateLimitedResponse() -> HTTPResponse {
        var r = response(TRError(429, "Too many requests. Please retry later."))
        r.headers.replaceOrAdd("Retry-After", "1")
        return r
    }

    public func errorResponse(status: Int, message: String) -> HTTPResponse {
        response(TRError(status, message))
    }

    // MARK: routes

    private func makeRoutes() -> EmulatorRoutes {
        var r = EmulatorRoutes()
        let p = Self.prefix
        let d = p + "/dashboards/{dashboard_id}"
        let c = d + "/contacts/{phone_number}"
        func add(_ m: HTTPMethod, _ path: String, _ op: String, _ f: @escaping Operation) {
            r.add(m, path, op, api(f))
        }
        add(.GET, p + "/dashboards", "dashboards.list") { [unowned self] in try self.listDashboards($0) }
        add(.POST, p + "/dashboards", "dashboards.create") { [unowned self] in try self.createDashboard($0) }
        add(.GET, d, "dashboards.get") { [unowned self] in try self.getDashboard($0) }
        add(.PUT, d, "dashboards.update") { [unowned self] in try self.updateDashboard($0) }
        add(.DELETE, d, "dashboards.delete") { [unowned self] in try self.deleteDashboard($0) }

        add(.GET, d + "/contacts", "contacts.list") { [unowned self] in try self.listContacts($0) }
        add(.POST, d + "/contacts", "contacts.bulk_upsert") { [unowned self] in try self.bulkUpsert($0) }
        add(.GET, c, "contacts.get") { [unowned self] in try self.getContact($0) }
        add(.POST, c, "contacts.upsert") { [unowned self] in try self.upsertContact($0) }
        add(.DELETE, c, "contacts.delete") { [unowned self] in try self.deleteContact($0) }

        add(.GET, c + "/messages", "conversation_messages.list") { [unowned self] in try self.conversationMessages($0) }
        add(.POST, c + "/messages", "conversation_messages.send") { [unowned self] in try self.sendToContact($0) }
        add(.PUT, c + "/conversations/archive", "conversations.archive") { [unowned self] in try self.archive($0, true) }
        add(.PUT, c + "/conversations/unarchive", "conversations.unarchive") { [unowned self] in try self.archive($0, false) }
        add(.POST, p + "/messages", "messages.send") { [unowned self] in try self.sendTopLevel($0) }
        add(.GET, d + "/messages", "messages.list") { [unowned self] in try self.dashboardMessages($0) }
        add(.GET, d + "/conversations", "conversations.list") { [unowned self] in try self.listConversations($0) }

        add(.GET, d + "/groups", "groups.list") { [unowned self] in try self.listGroups($0) }
        add(.POST, d + "/groups", "groups.create") { [unowned self] in try self.createGroup($0) }
        add(.GET, d + "/groups/{group_id}", "groups.get") { [unowned self] in try self.getGroup($0) }
        add(.PUT, d + "/groups/{group_id}", "groups.update") { [unowned self] in try self.updateGroup($0) }
        add(.DELETE, d + "/groups/{group_id}", "groups.delete") { [unowned self] in try self.deleteGroup($0) }

        add(.GET, d + "/tags", "tags.list") { [unowned self] in try self.listTags($0) }
        add(.POST, d + "/tags", "tags.create") { [unowned self] in try self.createTag($0) }
        add(.GET, d + "/tags/{tag_id}", "tags.get") { [unowned self] in try self.getTag($0) }
        add(.PUT, d + "/tags/{tag_id}", "tags.update") { [unowned self] in try self.updateTag($0) }
        add(.DELETE, d + "/tags/{tag_id}", "tags.delete") { [unowned self] in try self.deleteTag($0) }

        add(.GET, d + "/fields", "fields.list") { [unowned self] in try self.listFields($0) }
        add(.POST, d + "/fields", "fields.create") { [unowned self] in try self.createField($0) }
        add(.GET, d + "/fields/{field_id}", "fields.get") { [unowned self] in try self.getField($0) }
        add(.PUT, d + "/fields/{field_id}", "fields.update") { [unowned self] in try self.updateField($0) }
        add(.DELETE, d + "/fields/{field_id}", "fields.delete") { [unowned self] in try self.deleteField($0) }

        add(.GET, p + "/eventTypes", "event_types.list") { [unowned self] in try self.eventTypes($0) }
        add(.GET, d + "/hooks", "hooks.list") { [unowned self] in try self.listHooks($0) }
        add(.POST, d + "/hooks", "hooks.create") { [unowned self] in try self.createHook($0) }
        add(.DELETE, d + "/hooks/{webhook_id}", "hooks.delete") { [unowned self] in try self.deleteHook($0) }
        return r
    }

    typealias Operation = (EmulatorCall) throws -> HTTPResponse

    /// Auth, then the operation; a thrown `TRError` becomes the vendor's error body.
    private func api(_ operation: @escaping Operation) -> EmulatorRoutes.Handler {
        { [unowned self] call in
            guard let key = call.header("x-api-key"), !key.isEmpty else {
                return response(TRError(400, "The x-api-key request header is missing."))
            }
            guard key == options.credential else {
                return response(TRError(401, "The API key provided is invalid."))
            }
            do {
                return try operation(call)
            } catch let e as TRError {
                return response(e)
            } catch {
                return response(TRError(500, "An unexpected error occurred."))
            }
        }
    }

    // MARK: responses

    func response(_ e: TRError) -> HTTPResponse { .json(status: e.status, e.body) }

    func ok(_ body: JSON) -> HTTPResponse { .json(status: 200, body) }

    /// 200 with no body (archive, unarchive, contact delete).
    func emptyOK() -> HTTPResponse { HTTPResponse(status: 200) }

    /// `{"items": [...], "meta": {"page", "page_size", "total_items"}}`; only the page is rendered.
    func paged<T>(_ items: [T], _ call: EmulatorCall, _ render: (T) -> JSON) throws(TRError) -> HTTPResponse {
        let (page, size) = try paging(call)
        let start = page.multipliedReportingOverflow(by: size)
        var slice: [JSON] = []
        if !start.overflow && start.partialValue < items.count {
            slice = items[start.partialValue..<min(items.count, start.partialValue + size)].map(render)
        }
        return ok(["items": .array(slice),
                   "meta": ["page": .int(page), "page_size": .int(size), "total_items": .int(items.count)]])
    }

    func paged(_ items: [JSON], _ call: EmulatorCall) throws(TRError) -> HTTPResponse {
        try paged(items, call) { $0 }
    }

    func paging(_ call: EmulatorCall) throws(TRError) -> (page: Int, size: Int) {
        var page = 0
        var size = 100
        if let v = call.query("page") {
            guard let n = Int(v), n >= 0 else { throw .invalid("The page parameter must be a non-negative integer.") }
            page = n
        }
        if let v = call.query("page_size") {
            guard let n = Int(v), n >= 1 else { throw .invalid("The page_size parameter must be a positive integer.") }
            size = min(n, Self.maxPageSize)
        }
        return (page, size)
    }

    // MARK: request parsing

    /// The `{dashboard_id}` path parameter: 400 if not an integer, 404 if no such dashboard.
    func dashboardID(_ call: EmulatorCall) throws(TRError) -> Int {
        guard let id = Int(call.parameter("dashboard_id")) else { throw .invalid("The dashboard id is invalid.") }
        guard state.dashboards[id] != nil else { throw TRError(404, "Dashboard \(id) was not found.") }
        return id
    }

    /// The `{phone_number}` path parameter in its 11-digit form (400 if not a US number).
    func pathPhone(_ call: EmulatorCall) throws(TRError) -> String {
        try phone(call.parameter("phone_number"), "phone number")
    }

    func phone(_ text: String, _ what: String) throws(TRError) -> String {
        guard let p = USPhone.normalize(text) else {
            throw .invalid("The \(what) '\(text)' is not a valid US phone number. Send 10 or 11 digits.")
        }
        return p
    }

    /// A query boolean (`true`/`false`, any case); nil when absent or empty.
    func queryBool(_ call: EmulatorCall, _ name: String) throws(TRError) -> Bool? {
        guard let v = call.query(name), !v.isEmpty else { return nil }
        switch v.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalid("The \(name) parameter must be true or false.")
        }
    }

    /// A query date-time in epoch millis; nil when absent or empty.
    func queryDate(_ call: EmulatorCall, _ name: String) throws(TRError) -> Int64? {
        guard let v = call.query(name), !v.isEmpty else { return nil }
        guard let t = UTCTime(parsing: v) else { throw .invalid("The \(name) parameter is not a valid date-time.") }
        return t.epochMillis
    }

    /// The JSON body (400 if missing or not JSON).
    func body(_ call: EmulatorCall) throws(TRError) -> JSON {
        switch call.jsonBody() {
        case nil: throw .invalid("A request body is required.")
        case .failure(let e)?: throw .invalid("The request body is not valid JSON: \(e.reason).")
        case .success(let j)?: return j
        }
    }

    func object(_ call: EmulatorCall) throws(TRError) -> JSONObject {
        guard let o = try body(call).objectValue else { throw .invalid("The request body must be a JSON object.") }
        return o
    }
}

/// The vendor's error answer: status, message and (for validation errors) a code.
struct TRError: Error {
    var status: Int
    var message: String
    var code: String?

    init(_ status: Int, _ message: String, code: String? = nil) {
        self.status = status
        self.message = message
        self.code = code
    }

    static func invalid(_ message: String) -> TRError { TRError(400, message, code: "parameterInvalid") }

    /// The prose shape plus the schema's keys (see NOTES).
    var body: JSON {
        var o: JSONObject = ["status": .int(status), "errorCode": .null, "message": .string(message),
                             "error_message": .string(message)]
        if let code { o["error_code"] = .string(code) }
        return .object(o)
    }
}

/// Typed accessors for request bodies: absent and null are both nil; a wrong type is a 400.
extension JSONObject {
    func string(_ key: String) throws(TRError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw .invalid("The \(key) field must be a string.")
        }
    }

    func bool(_ key: String) throws(TRError) -> Bool? {
        switch self[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw .invalid("The \(key) field must be true or false.")
        }
    }

    /// An array field; nil when absent or null.
    func array(_ key: String) throws(TRError) -> [JSON]? {
        switch self[key] {
        case nil, .null?: return nil
        case .array(let a)?: return a
        default: throw .invalid("The \(key) field must be an array.")
        }
    }

    func has(_ key: String) -> Bool { self[key] != nil }
}
