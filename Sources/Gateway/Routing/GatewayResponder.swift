import GatewayCore

/// The gateway's `HTTPResponder`: request ids, routing, 404/405 as problem+json.
public final class GatewayResponder: HTTPResponder {
    let router: Router
    let loop: EventLoop
    let metrics: MetricsRegistry?
    let auth: ClientAuthenticator
    let accessLog: AccessLog?
    let cors: CORSConfig
    private var requestIDs = RequestIDGenerator()
    /// Per-route facts computed once per loop: the metrics label, whether the route's reads
    /// carry validators, and whether it is open to callers without a key (a responder lives on
    /// one loop, so no lock).
    private var routeInfo: [String: [String: RouteInfo]] = [:]
    /// The same for a request of the route's own method, by route index (no hashing).
    private var routeInfoByIndex: [RouteInfo?]

    struct RouteInfo {
        var label: String
        var validators: Bool
        var open: Bool
    }
    /// The metrics slots of each route's synchronous answers, by route index.
    private var seriesSlots: [MetricsRegistry.RequestSeriesSlots]

    public init(router: Router, loop: EventLoop, metrics: MetricsRegistry? = nil,
                auth: ClientAuthenticator = ClientAuthenticator(keys: []), accessLog: AccessLog? = nil,
                cors: CORSConfig = CORSConfig()) {
        self.router = router
        self.loop = loop
        self.metrics = metrics
        self.auth = auth
        self.accessLog = accessLog
        self.cors = cors
        self.routeInfoByIndex = Array(repeating: nil, count: router.routeCount)
        self.seriesSlots = Array(repeating: .init(), count: router.routeCount)
    }

    /// Counts, logs and sends one answer (on this loop).
    private func done(_ r: HTTPResponse, _ route: String, _ request: HTTPRequest, _ requestID: String,
                      client: String?, record: RequestRecord?, writer: HTTPResponseWriter, routeIndex: Int? = nil) {
        if let routeIndex, let metrics {
            // A matched route's series by its kept slots (no lookup by label).
            let seconds = loop.now().seconds(since: request.receivedAt)
            metrics.countRequest(route: route, status: r.status, seconds: seconds, slots: &seriesSlots[routeIndex])
            logRequest(r, route, request, requestID, client: client, record: record, seconds: seconds, loop: loop, accessLog: accessLog)
        } else {
            conclude(r, route, request, requestID, client: client, record: record, metrics: metrics, loop: loop, accessLog: accessLog)
        }
        writer.send(r)
    }

    public func respond(to request: consuming HTTPRequest, writer: HTTPResponseWriter) {
        let requestID = acceptedRequestID(request.headers["X-Request-Id"]) ?? requestIDs.next()
        // CORS (CORS.swift): a preflight is answered here, before authentication and routing;
        // every other answer gets the headers for its Origin.
        if let preflight = cors.preflightResponse(to: request, requestID: requestID) {
            return done(preflight, "preflight", request, requestID, client: nil, record: nil, writer: writer)
        }
        let writer = cors.isEnabled ? writer.finishing { [cors, origin = request.headers["Origin"]] in cors.applied(to: $0, origin: origin) } : writer
        switch router.locate(method: request.method, path: request.path) {
        case .notFound:
            done(Problem(status: 404, detail: "no route for \(request.path)").response(requestID: requestID),
                 "unmatched", request, requestID, client: nil, record: nil, writer: writer)
        case .methodNotAllowed(let allowed):
            var r = Problem(status: 405, detail: "\(request.method.rawValue) is not allowed here").response(requestID: requestID)
            r.headers.add("Allow", allowed.map(\.rawValue).joined(separator: ", "))
            done(r, "unmatched", request, requestID, client: nil, record: nil, writer: writer)
        case .found(let index, let params):
            let handler = router.handler(at: index)
            let info = self.info(request.method, index)
            // The kept metrics slots are per route label: a HEAD on a GET route has its own.
            let ownIndex: Int? = router.method(at: index) == request.method ? index : nil
            let route = info.label
            let validators = info.validators
            var client: String?
            if !info.open {
                let verdict = auth.check(method: request.method, authorization: request.headers["Authorization"], now: loop.now())
                if let refusal = ClientAuthenticator.response(verdict, requestID: requestID) {
                    done(refusal, route, request, requestID, client: verdict.client, record: nil, writer: writer)
                    return
                }
                client = verdict.client
            }
            let ctx = RequestContext(requestID: requestID, pathParameters: params, loop: loop, record: RequestRecord(request: request))
            switch handler {
            case .sync(let h):
                let r = finishResponse(h(request, ctx), request, ctx, validators: validators)
                done(r, route, request, requestID, client: client, record: ctx.record, writer: writer, routeIndex: ownIndex)
            case .async(let h):
                runAsync(h, request, ctx, route: route, validators: validators, client: client, writer: writer)
            case .cached(let fast, let h):
                if let hit = fast(request, ctx) {
                    let r = finishResponse(consume hit, request, ctx, validators: validators)
                    done(r, route, request, requestID, client: client, record: ctx.record, writer: writer, routeIndex: ownIndex)
                    return
                }
                runAsync(h, request, ctx, route: route, validators: validators, client: client, writer: writer)
            case .stream(let h):
                // The stream's head (or its refusal) makes the access-log line: its status and
                // the time to it (the stream itself may last hours). Metrics: the route's own.
                let method = request.method.rawValue, receivedAt = request.receivedAt
                let logged = accessLog.map { log in
                    writer.finishing { [loop, record = ctx.record, client] r in
                        loop.execute {
                            log.log(.init(requestID: requestID, method: method, route: route, status: r.status,
                                          seconds: loop.now().seconds(since: receivedAt),
                                          client: client, record: record, cacheStatus: nil), loop: loop)
                        }
                        return r
                    }
                } ?? writer
                h(request, ctx, logged)
            }
        }
    }

