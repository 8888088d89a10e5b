// libFuzzer harness for the JSON parser (built by scripts/fuzz.sh with JSON.swift alone):
// any input either fails with an offset inside it or parses; what parses serialises to text
// that parses again to the same bytes (serialisation is a fixed point), and never nests
// deeper than the limit.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    do {
        let value = try JSON.parse(input, maxDepth: 32)
        let once = value.serialized()
        let again: JSON
        do { again = try JSON.parse(once, maxDepth: 32) } catch {
            preconditionFailure("serialised output does not parse: \(error)")
        }
        precondition(again.serialized() == once, "serialisation is not a fixed point")
        precondition(depth(value) <= 32)
    } catch {
        precondition(error.offset >= 0 && error.offset <= size, "offset \(error.offset) outside input of \(size)")
    }
    return 0
}

func depth(_ v: JSON) -> Int {
    switch v {
    case .array(let a): return 1 + (a.map(depth).max() ?? 0)
    case .object(let o): return 1 + (o.entries.map { depth($0.value) }.max() ?? 0)
    default: return 0
    }
}
