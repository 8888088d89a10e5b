// libFuzzer harness for ChunkedDecoder (built by scripts/fuzz.sh, standard library only):
// decoding the input whole, split in two, and (when short) byte by byte must agree.
// The first input byte picks the split point and the body limit; the rest is the body.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = Int(data[0])
    let input = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let maxBodyBytes = control & 1 == 0 ? 1 << 20 : 64
    let maxTrailerBytes = control & 2 == 0 ? 8192 : 32

    let whole = decode(input, cuts: [], maxBodyBytes: maxBodyBytes, maxTrailerBytes: maxTrailerBytes)
    let split = input.count == 0 ? 0 : (control >> 2) * input.count / 63
    let halves = decode(input, cuts: [split], maxBodyBytes: maxBodyBytes, maxTrailerBytes: maxTrailerBytes)
    precondition(whole == halves, "split at \(split): \(whole) vs \(halves)")
    if input.count <= 512 {
        let bytewise = decode(input, cuts: Array(0..<input.count), maxBodyBytes: maxBodyBytes,
                              maxTrailerBytes: maxTrailerBytes)
        precondition(whole == bytewise, "byte by byte: \(whole) vs \(bytewise)")
    }
    precondition(whole.body.count <= maxBodyBytes)
    precondition(whole.consumed <= input.count)
    if whole.status == .needMore { precondition(whole.consumed == input.count) }
    return 0
}

struct Outcome: Equatable {
    var body: [UInt8]
    var consumed: Int
    var status: ChunkedDecoder.Status
}

func decode(_ input: UnsafeRawBufferPointer, cuts: [Int], maxBodyBytes: Int, maxTrailerBytes: Int) -> Outcome {
    var decoder = ChunkedDecoder(maxBodyBytes: maxBodyBytes, maxTrailerBytes: maxTrailerBytes)
    var body: [UInt8] = []
    var start = 0
    var consumed = 0
    var status = ChunkedDecoder.Status.needMore
    for end in cuts + [input.count] where end >= start {
        let piece = UnsafeRawBufferPointer(rebasing: input[start..<end])
        let result = decoder.decode(piece, into: &body)
        precondition(result.consumed <= piece.count)
        consumed += result.consumed
        status = result.status
        if status != .needMore { break }
        precondition(result.consumed == piece.count, "needMore must consume the whole piece")
        start = end
    }
    precondition(decoder.bodyBytes == body.count || status != .done)
    return Outcome(body: body, consumed: consumed, status: status)
}
