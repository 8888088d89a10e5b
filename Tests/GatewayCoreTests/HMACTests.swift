import Testing
import GatewayCore

/// RFC 4231 §4: HMAC-SHA-256 test cases.
struct HMACVector: Sendable, CustomTestStringConvertible {
    var name: String
    var key: [UInt8]
    var data: [UInt8]
    var hex: String
    /// Case 5 publishes only the first 128 bits.
    var truncatedTo: Int? = nil

    var testDescription: String { name }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

private func hex(_ b: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(b.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] })
}

let rfc4231Vectors: [HMACVector] = [
    HMACVector(name: "case 1: 20-byte key, 'Hi There'", key: [UInt8](repeating: 0x0b, count: 20), data: bytes("Hi There"),
               hex: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    HMACVector(name: "case 2: key shorter than the output", key: bytes("Jefe"), data: bytes("what do ya want for nothing?"),
               hex: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    HMACVector(name: "case 3: 50 bytes of 0xdd", key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
               hex: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    HMACVector(name: "case 4: 25-byte key 0x01...0x19", key: Array(1...25), data: [UInt8](repeating: 0xcd, count: 50),
               hex: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    HMACVector(name: "case 5: truncation to 128 bits", key: [UInt8](repeating: 0x0c, count: 20), data: bytes("Test With Truncation"),
               hex: "a3b6167473100ee06e0c796c2955552b", truncatedTo: 16),
    HMACVector(name: "case 6: 131-byte key (hashed first)", key: [UInt8](repeating: 0xaa, count: 131),
               data: bytes("Test Using Larger Than Block-Size Key - Hash Key First"),
               hex: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    HMACVector(name: "case 7: 131-byte key and data longer than a block", key: [UInt8](repeating: 0xaa, count: 131),
               data: bytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
               hex: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]

@Suite("HMAC-SHA256, Base64, constant-time compare")
struct HMACTests {
    @Test(arguments: rfc4231Vectors)
    func rfc4231(_ v: HMACVector) {
        let mac = hmacSHA256(key: v.key, message: v.data)
        #expect(mac.count == 32)
        #expect(hex(v.truncatedTo.map { Array(mac.prefix($0)) } ?? mac) == v.hex)
    }

    @Test func emptyKeyAndMessage() {
        // HMAC-SHA256("", "") — a well-known value (e.g. Python's hmac module).
        #expect(hex(hmacSHA256(key: [UInt8](), message: [UInt8]())) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func acceptsAnyByteCollection() {
        let v = rfc4231Vectors[1]
        #expect(hmacSHA256(key: "Jefe".utf8, message: v.data[...]) == hmacSHA256(key: v.key, message: v.data))
    }

    // MARK: Base64 (RFC 4648 §10 and the two alphabet characters beyond A-Z a-z 0-9)

    static let base64Vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test func base64EncodesRFC4648Vectors() {
        for (plain, encoded) in Self.base64Vectors {
            #expect(Base64.encode(bytes(plain)) == encoded, "\(plain)")
        }
    }

    @Test func base64DecodesRFC4648Vectors() {
        for (plain, encoded) in Self.base64Vectors {
            #expect(Base64.decode(encoded) == bytes(plain), "\(encoded)")
        }
    }

    @Test func base64UsesPlusAndSlash() {
        #expect(Base64.encode([0xfb, 0xff]) == "+/8=")
        #expect(Base64.encode([0xfb, 0xef, 0xbe]) == "++++")
        #expect(Base64.encode([0xff, 0xff, 0xff]) == "////")
        #expect(Base64.decode("+/8=") == [0xfb, 0xff])
        #expect(Base64.decode("++++") == [0xfb, 0xef, 0xbe])
    }

    @Test func base64RoundTripsEveryByte() {
        let all = (0...255).map { UInt8($0) }
        for n in 0...all.count where n % 37 == 0 || n < 5 || n == all.count {
            let part = Array(all.prefix(n))
            #expect(Base64.decode(Base64.encode(part)) == part, "\(n) bytes")
        }
        #expect(Base64.encode(bytes("sandbox:sandbox-secret")) == "c2FuZGJveDpzYW5kYm94LXNlY3JldA==")
    }

    @Test(arguments: [
        "Zg=",        // length not a multiple of 4
        "Zg",         // padding missing
        "Z",
        "Zm9v\n",     // whitespace
        "Zm 9v",
        "Zm\n9",      // whitespace inside a group of the right length
        "Zm 9",
        " Zm9v",
        "Zg==Zg==",   // padding before the end
        "Zm8=Zm9v",
        "=Zg=",
        "Z===",       // three padding characters
        "====",
        "Zg=a",       // data after padding
        "Zm9-",       // base64url alphabet
        "Zm9_",
        "Zm9*",
        "Zmé",        // non-ASCII (4 UTF-8 bytes)
        "Zh==",       // non-zero padding bits ("Zg==" is the canonical "f")
        "Zm9=",       // non-zero padding bits ("Zm8=" is the canonical "fo")
    ])
    func base64RejectsInvalidInput(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    // MARK: constantTimeEquals

    @Test func constantTimeEqualsComparesContentAndLength() {
        #expect(constantTimeEquals(bytes("sandbox-secret"), bytes("sandbox-secret")))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
        #expect(!constantTimeEquals(bytes("sandbox-secret"), bytes("sandbox-secreT")))
        #expect(!constantTimeEquals(bytes("Sandbox-secret"), bytes("sandbox-secret")))
        #expect(!constantTimeEquals(bytes("sandbox"), bytes("sandbox-secret")))
        #expect(!constantTimeEquals(bytes("sandbox-secret"), bytes("sandbox")))
        #expect(!constantTimeEquals([UInt8](), [0]))
        #expect(constantTimeEquals("abc".utf8, Array("abc".utf8)[...]))
    }

    @Test func constantTimeEqualsChecksHMACs() {
        let v = rfc4231Vectors[0]
        let mac = hmacSHA256(key: v.key, message: v.data)
        var flipped = mac
        flipped[31] ^= 1
        #expect(constantTimeEquals(mac, hmacSHA256(key: v.key, message: v.data)))
        #expect(!constantTimeEquals(mac, flipped))
    }
}
