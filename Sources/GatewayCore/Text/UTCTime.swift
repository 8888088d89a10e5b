#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time for the emulators' timestamps, injected so tests can pin it.
public protocol WallClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMillis() -> Int64
}

public struct SystemWallClock: WallClock {
    public init() {}
    public func nowMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// A fixed, advanceable wall clock for tests.
public final class ManualWallClock: WallClock, @unchecked Sendable {
    private var millis: Int64
    public init(millis: Int64) { self.millis = millis }
    public func nowMillis() -> Int64 { millis }
    public func advance(millis delta: Int64) { millis += delta }
}

/// A UTC calendar time with the formats the upstreams use.
public struct UTCTime: Sendable, Equatable, Comparable {
    public var epochMillis: Int64

    public init(epochMillis: Int64) { self.epochMillis = epochMillis }
    public init(epochSeconds: Int64) { self.epochMillis = epochSeconds * 1000 }

    public static func < (a: UTCTime, b: UTCTime) -> Bool { a.epochMillis < b.epochMillis }

    public var epochSeconds: Int64 { epochMillis >= 0 ? epochMillis / 1000 : (epochMillis - 999) / 1000 }

    public var parts: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millis: Int) {
        var t = time_t(epochSeconds)
        var tm = tm()
        gmtime_r(&t, &tm)
        let ms = Int(epochMillis - epochSeconds * 1000)
        return (Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), ms)
    }

    public static func pad(_ v: Int, _ width: Int = 2) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `2024-01-01T00:00:00Z` (Pipedrive v2, Text Request).
    public var rfc3339: String {
        let p = parts
        return "\(p.year)-\(Self.pad(p.month))-\(Self.pad(p.day))T\(Self.pad(p.hour)):\(Self.pad(p.minute)):\(Self.pad(p.second))Z"
    }

    /// `2024-01-01T00:00:00.000Z` (Hana, Pipedrive webhooks v2).
    public var rfc3339Millis: String {
        let p = parts
        return "\(p.year)-\(Self.pad(p.month))-\(Self.pad(p.day))T\(Self.pad(p.hour)):\(Self.pad(p.minute)):\(Self.pad(p.second)).\(Self.pad(p.millis, 3))Z"
    }

    /// `2024-01-01 00:00:00` (Pipedrive v1).
    public var sqlDateTime: String {
        let p = parts
        return "\(p.year)-\(Self.pad(p.month))-\(Self.pad(p.day)) \(Self.pad(p.hour)):\(Self.pad(p.minute)):\(Self.pad(p.second))"
    }

    /// `2024-01-01`.
    public var isoDate: String {
        let p = parts
        return "\(p.year)-\(Self.pad(p.month))-\(Self.pad(p.day))"
    }

    /// `2018/10/19 17:54:06` (HotProfile; its sample values are JST, see the emulator's notes).
    public var slashDateTime: String {
        let p = parts
        return "\(p.year)/\(Self.pad(p.month))/\(Self.pad(p.day)) \(Self.pad(p.hour)):\(Self.pad(p.minute)):\(Self.pad(p.second))"
    }

    /// `2018/10/22`.
    public var slashDate: String {
        let p = parts
        return "\(p.year)/\(Self.pad(p.month))/\(Self.pad(p.day))"
    }

    /// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millis: Int = 0) {
        guard (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
              (0...59).contains(minute), (0...60).contains(second), (0...999).contains(millis) else { return nil }
        let monthDays = [31, (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= monthDays[month - 1] else { return nil }
        let days = Int64(Self.daysFromCivil(year, month, day))
        epochMillis = ((days * 86400) + Int64(hour * 3600 + minute * 60 + second)) * 1000 + Int64(millis)
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` and `YYYY-MM-DD HH:MM:SS`
    /// (also with `/` as the date separator). Nil for anything else.
    public init?(parsing text: String) {
        let b = Array(text.utf8)
        func num(_ r: Range<Int>) -> Int? {
            guard r.upperBound <= b.count else { return nil }
            var v = 0
            for i in r { guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }; v = v * 10 + Int(b[i] - 0x30) }
            return v
        }
        guard b.count >= 10, let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10),
              b[4] == b[7], b[4] == UInt8(ascii: "-") || b[4] == UInt8(ascii: "/") else { return nil }
        if b.count == 10 {
            self.init(year: y, month: mo, day: d)
            return
        }
        guard b.count >= 19, b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
              let h = num(11..<13), let mi = num(14..<16), let s = num(17..<19),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        var i = 19
        var ms = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
                if digits < 3 { ms = ms * 10 + Int(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            if digits < 3 { for _ in digits..<3 { ms *= 10 } }
        }
        var offsetSeconds = 0
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") && i + 1 == b.count {
                i += 1
            } else if (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) && i + 6 == b.count,
                      let oh = num(i + 1..<i + 3), let om = num(i + 4..<i + 6), b[i + 3] == UInt8(ascii: ":") {
                offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
                i += 6
            } else {
                return nil
            }
        } else if b[10] == UInt8(ascii: "T") {
            return nil  // RFC 3339 needs a zone
        }
        guard var t = UTCTime(year: y, month: mo, day: d, hour: h, minute: mi, second: s, millis: ms) else { return nil }
        t.epochMillis -= Int64(offsetSeconds) * 1000
        self = t
    }
}
