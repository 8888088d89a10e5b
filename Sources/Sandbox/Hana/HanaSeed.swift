import GatewayCore

/// The sandbox application's demo data: 340 leads and 320 opportunities with Vietnamese
/// names, numbers and notes, drawn from one fixed-seed generator. The first lead and the
/// first opportunity carry the ids and values of the seed document's samples, so its
/// sample update body works as is.
enum HanaSeed {
    static let applicationID = "dbd9a5f7-b3c4-45bb-a8eb-2b8e10bff8c2"
    static let leadCount = 340
    static let opportunityCount = 320

    /// From the seed document's update sample.
    static let sampleLeadID = "3ee8e2ea-d149-4e24-98f0-072900b0b9f3"
    static let sampleOpportunityID = "7ad14152-9be8-442d-bf0f-33c94b5db16d"
    /// From the seed document's webhook sample (`conversationUrl`).
    static let sampleChatID = "5e6f3f81da043f97f8ae0c44"

    static func conversationURL(chatID: String) -> String {
        "https://bot.hana.ai/apps/\(applicationID)/chats/\(chatID)"
    }

    static func make() -> HanaState {
        var s = HanaState(random: HanaRandom(seed: 0x4841_4E41_2020_0913))
        s.leads.append(HanaRecord(attributes: [
            "id": .string(sampleLeadID), "baseName": "Nguyễn Thị Thu Hương", "baseEmail": "thuhuong.nguyen@gmail.com",
            "basePhonenumber": "0978712200", "baseBirthday": "1994-09-13T17:00:00.000Z", "baseGender": "female",
            "baseFunnelStatus": "actived", "sourceType": "facebook", "baseSourceInput": ["Youtube", "Sendo"],
            "cf_string_ghi_chu": "Đã thanh toán hàng", "cf_number_diem_viral": 3, "cf_number_kieu_so": 1.09,
            "cf_enum_chau_luc": ["Châu Âu", "Châu Á"],
        ], chatID: sampleChatID))
        s.opportunities.append(HanaRecord(attributes: [
            "id": .string(sampleOpportunityID), "baseName": "Gói Nâng cao – Thu Hương", "leadName": "Nguyễn Thị Thu Hương",
            "leadEmail": "thuhuong.nguyen@gmail.com", "leadPhonenumber": "84978712200", "dealValue": 1_990_000,
            "cf_number_so_luong": 1, "cf_enum_san_pham": ["Gói Nâng cao"],
        ], chatID: sampleChatID, leadID: sampleLeadID))
        s.generated = 1
        while s.leads.count < leadCount { s.leads.append(newLead(&s)) }
        while s.opportunities.count < opportunityCount {
            let lead = s.leads[s.random.int(0...(s.leads.count - 1))]
            s.opportunities.append(newOpportunity(&s, lead: lead))
        }
        return s
    }

    // MARK: generators (also used for records `deliver` creates)

    static func newLead(_ s: inout HanaState) -> HanaRecord {
        var r = s.random
        defer { s.random = r }
        s.generated += 1
        let female = r.chance(55)
        let family = r.pick(families)
        let middle = r.pick(female ? femaleMiddle : maleMiddle)
        let given = r.pick(female ? femaleGiven : maleGiven)
        var a: JSONObject = ["id": .string(r.uuid()), "baseName": .string("\(family.name) \(middle) \(given.name)")]
        if r.chance(85) {
            a["baseEmail"] = .string("\(given.ascii).\(family.ascii)\(r.int(60...99))@\(r.pick(emailDomains))")
        }
        let local = r.pick(mobilePrefixes) + String((0..<7).map { _ in Character(String(r.int(0...9))) })
        switch r.int(0...99) {
        case 0..<78: a["basePhonenumber"] = .string(local)
        case 78..<92: a["basePhonenumber"] = .string("+84" + local.dropFirst())
        default: a["basePhonenumber"] = .string("84" + local.dropFirst())
        }
        if r.chance(75) {
            a["baseBirthday"] = .string(vietnamMidnight(year: r.int(1965...2004), month: r.int(1...12), day: r.int(1...28)))
        }
        if r.chance(95) { a["baseGender"] = female ? "female" : "male" }
        a["baseFunnelStatus"] = .string(r.pick(funnelStatuses))
        a["sourceType"] = .string(r.pick(sourceTypes))
        a["baseSourceInput"] = .array(r.subset(sourceInputs, count: r.int(1...3)).map { .string($0) })
        if r.chance(60) { a["cf_string_ghi_chu"] = .string(r.pick(leadNotes)) }
        if r.chance(70) { a["cf_number_diem_viral"] = .int(r.int(0...10)) }
        if r.chance(30) { a["cf_number_kieu_so"] = .double(Double(r.int(100...999)) / 100) }
        if r.chance(30) { a["cf_enum_chau_luc"] = .array(r.subset(continents, count: r.int(1...2)).map { .string($0) }) }
        if r.chance(40) {
            a["cf_date_ngay_hen"] = .string(vietnamTime(year: 2025, month: r.int(1...3), day: r.int(16...28), hour: r.int(8...17)))
        }
        return HanaRecord(attributes: a, chatID: r.hex(24))
    }

