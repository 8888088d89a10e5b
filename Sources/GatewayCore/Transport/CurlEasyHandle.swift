internal import CShims
#if canImport(Glibc)
import Glibc
#endif

/// One curl easy handle and everything whose lifetime must match it: the header list,
/// the parsed URL, the error buffer (curl keeps pointers to all three), and the response
/// as it arrives. Freed in `deinit`; the multi must have let go of it by then.
final class CurlEasyHandle {
    let raw: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var url: OpaquePointer?
    /// The vetted origin `url` was copied from (`setURL(under:string:)`); nil for a URL
    /// parsed whole.
    private var urlOrigin: CurlURLOrigin?
    /// The URL string `setURL(under:string:)` last gave curl, while curl still holds it and
    /// `url` (with its path and query) as this handle's URL: nil once anything else is set
    /// or the handle is reset. (curl never changes either: it parses a copy of the CURLU.)
    private var urlUnderOrigin: String?
    /// The last `setURL(under:string:)` found that very URL set already and set nothing.
    private(set) var urlKept = false
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// The response as curl's callbacks deliver it. Behind a pointer the handle owns, not in
    /// a stored property: the callbacks run for every header line and body chunk, and each
    /// access to a class's stored property costs a dynamic exclusivity check.
    private let received: UnsafeMutablePointer<ReceivedResponse>

    var responseHeaders: HTTPHeaders { received.pointee.header.fields() }
    var body: [UInt8] { received.pointee.body }
    /// The write callback refused bytes past the size cap (curl then reports CURLE_WRITE_ERROR).
    var exceededBodyLimit: Bool { received.pointee.exceededBodyLimit }
    /// The transfer under way, from when it is added to the multi until it completes
    /// (`CurlTransport`; it holds this handle meanwhile).
    var transfer: CurlTransfer?
    /// The transfer under way (or last made) was a GET without a body (set by the transport).
    var lastWasPlainGet = false
    /// Options that vary by request, as last set on this handle (nil or -1: not set since
    /// the handle was made or reset), so a plain GET after a plain GET sets only those that
    /// differ (`CurlTransport.configure`).
    var optionScheme: String?
    var optionTimeouts: UpstreamTimeouts?
    var optionMaxFileSize = -1
    /// CURLOPT_DNS_CACHE_TIMEOUT as on the handle (curl's default, 60 s, when made or reset).
    var optionDNSCacheTimeout = 60
    /// Its last transfer was a plain GET that succeeded: the options on the handle are those
    /// of a plain GET, and another one may keep them (`prepareForPlainReuse`).
    var reusableAsIs = false

    init(maxBodyBytes: Int) throws(TransportError) {
        _ = CurlGlobal.initialized
        guard let h = curl_easy_init() else { throw .other(code: -1, message: "curl_easy_init failed") }
        raw = h
        received = .allocate(capacity: 1)
        received.initialize(to: ReceivedResponse(maxBodyBytes: maxBodyBytes))
        let size = Int(cshims_curl_error_size())
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
        // Fully initialised from here: a throw runs deinit, which frees all of it.
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try installCallbacks()
    }

    /// Makes a finished handle ready for another transfer. curl_easy_reset keeps the
    /// handle's buffers and DNS cache, so a reused handle skips curl_easy_init's allocations;
    /// it clears every option, so the error buffer and callbacks are set again.
    func prepareForReuse(maxBodyBytes: Int) throws(TransportError) {
        curl_easy_reset(raw)
        optionScheme = nil
        optionTimeouts = nil
        optionMaxFileSize = -1
        optionDNSCacheTimeout = 60
        upload = []
        uploadOffset = 0
        curl_slist_free_all(headerList)
        headerList = nil
        curl_url_cleanup(url)
        url = nil
        urlOrigin = nil
        urlUnderOrigin = nil
        received.pointee.startOver(maxBodyBytes: maxBodyBytes)
        errorBuffer[0] = 0
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try installCallbacks()
    }

    /// Makes a handle whose last transfer was a plain GET that succeeded ready for another
    /// one, options kept (curl reuses a handle's options by design; the callbacks and error
    /// buffer stay set). The caller sets URL, headers and the per-request options again.
    func prepareForPlainReuse(maxBodyBytes: Int) {
        received.pointee.startOver(maxBodyBytes: maxBodyBytes)
        errorBuffer[0] = 0
    }

