internal import CShims

/// HMAC-SHA256 (RFC 2104) through OpenSSL's libcrypto: Text Request's webhook signature.
public func hmacSHA256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8] {
    let k = Array(key), m = Array(message)
    var out = [UInt8](repeating: 0, count: 32)
    let rc = k.withUnsafeBytes { kp in
        m.withUnsafeBytes { mp in
            out.withUnsafeMutableBytes { op in
                cshims_hmac_sha256(kp.baseAddress, kp.count, mp.baseAddress, mp.count,
                                   op.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }
    precondition(rc == 0, "HMAC-SHA256 failed")
    return out
}

/// SHA-256 through libcrypto: how client API keys are kept at rest (only their digest).
public func sha256(_ message: some Collection<UInt8>) -> [UInt8] {
    let m = Array(message)
    var out = [UInt8](repeating: 0, count: 32)
    let rc = m.withUnsafeBytes { mp in
        out.withUnsafeMutableBytes { op in
            cshims_sha256(mp.baseAddress, mp.count, op.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }
    precondition(rc == 0, "SHA-256 failed")
    return out
}

/// Cryptographically strong random bytes (libcrypto's RAND_bytes): new API keys.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    let rc = out.withUnsafeMutableBytes { cshims_random_bytes($0.baseAddress, $0.count) }
    precondition(rc == 0, "RAND_bytes failed")
    return out
}

/// Compares secrets without an early exit, so timing does not reveal how much matched.
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    if a.count != b.count { return false }
    var diff: UInt8 = 0
    for (x, y) in zip(a, b) { diff |= x ^ y }
    return diff == 0
}

/// RFC 4648 base64 with padding.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let b = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((b.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < b.count {
            let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = b.count - i
        if rest == 1 {
            let n = UInt32(b[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict decoding (padding required, canonical padding bits, no whitespace); nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        let s = Array(text.utf8)
        guard s.count % 4 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case 0x41...0x5A: UInt32(c - 0x41)
            case 0x61...0x7A: UInt32(c - 0x61 + 26)
            case 0x30...0x39: UInt32(c - 0x30 + 52)
            case UInt8(ascii: "+"): 62
            case UInt8(ascii: "/"): 63
            default: nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < s.count {
            let last = i + 4 == s.count
            let pad = last ? (s[i + 3] == UInt8(ascii: "=") ? (s[i + 2] == UInt8(ascii: "=") ? 2 : 1) : 0) : 0
            var n: UInt32 = 0
            for k in 0..<4 {
                if k >= 4 - pad { n <<= 6; continue }
                guard let v = value(s[i + k]) else { return nil }
                n = n << 6 | v
            }
            // Canonical form only: the bits a padded group does not use must be zero, so
            // one byte string has exactly one accepted encoding (RFC 4648 §3.5).
            if pad == 2 && n & 0xFFFF != 0 || pad == 1 && n & 0xFF != 0 { return nil }
            out.append(UInt8(n >> 16 & 0xFF))
            if pad < 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(n & 0xFF)) }
            i += 4
        }
        return out
    }
}

/// Lowercase hex of some bytes (digests in keys).
public func hexString(_ bytes: some Collection<UInt8>) -> String {
    let hex = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(hex[Int(b >> 4)])
        out.append(hex[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
