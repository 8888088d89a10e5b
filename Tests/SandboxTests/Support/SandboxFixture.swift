import Gateway
import GatewayCore
import Logging
@testable import Sandbox
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Emulators on loopback (ephemeral ports, own loop thread) and a libcurl client on
/// another loop: every test talks to an emulator over real sockets.
final class SandboxFixture: @unchecked Sendable {
    let serverThread: EventLoopThread
    let clientThread: EventLoopThread
    let sandbox: Sandbox
    let client: CurlTransport
    let clock: ManualWallClock

    /// 2025-01-15T09:30:00Z unless told otherwise.
    init(_ names: [String], options: SandboxOptions = SandboxOptions(), clockMillis: Int64 = 1_736_933_400_000) throws {
        serverThread = try EventLoopThread(name: "sandbox")
        clientThread = try EventLoopThread(name: "client")
        clock = ManualWallClock(millis: clockMillis)
        sandbox = Sandbox(names: names, loop: serverThread.loop, clock: clock, options: options)
        var logger = Logger(label: "sandbox-test")
        logger.logLevel = .critical
        try sandbox.start(logger: logger)
        var config = CurlTransportConfiguration()
        config.allowPlainHTTPToLoopback = true
        client = try CurlTransport(loop: clientThread.loop, configuration: config)
    }

    deinit {
        let c = client
        clientThread.loop.execute { c.shutdown() }
        for h in sandbox.hosts { let w = h.webhooks; serverThread.loop.execute { w.shutdown() } }
        stopLoopThread(clientThread)
        stopLoopThread(serverThread)
    }

    func host(_ name: String) -> EmulatorHost { sandbox.host(name)! }

    func url(_ name: String, _ pathAndQuery: String) -> String { host(name).baseURL + pathAndQuery }

    /// One request to an emulator. `json` sets a JSON body, `form` a form-encoded one.
    func call(_ name: String, _ method: String, _ pathAndQuery: String,
              headers: [(String, String)] = [], json: JSON? = nil, form: String? = nil,
              body: [UInt8]? = nil, timeout: Duration = .seconds(10), retryable: Bool = false) async throws(TransportError) -> UpstreamResponse {
        var h = HTTPHeaders()
        for (k, v) in headers { h.add(k, v) }
        var b: [UInt8] = body ?? []
        if let json {
            b = json.serialized()
            if h["Content-Type"] == nil { h.add("Content-Type", "application/json") }
        } else if let form {
            b = Array(form.utf8)
            if h["Content-Type"] == nil { h.add("Content-Type", "application/x-www-form-urlencoded") }
        }
        var req = UpstreamRequest(method: method, url: url(name, pathAndQuery), headers: h, body: b,
                                  timeouts: UpstreamTimeouts(connect: .seconds(2), total: timeout, lowSpeedLimit: 1, lowSpeedTime: .seconds(5)))
        req.hints.retryable = retryable
        return try await client.send(req)
    }

    /// The response body parsed as JSON (test failure if it is not).
    func json(_ r: UpstreamResponse) throws -> JSON { try JSON.parse(r.body) }

    /// Puts a fault plan through the admin surface, like a test of a later issue would.
    func setFault(_ name: String, _ plan: JSON) async throws -> UpstreamResponse {
        try await call(name, "PUT", "/_sandbox/\(name)/faults", json: plan)
    }

    func stats(_ name: String) async throws -> JSON {
        try json(try await call(name, "GET", "/_sandbox/\(name)/stats"))
    }
}

/// A webhook receiver on loopback that records every request and answers `status`.
final class RecordingReceiver: @unchecked Sendable {
    final class Store: @unchecked Sendable {
        let requests = Mutex<[HTTPRequest]>([])
        let status = Atomic<Int>(200)
    }

    let thread: EventLoopThread
    let server: HTTPServer
    let address: SocketAddress
    let store = Store()

    init() throws {
        thread = try EventLoopThread(name: "receiver")
        var config = HTTPServerConfiguration()
        config.address = SocketAddress(host: "127.0.0.1", port: 0)
        var logger = Logger(label: "receiver")
        logger.logLevel = .critical
        let store = self.store
        server = HTTPServer(configuration: config, loops: [thread.loop], logger: logger) { _ in
            ClosureResponder { request, writer in
                store.requests.withLock { $0.append(request) }
                writer.send(HTTPResponse(status: store.status.load(ordering: .relaxed)))
            }
        }
        address = try server.start()
    }

    deinit { stopLoopThread(thread) }

    /// `http://127.0.0.1:PORT` + path.
    func url(_ path: String) -> String { "http://\(address)\(path)" }

    var requests: [HTTPRequest] { store.requests.withLock { $0 } }

    func respond(with status: Int) { store.status.store(status, ordering: .relaxed) }

    /// Waits (polling, up to `timeout`) until at least `count` requests arrived.
    func waitFor(count: Int, timeout: Duration = .seconds(5)) async -> [HTTPRequest] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let r = requests
            if r.count >= count { return r }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return requests
    }
}
