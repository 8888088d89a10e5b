import GatewayCore
import Synchronization

/// US numbers as Text Request takes them (FACTS 2.1: 10 digits, or 11 with the leading 1;
/// answers carry 11). Only NANP numbers: area code and exchange start with 2-9.
enum TextRequestPhone {
    /// The 11-digit form (`14235550123`), or nil when `raw` is not a US number.
    static func digits11(_ raw: String) -> String? {
        guard let e164 = PhoneNumber.e164(raw, region: .us), e164.hasPrefix("+1"), e164.utf8.count == 12,
              PhoneNumber.isNANP(String(e164.dropFirst(2))) else { return nil }
        return String(e164.dropFirst())
    }

    /// `+1...` from the 11-digit form.
    static func e164(_ digits11: String) -> String { "+" + digits11 }

    static let rule = "must be a US phone number (10 digits, or 11 starting with 1): Text Request supports US numbers only"
}

/// Tag and custom-field ids are GUIDs (`06051c49-15fe-4728-9a3f-63c5d9fd47a2`).
enum TextRequestGUID {
    static func isGUID(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return false }
            } else {
                let hex = (0x30...0x39).contains(c) || (0x41...0x46).contains(c) || (0x61...0x66).contains(c)
                guard hex else { return false }
            }
        }
        return true
    }
}

/// Text Request times are UTC (`*_utc`), RFC 3339 with up to 7 fractional digits from its
/// .NET backend; some .NET serialisers leave out the `Z`, so a zoneless time is read as UTC.
enum TextRequestTime {
    static func rfc3339(_ value: JSON?) -> String? {
        guard let s = value?.stringValue, !s.isEmpty else { return nil }
        let t = trimFraction(s)
        if let u = UTCTime(parsing: t) { return u.rfc3339 }
        if let u = UTCTime(parsing: t + "Z") { return u.rfc3339 }
        return nil
    }

    /// Keeps at most 3 fractional digits: `UTCTime(parsing:)` traps on more (see the report).
    static func trimFraction(_ s: String) -> String {
        let b = Array(s.utf8)
        guard b.count > 20, b[19] == UInt8(ascii: "."), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " ") else { return s }
        var end = 20
        while end < b.count, (0x30...0x39).contains(b[end]) { end += 1 }
        guard end - 20 > 3 else { return s }
        return String(decoding: b[0..<23] + b[end...], as: UTF8.self)
    }
}

/// The dashboard's own number, configured or learnt once (adapters are values; this box is
/// shared by their copies).
final class TextRequestDashboardPhone: Sendable {
    private let stored: Mutex<String?>

    init(configured: String?) { stored = Mutex(configured) }

    var value: String? { stored.withLock { $0 } }

    func remember(_ phone: String) { stored.withLock { $0 = phone } }
}

/// A member as text, also from a number (ids and codes the vendor may send either way);
/// empty strings are nil.
enum TextRequestText {
    static func of(_ value: JSON?) -> String? {
        switch value {
        case .string(let s)?: return s.isEmpty ? nil : s
        case .int(let i)?: return String(i)
        case .double(let d)?: return String(d)
        case .bool(let b)?: return String(b)
        default: return nil
        }
    }
}
