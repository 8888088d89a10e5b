#if canImport(Glibc)
import Glibc
#endif

/// A whole file's bytes, or nil when it cannot be opened or read, or exceeds `limit` bytes.
public func readFileBytes(_ path: String, limit: Int = 16 << 20) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n > 0 { out.append(contentsOf: buf[0..<n]) }
        if out.count > limit { return nil }
        if n < buf.count { break }
    }
    return ferror(f) != 0 ? nil : out
}
