// Decoder for the chunked transfer coding (RFC 9112 §7.1): a small state value fed with
// whatever bytes arrive, split anywhere. Trailer fields are checked like header fields and
// discarded. Standard library only: scripts/fuzz.sh compiles this file directly with swiftc.
//
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-ext    = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//
// Rejections: malformed syntax, bare CR or LF, more than 16 size digits, a chunk-size line
// over `maxChunkLineBytes` -> 400; decoded body over maxBodyBytes -> 413; trailer section
// (trailer fields plus the final CRLF) over maxTrailerBytes -> 431, as for a header section.
public struct ChunkedDecoder: Sendable {
    public enum Status: Equatable, Sendable {
        case needMore
        case done
        case invalid(HTTPParseError)
    }

    /// Longest chunk-size line (size and extensions, without CRLF) accepted.
    public static let maxChunkLineBytes = 1024
    static let maxSizeDigits = 16

    public let maxBodyBytes: Int
    public let maxTrailerBytes: Int
    /// Decoded body bytes so far.
    public private(set) var bodyBytes = 0

    enum State: Equatable, Sendable {
        case size                  // chunk-size digits
        case sizeBWS               // BWS after the size or an extension value, before ";"
        case extNameStart          // after ";", BWS then chunk-ext-name
        case extName
        case extNameBWS            // BWS after a name, before "=" or ";"
        case extValueStart         // after "=", BWS then token or quoted-string
        case extToken
        case extQuoted
        case extQuotedEscape
        case extQuotedEnd
        case sizeLF                // after the CR ending a chunk-size line
        case data                  // `remaining` bytes of chunk-data left
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerName
        case trailerValue
        case trailerLF
        case finalLF               // after the CR of the empty line ending the message
        case done
        case failed(HTTPParseError)
    }

    var state = State.size
    var sizeDigits = 0
    var chunkSize: UInt64 = 0
    var lineBytes = 0
    var remaining = 0
    var trailerBytes = 0

