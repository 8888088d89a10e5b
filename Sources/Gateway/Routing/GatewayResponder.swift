import GatewayCore

/// The gateway's `HTTPResponder`: request ids, routing, 404/405 as problem+json.
public final class GatewayResponder: HTTPResponder {
    let router: Router
    let loop: EventLoop
    let metrics: MetricsRegistry?
    private var requestIDs = RequestIDGenerator()
    /// Per-route facts computed once per loop: the metrics label and whether the route's
    /// reads carry validators (a responder lives on one loop, so no lock).
    private var routeInfo: [String: [String: (label: String, validators: Bool)]] = [:]

    public init(router: Router, loop: EventLoop, metrics: MetricsRegistry? = nil) {
        self.router = router
        self.loop = loop
        self.metrics = metrics
    }

    /// `crmgw_requests_total{route,code}` and `crmgw_request_duration_seconds{route}`.
    private func count(_ route: String, _ request: HTTPRequest, _ status: Int) {
        countRequest(metrics, loop, route, request, status)
    }

    public func respond(to request: HTTPRequest, writer: HTTPResponseWriter) {
        let requestID = acceptedRequestID(request.headers["X-Request-Id"]) ?? requestIDs.next()
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            count("unmatched", request, 404)
            writer.send(Problem(status: 404, detail: "no route for \(request.path)").response(requestID: requestID))
        case .methodNotAllowed(let allowed):
            count("unmatched", request, 405)
            var r = Problem(status: 405, detail: "\(request.method.rawValue) is not allowed here").response(requestID: requestID)
            r.headers.add("Allow", allowed.map(\.rawValue).joined(separator: ", "))
            writer.send(r)
        case .found(let handler, let template, let params):
            let info = self.info(request.method, template)
            let route = info.label
            let validators = info.validators
            let ctx = RequestContext(requestID: requestID, pathParameters: params, loop: loop, record: RequestRecord(request: request))
            switch handler {
            case .sync(let h):
                let r = finishResponse(h(request, ctx), request, ctx, validators: validators)
                count(route, request, r.status)
                writer.send(r)
            case .async(let h):
                Task(executorPreference: loop) { [request, ctx, metrics, loop, validators] in
                    let answer = await h(request, ctx)
                    let r = finishResponse(answer, request, ctx, validators: validators)
                    countRequest(metrics, loop, route, request, r.status)
                    writer.send(r)
                }
            case .cached(let fast, let h):
                if let hit = fast(request, ctx) {
                    let r = finishResponse(hit, request, ctx, validators: validators)
                    count(route, request, r.status)
                    writer.send(r)
                    return
                }
                Task(executorPreference: loop) { [request, ctx, metrics, loop, validators] in
                    let answer = await h(request, ctx)
                    let r = finishResponse(answer, request, ctx, validators: validators)
                    countRequest(metrics, loop, route, request, r.status)
                    writer.send(r)
                }
            case .stream(let h):
                h(request, ctx, writer)
            }
        }
    }

    private func info(_ method: HTTPMethod, _ template: String) -> (label: String, validators: Bool) {
        if let known = routeInfo[template]?[method.rawValue] { return known }
        // Validators (ETag, 304) on the unified API's reads, as openapi.yaml documents them.
        let info = (method.rawValue + " " + template, unifiedReadPrefixes.contains { template.hasPrefix($0) })
        routeInfo[template, default: [:]][method.rawValue] = info
        return info
    }

    /// A client's id is echoed only if it is short printable ASCII (it goes into logs).
    private func acceptedRequestID(_ v: String?) -> String? {
        guard let v, !v.isEmpty, v.utf8.count <= 128 else { return nil }
        for c in v.utf8 where c < 0x21 || c > 0x7E || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return nil }
        return v
    }
}

let unifiedReadPrefixes = ["/contacts", "/companies", "/deals", "/pipelines", "/stages", "/activities", "/messages", "/conversations"]

func countRequest(_ metrics: MetricsRegistry?, _ loop: EventLoop, _ route: String, _ request: HTTPRequest, _ status: Int) {
    guard let metrics else { return }
    metrics.countRequest(route: route, status: status, seconds: Double((loop.now() - request.receivedAt).nanoseconds) / 1e9)
}

/// Headers every answer gets: the request id; for reads, `Cache-Status` and `Age` from
/// the upstream cache, a validator (`ETag`), and a 304 when the client already has it.
func finishResponse(_ response: HTTPResponse, _ request: HTTPRequest, _ ctx: RequestContext, validators: Bool = true) -> HTTPResponse {
    var r = response
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
