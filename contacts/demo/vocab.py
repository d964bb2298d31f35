"""Word lists for the demo data: Japanese B2B companies, people and touches.

Every list is plain data. Romanised forms feed company domains and email
addresses, so within a list they are ASCII, lowercase and free of spaces.
"""

# (kanji/katakana, romaji) - company name stems.
COMPANY_STEMS = [
    ("大和", "yamato"), ("富士", "fuji"), ("東洋", "toyo"), ("日本", "nihon"), ("三和", "sanwa"),
    ("北斗", "hokuto"), ("光", "hikari"), ("新星", "shinsei"), ("朝日", "asahi"), ("青葉", "aoba"),
    ("若葉", "wakaba"), ("桜", "sakura"), ("松風", "matsukaze"), ("高砂", "takasago"), ("平和", "heiwa"),
    ("中央", "chuo"), ("協和", "kyowa"), ("昭和", "showa"), ("大成", "taisei"), ("共栄", "kyoei"),
    ("丸山", "maruyama"), ("森田", "morita"), ("岡本", "okamoto"), ("北陸", "hokuriku"), ("瀬戸", "seto"),
    ("千代田", "chiyoda"), ("港", "minato"), ("白鷺", "shirasagi"), ("鳳", "otori"), ("明星", "myojo"),
    ("双葉", "futaba"), ("栄光", "eiko"), ("三光", "sanko"), ("信和", "shinwa"), ("泰平", "taihei"),
    ("日進", "nisshin"), ("東邦", "toho"), ("大洋", "taiyo"), ("晴海", "harumi"), ("日の出", "hinode"),
    ("飛鳥", "asuka"), ("雅", "miyabi"), ("匠", "takumi"), ("アオイ", "aoi"), ("ミライ", "mirai"),
    ("ネクスト", "next"), ("アルファ", "alpha"), ("グローバル", "global"), ("サンライズ", "sunrise"),
    ("フロンティア", "frontier"), ("ユニバーサル", "universal"), ("パシフィック", "pacific"),
    ("シグマ", "sigma"), ("アクシス", "axis"), ("オリオン", "orion"), ("ステラ", "stella"),
    ("エムケイ", "mk"), ("ティーエス", "ts"), ("山王", "sanno"), ("清流", "seiryu"),
]

# Optional place prefix of a company name: (kanji, romaji, region).
NAME_PLACES = [
    ("", "", None), ("東京", "tokyo", "関東"), ("大阪", "osaka", "関西"), ("名古屋", "nagoya", "中部"),
    ("横浜", "yokohama", "関東"), ("京都", "kyoto", "関西"), ("神戸", "kobe", "関西"),
    ("福岡", "fukuoka", "九州"), ("札幌", "sapporo", "北海道"), ("仙台", "sendai", "東北"),
    ("広島", "hiroshima", "中国"), ("関西", "kansai", "関西"), ("九州", "kyushu", "九州"),
    ("東海", "tokai", "中部"), ("湘南", "shonan", "関東"), ("四国", "shikoku", "四国"),
]

# industry -> [(word, romaji)]: the word that ends a company name in that industry.
INDUSTRIES = {
    "製造業": [("工業", "kogyo"), ("製作所", "seisakusho"), ("精機", "seiki"), ("電機", "denki"),
              ("化学", "kagaku"), ("金属", "kinzoku")],
    "IT・ソフトウェア": [("システムズ", "systems"), ("ソリューションズ", "solutions"), ("テクノロジー", "technology"),
                   ("ソフト", "soft"), ("データ", "data"), ("デジタル", "digital")],
    "商社": [("商事", "shoji"), ("物産", "bussan"), ("トレーディング", "trading"), ("通商", "tsusho")],
    "建設": [("建設", "kensetsu"), ("工務店", "komuten"), ("組", "gumi"), ("土木", "doboku")],
    "医療・ヘルスケア": [("メディカル", "medical"), ("ヘルスケア", "healthcare"), ("医療器", "iryoki"),
                 ("ファーマ", "pharma")],
    "小売": [("ストア", "store"), ("リテール", "retail"), ("商店", "shoten"), ("マート", "mart")],
    "物流": [("運輸", "unyu"), ("ロジスティクス", "logistics"), ("倉庫", "soko"), ("エクスプレス", "express")],
    "金融": [("ファイナンス", "finance"), ("キャピタル", "capital"), ("証券", "shoken"), ("リース", "lease")],
    "教育": [("教育", "kyoiku"), ("ラーニング", "learning"), ("アカデミー", "academy"), ("学院", "gakuin")],
    "不動産": [("不動産", "fudosan"), ("地所", "jisho"), ("エステート", "estate"), ("ホーム", "home")],
    "食品": [("食品", "shokuhin"), ("フーズ", "foods"), ("製菓", "seika")],
}
# Relative frequency of industries among the demo companies.
INDUSTRY_WEIGHTS = {
    "製造業": 22, "IT・ソフトウェア": 18, "商社": 9, "建設": 8, "医療・ヘルスケア": 7, "小売": 8,
    "物流": 7, "金融": 6, "教育": 4, "不動産": 5, "食品": 6,
}

