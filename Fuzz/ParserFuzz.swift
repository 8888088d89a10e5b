// libFuzzer harness for HTTPRequestParser (built by scripts/fuzz.sh, standard library only).
// Every invariant is a precondition so that a violation is a crash libFuzzer keeps.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    checkHead(input, limits: HTTPLimits())
    var tiny = HTTPLimits()
    tiny.maxRequestLineBytes = 24
    tiny.maxHeaderBytes = 64
    tiny.maxHeaderCount = 3
    tiny.maxBodyBytes = 16
    checkHead(input, limits: tiny)
    return 0
}

func checkHead(_ input: UnsafeRawBufferPointer, limits: HTTPLimits) {
    let result = HTTPRequestParser.parseHead(input, limits: limits)

    // A decision (complete or invalid) depends only on the bytes before it: appending
    // more input must not change it (the server relies on this when bytes trickle in).
    if result != .incomplete {
        var extended = Array(input)
        extended.append(contentsOf: [0x0D, 0x0A, 0x41, 0x00])
        let again = extended.withUnsafeBytes { HTTPRequestParser.parseHead($0, limits: limits) }
        precondition(again == result, "appending bytes changed the result: \(result) -> \(again)")
    }

    switch result {
    case .incomplete:
        break
    case .invalid(let error):
        precondition([400, 413, 414, 417, 431, 501, 505].contains(error.status), "unexpected status \(error)")
        precondition(!error.reason.isEmpty)
    case .complete(let head, let consumed):
        precondition(consumed > 0 && consumed <= input.count, "consumed \(consumed) of \(input.count)")
        let prefix = UnsafeRawBufferPointer(rebasing: input[0..<consumed])
        let reparsed = HTTPRequestParser.parseHead(prefix, limits: limits)
        precondition(reparsed == result, "re-parsing the head gave \(reparsed)")
        // Every proper prefix of a complete head is incomplete (checked exhaustively for
        // short heads, at a few points otherwise).
        let cuts = consumed <= 200 ? Array(0..<consumed) : [0, 1, consumed / 2, consumed - 2, consumed - 1]
        for cut in cuts {
            let partial = HTTPRequestParser.parseHead(UnsafeRawBufferPointer(rebasing: input[0..<cut]), limits: limits)
            precondition(partial == .incomplete, "prefix \(cut) of complete head gave \(partial)")
        }
        checkHeadInvariants(head, limits: limits)
        if head.framing == .chunked {
            var decoder = ChunkedDecoder(maxBodyBytes: limits.maxBodyBytes)
            var body: [UInt8] = []
            let rest = UnsafeRawBufferPointer(rebasing: input[consumed...])
            let (used, status) = decoder.decode(rest, into: &body)
            precondition(used <= rest.count)
            precondition(status != .needMore || used == rest.count)
            precondition(body.count <= limits.maxBodyBytes)
        }
    }
}

func checkHeadInvariants(_ head: HTTPRequestHead, limits: HTTPLimits) {
    precondition(!head.method.rawValue.isEmpty)
    precondition(!head.target.isEmpty)
    precondition(head.headers.count <= limits.maxHeaderCount)
    if head.version == .http11 {
        precondition(!head.host.isEmpty, "HTTP/1.1 head without host")
        precondition(head.headers.values("Host").count == 1)
    } else {
        precondition(head.framing != .chunked, "chunked HTTP/1.0 request")
        precondition(!head.expectsContinue)
    }
    switch head.framing {
    case .contentLength(let length):
        precondition(length >= 0 && length <= limits.maxBodyBytes)
        precondition(!head.headers.contains("Transfer-Encoding"))
    case .chunked:
        precondition(!head.headers.contains("Content-Length"))
    case .none:
        precondition(!head.headers.contains("Content-Length") && !head.headers.contains("Transfer-Encoding"))
    }
    if head.method != .CONNECT {
        precondition(head.path.first == "/" || head.path == "*", "path \(head.path)")
    }
    for (name, value) in head.headers {
        precondition(!name.isEmpty)
        precondition(value.first != " " && value.last != " " && value.first != "\t" && value.last != "\t")
    }
}
