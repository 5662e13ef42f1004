//! High-precision rules that run before the statistical model. A request for a human must
//! always hand over, and a dispute must never be answered as if it were a shop question, so
//! these are phrase lists a reviewer can read, not weights.

use crate::intent::Intent;

/// The many ways buyers ask for a person.
const HUMAN: &[&str] = &[
    "人工",
    "真人",
    "活人",
    "rengong",
    "human",
    "real person",
    "agent",
    "转接",
    "不要机器人",
    "别机器人",
    "机器人滚",
    "别自动回复",
    "不要自动回复",
    "叫人",
    "找客服",
    "让客服",
    "客服在哪",
    "客服呢",
    "客服出来",
    "叫你们老板",
    "找你们客服",
    "要客服",
    "叫老板",
    "老板出来",
    "跟人说",
    "和人说",
    "和人聊",
    "跟人聊",
    "有人吗",
    "有没有人",
    "有人在",
    "人呢",
    "换个人",
];

/// Complaints about a merchant or the platform, and threats to escalate outside.
const COMPLAINT: &[&str] = &[
    "投诉",
    "举报",
    "骗子",
    "被骗",
    "骗人",
    "12315",
    "消协",
    "报警",
    "曝光",
    "黑店",
    "维权",
    "差评",
    "scam",
    "complain",
    "拉黑",
    "垃圾",
    "态度",
    "不理",
    "不回消息",
    "骂人",
    "太坑",
    "坑人",
];

/// What a card key is called.
const KEY_WORDS: &[&str] =
    &["卡密", "卡秘", "激活码", "兑换码", "cdk", "key", "码", "卡号", "充值卡", "密钥", "代码", "code"];
/// How a key fails. "没用过" (unused) and "没使用" are removed before matching: they are not failures.
const KEY_FAILS: &[&str] = &[
    "无效",
    "被使用",
    "已使用",
    "被用",
    "用过了",
    "已兑换",
    "错误",
    "不正确",
    "不对",
    "用不了",
    "不能用",
    "失效",
    "过期",
    "不存在",
    "失败",
    "假的",
    "错的",
    "没用",
    "invalid",
    "used",
    "没反应",
    "兑换不了",
    "激活不了",
];
const KEY_FAIL_ALONE: &[&str] = &["兑换失败", "激活失败", "已被使用", "提示已使用"];

/// What a top-up is about, and how it goes missing.
const TOPUP_WORDS: &[&str] = &[
    "话费", "直充", "代充", "充值", "充了", "充的", "q币", "点券", "钻石", "元宝", "会员", "流量", "月卡", "topup",
    "top-up", "充进", "充上", "到账", "到帐", "秒到",
];
const TOPUP_MISSING: &[&str] = &[
    "没到",
    "未到",
    "不到账",
    "没收到",
    "没有收到",
    "没充上",
    "没充进",
    "没开通",
    "没看到",
    "没有",
    "没动静",
    "not received",
    "didn't arrive",
    "not arrived",
    "还没",
];
const TOPUP_ALONE: &[&str] = &["没到账", "没到帐", "未到账", "not received"];

/// What an account purchase is called, and how it differs from its listing.
const ACCOUNT_WORDS: &[&str] = &[
    "账号",
    "帐号",
    "会员号",
    "皮肤",
    "英雄",
    "段位",
    "等级",
    "号上",
    "这号",
    "号被",
    "号里",
    "号的",
    "号是",
    "买的号",
    "号跟",
    "号和",
    "account",
];
const ACCOUNT_FAILS: &[&str] = &[
    "不一样",
    "不符",
    "不对",
    "少了",
    "没有",
    "找回",
    "改密",
    "封",
    "登不上",
    "登录不上",
    "登不进",
    "登录不了",
    "密码错误",
    "密码不对",
    "被盗",
    "not as described",
    "wrong",
    "banned",
    "二次验证",
    "绑定了别人",
];

/// A buyer saying the last answer did not help.
const UNHELPFUL: &[&str] = &[
    "没用",
    "没解决",
    "还是不行",
    "不行啊",
    "答非所问",
    "没帮助",
    "没有帮助",
    "不是这个",
    "看不懂",
    "等于没说",
    "废话",
    "useless",
    "not helpful",
    "没听懂",
    "不是我要的",
    "还是没",
];

fn any(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| text.contains(p))
}

/// Whether a normalised message asks for a person.
pub fn asks_for_human(norm: &str) -> bool {
    any(norm, HUMAN)
}

/// The dispute a normalised message raises, if a rule recognises one. The specific after-sales
/// types come before the general complaint: they decide which case the buyer is offered.
pub fn dispute(norm: &str) -> Option<Intent> {
    // "有没有" asks whether something exists; it says nothing is missing.
    let text = norm.replace("没用过", "").replace("没使用", "").replace("有没有", "");
    if any(&text, ACCOUNT_WORDS) && any(&text, ACCOUNT_FAILS) {
        return Some(Intent::AccountMismatch);
    }
    if any(&text, KEY_FAIL_ALONE) || (any(&text, KEY_WORDS) && any(&text, KEY_FAILS)) {
        return Some(Intent::KeyInvalid);
    }
    let wallet = text.contains("钱包") || text.contains("余额");
    if !wallet && (any(&text, TOPUP_ALONE) || (any(&text, TOPUP_WORDS) && any(&text, TOPUP_MISSING))) {
        return Some(Intent::TopupMissing);
    }
    any(&text, COMPLAINT).then_some(Intent::Complaint)
}

/// Whether a normalised message says the previous answer did not help.
pub fn says_unhelpful(norm: &str) -> bool {
    any(norm, UNHELPFUL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalise;

    #[test]
    fn human_requests_in_many_forms() {
        for t in ["转人工", "人工客服", "真人", "我要跟人说话", "有人吗", "客服呢", "HUMAN please", "别机器人了"]
        {
            assert!(asks_for_human(&normalise(t)), "{t}");
        }
        for t in ["多少钱", "你是机器人吗", "卡密无效"] {
            assert!(!asks_for_human(&normalise(t)), "{t}");
        }
    }

    #[test]
    fn disputes_by_type() {
        let d = |t: &str| dispute(&normalise(t));
        assert_eq!(d("卡密提示已被使用"), Some(Intent::KeyInvalid));
        assert_eq!(d("话费没到账"), Some(Intent::TopupMissing));
        assert_eq!(d("账号和描述不符"), Some(Intent::AccountMismatch));
        assert_eq!(d("我要投诉"), Some(Intent::Complaint));
        assert_eq!(d("没用过的卡密可以退吗"), None, "unused is not a failure");
        assert_eq!(d("钱包充值没到"), None, "wallet top-ups are a payment question");
        assert_eq!(d("卡密怎么用"), None);
        assert_eq!(d("月卡还有没有"), None);
    }
}
