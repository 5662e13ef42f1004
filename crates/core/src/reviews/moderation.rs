//! What holds a review (or a shop's reply) back from the public: threats,
//! insults and contact details — the ways a marketplace review turns into
//! abuse or a side channel. Harsh criticism (“骗子”, “垃圾店”, “差评”) is not
//! held: the point is to stop abuse, not complaints.
//!
//! Texts are first folded (full-width → half-width, lower case) and then
//! squashed to letters, digits and ideographs only, so “傻 逼”, “Ｓ.Ｂ” and
//! “Q Q：1234 5678” read as what they mean.

use std::sync::LazyLock;

use regex::Regex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldReason {
    Threat,
    Insult,
    Contact,
    /// Edited by its buyer after a rejection: the moderator looks again.
    Resubmitted,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::Threat => "threat",
            HoldReason::Insult => "insult",
            HoldReason::Contact => "contact",
            HoldReason::Resubmitted => "resubmitted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [HoldReason::Threat, HoldReason::Insult, HoldReason::Contact, HoldReason::Resubmitted]
            .into_iter()
            .find(|h| h.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            HoldReason::Threat => "疑似威胁",
            HoldReason::Insult => "疑似辱骂",
            HoldReason::Contact => "含联系方式",
            HoldReason::Resubmitted => "驳回后修改重交",
        }
    }
}

const THREATS: &[&str] = &[
    "弄死你",
    "杀了你",
    "杀你",
    "砍死",
    "砍你",
    "炸了你家",
    "炸你家",
    "炸了你",
    "人肉你",
    "人肉搜索",
    "找到你家",
    "上门找你",
    "找上门",
    "等着瞧",
    "走着瞧",
    "你给我小心",
    "给我小心点",
    "你等着",
    "打死你",
    "让你好看",
    "灭你全家",
    "弄残你",
    "废了你",
];

const INSULTS: &[&str] = &[
    "傻逼",
    "傻b",
    "傻比",
    "傻x",
    "傻批",
    "傻吊",
    "煞笔",
    "煞逼",
    "沙比",
    "沙币",
    "傻叉",
    "脑残",
    "脑子有病",
    "狗东西",
    "狗日",
    "狗娘养",
    "去死",
    "你妈",
    "尼玛",
    "你麻痹",
    "操你",
    "草你",
    "艹你",
    "日你",
    "滚蛋",
    "贱人",
    "王八蛋",
    "畜生",
    "杂种",
    "智障",
];

/// Latin abbreviations of insults: matched only as a whole word of Latin letters.
const INSULT_WORDS: &[&str] = &["sb", "nmsl", "cnm", "wcnm", "mlgb", "nmb", "rnm"];

const QQ: &[&str] = &["qq", "扣扣", "企鹅", "球球", "加q"];
const WECHAT: &[&str] = &["微信", "威信", "薇信", "v信", "vx", "wx", "weixin", "加v"];
/// What may stand between “QQ” and the number: `QQ号码是 12345`.
const FILLER: &str = "号码是为";

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,}").expect("email pattern"));
static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(https?://|www\.|[a-z0-9\-]+\.(com|cn|net|org|top|xyz|cc|vip|me|io|co|info|site|shop|link|club|tk)([^a-z]|$))",
    )
    .expect("url pattern")
});

/// Full-width forms to ASCII, lower case.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

fn squash(text: &str) -> Vec<char> {
    text.chars().map(fold).filter(|c| c.is_alphanumeric()).collect()
}

fn find_all<'a>(hay: &'a [char], needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let n: Vec<char> = needle.chars().collect();
    (0..hay.len().saturating_sub(n.len() - 1)).filter(move |&i| hay[i..].starts_with(&n))
}

fn latin(c: Option<&char>) -> bool {
    c.is_some_and(char::is_ascii_alphanumeric)
}

/// `needle` (Latin) standing alone, not inside a longer Latin word.
fn whole_word(hay: &[char], needle: &str) -> bool {
    let len = needle.chars().count();
    find_all(hay, needle).any(|i| !latin(i.checked_sub(1).and_then(|p| hay.get(p))) && !latin(hay.get(i + len)))
}

fn contains_any(hay: &[char], list: &[&str]) -> bool {
    list.iter().any(|n| find_all(hay, n).next().is_some())
}

/// A keyword, up to three filler characters, then at least `min` characters
/// that `is_id` accepts: “qq号12345”, “vx:abc_123”.
fn keyword_then_id(hay: &[char], list: &[&str], min: usize, is_id: fn(&char) -> bool) -> bool {
    list.iter().any(|k| {
        let len = k.chars().count();
        find_all(hay, k).any(|i| {
            if k.is_ascii() && latin(i.checked_sub(1).and_then(|p| hay.get(p))) {
                return false;
            }
            let mut j = i + len;
            let mut skipped = 0;
            while skipped < 3 && hay.get(j).is_some_and(|c| FILLER.contains(*c)) {
                j += 1;
                skipped += 1;
            }
            hay[j.min(hay.len())..].iter().take_while(|c| is_id(c)).count() >= min
        })
    })
}

