// Minimal Hummingbird 2 server used as a reference point by bench/bench.sh.
//
//   hb-bench --port 18003 --payload bench/payload.json --threads 1
//
// GET /fixed   -> the payload file, Content-Type: application/json
// GET /healthz -> "ok"
//
// Written the way Hummingbird's own PerformanceTest does it: a Router, no
// middleware, logging at .error, an explicit MultiThreadedEventLoopGroup whose
// size we choose, and a response body built once (a ByteBuffer) and shared by
// every request, so the benchmark measures the framework, not JSON encoding.

import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

struct Options {
    var host = "127.0.0.1"
    var port = 18003
    var threads = 1
    var payloadPath = "bench/payload.json"
    /// Run Swift concurrency tasks on the NIO event loop threads too
    /// (NIO's "install as global executor"), so --threads really bounds the
    /// number of busy threads. Off by default.
    var nioExecutor = false
}

func usage() -> Never {
    FileHandle.standardError.write(Data("""
    usage: HBBench [--host H] [--port P] [--threads N] [--payload FILE] [--nio-executor]

    """.utf8))
    exit(2)
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let a = args.next() {
        func value() -> String {
            guard let v = args.next() else { usage() }
            return v
        }
        switch a {
        case "--host": o.host = value()
        case "--port": guard let p = Int(value()) else { usage() }; o.port = p
        case "--threads": guard let t = Int(value()), t > 0 else { usage() }; o.threads = t
        case "--payload": o.payloadPath = value()
        case "--nio-executor": o.nioExecutor = true
        case "-h", "--help": usage()
        default:
            FileHandle.standardError.write(Data("unknown option \(a)\n".utf8))
            usage()
        }
    }
    return o
}

let options = parseOptions()

guard let payload = FileManager.default.contents(atPath: options.payloadPath) else {
    FileHandle.standardError.write(Data("cannot read payload \(options.payloadPath)\n".utf8))
    exit(1)
}

let eventLoopGroup: MultiThreadedEventLoopGroup
if options.nioExecutor {
    // Must happen before anything touches the singleton group.
    NIOSingletons.groupLoopCountSuggestion = options.threads
    guard NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() else {
        FileHandle.standardError.write(Data("could not install NIO as the global executor\n".utf8))
        exit(1)
    }
    eventLoopGroup = MultiThreadedEventLoopGroup.singleton
} else {
    eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
}

// Built once; ByteBuffer is copy-on-write, so each response shares the storage.
let body = ByteBuffer(bytes: payload)
let okBody = ByteBuffer(string: "ok\n")
let jsonHeaders: HTTPFields = [.contentType: "application/json"]
let textHeaders: HTTPFields = [.contentType: "text/plain"]

let router = Router()
router.get("fixed") { _, _ -> Response in
    Response(status: .ok, headers: jsonHeaders, body: .init(byteBuffer: body))
}
router.get("healthz") { _, _ -> Response in
    Response(status: .ok, headers: textHeaders, body: .init(byteBuffer: okBody))
}

var logger = Logger(label: "hb-bench")
logger.logLevel = .error

let app = Application(
    router: router,
    configuration: .init(
        address: .hostname(options.host, port: options.port),
        serverName: "Hummingbird",
        // Match the other servers: a deep accept backlog for 10k idle connections.
        backlog: 4096
    ),
    eventLoopGroupProvider: .shared(eventLoopGroup),
    logger: logger
)

try await app.runService()
