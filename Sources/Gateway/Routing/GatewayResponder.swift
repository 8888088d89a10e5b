import GatewayCore

/// The gateway's `HTTPResponder`: request ids, routing, 404/405 as problem+json.
public final class GatewayResponder: HTTPResponder {
    let router: Router
    let loop: EventLoop
    private var requestIDs = RequestIDGenerator()

    public init(router: Router, loop: EventLoop) {
        self.router = router
        self.loop = loop
    }

    public func respond(to request: HTTPRequest, writer: HTTPResponseWriter) {
        let requestID = acceptedRequestID(request.headers["X-Request-Id"]) ?? requestIDs.next()
        switch router.match(method: request.method, path: request.path) {
        case .notFound:
            writer.send(Problem(status: 404, detail: "no route for \(request.path)").response(requestID: requestID))
        case .methodNotAllowed(let allowed):
            var r = Problem(status: 405, detail: "\(request.method.rawValue) is not allowed here").response(requestID: requestID)
            r.headers.add("Allow", allowed.map(\.rawValue).joined(separator: ", "))
            writer.send(r)
        case .found(let handler, _, let params):
            let ctx = RequestContext(requestID: requestID, pathParameters: params, loop: loop)
            switch handler {
            case .sync(let h):
                var r = h(request, ctx)
                r.headers.replaceOrAdd("X-Request-Id", requestID)
                writer.send(r)
            case .async(let h):
                Task(executorPreference: loop) {
                    var r = await h(request, ctx)
                    r.headers.replaceOrAdd("X-Request-Id", requestID)
                    writer.send(r)
                }
            }
        }
    }

    /// A client's id is echoed only if it is short printable ASCII (it goes into logs).
    private func acceptedRequestID(_ v: String?) -> String? {
        guard let v, !v.isEmpty, v.utf8.count <= 128 else { return nil }
        for c in v.utf8 where c < 0x21 || c > 0x7E || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return nil }
        return v
    }
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
