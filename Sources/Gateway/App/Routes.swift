import GatewayCore

extension Router {
    /// The routes this build serves.
    public static func gateway(health: HealthState) -> Router {
        var r = Router()
        r.add(.GET, "/healthz", .sync { _, _ in
            HTTPResponse(status: 200, contentType: "application/json", body: Array("{\"status\":\"ok\"}".utf8))
        })
        r.add(.GET, "/readyz", .sync { _, ctx in
            if health.isDraining {
                var p = Problem(status: 503, detail: "shutting down").response(requestID: ctx.requestID)
                p.headers.add("Retry-After", "1")
                return p
            }
            if health.upstreamCount == 0 {
                return Problem(status: 503, detail: "no upstream is configured: nothing to serve (see crm-gateway check-config)").response(requestID: ctx.requestID)
            }
            return HTTPResponse(status: 200, contentType: "application/json", body: Array("{\"status\":\"ready\"}".utf8))
        })
        return r
    }
}
