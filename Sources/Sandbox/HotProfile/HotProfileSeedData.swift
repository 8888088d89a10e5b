/// The tenant's registered choices (prefectures, users, departments, lead sources, tags,
/// industry and size classes) and the name tables the seed draws from. Ids of choices are
/// what the write operations check ("only the ID ... that is registered").
enum HPRef {
    /// JIS X 0401 prefecture codes: `pref_id` 1...47.
    static let prefectures = [
        "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
        "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
        "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
        "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
        "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
    ]

    static func prefecture(_ id: Int?) -> String? {
        guard let id, (1...prefectures.count).contains(id) else { return nil }
        return prefectures[id - 1]
    }

    struct User { let id: Int; let code: String; let name: String }

    /// The tenant's users (salespeople, business-card owners).
    static let users: [User] = [
        User(id: 58501, code: "masuda", name: "増田 涼"),
        User(id: 58502, code: "kimura.s", name: "木村 俊介"),
        User(id: 58503, code: "ogawa.m", name: "小川 美穂"),
        User(id: 58504, code: "tanaka.k", name: "田中 健司"),
        User(id: 58505, code: "fujii", name: "藤井 沙織"),
        User(id: 58506, code: "nishida", name: "西田 大樹"),
        User(id: 58507, code: "hirano", name: "平野 真理子"),
        User(id: 58508, code: "sugimoto", name: "杉本 翔"),
    ]

    static func user(_ id: Int?) -> User? { users.first { $0.id == id } }

    struct Department { let id: Int; let hierarchy: [String] }

    /// Departments ("organization"): the bottom layer is `organization_name`.
    static let departments: [Department] = [
        Department(id: 501, hierarchy: ["営業本部", "第一営業部"]),
        Department(id: 502, hierarchy: ["営業本部", "第二営業部"]),
        Department(id: 503, hierarchy: ["営業本部", "営業企画部"]),
        Department(id: 504, hierarchy: ["管理本部", "総務部"]),
        Department(id: 505, hierarchy: ["管理本部", "経理部"]),
        Department(id: 506, hierarchy: ["管理本部", "人事部"]),
        Department(id: 507, hierarchy: ["技術本部", "開発部"]),
        Department(id: 508, hierarchy: ["技術本部", "品質保証部"]),
        Department(id: 509, hierarchy: ["情報システム部"]),
        Department(id: 510, hierarchy: ["マーケティング部"]),
        Department(id: 511, hierarchy: ["購買部"]),
        Department(id: 512, hierarchy: ["製造本部", "生産管理部"]),
    ]

    static func department(_ id: Int?) -> Department? { departments.first { $0.id == id } }

    typealias Choice = (id: Int, name: String)

    static let leadSources: [Choice] = [(1, "展示会"), (2, "Webサイト"), (3, "セミナー"), (4, "紹介"), (5, "テレアポ"), (6, "名刺交換")]
    static let leadStatuses: [Choice] = [(1, "アクティブ"), (2, "非アクティブ")]
    static let tags: [Choice] = [(1, "重要"), (2, "展示会2024"), (3, "セミナー参加"), (4, "見込み高"), (5, "要フォロー"),
                                 (6, "既存顧客"), (7, "新規"), (8, "VIP")]
    static let products: [Choice] = [(1, "名刺管理"), (2, "SFA"), (3, "MA"), (4, "CRM連携"), (5, "営業支援")]
    static let businessCategories: [Choice] = [(1, "製造業"), (2, "情報通信業"), (3, "卸売業"), (4, "小売業"), (5, "建設業"),
                                               (6, "運輸業"), (7, "金融業"), (8, "不動産業"), (9, "サービス業"), (10, "医療・福祉")]
    static let workerNumbers: [Choice] = [(1, "1〜9名"), (2, "10〜49名"), (3, "50〜99名"), (4, "100〜299名"),
                                          (5, "300〜999名"), (6, "1000名以上")]
    static let capitals: [Choice] = [(1, "1千万円未満"), (2, "1千万〜5千万円"), (3, "5千万〜1億円"), (4, "1億〜10億円"), (5, "10億円以上")]
    static let ipos: [Choice] = [(1, "非上場"), (2, "東証プライム"), (3, "東証スタンダード"), (4, "東証グロース")]

