internal import CShims
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

public struct CurlTransportConfiguration: Sendable {
    /// http:// is refused unless this is true *and* the host is 127.0.0.0/8, ::1 or
    /// localhost (test servers, sidecars). https:// is always allowed.
    public var allowPlainHTTPToLoopback: Bool
    public var maxConnectionsPerHost: Int
    /// Idle connections kept for reuse (CURLMOPT_MAXCONNECTS).
    public var maxPooledConnections: Int
    /// CA bundle to verify servers against, instead of the system's.
    public var caInfoPath: String?

    public init(
        allowPlainHTTPToLoopback: Bool = false,
        maxConnectionsPerHost: Int = 16,
        maxPooledConnections: Int = 64,
        caInfoPath: String? = nil
    ) {
        self.allowPlainHTTPToLoopback = allowPlainHTTPToLoopback
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxPooledConnections = maxPooledConnections
        self.caInfoPath = caInfoPath
    }
}

public struct CurlTransportStats: Sendable, Equatable {
    public var activeTransfers: Int
    /// New connections opened (sum of CURLINFO_NUM_CONNECTS over finished transfers).
    public var connectionsOpened: Int
    public var completedTransfers: Int
}

/// The upstream transport: libcurl's multi interface on one `EventLoop`. Every curl call
/// happens on that loop's thread; the async `send` may be called from anywhere.
public final class CurlTransport: UpstreamTransport, @unchecked Sendable {
    public let loop: EventLoop
    public let configuration: CurlTransportConfiguration
    /// Transfers in flight are its easy handles' (`CurlEasyHandle.transfer`).
    private var multi: CurlMulti?
    /// Finished easy handles kept for reuse (curl_easy_init allocates several buffers).
    private var spareHandles: [CurlEasyHandle] = []
    private static let maxSpareHandles = 64
    private let nextID = Atomic<UInt64>(1)
    private let counters = Mutex(CurlTransportStats(activeTransfers: 0, connectionsOpened: 0, completedTransfers: 0))

    public init(loop: EventLoop, configuration: CurlTransportConfiguration = CurlTransportConfiguration()) throws(TransportError) {
        self.loop = loop
        self.configuration = configuration
        let m = try CurlMulti(
            loop: loop,
            maxConnectionsPerHost: max(1, configuration.maxConnectionsPerHost),
            maxPooledConnections: max(1, configuration.maxPooledConnections)
        )
        multi = m
        m.onFinished = { [unowned self] done in self.finished(done) }
    }

    deinit {
        // Dropped without shutdown(): nothing would ever complete these otherwise.
        for t in detachAll() { t.complete(.failure(.cancelled)) }
    }

    public var stats: CurlTransportStats { counters.withLock { $0 } }

    /// Sockets curl currently asks the loop to watch (idle pooled ones are not). Loop thread.
    var watchedSockets: Int { multi?.watchedSockets ?? 0 }
    /// Sockets registered with the loop for curl, parked ones included. Loop thread.
    var registeredSockets: [CInt] { multi?.registeredSockets ?? [] }
    /// Connection sockets curl opened (through the multi's callback) and has not closed. Loop thread.
    var openSockets: Set<CInt> { multi?.openSockets ?? [] }

    // MARK: sending

    /// Loop thread only. `completion` runs on the loop thread, never before this returns.
    public func send(_ request: UpstreamRequest, completion: @escaping (Result<UpstreamResponse, TransportError>) -> Void) {
        let transfer = CurlTransfer(id: nextID.add(1, ordering: .relaxed).oldValue)
        transfer.completion = completion
        start(request, transfer)
    }