    /// An async handler's task, on this loop (its executor preference), started at once
    /// (`Task.immediate`): it runs inside the connection's read up to its first suspension,
    /// so an upstream transfer reaches curl in the same loop iteration and curl's timer works
    /// the iteration's new transfers in one batch, with no trip through the job queue first.
    /// (An earlier measurement against a fast origin said otherwise; it was an artefact of
    /// callgrind's slowness, see bench/slow_origin.py: against the delayed origin 93.3k ->
    /// 92.8k instructions per proxied request.)
    private func runAsync(_ h: @escaping @Sendable (HTTPRequest, RequestContext) async -> HTTPResponse,
                          _ request: consuming HTTPRequest, _ ctx: consuming RequestContext, route: String, validators: Bool,
                          client: String?, writer: HTTPResponseWriter) {
        // Everything the answer needs travels in one object, and what follows the handler is
        // a plain function: the task's async frames hold a pointer and the answer instead of
        // every value (they were 1,024 + 784 bytes, four allocator slabs with the handler's).
        let pending = PendingAnswer(request: request, ctx: ctx, route: route, validators: validators, client: client,
                                    writer: writer, metrics: metrics, accessLog: accessLog)
        Task.immediate(executorPreference: loop) {
            pending.deliver(await h(pending.request, pending.ctx))
        }
    }

    private func info(_ method: HTTPMethod, _ index: Int) -> RouteInfo {
        let own = router.method(at: index) == method
        if own, let known = routeInfoByIndex[index] { return known }
        let template = router.template(at: index)
        if !own, let known = routeInfo[template]?[method.rawValue] { return known }
        // Validators (ETag, 304) on the unified API's reads, as openapi.yaml documents them.
        let info = RouteInfo(label: method.rawValue + " " + template,
                             validators: unifiedReadPrefixes.contains { template.hasPrefix($0) },
                             open: Self.isOpenRoute(template))
        if own { routeInfoByIndex[index] = info } else { routeInfo[template, default: [:]][method.rawValue] = info }
        return info
    }

    /// Whether any caller may use the route without an API key (openapi.yaml says `security: []`).
    static func isOpenRoute(_ template: String) -> Bool {
        openRoutes.contains(template) || template.hasPrefix("/webhooks/")
    }

    /// A client's id is echoed only if it is short printable ASCII (it goes into logs).
    private func acceptedRequestID(_ v: String?) -> String? {
        guard let v, !v.isEmpty, v.utf8.count <= 128 else { return nil }
        for c in v.utf8 where c < 0x21 || c > 0x7E || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return nil }
        return v
    }
}

/// Routes any caller may use without an API key: probes, the spec and its page. The webhook
/// receivers (`/webhooks/...`) authenticate their senders themselves (§7).
let openRoutes: Set<String> = ["/healthz", "/readyz", "/openapi.yaml", "/docs"]

let unifiedReadPrefixes = ["/contacts", "/companies", "/deals", "/pipelines", "/stages", "/activities", "/messages", "/conversations"]

/// An async handler's request, on its way to the answer (`GatewayResponder.runAsync`).
private final class PendingAnswer: Sendable {
    let request: HTTPRequest
    let ctx: RequestContext
    let route: String
    let validators: Bool
    let client: String?
    let writer: HTTPResponseWriter
    let metrics: MetricsRegistry?
    let accessLog: AccessLog?

    init(request: consuming HTTPRequest, ctx: consuming RequestContext, route: String, validators: Bool, client: String?,
         writer: HTTPResponseWriter, metrics: MetricsRegistry?, accessLog: AccessLog?) {
        self.request = request
        self.ctx = ctx
        self.route = route
        self.validators = validators
        self.client = client
        self.writer = writer
        self.metrics = metrics
        self.accessLog = accessLog
    }

    @inline(never)
    func deliver(_ answer: consuming HTTPResponse) {
        let r = finishResponse(answer, request, ctx, validators: validators)
        conclude(r, route, request, ctx.requestID, client: client, record: ctx.record, metrics: metrics, loop: ctx.loop, accessLog: accessLog)
        writer.send(r)
    }
}