    deinit {
        curl_easy_cleanup(raw)
        curl_slist_free_all(headerList)
        curl_url_cleanup(url)
        errorBuffer.deallocate()
        received.deinitialize(count: 1)
        received.deallocate()
    }

    // MARK: options

    func set(_ option: CURLoption, _ value: Int) throws(TransportError) {
        try check(cshims_curl_easy_setopt_long(raw, option, value))
    }

    /// curl copies string options (all but CURLOPT_POSTFIELDS, which is never used here).
    func set(_ option: CURLoption, _ value: String) throws(TransportError) {
        // withCString: no copy for a native string (the implicit conversion allocates one).
        try check(value.withCString { cshims_curl_easy_setopt_string(raw, option, $0) })
    }

    func set(_ option: CURLoption, offT value: Int64) throws(TransportError) {
        try check(cshims_curl_easy_setopt_off_t(raw, option, curl_off_t(value)))
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(TransportError) {
        try check(cshims_curl_easy_setopt_pointer(raw, option, pointer))
    }

    func set(_ option: CURLoption, openSocket: cshims_curl_opensocket_callback) throws(TransportError) {
        try check(cshims_curl_easy_setopt_opensocket_callback(raw, option, openSocket))
    }

    func set(_ option: CURLoption, closeSocket: cshims_curl_closesocket_callback) throws(TransportError) {
        try check(cshims_curl_easy_setopt_closesocket_callback(raw, option, closeSocket))
    }

    /// Takes ownership of a parsed URL; curl reads it (CURLOPT_CURLU) for the whole transfer,
    /// so the host that was vetted is the host that is contacted. `string` is the same URL as
    /// given: curl keeps it as the transfer's URL (CURLOPT_URL; with a CURLU set it is not
    /// parsed), so it need not print the parsed one back into a string for every transfer.
    func setURL(_ parsed: OpaquePointer, string: String) throws(TransportError) {
        let old = url
        url = parsed
        urlOrigin = nil
        urlUnderOrigin = nil
        try check(cshims_curl_easy_setopt_curlu(raw, CURLOPT_CURLU, parsed))
        curl_url_cleanup(old)
        try set(CURLOPT_URL, string)
    }

    /// A URL under a vetted origin: `string` is `origin.prefix` (which ends with a slash)
    /// followed by plain path and query characters (`CurlURLOrigin.extends`). The handle's
    /// own copy of the origin's parsed URL gets the path and query, so curl parses nothing:
    /// no curl_url_set of the whole URL, no curl_url_get printing it back.
    ///
    /// Returns false, having set nothing, when curl's parse of the whole URL could differ
    /// from the parts as given: a dot segment in the path (curl removes those), a
    /// percent-escape with upper-case hex (setting a part lower-cases those; the parse keeps
    /// them), an empty query after "?". The caller then sets the URL as a string.
    ///
    /// The same URL again, on a handle that was not reset since it was set the same way:
    /// curl holds it already (its parsed URL and string), so nothing is set at all.
    func setURL(under origin: CurlURLOrigin, string: String) throws(TransportError) -> Bool {
        if url != nil, urlOrigin === origin, let last = urlUnderOrigin, last == string {
            urlKept = true
            return true
        }
        urlKept = false
        urlUnderOrigin = nil
        let start = origin.prefixLength - 1  // the prefix's last byte: the path's leading slash
        // Where the path ends (at "?" or the end), or -1: set the URL as a string instead.
        let split = string.utf8.withContiguousStorageIfAvailable { u -> Int in
            var question: Int? = nil
            var i = start
            let n = u.count
            while i < n {
                let c = u[i]
                if c == UInt8(ascii: "?") {
                    if question == nil {
                        question = i
                        if i + 1 == n { return -1 }
                    }
                } else if c == UInt8(ascii: "%") {
                    if i + 2 < n, isUpperHexEscape(u[i + 1], u[i + 2]) { return -1 }
                } else if c == UInt8(ascii: "."), question == nil, u[i - 1] == UInt8(ascii: "/") {
                    return -1
                }
                i += 1
            }
            return question ?? n
        }
        guard let pathEnd = split, pathEnd >= 0 else { return false }

        if url == nil || urlOrigin !== origin {
            guard let copy = curl_url_dup(origin.parsed) else {
                throw .other(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_url_dup failed")
            }
            curl_url_cleanup(url)
            url = copy
            urlOrigin = origin
        }
        let h = url!
        var rc = CURLUE_OK
        string.withCString { s in
            let pathLength = pathEnd - start
            // The path as its own C string (curl copies it): on the stack for any usual length.
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: pathLength + 1) { path in
                path.baseAddress!.update(from: s + start, count: pathLength)
                path[pathLength] = 0
                rc = curl_url_set(h, CURLUPART_PATH, path.baseAddress, 0)
            }
            if rc == CURLUE_OK {
                rc = curl_url_set(h, CURLUPART_QUERY, pathEnd < string.utf8.count ? s + pathEnd + 1 : nil, 0)
            }
        }
        guard rc == CURLUE_OK else {
            // The copy may hold a part of this URL only: not to be reused.
            curl_url_cleanup(url)
            url = nil
            urlOrigin = nil
            _ = cshims_curl_easy_setopt_curlu(raw, CURLOPT_CURLU, nil)
            throw .invalidURL(String(cString: curl_url_strerror(rc)))
        }
        try check(cshims_curl_easy_setopt_curlu(raw, CURLOPT_CURLU, h))
        try set(CURLOPT_URL, string)
        urlUnderOrigin = string
        return true
    }

    /// A URL as a string, for curl to parse (a parsed one set before is dropped first: it
    /// would take precedence).
    func setURLString(_ value: String) throws(TransportError) {
        urlUnderOrigin = nil
        if let old = url {
            url = nil
            urlOrigin = nil
            try check(cshims_curl_easy_setopt_curlu(raw, CURLOPT_CURLU, nil))
            curl_url_cleanup(old)
        }
        try set(CURLOPT_URL, value)
    }

    /// Lines are "Name: value"; "Name:" removes a header curl would add, "Name;" sends it empty.
    func setHeaderLines(_ lines: [String]) throws(TransportError) {
        // None now and none set (a new or reset handle has none): nothing to change.
        if lines.isEmpty && headerList == nil { return }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in lines {
            guard let next = line.withCString({ curl_slist_append(list, $0) }) else {
                curl_slist_free_all(list)
                throw .other(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed")
            }
            list = next
        }
        curl_slist_free_all(headerList)
        headerList = list
        try check(cshims_curl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, list))
    }

    /// The body of a write sent through the read callback (see `setOneShotBody`).
    private var upload: [UInt8] = []
    private var uploadOffset = 0

    /// Sends `body` with a Content-Length through a read callback that cannot rewind. When
    /// curl finds a reused connection dead before any answer, it would send a request again
    /// on a new one; it must rewind the body to do so, cannot, and fails the transfer with
    /// CURLE_SEND_FAIL_REWIND instead. So a write is never sent twice behind our back.
    func setOneShotBody(_ body: [UInt8]) throws(TransportError) {
        upload = body
        uploadOffset = 0
        try set(CURLOPT_POST, 1)
        try set(CURLOPT_POSTFIELDSIZE_LARGE, offT: Int64(body.count))
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(cshims_curl_easy_setopt_data_callback(raw, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
            let handle = Unmanaged<CurlEasyHandle>.fromOpaque(userdata!).takeUnretainedValue()
            return handle.readUpload(into: buffer!, max: size * count)
        })
        try check(cshims_curl_easy_setopt_pointer(raw, CURLOPT_READDATA, me))
    }

    private func readUpload(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        let n = min(max, upload.count - uploadOffset)
        guard n > 0 else { return 0 }
        upload.withUnsafeBytes { src in
            UnsafeMutableRawPointer(buffer).copyMemory(from: src.baseAddress! + uploadOffset, byteCount: n)
        }
        uploadOffset += n
        return n
    }

    /// Sends `body` with a Content-Length; curl copies it (CURLOPT_COPYPOSTFIELDS).
    func setBody(_ body: [UInt8]) throws(TransportError) {
        try set(CURLOPT_POSTFIELDSIZE_LARGE, offT: Int64(body.count))
        // Never pass NULL: with no post data curl falls back to its default read callback, stdin.
        let bytes = body.isEmpty ? [0] : body
        var rc = CURLE_OK
        bytes.withUnsafeBufferPointer { buf in
            rc = cshims_curl_easy_setopt_pointer(raw, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buf.baseAddress))
        }
        try check(rc)
    }

