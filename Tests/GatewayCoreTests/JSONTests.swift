import Testing
@testable import GatewayCore

/// A document the parser must accept, and the value it must make of it.
struct ValidJSONCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var value: JSON

    init(_ name: String, _ text: String, _ value: JSON) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.value = value
    }

    init(_ name: String, bytes: [UInt8], _ value: JSON) {
        self.name = name
        self.bytes = bytes
        self.value = value
    }

    var testDescription: String { name }
}

/// A document the parser must reject: why, and where (byte offset).
struct InvalidJSONCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var reason: String
    var offset: Int

    init(_ name: String, _ text: String, _ reason: String, at offset: Int) {
        self.name = name
        self.bytes = Array(text.utf8)
        self.reason = reason
        self.offset = offset
    }

    init(_ name: String, bytes: [UInt8], _ reason: String, at offset: Int) {
        self.name = name
        self.bytes = bytes
        self.reason = reason
        self.offset = offset
    }

    var testDescription: String { name }
}

private func nested(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
}

let validJSONCases: [ValidJSONCase] = [
    // Literals and numbers.
    ValidJSONCase("null", "null", .null),
    ValidJSONCase("true", "true", .bool(true)),
    ValidJSONCase("false", "false", .bool(false)),
    ValidJSONCase("zero", "0", .int(0)),
    ValidJSONCase("negative zero is the integer 0", "-0", .int(0)),
    ValidJSONCase("integer", "1234567890", .int(1_234_567_890)),
    ValidJSONCase("negative integer", "-42", .int(-42)),
    ValidJSONCase("Int.max stays an integer", "9223372036854775807", .int(Int.max)),
    ValidJSONCase("Int.min stays an integer", "-9223372036854775808", .int(Int.min)),
    ValidJSONCase("beyond Int becomes a double", "9223372036854775808", .double(9_223_372_036_854_775_808)),
    ValidJSONCase("fraction", "1.5", .double(1.5)),
    ValidJSONCase("a fraction of zero is still a double", "1.0", .double(1.0)),
    ValidJSONCase("exponent makes a double", "1e3", .double(1000)),
    ValidJSONCase("capital E and plus", "1E+2", .double(100)),
    ValidJSONCase("negative fraction and exponent", "-2.5e-3", .double(-0.0025)),
    ValidJSONCase("zero with fraction", "0.09", .double(0.09)),
    ValidJSONCase("underflow is zero", "1e-400", .double(0)),
    // Strings.
    ValidJSONCase("empty string", #""""#, ""),
    ValidJSONCase("every short escape", #""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
    ValidJSONCase("unicode escape, lowercase hex", #""\u00e9""#, "é"),
    ValidJSONCase("unicode escapes, uppercase hex", #""\u0041\u00DF\u4E2D""#, "Aß中"),
    ValidJSONCase("escaped NUL", #""a\u0000b""#, "a\u{0}b"),
    ValidJSONCase("surrogate pair", #""\ud83d\ude00""#, "😀"),
    ValidJSONCase("surrogate pair, uppercase", #""x\uD834\uDD1Ey""#, "x𝄞y"),
    ValidJSONCase("raw UTF-8", #""Nguyễn Thị Thu Hương 😀""#, "Nguyễn Thị Thu Hương 😀"),
    ValidJSONCase("DEL is not a control character", "\"\u{7F}\"", "\u{7F}"),
    ValidJSONCase("escaped line separator", #""\u2028""#, "\u{2028}"),
    // Structure.
    ValidJSONCase("empty array", "[]", []),
    ValidJSONCase("empty object", "{}", .object(JSONObject())),
    ValidJSONCase("whitespace everywhere", " \t\n\r[ 1 , { \"a\" : [ ] } ]\r\n ", [1, ["a": []]]),
    ValidJSONCase("mixed array", #"[null,true,false,0,-1.5,"s",[],{}]"#, [nil, true, false, 0, -1.5, "s", [], .object(JSONObject())]),
    ValidJSONCase("nested object", #"{"lead":{"id":"x","tags":["a","b"],"score":3}}"#,
                  ["lead": ["id": "x", "tags": ["a", "b"], "score": 3]]),
    ValidJSONCase("duplicate keys: the last wins", #"{"a":1,"a":2}"#, ["a": 2]),
    ValidJSONCase("escaped key", #"{"\u0061\n":1}"#, ["a\n": 1]),
    ValidJSONCase("UTF-8 byte order mark is skipped", bytes: [0xEF, 0xBB, 0xBF] + Array("[1]".utf8), [1]),
    ValidJSONCase("64 levels (the default limit)", nested(64),
                  (1..<64).reduce(JSON.array([])) { inner, _ in .array([inner]) }),
]

let invalidJSONCases: [InvalidJSONCase] = [
    // Empty and truncated input.
    InvalidJSONCase("empty input", "", "unexpected end", at: 0),
    InvalidJSONCase("only whitespace", " \n ", "unexpected end", at: 3),
    InvalidJSONCase("only a byte order mark", bytes: [0xEF, 0xBB, 0xBF], "unexpected end", at: 3),
    InvalidJSONCase("unclosed array", "[", "unexpected end", at: 1),
    InvalidJSONCase("unclosed array after a value", "[1", "unexpected end", at: 2),
    InvalidJSONCase("unclosed object", "{", "expected a key", at: 1),
    InvalidJSONCase("object without a value", #"{"a":"#, "unexpected end", at: 5),
    InvalidJSONCase("unterminated string", #""abc"#, "unterminated string", at: 4),
    InvalidJSONCase("backslash at the end", #""abc\"#, "unterminated string", at: 5),
    InvalidJSONCase("truncated literal", "tru", "unexpected end", at: 0),
    // Trailing commas and garbage.
    InvalidJSONCase("trailing comma in an array", "[1,]", "unexpected character", at: 3),
    InvalidJSONCase("trailing comma in an object", #"{"a":1,}"#, "expected a key", at: 7),
    InvalidJSONCase("leading comma", "[,1]", "unexpected character", at: 1),
    InvalidJSONCase("two values", "1 2", "trailing characters", at: 2),
    InvalidJSONCase("garbage after an array", "[] x", "trailing characters", at: 3),
    InvalidJSONCase("garbage after a literal", "nullx", "trailing characters", at: 4),
    InvalidJSONCase("missing comma", "[1 2]", "expected ',' or ']'", at: 3),
    InvalidJSONCase("missing colon", #"{"a" 1}"#, "expected ':'", at: 5),
    InvalidJSONCase("number as a key", "{1:2}", "expected a key", at: 1),
    InvalidJSONCase("single quotes", "'a'", "unexpected character", at: 0),
    InvalidJSONCase("comment", "/* */ 1", "unexpected character", at: 0),
    InvalidJSONCase("misspelt literal", "trux", "invalid literal", at: 0),
    InvalidJSONCase("capitalised literal", "True", "unexpected character", at: 0),
    // Numbers.
    InvalidJSONCase("leading zero", "01", "trailing characters", at: 1),
    InvalidJSONCase("double zero", "00", "trailing characters", at: 1),
    InvalidJSONCase("negative leading zero", "-01", "trailing characters", at: 2),
    InvalidJSONCase("leading zero in an array", "[01]", "expected ',' or ']'", at: 2),
    InvalidJSONCase("plus sign", "+1", "unexpected character", at: 0),
    InvalidJSONCase("bare minus", "-", "unexpected end", at: 1),
    InvalidJSONCase("minus without digits", "-a", "invalid number", at: 1),
    InvalidJSONCase("leading dot", ".5", "unexpected character", at: 0),
    InvalidJSONCase("trailing dot", "1.", "invalid number", at: 2),
    InvalidJSONCase("dot without digits", "1.e3", "invalid number", at: 2),
    InvalidJSONCase("empty exponent", "1e", "invalid number", at: 2),
    InvalidJSONCase("exponent sign only", "1e+", "invalid number", at: 3),
    InvalidJSONCase("hex", "0x10", "trailing characters", at: 1),
    InvalidJSONCase("NaN", "NaN", "unexpected character", at: 0),
    InvalidJSONCase("Infinity", "-Infinity", "invalid number", at: 1),
    InvalidJSONCase("overflowing double", "1e400", "number out of range", at: 0),
    InvalidJSONCase("overflowing double in an array", "[0, -1e400]", "number out of range", at: 4),
    // Strings: control characters, escapes, surrogates, UTF-8.
    InvalidJSONCase("raw newline in a string", "\"a\nb\"", "control character in string", at: 2),
    InvalidJSONCase("raw tab in a string", "\"a\tb\"", "control character in string", at: 2),
    InvalidJSONCase("raw NUL in a string", "\"\u{0}\"", "control character in string", at: 1),
    InvalidJSONCase("raw 0x1F in a key", "{\"\u{1F}\":1}", "control character in string", at: 2),
    InvalidJSONCase("unknown escape", #""\x""#, "invalid escape", at: 2),
    InvalidJSONCase("escaped single quote", #""\'""#, "invalid escape", at: 2),
    InvalidJSONCase("capital U escape", #""\U0041""#, "invalid escape", at: 2),
    InvalidJSONCase("non-hex digit in \\u", #""\u12G4""#, "invalid \\u escape", at: 2),
    InvalidJSONCase("short \\u at the end", #""\u12""#, "unexpected end", at: 2),
    InvalidJSONCase("lone high surrogate", #""\ud800""#, "lone surrogate", at: 6),
    InvalidJSONCase("lone high surrogate before text", #""\ud800abc""#, "lone surrogate", at: 6),
    InvalidJSONCase("lone low surrogate", #""\udc00""#, "lone surrogate", at: 6),
    InvalidJSONCase("high surrogate then a non-surrogate", #""\ud800\u0041""#, "invalid surrogate pair", at: 12),
    InvalidJSONCase("two high surrogates", #""\ud800\ud800""#, "invalid surrogate pair", at: 12),
    InvalidJSONCase("high surrogate then a short escape", #""\ud800\n""#, "lone surrogate", at: 6),
    InvalidJSONCase("invalid UTF-8 byte", bytes: [0x22, 0xFF, 0x22], "invalid UTF-8 in string", at: 3),
    InvalidJSONCase("truncated UTF-8 sequence", bytes: [0x22, 0xE1, 0xBB, 0x22], "invalid UTF-8 in string", at: 4),
    InvalidJSONCase("overlong UTF-8", bytes: [0x22, 0xC0, 0xAF, 0x22], "invalid UTF-8 in string", at: 4),
    InvalidJSONCase("UTF-8 encoded surrogate", bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8 in string", at: 5),
    // Nesting.
    InvalidJSONCase("65 levels of arrays", nested(65), "nesting deeper than 64", at: 64),
    InvalidJSONCase("65 levels of objects", String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65),
                    "nesting deeper than 64", at: 5 * 64),
]

@Suite("JSON")
struct JSONTests {
    @Test(arguments: validJSONCases)
    func parsesValidDocument(_ c: ValidJSONCase) throws {
        let v = try JSON.parse(c.bytes)
        #expect(v == c.value)
    }

    @Test(arguments: invalidJSONCases)
    func rejectsInvalidDocument(_ c: InvalidJSONCase) {
        #expect(throws: JSONParseError(offset: c.offset, reason: c.reason)) { try JSON.parse(c.bytes) }
    }

    /// Serialising what was parsed and parsing it again gives the same value, and the second
    /// serialisation is byte-identical to the first (a fixed point).
    @Test(arguments: validJSONCases)
    func serialisationIsAFixedPoint(_ c: ValidJSONCase) throws {
        let once = try JSON.parse(c.bytes).serialized()
        let again = try JSON.parse(once)
        #expect(again.serialized() == once)
        if case .double(let d) = c.value, d.rounded() == d, abs(d) < 1e15 {
            // Integral doubles are written without a fraction and come back as integers.
            #expect(again == .int(Int(d)) || again == c.value)
        } else {
            #expect(again == c.value)
        }
    }

    // MARK: serialisation

    @Test(arguments: [
        (JSON.null, "null"), (true, "true"), (false, "false"),
        (0, "0"), (-7, "-7"), (.int(Int.max), "9223372036854775807"), (.int(Int.min), "-9223372036854775808"),
        (1.5, "1.5"), (0.1, "0.1"), (-0.0025, "-0.0025"), (1.09, "1.09"),
        (1.0, "1"), (-0.0, "0"), (123_456_789_012_345.0, "123456789012345"),
        (1e15, "1000000000000000.0"), (1e16, "1e+16"), (1e-7, "1e-07"), (.double(.nan), "null"), (.double(.infinity), "null"),
        ("", #""""#), ("Nguyễn 😀 /", #""Nguyễn 😀 /""#),
        ("q\"b\\s\n\r\t", #""q\"b\\s\n\r\t""#),
        ("\u{0}\u{8}\u{C}\u{1F}\u{7F}", #""\u0000\u0008\u000c\u001f"# + "\u{7F}\""),
        ([], "[]"), (.object(JSONObject()), "{}"),
        ([1, "a", nil, [true]], #"[1,"a",null,[true]]"#),
        (["z": 1, "a": ["y": [], "b": 2]], #"{"z":1,"a":{"y":[],"b":2}}"#),
        (["k\"ey": "v"], #"{"k\"ey":"v"}"#),
    ] as [(JSON, String)])
    func serialises(_ value: JSON, _ text: String) {
        #expect(value.text == text)
        #expect(value.serialized() == Array(text.utf8))
    }

    @Test func compactDocumentsRoundTripByteForByte() throws {
        let docs = [
            #"{"application":{"id":"dbd9a5f7-b3c4-45bb-a8eb-2b8e10bff8c2"},"lead":{"baseName":{"nomalizeData":"Thu Hương","rawData":"Thu Hương"}}}"#,
            #"[1,-2,3.25,"\u0001",true,null,{"b":[],"a":{}}]"#,
            #"{"z":0,"y":1,"x":2,"w":3,"v":4}"#,
        ]
        for d in docs {
            #expect(try JSON.parse(d).text == d)
        }
    }

    // MARK: key order and equality

    @Test func parsingKeepsKeyOrder() throws {
        let v = try JSON.parse(#"{"zeta":1,"alpha":2,"mid":{"b":1,"a":2}}"#)
        #expect(v.objectValue?.keys == ["zeta", "alpha", "mid"])
        #expect(v["mid"]?.objectValue?.keys == ["b", "a"])
    }

    @Test func duplicateKeyKeepsItsFirstPosition() throws {
        let v = try JSON.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(v.objectValue?.keys == ["a", "b"])
        #expect(v["a"] == 3)
        #expect(v.text == #"{"a":3,"b":2}"#)
    }

    @Test func settingKeepsPositionAndNilRemoves() {
        var o: JSONObject = ["a": 1, "b": 2, "c": 3]
        o["b"] = "two"
        #expect(o.keys == ["a", "b", "c"])
        o["a"] = nil
        #expect(o.keys == ["b", "c"])
        o["d"] = 4
        #expect(o.keys == ["b", "c", "d"])
        o["missing"] = nil
        #expect(o.count == 3)
        var j: JSON = ["x": 1]
        j["y"] = 2
        j["x"] = nil
        #expect(j.text == #"{"y":2}"#)
        var notObject: JSON = [1]
        notObject["x"] = 1
        #expect(notObject == [1])
    }

    @Test func objectEqualityIgnoresOrder() {
        let a: JSON = ["a": 1, "b": ["c": [1, 2], "d": nil]]
        let b: JSON = ["b": ["d": nil, "c": [1, 2]], "a": 1]
        #expect(a == b)
        #expect(a.text != b.text)
    }

    @Test func objectEqualityComparesEverything() {
        let pairs: [(JSON, JSON)] = [
            (["a": 1], ["a": 1, "b": 2]),
            (["a": 1, "b": 2], ["a": 1]),
            (["a": 1], ["a": 2]),
            (["a": 1], ["b": 1]),
            (["a": nil], ["b": nil]),
            (["a": nil], [:]),
            (["a": [1, 2]], ["a": [2, 1]]),
            (["a": 1], ["a": 1.5]),
        ]
        for (x, y) in pairs {
            #expect(x != y, "\(x.text) vs \(y.text)")
        }
    }

    @Test func intAndDoubleAreDistinct() throws {
        #expect(try JSON.parse("1") == .int(1))
        #expect(try JSON.parse("1.0") == .double(1))
        #expect(JSON.int(1) != JSON.double(1))
        #expect(JSON.double(3).intValue == 3)
        #expect(JSON.double(3.5).intValue == nil)
        #expect(JSON.double(1e16).intValue == nil)
        #expect(JSON.int(3).doubleValue == 3)
        #expect(JSON.string("3").intValue == nil)
    }

    // MARK: accessors and limits

    @Test func accessors() throws {
        let v = try JSON.parse(#"{"s":"x","n":2,"b":false,"a":[1],"o":{},"z":null}"#)
        #expect(v["s"]?.stringValue == "x")
        #expect(v["n"]?.intValue == 2)
        #expect(v["b"]?.boolValue == false)
        #expect(v["a"]?[0] == 1)
        #expect(v["a"]?[1] == nil)
        #expect(v["a"]?[-1] == nil)
        #expect(v["o"]?.objectValue?.isEmpty == true)
        #expect(v["z"]?.isNull == true)
        #expect(v["missing"] == nil)
        #expect(v["s"]?["x"] == nil)
        #expect(JSON(String?.none) == .null)
        #expect(JSON(Int?.some(4)) == .int(4))
    }

    @Test func customDepthLimit() throws {
        #expect(try JSON.parse(Array("[[1]]".utf8), maxDepth: 2) == [[1]])
        #expect(throws: JSONParseError(offset: 2, reason: "nesting deeper than 2")) {
            try JSON.parse(Array("[[[1]]]".utf8), maxDepth: 2)
        }
        #expect(throws: JSONParseError(offset: 0, reason: "nesting deeper than 0")) {
            try JSON.parse(Array("{}".utf8), maxDepth: 0)
        }
        #expect(try JSON.parse(Array("7".utf8), maxDepth: 0) == 7)
    }

    @Test func siblingsDoNotAddDepth() throws {
        let wide = "[" + Array(repeating: nested(63), count: 50).joined(separator: ",") + "]"
        let v = try JSON.parse(wide)
        #expect(v.arrayValue?.count == 50)
    }

    @Test func errorDescriptionNamesOffsetAndReason() {
        #expect(JSONParseError(offset: 3, reason: "unexpected character").description == "invalid JSON at byte 3: unexpected character")
    }
}
