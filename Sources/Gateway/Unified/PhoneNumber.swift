/// The country a source's national-format numbers belong to (HotProfile: Japan, Text Request:
/// the US, Hana: Vietnam). Pipedrive stores whatever a user typed, so it has none: only
/// numbers already in `+` form are normalised there.
public enum PhoneRegion: Sendable {
    case us, jp, vn
}

/// E.164 normalisation for the numbers the upstreams hold. Deliberately small: it knows
/// the three national numbering plans our sources use, and returns nil (keep the original)
/// for anything it cannot place with certainty.
public enum PhoneNumber {
    public static func e164(_ raw: String, region: PhoneRegion?) -> String? {
        var digits = ""
        var plus = false
        for (i, c) in raw.unicodeScalars.enumerated() {
            switch c {
            case "0"..."9": digits.unicodeScalars.append(c)
            case "+" where i == 0 || digits.isEmpty && !plus: plus = true
            case " ", "-", ".", "(", ")", "\u{2010}", "\u{2212}", "\u{30FC}": continue
            default:
                // Full-width digits (Japanese input methods) count as digits.
                if (0xFF10...0xFF19).contains(c.value) {
                    digits.unicodeScalars.append(Unicode.Scalar(c.value - 0xFF10 + 0x30)!)
                } else {
                    return nil
                }
            }
        }
        if plus { return (8...15).contains(digits.count) && !digits.hasPrefix("0") ? "+" + digits : nil }
        switch region {
        case .us?:
            if digits.count == 10, isNANP(digits) { return "+1" + digits }
            if digits.count == 11, digits.hasPrefix("1"), isNANP(String(digits.dropFirst())) { return "+" + digits }
        case .jp?:
            // Japanese national numbers: a trunk 0 and 9 (fixed line) or 10 (mobile, IP) digits.
            if digits.hasPrefix("0"), !digits.hasPrefix("00"), digits.count == 10 || digits.count == 11 {
                return "+81" + digits.dropFirst()
            }
            if digits.hasPrefix("81"), digits.count == 11 || digits.count == 12 { return "+" + digits }
        case .vn?:
            // Vietnamese numbers: a trunk 0 and 9 digits (mobile), or 84 + 9 digits.
            if digits.hasPrefix("0"), !digits.hasPrefix("00"), digits.count == 10 { return "+84" + digits.dropFirst() }
            if digits.hasPrefix("84"), digits.count == 11 { return "+" + digits }
        case nil:
            break
        }
        return nil
    }

    /// NANP: area code and exchange start with 2-9.
    static func isNANP(_ ten: String) -> Bool {
        let d = Array(ten.utf8)
        return d.count == 10 && d[0] >= UInt8(ascii: "2") && d[3] >= UInt8(ascii: "2")
    }
}
