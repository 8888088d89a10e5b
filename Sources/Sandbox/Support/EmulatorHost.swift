import Gateway
import GatewayCore
import Logging
import Synchronization

/// Serves one emulator over our HTTP server: counts requests per operation, applies the
/// fault plan, and answers the admin paths `/_sandbox/{name}/{stats,faults,reset,deliver}`
/// (the same paths the gateway exposes in sandbox mode, so tooling works against either).
public final class EmulatorHost: @unchecked Sendable {
    public let name: String
    public let webhooks: WebhookSender
    private let emulator: any Emulator
    private let environment: EmulatorEnvironment
    /// Every emulator call and counter update happens under this lock, so emulator state
    /// is never touched by two loops at once.
    private let lock = Mutex<Void>(())
    private var requestsTotal = 0
    private var byOperation: [String: Int] = [:]
    private var fault = FaultPlan()
    private var server: HTTPServer?
    public private(set) var address: SocketAddress?

    public init(emulator: any Emulator, environment: EmulatorEnvironment) {
        self.name = emulator.name
        self.emulator = emulator
        self.environment = environment
        self.webhooks = environment.webhooks
    }

    /// `http://127.0.0.1:PORT` once started.
    public var baseURL: String { address.map { "http://\($0)" } ?? "" }

    public func start(loops: [EventLoop], address: SocketAddress, logger: Logger) throws -> SocketAddress {
        var config = HTTPServerConfiguration()
        config.address = address
        let server = HTTPServer(configuration: config, loops: loops, logger: logger) { loop in
            EmulatorResponder(host: self, loop: loop)
        }
        let bound = try server.start()
        self.server = server
        self.address = bound
        return bound
    }

    public func shutdown(completion: @escaping @Sendable () -> Void) {
        guard let server else { completion(); return }
        server.shutdown(drainTimeout: .seconds(1), completion: completion)
    }

    // MARK: serving

    /// What a request to the emulated API gets, and how it is delivered.
    func serve(_ request: HTTPRequest, loop: EventLoop, writer: HTTPResponseWriter) {
        let (response, hit) = lock.withLock { _ -> (HTTPResponse, FaultPlan?) in
            let pairs = request.query.flatMap { FormEncoding.pairs($0) } ?? []
            switch emulator.routes.match(method: request.method, path: request.path) {
            case .notFound:
                count("unknown")
                if let f = fault.take(operation: "unknown"), let r = preempt(f) { return (r, f) }
                return (emulator.errorResponse(status: 404, message: "Not found"), nil)
            case .methodNotAllowed:
                count("unknown")
                return (emulator.errorResponse(status: 405, message: "Method not allowed"), nil)
            case .found(let op, let params, let handler):
                count(op)
                let f = fault.take(operation: op)
                if let f, let r = preempt(f) { return (r, f) }
                let call = EmulatorCall(request: request, parameters: params, query: pairs, environment: environment)
                return (handler(call), f)
            }
        }
        guard let hit else { writer.send(response); return }
        var r = response
        switch hit.mode {
        case .truncate:
            r.delivery = .truncated(bytes: r.body.count / 2)
        case .slow_body:
            // Up to ten pieces, spread so the whole body takes `latencyMS` even when it is
            // shorter than ten bytes.
            let n = r.body.count
            let chunk = max(1, (n + max(1, min(10, n)) - 1) / max(1, min(10, n)))
            let pieces = max(1, (n + chunk - 1) / chunk)
            r.delivery = .paced(chunkBytes: chunk, interval: .milliseconds(max(1, hit.latencyMS / pieces)))
        case .latency:
            _ = loop.schedule(after: .milliseconds(hit.latencyMS)) { writer.send(r) }
            return
        default:
            break
        }
        writer.send(r)
    }

    /// Faults that answer instead of the emulator (nothing changes state).
    private func preempt(_ f: FaultPlan) -> HTTPResponse? {
        switch f.mode {
        case .status:
            return emulator.errorResponse(status: f.status, message: "Injected fault")
        case .rate_limit:
            return emulator.rateLimitedResponse()
        case .reset:
            var r = HTTPResponse(status: 500)
            r.delivery = .reset
            return r
        default:
            return nil
        }
    }

    private func count(_ op: String) {
        requestsTotal += 1
        byOperation[op, default: 0] += 1
    }

    // MARK: admin

