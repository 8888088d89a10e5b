import GatewayCore

/// Problem `type` URIs: one per kind of failure, so clients can branch on them.
public enum ProblemType {
    public static let validation = "urn:crm-gateway:problem:validation"
    public static let badRequest = "urn:crm-gateway:problem:bad-request"
    public static let notFound = "urn:crm-gateway:problem:not-found"
    public static let upstreamRejected = "urn:crm-gateway:problem:upstream-rejected"
    public static let upstreamFailed = "urn:crm-gateway:problem:upstream-failed"
    public static let upstreamTimeout = "urn:crm-gateway:problem:upstream-timeout"
    public static let upstreamAuth = "urn:crm-gateway:problem:upstream-credentials"
    public static let rateLimited = "urn:crm-gateway:problem:rate-limited"
    public static let idempotency = "urn:crm-gateway:problem:idempotency"
}

extension Problem {
    /// The problem a client sees for a failed unified operation. Upstream answers keep their
    /// meaning (§5): a 404 stays 404, refused values are a 422 with the upstream's body, a
    /// 5xx or an unusable answer is a 502, no answer in time a 504, and a refused gateway
    /// credential is the gateway's fault (502), never the client's (401).
    public init(_ error: GatewayError) {
        switch error {
        case .validation(let errors):
            self.init(status: 422, detail: "the request body has \(errors.count) invalid field\(errors.count == 1 ? "" : "s")", type: ProblemType.validation)
            self.errors = errors.map { ($0.field, $0.message) }
        case .badRequest(let detail, let errors):
            self.init(status: 400, detail: detail, type: ProblemType.badRequest)
            self.errors = errors.map { ($0.field, $0.message) }
        case .notFound(let detail):
            self.init(status: 404, detail: detail, type: ProblemType.notFound)
        case .methodNotAllowed(let detail, let allowed):
            self.init(status: 405, detail: detail)
            if !allowed.isEmpty { headers.add("Allow", allowed.map(\.rawValue).joined(separator: ", ")) }
        case .conflict(let detail):
            self.init(status: 409, detail: detail)
        case .unsupportedMediaType:
            self.init(status: 415, detail: "the body must be JSON (Content-Type: application/json)", type: ProblemType.badRequest)
            headers.add("Accept-Patch", "application/json")
        case .notConfigured(let source):
            self.init(status: 404, detail: "\(source) is not configured on this gateway", type: ProblemType.notFound)
        case .invalidResponse(let source, let what):
            self.init(status: 502, detail: "\(source) sent an answer the gateway cannot read: \(what)", type: ProblemType.upstreamFailed)
            upstream = ["source": .string(source), "status": .null, "body": .null]
        case .transport(let source, let t):
            switch t {
            case .rateLimited(let seconds):
                self.init(status: 429, detail: "\(source)'s rate limit has no room for this request before its deadline", type: ProblemType.rateLimited)
                headers.add("Retry-After", String(max(1, seconds)))
            case .circuitOpen(let seconds):
                self.init(status: 503, detail: "\(source) is failing; calls to it are paused", type: ProblemType.upstreamFailed)
                headers.add("Retry-After", String(max(1, seconds)))
            case .connectTimeout, .timeout, .lowSpeedTimeout:
                self.init(status: 504, detail: "\(source) did not answer in time (\(t))", type: ProblemType.upstreamTimeout)
            default:
                self.init(status: 502, detail: "\(source) could not be reached (\(t))", type: ProblemType.upstreamFailed)
            }
            upstream = ["source": .string(source), "status": .null, "body": .null]
        case .upstream(let source, let status, let body, let retryAfter):
            switch status {
            case 404, 410:
                self.init(status: 404, detail: "\(source) has no such record", type: ProblemType.notFound)
            case 400, 422:
                self.init(status: 422, detail: "\(source) refused the values (HTTP \(status))", type: ProblemType.upstreamRejected)
            case 401, 403:
                self.init(status: 502, detail: "\(source) refused the gateway's credentials (HTTP \(status))", type: ProblemType.upstreamAuth)
            case 409:
                self.init(status: 409, detail: "\(source) reports a conflict", type: ProblemType.upstreamRejected)
            case 429:
                self.init(status: 429, detail: "\(source) is rate limiting the gateway", type: ProblemType.rateLimited)
                headers.add("Retry-After", retryAfter.flatMap { Int($0) }.map(String.init) ?? "1")
            case 504:
                self.init(status: 504, detail: "\(source) timed out (HTTP 504)", type: ProblemType.upstreamTimeout)
            default:
                self.init(status: 502, detail: "\(source) failed (HTTP \(status))", type: ProblemType.upstreamFailed)
            }
            upstream = ["source": .string(source), "status": .int(status), "body": Self.upstreamBody(body)]
        }
    }

    /// The upstream's body as JSON when it is JSON, else as text (cut at 2 KiB).
    static func upstreamBody(_ body: [UInt8]) -> JSON {
        if body.isEmpty { return .null }
        if let json = try? JSON.parse(body) { return json }
        let text = String(decoding: body.prefix(2048), as: UTF8.self)
        return .string(text)
    }
}

extension GatewayError {
    /// One line for the `sources` report of a merged list.
    var summary: String {
        let p = Problem(self)
        return "\(p.status) \(p.detail)"
    }
}

extension HTTPResponse {
    static func json(_ status: Int, _ body: JSON, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var r = HTTPResponse(status: status, contentType: "application/json", body: body.serialized())
        for (n, v) in headers { r.headers.add(n, v) }
        return r
    }
}