REGIONS = ["関東", "関西", "中部", "九州", "北海道", "東北", "中国", "四国"]
REGION_WEIGHTS = [45, 20, 13, 8, 4, 4, 3, 3]
# Area codes of the main office numbers per region.
REGION_AREA_CODES = {
    "関東": ["03", "045", "048", "043"], "関西": ["06", "075", "078"], "中部": ["052", "054"],
    "九州": ["092", "096"], "北海道": ["011"], "東北": ["022"], "中国": ["082", "086"], "四国": ["087", "089"],
}

# (lower, upper) employee counts per size band, with the band's weight.
SIZE_BANDS = [((5, 49), 30), ((50, 299), 35), ((300, 999), 20), ((1000, 4999), 11), ((5000, 30000), 4)]

LEGAL_FORMS = [("株式会社", "prefix", 50), ("株式会社", "suffix", 40), ("有限会社", "prefix", 5),
("合同会社", "suffix", 5)]

# Email local-part formats a company uses for everyone.
EMAIL_FORMATS = ["given.family", "family.given", "initial.family", "family", "family_initial"]
EMAIL_FORMAT_WEIGHTS = [45, 15, 20, 10, 10]

# (kanji, katakana, romaji, weight) - common family names, roughly by frequency.
FAMILY_NAMES = [
    ("佐藤", "サトウ", "sato", 18), ("鈴木", "スズキ", "suzuki", 17), ("高橋", "タカハシ", "takahashi", 14),
    ("田中", "タナカ", "tanaka", 13), ("伊藤", "イトウ", "ito", 11), ("渡辺", "ワタナベ", "watanabe", 11),
    ("山本", "ヤマモト", "yamamoto", 11), ("中村", "ナカムラ", "nakamura", 10), ("小林", "コバヤシ", "kobayashi", 10),
    ("加藤", "カトウ", "kato", 9), ("吉田", "ヨシダ", "yoshida", 8), ("山田", "ヤマダ", "yamada", 8),
    ("佐々木", "ササキ", "sasaki", 7), ("山口", "ヤマグチ", "yamaguchi", 7), ("松本", "マツモト", "matsumoto", 7),
    ("井上", "イノウエ", "inoue", 6), ("木村", "キムラ", "kimura", 6), ("林", "ハヤシ", "hayashi", 6),
    ("斎藤", "サイトウ", "saito", 6), ("清水", "シミズ", "shimizu", 6), ("山崎", "ヤマザキ", "yamazaki", 5),
    ("森", "モリ", "mori", 5), ("池田", "イケダ", "ikeda", 5), ("橋本", "ハシモト", "hashimoto", 5),
    ("阿部", "アベ", "abe", 5), ("石川", "イシカワ", "ishikawa", 5), ("山下", "ヤマシタ", "yamashita", 5),
    ("中島", "ナカジマ", "nakajima", 4), ("石井", "イシイ", "ishii", 4), ("小川", "オガワ", "ogawa", 4),
    ("前田", "マエダ", "maeda", 4), ("岡田", "オカダ", "okada", 4), ("長谷川", "ハセガワ", "hasegawa", 4),
    ("藤田", "フジタ", "fujita", 4), ("後藤", "ゴトウ", "goto", 4), ("近藤", "コンドウ", "kondo", 4),
    ("村上", "ムラカミ", "murakami", 4), ("遠藤", "エンドウ", "endo", 3), ("青木", "アオキ", "aoki", 3),
    ("坂本", "サカモト", "sakamoto", 3), ("斉藤", "サイトウ", "saito", 3), ("福田", "フクダ", "fukuda", 3),
    ("太田", "オオタ", "ota", 3), ("西村", "ニシムラ", "nishimura", 3), ("藤井", "フジイ", "fujii", 3),
    ("金子", "カネコ", "kaneko", 3), ("岡本", "オカモト", "okamoto", 3), ("藤原", "フジワラ", "fujiwara", 3),
    ("中野", "ナカノ", "nakano", 3), ("三浦", "ミウラ", "miura", 3), ("原田", "ハラダ", "harada", 3),
    ("中川", "ナカガワ", "nakagawa", 3), ("松田", "マツダ", "matsuda", 3), ("竹内", "タケウチ", "takeuchi", 3),
    ("小野", "オノ", "ono", 3), ("田村", "タムラ", "tamura", 3), ("中山", "ナカヤマ", "nakayama", 3),
    ("和田", "ワダ", "wada", 2), ("石田", "イシダ", "ishida", 2), ("森田", "モリタ", "morita", 2),
    ("上田", "ウエダ", "ueda", 2), ("原", "ハラ", "hara", 2), ("内田", "ウチダ", "uchida", 2),
    ("柴田", "シバタ", "shibata", 2), ("酒井", "サカイ", "sakai", 2), ("宮崎", "ミヤザキ", "miyazaki", 2),
    ("横山", "ヨコヤマ", "yokoyama", 2), ("高木", "タカギ", "takagi", 2), ("安藤", "アンドウ", "ando", 2),
    ("宮本", "ミヤモト", "miyamoto", 2), ("大野", "オオノ", "ono", 2), ("小島", "コジマ", "kojima", 2),
    ("谷口", "タニグチ", "taniguchi", 2), ("今井", "イマイ", "imai", 2), ("工藤", "クドウ", "kudo", 2),
    ("高田", "タカダ", "takada", 2), ("増田", "マスダ", "masuda", 2), ("丸山", "マルヤマ", "maruyama", 2),
    ("杉山", "スギヤマ", "sugiyama", 2), ("村田", "ムラタ", "murata", 2), ("大塚", "オオツカ", "otsuka", 2),
    ("新井", "アライ", "arai", 2), ("小山", "コヤマ", "koyama", 2), ("平野", "ヒラノ", "hirano", 2),
    ("藤本", "フジモト", "fujimoto", 2), ("河野", "コウノ", "kono", 2), ("上野", "ウエノ", "ueno", 2),
    ("野口", "ノグチ", "noguchi", 2), ("武田", "タケダ", "takeda", 2), ("松井", "マツイ", "matsui", 2),
    ("千葉", "チバ", "chiba", 2), ("岩崎", "イワサキ", "iwasaki", 2), ("菅原", "スガワラ", "sugawara", 2),
    ("木下", "キノシタ", "kinoshita", 2), ("久保", "クボ", "kubo", 2), ("佐野", "サノ", "sano", 2),
    ("野村", "ノムラ", "nomura", 2), ("松尾", "マツオ", "matsuo", 2), ("市川", "イチカワ", "ichikawa", 2),
    ("菊地", "キクチ", "kikuchi", 1), ("杉本", "スギモト", "sugimoto", 1), ("古川", "フルカワ", "furukawa", 1),
    ("大西", "オオニシ", "onishi", 1), ("島田", "シマダ", "shimada", 1), ("水野", "ミズノ", "mizuno", 1),
    ("桜井", "サクライ", "sakurai", 1), ("高野", "タカノ", "takano", 1), ("渡部", "ワタナベ", "watanabe", 1),
    ("吉川", "ヨシカワ", "yoshikawa", 1), ("山内", "ヤマウチ", "yamauchi", 1), ("西田", "ニシダ", "nishida", 1),
    ("飯田", "イイダ", "iida", 1), ("菊池", "キクチ", "kikuchi", 1), ("西川", "ニシカワ", "nishikawa", 1),
    ("小松", "コマツ", "komatsu", 1), ("北村", "キタムラ", "kitamura", 1), ("安田", "ヤスダ", "yasuda", 1),
    ("五十嵐", "イガラシ", "igarashi", 1), ("川口", "カワグチ", "kawaguchi", 1), ("平田", "ヒラタ", "hirata", 1),
    ("関", "セキ", "seki", 1), ("中田", "ナカタ", "nakata", 1), ("久保田", "クボタ", "kubota", 1),
    ("服部", "ハットリ", "hattori", 1), ("東", "アズマ", "azuma", 1), ("岩田", "イワタ", "iwata", 1),
    ("土屋", "ツチヤ", "tsuchiya", 1), ("川崎", "カワサキ", "kawasaki", 1), ("福島", "フクシマ", "fukushima", 1),
    ("本田", "ホンダ", "honda", 1), ("辻", "ツジ", "tsuji", 1), ("樋口", "ヒグチ", "higuchi", 1),
    ("秋山", "アキヤマ", "akiyama", 1), ("田口", "タグチ", "taguchi", 1), ("永井", "ナガイ", "nagai", 1),
    ("山中", "ヤマナカ", "yamanaka", 1), ("中西", "ナカニシ", "nakanishi", 1), ("吉村", "ヨシムラ", "yoshimura", 1),
    ("川上", "カワカミ", "kawakami", 1), ("石原", "イシハラ", "ishihara", 1), ("大橋", "オオハシ", "ohashi", 1),
    ("松岡", "マツオカ", "matsuoka", 1), ("馬場", "ババ", "baba", 1), ("浜田", "ハマダ", "hamada", 1),
    ("森本", "モリモト", "morimoto", 1), ("星野", "ホシノ", "hoshino", 1), ("矢野", "ヤノ", "yano", 1),
    ("浅野", "アサノ", "asano", 1), ("大久保", "オオクボ", "okubo", 1), ("松下", "マツシタ", "matsushita", 1),
    ("小池", "コイケ", "koike", 1), ("野田", "ノダ", "noda", 1),
]

