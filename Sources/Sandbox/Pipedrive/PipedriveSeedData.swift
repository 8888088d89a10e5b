/// Word lists the seed combines: Japanese, Vietnamese and US people and companies.
enum PDSeedData {
    enum Country: CaseIterable { case japan, vietnam, us }

    /// (romaji, kanji) family and given names.
    static let jpFamily: [(String, String)] = [
        ("Sato", "佐藤"), ("Suzuki", "鈴木"), ("Takahashi", "高橋"), ("Tanaka", "田中"), ("Watanabe", "渡辺"),
        ("Ito", "伊藤"), ("Yamamoto", "山本"), ("Nakamura", "中村"), ("Kobayashi", "小林"), ("Kato", "加藤"),
        ("Yoshida", "吉田"), ("Yamada", "山田"), ("Sasaki", "佐々木"), ("Matsumoto", "松本"), ("Inoue", "井上"),
        ("Kimura", "木村"), ("Hayashi", "林"), ("Shimizu", "清水"), ("Mori", "森"), ("Ikeda", "池田"),
    ]
    static let jpGiven: [(String, String)] = [
        ("Haruto", "陽翔"), ("Yuki", "由紀"), ("Takashi", "隆"), ("Kenji", "健二"), ("Aiko", "愛子"), ("Yui", "結衣"),
        ("Sakura", "さくら"), ("Hiroshi", "博"), ("Naoko", "直子"), ("Daisuke", "大輔"), ("Emi", "恵美"), ("Ryo", "亮"),
        ("Mai", "麻衣"), ("Shota", "翔太"), ("Misaki", "美咲"), ("Kazuya", "和也"), ("Ayumi", "あゆみ"), ("Tomoko", "智子"),
    ]
    /// (display, ascii) Vietnamese names; the full name is family + middle + given.
    static let vnFamily: [(String, String)] = [
        ("Nguyễn", "nguyen"), ("Trần", "tran"), ("Lê", "le"), ("Phạm", "pham"), ("Hoàng", "hoang"), ("Huỳnh", "huynh"),
        ("Phan", "phan"), ("Vũ", "vu"), ("Võ", "vo"), ("Đặng", "dang"), ("Bùi", "bui"), ("Đỗ", "do"),
    ]
    static let vnMiddle = ["Văn", "Thị", "Minh", "Thanh", "Quốc", "Ngọc", "Đức", "Hoàng", "Gia", "Bảo"]
    static let vnGiven: [(String, String)] = [
        ("An", "an"), ("Bình", "binh"), ("Cường", "cuong"), ("Dũng", "dung"), ("Hà", "ha"), ("Hải", "hai"),
        ("Hương", "huong"), ("Lan", "lan"), ("Linh", "linh"), ("Long", "long"), ("Mai", "mai"), ("Nam", "nam"),
        ("Phương", "phuong"), ("Quân", "quan"), ("Thảo", "thao"), ("Trang", "trang"), ("Tuấn", "tuan"), ("Vy", "vy"),
    ]
    static let usFirst = ["James", "Michael", "Robert", "Jennifer", "Linda", "Sarah", "David", "Emily", "Jessica", "Daniel",
                          "Ashley", "Matthew", "Olivia", "Ethan", "Megan", "Christopher", "Lauren", "Brian", "Rachel", "Kevin"]
    static let usLast = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
                         "Martinez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Clark", "Lewis"]

    /// (romaji, kana/kanji, ascii slug) company stems and (English, Japanese, slug) industries.
    static let jpStems: [(String, String, String)] = [
        ("Sakura", "さくら", "sakura"), ("Fujimi", "富士見", "fujimi"), ("Hikari", "ひかり", "hikari"),
        ("Midori", "みどり", "midori"), ("Aozora", "青空", "aozora"), ("Kaede", "かえで", "kaede"),
        ("Tsubasa", "翼", "tsubasa"), ("Yamabuki", "山吹", "yamabuki"), ("Asahigaoka", "旭ヶ丘", "asahigaoka"),
        ("Minato Bay", "みなとベイ", "minatobay"), ("Hoshino", "星野", "hoshino"), ("Shiokaze", "潮風", "shiokaze"),
        ("Kirameki", "きらめき", "kirameki"), ("Wakaba", "若葉", "wakaba"),
    ]
    static let jpIndustries: [(String, String, String)] = [
        ("Logistics", "物流", "logi"), ("Foods", "食品", "foods"), ("Electronics", "電子", "denshi"),
        ("Trading", "商事", "shoji"), ("Systems", "システムズ", "systems"), ("Pharma", "製薬", "pharma"),
        ("Construction", "建設", "kensetsu"), ("Robotics", "ロボティクス", "robotics"), ("Textiles", "繊維", "textile"),
        ("Marine", "海運", "kaiun"),
    ]
    static let vnStems: [(String, String)] = [
        ("Sao Mai", "saomai"), ("Hồng Hà", "hongha"), ("Phú Thịnh", "phuthinh"), ("An Khang", "ankhang"),
        ("Việt Tiến", "viettien"), ("Hòa Bình", "hoabinh"), ("Thành Công", "thanhcong"), ("Minh Phát", "minhphat"),
        ("Tân Long", "tanlong"), ("Đại Việt", "daiviet"), ("Kim Ngân", "kimngan"), ("Bình Minh", "binhminh"),
    ]
    static let vnIndustries: [(String, String)] = [
        ("Thương mại", "trading"), ("Xây dựng", "xaydung"), ("Công nghệ", "tech"), ("Vận tải", "logistics"),
        ("Thực phẩm", "food"), ("Dệt may", "textile"), ("Dược phẩm", "pharma"), ("Điện tử", "electronics"),
    ]
    static let usStems = ["Blue Ridge", "Cascade", "Golden Gate", "Summit", "Pioneer", "Redwood", "Lakeshore", "Ironwood",
                          "Northwind", "Silver Creek", "Harborview", "Prairie", "Granite Peak"]
    static let usIndustries = ["Analytics", "Logistics", "Foods", "Health", "Software", "Manufacturing", "Energy", "Consulting"]
    static let usSuffixes = ["Inc.", "LLC", "Corp."]

    /// (city, admin area, sublocality, street names, postal code prefix).
    static let jpPlaces: [(String, String, String, [String], String)] = [
        ("Tokyo", "Tokyo", "Chiyoda-ku", ["Marunouchi", "Otemachi", "Kanda-Jimbocho"], "100"),
        ("Tokyo", "Tokyo", "Minato-ku", ["Shiba-koen", "Roppongi", "Konan"], "105"),
        ("Tokyo", "Tokyo", "Shibuya-ku", ["Dogenzaka", "Ebisu", "Jingumae"], "150"),
        ("Osaka", "Osaka", "Kita-ku", ["Umeda", "Dojima", "Nakanoshima"], "530"),
        ("Nagoya", "Aichi", "Naka-ku", ["Sakae", "Marunouchi"], "460"),
        ("Fukuoka", "Fukuoka", "Hakata-ku", ["Hakata Ekimae", "Gion-machi"], "812"),
        ("Yokohama", "Kanagawa", "Nishi-ku", ["Minatomirai", "Takashima"], "220"),
    ]
    static let vnPlaces: [(String, String, String, [String], String)] = [
        ("Hà Nội", "Hà Nội", "Quận Hoàn Kiếm", ["Tràng Tiền", "Hàng Bài", "Lý Thường Kiệt"], "100000"),
        ("Hà Nội", "Hà Nội", "Quận Cầu Giấy", ["Trần Duy Hưng", "Xuân Thủy", "Duy Tân"], "100000"),
        ("Thành phố Hồ Chí Minh", "Hồ Chí Minh", "Quận 1", ["Nguyễn Huệ", "Lê Lợi", "Đồng Khởi"], "700000"),
        ("Thành phố Hồ Chí Minh", "Hồ Chí Minh", "Quận 7", ["Nguyễn Văn Linh", "Tân Trào"], "700000"),
        ("Đà Nẵng", "Đà Nẵng", "Quận Hải Châu", ["Bạch Đằng", "Trần Phú"], "550000"),
    ]
    static let usPlaces: [(String, String, String, [String], String)] = [
        ("San Francisco", "CA", "SoMa", ["Market St", "Howard St", "Mission St"], "941"),
        ("Austin", "TX", "Downtown", ["Congress Ave", "Lavaca St"], "787"),
        ("Seattle", "WA", "South Lake Union", ["Westlake Ave N", "Dexter Ave N"], "981"),
        ("New York", "NY", "Manhattan", ["Broadway", "Park Ave S", "W 34th St"], "100"),
        ("Chicago", "IL", "The Loop", ["W Madison St", "N LaSalle St"], "606"),
        ("Boston", "MA", "Back Bay", ["Boylston St", "Newbury St"], "021"),
    ]

    static let jobTitles = ["Sales Manager", "Procurement Lead", "IT Director", "CEO", "Operations Manager",
                            "Marketing Specialist", "CFO", "Account Executive", "Project Manager", "Purchasing Officer"]
    static let jobTitlesJP = ["営業部長", "購買担当", "情報システム部 課長", "代表取締役", "経営企画室"]
    static let jobTitlesVN = ["Giám đốc kinh doanh", "Trưởng phòng mua hàng", "Giám đốc CNTT", "Kế toán trưởng"]

    static let products = ["CRM licenses (50 seats)", "Annual support renewal", "Warehouse automation pilot",
                           "Data migration project", "Cloud PBX upgrade", "Security audit", "Sales training package",
                           "POS integration", "Fleet telematics rollout", "Customer portal build"]
    static let lostReasons = ["Price too high", "Chose a competitor", "No budget this fiscal year", "Project postponed",
                              "No response from client", "Requirements not met"]
    static let industriesEN = ["Logistics", "Food & Beverage", "Electronics", "Trading", "Software", "Pharmaceuticals",
                               "Construction", "Manufacturing", "Textiles", "Energy"]
    static let noteTemplates = [
        "<p>Call with {name}: interested in {product}. Send a proposal by Friday.</p>",
        "<p>{name} asked for a revised quote; budget approval expected next month.</p>",
        "<p>Demo went well. {name} will loop in the IT team.</p>",
        "<p>Met {name} at the trade show; follow up about {product}.</p>",
        "<p>Contract draft sent to {name}. Legal review in progress.</p>",
        "<p>{name}: prefers email, avoid calls before 10:00 local time.</p>",
        "<p>打ち合わせ: {name}様より{product}の見積もり依頼あり。</p>",
        "<p>Đã gọi cho {name}: cần báo giá {product} trước cuối tháng.</p>",
    ]
    static let activitySubjects: [String: [String]] = [
        "call": ["Follow-up call", "Intro call", "Pricing call"],
        "meeting": ["Product demo", "Quarterly business review", "On-site visit"],
        "task": ["Prepare proposal", "Update contract draft", "Send case studies"],
        "deadline": ["Proposal deadline", "Budget approval deadline"],
        "email": ["Send recap email", "Email pricing sheet"],
        "lunch": ["Lunch with decision makers", "Team lunch"],
    ]
}