    /// `{"requests_total": N, "by_operation": {...}, "fault": {...}, "webhooks": [...]}`.
    public func stats() -> JSON {
        let (total, ops, plan) = lock.withLock { _ in (requestsTotal, byOperation, fault) }
        var byOp = JSONObject()
        for (k, v) in ops.sorted(by: { $0.key < $1.key }) { byOp[k] = .int(v) }
        return ["requests_total": .int(total), "by_operation": .object(byOp), "fault": plan.json,
                "webhooks": .array(webhooks.deliveries.map(\.json))]
    }

    public var requestsTotal_: Int { lock.withLock { _ in requestsTotal } }

    public func requests(for operation: String) -> Int { lock.withLock { _ in byOperation[operation] ?? 0 } }

    public var operationNames: Set<String> { lock.withLock { _ in emulator.routes.operationNames } }

    public func setFault(_ plan: FaultPlan) { lock.withLock { _ in fault = plan } }

    public var currentFault: FaultPlan { lock.withLock { _ in fault } }

    /// Seeded state back, counters and faults cleared, webhook log emptied.
    public func reset() {
        lock.withLock { _ in
            emulator.reset()
            requestsTotal = 0
            byOperation = [:]
            fault = FaultPlan()
        }
        webhooks.clear()
    }

    public func deliver(_ body: JSON) -> HTTPResponse {
        lock.withLock { _ in emulator.deliver(body) }
    }

    /// The admin surface, for the emulator's own port and for the gateway's `/_sandbox/...`.
    public func admin(action: String, request: HTTPRequest, requestID: String? = nil) -> HTTPResponse {
        switch (action, request.method) {
        case ("stats", .GET), ("stats", .HEAD):
            return .json(status: 200, stats())
        case ("faults", .GET), ("faults", .HEAD):
            return .json(status: 200, currentFault.json)
        case ("faults", .DELETE):
            setFault(FaultPlan())
            return .json(status: 200, FaultPlan().json)
        case ("faults", .PUT):
            let parsed: JSON
            do { parsed = try JSON.parse(request.body) } catch {
                return .problem(status: 400, detail: "body is not JSON: \(error)", requestID: requestID)
            }
            switch FaultPlan.parse(parsed) {
            case .failure(let invalid):
                return .problem(status: 422, detail: "invalid fault plan", requestID: requestID, errors: invalid.errors)
            case .success(let plan):
                if let op = plan.operation, !operationNames.contains(op), op != "unknown" {
                    return .problem(status: 422, detail: "invalid fault plan", requestID: requestID,
                                    errors: [("operation", "unknown operation; one of " + operationNames.sorted().joined(separator: ", "))])
                }
                setFault(plan)
                return .json(status: 200, plan.json)
            }
        case ("reset", .POST):
            reset()
            return .json(status: 200, ["status": "reset"])
        case ("deliver", .POST):
            let parsed: JSON
            if request.body.isEmpty { parsed = .object(JSONObject()) } else {
                do { parsed = try JSON.parse(request.body) } catch {
                    return .problem(status: 400, detail: "body is not JSON: \(error)", requestID: requestID)
                }
            }
            return deliver(parsed)
        case ("stats", _), ("faults", _), ("reset", _), ("deliver", _):
            var r = HTTPResponse.problem(status: 405, detail: "\(request.method.rawValue) is not allowed on \(action)", requestID: requestID)
            r.headers.add("Allow", ["stats": "GET", "faults": "GET, PUT, DELETE", "reset": "POST", "deliver": "POST"][action] ?? "")
            return r
        default:
            return .problem(status: 404, detail: "no sandbox action \(action); one of stats, faults, reset, deliver", requestID: requestID)
        }
    }
}

/// The HTTP face of one emulator.
final class EmulatorResponder: HTTPResponder {
    let host: EmulatorHost
    let loop: EventLoop
    let adminPrefix: String

    init(host: EmulatorHost, loop: EventLoop) {
        self.host = host
        self.loop = loop
        self.adminPrefix = "/_sandbox/\(host.name)/"
    }

    func respond(to request: consuming HTTPRequest, writer: HTTPResponseWriter) {
        if request.path.hasPrefix(adminPrefix) {
            let action = String(request.path.dropFirst(adminPrefix.count))
            writer.send(host.admin(action: action, request: request))
            return
        }
        host.serve(request, loop: loop, writer: writer)
    }
}
