//! Evidence events in plain Chinese, for the printable evidence file and the
//! web verifier: who did what, with its facts (money as ¥12.34, case types,
//! outcomes and breaches as words). No internal code and no JSON ever reaches
//! the sentence; order cards and bot answers become [`Card`]s.

use serde_json::Value;

use super::kinds::title;
use crate::cases::CaseType;
use crate::cases::publication::outcome_label;
use crate::enforcement::model::BreachKind;
use crate::rules::words::{duration, yuan};

/// What the bundle knows about its order, to name the people in a sentence.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// The buyer's user id: the actor of `order.created`.
    pub buyer_id: Option<i64>,
    pub shop: &'a str,
    pub order_no: &'a str,
    pub title: &'a str,
    pub quantity: i64,
}

/// Who did it, as a consumer reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Buyer,
    Shop,
    PlatformAgent,
    /// The shop's automatic answerer (never 系统).
    Bot,
    /// The platform's own rules, acting on a deadline.
    Platform,
}

impl Who {
    pub fn label(self, shop: &str) -> String {
        match self {
            Who::Buyer => "买家".to_owned(),
            Who::Shop if shop.is_empty() => "商家".to_owned(),
            Who::Shop => format!("商家「{shop}」"),
            Who::PlatformAgent => "平台客服".to_owned(),
            Who::Bot => "智能助手".to_owned(),
            Who::Platform => "平台（自动）".to_owned(),
        }
    }

    fn of_side(side: &str) -> Who {
        match side {
            "buyer" => Who::Buyer,
            "shop" | "merchant" => Who::Shop,
            "platform" => Who::PlatformAgent,
            _ => Who::Platform,
        }
    }

    fn of_role(role: &str) -> Who {
        match role {
            "buyer" => Who::Buyer,
            "platform_agent" | "admin" => Who::PlatformAgent,
            _ => Who::Shop,
        }
    }
}

/// An order card or a bot answer, shown as a card instead of its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub heading: &'static str,
    /// Label and value, e.g. ("金额", "¥12.34").
    pub rows: Vec<(&'static str, String)>,
    pub text: Option<String>,
}

/// One event in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    pub who: Who,
    pub what: String,
    pub card: Option<Card>,
}

impl Sentence {
    fn new(who: Who, what: impl Into<String>) -> Self {
        Sentence { who, what: what.into(), card: None }
    }
}

fn s<'v>(p: &'v Value, k: &str) -> &'v str {
    p[k].as_str().unwrap_or_default()
}

fn n(p: &Value, k: &str) -> i64 {
    p[k].as_i64().unwrap_or(0)
}

/// The event `kind` by `actor` with `payload`, in words. An unknown kind reads
/// as its generic title, never as its code.
pub fn describe(kind: &str, actor: Option<i64>, payload: &Value, f: &Facts<'_>) -> Sentence {
    let by_buyer = actor.is_some() && actor == f.buyer_id;
    let default_who = match actor {
        None => Who::Platform,
        Some(_) if by_buyer => Who::Buyer,
        Some(_) => Who::Shop,
    };
    let (prefix, _) = kind.split_once('.').unwrap_or((kind, ""));
    let said = match prefix {
        "order" => order(kind, payload, f, default_who),
        "chat" => chat(kind, payload, f),
        "case" => case(kind, payload, default_who),
        _ => other(kind, payload, default_who),
    };
    said.unwrap_or_else(|| Sentence::new(default_who, title(kind).unwrap_or("平台记录了一项操作")))
}

fn order(kind: &str, p: &Value, f: &Facts<'_>, who: Who) -> Option<Sentence> {
    Some(match kind {
        "order.created" => Sentence::new(
            Who::Buyer,
            format!("买家付款 {} 购买「{}」× {}，货款由平台担保", yuan(n(p, "total_fen")), f.title, n(p, "quantity")),
        ),
        "order.delivered" => {
            Sentence::new(Who::Platform, format!("平台自动发货 {} 件（每件卡密的指纹已记录）", n(p, "units")))
        }
        "units.viewed_by_staff" => Sentence::new(
            Who::of_role(s(p, "by_role")),
            format!("仲裁售后 #{} 时查看了卡密（{} 件）", n(p, "case_id"), n(p, "units")),
        ),
        "order.key_revealed" => {
            Sentence::new(Who::of_role(s(p, "by_role")), format!("查看了卡密（{} 件）", n(p, "units")))
        }
        "order.fulfilled" => {
            let late = n(p, "late_ms") / 1000;
            let late = if late > 0 { format!("，比承诺晚了 {}", duration(late)) } else { String::new() };
            let note = s(p, "note");
            let note = if note.is_empty() { String::new() } else { format!("（说明：{note}）") };
            Sentence::new(Who::Shop, format!("商家报告已完成直充{late}{note}"))
        }
        "order.topup_overdue" => Sentence::new(Who::Platform, "商家未在承诺时间内完成直充，平台记商家违约一次"),
        "order.refunded" => Sentence::new(who, format!("订单退款 {} 给买家", yuan(n(p, "amount_fen")))),
        "order.completed" => Sentence::new(Who::Platform, "担保期结束，货款结算给商家"),
        "order.case_opened" if p["escrow_frozen"].as_bool() == Some(true) => {
            Sentence::new(Who::Buyer, "买家就本订单申请售后，担保中的货款被冻结")
        }
        "order.case_opened" => Sentence::new(Who::Buyer, "买家就本订单申请售后"),
        "order.reissued" => Sentence::new(who, "商家为售后补发了新的卡密"),
        "order.sourcing" => Sentence::new(Who::Platform, "平台向上游货源下单"),
        "order.sourced" => Sentence::new(Who::Platform, "上游货源已接单"),
        "order.source_late" => Sentence::new(Who::Platform, "上游货源在买家取消后才回复，平台已处理"),
        _ => return None,
    })
}