    /// Any context. Hops to the loop; the result comes back from the loop thread.
    /// Cancelling the calling task aborts the transfer with `.cancelled`.
    public func send(_ request: UpstreamRequest) async throws(TransportError) -> UpstreamResponse {
        // One object per call: the cancellation flag, the completion, and (on the loop) the
        // transfer's state.
        let transfer = CurlTransfer(id: nextID.add(1, ordering: .relaxed).oldValue)
        let result = await withTaskCancellationHandler {
            // Resumed exactly once: `start` completes every transfer once, by the result or
            // by `.cancelled`, and `completion` never runs before `start` returns.
            await withUnsafeContinuation { (cont: UnsafeContinuation<Result<UpstreamResponse, TransportError>, Never>) in
                transfer.continuation = cont
                if loop.inEventLoop {
                    // Already on the loop (a handler task runs on it): no hop.
                    self.start(request, transfer)
                } else {
                    loop.execute { self.start(request, transfer) }
                }
            }
        } onCancel: {
            transfer.cancel()
            loop.execute { self.cancel(transfer) }
        }
        return try result.get()
    }

    /// Cancels every transfer in flight (each completes with `.cancelled`), closes pooled
    /// connections and frees the multi handle; later sends fail with `.cancelled`. Loop thread.
    public func shutdown() {
        assertOnLoop()
        guard let m = multi else { return }
        let pending = detachAll()
        multi = nil
        m.close()
        spareHandles.removeAll()
        counters.withLock { $0.activeTransfers = 0 }
        for t in pending { t.complete(.failure(.cancelled)) }
    }

    /// The transfers in flight, in the order they started, each let go of by its handle.
    private func detachAll() -> [CurlTransfer] {
        let pending = (multi?.handles ?? []).compactMap { easy -> CurlTransfer? in
            defer { easy.transfer = nil }
            return easy.transfer
        }
        for t in pending { t.easy = nil }
        return pending.sorted { $0.id < $1.id }
    }

    private func start(_ request: UpstreamRequest, _ transfer: CurlTransfer) {
        assertOnLoop()
        do throws(TransportError) {
            guard let multi, !transfer.isCancelled else { throw .cancelled }
            let target = try vet(request)
            let easy: CurlEasyHandle
            let plainGet = request.method == "GET" && request.body.isEmpty
            var keepsOptions = false
            if let spare = spareHandles.popLast() {
                // A handle whose last transfer was a plain GET that succeeded holds exactly the
                // options another plain GET needs but for the per-request ones, which
                // `configure` sets again: no curl_easy_reset, no setting the rest anew.
                keepsOptions = plainGet && spare.reusableAsIs
                if keepsOptions {
                    spare.prepareForPlainReuse(maxBodyBytes: max(0, request.maxResponseBytes))
                } else {
                    try spare.prepareForReuse(maxBodyBytes: max(0, request.maxResponseBytes))
                }
                easy = spare
            } else {
                easy = try CurlEasyHandle(maxBodyBytes: max(0, request.maxResponseBytes))
            }
            easy.reusableAsIs = false
            try configure(easy, for: request, target: target, keepsOptions: keepsOptions)
            easy.lastWasPlainGet = plainGet
            try multi.add(easy)
            transfer.url = target.url
            transfer.scheme = target.scheme
            transfer.timeouts = request.timeouts
            transfer.maxResponseBytes = request.maxResponseBytes
            // Until it completes: the handle holds the transfer, the transfer its handle.
            transfer.easy = easy
            easy.transfer = transfer
            counters.withLock { $0.activeTransfers += 1 }
        } catch {
            loop.executeLocal { transfer.complete(.failure(error)) }
        }
    }

    private func cancel(_ transfer: CurlTransfer) {
        guard let easy = transfer.easy, easy.transfer === transfer else { return }
        easy.transfer = nil
        transfer.easy = nil
        multi?.remove(easy)
        counters.withLock { $0.activeTransfers -= 1 }
        transfer.complete(.failure(.cancelled))
    }

