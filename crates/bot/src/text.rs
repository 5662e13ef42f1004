//! Text in: normalisation, jieba segmentation, the features the classifier and the FAQ
//! retrieval see, and order numbers typed in a message.
//!
//! jieba keeps its HMM on (without it 卡密 splits into 卡 / 密) and loads [`USER_DICT`], the
//! trade words buyers type (卡密, 到账, 转人工, and the common typos 卡秘, 到帐).

use std::sync::LazyLock;

use jieba_rs::Jieba;

/// Trade words jieba must keep whole; one per line, `#` starts a comment line.
const USER_DICT: &str = include_str!("user_dict.txt");

/// Messages past this many characters are cut: it bounds the work a pasted essay costs.
const MAX_CHARS: usize = 300;

/// One segmenter per process: loading jieba's dictionary is slow (seconds in a debug build) and
/// ~20 MB, and it is never mutated after construction.
static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for word in USER_DICT.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        jieba.add_word(&word.to_lowercase(), None, None);
    }
    jieba
});

/// Full-width ASCII folded to half-width, lowercased, cut to [`MAX_CHARS`].
pub fn normalise(text: &str) -> String {
    text.chars()
        .take(MAX_CHARS)
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a normalised message, punctuation and spaces dropped.
pub fn words(norm: &str) -> Vec<String> {
    JIEBA
        .cut(norm, true)
        .into_iter()
        .filter(|t| t.word.chars().any(char::is_alphanumeric))
        .map(|t| t.word.to_owned())
        .collect()
}

/// Classifier features: the words (`w:`) and the character bigrams of the message with its
/// spaces and punctuation removed (`b:`). Bigrams carry what a wrong cut or a typo loses
/// (卡秘 still shares 卡 with 卡密; 到帐 shares 到).
pub fn features(norm: &str) -> Vec<String> {
    let mut out: Vec<String> = words(norm).into_iter().map(|w| format!("w:{w}")).collect();
    let chars: Vec<char> = norm.chars().filter(|c| c.is_alphanumeric() || is_emoji(*c)).collect();
    for pair in chars.windows(2) {
        if pair.iter().any(|c| !c.is_ascii()) {
            out.push(format!("b:{}{}", pair[0], pair[1]));
        }
    }
    if chars.len() == 1 {
        out.push(format!("b:{}", chars[0]));
    }
    for (name, cues) in CONCEPTS {
        if cues.iter().any(|c| norm.contains(c)) {
            // Twice: a concept is stronger evidence than any one word or bigram.
            out.push(format!("c:{name}"));
            out.push(format!("c:{name}"));
        }
    }
    out
}

/// Synonym groups a buyer's wording varies over. A concept feature lets one training phrase
/// (多少钱) teach the model its synonyms (啥价, 报价, how much) without a bigger training set.
const CONCEPTS: &[(&str, &[&str])] = &[
    ("price", &["钱", "价", "便宜", "优惠", "折", "贵", "多少米", "几块", "收费", "price", "how much", "cost"]),
    ("stock", &["货", "库存", "剩", "卖完", "断", "还有", "stock", "还能买", "还能拍"]),
    (
        "time",
        &[
            "多久",
            "几分钟",
            "多长时间",
            "时间",
            "秒到",
            "秒发",
            "马上",
            "立刻",
            "立即",
            "即时",
            "快",
            "慢",
            "等",
            "how long",
            "when",
        ],
    ),
    ("order", &["订单", "单子", "那单", "的单", "进度", "状态", "接单", "order"]),
    (
        "redeem",
        &[
            "怎么用",
            "使用",
            "兑换",
            "激活",
            "教程",
            "说明",
            "步骤",
            "流程",
            "输入",
            "填",
            "绑定",
            "redeem",
            "how to use",
            "activate",
        ],
    ),
    ("refund", &["退", "售后", "担保期", "保障", "无理由", "买错", "拍错", "refund", "return"]),
    ("pay", &["付", "支付", "钱包", "余额", "支付宝", "微信", "花呗", "银行卡", "信用卡", "扣款", "pay"]),
    ("ask", &["吗", "?", "？", "呢", "么"]),
];

fn is_emoji(c: char) -> bool {
    matches!(u32::from(c), 0x1F300..=0x1FAFF | 0x2600..=0x27BF)
}

/// The distinct order numbers in a message: runs of exactly 18 digits that start with a
/// plausible date (YYYYMMDD, then 10 digits). Longer or shorter digit runs are not order numbers.
pub fn order_numbers(text: &str) -> Vec<String> {
    let norm = normalise(text);
    let mut found: Vec<String> = Vec::new();
    let mut run = String::new();
    for c in norm.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() == 18 && plausible_date(&run[..8]) && !found.contains(&run) {
            found.push(run.clone());
        }
        run.clear();
    }
    found
}

fn plausible_date(d: &str) -> bool {
    let num = |r: std::ops::Range<usize>| d.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    (2000..=2099).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trade_words_stay_whole_and_typos_too() {
        let w = words(&normalise("卡密无效，卡秘到帐了吗 转人工"));
        for word in ["卡密", "卡秘", "到帐", "转人工", "无效"] {
            assert!(w.iter().any(|x| x == word), "{word} in {w:?}");
        }
    }

    #[test]
    fn full_width_and_case_fold() {
        assert_eq!(normalise("ＣＤＫ　Steam"), "cdk steam");
    }

    #[test]
    fn order_numbers_are_18_digits_starting_with_a_date() {
        let t = "订单202611250000123456和２０２６１１２４１２３４５６７８９０，不是12345678901234567890或123";
        assert_eq!(order_numbers(t), ["202611250000123456", "202611241234567890"]);
        assert!(order_numbers("209913450000123456").is_empty(), "month 34 is no date");
    }
}