    static func name(_ table: [Choice], _ id: Int?) -> String? { table.first { $0.id == id }?.name }
}

/// Name tables: (kanji, katakana reading, romaji for e-mail addresses and URLs).
enum HPNames {
    typealias Name = (kanji: String, kana: String, romaji: String)

    static let family: [Name] = [
        ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"), ("高橋", "タカハシ", "takahashi"), ("田中", "タナカ", "tanaka"),
        ("伊藤", "イトウ", "ito"), ("渡辺", "ワタナベ", "watanabe"), ("山本", "ヤマモト", "yamamoto"), ("中村", "ナカムラ", "nakamura"),
        ("小林", "コバヤシ", "kobayashi"), ("加藤", "カトウ", "kato"), ("吉田", "ヨシダ", "yoshida"), ("山田", "ヤマダ", "yamada"),
        ("佐々木", "ササキ", "sasaki"), ("山口", "ヤマグチ", "yamaguchi"), ("松本", "マツモト", "matsumoto"), ("井上", "イノウエ", "inoue"),
        ("木村", "キムラ", "kimura"), ("林", "ハヤシ", "hayashi"), ("斎藤", "サイトウ", "saito"), ("清水", "シミズ", "shimizu"),
        ("山崎", "ヤマザキ", "yamazaki"), ("森", "モリ", "mori"), ("池田", "イケダ", "ikeda"), ("橋本", "ハシモト", "hashimoto"),
        ("阿部", "アベ", "abe"), ("石川", "イシカワ", "ishikawa"), ("山下", "ヤマシタ", "yamashita"), ("中島", "ナカジマ", "nakajima"),
        ("石井", "イシイ", "ishii"), ("小川", "オガワ", "ogawa"), ("前田", "マエダ", "maeda"), ("岡田", "オカダ", "okada"),
        ("長谷川", "ハセガワ", "hasegawa"), ("藤田", "フジタ", "fujita"), ("後藤", "ゴトウ", "goto"), ("近藤", "コンドウ", "kondo"),
        ("村上", "ムラカミ", "murakami"), ("遠藤", "エンドウ", "endo"), ("青木", "アオキ", "aoki"), ("坂本", "サカモト", "sakamoto"),
    ]

    static let given: [Name] = [
        ("太郎", "タロウ", "taro"), ("一郎", "イチロウ", "ichiro"), ("健太", "ケンタ", "kenta"), ("翔太", "ショウタ", "shota"),
        ("大輔", "ダイスケ", "daisuke"), ("直樹", "ナオキ", "naoki"), ("拓也", "タクヤ", "takuya"), ("和也", "カズヤ", "kazuya"),
        ("誠", "マコト", "makoto"), ("浩", "ヒロシ", "hiroshi"), ("隆", "タカシ", "takashi"), ("健一", "ケンイチ", "kenichi"),
        ("雄一", "ユウイチ", "yuichi"), ("亮", "リョウ", "ryo"), ("悠斗", "ユウト", "yuto"), ("蓮", "レン", "ren"),
        ("大翔", "ヒロト", "hiroto"), ("修", "オサム", "osamu"), ("剛", "ツヨシ", "tsuyoshi"), ("英樹", "ヒデキ", "hideki"),
        ("花子", "ハナコ", "hanako"), ("陽子", "ヨウコ", "yoko"), ("恵子", "ケイコ", "keiko"), ("美咲", "ミサキ", "misaki"),
        ("愛", "アイ", "ai"), ("由美", "ユミ", "yumi"), ("直美", "ナオミ", "naomi"), ("真由美", "マユミ", "mayumi"),
        ("さくら", "サクラ", "sakura"), ("結衣", "ユイ", "yui"), ("彩", "アヤ", "aya"), ("舞", "マイ", "mai"),
        ("明美", "アケミ", "akemi"), ("智子", "トモコ", "tomoko"), ("裕子", "ユウコ", "yuko"), ("麻美", "アサミ", "asami"),
        ("千尋", "チヒロ", "chihiro"), ("香織", "カオリ", "kaori"), ("奈々", "ナナ", "nana"), ("綾香", "アヤカ", "ayaka"),
    ]