# (kanji, katakana, romaji)
GIVEN_NAMES_MALE = [
    ("大輔", "ダイスケ", "daisuke"), ("健太", "ケンタ", "kenta"), ("翔太", "ショウタ", "shota"),
    ("拓也", "タクヤ", "takuya"),
    ("直樹", "ナオキ", "naoki"), ("誠", "マコト", "makoto"), ("浩", "ヒロシ", "hiroshi"), ("隆", "タカシ", "takashi"),
    ("剛", "ツヨシ", "tsuyoshi"), ("修", "オサム", "osamu"), ("健一", "ケンイチ", "kenichi"),
    ("和也", "カズヤ", "kazuya"),
    ("達也", "タツヤ", "tatsuya"), ("亮", "リョウ", "ryo"), ("大介", "ダイスケ", "daisuke"),
    ("哲也", "テツヤ", "tetsuya"),
    ("雄一", "ユウイチ", "yuichi"), ("秀樹", "ヒデキ", "hideki"), ("智之", "トモユキ", "tomoyuki"),
    ("裕太", "ユウタ", "yuta"),
    ("悠斗", "ユウト", "yuto"), ("蓮", "レン", "ren"), ("陽太", "ヨウタ", "yota"), ("翼", "ツバサ", "tsubasa"),
    ("健", "ケン", "ken"), ("学", "マナブ", "manabu"), ("茂", "シゲル", "shigeru"), ("博之", "ヒロユキ", "hiroyuki"),
    ("正人", "マサト", "masato"), ("康介", "コウスケ", "kosuke"), ("洋平", "ヨウヘイ", "yohei"),
    ("慎也", "シンヤ", "shinya"),
    ("俊介", "シュンスケ", "shunsuke"), ("光太郎", "コウタロウ", "kotaro"), ("一郎", "イチロウ", "ichiro"),
    ("太郎", "タロウ", "taro"), ("浩二", "コウジ", "koji"), ("淳", "ジュン", "jun"), ("聡", "サトシ", "satoshi"),
    ("勇気", "ユウキ", "yuki"),
]
GIVEN_NAMES_FEMALE = [
    ("陽子", "ヨウコ", "yoko"), ("恵子", "ケイコ", "keiko"), ("美穂", "ミホ", "miho"), ("由美", "ユミ", "yumi"),
    ("真由美", "マユミ", "mayumi"), ("直美", "ナオミ", "naomi"), ("久美子", "クミコ", "kumiko"),
    ("智子", "トモコ", "tomoko"),
    ("裕子", "ユウコ", "yuko"), ("明美", "アケミ", "akemi"), ("愛", "アイ", "ai"), ("彩", "アヤ", "aya"),
    ("舞", "マイ", "mai"), ("麻衣", "マイ", "mai"), ("沙織", "サオリ", "saori"), ("香織", "カオリ", "kaori"),
    ("美咲", "ミサキ", "misaki"), ("優子", "ユウコ", "yuko"), ("千尋", "チヒロ", "chihiro"), ("奈々", "ナナ", "nana"),
    ("結衣", "ユイ", "yui"), ("葵", "アオイ", "aoi"), ("陽菜", "ヒナ", "hina"), ("遥", "ハルカ", "haruka"),
    ("真理子", "マリコ", "mariko"), ("由紀", "ユキ", "yuki"), ("恵", "メグミ", "megumi"), ("綾香", "アヤカ", "ayaka"),
    ("理恵", "リエ", "rie"), ("麻美", "アサミ", "asami"), ("友美", "トモミ", "tomomi"), ("紀子", "ノリコ", "noriko"),
    ("幸子", "サチコ", "sachiko"), ("京子", "キョウコ", "kyoko"), ("加奈子", "カナコ", "kanako"),
    ("絵美", "エミ", "emi"),
    ("さくら", "サクラ", "sakura"), ("美紀", "ミキ", "miki"), ("瞳", "ヒトミ", "hitomi"), ("花子", "ハナコ", "hanako"),
]