/// `crmgw_requests_total{route,code}` and `crmgw_request_duration_seconds{route}`.
func countRequest(_ metrics: MetricsRegistry?, _ loop: EventLoop, _ route: String, _ request: HTTPRequest, _ status: Int) {
    metrics?.countRequest(route: route, status: status, seconds: loop.now().seconds(since: request.receivedAt))
}

/// Metrics and the access-log line of one answered request.
func conclude(_ r: HTTPResponse, _ route: String, _ request: HTTPRequest, _ requestID: String, client: String?,
              record: RequestRecord?, metrics: MetricsRegistry?, loop: EventLoop, accessLog: AccessLog?) {
    guard metrics != nil || accessLog != nil else { return }
    let seconds = loop.now().seconds(since: request.receivedAt)
    metrics?.countRequest(route: route, status: r.status, seconds: seconds)
    logRequest(r, route, request, requestID, client: client, record: record, seconds: seconds, loop: loop, accessLog: accessLog)
}

/// The access-log line of one answered request.
func logRequest(_ r: HTTPResponse, _ route: String, _ request: HTTPRequest, _ requestID: String, client: String?,
                record: RequestRecord?, seconds: Double, loop: EventLoop, accessLog: AccessLog?) {
    accessLog?.log(.init(requestID: requestID, method: request.method.rawValue, route: route, status: r.status,
                         seconds: seconds, client: client, record: record, cacheStatus: r.headers["Cache-Status"]), loop: loop)
}

/// Headers every answer gets: the request id; for reads, `Cache-Status` and `Age` from
/// the upstream cache, a validator (`ETag`), and a 304 when the client already has it.
func finishResponse(_ response: consuming HTTPResponse, _ request: HTTPRequest, _ ctx: RequestContext, validators: Bool = true) -> HTTPResponse {
    // Taken, not borrowed: the headers are then unique here and grow in place (a borrowed
    // answer's fields were copied whole by the first replaceOrAdd).
    var r = consume response
    r.headers.replaceOrAdd("X-Request-Id", ctx.requestID)
    if let wait = ctx.record.appliedWait { r.headers.replaceOrAdd("Preference-Applied", "wait=\(wait)") }
    guard request.method == .GET || request.method == .HEAD else { return r }
    if let cache = ctx.record.cacheHeaders {
        r.headers.replaceOrAdd("Cache-Status", cache.status)
        if let age = cache.age { r.headers.replaceOrAdd("Age", String(age)) }
    }
    guard r.status == 200, validators else { return r }
    let etag: String
    if let given = r.headers["ETag"] { etag = given } else {
        etag = ETag.weak(r.body)
        r.headers.add("ETag", etag)
    }
    if let inm = request.headers["If-None-Match"], ETag.matches(inm, etag) {
        var notModified = HTTPResponse(status: 304)
        for (n, v) in r.headers where n.lowercased() != "content-type" && n.lowercased() != "content-length" {
            notModified.headers.add(n, v)
        }
        return notModified
    }
    return r
}

/// RFC 9457 problem details (§5 of the product contract).
public struct Problem: Sendable {
    public var status: Int
    public var type: String
    public var title: String
    public var detail: String
    public var errors: [(field: String, message: String)] = []
    /// `{source, status, body}` when an upstream said no.
    public var upstream: JSON?
    /// Extra response headers (`Retry-After`, `Allow`).
    public var headers = HTTPHeaders()

    public init(status: Int, detail: String, type: String = "about:blank", title: String? = nil) {
        self.status = status
        self.detail = detail
        self.type = type
        self.title = title ?? HTTPStatus.reason(status)
    }

    public func json(requestID: String) -> JSON {
        var o: JSONObject = ["type": .string(type), "title": .string(title), "status": .int(status),
                             "detail": .string(detail), "request_id": .string(requestID)]
        if !errors.isEmpty {
            o["errors"] = .array(errors.map { ["field": .string($0.field), "message": .string($0.message)] })
        }
        if let upstream { o["upstream"] = upstream }
        return .object(o)
    }

    public func response(requestID: String) -> HTTPResponse {
        var r = HTTPResponse(status: status, contentType: "application/problem+json", body: json(requestID: requestID).serialized())
        for (n, v) in headers { r.headers.add(n, v) }
        r.headers.add("X-Request-Id", requestID)
        return r
    }
}

/// Validators for unified responses (RFC 9110 §8.8.3): a weak tag from the body's bytes.
enum ETag {
    static func weak(_ body: [UInt8]) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in body { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        let hex = String(h, radix: 16)
        return "W/\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }

    /// `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag
    /// equal to ours once `W/` is ignored.
    static func matches(_ header: String, _ etag: String) -> Bool {
        let ours = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for part in header.split(separator: ",") {
            var t = String(part).trimmingSpaces()
            if t == "*" { return true }
            if t.hasPrefix("W/") { t.removeFirst(2) }
            if t == ours { return true }
        }
        return false
    }
}
