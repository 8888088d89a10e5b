@testable import Gateway
import GatewayCore
import Testing

/// The routes that need no client key are exactly the operations openapi.yaml marks
/// `security: []`; every other operation documents the 401 a caller without a key gets.
@Suite struct OpenRoutesSpecTests {
    @Test func theSpecAndTheResponderAgreeOnWhichRoutesAreOpen() throws {
        let spec = try DocsPage.specJSON(yaml: OpenAPIDocument.yaml)
        #expect(spec["security"] == [["apiKey": []]], "a key is the default")
        let paths = try #require(spec["paths"]?.objectValue)
        var checked = 0
        for (path, item) in paths {
            for (method, op) in item.objectValue ?? JSONObject() where ["get", "post", "put", "patch", "delete"].contains(method) {
                checked += 1
                let open = op["security"] == .array([])
                #expect(open == GatewayResponder.isOpenRoute(path), "\(method.uppercased()) \(path): spec open=\(open)")
                if !open {
                    #expect(op["responses"]?["401"] != nil, "\(method.uppercased()) \(path) documents no 401")
                }
            }
        }
        #expect(checked > 40)
    }
}
