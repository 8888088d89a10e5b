// swift-tools-version:6.2
// Minimal Hummingbird 2 reference server for bench/bench.sh. Not part of the
// crm-gateway product; built separately:
//   swift build -c release --package-path bench/hb-bench --scratch-path .build-hb
import PackageDescription

let package = Package(
    name: "hb-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
    ],
    targets: [
        .executableTarget(
            name: "HBBench",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
