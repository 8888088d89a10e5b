// swift-tools-version:6.0
import PackageDescription

// Layers point one way: crm-gateway (executable) -> Sandbox -> Gateway -> GatewayCore -> CShims.
let package = Package(
    name: "crm-gateway",
    products: [
        .executable(name: "crm-gateway", targets: ["crm-gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // Thin C wrappers: epoll/eventfd/signalfd, and typed setters for curl's variadic API.
        .target(
            name: "CShims",
            linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("crypto")]
        ),
        // Event loop, HTTP/1.1 parser and server, libcurl transport. Knows nothing of CRMs.
        .target(
            name: "GatewayCore",
            dependencies: [
                "CShims",
                .product(name: "Logging", package: "swift-log"),
            ],
            // Release builds skip Swift's run-time exclusivity checks in this module only (every
            // access to a class's stored property registered in a thread-local access set: ~40
            // per proxied request). Measured by bench/instructions.sh: proxy path 87.7k -> 83.7k
            // instructions per request, fixed body 15.5k -> 13.6k. The checks only catch
            // overlapping accesses on one thread (never races between threads); debug builds,
            // i.e. every test run, keep them, so the whole suite runs checked.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // Router, handlers, configuration; later adapters, cache and limits.
        .target(
            name: "Gateway",
            dependencies: [
                "GatewayCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Emulators of every upstream (§8), served by our own HTTP server: `serve --sandbox`, `emulate`.
        .target(
            name: "Sandbox",
            dependencies: [
                "Gateway",
                "GatewayCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "crm-gateway",
            dependencies: [
                "Gateway",
                "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // bench/bench.sh's target: the same server and transport, a fixed body and a proxy route.
        .executableTarget(
            name: "crm-gateway-bench",
            dependencies: ["Gateway", "GatewayCore"]
        ),
        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore", "CShims"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "GatewayCore"], exclude: ["Fixtures"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "Gateway", "GatewayCore"]),
    ]
)