    /// Company name stems.
    static let stems: [Name] = [
        ("山田", "ヤマダ", "yamada"), ("東洋", "トウヨウ", "toyo"), ("日本", "ニホン", "nihon"), ("大和", "ヤマト", "yamato"),
        ("富士", "フジ", "fuji"), ("北斗", "ホクト", "hokuto"), ("三和", "サンワ", "sanwa"), ("共栄", "キョウエイ", "kyoei"),
        ("旭", "アサヒ", "asahi"), ("光", "ヒカリ", "hikari"), ("青葉", "アオバ", "aoba"), ("桜", "サクラ", "sakura"),
        ("千代田", "チヨダ", "chiyoda"), ("中央", "チュウオウ", "chuo"), ("関東", "カントウ", "kanto"), ("関西", "カンサイ", "kansai"),
        ("東海", "トウカイ", "tokai"), ("九州", "キュウシュウ", "kyushu"), ("北海", "ホッカイ", "hokkai"), ("瀬戸", "セト", "seto"),
        ("若葉", "ワカバ", "wakaba"), ("未来", "ミライ", "mirai"), ("新星", "シンセイ", "shinsei"), ("太陽", "タイヨウ", "taiyo"),
        ("信和", "シンワ", "shinwa"), ("協和", "キョウワ", "kyowa"), ("平和", "ヘイワ", "heiwa"), ("双葉", "フタバ", "futaba"),
        ("緑川", "ミドリカワ", "midorikawa"), ("白山", "ハクサン", "hakusan"), ("高砂", "タカサゴ", "takasago"),
    ]

    /// Company name endings and the business category (`business_category_kbn`) they imply.
    static let trades: [(name: Name, category: Int)] = [
        (("製作所", "セイサクショ", "seisakusho"), 1), (("工業", "コウギョウ", "kogyo"), 1), (("電機", "デンキ", "denki"), 1),
        (("精機", "セイキ", "seiki"), 1), (("化学", "カガク", "kagaku"), 1), (("システムズ", "システムズ", "systems"), 2),
        (("ソフトウェア", "ソフトウェア", "software"), 2), (("情報技術", "ジョウホウギジュツ", "joho"), 2), (("商事", "ショウジ", "shoji"), 3),
        (("物産", "ブッサン", "bussan"), 3), (("建設", "ケンセツ", "kensetsu"), 5), (("運輸", "ウンユ", "unyu"), 6),
        (("不動産", "フドウサン", "fudosan"), 8), (("食品", "ショクヒン", "shokuhin"), 1), (("商店", "ショウテン", "shoten"), 4),
        (("企画", "キカク", "kikaku"), 9),
    ]

    struct City {
        let prefID: Int
        let city: String
        let zip3: String
        /// Latitude and longitude in units of 1e-7 degrees.
        let lat: Int
        let lon: Int
        /// Area code; its length decides the 03-1234-5678 / 052-123-4567 split.
        let area: String
    }

