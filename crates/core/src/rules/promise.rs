//! The public promise (服务承诺): every window, deadline, remedy, penalty and
//! fee as the rules in force say them, in plain Chinese, plus the history of
//! changes read from the `rule.changed` evidence events. The `/rules` page, its
//! JSON twin and the buyer's guide all print what this builds, so a changed
//! rule changes every sentence at once.

use serde::Serialize;
use serde_json::Value;

use super::words::{duration, percent, yuan};
use super::{RULES, Rule, Rules};
use crate::anchor::port::AnchorRead;
use crate::clock::Timestamp;
use crate::error::Result;

/// A part of the promise, in the order the page shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    AfterSales,
    Chat,
    Escrow,
    Topup,
    Penalties,
    Fees,
    Money,
}

impl Section {
    pub const fn as_str(self) -> &'static str {
        match self {
            Section::AfterSales => "after_sales",
            Section::Chat => "chat",
            Section::Escrow => "escrow",
            Section::Topup => "topup",
            Section::Penalties => "penalties",
            Section::Fees => "fees",
            Section::Money => "money",
        }
    }

    pub const fn title(self) -> &'static str {
        match self {
            Section::AfterSales => "售后（按商品类型）",
            Section::Chat => "聊天回复",
            Section::Escrow => "担保与结算",
            Section::Topup => "直充承诺",
            Section::Penalties => "处罚阶梯",
            Section::Fees => "费用",
            Section::Money => "充值与提现",
        }
    }
}

/// One sentence of the promise: a short topic (`卡密失效`) and what holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub topic: &'static str,
    pub text: String,
    /// The rules the sentence quotes.
    pub rules: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    pub section: Section,
    pub title: &'static str,
    pub lines: Vec<Line>,
}

fn line(topic: &'static str, rules: &[Rule], text: String) -> Line {
    Line { topic, text, rules: rules.iter().map(|r| r.as_str()).collect() }
}

/// The whole promise, from the rules in force.
pub fn promise(r: &Rules) -> Vec<Part> {
    let part = |section: Section, lines| Part { section, title: section.title(), lines };
    vec![
        part(Section::AfterSales, after_sales(r)),
        part(Section::Chat, chat(r)),
        part(Section::Escrow, escrow(r)),
        part(Section::Topup, topup(r)),
        part(Section::Penalties, penalties(r)),
        part(Section::Fees, fees(r)),
        part(Section::Money, money(r)),
    ]
}

fn d(r: &Rules, rule: Rule) -> String {
    duration(r.get(rule))
}

fn after_sales(r: &Rules) -> Vec<Line> {
    use Rule::*;
    let (m, done) = (d(r, CaseMerchantSecs), d(r, CaseResolveSecs));
    vec![
        line(
            "卡密失效",
            &[ProtectCardKeySecs, CaseMerchantSecs, CaseResolveSecs],
            format!(
                "交付后 {}内可申请售后（附截图）；商家 {m}内补发新卡密或退款，平台 {done}内处理完毕。",
                d(r, ProtectCardKeySecs)
            ),
        ),
        line(
            "直充未到账",
            &[ProtectTopupSecs, CaseMerchantSecs, CaseResolveSecs],
            format!(
                "充值完成后 {}内可申请售后；商家 {m}内附凭证补充值或退款，平台 {done}内处理完毕。",
                d(r, ProtectTopupSecs)
            ),
        ),
        line(
            "账号与描述不符",
            &[ProtectAccountSecs, CaseMerchantSecs, CaseResolveSecs],
            format!(
                "交付后 {}内可申请售后；按交易快照里商家声明的属性逐项核对，不符则退款（账号退回）或双方同意部分退款；商家 {m}内处理，平台 {done}内处理完毕。",
                d(r, ProtectAccountSecs)
            ),
        ),
        line(
            "商家不处理",
            &[CaseMerchantSecs],
            format!(
                "商家 {m}内未处理：附截图的卡密失效、直充未到账由平台从担保货款自动全额退款，其余转平台仲裁；商家记违规一次。"
            ),
        ),
        line("平台兜底", &[CaseResolveSecs], format!("售后申请 {done}内必有结果；到时仍未结束，平台自动全额退款。")),
        line(
            "退款从哪里来",
            &[],
            "先从担保中的货款退，不够的从商家保证金扣，再不够由交易保险基金垫付——买家一定拿回钱。".to_owned(),
        ),
    ]
}

