import GatewayCore

enum PDAction: String {
    case create, change, delete

    /// The v1 word (`added`, `updated`, `deleted`).
    var v1: String {
        switch self {
        case .create: "added"
        case .change: "updated"
        case .delete: "deleted"
        }
    }
}

/// `/v1/webhooks` (list, create, delete) and delivery of v2 (or v1) payloads to every
/// subscription matching a change made through the API.
extension PipedriveEmulator {
    static let webhookActions = ["create", "change", "delete", "*", "added", "updated", "merged", "deleted"]
    static let webhookObjects = ["activity", "activityType", "deal", "lead", "note", "organization", "person", "pipeline",
                                 "product", "stage", "user", "deal_installment", "deal_product", "board", "phase",
                                 "project", "task", "*"]
    static let webhooksPerUser = 40

    func listWebhooks(_ call: EmulatorCall) throws -> HTTPResponse {
        .json(status: 200, ["status": "ok", "success": true,
                            "data": .array(state.webhooks.map { $0.json(companyID: PDCompany.id) })])
    }

    func createWebhook(_ call: EmulatorCall) throws -> HTTPResponse {
        let body = try v1Body(call)
        func text(_ field: String) -> String? {
            guard let s = body[field]?.stringValue, !s.trimmingSpaces().isEmpty else { return nil }
            return s.trimmingSpaces()
        }
        guard let url = text("subscription_url") else { throw PDError.webhook(400, "subscription_url", "is required") }
        guard Self.isHTTPURL(url) else { throw PDError.webhook(400, "subscription_url", "invalid or non-reachable URL") }
        guard let action = text("event_action") else { throw PDError.webhook(400, "event_action", "is required") }
        guard Self.webhookActions.contains(action) else { throw PDError.webhook(400, "event_action", "invalid value \(action)") }
        guard let object = text("event_object") else { throw PDError.webhook(400, "event_object", "is required") }
        guard Self.webhookObjects.contains(object) else { throw PDError.webhook(400, "event_object", "invalid value \(object)") }
        guard let name = text("name") else { throw PDError.webhook(400, "name", "is required") }
        guard name.count <= 255 else { throw PDError.webhook(400, "name", "must be at most 255 characters") }
        let version = text("version") ?? "2.0"
        guard version == "1.0" || version == "2.0" else { throw PDError.webhook(400, "version", "must be 1.0 or 2.0") }
        var userID = PDCompany.apiUser.id
        if let u = try v1Int(body["user_id"], "user_id") {
            guard PDCompany.user(u) != nil else { throw PDError.webhook(400, "user_id", "user \(u) does not exist") }
            userID = u
        }
        guard state.webhooks.filter({ $0.userID == userID }).count < Self.webhooksPerUser else {
            throw PDError.envelope(422, "Webhooks limit reached")
        }
        let hook = PDWebhook(id: state.nextWebhookID, userID: userID, eventAction: action, eventObject: object, url: url,
                             version: version, name: name, httpAuthUser: text("http_auth_user"),
                             httpAuthPassword: text("http_auth_password"), addTime: call.now)
        state.nextWebhookID += 1
        state.webhooks.append(hook)
        return .json(status: 201, ["status": "ok", "success": true, "data": hook.json(companyID: PDCompany.id)])
    }

    func deleteWebhook(_ call: EmulatorCall) throws -> HTTPResponse {
        guard let id = Int(call.parameter("id")), let i = state.webhooks.firstIndex(where: { $0.id == id }) else {
            throw PDError.webhook(404, "id", "not found")
        }
        state.webhooks.remove(at: i)
        return .json(status: 200, ["status": "ok", "success": true])
    }

    static func isHTTPURL(_ s: String) -> Bool {
        for scheme in ["http://", "https://"] where s.lowercased().hasPrefix(scheme) {
            let rest = s.dropFirst(scheme.count)
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            return !host.isEmpty && !host.contains(" ")
        }
        return false
    }

    // MARK: delivery

