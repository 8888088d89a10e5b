#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Gateway
import GatewayCore
import Sandbox

/// openapi.yaml is the contract: the router of `serve --sandbox` and the spec must list the
/// same (method, path) pairs, no more, no fewer.
@Suite("Router and openapi.yaml agree")
struct SpecAgreementTests {
    /// `(METHOD, /path)` pairs from the spec's `paths:` section (two-space indented keys,
    /// four-space indented methods: the file's own layout).
    static func specOperations() throws -> Set<String> {
        let root = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        guard let f = fopen("/" + root + "/openapi.yaml", "r") else { throw SpecError.missing }
        defer { fclose(f) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), f) != nil { text += String(cString: buffer) }
        var ops: Set<String> = []
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths && !line.hasPrefix(" ") && !line.isEmpty { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /") && line.hasSuffix(":") && !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let p = path, line.hasPrefix("    ") && !line.hasPrefix("     ") {
                let key = line.dropFirst(4).split(separator: ":").first.map(String.init) ?? ""
                if ["get", "put", "post", "patch", "delete", "head", "options"].contains(key) {
                    ops.insert("\(key.uppercased()) \(p)")
                }
            }
        }
        return ops
    }

    enum SpecError: Error { case missing }

    @Test func everyRoutedOperationIsInTheSpecAndViceVersa() throws {
        let loop = try EventLoop(name: "spec")
        let sandbox = Sandbox(loop: loop, options: SandboxOptions())
        var router = Router.gateway(health: HealthState())
        router.addSandboxAdmin(sandbox)
        let services = GatewayServices(adapters: [], makeTransport: { _ in throw TransportError.connectFailed("none") })
        router.addUnifiedAPI(services: services)
        let routed = Set(router.operations.map { "\($0.method.rawValue) \($0.template.replacing("+}", with: "}"))" })
        let spec = try Self.specOperations()
        #expect(spec.count > 40)
        #expect(routed.subtracting(spec).sorted() == [], "routed but not in openapi.yaml")
        #expect(spec.subtracting(routed).sorted() == [], "in openapi.yaml but not routed")
    }
}
