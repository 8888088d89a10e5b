import Testing
import Gateway
import GatewayCore
@testable import Sandbox

// Faults are put through the admin path `PUT /_sandbox/hana/faults` and observed the way the
// gateway would observe them: a libcurl client over loopback against the Hana emulator.

private let updatePath = "/external-api/v1.0/update"
private let bearer = [("Authorization", "Bearer sandbox-key")]
private let leadID = "3ee8e2ea-d149-4e24-98f0-072900b0b9f3"
/// What a successful update of the sample lead answers: 69 bytes.
private let okBody = #"{"success":true,"lead":{"id":"3ee8e2ea-d149-4e24-98f0-072900b0b9f3"}}"#

private func update(_ f: SandboxFixture, name: String = "Thu Hương", retryable: Bool = false) async throws(TransportError) -> UpstreamResponse {
    try await f.call("hana", "POST", updatePath, headers: bearer, json: ["lead": ["id": .string(leadID), "baseName": .string(name)]], retryable: retryable)
}

private func fault(_ f: SandboxFixture, _ plan: JSON) async throws {
    let r = try await f.setFault("hana", plan)
    #expect(r.status == 200, "\(plan.text) -> \(String(decoding: r.body, as: UTF8.self))")
}

/// The lead's `baseName` as the next `lead.updated` event reports it.
private func currentName(_ f: SandboxFixture, _ receiver: RecordingReceiver) async throws -> JSON? {
    let before = receiver.requests.count
    let r = try await f.call("hana", "POST", "/_sandbox/hana/deliver", json: ["event": "lead.updated", "id": .string(leadID)])
    #expect(r.status == 202)
    let got = await receiver.waitFor(count: before + 1)
    guard got.count > before else { return nil }
    return try JSON.parse(got[before].body)["lead"]?["baseName"]?["rawData"]
}

@Suite("Sandbox faults")
struct FaultInjectionTests {
    // MARK: each mode

    @Test func statusAnswersWithTheEmulatorsErrorAndAppliesNothing() async throws {
        let receiver = try RecordingReceiver()
        var options = SandboxOptions()
        options.hanaWebhookURL = receiver.url("/webhooks/hana/{event}")
        let f = try SandboxFixture(["hana"], options: options)
        try await fault(f, ["mode": "status", "status": 503, "count": 1])

        let r = try await update(f, name: "Faulted")
        #expect(r.status == 503)
        #expect(r.header("Content-Type") == "application/json; charset=utf-8")
        #expect(r.body == Array(#"{"statusCode":503,"message":"Injected fault","error":"Service Unavailable"}"#.utf8))
        #expect(try await currentName(f, receiver) == "Nguyễn Thị Thu Hương")
        #expect(receiver.requests.count == 1)
    }