    static func newOpportunity(_ s: inout HanaState, lead: HanaRecord) -> HanaRecord {
        var r = s.random
        defer { s.random = r }
        s.generated += 1
        let product = r.pick(products)
        let quantity = r.chance(75) ? 1 : r.int(2...5)
        let leadName = lead.attributes["baseName"]?.stringValue ?? ""
        let shortName = leadName.split(separator: " ").dropFirst(2).joined(separator: " ")
        var a: JSONObject = ["id": .string(r.uuid()),
                             "baseName": .string(shortName.isEmpty ? product.name : "\(product.name) – \(shortName)"),
                             "leadName": .string(leadName)]
        if let email = lead.attributes["baseEmail"] { a["leadEmail"] = email }
        if let phone = lead.attributes["basePhonenumber"]?.stringValue {
            // The seed's sample writes it as 84xxxxxxxxx; half the seed does too.
            let local = HanaAttributes.normalizedPhone(phone)
            a["leadPhonenumber"] = .string(r.chance(50) && local.hasPrefix("0") ? "84" + local.dropFirst() : phone)
        }
        a["dealValue"] = .int(product.price * quantity)
        a["cf_number_so_luong"] = .int(quantity)
        var items = [product.name]
        if r.chance(20) { items.append(r.pick(products).name) }
        a["cf_enum_san_pham"] = .array(Array(Set(items)).sorted().map { .string($0) })
        if r.chance(50) {
            a["cf_date_ngay_chot"] = .string(vietnamTime(year: 2025, month: r.int(1...4), day: r.int(1...28), hour: r.int(9...16)))
        }
        if r.chance(40) { a["cf_string_ghi_chu_ticket"] = .string(r.pick(ticketNotes)) }
        return HanaRecord(attributes: a, chatID: lead.chatID, leadID: lead.id)
    }

    /// Midnight in Vietnam (UTC+7) as Hana stores it: `…T17:00:00.000Z` of the day before.
    static func vietnamMidnight(year: Int, month: Int, day: Int) -> String {
        vietnamTime(year: year, month: month, day: day, hour: 0)
    }

    static func vietnamTime(year: Int, month: Int, day: Int, hour: Int) -> String {
        let t = UTCTime(year: year, month: month, day: day, hour: hour)!
        return UTCTime(epochMillis: t.epochMillis - 7 * 3_600_000).rfc3339Millis
    }

    // MARK: vocabulary

    static let families: [(name: String, ascii: String)] = [
        ("Nguyễn", "nguyen"), ("Trần", "tran"), ("Lê", "le"), ("Phạm", "pham"), ("Hoàng", "hoang"),
        ("Huỳnh", "huynh"), ("Phan", "phan"), ("Vũ", "vu"), ("Võ", "vo"), ("Đặng", "dang"), ("Bùi", "bui"),
        ("Đỗ", "do"), ("Hồ", "ho"), ("Ngô", "ngo"), ("Dương", "duong"), ("Lý", "ly"),
    ]
    static let femaleMiddle = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Khánh", "Phương", "Bảo"]
    static let maleMiddle = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Gia"]
    static let femaleGiven: [(name: String, ascii: String)] = [
        ("Hương", "huong"), ("Thu Hương", "thuhuong"), ("Lan", "lan"), ("Mai", "mai"), ("My", "my"),
        ("Hà My", "hamy"), ("Trang", "trang"), ("Linh", "linh"), ("Thảo", "thao"), ("Vy", "vy"), ("Yến", "yen"),
        ("Ngân", "ngan"), ("Hạnh", "hanh"), ("Nhung", "nhung"), ("Quỳnh", "quynh"), ("Anh", "anh"), ("Hà", "ha"),
    ]
    static let maleGiven: [(name: String, ascii: String)] = [
        ("Hùng", "hung"), ("Dũng", "dung"), ("Tuấn", "tuan"), ("Nam", "nam"), ("Phong", "phong"), ("Quân", "quan"),
        ("Khoa", "khoa"), ("Long", "long"), ("Hải", "hai"), ("Sơn", "son"), ("Đạt", "dat"), ("Bảo", "bao"),
        ("Huy", "huy"), ("Thắng", "thang"), ("Trung", "trung"), ("Minh Khôi", "minhkhoi"),
    ]
    static let emailDomains = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com.vn", "outlook.com", "hotmail.com", "fpt.com.vn"]
    /// Viettel, Vinaphone, Mobifone, Vietnamobile prefixes.
    static let mobilePrefixes = ["032", "033", "034", "035", "036", "037", "038", "039", "070", "076", "077", "078",
                                 "079", "081", "082", "083", "084", "085", "086", "088", "089", "090", "091", "093",
                                 "094", "096", "097", "098"]
    /// `actived` is the seed's; the others are plausible funnel steps.
    static let funnelStatuses = ["new", "actived", "consulting", "purchased", "inactived"]
    static let sourceTypes = ["facebook", "zalo", "website", "instagram", "livechat"]
    static let sourceInputs = ["Youtube", "Sendo", "Facebook", "Zalo", "Shopee", "Tiki", "Lazada", "Website", "TikTok"]
    static let leadNotes = ["Đã thanh toán hàng", "Hẹn gọi lại sau 17h", "Khách quan tâm gói VIP", "Cần tư vấn thêm về giá",
                            "Đã gửi báo giá qua Zalo", "Khách cũ, mua lần 2", "Chưa liên lạc được", "Yêu cầu xuất hoá đơn VAT"]
    static let continents = ["Châu Á", "Châu Âu", "Châu Mỹ", "Châu Phi", "Châu Úc"]
    static let products: [(name: String, price: Int)] = [
        ("Gói Cơ bản", 490_000), ("Gói Tiêu chuẩn", 990_000), ("Gói Nâng cao", 1_990_000),
        ("Gói Doanh nghiệp", 4_990_000), ("Chatbot Facebook", 1_500_000), ("Chatbot Zalo OA", 1_200_000),
        ("Tích hợp Shopee", 800_000), ("Khoá học bán hàng online", 2_500_000),
    ]
    static let ticketNotes = ["Giao hàng trước thứ Sáu", "Khách yêu cầu demo", "Chờ duyệt hợp đồng",
                              "Đã chuyển khoản 50%", "Gia hạn gói cũ"]
}