    /// Every transfer of a batch has its result (and is out of the multi, and of the
    /// counters) before any completion runs, so a completion that calls `shutdown()` cannot
    /// turn a finished sibling into a cancelled one.
    private func finished(_ done: [(CurlEasyHandle, CURLcode)]) {
        for (easy, code) in done {
            guard let t = easy.transfer else { continue }
            t.easy = nil
            let opened = easy.long(CURLINFO_NUM_CONNECTS)
            counters.withLock {
                $0.activeTransfers -= 1
                $0.completedTransfers += 1
                $0.connectionsOpened += opened
            }
            easy.reusableAsIs = code == CURLE_OK && easy.lastWasPlainGet
            t.result = code == CURLE_OK
                ? .success(response(from: easy, reusedConnection: opened == 0))
                : .failure(error(for: code, easy: easy, transfer: t))
        }
        for (easy, _) in done {
            // Moved out, not copied (a copy retains every part of the response, and
            // clearing the stored one releases them again).
            guard let t = easy.transfer, let result = t.result.take() else { continue }
            easy.transfer = nil
            // A finished handle is out of the multi and holds nothing the result still needs.
            if spareHandles.count < Self.maxSpareHandles { spareHandles.append(easy) }
            t.complete(result)
        }
    }

    private func assertOnLoop() {
        precondition(loop.inEventLoop || !loop.isRunning, "CurlTransport used off its event loop")
    }

    // MARK: request → easy handle

    /// Refuses what must never reach the network, before a handle exists.
    private func vet(_ request: UpstreamRequest) throws(TransportError) -> UpstreamTarget {
        try request.validateMethod()
        try request.validateHeaders()
        for origin in vettedOrigins where origin.extends(request.url) {
            return UpstreamTarget(url: request.url, scheme: origin.scheme, origin: origin, parsed: nil)
        }
        let vetted = try VettedURL(request.url, allowPlainHTTPToLoopback: configuration.allowPlainHTTPToLoopback)
        if vettedOrigins.count < 16, let prefix = CurlURLOrigin.prefix(of: request.url),
           let origin = CurlURLOrigin(prefix: prefix, scheme: vetted.scheme) {
            vettedOrigins.append(origin)
        }
        return UpstreamTarget(url: request.url, scheme: vetted.scheme, origin: nil, parsed: vetted)
    }

    /// `scheme://authority/` of URLs that passed the full check (every upstream's base URL,
    /// in practice), each with curl's parse of it: another URL that starts with one of them
    /// and has only plain characters after it has the same scheme, host and port, so it
    /// skips the parse (and curl gets the origin's parsed URL with the path and query set).
    /// Loop thread only, like everything here.
    private var vettedOrigins: [CurlURLOrigin] = []
    private var dnsPrune = DNSPruneSchedule()
    /// Transfers that carried the DNS cache's lifetime (one per second with transfers; tests).
    private(set) var dnsPruningTransfers = 0
    /// URLs given to curl as a vetted origin's parsed URL with the path and query set (tests).
    private(set) var urlsFromOrigins = 0
    /// Of those, URLs the handle held already from its last transfer (tests).
    private(set) var urlsKept = 0