fn chat(kind: &str, p: &Value, f: &Facts<'_>) -> Option<Sentence> {
    Some(match kind {
        "chat.opened" => Sentence::new(Who::Buyer, "买家发起了与商家的对话"),
        "chat.message" => message(p, f),
        "chat.answered" => {
            let waited = duration(n(p, "waited_ms") / 1000);
            let in_time = if p["in_time"].as_bool() == Some(false) { "，已超过时限" } else { "，在时限内" };
            Sentence::new(Who::of_side(s(p, "side")), format!("回复了买家（买家等待了 {waited}{in_time}）"))
        }
        "chat.handed_over" => {
            Sentence::new(Who::Bot, format!("智能助手把对话转给人工客服（{}）", handoff(s(p, "reason"))))
        }
        "chat.taken_over" => {
            Sentence::new(Who::Platform, "商家未在规定时限内回复买家，平台客服接管了对话（商家记违约一次）")
        }
        "chat.read" => Sentence::new(Who::of_side(s(p, "side")), "已读对话中的消息"),
        "chat.assigned" => Sentence::new(Who::of_side(s(p, "side")), "对话被分配给一位客服"),
        "chat.bot_settled" => Sentence::new(Who::Buyer, "买家确认智能助手已解决问题"),
        _ => return None,
    })
}

fn handoff(reason: &str) -> &'static str {
    match reason {
        "asked_for_human" => "买家要求转人工",
        "repeated_question" => "买家重复提问",
        "not_helpful" => "回答没有帮到买家",
        "too_many_answers" => "已连续回答多次",
        "dispute" => "买家有争议，需要人工处理",
        "not_understood" => "没有理解买家的问题",
        _ => "需要人工处理",
    }
}

/// The bot's topic, for "智能助手回答了价格问题".
fn topic(intent: &str) -> &'static str {
    match intent {
        "price" => "价格问题",
        "stock" => "库存问题",
        "delivery_time" => "发货时间问题",
        "order_status" => "订单状态问题",
        "redeem_help" => "使用方法问题",
        "refund_policy" => "退款规则问题",
        "payment_help" => "付款问题",
        "key_invalid" => "卡密无效问题",
        "topup_missing" => "充值未到账问题",
        "account_mismatch" => "账号问题",
        "complaint" => "投诉",
        "human" => "转人工请求",
        _ => "问题",
    }
}

fn message(p: &Value, f: &Facts<'_>) -> Sentence {
    let who = Who::of_side(s(p, "side"));
    let body = s(p, "body");
    let data: Value = serde_json::from_str(body).unwrap_or_default();
    match s(p, "kind") {
        "image" => Sentence::new(who, "发送了一张图片（图片的 SHA-256 已记录）"),
        "order_card" => Sentence { card: Some(order_card(&data, f)), ..Sentence::new(who, "发送了订单卡片") },
        "bot" => {
            let then = if data["handoff"].as_bool() == Some(true) { "并转人工" } else { "" };
            let what = format!("智能助手回答了{}{then}", topic(s(&data, "intent")));
            let text = Some(s(&data, "text").to_owned());
            Sentence {
                card: Some(Card { heading: "智能助手的回答", rows: Vec::new(), text }),
                ..Sentence::new(Who::Bot, what)
            }
        }
        "system" => Sentence::new(Who::Platform, format!("平台提示：{body}")),
        "feedback" => Sentence::new(who, format!("对智能助手的回答选择了「{body}」")),
        _ => Sentence::new(who, format!("说：{}", body.chars().take(300).collect::<String>())),
    }
}

fn order_card(d: &Value, f: &Facts<'_>) -> Card {
    if d["order_no"].is_string() {
        let no = s(d, "order_no");
        let quantity = if no == f.order_no { f.quantity.to_string() } else { "—".to_owned() };
        let rows = vec![
            ("订单号", no.to_owned()),
            ("商品", s(d, "title").to_owned()),
            ("数量", quantity),
            ("金额", yuan(n(d, "total_fen"))),
        ];
        return Card { heading: "订单卡片", rows, text: None };
    }
    let rows = vec![("商品", s(d, "title").to_owned()), ("单价", yuan(n(d, "price_fen")))];
    Card { heading: "商品卡片", rows, text: None }
}