DEPARTMENTS = ["営業部", "情報システム部", "マーケティング部", "経営企画部", "総務部", "購買部", "製造部", "人事部",
               "経理部", "事業推進部", "DX推進室", "カスタマーサクセス部"]
# (title, decision maker, weight, takes a department prefix)
TITLES = [
    ("代表取締役", True, 1, False), ("取締役", True, 3, False), ("執行役員", True, 3, False),
    ("本部長", True, 4, True), ("部長", True, 12, True), ("室長", True, 3, True),
    ("次長", False, 4, True), ("課長", False, 16, True), ("マネージャー", False, 10, True),
    ("係長", False, 8, True), ("主任", False, 9, True), ("リーダー", False, 5, True),
    ("担当", False, 18, True), ("", False, 4, False),
]

# Demo profiles: how a contact's story goes. (name, status, weight, mean events,
# last-touch days ago (low, high), deal stages to pick from)
PROFILES = [
    ("active_lead", "lead", 15, 22, (0, 60), ["", "初回接触", "ヒアリング"]),
    ("forgotten_lead", "lead", 20, 10, (200, 700), ["", "初回接触"]),
    ("nurturing_lead", "lead", 10, 17, (60, 200), ["", "初回接触", "ヒアリング"]),
    ("open_deal", "opportunity", 10, 36, (0, 90), ["ヒアリング", "提案", "見積", "交渉"]),
    ("stalled_deal", "opportunity", 7, 24, (120, 500), ["ヒアリング", "提案", "見積"]),
    ("lost_deal", "lost", 15, 26, (150, 700), ["失注"]),
    ("customer", "customer", 13, 48, (0, 120), ["受注"]),
    ("churned", "former_customer", 8, 30, (1, 600), ["受注"]),
    ("never_touched", "lead", 2, 0, (100, 700), [""]),
]

