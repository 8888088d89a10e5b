import GatewayCore

/// Where webhooks come in (§7) and where the normalized events go out (`/events`).
/// A delivery is answered 2xx only after its commit; a sender that fails authentication gets
/// a 401 and nothing is stored; a body that cannot be read gets a 400 and is kept as a dead
/// letter; a repeat gets a 200 and is stored once.
public final class WebhookInbox: Sendable {
    public let store: EventStore
    public let secrets: WebhookSecrets
    /// Text Request's dashboard the gateway is configured for (for ids in events).
    public let textRequestDashboard: String
    /// Where committed events go out live (`/events/stream`).
    public let streams: EventStreamHub
    let clock: any WallClock

    public init(store: EventStore, secrets: WebhookSecrets, textRequestDashboard: String = "1", clock: any WallClock = SystemWallClock(),
                streamOptions: EventStreamOptions = EventStreamOptions()) {
        self.store = store
        self.secrets = secrets
        self.textRequestDashboard = textRequestDashboard
        self.clock = clock
        self.streams = EventStreamHub(store: store, options: streamOptions)
    }
}

extension Router {
    mutating func addWebhooks(services: GatewayServices) {
        add(.POST, "/webhooks/hana/{event}", .async { request, ctx in
            guard let inbox = services.inbox else { return Self.noInbox(ctx) }
            let refusal = WebhookAuth.hana(query: request.query, headers: request.headers, secret: inbox.secrets.hanaToken)
            let event = ctx.pathParameters["event"] ?? ""
            return await Self.receive("hana", kind: event, request, ctx, services, inbox, refusal: refusal, challenge: "Bearer") { () throws(MalformedDelivery) in
                try WebhookNormalizer.hana(event: event, body: request.body, receivedAt: UTCTime(epochMillis: inbox.clock.nowMillis()))
            }
        })
        add(.POST, "/webhooks/textrequest", .async { request, ctx in
            guard let inbox = services.inbox else { return Self.noInbox(ctx) }
            let now = UTCTime(epochMillis: inbox.clock.nowMillis())
            let refusal = WebhookAuth.textRequest(headers: request.headers, body: request.body, key: inbox.secrets.textRequestKey,
                                                  nowSeconds: now.epochSeconds, window: inbox.secrets.textRequestWindowSeconds)
            let hinted = FormEncoding.pairs(request.query ?? "")?.last { $0.0 == "event" }?.1
            return await Self.receive("textrequest", kind: hinted ?? "textrequest", request, ctx, services, inbox, refusal: refusal, challenge: nil) { () throws(MalformedDelivery) in
                try WebhookNormalizer.textRequest(body: request.body, event: hinted, dashboard: inbox.textRequestDashboard, receivedAt: now)
            }
        })
        add(.POST, "/webhooks/pipedrive", .async { request, ctx in
            guard let inbox = services.inbox else { return Self.noInbox(ctx) }
            let refusal = WebhookAuth.pipedrive(headers: request.headers, user: inbox.secrets.pipedriveUser, password: inbox.secrets.pipedrivePassword)
            return await Self.receive("pipedrive", kind: "pipedrive", request, ctx, services, inbox, refusal: refusal, challenge: "Basic realm=\"crm-gateway\"") { () throws(MalformedDelivery) in
                try WebhookNormalizer.pipedrive(body: request.body, receivedAt: UTCTime(epochMillis: inbox.clock.nowMillis()))
            }
        })
        add(.GET, "/events", .async { request, ctx in
            await APIHandler.run(ctx) { () throws(GatewayError) in
                guard let inbox = services.inbox else { throw .notConfigured("the event store") }
                guard let pairs = FormEncoding.pairs(request.query ?? "") else { throw .badRequest("the query string is not valid percent-encoded UTF-8") }
                var after: Int64 = 0
                var limit = 50
                var errors: [FieldError] = []
                for (k, v) in pairs {
                    switch k {
                    case "after": if let n = Int64(v), n >= 0 { after = n } else { errors.append(FieldError("after", "must be an event id (an integer >= 0)")) }
                    case "limit": if let n = Int(v), (1...500).contains(n) { limit = n } else { errors.append(FieldError("limit", "must be an integer from 1 to 500")) }
                    default: errors.append(FieldError(k, "unknown query parameter"))
                    }
                }
                if !errors.isEmpty { throw .badRequest("invalid query parameters", errors) }
                let events: [StoredEvent]
                do { events = try await inbox.store.events(after: after, limit: limit) } catch {
                    throw .invalidResponse(source: "event store", "\(error)")
                }
                return .json(200, ["data": .array(events.map(\.json)), "next_after": .int(Int(events.last?.id ?? after))])
            }
        })
        addEventStream(services: services)
    }