    /// `keepsOptions`: the handle still holds every option a plain GET sets here from its
    /// last transfer (also a plain GET); only those that vary by request are set.
    private func configure(_ easy: CurlEasyHandle, for request: UpstreamRequest, target: UpstreamTarget,
                           keepsOptions: Bool = false) throws(TransportError) {
        if let parsed = target.parsed?.takeHandle() {
            try easy.setURL(parsed, string: target.url)
        } else if let origin = target.origin, try easy.setURL(under: origin, string: target.url) {
            urlsFromOrigins &+= 1
            if easy.urlKept { urlsKept &+= 1 }
        } else {
            try easy.setURLString(target.url)
        }
        if !keepsOptions {
            try easy.set(CURLOPT_NOSIGNAL, 1)
            // Environment proxies (https_proxy, ALL_PROXY) would silently reroute upstream traffic.
            try easy.set(CURLOPT_PROXY, "")
            try easy.set(CURLOPT_FOLLOWLOCATION, 0)
            try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
            try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
            if let ca = configuration.caInfoPath { try easy.set(CURLOPT_CAINFO, ca) }
            try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
            // A build without HTTP/2 refuses this; HTTP/1.1 is then the only choice anyway.
            try? easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
            // No proxy is used (above), so no host is exempt from one either: said here, curl
            // does not read no_proxy/NO_PROXY from the environment for every transfer.
            try easy.set(CURLOPT_NOPROXY, "")
            try multi?.adopt(easy)
        }
        // The per-request options below are set unless the handle kept them, at the same
        // values, from its last transfer.
        if !keepsOptions || easy.optionScheme != target.scheme {
            try easy.set(CURLOPT_PROTOCOLS_STR, target.scheme)
            // Wait for a connection that may multiplex rather than open another one.
            if target.scheme == "https" { try easy.set(CURLOPT_PIPEWAIT, 1) } else if keepsOptions { try easy.set(CURLOPT_PIPEWAIT, 0) }
            easy.optionScheme = target.scheme
        }
        let t = request.timeouts
        if !keepsOptions || easy.optionTimeouts != t {
            try easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(t.connect))
            try easy.set(CURLOPT_TIMEOUT_MS, milliseconds(t.total))
            try easy.set(CURLOPT_LOW_SPEED_LIMIT, max(0, t.lowSpeedLimit))
            try easy.set(CURLOPT_LOW_SPEED_TIME, max(1, (milliseconds(t.lowSpeedTime) + 999) / 1000))
            easy.optionTimeouts = t
        }
        let dnsTimeout = dnsPrune.timeout(atSecond: loop.now().nanoseconds / 1_000_000_000)
        if dnsTimeout >= 0 { dnsPruningTransfers &+= 1 }
        if easy.optionDNSCacheTimeout != dnsTimeout {
            try easy.set(CURLOPT_DNS_CACHE_TIMEOUT, dnsTimeout)
            easy.optionDNSCacheTimeout = dnsTimeout
        }
        let maxFileSize = max(0, request.maxResponseBytes)
        if !keepsOptions || easy.optionMaxFileSize != maxFileSize {
            // A hint: with a larger Content-Length curl fails before reading the body.
            try easy.set(CURLOPT_MAXFILESIZE_LARGE, offT: Int64(maxFileSize))
            easy.optionMaxFileSize = maxFileSize
        }