    static let cities: [City] = [
        City(prefID: 13, city: "千代田区", zip3: "100", lat: 356_940_000, lon: 1_397_536_000, area: "03"),
        City(prefID: 13, city: "中央区", zip3: "104", lat: 356_707_000, lon: 1_397_720_000, area: "03"),
        City(prefID: 13, city: "港区", zip3: "105", lat: 356_581_000, lon: 1_397_516_000, area: "03"),
        City(prefID: 13, city: "新宿区", zip3: "160", lat: 356_938_000, lon: 1_397_034_000, area: "03"),
        City(prefID: 13, city: "渋谷区", zip3: "150", lat: 356_640_000, lon: 1_396_982_000, area: "03"),
        City(prefID: 13, city: "品川区", zip3: "141", lat: 356_092_000, lon: 1_397_302_000, area: "03"),
        City(prefID: 27, city: "大阪市北区", zip3: "530", lat: 347_055_000, lon: 1_354_983_000, area: "06"),
        City(prefID: 27, city: "大阪市中央区", zip3: "541", lat: 346_813_000, lon: 1_355_097_000, area: "06"),
        City(prefID: 23, city: "名古屋市中区", zip3: "460", lat: 351_681_000, lon: 1_369_069_000, area: "052"),
        City(prefID: 14, city: "横浜市西区", zip3: "220", lat: 354_660_000, lon: 1_396_223_000, area: "045"),
        City(prefID: 40, city: "福岡市博多区", zip3: "812", lat: 335_902_000, lon: 1_304_207_000, area: "092"),
        City(prefID: 1, city: "札幌市中央区", zip3: "060", lat: 430_553_000, lon: 1_413_406_000, area: "011"),
        City(prefID: 4, city: "仙台市青葉区", zip3: "980", lat: 382_682_000, lon: 1_408_694_000, area: "022"),
        City(prefID: 26, city: "京都市下京区", zip3: "600", lat: 349_875_000, lon: 1_357_594_000, area: "075"),
        City(prefID: 28, city: "神戸市中央区", zip3: "650", lat: 346_901_000, lon: 1_351_955_000, area: "078"),
        City(prefID: 34, city: "広島市中区", zip3: "730", lat: 343_853_000, lon: 1_324_553_000, area: "082"),
        City(prefID: 11, city: "さいたま市大宮区", zip3: "330", lat: 359_064_000, lon: 1_396_237_000, area: "048"),
        City(prefID: 22, city: "静岡市葵区", zip3: "420", lat: 349_756_000, lon: 1_383_828_000, area: "054"),
    ]

    static let towns = ["本町", "栄町", "中央", "東町", "西町", "南町", "北町", "新町", "錦", "桜木町", "緑町", "旭町"]
    static let buildings = ["", "", "第一ビル", "センタービル", "スクエア", "タワー", "ビジネスプラザ", "駅前ビル"]
    static let posts = ["代表取締役", "取締役", "執行役員", "部長", "営業部長", "課長", "課長代理", "係長", "主任", "リーダー", "マネージャー", "担当"]
    static let cardNotes = ["", "", "展示会で名刺交換。資料送付済み。", "次回訪問は来月予定。", "見積依頼あり。", "担当者変更の連絡あり。",
                            "セミナー後にフォロー電話。", ""]
    static let leadNotes = ["", "", "製品デモを希望。", "予算確定後に再連絡。", "競合製品と比較検討中。", "決裁者は部長。",
                            "導入時期は来期を想定。", "資料請求あり。"]
    static let directNotes = ["", "", "", "裏面に携帯番号の手書きあり", "紹介者: 営業部 佐藤", ""]
    static let leadSourceDetails = ["", "東京ビッグサイト展示会", "自社サイト問い合わせフォーム", "オンラインセミナー", "取引先からの紹介", ""]
    static let clientRanks = ["A", "B", "C"]
    static let fiscalMonths = ["3月", "6月", "9月", "12月"]
    static let timings = ["3ヶ月以内", "半年以内", "1年以内", "未定"]
    static let budgets = ["100万円未満", "100万〜500万円", "500万円以上", "未定"]
    static let salesFigures = ["", "1億円", "5億円", "12億円", "48億円", "150億円"]
}
