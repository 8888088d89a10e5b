import Foundation
import Testing

/// `crm-gateway webhooks register`, as a process.
@Suite("crm-gateway webhooks register")
struct WebhooksCommandTests {
    @Test func registersEveryHookWithTheSandboxAndNeverPrintsASecret() throws {
        let r = try run(["webhooks", "register", "--public-url", "http://127.0.0.1:9/", "--sandbox"])
        #expect(r.status == 0, "\(r.out)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasSuffix(": created") }.count == 12)
        #expect(lines.contains("textrequest msg_received -> http://127.0.0.1:9/webhooks/textrequest: created"))
        #expect(lines.contains("pipedrive *.deal -> http://127.0.0.1:9/webhooks/pipedrive: created"))
        #expect(lines.last == "12 created, 0 already present, 0 failed")
        #expect(!r.out.contains("sandbox-secret") && !r.out.contains("sandbox-key"))
    }

    @Test func aBadPublicURLIsAUsageError() throws {
        let r = try run(["webhooks", "register", "--public-url", "ftp://example.com", "--sandbox"])
        #expect(r.status == 64)
        #expect(r.out.contains("--public-url must start with http:// or https://"))
    }
}
