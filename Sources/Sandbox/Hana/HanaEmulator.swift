import GatewayCore

/// Hana (hana.ai), the Vietnamese chatbot CRM, as the gateway meets it: one partner endpoint
/// that updates a lead and/or an opportunity (ticket), and event webhooks Hana posts to the
/// partner. Written from `upstreams/hana/CONTRACT.md`, FACTS.md §4 and the seed document
/// `seeds/002_d7228658baec50d3.txt` (Hana's developer page). Hana publishes no read API.
///
/// Files: this one (route, auth, errors), `Hana+Update` (the update endpoint), `Hana+Webhooks`
/// (event bodies and sending), `HanaEvents` (the six events, the off-switch state machine),
/// `Hana+Deliver` (`POST /_sandbox/hana/deliver`), `HanaAttributes` (attribute types,
/// validation, normalization), `HanaState` (records, PRNG), `HanaSeed`.
///
/// Seed: application `dbd9a5f7-b3c4-45bb-a8eb-2b8e10bff8c2` (the seed's sample), 340 leads and
/// 320 opportunities, each opportunity linked to a lead and sharing its chat. Lead
/// `3ee8e2ea-d149-4e24-98f0-072900b0b9f3` and opportunity `7ad14152-9be8-442d-bf0f-33c94b5db16d`
/// are the ids of the seed's update sample (chat `5e6f3f81da043f97f8ae0c44`, the webhook
/// sample's). Everything else comes from a fixed-seed generator: Vietnamese names with
/// diacritics, phones mostly `0xxxxxxxxx` with some `+84…`/`84…`, birthdays at Vietnamese
/// midnight (`…T17:00:00.000Z`), `cf_*` values; uuids v4.
///
/// NOTES — where this emulator differs from, or guesses about, the real Hana:
/// - ASSUMED: the update endpoint's URL. The seed says "take it from Hana"; the emulator serves
///   `POST options.hanaUpdatePath` (default `/external-api/v1.0/update`, after the
///   `apiv2.hana.ai/external-api/v1.0/` base a third-party integration uses). Operation `update`.
/// - ASSUMED: every response body of the update endpoint. Success is 200
///   `{"success":true,"lead":{"id"},"opportunity":{"id"}}` (only the parts sent). Errors are
///   `{"statusCode":N,"message":"…","error":"<reason phrase>"}` (the shape of NestJS's default
///   error, a common Node API default), validation errors adding
///   `"errors":[{"attribute":"lead.baseBirthday","message":"must be a Date (…)"}]`.
/// - Auth: `Authorization: Bearer <options.credential>` (the seed's "Bearer + access_token"; the
///   scheme is matched case-insensitively). Missing or wrong -> 401 with `WWW-Authenticate: Bearer`.
/// - ASSUMED: a body that is not `application/json` -> 415; unparseable or not an object -> 400;
///   neither `lead` nor `opportunity` (a `null` part counts as absent) -> 400. Other top-level
///   members are ignored.
/// - Validation (400, all problems at once, nothing applied): `id` is required in each part and
///   must be a non-empty string; attribute names must be the application's (the `base*` ones,
///   `sourceType`, the opportunity's `leadName/leadEmail/leadPhonenumber/dealValue`, and the
///   `cf_*` ones in `HanaAttributes`); values must have the attribute's type: Date
///   `yyyy-MM-dd'T'HH:mm:ss.SSS` + `Z`/`±HHMM`/`±HH:MM`, Number (JSON number), String, Array of
///   strings. Values are not checked beyond their type (no enum for `baseGender`, no phone or
///   email syntax). ASSUMED: `null` clears an attribute.
/// - Unknown lead/opportunity id -> 404 (validation first, then existence, then both parts are
///   applied together). An update that changes nothing sends no event (ASSUMED: "any attribute
///   updated" taken literally). Updating a lead does not touch its opportunities' `lead*` copies.
/// - Webhook bodies follow the seed exactly (`application`, `lead`, `opportunity`,
///   `conversation`, each attribute `{"nomalizeData","rawData"}`, `nomalizeData` sic). The seed
///   shows no event field and no signature, so the event is only in the URL:
///   `options.hanaWebhookURL` (or `deliver`'s `target_url`) with `{event}` replaced. Lead events
///   carry `lead`; opportunity events carry `opportunity` and, while it exists, its linked `lead`.
///   Every stored attribute is sent (ASSUMED; the partner's subscription choice is not emulated),
///   and `.deleted` events carry the record's last state (ASSUMED).
/// - Normalization (`nomalizeData`): Dates become `dd-MM-yyyy` in Vietnam time (UTC+7), as in the
///   sample (`2020-09-13T17:00:00.000Z` -> `14-09-2020`). Phones become the local `0xxxxxxxxx`
///   form (`+84395458994` -> `0395458994`): the sample keeps `0978712200` as both values, which
///   rules out a `+84` normalization. Everything else is sent unchanged.
/// - The off-switch: a delivery fails when the receiver answers non-2xx or not within Hana's
///   5 seconds. After more than 5 consecutive failures of one
///   event (the 6th), that event is OFF for 30 minutes of `environment.clock`, counted from when
///   the emulator notices (its next request or `deliver`); while off its events are dropped (the
///   data still changes) and `deliver` answers with `off_until`. A success resets the count; no
///   retries (the seed documents none). Outcomes are read back from `webhooks.deliveries` by the
///   sender's sequence number.
/// - `rate_limit` fault: 429 in the error shape above with `Retry-After: 60`; Hana documents no
///   rate limit at all. Unknown paths 404, wrong methods 405, in the same shape.
public final class HanaEmulator: Emulator {
    public let name = "hana"
    public private(set) var routes = EmulatorRoutes()

    let environment: EmulatorEnvironment
    let options: SandboxOptions
    let seeded: HanaState
    var state: HanaState
    var switches = HanaEventSwitches()
    /// Numbers outbound deliveries (never reset, so an old delivery is not mistaken for a new one).

    public init(environment: EmulatorEnvironment, options: SandboxOptions) {
        self.environment = environment
        self.options = options
        seeded = HanaSeed.make()
        state = seeded
        routes.add(.POST, options.hanaUpdatePath, "update") { [unowned self] in self.update($0) }
    }

    public func reset() {
        state = seeded
        switches = HanaEventSwitches()
    }

    public func rateLimitedResponse() -> HTTPResponse {
        error(429, "Too Many Requests")
    }

    public func errorResponse(status: Int, message: String) -> HTTPResponse {
        error(status, message)
    }

    /// `{"statusCode", "message", "error"[, "errors"]}` (see NOTES: a guess).
    func error(_ status: Int, _ message: String, attributes: [(name: String, message: String)] = []) -> HTTPResponse {
        var body: JSONObject = ["statusCode": .int(status), "message": .string(message),
                                "error": .string(HTTPStatus.reason(status))]
        if !attributes.isEmpty {
            body["errors"] = .array(attributes.map { ["attribute": .string($0.name), "message": .string($0.message)] })
        }
        var headers = HTTPHeaders()
        if status == 401 { headers.add("WWW-Authenticate", "Bearer") }
        if status == 429 { headers.add("Retry-After", "60") }
        return .json(status: status, .object(body), headers: headers)
    }

    /// `Authorization: Bearer <credential>`.
    func authorized(_ call: EmulatorCall) -> Bool {
        guard let value = call.header("Authorization")?.trimmingSpaces() else { return false }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        return String(parts[1]).trimmingSpaces() == options.credential
    }
}