        var lines = request.headers.map { $0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)" }
        switch request.method {
        case "GET" where request.body.isEmpty:
            // A handle that kept its options was set for a plain GET already.
            if !keepsOptions { try easy.set(CURLOPT_HTTPGET, 1) }
        case "HEAD":
            try easy.set(CURLOPT_NOBODY, 1)
        default:
            if request.method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, request.method) }
            if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
                // curl silently sends a request again when a reused connection turns out to be
                // dead before any answer byte. Fine for a read; a write not marked retryable
                // gets a body curl cannot rewind, so that becomes an error instead.
                if request.hints.retryable { try easy.setBody(request.body) } else { try easy.setOneShotBody(request.body) }
                // One round trip, not two: no "Expect: 100-continue" wait before the body.
                if !request.hasHeader("expect") { lines.append("Expect:") }
                // curl would otherwise label every body application/x-www-form-urlencoded.
                if !request.hasHeader("content-type") { lines.append("Content-Type:") }
            }
        }
        try easy.setHeaderLines(lines)
    }

    // MARK: easy handle → response or error

    private func response(from easy: CurlEasyHandle, reusedConnection: Bool) -> UpstreamResponse {
        let version: String
        switch easy.long(CURLINFO_HTTP_VERSION) {
        case Int(CURL_HTTP_VERSION_1_0): version = "1.0"
        case Int(CURL_HTTP_VERSION_2_0): version = "2"
        case Int(CURL_HTTP_VERSION_3): version = "3"
        default: version = "1.1"
        }
        return UpstreamResponse(
            status: easy.long(CURLINFO_RESPONSE_CODE),
            headers: easy.responseHeaders,
            body: easy.body,
            httpVersion: version,
            timings: UpstreamTimings(
                nameLookup: easy.duration(CURLINFO_NAMELOOKUP_TIME_T),
                connect: easy.duration(CURLINFO_CONNECT_TIME_T),
                tls: easy.duration(CURLINFO_APPCONNECT_TIME_T),
                firstByte: easy.duration(CURLINFO_STARTTRANSFER_TIME_T),
                total: easy.duration(CURLINFO_TOTAL_TIME_T),
                reusedConnection: reusedConnection
            )
        )
    }

    private func error(for code: CURLcode, easy: CurlEasyHandle, transfer t: CurlTransfer) -> TransportError {
        let message = VettedURL.scrub(easy.errorMessage.isEmpty ? String(cString: curl_easy_strerror(code)) : easy.errorMessage, url: t.url)
        switch code {
        case CURLE_WRITE_ERROR where easy.exceededBodyLimit, CURLE_FILESIZE_EXCEEDED:
            return .responseTooLarge(limit: t.maxResponseBytes)
        case CURLE_OPERATION_TIMEDOUT:
            return timeoutKind(easy: easy, transfer: t)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectFailed(message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED,
             CURLE_SSL_CLIENTCERT, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_USE_SSL_FAILED:
            return .tls(message)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_SEND_FAIL_REWIND:
            return .connectionReset
        case CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_HTTP3, CURLE_WEIRD_SERVER_REPLY,
             CURLE_BAD_CONTENT_ENCODING, CURLE_RANGE_ERROR:
            return .protocolError(message)
        case CURLE_TOO_MANY_REDIRECTS:
            return .redirectRefused
        case CURLE_UNSUPPORTED_PROTOCOL:
            return .schemeNotAllowed(t.scheme)
        case CURLE_URL_MALFORMAT:
            return .invalidURL(message)
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled
        default:
            return .other(code: Int(code.rawValue), message: message)
        }
    }

    /// curl reports connect, total and low-speed timeouts all as CURLE_OPERATION_TIMEDOUT.
    /// Low speed has its own message. Otherwise the question is whether the connect phase
    /// (TCP and TLS) was over: the pre-transfer time is only set once it is, on a fresh
    /// connection or a pooled one. (NUM_CONNECTS cannot tell: it is 0 both for a reused
    /// connection and for one that never completed.) If it was not, the earlier of the
    /// connect and total deadlines fired, both being counted from the start of the transfer.
    private func timeoutKind(easy: CurlEasyHandle, transfer t: CurlTransfer) -> TransportError {
        if easy.errorMessage.contains("too slow") { return .lowSpeedTimeout }
        let connected = easy.duration(CURLINFO_PRETRANSFER_TIME_T) > .zero
        if !connected && t.timeouts.connect < t.timeouts.total { return .connectTimeout }
        return .timeout
    }
}

/// Whole milliseconds, rounded up, at least 1 (curl reads 0 as "no timeout").
private func milliseconds(_ d: Duration) -> Int {
    let ns = d.nanoseconds
    return Int(max(1, (ns + 999_999) / 1_000_000))
}

/// One call to `send`: whether its task was cancelled (any thread), its completion, and,
/// on the loop, what the transfer's result and errors are made from.
final class CurlTransfer: @unchecked Sendable {
    let id: UInt64
    private let cancelled = Atomic<Bool>(false)
    /// One of the two is set before `start` (which runs on the loop, or is handed to it);
    /// the transfer's one result goes to it. (The async `send` resumes its continuation
    /// directly: no closure to allocate around it.)
    var completion: ((Result<UpstreamResponse, TransportError>) -> Void)?
    var continuation: UnsafeContinuation<Result<UpstreamResponse, TransportError>, Never>?
    // Loop thread only, from `start` on.
    var easy: CurlEasyHandle?
    var url = ""
    var scheme = ""
    var timeouts = UpstreamTimeouts()
    var maxResponseBytes = 0
    /// Between the two passes over a finished batch (`CurlTransport.finished`).
    var result: Result<UpstreamResponse, TransportError>?

