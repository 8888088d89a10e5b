#if canImport(Glibc)
import Glibc
#endif
import Gateway
import GatewayCore
import Logging

// The benchmark target (bench/bench.sh): the gateway's own server, router and responder,
// serving a fixed JSON body at /fixed and forwarding /proxy/{path} through the libcurl
// transport, with nothing else in the way. Not part of the product.
//
//   crm-gateway-bench --port P --payload FILE [--loops N] [--upstream http://127.0.0.1:PORT | https://... --ca FILE]

func argument(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

let port = Int(argument("--port") ?? "18081") ?? 18081
let loopCount = Int(argument("--loops") ?? "1") ?? 1
let upstream = argument("--upstream")
guard let payload = readFileBytes(argument("--payload") ?? "bench/payload.json") else {
    print("cannot read --payload")
    exit(2)
}

let mainLoop = try EventLoop(name: "bench-0")
final class ServerRef: @unchecked Sendable { var server: HTTPServer? }
let serverRef = ServerRef()
// Before any thread starts, so every thread inherits the blocked signals.
let watcher = try SignalWatcher(loop: mainLoop) { _ in
    serverRef.server?.shutdown(drainTimeout: .seconds(2)) { mainLoop.stop() }
}
try watcher.start()
var threads: [EventLoopThread] = []
for i in 1..<max(1, loopCount) { threads.append(try EventLoopThread(name: "bench-\(i)")) }
let loops = [mainLoop] + threads.map(\.loop)

var transportConfig = CurlTransportConfiguration()
transportConfig.allowPlainHTTPToLoopback = true
// Like nginx's proxy: as many upstream connections as there are concurrent clients (wrk -c64).
transportConfig.maxConnectionsPerHost = Int(argument("--upstream-connections") ?? "64") ?? 64
transportConfig.maxPooledConnections = transportConfig.maxConnectionsPerHost
// An https origin with a certificate made for the run (bench.sh PROXY_TLS=1); verified as always.
transportConfig.caInfoPath = argument("--ca")
// A transport per loop; a handler finds its loop's among a few (no hashing), and builds the
// upstream URL with one concatenation.
let loopTransports = try loops.map { (loop: $0, transport: try CurlTransport(loop: $0, configuration: transportConfig)) }
@Sendable func transport(for loop: EventLoop) -> CurlTransport { loopTransports.first { $0.loop === loop }!.transport }
let upstreamSlash = (upstream ?? "") + "/"

var router = Router()
router.add(.GET, "/fixed", .sync { _, _ in
    HTTPResponse(status: 200, contentType: "application/json", body: payload)
})
router.add(.GET, "/healthz", .sync { _, _ in
    HTTPResponse(status: 200, contentType: "application/json", body: Array("{\"status\":\"ok\"}".utf8))
})
if upstream != nil {
    router.add(.GET, "/proxy/{path+}", .async { _, ctx in
        let request = UpstreamRequest(method: "GET", url: upstreamSlash + (ctx.pathParameters["path"] ?? ""))
        do {
            let r = try await transport(for: ctx.loop).send(request)
            var h = HTTPHeaders()
            if let ct = r.header("Content-Type") { h.add("Content-Type", ct) }
            return HTTPResponse(status: r.status, headers: h, body: r.body)
        } catch {
            return Problem(status: 502, detail: "\(error)").response(requestID: ctx.requestID)
        }
    })
}
let routes = router

var config = HTTPServerConfiguration()
config.address = SocketAddress(host: "127.0.0.1", port: port)
config.timeouts.idleKeepAlive = .seconds(300)
config.timeouts.headerRead = .seconds(300)
let callbackProxy = argument("--callback-proxy") != nil
let server = HTTPServer(configuration: config, loops: loops) { loop in
    let gw = GatewayResponder(router: routes, loop: loop)
    guard callbackProxy, let upstream else { return gw }
    let loopTransport = transport(for: loop)
    return ClosureResponder { req, w in
        guard req.path.hasPrefix("/proxy/") else { return gw.respond(to: req, writer: w) }
        loopTransport.send(UpstreamRequest(method: "GET", url: upstream + req.path.dropFirst(6))) { result in
            switch result {
            case .success(let r): w.send(HTTPResponse(status: r.status, contentType: r.header("Content-Type") ?? "application/octet-stream", body: r.body))
            case .failure: w.send(HTTPResponse(status: 502))
            }
        }
    }
}
serverRef.server = server
let bound: SocketAddress
do {
    bound = try server.start()
} catch {
    print("cannot listen on 127.0.0.1:\(port): \(error)")
    exit(1)
}
print("crm-gateway-bench listening on http://\(bound) loops=\(loops.count) upstream=\(upstream ?? "-")")
fflush(nil)
mainLoop.run()
for t in threads { t.stopAndJoin() }

