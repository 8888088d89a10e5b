#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// `serve --cors-origin`: validated at start-up, and in effect on the running binary.
@Suite("crm-gateway serve --cors-origin", .serialized)
struct CORSOptionTests {
    @Test(arguments: [
        ("https://app.example.com/", "Error: --cors-origin: CORS origin 'https://app.example.com/': an origin has no path, query or fragment (not even a trailing /)"),
        ("app.example.com", "Error: --cors-origin: CORS origin 'app.example.com': expected scheme://host[:port], e.g. https://app.example.com"),
        ("ftp://files.example.com", "Error: --cors-origin: CORS origin 'ftp://files.example.com': the scheme must be http or https"),
        ("http://127.0.0.1:99999", "Error: --cors-origin: CORS origin 'http://127.0.0.1:99999': the port must be 1-65535"),
    ])
    func aMalformedOriginStopsStartUpNamingIt(_ origin: String, _ message: String) throws {
        let r = try run(["serve", "--port", "0", "--cors-origin", "https://ok.example.com", "--cors-origin", origin])
        #expect(r.status != 0)
        #expect(r.out.split(separator: "\n").first.map(String.init) == message)
    }

    /// `cors:` in the configuration file reaches the running gateway's options; the command
    /// line's --cors-origin replaces the file's list.
    @Test func theConfigurationFileSetsTheSameOptions() throws {
        let path = "/tmp/crm-gateway-cors-\(getpid()).yaml"
        try "cors:\n  allowed_origins: [https://App.Example.com:443, 'http://127.0.0.1:5173']\n  max_age: 120s\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        let gw = try ServeProcessTests.Running(extraArgs: ["--config", path])
        defer { gw.stop() }
        let allowed = try head(port: gw.port, "OPTIONS /contacts HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n")
        #expect(allowed.first == "HTTP/1.1 204 No Content")
        #expect(allowed.contains("Access-Control-Max-Age: 120"))
        let overridden = try ServeProcessTests.Running(extraArgs: ["--config", path, "--cors-origin", "http://localhost:8000"])
        defer { overridden.stop() }
        let refused = try head(port: overridden.port, "OPTIONS /contacts HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: GET\r\nConnection: close\r\n\r\n")
        #expect(refused.first == "HTTP/1.1 403 Forbidden")
    }

    /// Raw request, `Connection: close`; the head's lines.
    func head(port: Int, _ request: String) throws -> [String] {
        let text = try rawExchange(port: port, request)
        return text.components(separatedBy: "\r\n\r\n").first?.components(separatedBy: "\r\n") ?? []
    }

    @Test func theRunningGatewayAllowsExactlyTheGivenOrigins() throws {
        let gw = try ServeProcessTests.Running(extraArgs: ["--cors-origin", "http://127.0.0.1:5173", "--cors-origin", "https://App.Example.com"])
        defer { gw.stop() }
        let allowed = try head(port: gw.port, "OPTIONS /contacts HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.com\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n")
        #expect(allowed.first == "HTTP/1.1 204 No Content")
        #expect(allowed.contains("Access-Control-Allow-Origin: https://app.example.com"))
        let refused = try head(port: gw.port, "OPTIONS /contacts HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n")
        #expect(refused.first == "HTTP/1.1 403 Forbidden")
        #expect(!refused.contains { $0.lowercased().hasPrefix("access-control-") })
        let get = try head(port: gw.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nOrigin: http://127.0.0.1:5173\r\nConnection: close\r\n\r\n")
        #expect(get.first == "HTTP/1.1 200 OK")
        #expect(get.contains("Access-Control-Allow-Origin: http://127.0.0.1:5173"))
        #expect(get.contains("Access-Control-Expose-Headers: X-Request-Id, Cache-Status, Retry-After, Age, ETag, Location, Preference-Applied"))
    }
}
