import Testing
@testable import GatewayCore

struct ChunkedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var message: [UInt8]
    var body: String
    var testDescription: String { name }

    init(_ name: String, _ message: String, body: String) {
        self.name = name
        self.message = Array(message.utf8)
        self.body = body
    }
}

struct InvalidChunkedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [UInt8]
    var status: Int
    var maxBodyBytes = 1 << 20
    var testDescription: String { "\(name) -> \(status)" }

    init(_ name: String, _ input: String, _ status: Int, maxBodyBytes: Int = 1 << 20) {
        self.name = name
        self.input = Array(input.utf8)
        self.status = status
        self.maxBodyBytes = maxBodyBytes
    }
}

let validChunkedCases: [ChunkedCase] = [
    ChunkedCase("one chunk", "5\r\nhello\r\n0\r\n\r\n", body: "hello"),
    ChunkedCase("empty body", "0\r\n\r\n", body: ""),
    ChunkedCase("several chunks", "5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n", body: "hello world"),
    ChunkedCase("uppercase hex", "A\r\n0123456789\r\n1F\r\n" + String(repeating: "x", count: 31) + "\r\n0\r\n\r\n",
                body: "0123456789" + String(repeating: "x", count: 31)),
    ChunkedCase("lowercase hex and leading zeros", "000a\r\n0123456789\r\n000\r\n\r\n", body: "0123456789"),
    ChunkedCase("sixteen size digits", "0000000000000005\r\nhello\r\n0\r\n\r\n", body: "hello"),
    ChunkedCase("CRLF inside chunk data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", body: "\r\n\r\n"),
    ChunkedCase("extension without value", "5;last\r\nhello\r\n0;x\r\n\r\n", body: "hello"),
    ChunkedCase("extension with token value", "5;name=value;other=1\r\nhello\r\n0\r\n\r\n", body: "hello"),
    ChunkedCase("extension with quoted value", "5;a=\"q \\\" ;x\";b\r\nhello\r\n0;c=\"\"\r\n\r\n", body: "hello"),
    ChunkedCase("extension with BWS", "5 ; a = b ;c\t=\t\"d\" ;e\r\nhello\r\n0\r\n\r\n", body: "hello"),
    ChunkedCase("trailers", "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Empty:\r\nX-Obs: café\r\n\r\n", body: "hello"),
]

