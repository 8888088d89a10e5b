import Testing
import GatewayCore

/// FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA2_Additional") and the
/// CSP form (base64 of the digest) of a known inline script.
@Suite struct SHA256Tests {
    @Test func emptyMessage() {
        #expect(hexString(sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func abc() {
        #expect(hexString(sha256(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func twoBlockMessage() {
        let m = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(hexString(sha256(m)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func millionAs() {
        let m = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(hexString(sha256(m)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// CSP Level 3 §8.4's own example: `alert('Hello, world.');` hashes to this source expression.
    @Test func cspSourceExpressionOfTheSpecExample() {
        #expect("'sha256-" + Base64.encode(sha256(Array("alert('Hello, world.');".utf8))) + "'"
                == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='")
    }
}
