

/// `application/x-www-form-urlencoded` (and query strings), the way Rails-style APIs read
/// them: `+` is a space, `%XX` escapes, and bracketed keys (`page[number]=2`,
/// `search[client][name_kana]=x`) nest into objects.
public enum FormEncoding {
    /// Name/value pairs in order; nil if an escape is malformed or the text is not UTF-8.
    public static func pairs(_ text: Substring) -> [(String, String)]? {
        var out: [(String, String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = decode(kv[0]) else { return nil }
            let v = kv.count > 1 ? decode(kv[1]) : ""
            guard let v else { return nil }
            out.append((k, v))
        }
        return out
    }

    public static func pairs(_ text: String) -> [(String, String)]? { pairs(Substring(text)) }

    static func decode(_ s: Substring) -> String? { percentDecoded(s, plusIsSpace: true) }

    /// Decodes %XX escapes (and `+` as a space in form data, not in paths); nil for a
    /// malformed escape or invalid UTF-8.
    public static func percentDecoded(_ s: Substring, plusIsSpace: Bool) -> String? {
        if !s.utf8.contains(UInt8(ascii: "%")) && !(plusIsSpace && s.utf8.contains(UInt8(ascii: "+"))) { return String(s) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        while let c = it.next() {
            if plusIsSpace && c == UInt8(ascii: "+") { bytes.append(0x20) }
            else if c == UInt8(ascii: "%") {
                guard let h = it.next().flatMap(hex), let l = it.next().flatMap(hex) else { return nil }
                bytes.append(h << 4 | l)
            } else { bytes.append(c) }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Percent-encodes a component (RFC 3986 unreserved characters stay, and any in `keeping`).
    public static func encode(_ s: String, keeping: String = "") -> String {
        let kept = Array(keeping.utf8)
        var out = ""
        for b in s.utf8 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case _ where kept.contains(b):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let h = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [h[Int(b >> 4)], h[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// Nests bracketed keys into a JSON object of strings (`a[b][c]=v` -> {"a":{"b":{"c":"v"}}};
    /// `ids[]=1&ids[]=2` -> {"ids":["1","2"]}). A later plain value replaces an earlier one.
    public static func nested(_ pairs: [(String, String)]) -> JSON {
        var root: JSON = .object(JSONObject())
        for (key, value) in pairs {
            var path: [String] = []
            if let open = key.firstIndex(of: "["), key.hasSuffix("]") {
                path.append(String(key[..<open]))
                let inner = key[key.index(after: open)..<key.index(before: key.endIndex)]
                path += inner.split(separator: "][", omittingEmptySubsequences: false).map(String.init)
            } else {
                path = [key]
            }
            insert(&root, path[...], value)
        }
        return root
    }

    private static func insert(_ node: inout JSON, _ path: ArraySlice<String>, _ value: String) {
        guard let head = path.first else { return }
        let rest = path.dropFirst()
        if head.isEmpty {  // `key[]`: append
            var arr = node.arrayValue ?? []
            arr.append(.string(value))
            node = .array(arr)
            return
        }
        var obj = node.objectValue ?? JSONObject()
        if rest.isEmpty {
            obj[head] = .string(value)
        } else {
            var child = obj[head] ?? (rest.first == "" ? .array([]) : .object(JSONObject()))
            insert(&child, rest, value)
            obj[head] = child
        }
        node = .object(obj)
    }
}