    /// Sends `action` on a record to every matching webhook; returns how many deliveries were queued.
    /// `old`/`new` are the stored rows before and after (nil when absent).
    @discardableResult
    func emit(_ action: PDAction, _ kind: PDKind, old: JSONObject?, new: JSONObject?, now: UTCTime,
              only webhookID: Int? = nil, previousOverride: JSON? = nil) -> Int {
        let hooks = state.webhooks.filter { hook in
            (webhookID == nil || hook.id == webhookID)
                && (hook.eventObject == "*" || hook.eventObject == kind.rawValue)
                && (hook.eventAction == "*" || hook.eventAction == action.rawValue || hook.eventAction == action.v1)
        }
        guard !hooks.isEmpty else { return 0 }
        let row = new ?? old ?? JSONObject()
        let entityID = row["id"]?.intValue ?? 0
        let current = new.map { view(kind, $0) } ?? .null
        let before = old.map { view(kind, $0) } ?? .null
        let data: JSON = action == .delete ? .null : current
        var previous: JSON = .null
        switch action {
        case .create: previous = .null
        case .delete: previous = before
        case .change:
            var changed = JSONObject()
            if let b = before.objectValue, let c = current.objectValue {
                for (k, v) in b where c[k] != v { changed[k] = v }
                for (k, _) in c where b[k] == nil { changed[k] = .null }
            }
            previous = changed.isEmpty ? .null : .object(changed)
        }
        if let previousOverride { previous = previousOverride }
        let correlation = uuids.uuid()
        var permitted = [PDCompany.apiUser.id]
        if let owner = row["owner_id"]?.intValue ?? row["user_id"]?.intValue, owner != PDCompany.apiUser.id { permitted.append(owner) }
        let delays = Array(options.pipedriveWebhookRetryDelays.prefix(3))
        for hook in hooks {
            let deliveryID = uuids.uuid()
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json")
            if let u = hook.httpAuthUser {
                headers.add("Authorization", "Basic " + Base64.encode(Array("\(u):\(hook.httpAuthPassword ?? "")".utf8)))
            }
            let payload: JSON
            if hook.version == "1.0" {
                payload = v1Payload(action, kind, id: entityID, current: action == .delete ? nil : new,
                                    previous: action == .create ? nil : old, hook: hook, now: now, permitted: permitted)
            } else {
                let meta: JSONObject = [
                    "action": .string(action.rawValue), "entity": .string(kind.rawValue),
                    "company_id": .int(PDCompany.id), "correlation_id": .string(correlation),
                    "entity_id": .string(String(entityID)), "id": .string(deliveryID), "is_bulk_edit": false,
                    "timestamp": .string(now.rfc3339Millis), "type": "general", "user_id": .int(PDCompany.apiUser.id),
                    "version": "2.0", "webhook_id": .int(hook.id), "webhook_owner_id": .int(hook.userID),
                    "change_source": "api", "attempt": 1, "host": .string(PDCompany.host),
                    "permitted_user_ids": .array(permitted.map { .int($0) }),
                ]
                payload = ["meta": .object(meta), "data": data, "previous": previous]
            }
            let v1 = hook.version == "1.0"
            let sentHeaders = headers
            environment.webhooks.send(event: "\(action.rawValue).\(kind.rawValue)", url: hook.url,
                                      retryDelays: delays) { attempt in
                var p = payload
                if v1 {
                    p["retry"] = .int(attempt - 1)
                } else if var meta = p["meta"]?.objectValue {
                    meta["attempt"] = .int(attempt)
                    p["meta"] = .object(meta)
                }
                return (sentHeaders, p.serialized())
            }
        }
        return hooks.count
    }

    /// The record as webhook `data`: the v2 object (notes: the v1 note).
    private func view(_ kind: PDKind, _ row: JSONObject) -> JSON {
        kind == .note ? renderNote(row) : kind.render(row)
    }