LOST_REASONS = ["pending", "competitor", "forgotten", "other"]
LOST_REASON_WEIGHTS = [35, 30, 20, 15]

# How a contact first met us: (channel, first touch kind, consent source template, weight)
CHANNELS = [
    ("expo", "card_exchange", "名刺交換 {ym}", 35),
    ("visit", "card_exchange", "名刺交換 {ym}", 10),
    ("webinar", "webinar", "ウェビナー申込", 25),
    ("download", "download", "資料請求フォーム", 20),
    ("inquiry", "form_submit", "お問い合わせフォーム", 10),
]
LEAD_SOURCE_LABELS = {"expo": "展示会", "visit": "訪問", "webinar": "ウェビナー", "download": "Web資料請求",
                      "inquiry": "Webお問い合わせ"}

PRODUCT_LINES = ["クラウド会計", "勤怠管理", "経費精算", "電子契約", "MAツール"]

# Besides these, "展示会<year>" marks contacts met at a trade show that year.
TAG_NAMES = ["ウェビナー参加", "資料DL", "重点顧客", "リプレイス候補",
             "メルマガ購読", "紹介"]

# Event vocabulary. Kinds are TouchKind values.
EVENT_KINDS = ["email_open", "email_click", "page_view", "form_submit", "download", "call", "meeting",
               "card_exchange", "webinar", "reply"]
