import GatewayCore

extension Router {
    /// `GET /events/stream`: the events of `/events` as Server-Sent Events, resumable.
    ///
    /// Where it starts: after the `Last-Event-ID` header (what EventSource sends when it
    /// reconnects), else after `?after=<id>` (the meaning it has on `/events`), else "now":
    /// only events committed from here on. Stored events after that position are replayed
    /// first, then new ones follow as the inbox commits them. A bad position is a 400 before
    /// any stream starts; more than `EventStreamOptions.maxStreams` open streams is a 503.
    mutating func addEventStream(services: GatewayServices) {
        let route = "GET /events/stream"
        add(.GET, "/events/stream", .stream { request, ctx, writer in
            func refuse(_ problem: Problem) {
                countRequest(services.metrics, ctx.loop, route, request, problem.status)
                writer.send(problem.response(requestID: ctx.requestID))
            }
            // As on /events.
            guard let inbox = services.inbox else { return refuse(Problem(.notConfigured("the event store"))) }
            let position: Int64?
            switch Self.streamPosition(request) {
            case .failure(let error): return refuse(Problem(error))
            case .success(let p): position = p
            }
            var head = HTTPResponse(status: 200, contentType: "text/event-stream", body: [])
            head.headers.add("Cache-Control", "no-cache")
            // nginx and similar proxies would otherwise hold the events back in a buffer.
            head.headers.add("X-Accel-Buffering", "no")
            head.headers.add("X-Request-Id", ctx.requestID)
            if request.method == .HEAD {
                countRequest(services.metrics, ctx.loop, route, request, 200)
                writer.stream(head) { _ in }
                return
            }
            let hub = inbox.streams
            guard hub.acquire() else {
                var p = Problem(status: 503, detail: "too many open event streams (\(hub.options.maxStreams)); retry later")
                p.headers.add("Retry-After", "5")
                return refuse(p)
            }
            countRequest(services.metrics, ctx.loop, route, request, 200)
            EventStreamSession.start(hub: hub, writer: writer, head: head, position: position)
        })
    }

    /// The position a stream starts after: `Last-Event-ID`, else `after`, else nil ("now").
    static func streamPosition(_ request: HTTPRequest) -> Result<Int64?, GatewayError> {
        guard let pairs = FormEncoding.pairs(request.query ?? "") else {
            return .failure(.badRequest("the query string is not valid percent-encoded UTF-8"))
        }
        var after: Int64?
        var errors: [FieldError] = []
        for (k, v) in pairs {
            switch k {
            case "after":
                if let n = Int64(v), n >= 0 { after = n } else { errors.append(FieldError("after", "must be an event id (an integer >= 0)")) }
            default:
                errors.append(FieldError(k, "unknown query parameter"))
            }
        }
        var lastEventID: Int64?
        if let raw = request.headers["Last-Event-ID"]?.trimmingSpaces(), !raw.isEmpty {
            if let n = Int64(raw), n >= 0 { lastEventID = n } else {
                errors.append(FieldError("Last-Event-ID", "must be an event id (an integer >= 0) sent by this stream"))
            }
        }
        if !errors.isEmpty { return .failure(.badRequest("invalid stream position", errors)) }
        return .success(lastEventID ?? after)
    }
}
