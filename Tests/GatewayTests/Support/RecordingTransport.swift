#if canImport(Glibc)
import Glibc
#endif
import Gateway
import GatewayCore
import Synchronization

/// An `UpstreamTransport` with no sockets: it records every request and answers from a
/// queue of canned responses (fixture bytes), in order. Adapter mapping tests use it.
final class RecordingTransport: UpstreamTransport {
    private let state = Mutex<(requests: [UpstreamRequest], answers: [Result<UpstreamResponse, TransportError>])>(([], []))

    init() {}

    /// Queues a response with a fixture file's bytes as its body.
    func answer(_ status: Int, fixture: String, headers: HTTPHeaders = ["Content-Type": "application/json"]) {
        answer(UpstreamResponse(status: status, headers: headers, body: Fixture.bytes(fixture)))
    }

    func answer(_ status: Int, json: JSON, headers: HTTPHeaders = ["Content-Type": "application/json"]) {
        answer(UpstreamResponse(status: status, headers: headers, body: json.serialized()))
    }

    func answer(_ response: UpstreamResponse) { state.withLock { $0.answers.append(.success(response)) } }
    func fail(_ error: TransportError) { state.withLock { $0.answers.append(.failure(error)) } }

    var requests: [UpstreamRequest] { state.withLock { $0.requests } }

    func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        let next: Result<UpstreamResponse, TransportError>? = state.withLock {
            $0.requests.append(request)
            return $0.answers.isEmpty ? nil : $0.answers.removeFirst()
        }
        guard let next else { throw .connectFailed("RecordingTransport: no answer queued for \(request.method) \(request.url)") }
        return try next.get()
    }

    func context(requestID: String = "test-request") -> AdapterContext {
        AdapterContext(transport: self, requestID: requestID)
    }
}

extension UpstreamRequest {
    /// The path and the decoded query pairs of the URL (after the base).
    var pathAndQuery: (path: String, query: [(String, String)]) {
        let afterScheme = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        let rest = afterScheme.count == 4 ? "/" + afterScheme[3] : "/"
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = parts.count > 1 ? FormEncoding.pairs(parts[1]) ?? [] : []
        return (String(parts[0]), query)
    }

    func query(_ name: String) -> String? { pathAndQuery.query.last { $0.0 == name }?.1 }

    var jsonBody: JSON? { body.isEmpty ? nil : try? JSON.parse(body) }
}

/// Fixture files under `Tests/GatewayTests/Fixtures/` (`<upstream>/<operation>.<status>.json`),
/// found relative to this source file so no bundle is needed.
enum Fixture {
    static func path(_ name: String) -> String {
        let here = #filePath
        let testsDir = here.split(separator: "/").dropLast(2).joined(separator: "/")
        return "/" + testsDir + "/Fixtures/" + name
    }

    /// A file of the repository, by its path from the repository root.
    static func repositoryFile(_ name: String) -> [UInt8] {
        let root = #filePath.split(separator: "/").dropLast(4).joined(separator: "/")
        return read("/" + root + "/" + name)
    }

    static func bytes(_ name: String) -> [UInt8] { read(path(name)) }

    static func read(_ path: String) -> [UInt8] {
        guard let f = fopen(path, "rb") else { fatalError("missing file \(path)") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    static func json(_ name: String) -> JSON {
        do { return try JSON.parse(bytes(name)) } catch { fatalError("fixture \(name) is not JSON: \(error)") }
    }
}