EVENT_KIND_WEIGHTS = [34, 10, 27, 2, 5, 9, 4, 1, 4, 4]
SITE = "https://example.co.jp"
PAGES = ["/", "/pricing", "/features", "/features/automation", "/features/scoring", "/case-studies",
         "/case-studies/manufacturing-renewal", "/case-studies/it-saas-onboarding", "/case-studies/logistics-dx",
         "/blog/dormant-customer-reactivation", "/blog/renewal-reminder-timing", "/blog/lead-scoring-basics",
         "/blog/email-deliverability", "/blog/webinar-follow-up", "/docs/getting-started", "/contact", "/security"]
PAGE_WEIGHTS = [10, 12, 8, 4, 3, 5, 3, 3, 2, 6, 4, 4, 3, 3, 3, 4, 2]
CLICK_PAGES = ["/blog/dormant-customer-reactivation", "/blog/renewal-reminder-timing", "/case-studies",
               "/case-studies/manufacturing-renewal", "/pricing", "/webinar/2025-renewal-playbook"]
DOCUMENTS = [("/download/ma-introduction-guide.pdf", "資料: MA導入ガイド"),
             ("/download/case-study-collection.pdf", "資料: 導入事例集"),
             ("/download/pricing-sheet.pdf", "資料: 料金表"),
             ("/download/renewal-checklist.pdf", "資料: 契約更新チェックリスト")]
FORMS = [("/contact", "お問い合わせ"), ("/download/request", "資料請求"), ("/webinar/apply", "ウェビナー申込")]
CALL_NOTES = ["架電: 不在", "架電: 担当者と会話", "架電: 折り返し依頼", "架電: 状況伺い", "架電: 検討状況ヒアリング"]
MEETING_NOTES = ["オンライン商談", "訪問商談", "定例ミーティング", "導入支援ミーティング", "デモ実施"]
WEBINARS = [("/webinar/dormant-reactivation", "ウェビナー: 休眠顧客を動かすメール設計"),
            ("/webinar/renewal-playbook", "ウェビナー: 契約更新を守る3つのフェーズ"),
            ("/webinar/lead-scoring", "ウェビナー: はじめてのリードスコアリング")]
REPLY_NOTES = ["メール返信", "返信: 資料送付のお礼", "返信: 来期に再検討", "返信: 日程調整"]
CARD_NOTES = {"expo": "展示会ブースで名刺交換", "visit": "訪問時に名刺交換"}

# (plan, base yearly amount in JPY, weight for small / mid / large companies)
PLANS = [("スタンダード", 600_000, (70, 40, 15)), ("プロ", 1_800_000, (27, 45, 45)),
("エンタープライズ", 4_800_000, (3, 15, 40))]

DEMO_DOMAIN = "example.jp"


def _check_plain(values):
    # The PostgreSQL COPY writer sends text unescaped: keep the vocabulary free
    # of the characters COPY would interpret.
    for value in values:
        if isinstance(value, str) and any(ch in value for ch in "\t\n\r\\"):
            raise ValueError(f"demo vocabulary entry needs escaping: {value!r}")


def _flatten(obj):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield key
            yield from _flatten(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _flatten(value)
    else:
        yield obj


_check_plain(_flatten([COMPANY_STEMS, NAME_PLACES, INDUSTRIES, FAMILY_NAMES, GIVEN_NAMES_MALE, GIVEN_NAMES_FEMALE,
                       DEPARTMENTS, TITLES, PAGES, CLICK_PAGES, DOCUMENTS, FORMS, CALL_NOTES, MEETING_NOTES, WEBINARS,
                       REPLY_NOTES, CARD_NOTES, PLANS, TAG_NAMES, PRODUCT_LINES, CHANNELS]))