/// A mainland mobile number, also spaced or dashed (`138 0013 8000`,
/// `+86-138-0013-8000`). The number must begin and end where a group of digits
/// does, so an 18-digit order number never looks like a phone.
fn has_mobile(text: &str) -> bool {
    let folded: Vec<char> = text.chars().map(fold).collect();
    let mut segments: Vec<Vec<String>> = vec![Vec::new()];
    let mut group = String::new();
    for c in folded.iter().chain(std::iter::once(&'\n')) {
        if c.is_ascii_digit() {
            group.push(*c);
            continue;
        }
        if !group.is_empty()
            && let Some(s) = segments.last_mut()
        {
            s.push(std::mem::take(&mut group));
        }
        if !matches!(c, ' ' | '-' | '.' | '_' | '—' | '–' | '+') {
            segments.push(Vec::new());
        }
    }
    segments.iter().any(|groups| mobile_in(groups))
}

fn mobile_in(groups: &[String]) -> bool {
    let digits: String = groups.concat();
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    let mut at = 0;
    for g in groups {
        starts.push(at);
        if g.starts_with("86") {
            starts.push(at + 2);
        }
        at += g.len();
        ends.push(at);
    }
    let b = digits.as_bytes();
    starts.iter().any(|&s| {
        ends.contains(&(s + 11)) && b.get(s) == Some(&b'1') && b.get(s + 1).is_some_and(|d| (b'3'..=b'9').contains(d))
    })
}

fn has_contact(text: &str, squashed: &[char]) -> bool {
    let despaced: String = text.chars().map(fold).filter(|c| !c.is_whitespace()).collect();
    has_mobile(text)
        || keyword_then_id(squashed, QQ, 5, char::is_ascii_digit)
        || keyword_then_id(squashed, WECHAT, 5, char::is_ascii_alphanumeric)
        || EMAIL.is_match(&despaced)
        || URL.is_match(&despaced)
}

/// Why `text` must wait for a person, if it must; threats first, then insults,
/// then contact details.
pub fn classify(text: &str) -> Option<HoldReason> {
    let s = squash(text);
    if contains_any(&s, THREATS) {
        return Some(HoldReason::Threat);
    }
    if contains_any(&s, INSULTS) || INSULT_WORDS.iter().any(|w| whole_word(&s, w)) {
        return Some(HoldReason::Insult);
    }
    if has_contact(text, &s) {
        return Some(HoldReason::Contact);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(text: &str) -> Option<&'static str> {
        classify(text).map(HoldReason::as_str)
    }

    #[test]
    fn threats_are_held_also_spaced() {
        for t in [
            "再不退款我弄死你",
            "杀了你",
            "砍死你们",
            "小心我炸了你家",
            "我要人肉你",
            "我已经找到你家了",
            "你等着瞧",
            "你给我小心点",
            "弄 死 你",
            "等.着.瞧",
        ] {
            assert_eq!(held(t), Some("threat"), "{t}");
        }
    }

    #[test]
    fn insults_are_held_with_their_variants() {
        for t in [
            "店主傻逼",
            "傻 B 商家",
            "傻Ｂ",
            "煞笔",
            "SB店主",
            "你是 s b 吗",
            "Ｓ.Ｂ",
            "脑残客服",
            "狗东西",
            "去死吧",
            "你妈的",
            "nmsl",
            "傻*逼",
        ] {
            assert_eq!(held(t), Some("insult"), "{t}");
        }
    }

    #[test]
    fn contact_details_are_held() {
        for t in [
            "加我13800138000",
            "电话 138 0013 8000",
            "+86-138-0013-8000",
            "手机：１３８００１３８０００",
            "QQ：12345678",
            "扣扣 1234 5678",
            "企鹅号123456",
            "加q 99887766",
            "微信 abc_12345",
            "vx:kami888",
            "V信 wxid12345",
            "联系 me@example.com",
            "邮箱 a.b @ qq.com",
            "去 http://t.cn/abc 看",
            "www.kami.shop",
            "官网 kamishop.com 更便宜",
        ] {
            assert_eq!(held(t), Some("contact"), "{t}");
        }
    }

    #[test]
    fn harsh_criticism_is_published() {
        for t in [
            "骗子",
            "垃圾店",
            "差评",
            "卡密无效还不退款",
            "客服两小时不回，差评！",
            "卡密已被使用，骗子店铺，大家别买",
            "订单号 202611251234567890 一直没到账",
            "买了 2 张 100 元的卡，1 张无效",
            "充值了 qq币 50000 个没到账",
            "微信支付的，很慢",
            "USB 不对",
            "",
            "好评，秒发货 5 星",
            "价格 9.80 元",
        ] {
            assert_eq!(held(t), None, "{t}");
        }
    }
}
