import GatewayCore

extension Router {
    /// `/passthrough/{source}/{path}`: the upstream's own API with the gateway's credential.
    /// The adapter keeps the call on its own host and under its API prefix; only a few
    /// request headers pass (no client credential can reach the upstream), and the answer
    /// comes back as the upstream gave it, with `Upstream-Status` added for clarity.
    mutating func addPassthrough(services: GatewayServices) {
        for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE] {
            add(method, "/passthrough/{source}/{path+}", .async { request, ctx in
                await APIHandler.run(ctx) { () throws(GatewayError) in
                    let name = ctx.pathParameters["source"] ?? ""
                    guard let adapter = services.adapter(name), let src = adapter.passthrough else {
                        throw .notFound("no passthrough for \(name) (configured: \(services.adapters.filter { $0.passthrough != nil }.map(\.source).joined(separator: ", ")))")
                    }
                    var headers = HTTPHeaders()
                    for h in ["Content-Type", "Accept"] { if let v = request.headers[h] { headers.add(h, v) } }
                    let path = "/" + (ctx.pathParameters["path"] ?? "")
                    let r = try await src.passthrough(method: request.method.rawValue, path: path, query: request.query,
                                                      headers: headers, body: request.body,
                                                      context: services.context(source: src.source, request: ctx))
                    var out = HTTPResponse(status: r.status, body: r.body)
                    if let t = r.header("Content-Type") { out.headers.add("Content-Type", t) }
                    for h in ["Retry-After", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
                        if let v = r.header(h) { out.headers.add(h, v) }
                    }
                    out.headers.add("Upstream-Status", String(r.status))
                    return out
                }
            })
        }
    }

    /// `/upstreams`: every upstream the gateway knows, configured or not, with what it last did,
    /// its breaker state and its rate-limit budget, queue depth and pause.
    mutating func addUpstreams(services: GatewayServices) {
        add(.GET, "/upstreams", .sync { _, ctx in
            let known = ["hotprofile", "pipedrive", "textrequest", "hana", "aranda"]
            let names = known + services.adapters.map(\.source).filter { !known.contains($0) }
            let data: [JSON] = names.map { name in
                let adapter = services.adapter(name)
                let entry = services.board.entry(name)
                var resources: [JSON] = []
                if let a = adapter {
                    if a.contacts != nil { resources.append("contacts") }
                    if a.companies != nil { resources.append("companies") }
                    if a.deals != nil { resources.append("deals") }
                    if a.pipelines != nil { resources.append("pipelines") }
                    if a.stages != nil { resources.append("stages") }
                    if a.activities != nil { resources.append("activities") }
                    if a.notes != nil { resources.append("notes") }
                    if a.messaging != nil { resources += ["messages", "conversations"] }
                }
                let reachable: JSON = entry.map { e in .bool(e.lastStatus != nil && (e.lastStatus! < 500)) } ?? .null
                let now = ctx.loop.now()
                var limit: JSON = .null
                if let limiter = services.limiters[name] {
                    let snap = limiter.snapshot(now: now)
                    limit = ["budget_left": .int(snap.general.tokens), "limit": .int(snap.general.rate.count),
                             "per_seconds": .int(Int(snap.general.rate.per.components.seconds)),
                             "queue_depth": .int(snap.queueDepth),
                             "paused_for_seconds": snap.pausedUntil.map { .int(max(0, Int(($0 - now).components.seconds))) } ?? .null,
                             "buckets": .array(snap.buckets.map { b in
                                 ["name": .string(b.name), "tokens": .int(b.tokens), "queue_depth": .int(b.queueDepth)]
                             })]
                }
                return ["source": .string(name), "configured": .bool(adapter != nil),
                        "base_url": JSON(services.settings[name]?.baseURL),
                        "resources": .array(resources), "reachable": reachable,
                        "calls": .int(entry?.calls ?? 0), "failures": .int(entry?.failures ?? 0),
                        "last_status": JSON(entry?.lastStatus), "last_error": JSON(entry?.lastError),
                        "last_call_at": JSON(entry?.lastAt.map { UTCTime(epochMillis: $0).rfc3339 }),
                        "breaker": JSON(services.breakers[name]?.stateName(at: now)), "rate_limit": limit]
            }
            return .json(200, ["data": .array(data)])
        })
    }
}

extension Router {
    /// `/openapi.yaml`: the contract, as built into this binary.
    mutating func addOpenAPI() {
        let body = Array(OpenAPIDocument.yaml.utf8)
        add(.GET, "/openapi.yaml", .sync { _, _ in
            HTTPResponse(status: 200, contentType: "application/yaml; charset=utf-8", body: body)
        })
    }
}

extension Router {
    /// `/metrics`: the §6 metrics in Prometheus text exposition format 0.0.4.
    mutating func addMetrics(services: GatewayServices) {
        add(.GET, "/metrics", .sync { _, _ in
            HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(services.metrics.exposition().utf8))
        })
    }
}