    init(id: UInt64) { self.id = id }

    func cancel() { cancelled.store(true, ordering: .releasing) }
    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// `consuming`: the result moves on into the continuation or the completion, uncopied.
    func complete(_ result: consuming Result<UpstreamResponse, TransportError>) {
        if let cont = continuation {
            continuation = nil
            cont.resume(returning: result)
        } else if let c = completion {
            completion = nil
            c(result)
        }
    }
}

/// A request's URL once vetted: under a remembered origin (`origin`), or parsed in full
/// (`parsed`, whose CURLU goes to the easy handle).
private struct UpstreamTarget {
    let url: String
    let scheme: String
    let origin: CurlURLOrigin?
    let parsed: VettedURL?
}

/// A vetted origin, `http://host:port/` or `https://host:port/`, and curl's parse of it
/// (CURLU, which has no path or query). Loop thread only, like its transport.
final class CurlURLOrigin {
    let prefix: String
    let prefixLength: Int
    let scheme: String
    let parsed: OpaquePointer

    init?(prefix: String, scheme: String) {
        guard let h = curl_url() else { return nil }
        guard curl_url_set(h, CURLUPART_URL, prefix, UInt32(CURLU_NON_SUPPORT_SCHEME)) == CURLUE_OK else {
            curl_url_cleanup(h)
            return nil
        }
        self.prefix = prefix
        prefixLength = prefix.utf8.count
        self.scheme = scheme
        parsed = h
    }

    deinit { curl_url_cleanup(parsed) }

    /// `http://host:port/` or `https://host:port/` as `url` starts, when its authority is
    /// plain (letters, digits, `.-:[]`: no userinfo, no escapes) and ends with a slash.
    static func prefix(of url: String) -> String? {
        let u = Array(url.utf8)
        let schemeEnd: Int
        if u.starts(with: "http://".utf8) { schemeEnd = 7 } else if u.starts(with: "https://".utf8) { schemeEnd = 8 } else { return nil }
        var i = schemeEnd
        while i < u.count, u[i] != UInt8(ascii: "/") {
            let c = u[i]
            let plain = (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A)
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") || c == UInt8(ascii: ":")
                || c == UInt8(ascii: "[") || c == UInt8(ascii: "]")
            guard plain else { return nil }
            i += 1
        }
        guard i > schemeEnd, i < u.count else { return nil }
        return String(decoding: u[...i], as: UTF8.self)
    }

    /// Whether `url` is `prefix` followed by path and query characters only (RFC 3986
    /// unreserved, sub-delims, `:@/?%`): nothing after the prefix can change the authority.
    func extends(_ url: String) -> Bool {
        guard url.utf8.count >= prefixLength else { return false }
        let answer = url.utf8.withContiguousStorageIfAvailable { u in
            prefix.utf8.withContiguousStorageIfAvailable { p in
                memcmp(u.baseAddress!, p.baseAddress!, p.count) == 0 && Self.plainPathBytes(UnsafeBufferPointer(rebasing: u[p.count...]))
            }
        }
        return answer.flatMap { $0 } ?? false
    }

    private static func plainPathBytes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in bytes {
            switch c {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: continue
            case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
                 UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
                 UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
                 UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"),
                 UInt8(ascii: "%"):
                continue
            default:
                return false
            }
        }
        return true
    }
}

/// A URL parsed once by curl's own parser (CURLU), checked, and then handed to the easy
/// handle as that same parsed object, so the host that was vetted is the host contacted.
private final class VettedURL {
    // Defaults make the object whole before any throw, so deinit frees the CURLU.
    private(set) var scheme = ""
    private(set) var isTLS = false
    private var handle: OpaquePointer?

