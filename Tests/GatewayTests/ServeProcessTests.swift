#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// The built `crm-gateway` binary, started as a user would start it.
@Suite("crm-gateway as a process", .serialized)
struct ServeProcessTests {
    /// Beside the test bundle in the same build folder (whatever --scratch-path was).
    static let binary: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("crm-gateway")
    }()

    /// Starts `serve --port 0` (optionally under prlimit) and reads the start-up line's port.
    final class Running {
        let process = Process()
        let stdout = Pipe()
        let stderr = Pipe()
        var port = 0
        var firstLine = ""

        init(extraArgs: [String] = [], fileLimit: Int? = nil) throws {
            var args = ["serve", "--port", "0"] + extraArgs
            if let fileLimit {
                process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
                args = ["--nofile=\(fileLimit):\(fileLimit)", "--", ServeProcessTests.binary.path] + args
            } else {
                process.executableURL = ServeProcessTests.binary
            }
            process.arguments = args
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            let line = try readLine(stdout.fileHandleForReading, timeout: 10)
            firstLine = line
            guard let r = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                  let p = Int(line[r].split(separator: ":").last!) else {
                throw TestFailure("no listening line: \(line)")
            }
            port = p
        }

        func stop() {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }

        var stderrText: String {
            String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self)
        }
    }

    @Test func versionAndHelp() throws {
        let v = try run(["--version"])
        #expect(v.status == 0)
        #expect(v.out.trimmingCharacters(in: .whitespacesAndNewlines).range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression) != nil)
        let h = try run(["serve", "--help"])
        #expect(h.status == 0)
        #expect(h.out.contains("--port"))
        let bad = try run(["serve", "--port", "70000"])
        #expect(bad.status != 0)
    }

    @Test func startsAnswersHealthzAndExitsZeroOnSIGTERM() throws {
        let gw = try Running()
        defer { gw.stop() }
        let (status, body) = try httpGet(port: gw.port, path: "/healthz")
        #expect(status == 200)
        #expect(body == #"{"status":"ok"}"#)
        kill(gw.process.processIdentifier, SIGTERM)
        gw.process.waitUntilExit()
        #expect(gw.process.terminationReason == .exit)
        #expect(gw.process.terminationStatus == 0)
    }

    @Test func sandboxModeListsItsEmulatorsAndServesTheirAdminSurface() throws {
        let gw = try Running(extraArgs: ["--sandbox"])
        defer { gw.stop() }
        let names = ["hotprofile", "pipedrive", "textrequest", "hana"]
        for n in names { #expect(gw.firstLine.contains("\(n) http://127.0.0.1:")) }
        let (status, body) = try httpGet(port: gw.port, path: "/_sandbox")
        #expect(status == 200)
        let listed = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let emulators = listed?["emulators"] as? [[String: Any]] ?? []
        #expect(emulators.compactMap { $0["name"] as? String } == names)
        // Each emulator answers on its own port, and the gateway's admin path reaches it.
        for e in emulators {
            let name = e["name"] as? String ?? ""
            let url = URL(string: e["base_url"] as? String ?? "")
            let port = url?.port ?? 0
            let (s1, b1) = try httpGet(port: port, path: "/_sandbox/\(name)/stats")
            #expect(s1 == 200)
            #expect(b1.hasPrefix(#"{"requests_total":0,"by_operation":{}"#))
            let (s2, b2) = try httpGet(port: gw.port, path: "/_sandbox/\(name)/stats")
            #expect(s2 == 200)
            #expect(b2 == b1)
        }
        kill(gw.process.processIdentifier, SIGTERM)
        gw.process.waitUntilExit()
        #expect(gw.process.terminationStatus == 0)
    }

    @Test func emulateAllPrintsOneAddressPerEmulator() throws {
        let p = Process()
        let out = Pipe()
        p.executableURL = ServeProcessTests.binary
        p.arguments = ["emulate", "all", "--port", "0"]
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        defer { if p.isRunning { p.terminate() }; p.waitUntilExit() }
        var lines: [String] = []
        for _ in 0..<4 { lines.append(try readLine(out.fileHandleForReading, timeout: 10)) }
        #expect(lines.map { String($0.split(separator: " ").first ?? "") } == ["hotprofile", "pipedrive", "textrequest", "hana"])
        for line in lines {
            let url = URL(string: String(line.split(separator: " ").last ?? ""))
            let name = String(line.split(separator: " ").first ?? "")
            let (s, _) = try httpGet(port: url?.port ?? 0, path: "/_sandbox/\(name)/stats")
            #expect(s == 200)
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let bad = try run(["emulate", "nosuch"])
        #expect(bad.status != 0)
    }

    @Test func outOfDescriptorsPausesAcceptingInsteadOfCrashing() throws {
        let gw = try Running(extraArgs: ["--loops", "1"], fileLimit: 48)
        defer { gw.stop() }
        // Far more connections than descriptors left: accept hits EMFILE.
        var fds: [CInt] = []
        for _ in 0..<120 {
            if let fd = try? connectTCP(port: gw.port) { fds.append(fd) }
        }
        usleep(300_000)
        #expect(gw.process.isRunning)
        for fd in fds { close(fd) }
        usleep(300_000)
        let (status, _) = try httpGet(port: gw.port, path: "/healthz")
        #expect(status == 200)
        #expect(gw.process.isRunning)
        gw.stop()
        #expect(gw.stderrText.contains("pausing accept"))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func run(_ args: [String]) throws -> (status: Int32, out: String) {
    let p = Process()
    p.executableURL = ServeProcessTests.binary
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func readLine(_ h: FileHandle, timeout: Double) throws -> String {
    var acc = Data()
    let deadline = Date().addingTimeInterval(timeout)
    let fd = h.fileDescriptor
    while Date() < deadline {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&pfd, 1, 100) > 0 {
            var b = [UInt8](repeating: 0, count: 1)
            let n = read(fd, &b, 1)
            if n <= 0 { break }
            if b[0] == 10 { return String(decoding: acc, as: UTF8.self) }
            acc.append(b[0])
        }
    }
    throw TestFailure("no line within \(timeout)s: \(String(decoding: acc, as: UTF8.self))")
}

func connectTCP(port: Int) throws -> CInt {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr)
    let rc = withUnsafePointer(to: &sa) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 { close(fd); throw TestFailure("connect failed: \(errno)") }
    return fd
}

/// Sends raw request bytes (which should ask for `Connection: close`) and reads to the end.
func rawExchange(port: Int, _ request: String) throws -> String {
    let fd = try connectTCP(port: port)
    defer { close(fd) }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    let req = Array(request.utf8)
    _ = req.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var all: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        all += buf[0..<n]
    }
    return String(decoding: all, as: UTF8.self)
}

/// One GET with `Connection: close`, read to the end.
func httpGet(port: Int, path: String) throws -> (Int, String) {
    let text = try rawExchange(port: port, "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    guard let sp = text.split(separator: " ").dropFirst().first, let status = Int(sp) else {
        throw TestFailure("bad response: \(text)")
    }
    let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    return (status, body)
}