    public init(maxBodyBytes: Int, maxTrailerBytes: Int = 8192) {
        self.maxBodyBytes = maxBodyBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    public var isDone: Bool { state == .done }

    /// Consumes from `input`, appending decoded data to `body`. Returns how many bytes were
    /// used: all of them while more are needed, up to and including the final CRLF when done,
    /// and 0 once done or invalid (both are final).
    public mutating func decode(
        _ input: UnsafeRawBufferPointer, into body: inout [UInt8]
    ) -> (consumed: Int, status: Status) {
        switch state {
        case .done: return (0, .done)
        case .failed(let error): return (0, .invalid(error))
        default: break
        }
        var i = 0
        let n = input.count
        while i < n {
            if case .data = state {
                let take = min(remaining, n - i)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i..<(i + take)]))
                remaining -= take
                i += take
                if remaining == 0 { state = .dataCR }
                continue
            }
            let b = input[i]
            i += 1
            if let error = step(b) {
                state = .failed(error)
                return (i, .invalid(error))
            }
            if case .done = state { return (i, .done) }
        }
        return (i, .needMore)
    }

    /// Advances the state machine over one byte outside chunk-data.
    mutating func step(_ b: UInt8) -> HTTPParseError? {
        switch state {
        case .size, .sizeBWS, .extNameStart, .extName, .extNameBWS, .extValueStart,
             .extToken, .extQuoted, .extQuotedEscape, .extQuotedEnd:
            if b != CR {
                lineBytes += 1
                if lineBytes > Self.maxChunkLineBytes { return bad("Chunk size line too long") }
            }
            return stepSizeLine(b)

        case .sizeLF:
            guard b == LF else { return bad("Bare CR in chunk size line") }
            lineBytes = 0
            if chunkSize == 0 {
                state = .trailerLineStart
            } else {
                remaining = Int(chunkSize)
                state = .data
            }
            return nil

        case .data:
            return nil  // handled in bulk by decode

        case .dataCR:
            guard b == CR else { return bad("Missing CRLF after chunk data") }
            state = .dataLF
        case .dataLF:
            guard b == LF else { return bad("Missing CRLF after chunk data") }
            sizeDigits = 0
            chunkSize = 0
            state = .size

        case .trailerLineStart, .trailerName, .trailerValue, .trailerLF, .finalLF:
            trailerBytes += 1
            if trailerBytes > maxTrailerBytes { return HTTPParseError(status: 431, reason: "Trailer section too large") }
            return stepTrailer(b)

        case .done, .failed:
            return nil
        }
        return nil
    }

    mutating func stepSizeLine(_ b: UInt8) -> HTTPParseError? {
        switch state {
        case .size:
            if let digit = hexValue(b) {
                sizeDigits += 1
                guard sizeDigits <= Self.maxSizeDigits else { return bad("Chunk size too long") }
                chunkSize = chunkSize << 4 | UInt64(digit)
                if chunkSize > UInt64(max(0, maxBodyBytes - bodyBytes)) {
                    return HTTPParseError(status: 413, reason: "Chunked body exceeds limit")
                }
                return nil
            }
            guard sizeDigits > 0 else { return bad("Invalid chunk size") }
            switch b {
            case CR: endSizeLine()
            case UInt8(ascii: ";"): state = .extNameStart
            case SP, HTAB: state = .sizeBWS
            default: return bad("Invalid chunk size")
            }
        case .sizeBWS:
            switch b {
            case SP, HTAB: break
            case UInt8(ascii: ";"): state = .extNameStart
            default: return bad("Invalid chunk extension")
            }
        case .extNameStart:
            if b == SP || b == HTAB { break }
            guard isTchar(b) else { return bad("Invalid chunk extension") }
            state = .extName
        case .extName, .extNameBWS:
            switch b {
            case _ where state == .extName && isTchar(b): break
            case SP, HTAB: state = .extNameBWS
            case UInt8(ascii: "="): state = .extValueStart
            case UInt8(ascii: ";"): state = .extNameStart
            case CR where state == .extName: endSizeLine()
            default: return bad("Invalid chunk extension")
            }
        case .extValueStart:
            if b == SP || b == HTAB { break }
            if b == UInt8(ascii: "\"") {
                state = .extQuoted
            } else if isTchar(b) {
                state = .extToken
            } else {
                return bad("Invalid chunk extension")
            }
        case .extToken:
            if isTchar(b) { break }
            switch b {
            case SP, HTAB: state = .sizeBWS
            case UInt8(ascii: ";"): state = .extNameStart
            case CR: endSizeLine()
            default: return bad("Invalid chunk extension")
            }
        case .extQuoted:
            // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
            switch b {
            case UInt8(ascii: "\""): state = .extQuotedEnd
            case UInt8(ascii: "\\"): state = .extQuotedEscape
            case HTAB, SP, 0x21...0x7E, 0x80...0xFF: break
            default: return bad("Invalid chunk extension")
            }
        case .extQuotedEscape:
            guard b == HTAB || b >= SP && b != 0x7F else { return bad("Invalid chunk extension") }
            state = .extQuoted
        case .extQuotedEnd:
            switch b {
            case SP, HTAB: state = .sizeBWS
            case UInt8(ascii: ";"): state = .extNameStart
            case CR: endSizeLine()
            default: return bad("Invalid chunk extension")
            }
        default:
            break
        }
        return nil
    }

    mutating func endSizeLine() {
        state = .sizeLF
        if chunkSize > 0 { bodyBytes += Int(chunkSize) }
    }

    /// trailer-section = *( field-line CRLF ), with the header section's rules.
    mutating func stepTrailer(_ b: UInt8) -> HTTPParseError? {
        switch state {
        case .trailerLineStart:
            if b == CR {
                state = .finalLF
            } else if isTchar(b) {
                state = .trailerName
            } else if b == SP || b == HTAB {
                return bad("Obsolete line folding in trailer")
            } else if b == LF {
                return bad("Bare LF in trailer")
            } else {
                return bad("Invalid trailer field")
            }
        case .trailerName:
            if b == UInt8(ascii: ":") {
                state = .trailerValue
            } else if !isTchar(b) {
                return bad(b == SP || b == HTAB ? "Whitespace before colon in trailer" : "Invalid trailer field name")
            }
        case .trailerValue:
            if b == CR {
                state = .trailerLF
            } else if b < SP && b != HTAB || b == 0x7F {
                return bad(b == LF ? "Bare LF in trailer" : "Invalid character in trailer value")
            }
        case .trailerLF:
            guard b == LF else { return bad("Bare CR in trailer") }
            state = .trailerLineStart
        case .finalLF:
            guard b == LF else { return bad("Bare CR after trailer section") }
            state = .done
        default:
            break
        }
        return nil
    }

    func bad(_ reason: String) -> HTTPParseError { HTTPParseError(status: 400, reason: reason) }
}

private let CR: UInt8 = 0x0D, LF: UInt8 = 0x0A, SP: UInt8 = 0x20, HTAB: UInt8 = 0x09

@inline(__always)
private func hexValue(_ b: UInt8) -> UInt8? {
    if b &- 0x30 < 10 { return b &- 0x30 }
    let lower = b | 0x20
    if lower &- 0x61 < 6 { return lower &- 0x61 + 10 }
    return nil
}