let invalidChunkedCases: [InvalidChunkedCase] = [
    InvalidChunkedCase("no size digits", "\r\n", 400),
    InvalidChunkedCase("non-hex size", "x\r\n", 400),
    InvalidChunkedCase("negative size", "-1\r\n", 400),
    InvalidChunkedCase("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("seventeen size digits", "00000000000000005\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("size overflows the limit", "ffffffffffffffff\r\n", 413),
    InvalidChunkedCase("chunks add up over the limit", "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n", 413, maxBodyBytes: 10),
    InvalidChunkedCase("missing CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("bare LF after data", "5\r\nhello\n0\r\n\r\n", 400),
    InvalidChunkedCase("CR without LF after data", "5\r\nhello\r0\r\n\r\n", 400),
    InvalidChunkedCase("bare LF after size", "5\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("bare CR after size", "5\rhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("whitespace after size without extension", "5 \r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("whitespace before size", " 5\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("empty extension name", "5;\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("empty extension value", "5;a=\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("space inside extension name", "5;a b\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("unterminated quoted extension", "5;a=\"x\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("CTL in extension", "5;a=\u{01}\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("chunk size line too long", "5;a=" + String(repeating: "b", count: 1100) + "\r\nhello\r\n0\r\n\r\n", 400),
    InvalidChunkedCase("obs-fold in trailer", "0\r\nA: b\r\n c\r\n\r\n", 400),
    InvalidChunkedCase("space before colon in trailer", "0\r\nA : b\r\n\r\n", 400),
    InvalidChunkedCase("empty trailer name", "0\r\n: b\r\n\r\n", 400),
    InvalidChunkedCase("trailer without colon", "0\r\nAb\r\n\r\n", 400),
    InvalidChunkedCase("CTL in trailer value", "0\r\nA: \u{01}\r\n\r\n", 400),
    InvalidChunkedCase("bare LF in trailer", "0\r\nA: b\n\r\n", 400),
    InvalidChunkedCase("bare LF ending the message", "0\r\n\n", 400),
    InvalidChunkedCase("bare CR ending the message", "0\r\n\rx", 400),
    InvalidChunkedCase("trailer section too large", "0\r\nA: " + String(repeating: "b", count: 9000) + "\r\n\r\n", 431),
]

@Suite("Chunked decoder")
struct ChunkedDecoderTests {
    @Test("decodes whole", arguments: validChunkedCases)
    func decodesWhole(_ c: ChunkedCase) {
        var decoder = ChunkedDecoder(maxBodyBytes: 1 << 20)
        var body: [UInt8] = []
        let next = Array("GET / HTTP/1.1\r\n".utf8)
        let input = c.message + next
        let (consumed, status) = input.withUnsafeBytes { decoder.decode($0, into: &body) }
        #expect(status == .done)
        #expect(consumed == c.message.count, "must stop right after the final CRLF")
        #expect(body == Array(c.body.utf8))
        #expect(decoder.isDone)
    }

    @Test("decodes one byte at a time", arguments: validChunkedCases)
    func decodesByteByByte(_ c: ChunkedCase) {
        var decoder = ChunkedDecoder(maxBodyBytes: 1 << 20)
        var body: [UInt8] = []
        for (index, byte) in c.message.enumerated() {
            let (consumed, status) = [byte].withUnsafeBytes { decoder.decode($0, into: &body) }
            #expect(consumed == 1)
            #expect(status == (index == c.message.count - 1 ? .done : .needMore), "at byte \(index)")
        }
        #expect(body == Array(c.body.utf8))
    }

    @Test("decodes split in two at every position", arguments: validChunkedCases)
    func decodesSplitAnywhere(_ c: ChunkedCase) {
        for split in 0...c.message.count {
            var decoder = ChunkedDecoder(maxBodyBytes: 1 << 20)
            var body: [UInt8] = []
            let (firstConsumed, firstStatus) = Array(c.message[..<split]).withUnsafeBytes {
                decoder.decode($0, into: &body)
            }
            #expect(firstConsumed == split)
            if split == c.message.count {
                #expect(firstStatus == .done)
            } else {
                #expect(firstStatus == .needMore, "split at \(split)")
                let (consumed, status) = Array(c.message[split...]).withUnsafeBytes {
                    decoder.decode($0, into: &body)
                }
                #expect(consumed == c.message.count - split)
                #expect(status == .done, "split at \(split)")
            }
            #expect(body == Array(c.body.utf8), "split at \(split)")
        }
    }

    @Test("rejects invalid encodings however split", arguments: invalidChunkedCases)
    func rejectsInvalid(_ c: InvalidChunkedCase) {
        let whole = decodeInPieces(c.input, maxBodyBytes: c.maxBodyBytes, pieceSize: c.input.count)
        #expect(whole.status == c.status, "whole: \(whole.reason)")
        let bytewise = decodeInPieces(c.input, maxBodyBytes: c.maxBodyBytes, pieceSize: 1)
        #expect(bytewise.status == c.status, "byte by byte: \(bytewise.reason)")
        // Every split point for short inputs; for the long ones, the start and a sample.
        let splits = c.input.count <= 256 ? Array(1..<c.input.count) : Array(1..<64) + Array(stride(from: 64, to: c.input.count, by: 61))
        for split in splits {
            let pieces = decodeInPieces(c.input, maxBodyBytes: c.maxBodyBytes, splits: [split])
            #expect(pieces.status == c.status, "split at \(split): \(pieces.reason)")
        }
    }

    @Test func bodyAtTheLimitIsAccepted() {
        var decoder = ChunkedDecoder(maxBodyBytes: 10)
        var body: [UInt8] = []
        let message = Array("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n".utf8)
        let (_, status) = message.withUnsafeBytes { decoder.decode($0, into: &body) }
        #expect(status == .done)
        #expect(decoder.bodyBytes == 10)
    }

    @Test func trailerSectionAtTheLimitIsAccepted() {
        let message = Array("0\r\nA: bcd\r\n\r\n".utf8)
        let trailerBytes = message.count - 3  // after the last-chunk line
        var decoder = ChunkedDecoder(maxBodyBytes: 10, maxTrailerBytes: trailerBytes)
        var body: [UInt8] = []
        #expect(message.withUnsafeBytes { decoder.decode($0, into: &body) }.status == .done)
        var smaller = ChunkedDecoder(maxBodyBytes: 10, maxTrailerBytes: trailerBytes - 1)
        guard case .invalid(let error) = message.withUnsafeBytes({ smaller.decode($0, into: &body) }).status else {
            Issue.record("expected 431")
            return
        }
        #expect(error.status == 431)
    }

    @Test func doneAndInvalidAreFinal() {
        var decoder = ChunkedDecoder(maxBodyBytes: 100)
        var body: [UInt8] = []
        _ = Array("0\r\n\r\n".utf8).withUnsafeBytes { decoder.decode($0, into: &body) }
        let again = Array("5\r\nhello".utf8).withUnsafeBytes { decoder.decode($0, into: &body) }
        #expect(again.consumed == 0)
        #expect(again.status == .done)

        var failed = ChunkedDecoder(maxBodyBytes: 100)
        let first = Array("z".utf8).withUnsafeBytes { failed.decode($0, into: &body) }
        let second = Array("0\r\n\r\n".utf8).withUnsafeBytes { failed.decode($0, into: &body) }
        #expect(first.status == second.status)
        #expect(second.consumed == 0)
        #expect(body.isEmpty)
    }

    @Test func emptyInputNeedsMore() {
        var decoder = ChunkedDecoder(maxBodyBytes: 100)
        var body: [UInt8] = []
        let result = decoder.decode(UnsafeRawBufferPointer(start: nil, count: 0), into: &body)
        #expect(result.consumed == 0)
        #expect(result.status == .needMore)
    }

    @Test func fuzzFoundCasesStayFixed() {
        for (input, status) in fuzzPinnedChunkedCases {
            let whole = decodeInPieces(input, maxBodyBytes: 1 << 20, pieceSize: max(input.count, 1))
            #expect(whole.status == status, "\(input)")
        }
    }
}

/// Inputs libFuzzer found interesting, with the status they must produce (nil: done or needMore).
let fuzzPinnedChunkedCases: [([UInt8], Int?)] = []

/// Feeds `input` in pieces; returns the error status (nil if none) and reason.
private func decodeInPieces(
    _ input: [UInt8], maxBodyBytes: Int, pieceSize: Int? = nil, splits: [Int] = []
) -> (status: Int?, reason: String) {
    var cuts = splits
    if let pieceSize { cuts = Array(stride(from: pieceSize, to: input.count, by: pieceSize)) }
    var decoder = ChunkedDecoder(maxBodyBytes: maxBodyBytes)
    var body: [UInt8] = []
    var start = 0
    for end in cuts + [input.count] {
        let (consumed, status) = Array(input[start..<end]).withUnsafeBytes { decoder.decode($0, into: &body) }
        switch status {
        case .invalid(let error): return (error.status, error.reason)
        case .done: return (nil, "done after \(start + consumed) bytes")
        case .needMore: #expect(consumed == end - start)
        }
        start = end
    }
    return (nil, "needs more")
}