    @Test func statusUsesTheRequestedCode() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "status", "status": 500])
        let r = try await update(f)
        #expect(r.status == 500)
        #expect(try f.json(r) == ["statusCode": 500, "message": "Injected fault", "error": "Internal Server Error"])
    }

    @Test func rateLimitAnswersWithTheEmulators429() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "rate_limit", "count": 1])
        let r = try await update(f)
        #expect(r.status == 429)
        #expect(r.header("Retry-After") == "60")
        #expect(r.body == Array(#"{"statusCode":429,"message":"Too Many Requests","error":"Too Many Requests"}"#.utf8))
        #expect(try await update(f).status == 200)
    }

    @Test func resetDropsTheConnection() async throws {
        let f = try SandboxFixture(["hana"])
        // Set directly, so the update below is the client's first request (a fresh connection).
        f.host("hana").setFault(try FaultPlan.parse(["mode": "reset", "count": 1]).get())
        await #expect(throws: TransportError.connectionReset) { try await update(f) }
        #expect(f.host("hana").requests(for: "update") == 1)
        #expect(try await update(f).status == 200)
    }

    /// libcurl re-sends a request, POST included, once on a fresh connection when a pooled
    /// connection dies before any response byte ("Connection died, retrying a fresh connect"):
    /// a reset on a reused connection reaches the emulator twice, and one reset is invisible.
    @Test func aWriteIsNeverSentTwiceAfterAReset() async throws {
        let f = try SandboxFixture(["hana"])
        #expect(try await update(f).status == 200)
        try await fault(f, ["mode": "reset", "count": 1])
        // A write (not marked retryable) gets a fresh connection, so curl cannot resend it.
        await #expect(throws: TransportError.connectionReset) { try await update(f) }
        #expect(f.host("hana").requests(for: "update") == 2)
        #expect(try await update(f).status == 200)
        #expect(f.host("hana").currentFault.mode == .none)
    }

    @Test func aResetOnAPooledConnectionIsRetriedOnceByCurlForARetryableRequest() async throws {
        let f = try SandboxFixture(["hana"])
        #expect(try await update(f, retryable: true).status == 200)
        try await fault(f, ["mode": "reset", "count": 1])
        let retried = try await update(f, retryable: true)
        #expect(retried.status == 200)
        #expect(f.host("hana").requests(for: "update") == 3)

        try await fault(f, ["mode": "reset", "count": 2])
        await #expect(throws: TransportError.connectionReset) { try await update(f, retryable: true) }
        #expect(f.host("hana").requests(for: "update") == 5)
        #expect(f.host("hana").currentFault.mode == .none)
    }

    @Test func truncateSendsHalfTheBodyThenCloses() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "truncate", "count": 1])
        // curl sees fewer bytes than Content-Length (CURLE_PARTIAL_FILE), which the transport
        // reports as a dropped connection.
        await #expect(throws: TransportError.connectionReset) { try await update(f) }
        #expect(try await update(f).body == Array(okBody.utf8))
    }

    @Test func truncateOnTheWire() throws {
        // The same fault seen as raw bytes: the head promises 69 bytes, 34 arrive, then EOF.
        let f = try SandboxFixture(["hana"])
        f.host("hana").setFault({ var p = FaultPlan(); p.mode = .truncate; return p }())
        let body = #"{"lead":{"id":"3ee8e2ea-d149-4e24-98f0-072900b0b9f3","baseName":"X"}}"#
        let request = "POST \(updatePath) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sandbox-key\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        let reply = try rawExchange(port: f.host("hana").address!.port, Array(request.utf8))
        let text = String(decoding: reply, as: UTF8.self)
        let parts = text.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
        #expect(parts.count == 2)
        #expect(text.hasPrefix("HTTP/1.1 200 "))
        #expect(parts[0].lowercased().contains("content-length: 69"))
        #expect(parts.count == 2 && parts[1] == okBody.prefix(34))
    }

    @Test func latencyDelaysTheAnswer() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "latency", "latency_ms": 150, "count": 1])
        let clock = ContinuousClock()
        var response: UpstreamResponse?
        let elapsed = try await clock.measure { response = try await update(f) }
        #expect(elapsed >= .milliseconds(150))
        #expect(response?.status == 200)
        #expect(response?.body == Array(okBody.utf8))
    }

    @Test func slowBodyTricklesTheCompleteBody() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "slow_body", "latency_ms": 150, "count": 1])
        let clock = ContinuousClock()
        var response: UpstreamResponse?
        let elapsed = try await clock.measure { response = try await update(f) }
        #expect(elapsed >= .milliseconds(150))
        #expect(response?.status == 200)
        #expect(response?.header("Content-Length") == "69")
        #expect(response?.body == Array(okBody.utf8))
        // The head went out at once; the body took the rest (10 pieces, 15 ms apart).
        let firstByte = try #require(response?.timings.firstByte)
        #expect(elapsed - firstByte >= .milliseconds(120))
    }

    // MARK: count, clearing, operation filter

    @Test func countTwoHitsExactlyTwoRequests() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "status", "status": 503, "count": 2])
        #expect(try await update(f).status == 503)
        #expect(try await update(f).status == 503)
        #expect(try await update(f).status == 200)
        #expect(try await update(f).status == 200)
        let plan = try f.json(try await f.call("hana", "GET", "/_sandbox/hana/faults"))
        #expect(plan["mode"] == "none")
    }

    @Test func countMinusOneLastsUntilCleared() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "status", "status": 502, "count": -1])
        for _ in 0..<4 { #expect(try await update(f).status == 502) }
        let plan = try f.json(try await f.call("hana", "GET", "/_sandbox/hana/faults"))
        #expect(plan == ["mode": "status", "status": 502, "latency_ms": 200, "count": -1, "operation": nil])
        let cleared = try await f.call("hana", "DELETE", "/_sandbox/hana/faults")
        #expect(cleared.status == 200)
        #expect(try f.json(cleared)["mode"] == "none")
        #expect(try await update(f).status == 200)
    }

    @Test func countDefaultsToUntilCleared() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "rate_limit"])
        for _ in 0..<3 { #expect(try await update(f).status == 429) }
        try await fault(f, ["mode": "none"])
        #expect(try await update(f).status == 200)
    }

    @Test func operationFilterHitsOnlyThatOperation() async throws {
        let f = try SandboxFixture(["hana"])
        try await fault(f, ["mode": "status", "status": 500, "operation": "update"])
        let other = try await f.call("hana", "GET", "/external-api/v1.0/leads", headers: bearer)
        #expect(other.status == 404)
        #expect(try f.json(other) == ["statusCode": 404, "message": "Not found", "error": "Not Found"])
        #expect(try await update(f).status == 500)

        try await fault(f, ["mode": "status", "status": 503, "operation": "unknown", "count": 1])
        #expect(try await update(f).status == 200)
        #expect(try await f.call("hana", "GET", "/nope").status == 503)
        #expect(try await f.call("hana", "GET", "/nope").status == 404)
    }

    @Test(arguments: [
        (["mode": "explode"] as JSON, ["mode"]),
        ([:] as JSON, ["mode"]),
        (["status": 503] as JSON, ["mode"]),
        (["mode": "status", "status": 200] as JSON, ["status"]),
        (["mode": "status", "status": "503"] as JSON, ["status"]),
        (["mode": "latency", "latency_ms": -1] as JSON, ["latency_ms"]),
        (["mode": "latency", "latency_ms": 600_001] as JSON, ["latency_ms"]),
        (["mode": "reset", "count": -2] as JSON, ["count"]),
        (["mode": "reset", "count": 1.5] as JSON, ["count"]),
        (["mode": "reset", "operation": "persons.list"] as JSON, ["operation"]),
        (["mode": "reset", "operation": 3] as JSON, ["operation"]),
        (["mode": "reset", "colour": "red"] as JSON, ["colour"]),
        (["mode": 1, "count": "x"] as JSON, ["mode", "count"]),
        ([1, 2] as JSON, [""]),
    ])
    func invalidPlanIs422NamingTheField(_ plan: JSON, _ fields: [String]) async throws {
        let f = try SandboxFixture(["hana"])
        let r = try await f.setFault("hana", plan)
        #expect(r.status == 422)
        #expect(r.header("Content-Type") == "application/problem+json")
        let body = try f.json(r)
        #expect(body["status"] == 422)
        #expect(body["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } == fields)
        // A rejected plan leaves the current one alone.
        #expect(try await update(f).status == 200)
    }

    @Test func nonJSONPlanIs400() async throws {
        let f = try SandboxFixture(["hana"])
        let r = try await f.call("hana", "PUT", "/_sandbox/hana/faults", body: Array("mode=reset".utf8))
        #expect(r.status == 400)
        #expect(try f.json(r)["status"] == 400)
    }

    // MARK: counters

    @Test func countersAreExactAndFaultedCallsCount() async throws {
        let f = try SandboxFixture(["hana"])
        #expect(try await update(f).status == 200)
        try await fault(f, ["mode": "status", "status": 503, "count": 1])
        #expect(try await update(f).status == 503)
        // (truncate, not reset: curl re-sends a request whose pooled connection is reset.)
        try await fault(f, ["mode": "truncate", "count": 1])
        await #expect(throws: TransportError.connectionReset) { try await update(f) }
        #expect(try await update(f).status == 200)
        #expect(try await f.call("hana", "GET", "/nope").status == 404)
        #expect(try await f.call("hana", "GET", updatePath, headers: bearer).status == 405)
        _ = try await f.call("hana", "GET", "/_sandbox/hana/faults")
        _ = try await f.call("hana", "POST", "/_sandbox/hana/deliver", json: ["event": "lead.created", "target_url": "http://127.0.0.1:9/x"])

        let s = try await f.stats("hana")
        #expect(s["requests_total"] == 6)
        #expect(s["by_operation"] == ["update": 4, "unknown": 2])
        #expect(f.host("hana").requests(for: "update") == 4)
        // Reading the stats did not count either.
        #expect(try await f.stats("hana")["requests_total"] == 6)
    }

    @Test func resetZeroesCountersClearsFaultsAndRestoresState() async throws {
        let receiver = try RecordingReceiver()
        var options = SandboxOptions()
        options.hanaWebhookURL = receiver.url("/webhooks/hana/{event}")
        let f = try SandboxFixture(["hana"], options: options)
        #expect(try await update(f, name: "Changed").status == 200)
        #expect(await receiver.waitFor(count: 1).count == 1)
        #expect(try await currentName(f, receiver) == "Changed")
        try await fault(f, ["mode": "status", "status": 503])

        let r = try await f.call("hana", "POST", "/_sandbox/hana/reset")
        #expect(r.status == 200)
        #expect(try f.json(r) == ["status": "reset"])
        let s = try await f.stats("hana")
        #expect(s["requests_total"] == 0)
        #expect(s["by_operation"] == .object(JSONObject()))
        #expect(s["fault"]?["mode"] == "none")
        #expect(s["webhooks"] == [])
        #expect(try await currentName(f, receiver) == "Nguyễn Thị Thu Hương")
        #expect(try await f.stats("hana")["requests_total"] == 0)
    }
}

// MARK: raw socket helper

#if canImport(Glibc)
import Glibc
#endif

/// Writes `request` to 127.0.0.1:`port` and reads until the server closes (blocking, 5 s cap).
private func rawExchange(port: Int, _ request: [UInt8]) throws -> [UInt8] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RawSocketError.failed("socket") }
    defer { close(fd) }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { throw RawSocketError.failed("connect") }
    var sent = 0
    while sent < request.count {
        let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { throw RawSocketError.failed("send") }
        sent += n
    }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        out += buf[..<n]
    }
    return out
}

private enum RawSocketError: Error { case failed(String) }
