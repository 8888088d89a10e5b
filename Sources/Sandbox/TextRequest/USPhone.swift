/// US (+1, NANP) phone numbers as Text Request takes them: 10 digits, or 11 with the country
/// code 1; responses always carry the 11-digit form (`14235550123`).
///
/// The docs say "digits only", but the spec's own examples send `321-654-7890` and
/// `+1(555)-123-4567`, so formatting characters (`+`, space, `-`, `.`, `(`, `)`) are stripped
/// before counting digits. Anything else (letters, other lengths, an 11-digit number not
/// starting with 1, an area code or exchange starting with 0 or 1) is not a US number.
enum USPhone {
    /// The 11-digit form, or nil when `text` is not a US number.
    static func normalize(_ text: String) -> String? {
        var digits: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(b)
            case UInt8(ascii: "+"), UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "("), UInt8(ascii: ")"):
                continue
            default: return nil
            }
        }
        if digits.count == 11 {
            guard digits[0] == UInt8(ascii: "1") else { return nil }
        } else if digits.count == 10 {
            digits.insert(UInt8(ascii: "1"), at: 0)
        } else {
            return nil
        }
        // NANP: NXX-NXX-XXXX, N = 2...9.
        guard digits[1] >= UInt8(ascii: "2"), digits[4] >= UInt8(ascii: "2") else { return nil }
        return String(decoding: digits, as: UTF8.self)
    }

    /// Only the digits of `text` (for starts-with and partial searches).
    static func digits(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.value >= 48 && $0.value <= 57 }.map(Character.init))
    }
}

/// SMS segment arithmetic: GSM-7 when every character is in the GSM 03.38 default alphabet
/// (or its extension table, which costs two septets), else UCS-2.
enum SMSSegments {
    /// The GSM 03.38 basic character set.
    private static let basic: Set<Unicode.Scalar> = {
        let s = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
        return Set(s.unicodeScalars)
    }()
    /// The extension table (escape + character: two septets each).
    private static let extended: Set<Unicode.Scalar> = ["^", "{", "}", "\\", "[", "~", "]", "|", "€", "\u{0C}"]

    /// How many segments `body` is sent as: 160 GSM-7 septets in one segment, 153 per segment
    /// when split; 70 UCS-2 code units in one, 67 per segment when split. An empty body is 1.
    static func count(_ body: String) -> Int {
        var septets = 0
        var gsm = true
        for ch in body.unicodeScalars {
            if basic.contains(ch) { septets += 1 }
            else if extended.contains(ch) { septets += 2 }
            else { gsm = false; break }
        }
        if gsm {
            return septets <= 160 ? 1 : (septets + 152) / 153
        }
        let units = body.utf16.count
        return units <= 70 ? 1 : (units + 66) / 67
    }
}
