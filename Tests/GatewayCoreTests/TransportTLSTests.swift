#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import GatewayCore

/// The transport against a real TLS server that offers HTTP/2 (nginx on loopback with a
/// certificate made for the test): h2 is negotiated, one connection carries the calls,
/// and certificate verification is on.
@Suite("Transport over TLS", .serialized)
struct TransportTLSTests {
    /// nginx with `listen ... ssl http2` and a self-signed certificate for 127.0.0.1.
    final class TLSOrigin {
        let dir: URL
        let port: Int
        let process = Process()
        var certPath: String { dir.appendingPathComponent("cert.pem").path }

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("crmgw-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                                 "-keyout", dir.appendingPathComponent("key.pem").path, "-out", dir.appendingPathComponent("cert.pem").path]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else { throw TLSTestError("openssl req failed") }
            port = try Self.freePort()
            let conf = """
            worker_processes 1;
            daemon off;
            pid \(dir.path)/nginx.pid;
            error_log \(dir.path)/error.log;
            events { worker_connections 64; }
            http {
              access_log off;
              client_body_temp_path \(dir.path);
              proxy_temp_path \(dir.path);
              fastcgi_temp_path \(dir.path);
              uwsgi_temp_path \(dir.path);
              scgi_temp_path \(dir.path);
              server {
                listen 127.0.0.1:\(port) ssl http2;
                ssl_certificate \(dir.path)/cert.pem;
                ssl_certificate_key \(dir.path)/key.pem;
                location / { default_type application/json; return 200 '{"tls":true}'; }
              }
            }
            """
            try conf.write(to: dir.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
            process.arguments = ["-c", dir.appendingPathComponent("nginx.conf").path, "-p", dir.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Ready when the port accepts.
            for _ in 0..<200 {
                if Self.accepts(port) { return }
                usleep(10_000)
            }
            throw TLSTestError("nginx did not start: \((try? String(contentsOf: dir.appendingPathComponent("error.log"), encoding: .utf8)) ?? "")")
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: dir)
        }

        static func freePort() throws -> Int {
            let (fd, port) = try Socket.listen(on: SocketAddress(host: "127.0.0.1", port: 0), backlog: 1, reusePort: false)
            close(fd)
            return port
        }

        static func accepts(_ port: Int) -> Bool {
            guard let c = try? RawClient(port: port) else { return false }
            c.close()
            return true
        }
    }

    struct TLSTestError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    func send(_ transport: CurlTransport, _ url: String) async -> Result<UpstreamResponse, TransportError> {
        do { return .success(try await transport.send(UpstreamRequest(url: url))) } catch { return .failure(error) }
    }

    @Test func http2IsNegotiatedAndOneConnectionCarriesTheCalls() async throws {
        let origin = try TLSOrigin()
        defer { origin.stop() }
        let thread = try EventLoopThread(name: "tls")
        defer { thread.stopAndJoinBounded() }
        let transport = try CurlTransport(loop: thread.loop, configuration: CurlTransportConfiguration(caInfoPath: origin.certPath))
        defer { thread.loop.execute { transport.shutdown() } }
        let url = "https://127.0.0.1:\(origin.port)/contacts/1"
        var reused: [Bool] = []
        for _ in 0..<3 {
            let r = try await send(transport, url).get()
            #expect(r.status == 200)
            #expect(r.httpVersion == "2")
            #expect(String(decoding: r.body, as: UTF8.self) == #"{"tls":true}"#)
            reused.append(r.timings.reusedConnection)
        }
        #expect(reused == [false, true, true])
        #expect(transport.stats.connectionsOpened == 1)
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        let origin = try TLSOrigin()
        defer { origin.stop() }
        let thread = try EventLoopThread(name: "tls")
        defer { thread.stopAndJoinBounded() }
        // No CA given: the self-signed certificate must not verify.
        let transport = try CurlTransport(loop: thread.loop, configuration: CurlTransportConfiguration())
        defer { thread.loop.execute { transport.shutdown() } }
        let result = await send(transport, "https://127.0.0.1:\(origin.port)/")
        guard case .failure(.tls) = result else {
            Issue.record("expected a TLS error, got \(result)")
            return
        }
    }
}