    private func check(_ rc: CURLcode) throws(TransportError) {
        guard rc != CURLE_OK else { return }
        throw .other(code: Int(rc.rawValue), message: String(cString: curl_easy_strerror(rc)))
    }

    // MARK: info

    func long(_ info: CURLINFO) -> Int {
        var v = 0
        return cshims_curl_easy_getinfo_long(raw, info, &v) == CURLE_OK ? v : 0
    }

    /// A CURLINFO_*_TIME_T value (microseconds) as a Duration.
    func duration(_ info: CURLINFO) -> Duration {
        var v: curl_off_t = 0
        // Zero (no connect, no TLS on a pooled connection) without the 128-bit multiply.
        return cshims_curl_easy_getinfo_off_t(raw, info, &v) == CURLE_OK && v != 0 ? .microseconds(Int64(v)) : .zero
    }

    /// curl's own description of the last failure (may name host and port, never the path).
    var errorMessage: String { String(cString: errorBuffer) }

    // MARK: receiving

    /// The callbacks get the response being received itself (which the handle owns and frees
    /// only in deinit), not the handle: no class reference to load, retain and release for
    /// every header line and body chunk.
    private func installCallbacks() throws(TransportError) {
        let target = UnsafeMutableRawPointer(received)
        try check(cshims_curl_easy_setopt_data_callback(raw, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            userdata!.assumingMemoryBound(to: ReceivedResponse.self).pointee
                .receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
        })
        try check(cshims_curl_easy_setopt_pointer(raw, CURLOPT_WRITEDATA, target))
        try check(cshims_curl_easy_setopt_data_callback(raw, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
            userdata!.assumingMemoryBound(to: ReceivedResponse.self).pointee
                .receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        })
        try check(cshims_curl_easy_setopt_pointer(raw, CURLOPT_HEADERDATA, target))
    }

}

