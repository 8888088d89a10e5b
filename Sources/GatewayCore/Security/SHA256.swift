internal import CShims

/// SHA-256 (FIPS 180-4) through OpenSSL's libcrypto: the /docs page's CSP source hashes.
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