fn case(kind: &str, p: &Value, who: Who) -> Option<Sentence> {
    Some(match kind {
        "case.opened" => {
            let t = CaseType::parse(s(p, "type")).map_or("其他问题", CaseType::label);
            let said = s(p, "description");
            let said = if said.is_empty() { String::new() } else { format!("（买家说明：{said}）") };
            Sentence::new(Who::Buyer, format!("买家申请售后：{t}{said}"))
        }
        "case.reissued" => Sentence::new(Who::Shop, "商家补发了卡密，等待买家确认"),
        "case.fulfilled" => Sentence::new(Who::Shop, "商家表示已补充值，等待买家确认"),
        "case.partial_proposed" => {
            Sentence::new(Who::Shop, format!("商家提议部分退款 {}，等待买家确认", yuan(n(p, "amount_fen"))))
        }
        "case.escalated" => match s(p, "reason") {
            "merchant_silent" => Sentence::new(Who::Platform, "商家未在时限内处理售后，转平台仲裁（商家记违约一次）"),
            _ if who == Who::Buyer => Sentence::new(Who::Buyer, "买家不接受商家的方案，转平台仲裁"),
            _ => Sentence::new(who, "提出异议，转平台仲裁"),
        },
        "case.refund" | "case.refund_paid" => {
            Sentence::new(Who::Platform, format!("售后退款 {} 已退给买家", yuan(n(p, "amount_fen"))))
        }
        "case.closed" => {
            let outcome = s(p, "outcome");
            let refund = n(p, "refund_fen");
            let money = if refund > 0 { format!("，退款 {}", yuan(refund)) } else { String::new() };
            let who = if outcome.starts_with("platform_") { Who::PlatformAgent } else { who };
            Sentence::new(who, format!("售后结束：{}{money}", outcome_label(outcome)))
        }
        "case.relaying" => Sentence::new(Who::Platform, "平台把售后转给上游货源处理"),
        "case.public_response" => Sentence::new(Who::Shop, format!("商家公开回应：{}", s(p, "text"))),
        _ => return None,
    })
}

fn other(kind: &str, p: &Value, who: Who) -> Option<Sentence> {
    Some(match kind {
        "breach.recorded" => {
            let k = BreachKind::parse(s(p, "kind")).map_or("违规", BreachKind::label);
            Sentence::new(Who::Platform, format!("平台记录商家违约一次：{k}"))
        }
        "evidence.exported" => {
            Sentence::new(Who::of_role(s(p, "by_role")), format!("导出了证据材料（{} 条记录）", n(p, "events")))
        }
        _ => return title(kind).map(|t| Sentence::new(who, t)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> Facts<'static> {
        Facts { buyer_id: Some(7), shop: "星辰卡铺", order_no: "Y1", title: "月卡", quantity: 2 }
    }

    #[test]
    fn a_bot_answer_is_the_assistant_with_a_card_of_its_text() {
        let body = json!({"text": "月卡 ¥12.34", "intent": "price", "handoff": true}).to_string();
        let s = describe("chat.message", None, &json!({"side": "system", "kind": "bot", "body": body}), &facts());
        assert_eq!(s.who.label("星辰卡铺"), "智能助手");
        assert_eq!(s.what, "智能助手回答了价格问题并转人工");
        assert_eq!(s.card.unwrap().text.as_deref(), Some("月卡 ¥12.34"));
    }

    #[test]
    fn an_order_card_is_rows_not_data() {
        let body = json!({"order_no": "Y1", "title": "月卡", "total_fen": 1234, "state": "delivered"}).to_string();
        let s =
            describe("chat.message", Some(7), &json!({"side": "buyer", "kind": "order_card", "body": body}), &facts());
        let rows = s.card.unwrap().rows;
        assert!(rows.contains(&("金额", "¥12.34".to_owned())) && rows.contains(&("数量", "2".to_owned())));
    }

    #[test]
    fn cases_and_breaches_read_as_words() {
        let s = describe("case.opened", Some(7), &json!({"type": "key_invalid"}), &facts());
        assert_eq!((s.who, s.what.as_str()), (Who::Buyer, "买家申请售后：卡密无效/已被使用"));
        let s = describe("breach.recorded", None, &json!({"kind": "chat_reply"}), &facts());
        assert_eq!(s.what, "平台记录商家违约一次：超时未回复买家");
        let s = describe("case.closed", Some(9), &json!({"outcome": "platform_refunded", "refund_fen": 980}), &facts());
        assert_eq!((s.who, s.what.as_str()), (Who::PlatformAgent, "售后结束：平台裁决全额退款，退款 ¥9.80"));
    }

    #[test]
    fn an_unknown_kind_never_shows_its_code() {
        let s = describe("zzz.made_up", None, &json!({}), &facts());
        assert!(!s.what.contains("zzz"));
    }
}