/// What curl's write and header callbacks deliver for one transfer of a handle.
private struct ReceivedResponse {
    var header = ResponseHeaderLines()
    var body: [UInt8] = []
    var exceededBodyLimit = false
    var maxBodyBytes: Int

    init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    mutating func startOver(maxBodyBytes: Int) {
        header.startOver()
        body = []
        exceededBodyLimit = false
        self.maxBodyBytes = maxBodyBytes
    }

    /// Returning fewer bytes than offered makes curl abort with CURLE_WRITE_ERROR.
    mutating func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Int {
        if body.count + chunk.count > maxBodyBytes {
            exceededBodyLimit = true
            return 0
        }
        body.append(contentsOf: chunk)
        return chunk.count
    }

    /// curl hands over one whole header line at a time, CRLF included, for every response
    /// it reads (1xx interim ones too).
    mutating func receiveHeaderLine(_ raw: UnsafeRawBufferPointer) {
        let length = header.receive(raw)
        // A Content-Length sizes the body buffer once.
        if length > 0, length <= maxBodyBytes, body.isEmpty { body.reserveCapacity(length) }
    }
}

/// The response's header fields as curl hands over their lines. Runs for every header line
/// of every upstream response, so it works on the raw bytes, and works in place on one array
/// of fields that outlives the transfer: a line equal to the one the field at its position
/// was made from (left there by the handle's last response: an upstream sends mostly the
/// same lines each time) leaves the field as it is: one length check and one memcmp, with no
/// parsing, decoding, allocation or write. Only a line that differs is parsed and written
/// over (copy on write, if the last response still holds the array).
private struct ResponseHeaderLines {
    /// The first `count` are this response's fields; any after them are left from an earlier
    /// response.
    private var lines: [HTTPHeaders.Element] = []
    private var count = 0
    /// For each of the first `slotCount` positions, the raw line (CRLF included) the field
    /// there was made from, in a slot of `slotBytes` bytes; its length, or -1 when the field
    /// was made otherwise (a longer line, a folded value) or is gone; and the Content-Length
    /// value the line gave (-1 for none).
    private var slots: [UInt8] = []
    private var slotLength: [Int] = []
    private var slotContentLength: [Int] = []
    private static let slotCount = 16
    private static let slotBytes = 128

    /// This response's fields (the array itself, cut to `count` if longer: no copy).
    mutating func fields() -> HTTPHeaders {
        if lines.count > count {
            for i in count..<min(lines.count, Self.slotCount) { slotLength[i] = -1 }
            lines.removeLast(lines.count - count)
        }
        var h = HTTPHeaders()
        h.fields = lines
        return h
    }

    /// Before a transfer: no fields yet; those left are kept to compare with.
    mutating func startOver() { count = 0 }

