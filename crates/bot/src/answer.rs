//! The answer to each intent, from the facts in the [`Context`] only. When a fact is missing the
//! answer says so and points to 转人工: the bot never guesses a number.

use crate::context::{Context, OrderFacts, ProductFacts, ProductKind};
use crate::faq;
use crate::format::{deadline, duration, yuan};
use crate::intent::Intent;
use crate::text::order_numbers;
use crate::{CaseOffer, HandoffReason};

/// What an intent's answer says and offers.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Answer {
    pub text: String,
    pub suggestions: Vec<String>,
    pub case_offer: Option<CaseOffer>,
    pub handoff: Option<HandoffReason>,
}

impl Answer {
    fn says(text: String) -> Self {
        Self { text, ..Self::default() }
    }
    fn suggest(mut self, s: &[&str]) -> Self {
        self.suggestions = s.iter().map(|x| (*x).to_owned()).collect();
        self
    }
}

const NO_PRODUCT: &str = "我这里没有您所看商品的信息，不能替商家报数字。请在商品页或订单页里向我提问，或点「转人工」。";

pub(crate) fn compose(intent: Intent, text: &str, ctx: &Context) -> Answer {
    match intent {
        Intent::Price => with_product(ctx, |p| price(p, text)),
        Intent::Stock => with_product(ctx, stock),
        Intent::DeliveryTime => delivery(ctx),
        Intent::OrderStatus => order_status(text, ctx),
        Intent::RedeemHelp => redeem(text, ctx),
        Intent::RefundPolicy => refund(ctx),
        Intent::PaymentHelp => payment(text, ctx),
        Intent::KeyInvalid | Intent::TopupMissing | Intent::AccountMismatch | Intent::Complaint => {
            dispute(intent, text, ctx)
        }
        Intent::Human => hand_over(ctx, HandoffReason::AskedForHuman, ""),
        Intent::Other => other(text, ctx),
    }
}

fn with_product(ctx: &Context, f: impl Fn(&ProductFacts) -> Answer) -> Answer {
    match &ctx.product {
        Some(p) => f(p).suggest(&["多久发货", "怎么兑换"]),
        None => Answer::says(NO_PRODUCT.to_owned()).suggest(&["查询我的订单", "售后规则"]),
    }
}

/// The unit price for `qty`: the best tier the quantity reaches, else the list price.
fn unit_price(p: &ProductFacts, qty: i64) -> i64 {
    p.tiers.iter().filter(|t| qty >= t.min_qty).min_by_key(|t| t.price_fen).map_or(p.price_fen, |t| t.price_fen)
}

/// A quantity the buyer typed: digits before 张/个/件/份/套.
fn quantity(text: &str) -> Option<i64> {
    let chars: Vec<char> = text.chars().collect();
    let unit = chars.iter().position(|c| "张个件份套".contains(*c))?;
    let digits: String = chars[..unit].iter().rev().take_while(|c| c.is_ascii_digit()).collect();
    digits.chars().rev().collect::<String>().parse().ok().filter(|q| *q > 0)
}

fn price(p: &ProductFacts, text: &str) -> Answer {
    let mut s = format!("《{}》单价 {}", p.title, yuan(p.price_fen));
    let mut tiers = p.tiers.clone();
    tiers.sort_by_key(|t| t.min_qty);
    if tiers.is_empty() {
        s.push_str("，没有批量优惠。");
    } else {
        let list: Vec<String> = tiers.iter().map(|t| format!("满 {} 件 {}/件", t.min_qty, yuan(t.price_fen))).collect();
        s.push_str(&format!("；批量价：{}。", list.join("，")));
    }
    if let Some(q) = quantity(text) {
        let unit = unit_price(p, q);
        s.push_str(&format!("买 {q} 件每件 {}，共 {}。", yuan(unit), yuan(unit.saturating_mul(q))));
    }
    Answer::says(s)
}

fn stock(p: &ProductFacts) -> Answer {
    Answer::says(match p.stock {
        Some(n) if n > 0 => format!("《{}》现有库存 {n} 件，付款后自动发货。", p.title),
        Some(_) => format!("《{}》暂时缺货，补货时间由商家决定；点「转人工」可以问商家。", p.title),
        None => format!("《{}》是直充商品，没有库存限制：付款后由商家充值到您的账号。", p.title),
    })
}

fn delivery(ctx: &Context) -> Answer {
    let text = match &ctx.product {
        Some(p) => match (p.kind, p.delivery_secs) {
            (ProductKind::DirectTopup, Some(secs)) => format!(
                "《{}》商家承诺付款后 {}内充值到账；超过承诺时间未到账，您可以取消订单并立即退款。",
                p.title,
                duration(secs)
            ),
            (ProductKind::DirectTopup, None) => {
                format!("《{}》是直充，到账时间以商品页承诺为准；超时未到账可以取消订单并立即退款。", p.title)
            }
            _ => format!("《{}》付款成功后立即自动发货，卡密/账号直接显示在订单页。", p.title),
        },
        None => {
            "卡密和账号类商品付款后立即自动发货；直充商品按商品页承诺的时间到账，超时可取消订单并立即退款。".to_owned()
        }
    };
    Answer::says(text).suggest(&["查询我的订单", "怎么兑换"])
}