    static func noInbox(_ ctx: RequestContext) -> HTTPResponse {
        var p = Problem(status: 503, detail: "this gateway has no event store configured")
        p.headers.add("Retry-After", "60")
        return p.response(requestID: ctx.requestID)
    }

    /// Authenticate, read, store durably, then answer; see `WebhookInbox`.
    static func receive(_ source: String, kind: String, _ request: HTTPRequest, _ ctx: RequestContext, _ services: GatewayServices,
                        _ inbox: WebhookInbox, refusal: String?, challenge: String?,
                        normalize: () throws(MalformedDelivery) -> NormalizedDelivery) async -> HTTPResponse {
        if let refusal {
            var p = Problem(status: 401, detail: "\(source) webhook refused: \(refusal)")
            if let challenge { p.headers.add("WWW-Authenticate", challenge) }
            return p.response(requestID: ctx.requestID)
        }
        let receivedAt = inbox.clock.nowMillis()
        // Only harmless headers are kept with a delivery (never Authorization or a signature).
        var kept: [(name: String, value: String)] = []
        for h in ["Content-Type", "User-Agent"] { if let v = request.headers[h] { kept.append((h, v)) } }
        let delivery: NormalizedDelivery
        do {
            delivery = try normalize()
        } catch {
            guard let id = try? await inbox.store.deadLetter(source: source, kind: kind, receivedAtMillis: receivedAt, reason: error.reason,
                                                             headers: kept, body: request.body) else {
                // Not even kept as a dead letter: a 400 would make the sender drop it for good.
                var p = Problem(status: 503, detail: "the delivery could not be stored; retry")
                p.headers.add("Retry-After", "1")
                return p.response(requestID: ctx.requestID)
            }
            var p = Problem(status: 400, detail: "\(error.reason) (kept as dead letter \(id))", type: ProblemType.badRequest)
            p.errors = [("body", error.reason)]
            return p.response(requestID: ctx.requestID)
        }
        let events = delivery.events.map { e in
            NewEvent(type: e.type, source: source, occurredAt: e.occurredAt, subjectID: e.subjectID, data: e.data.text)
        }
        let outcome: EventStore.StoreOutcome
        do {
            outcome = try await inbox.store.store(source: source, kind: delivery.kind, dedupeKey: delivery.dedupeKey, receivedAtMillis: receivedAt,
                                                  headers: kept, body: request.body, events: events)
        } catch {
            // Not stored, so not acknowledged: the sender retries.
            var p = Problem(status: 503, detail: "the delivery could not be stored; retry")
            p.headers.add("Retry-After", "1")
            return p.response(requestID: ctx.requestID)
        }
        switch outcome {
        case .stored(let deliveryID, let eventIDs):
            if !eventIDs.isEmpty { inbox.streams.committed(loop: ctx.loop) }
            services.cache?.invalidate(tags: delivery.invalidates)
            services.metrics.increment(GatewayMetrics.eventsReceived, [("source", source)])
            return .json(200, ["status": "stored", "delivery_id": .int(Int(deliveryID)), "event_ids": .array(eventIDs.map { .int(Int($0)) })])
        case .duplicate(let deliveryID):
            return .json(200, ["status": "duplicate", "delivery_id": .int(Int(deliveryID)), "event_ids": []])
        }
    }
}
