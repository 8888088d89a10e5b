import GatewayCore

/// The plumbing every unified route shares: errors to problem+json, JSON bodies in,
/// `Idempotency-Key` around writes.
enum APIHandler {
    /// Runs `work`; a `GatewayError` becomes its problem response.
    static func run(_ ctx: RequestContext, _ work: () async throws(GatewayError) -> HTTPResponse) async -> HTTPResponse {
        do {
            return try await work()
        } catch {
            return Problem(error).response(requestID: ctx.requestID)
        }
    }

    /// The request body as JSON: it must be `application/json` (or `+json`) and parse.
    static func jsonBody(_ request: HTTPRequest) throws(GatewayError) -> JSON {
        let type = (request.headers["Content-Type"] ?? "").split(separator: ";").first.map {
            String($0).lowercased().trimmingSpaces()
        } ?? ""
        guard type == "application/json" || type.hasSuffix("+json") else {
            throw .unsupportedMediaType
        }
        do {
            return try JSON.parse(request.body)
        } catch {
            throw .badRequest("the body is not valid JSON: \(error)")
        }
    }

    /// Wraps a write in `Idempotency-Key` handling (§5).
    static func idempotent(_ request: HTTPRequest, _ ctx: RequestContext, _ store: IdempotencyStore,
                           _ work: () async -> HTTPResponse) async -> HTTPResponse {
        guard let key = request.headers["Idempotency-Key"] else { return await work() }
        guard IdempotencyStore.isValidKey(key) else {
            var p = Problem(status: 400, detail: "Idempotency-Key must be 1-255 visible ASCII characters", type: ProblemType.idempotency)
            p.errors = [("Idempotency-Key", "invalid")]
            return p.response(requestID: ctx.requestID)
        }
        switch store.begin(key: key, method: request.method, path: request.path, query: request.query, body: request.body) {
        case .proceed:
            let r = await work()
            store.finish(key: key, response: r)
            return r
        case .replay(var r):
            r.headers.replaceOrAdd("Idempotent-Replayed", "true")
            return r
        case .mismatch:
            return Problem(status: 422, detail: "this Idempotency-Key was used with a different request in the last 24 hours",
                           type: ProblemType.idempotency).response(requestID: ctx.requestID)
        case .inProgress:
            var p = Problem(status: 409, detail: "a request with this Idempotency-Key is still being processed", type: ProblemType.idempotency)
            p.headers.add("Retry-After", "1")
            return p.response(requestID: ctx.requestID)
        }
    }

    /// The rendered-answer cache's fast path (synchronous, on the loop thread): a hit skips
    /// the adapter, the mapping and the JSON writer, and no task is created (see
    /// `RenderedCache`). `Cache-Control: no-cache` skips it.
    static func renderedHit(_ request: HTTPRequest, _ ctx: RequestContext, _ services: GatewayServices) -> HTTPResponse? {
        guard let rendered = services.rendered, let upstream = services.cache, !ctx.record.revalidate else { return nil }
        guard let hit = rendered.lookup(request.head.target, upstream: upstream, now: ctx.loop.now()) else { return nil }
        var r = hit.response
        // One copy of the stored fields, with room for what this answer and the responder add
        // (stored answers have no Cache-Status, Age or X-Request-Id: `RenderedCache.store`).
        r.headers.reserveCapacity(r.headers.count + 4)
        r.headers.add("Cache-Status", hitCacheStatus(ttl: hit.ttl))
        r.headers.add("Age", String(hit.age))
        services.renderedHits.increment()
        return r
    }

    /// `crm-gateway; hit; ttl=N` built in one allocation (every rendered hit makes one).
    static func hitCacheStatus(ttl: Int) -> String {
        let prefix: StaticString = "crm-gateway; hit; ttl="
        return String(unsafeUninitializedCapacity: prefix.utf8CodeUnitCount + 20) { buf in
            var n = 0
            for k in 0..<prefix.utf8CodeUnitCount { buf[n] = prefix.utf8Start[k]; n += 1 }
            var v = ttl.magnitude
            var digits = 0
            repeat { digits += 1; v /= 10 } while v > 0
            if ttl < 0 { buf[n] = UInt8(ascii: "-"); n += 1 }
            v = ttl.magnitude
            for k in stride(from: n + digits - 1, through: n, by: -1) {
                buf[k] = UInt8(truncatingIfNeeded: 0x30 &+ v % 10)
                v /= 10
            }
            return n + digits
        }
    }

    /// The slow path of a cacheable read: runs it, and keeps a 200 built only from fresh
    /// stored upstream answers for the fast path.
    static func renderedRead(_ request: HTTPRequest, _ ctx: RequestContext, _ services: GatewayServices,
                             _ work: () async -> HTTPResponse) async -> HTTPResponse {
        var r = await work()
        guard let rendered = services.rendered, r.status == 200, !ctx.record.revalidate else { return r }
        let calls = ctx.record.all
        let storable = !calls.isEmpty && calls.allSatisfy { call in
            guard let c = call.cache, c.key != nil, c.ttl > 0 else { return false }
            return c.kind == .miss || c.kind == .hit || c.kind == .coalesced
        }
        if storable {
            if r.headers["ETag"] == nil { r.headers.add("ETag", ETag.weak(r.body)) }
            rendered.store(request.head.target, response: r, sources: calls.compactMap { $0.cache?.key })
        }
        return r
    }

    /// A path `{id}` as a unified id of this resource's kinds, or 404.
    static func id(_ ctx: RequestContext, noun: String) throws(GatewayError) -> UnifiedID {
        let raw = ctx.pathParameters["id"] ?? ""
        guard let id = UnifiedID(raw) else { throw .notFound("\(raw) is not a \(noun) id (<source>:<kind>:<remote id>)") }
        return id
    }
}