fn chat(r: &Rules) -> Vec<Line> {
    let reply = d(r, Rule::ChatReplySecs);
    vec![
        line(
            "人工回复",
            &[Rule::ChatReplySecs],
            format!(
                "机器人解决不了、或您要求转人工的消息，{reply}内必有真人回复；商家客服先接，超时会话自动转给平台客服（平台同样须在 {reply}内回复，计入平台服务报告），商家记违规一次。"
            ),
        ),
        line("不绕圈", &[], "说“转人工”、重复同一个问题、或机器人连续两次没帮上忙，立即转人工。".to_owned()),
    ]
}

fn escrow(r: &Rules) -> Vec<Line> {
    use Rule::*;
    vec![
        line(
            "担保期",
            &[ProtectCardKeySecs, ProtectTopupSecs, ProtectAccountSecs],
            format!(
                "货款先由平台托管：卡密交付后 {}、直充完成后 {}、账号交付后 {}。",
                d(r, ProtectCardKeySecs),
                d(r, ProtectTopupSecs),
                d(r, ProtectAccountSecs)
            ),
        ),
        line(
            "结算",
            &[PlatformFeeBp],
            format!(
                "担保期结束且没有售后，货款结算给商家（扣除 {} 平台服务费）；有售后时资金冻结，商家不能动用。",
                percent(r.get(PlatformFeeBp))
            ),
        ),
    ]
}

fn topup(r: &Rules) -> Vec<Line> {
    use Rule::*;
    vec![
        line(
            "到账时间",
            &[TopupInstantPromiseSecs, TopupDefaultPromiseSecs],
            format!(
                "标“秒到账”的商品须在 {}内到账；其他直充按商品页写明的承诺时间，未写明的 {}。",
                d(r, TopupInstantPromiseSecs),
                d(r, TopupDefaultPromiseSecs)
            ),
        ),
        line("超时未到账", &[], "超过承诺时间仍未到账，您可以立即取消订单、全额退款，商家记违规一次。".to_owned()),
    ]
}

fn penalties(r: &Rules) -> Vec<Line> {
    use Rule::*;
    let window = d(r, PenaltyWindowSecs);
    let at = |rule: Rule| r.get(rule);
    vec![
        line(
            "警告",
            &[PenaltyWindowSecs, PenaltyWarnAt],
            format!("近 {window}内第 {} 次违规：警告。", at(PenaltyWarnAt)),
        ),
        line(
            "降权",
            &[PenaltyWindowSecs, PenaltyDownrankAt, PenaltyDownrankSecs],
            format!("近 {window}内第 {} 次违规：搜索和列表降权 {}。", at(PenaltyDownrankAt), d(r, PenaltyDownrankSecs)),
        ),
        line(
            "罚款",
            &[PenaltyWindowSecs, PenaltyFineAt, PenaltyFineFen],
            format!("近 {window}内第 {} 次违规：从保证金罚款 {}。", at(PenaltyFineAt), yuan(at(PenaltyFineFen))),
        ),
        line(
            "封店",
            &[PenaltyWindowSecs, PenaltySuspendAt],
            format!("近 {window}内第 {} 次违规：下架全部商品，待平台审核。", at(PenaltySuspendAt)),
        ),
        line("保证金", &[DepositMinFen], format!("商家保证金低于 {} 时，其商品不予展示。", yuan(at(DepositMinFen)))),
    ]
}

fn fees(r: &Rules) -> Vec<Line> {
    use Rule::*;
    vec![
        line(
            "平台服务费",
            &[PlatformFeeBp, ProtectionFundShareBp],
            format!(
                "成交额的 {}，从结算给商家的货款中扣，买家不另付；其中 {} 计入交易保险基金。",
                percent(r.get(PlatformFeeBp)),
                percent(r.get(ProtectionFundShareBp))
            ),
        ),
        line("提现手续费", &[WithdrawFeeBp], format!("提现金额的 {}，打款时扣除。", percent(r.get(WithdrawFeeBp)))),
    ]
}

fn money(r: &Rules) -> Vec<Line> {
    use Rule::*;
    let y = |rule: Rule| yuan(r.get(rule));
    vec![
        line(
            "在线支付",
            &[PayInMinFen, PayInMaxFen, PayInDailyFen, PaymentExpirySecs],
            format!(
                "单笔 {}–{}，每人每天最多 {}；支付单 {}内有效，到账只以支付渠道自己的账单为准，绝不重复入账。",
                y(PayInMinFen),
                y(PayInMaxFen),
                y(PayInDailyFen),
                d(r, PaymentExpirySecs)
            ),
        ),
        line(
            "提现",
            &[WithdrawMinFen, WithdrawDailyFen, WithdrawFeeBp],
            format!(
                "单笔至少 {}，每个钱包 24 小时内最多 {}，手续费 {}；经审核后打款。",
                y(WithdrawMinFen),
                y(WithdrawDailyFen),
                percent(r.get(WithdrawFeeBp))
            ),
        ),
    ]
}