    private func v1Payload(_ action: PDAction, _ kind: PDKind, id: Int, current: JSONObject?, previous: JSONObject?,
                           hook: PDWebhook, now: UTCTime, permitted: [Int]) -> JSON {
        let micros = now.epochMillis * 1000
        let meta: JSONObject = [
            "v": 1, "action": .string(action.v1), "object": .string(kind.rawValue), "change_source": "api",
            "id": .int(id), "company_id": .int(PDCompany.id), "user_id": .int(PDCompany.apiUser.id),
            "host": .string(PDCompany.host), "timestamp": .int(Int(now.epochSeconds)), "timestamp_micro": .int(Int(micros)),
            "permitted_user_ids": .array(permitted.map { .int($0) }), "trans_pending": false, "is_bulk_update": false,
            "pipedrive_service_name": false, "matches_filters": ["current": []], "webhook_id": .string(String(hook.id)),
        ]
        return ["v": 1, "matches_filters": ["current": [], "previous": []], "meta": .object(meta), "retry": 0,
                "current": current.map { v1Object(kind, $0) } ?? .null,
                "previous": previous.map { v1Object(kind, $0) } ?? .null,
                "event": .string("\(action.v1).\(kind.rawValue)")]
    }

    /// A stored record in v1 conventions: SQL timestamps, `active_flag`, flat custom fields,
    /// `email`/`phone`, `user_id` as the owner, string `visible_to`.
    func v1Object(_ kind: PDKind, _ row: JSONObject) -> JSON {
        if kind == .note { return renderNote(row) }
        var out = JSONObject()
        let renames = ["emails": "email", "phones": "phone", "busy": "busy_flag", "days_to_rotten": "rotten_days",
                       "is_deal_rot_enabled": "rotten_flag", "is_deal_probability_enabled": "deal_probability"]
        for (k, v) in row {
            if k == "custom_fields" {
                for (ck, cv) in v.objectValue ?? JSONObject() {
                    if let money = cv.objectValue, let amount = money["value"] {
                        out[ck] = amount
                        out[ck + "_currency"] = money["currency"] ?? .null
                    } else {
                        out[ck] = cv
                    }
                }
                continue
            }
            if k == "is_deleted" {
                let active = JSON.bool(v != .bool(true))
                switch kind {
                case .deal: out["active"] = active; out["deleted"] = v
                case .pipeline: out["active"] = active
                default: out["active_flag"] = active
                }
                continue
            }
            if (k == "owner_id" && (kind == .deal || kind == .activity)) { out["user_id"] = v; continue }
            if k == "visible_to", let i = v.intValue { out[k] = .string(String(i)); continue }
            if k.hasSuffix("_time"), let s = v.stringValue, let t = UTCTime(parsing: s) { out[k] = .string(t.sqlDateTime); continue }
            out[renames[k] ?? k] = v
        }
        return .object(out)
    }

    /// `POST /_sandbox/pipedrive/deliver` re-sends an event for a stored record:
    /// `{"entity": "person"|"organization"|"deal"|"activity"|"note"|"stage"|"pipeline",
    ///   "action": "create"|"change"|"delete" (default "change"), "id": 5,
    ///   "webhook_id": 2 (optional: only that webhook), "previous": {...} (optional, v2 `previous`)}`.
    /// `create`/`change` need a live record; `delete` also takes a deleted one. Answers 202
    /// `{"queued": N, "event": "change.person"}`, 400 for a bad body, 404 for an unknown record.
    public func deliver(_ body: JSON) -> HTTPResponse {
        guard let entity = body["entity"]?.stringValue, let kind = PDKind(rawValue: entity) else {
            return .json(status: 400, ["error": .string("entity must be one of \(PDKind.allCases.map(\.rawValue).joined(separator: ", "))")])
        }
        guard let action = PDAction(rawValue: body["action"]?.stringValue ?? "change") else {
            return .json(status: 400, ["error": "action must be create, change or delete"])
        }
        guard let id = body["id"]?.intValue else { return .json(status: 400, ["error": "id (an integer) is required"]) }
        let row = action == .delete ? state[kind][id] : state.live(kind, id)
        guard let row else { return .json(status: 404, ["error": .string("no \(entity) \(id)")]) }
        let now = UTCTime(epochMillis: environment.clock.nowMillis())
        let n = emit(action, kind, old: action == .create ? nil : row, new: action == .delete ? nil : row, now: now,
                     only: body["webhook_id"]?.intValue, previousOverride: body["previous"])
        return .json(status: 202, ["queued": .int(n), "event": .string("\(action.rawValue).\(entity)")])
    }
}