fn state_label(state: &str) -> &'static str {
    match state {
        "delivered" => "已发货",
        "awaiting_fulfilment" => "待商家充值",
        "fulfilled" => "商家已充值",
        "completed" => "已完成",
        "refunded" => "已退款",
        _ => "处理中",
    }
}

fn next_step(o: &OrderFacts, now: i64) -> String {
    let own = o.next_step.clone().unwrap_or_default();
    let derived = match (o.state.as_str(), o.promise_due, o.protect_until) {
        ("awaiting_fulfilment", Some(due), _) => {
            format!("商家需在 {} 完成充值；超时未到账您可以取消订单并立即退款。", deadline(now, due))
        }
        ("delivered" | "fulfilled", _, Some(until)) => format!(
            "担保期到 {}：期间有问题可以发起售后，到期没有售后则自动确认收货并结算给商家。",
            deadline(now, until)
        ),
        ("completed", _, _) => "交易已完成，款项已结算给商家。".to_owned(),
        ("refunded", _, _) => "款项已退回您的钱包。".to_owned(),
        _ => String::new(),
    };
    match (own.is_empty(), derived.is_empty()) {
        (false, _) => own,
        (true, false) => derived,
        (true, true) => "如需了解下一步，请点「转人工」。".to_owned(),
    }
}

fn describe(o: &OrderFacts, now: i64) -> String {
    format!("订单 {}（{}）：{}。{}", o.no, o.title, state_label(&o.state), next_step(o, now))
}

fn order_status(text: &str, ctx: &Context) -> Answer {
    let asked = order_numbers(text);
    let mut lines = Vec::new();
    for no in &asked {
        match ctx.orders.iter().find(|o| &o.no == no) {
            Some(o) => lines.push(describe(o, ctx.now_ms)),
            None => lines.push(format!("在您的订单里没有找到订单号 {no}，请核对号码。")),
        }
    }
    if asked.is_empty() {
        match ctx.orders.iter().max_by_key(|o| o.created_at) {
            Some(o) => {
                lines.push(format!("您最近的{}", describe(o, ctx.now_ms)));
                if ctx.orders.len() > 1 {
                    lines.push("查其他订单请发订单号（18 位数字）。".to_owned());
                }
            }
            None => lines.push("您还没有订单记录。若已付款却看不到订单，请点「转人工」。".to_owned()),
        }
    }
    Answer::says(lines.join("\n")).suggest(&["发起售后", "售后规则"])
}

fn redeem(text: &str, ctx: &Context) -> Answer {
    if let Some(p) = ctx.product.as_ref().filter(|p| !p.instructions.trim().is_empty()) {
        return Answer::says(format!("《{}》的使用说明（商家提供）：\n{}", p.title, p.instructions.trim()));
    }
    if let Some(hit) = faq::best(&ctx.knowledge, text).filter(|h| h.score >= faq::MIN_SCORE) {
        return Answer::says(hit.entry.answer.clone());
    }
    Answer::says(match &ctx.product {
        Some(p) => format!("《{}》的商家没有填写使用说明；点「转人工」让商家告诉您兑换方法。", p.title),
        None => "请在商品页或订单页向我提问，我会给出该商品的兑换说明；也可以点「转人工」。".to_owned(),
    })
    .suggest(&["卡密无效怎么办"])
}

fn refund(ctx: &Context) -> Answer {
    let r = &ctx.rules;
    let mut s = format!(
        "虚拟商品也有售后。卡密交付后 {}、直充充值完成后 {}、账号交付后 {}内，遇到卡密无效、充值未到账、账号与描述不符，\
         都可以在订单页发起售后并上传凭证。商家需在 {}内处理，平台保证 {}内处理完毕；退款退回您的钱包。\
         担保期内货款由平台托管，不会先给商家。买错、不想要等非质量问题需商家同意，可点「转人工」协商。",
        duration(r.protect_card_key_secs),
        duration(r.protect_topup_secs),
        duration(r.protect_account_secs),
        duration(r.case_merchant_secs),
        duration(r.case_resolve_secs),
    );
    if let Some(p) = &ctx.product {
        s.push_str(&format!("\n《{}》的担保期是 {}。", p.title, duration(protect_secs(ctx, p.kind))));
    }
    Answer::says(s).suggest(&["发起售后", "查询我的订单"])
}

fn protect_secs(ctx: &Context, kind: ProductKind) -> i64 {
    match kind {
        ProductKind::CardKey => ctx.rules.protect_card_key_secs,
        ProductKind::DirectTopup => ctx.rules.protect_topup_secs,
        ProductKind::Account => ctx.rules.protect_account_secs,
    }
}