    init(_ url: String, allowPlainHTTPToLoopback: Bool) throws(TransportError) {
        guard let h = curl_url() else { throw .other(code: -1, message: "curl_url failed") }
        handle = h
        // NON_SUPPORT_SCHEME: parse any scheme, so the refusal below is ours and uniform.
        let rc = curl_url_set(h, CURLUPART_URL, url, UInt32(CURLU_NON_SUPPORT_SCHEME))
        guard rc == CURLUE_OK else { throw .invalidURL(String(cString: curl_url_strerror(rc))) }
        let scheme = (Self.part(h, CURLUPART_SCHEME) ?? "").lowercased()
        self.scheme = scheme
        isTLS = scheme == "https"
        guard scheme == "https" || scheme == "http" else { throw .schemeNotAllowed(scheme) }
        guard let host = Self.part(h, CURLUPART_HOST), !host.isEmpty else { throw .invalidURL("no host") }
        if scheme == "http" && !(allowPlainHTTPToLoopback && isLoopbackHost(host)) {
            throw .schemeNotAllowed(scheme)
        }
    }

    deinit { curl_url_cleanup(handle) }

    /// Hands the parsed URL over to its new owner (an easy handle); once only.
    func takeHandle() -> OpaquePointer? {
        defer { handle = nil }
        return handle
    }

    /// Query and userinfo of `url`: kept out of every error message (parsed again here: rare;
    /// reading them for every request cost three curl_url_get allocations).
    static func scrub(_ message: String, url: String) -> String {
        guard let h = curl_url() else { return message }
        defer { curl_url_cleanup(h) }
        guard curl_url_set(h, CURLUPART_URL, url, UInt32(CURLU_NON_SUPPORT_SCHEME)) == CURLUE_OK else { return message }
        let secrets = [Self.part(h, CURLUPART_QUERY), Self.part(h, CURLUPART_USER), Self.part(h, CURLUPART_PASSWORD)]
            .compactMap { $0 }.filter { !$0.isEmpty }
        var m = message
        for s in secrets where m.contains(s) { m = m.replacing(s, with: "…") }
        return m
    }

    private static func part(_ h: OpaquePointer, _ what: CURLUPart) -> String? {
        var out: UnsafeMutablePointer<CChar>? = nil
        guard curl_url_get(h, what, &out, 0) == CURLUE_OK, let out else { return nil }
        defer { curl_free(out) }
        return String(cString: out)
    }
}

/// 127.0.0.0/8, ::1 (bare or in URL brackets) and the name localhost (which curl resolves
/// to loopback itself). Literal addresses only: any other name could resolve anywhere.
/// The one loopback test: the transport's plain-http rule, the configuration's base URLs and
/// the listener's "keys required beyond loopback" rule all use it.
public func isLoopbackHost(_ host: String) -> Bool {
    let h = host.lowercased()
    if h == "localhost" { return true }
    if h.contains(":") {
        let bare = h.hasPrefix("[") && h.hasSuffix("]") ? String(h.dropFirst().dropLast()) : h
        var a6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &a6) == 1 else { return false }
        return withUnsafeBytes(of: &a6) { b in b.prefix(15).allSatisfy { $0 == 0 } && b[15] == 1 }
    }
    var a4 = in_addr()
    guard inet_pton(AF_INET, h, &a4) == 1 else { return false }
    return withUnsafeBytes(of: &a4) { $0[0] } == 127
}

/// curl walks its whole DNS cache at the end of every transfer to drop entries older than
/// the handle's CURLOPT_DNS_CACHE_TIMEOUT (~0.9k instructions per request with one host).
/// Once a second is enough: the first transfer of each second carries the 60 s lifetime (at
/// its end curl drops the stale entries, and its own lookup refuses a stale one); the others
/// carry -1 ("no expiry": no walk, no check). An entry is so used at most until the end of
/// the second in which it expires, about a second past 60 s, and only when it was made.
struct DNSPruneSchedule {
    static let lifetimeSeconds = 60
    private var lastSecond: UInt64 = .max

    /// The timeout to set on a transfer that starts in `second` (any monotonic count).
    mutating func timeout(atSecond second: UInt64) -> Int {
        if second == lastSecond { return -1 }
        lastSecond = second
        return Self.lifetimeSeconds
    }
}