    /// A status line starts a fresh set of fields. Returns the value of a Content-Length
    /// line (digits only), else -1.
    mutating func receive(_ raw: UnsafeRawBufferPointer) -> Int {
        let index = count
        // The line its field at this position was made from: nothing to do.
        if index < slotLength.count, raw.count == slotLength[index], index < lines.count {
            let same = slots.withUnsafeBytes { memcmp($0.baseAddress! + index * Self.slotBytes, raw.baseAddress!, raw.count) == 0 }
            if same {
                count = index + 1
                return slotContentLength[index]
            }
        }
        var end = raw.count
        while end > 0, raw[end - 1] == 0x0A || raw[end - 1] == 0x0D { end -= 1 }
        guard end > 0 else { return -1 }
        let first = raw[0]
        if end >= 5, first == UInt8(ascii: "H"), raw[1] == UInt8(ascii: "T"), raw[2] == UInt8(ascii: "T"),
           raw[3] == UInt8(ascii: "P"), raw[4] == UInt8(ascii: "/") {
            count = 0
            return -1
        }
        if first == 0x20 || first == 0x09 {
            // obs-fold (RFC 9112 §5.2): a continuation of the previous value, which is then
            // no longer what its line alone makes.
            if index > 0 {
                lines[index - 1].value += " " + trimmedString(raw, 0, end)
                if index - 1 < slotLength.count { slotLength[index - 1] = -1 }
            }
            return -1
        }
        var colon = 0
        while colon < end, raw[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < end else { return -1 }
        var a = colon + 1, b = end
        while a < b, raw[a] == 0x20 || raw[a] == 0x09 { a += 1 }
        while b > a, raw[b - 1] == 0x20 || raw[b - 1] == 0x09 { b -= 1 }
        let name = UnsafeRawBufferPointer(rebasing: raw[0..<colon])
        let value = UnsafeRawBufferPointer(rebasing: raw[a..<b])
        let field = (name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        if index < lines.count {
            lines[index] = field
        } else {
            if lines.capacity == 0 { lines.reserveCapacity(Self.slotCount) }
            lines.append(field)
        }
        count = index + 1
        let contentLength = colon == 14 && asciiEqualsIgnoringCase(raw, "content-length") ? digits(value) : -1
        if index < Self.slotCount {
            if slotLength.isEmpty {
                slots = Array(repeating: 0, count: Self.slotCount * Self.slotBytes)
                slotLength = Array(repeating: -1, count: Self.slotCount)
                slotContentLength = Array(repeating: -1, count: Self.slotCount)
            }
            if raw.count <= Self.slotBytes {
                slots.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: index * Self.slotBytes).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
                slotLength[index] = raw.count
                slotContentLength[index] = contentLength
            } else {
                slotLength[index] = -1
            }
        }
        return contentLength
    }
}

/// The decimal number `raw` holds (digits only, at most 18), or -1.
private func digits(_ raw: UnsafeRawBufferPointer) -> Int {
    guard raw.count > 0, raw.count <= 18 else { return -1 }
    var n = 0
    for c in raw {
        let d = c &- 0x30
        guard d <= 9 else { return -1 }
        n = n * 10 + Int(d)
    }
    return n
}

private func trimmedString(_ raw: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> String {
    var a = from, b = to
    while a < b, raw[a] == 0x20 || raw[a] == 0x09 { a += 1 }
    while b > a, raw[b - 1] == 0x20 || raw[b - 1] == 0x09 { b -= 1 }
    return String(decoding: UnsafeRawBufferPointer(rebasing: raw[a..<b]), as: UTF8.self)
}

/// `%XY` with an upper-case hex digit among X and Y (both hex digits).
private func isUpperHexEscape(_ x: UInt8, _ y: UInt8) -> Bool {
    func hex(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x66) }
    func upper(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x46 }
    return hex(x) && hex(y) && (upper(x) || upper(y))
}

/// Whether `raw` starts with `lower` (ASCII, given in lower case), ignoring case.
private func asciiEqualsIgnoringCase(_ raw: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
    let n = lower.utf8CodeUnitCount
    guard raw.count >= n else { return false }
    let l = lower.utf8Start
    for i in 0..<n where raw[i] | 0x20 != l[i] { return false }
    return true
}

/// curl_global_init must run once, before any other curl call, and is not thread-safe:
/// a static let gives both (swift_once).
enum CurlGlobal {
    static let initialized: Bool = curl_global_init(cshims_curl_global_default()) == CURLE_OK
}