const PAYMENT_FALLBACK: &str =
    "有应的订单从钱包余额付款，钱先进入平台担保，不直接给商家；余额不足请先充值钱包。遇到扣款异常请点「转人工」。";

fn payment(text: &str, ctx: &Context) -> Answer {
    let text = match faq::best(&ctx.knowledge, text).filter(|h| h.score >= faq::MIN_SCORE) {
        Some(hit) => hit.entry.answer.clone(),
        None => PAYMENT_FALLBACK.to_owned(),
    };
    Answer::says(text).suggest(&["退款规则"])
}

fn other(text: &str, ctx: &Context) -> Answer {
    match faq::best(&ctx.knowledge, text).filter(|h| h.score >= faq::MIN_SCORE) {
        Some(hit) => Answer::says(hit.entry.answer.clone()),
        None => hand_over(ctx, HandoffReason::NotUnderstood, "这个问题我回答不了。"),
    }
}

/// The buyer is passed to a person, with the promise of when one will reply.
pub(crate) fn hand_over(ctx: &Context, reason: HandoffReason, lead: &str) -> Answer {
    Answer {
        text: format!("{lead}已为您转接人工客服，{}内会有真人回复您。", duration(ctx.rules.chat_reply_secs)),
        handoff: Some(reason),
        ..Answer::default()
    }
}

/// The order a dispute is about: one named in the message, else the buyer's latest order of the
/// kind the dispute concerns.
fn dispute_order<'a>(intent: Intent, text: &str, ctx: &'a Context) -> Option<&'a OrderFacts> {
    let named = order_numbers(text);
    if let Some(o) = ctx.orders.iter().find(|o| named.contains(&o.no)) {
        return Some(o);
    }
    let kind = match intent {
        Intent::KeyInvalid => Some(ProductKind::CardKey),
        Intent::TopupMissing => Some(ProductKind::DirectTopup),
        Intent::AccountMismatch => Some(ProductKind::Account),
        _ => None,
    };
    ctx.orders.iter().filter(|o| kind.is_none_or(|k| o.kind == k)).max_by_key(|o| o.created_at)
}

fn dispute(intent: Intent, text: &str, ctx: &Context) -> Answer {
    let r = &ctx.rules;
    let (m, done) = (duration(r.case_merchant_secs), duration(r.case_resolve_secs));
    let rule = match intent {
        Intent::KeyInvalid => format!(
            "卡密无效或已被使用：交付后 {}内发起售后并上传截图。商家 {m}内补发或退款；商家不处理，平台直接从担保金退款。售后 {done}内处理完毕。",
            duration(r.protect_card_key_secs)
        ),
        Intent::TopupMissing => format!(
            "直充未到账：超过承诺时间还没充值的订单可以直接取消，立即退款；已显示充值的订单在 {}内可发起售后，商家 {m}内出示充值凭证或退款，售后 {done}内处理完毕。",
            duration(r.protect_topup_secs)
        ),
        Intent::AccountMismatch => format!(
            "账号与描述不符：交付后 {}内发起售后，按订单快照里商家声明的属性逐项核对，不符则退款（账号退回）或双方同意部分退款。商家 {m}内处理，超时由平台裁决，售后 {done}内处理完毕。",
            duration(r.protect_account_secs)
        ),
        _ => format!(
            "您的投诉由人工处理并留存证据。与订单有关的问题可以在担保期内发起售后，平台保证 {done}内处理完毕；平台介入的售后会在商家页公示。"
        ),
    };
    let order = dispute_order(intent, text, ctx);
    let mut lead = rule;
    for no in order_numbers(text).iter().filter(|no| !ctx.orders.iter().any(|o| &o.no == *no)) {
        lead.push_str(&format!("\n在您的订单里没有找到订单号 {no}，请核对号码。"));
    }
    let mut offer = None;
    if let Some(o) = order {
        let open = o.protect_until.is_none_or(|until| until > ctx.now_ms) && o.state != "refunded";
        if open {
            lead.push_str(&format!("\n可以一键为订单 {}（{}）发起售后。", o.no, o.title));
            offer = Some(CaseOffer { order_no: o.no.clone(), case_type: intent.as_str().to_owned() });
        } else {
            lead.push_str(&format!("\n订单 {} 已不在担保期内，人工客服会帮您看怎么处理。", o.no));
        }
    }
    lead.push('\n');
    let mut a = hand_over(ctx, HandoffReason::Dispute, &lead);
    a.case_offer = offer;
    a.suggestions = if a.case_offer.is_some() { vec!["发起售后".to_owned()] } else { Vec::new() };
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_read_from_the_text() {
        assert_eq!(quantity("买50张什么价"), Some(50));
        assert_eq!(quantity("拿 10个"), Some(10));
        assert_eq!(quantity("多少钱"), None);
    }
}
