import Testing
@testable import GatewayCore

@Suite("Request ids")
struct RequestIDGeneratorTests {
    private func parts(_ id: String) -> (prefix: Substring, counter: Substring)? {
        let p = id.split(separator: "-", omittingEmptySubsequences: false)
        return p.count == 2 ? (p[0], p[1]) : nil
    }

    @Test func idsAreAPrefixOfSevenBase36CharactersAndACounterInBase36() {
        var g = RequestIDGenerator()
        var ids: [String] = []
        for _ in 0..<1_300 { ids.append(g.next()) }
        let prefix = parts(ids[0])!.prefix
        #expect(prefix.count == 7)
        #expect(prefix.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) })
        for id in ids { #expect(parts(id)?.prefix == prefix) }
        // 1, 2, ..., 9, a, ..., z, 10, ..., zz, 100 (36^2 + 1 = 1,297th)
        #expect(parts(ids[0])!.counter == "1")
        #expect(parts(ids[8])!.counter == "9")
        #expect(parts(ids[9])!.counter == "a")
        #expect(parts(ids[34])!.counter == "z")
        #expect(parts(ids[35])!.counter == "10")
        #expect(parts(ids[1_294])!.counter == "zz")
        #expect(parts(ids[1_295])!.counter == "100")
        #expect(Set(ids).count == ids.count)
    }

    @Test func idsFitSwiftsInlineStringForTheFirst36To7Requests() {
        var g = RequestIDGenerator()
        let id = g.next()
        // 7 + "-" + at most 7 base-36 digits: 15 bytes, the inline (allocation-free) limit.
        #expect(id.utf8.count == 9)
        #expect(7 + 1 + String(UInt64(78_364_164_095), radix: 36).count == 15)
    }

    @Test func twoGeneratorsDrawDifferentPrefixes() {
        var a = RequestIDGenerator(), b = RequestIDGenerator()
        // 36 random bits each: equal once in 7.8e10.
        #expect(parts(a.next())!.prefix != parts(b.next())!.prefix)
    }
}