/// Whether the public promise shows `rule`: everything a buyer, merchant or
/// reseller is promised or charged. Internal operations (staff warnings,
/// invites, sessions, the login lockout, upstream polling, private addresses)
/// promise nobody anything, and some would help an attacker.
pub const fn is_public(rule: Rule) -> bool {
    use Rule::*;
    !matches!(
        rule,
        WarnBeforeSecs
            | InviteTtlSecs
            | SessionTtlSecs
            | LoginMaxFailures
            | LoginWindowSecs
            | AllowPrivateAddresses
            | UpstreamSyncSecs
    )
}

/// One recorded change of a rule, from its `rule.changed` evidence event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleChange {
    pub seq: i64,
    pub at: Timestamp,
    pub rule: Rule,
    pub old: i64,
    pub new: i64,
}

impl RuleChange {
    /// `2 分钟 → 3 分钟`: the change in the rule's own unit.
    pub fn words(&self) -> String {
        let unit = self.rule.def().unit;
        format!("{} → {}", super::words::value(unit, self.old), super::words::value(unit, self.new))
    }
}

/// Every recorded change of a public rule, newest first (changes to rules the
/// code no longer knows are left out).
pub fn history(tx: &mut dyn AnchorRead) -> Result<Vec<RuleChange>> {
    let mut out = Vec::new();
    for def in RULES.iter().filter(|d| is_public(d.rule)) {
        for e in tx.events_of_subject(&format!("rule:{}", def.name()))? {
            if e.kind != "rule.changed" {
                continue;
            }
            let p: Value = serde_json::from_str(&e.payload).unwrap_or_default();
            if let (Some(old), Some(new)) = (p["old"].as_i64(), p["new"].as_i64()) {
                out.push(RuleChange { seq: e.seq, at: e.at, rule: def.rule, old, new });
            }
        }
    }
    out.sort_by_key(|c| std::cmp::Reverse(c.seq));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(parts: &[Part]) -> String {
        parts
            .iter()
            .flat_map(|p| p.lines.iter().map(|l| format!("{}：{}", l.topic, l.text)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_default_promise_says_the_published_numbers() {
        let t = text(&promise(&Rules::default()));
        assert!(t.contains("卡密失效：交付后 24 小时内可申请售后"), "{t}");
        assert!(t.contains("商家 12 小时内补发新卡密或退款，平台 24 小时内处理完毕"), "{t}");
        assert!(t.contains("2 分钟内必有真人回复"), "{t}");
        assert!(t.contains("账号交付后 3 天"), "{t}");
        assert!(t.contains("第 5 次违规：从保证金罚款 ¥50.00"), "{t}");
        assert!(t.contains("低于 ¥1000.00"), "{t}");
        assert!(t.contains("成交额的 2%"), "{t}");
        assert!(t.contains("提现金额的 0.6%"), "{t}");
    }

    #[test]
    fn a_changed_rule_changes_every_sentence() {
        let r = Rules::from_stored([("case_merchant_secs".to_owned(), 21_600), ("chat_reply_secs".to_owned(), 180)]);
        let t = text(&promise(&r));
        assert!(t.contains("商家 6 小时内") && t.contains("3 分钟内必有真人回复"), "{t}");
        assert!(!t.contains("12 小时") && !t.contains("2 分钟"), "{t}");
        let sections: Vec<&str> = promise(&r).iter().map(|p| p.section.as_str()).collect();
        assert_eq!(sections, ["after_sales", "chat", "escrow", "topup", "penalties", "fees", "money"]);
    }

    #[test]
    fn every_rule_the_promise_quotes_is_public() {
        for part in promise(&Rules::default()) {
            for l in part.lines {
                assert!(l.rules.iter().all(|n| Rule::parse(n).is_some_and(is_public)), "{l:?}");
            }
        }
        assert!(!is_public(Rule::AllowPrivateAddresses) && is_public(Rule::OpenApiPerSec));
    }

    #[test]
    fn a_change_reads_in_its_unit() {
        let c = RuleChange { seq: 1, at: Timestamp::from_millis(0), rule: Rule::ChatReplySecs, old: 120, new: 180 };
        assert_eq!(c.words(), "2 分钟 → 3 分钟");
        let f =
            RuleChange { seq: 2, at: Timestamp::from_millis(0), rule: Rule::PenaltyFineFen, old: 5_000, new: 8_000 };
        assert_eq!(f.words(), "¥50.00 → ¥80.00");
    }
}
