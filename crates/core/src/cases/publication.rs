//! The publication of cases (公示案例): every case the platform had to step
//! into — the automatic refund at the merchant's 12 h silence, arbitration
//! after a contest or a refused remedy, the 24 h safety net — is public open
//! data once it is **closed**. We publish at closing, not at the moment the
//! platform stepped in, so that what the public reads is a settled outcome,
//! never a running dispute the shop may still win.
//!
//! What is shown is anonymised: the case type, when it opened and closed, a
//! timeline whose actors are only 买家 / 商家 / 平台 / 系统, the deadline the shop
//! missed (or that it contested), the outcome and the refund. No user names or
//! ids, no key material, no screenshots, no free text a buyer or agent wrote
//! (it could hold personal data) — only the type and the outcome. The shop may
//! add one public response.

use serde::Serialize;
use serde_json::{Value, json};

use super::{Case, CaseAction};
use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::cases::port::CaseRead;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::money::Fen;
use crate::ports::Tx;
use crate::reviews::{self, classify};
use crate::rules::words::duration;
use crate::values::{CaseId, ShopId};

/// Outcomes that are the platform's (or its clocks') doing.
pub const PLATFORM_OUTCOMES: [&str; 5] = [
    "auto_refund_merchant_silent",
    "safety_net_refund",
    "platform_refunded",
    "platform_partial_refund",
    "platform_rejected",
];

/// Whether `case` is public: closed, and the platform stepped in (by its
/// outcome, or because it went to arbitration at some point).
pub fn is_published(case: &Case, actions: &[CaseAction]) -> bool {
    case.closed_at.is_some()
        && (case.outcome.as_deref().is_some_and(|o| PLATFORM_OUTCOMES.contains(&o))
            || actions.iter().any(|a| a.kind == "case.escalated"))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicStep {
    pub at: i64,
    /// 买家, 商家, 平台 or 系统.
    pub actor: &'static str,
    pub what: String,
}

/// A published case as anyone may read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicCase {
    pub id: i64,
    pub shop_id: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub type_label: &'static str,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    /// Why the platform stepped in: `merchant_silent`, `contested`, `buyer_refused` or `safety_net`.
    pub stepped_in: &'static str,
    /// The same in words, with the case's own deadline, e.g. “商家 12 小时内未处理”.
    pub stepped_in_label: String,
    pub outcome: Option<String>,
    pub outcome_label: &'static str,
    pub refund_fen: i64,
    pub timeline: Vec<PublicStep>,
    pub public_response: Option<String>,
    pub public_response_at: Option<i64>,
}

pub fn outcome_label(o: &str) -> &'static str {
    match o {
        "merchant_refunded" | "source_refunded" => "商家全额退款",
        "buyer_accepted_reissue" => "买家确认补发",
        "buyer_accepted_fulfilment" => "买家确认补充值",
        "buyer_accepted_partial_refund" => "买家接受部分退款",
        "platform_refunded" => "平台裁决全额退款",
        "platform_partial_refund" => "平台裁决部分退款",
        "platform_rejected" => "平台驳回申请",
        "auto_refund_merchant_silent" => "商家超时未处理，平台自动全额退款",
        "remedy_stands_buyer_silent" => "买家未在时限内回复，补救方案生效",
        "safety_net_refund" => "售后到期未结束，平台兜底自动全额退款",
        _ => "已结束",
    }
}

fn actor(side: &str) -> &'static str {
    match side {
        "buyer" => "买家",
        "merchant" => "商家",
        "platform" => "平台",
        _ => "系统",
    }
}

fn yuan(fen: i64) -> String {
    Fen::new(fen).map_or_else(|_| String::new(), |f| f.to_string())
}

/// The case's own windows in words: (merchant's, resolution's), as they were
/// when it opened — a later rule change does not rewrite a settled case.
fn windows(case: &Case) -> (String, String) {
    let secs = |due: Timestamp| (due.millis() - case.opened_at.millis()) / 1000;
    (duration(secs(case.merchant_due)), duration(secs(case.resolve_due)))
}

/// One timeline line, in words that carry no one's free text (the actor is a separate field).
fn step(a: &CaseAction, type_label: &str, merchant_window: &str) -> Option<PublicStep> {
    let d: Value = serde_json::from_str(&a.detail).unwrap_or_default();
    let what = match a.kind.as_str() {
        "case.opened" => format!("申请售后：{type_label}"),
        "case.reissued" => "补发了新的卡密".to_owned(),
        "case.fulfilled" => "表示已补充值".to_owned(),
        "case.partial_proposed" => format!("提议部分退款 {}", yuan(d["amount_fen"].as_i64().unwrap_or(0))),
        "case.escalated" => match (a.side.as_str(), d["reason"].as_str()) {
            (_, Some("merchant_silent")) => format!("商家 {merchant_window}内未处理，转平台仲裁"),
            ("merchant", _) => "提出异议，转平台仲裁".to_owned(),
            ("buyer", _) => "不接受商家的方案，转平台仲裁".to_owned(),
            _ => "转平台仲裁".to_owned(),
        },
        "case.closed" => {
            let refund = d["refund_fen"].as_i64().unwrap_or(0);
            let money = if refund > 0 { format!("，退款 {}", yuan(refund)) } else { String::new() };
            format!("售后结束：{}{money}", outcome_label(d["outcome"].as_str().unwrap_or_default()))
        }
        _ => return None,
    };
    Some(PublicStep { at: a.at.millis(), actor: actor(&a.side), what })
}

fn stepped_in(case: &Case, actions: &[CaseAction]) -> (&'static str, String) {
    let escalation = actions.iter().find(|a| a.kind == "case.escalated");
    let silent = case.outcome.as_deref() == Some("auto_refund_merchant_silent")
        || escalation.is_some_and(|a| a.detail.contains("\"merchant_silent\""));
    let (merchant, resolve) = windows(case);
    match (silent, escalation.map(|a| a.side.as_str())) {
        (true, _) => ("merchant_silent", format!("商家 {merchant}内未处理")),
        (false, Some("merchant")) => ("contested", "商家提出异议，由平台仲裁".to_owned()),
        (false, Some("buyer")) => ("buyer_refused", "买家不接受商家的方案，由平台仲裁".to_owned()),
        _ => ("safety_net", format!("{resolve}内未处理完毕，平台兜底")),
    }
}

/// The anonymised view of a case (call only for published cases).
pub fn public_view(case: &Case, actions: &[CaseAction]) -> PublicCase {
    let label = case.kind.label();
    let (why, why_label) = stepped_in(case, actions);
    let merchant_window = windows(case).0;
    PublicCase {
        id: case.id.0,
        shop_id: case.shop_id.0,
        kind: case.kind.as_str(),
        type_label: label,
        opened_at: case.opened_at.millis(),
        closed_at: case.closed_at.map(Timestamp::millis),
        stepped_in: why,
        stepped_in_label: why_label,
        outcome: case.outcome.clone(),
        outcome_label: outcome_label(case.outcome.as_deref().unwrap_or_default()),
        refund_fen: case.refund_fen,
        timeline: actions.iter().filter_map(|a| step(a, label, &merchant_window)).collect(),
        public_response: case.public_response.clone(),
        public_response_at: case.public_response_at.map(Timestamp::millis),
    }
}

/// One published case; anything else is `NotFound`.
pub fn load_public(tx: &mut dyn CaseRead, id: CaseId) -> Result<PublicCase> {
    let case = tx.case(id)?.ok_or(Error::NotFound)?;
    let actions = tx.case_actions(case.id)?;
    if !is_published(&case, &actions) {
        return Err(Error::NotFound);
    }
    Ok(public_view(&case, &actions))
}

/// Published cases (of a shop, or all), newest first: one page and whether more follow.
pub fn public_page(
    tx: &mut dyn CaseRead,
    shop: Option<ShopId>,
    page: usize,
    per_page: usize,
) -> Result<(Vec<PublicCase>, bool)> {
    let offset = page.saturating_sub(1).saturating_mul(per_page);
    let mut list = tx.published_cases(shop, offset, per_page + 1)?;
    let more = list.len() > per_page;
    list.truncate(per_page);
    let mut out = Vec::with_capacity(list.len());
    for c in list {
        let actions = tx.case_actions(c.id)?;
        out.push(public_view(&c, &actions));
    }
    Ok((out, more))
}

/// The shop's one public response to a published case of its own.
pub fn respond(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: CaseId, text: &str) -> Result<PublicCase> {
    let mut case = tx.case(id)?.ok_or(Error::NotFound)?;
    let shop = tx.shop(case.shop_id)?.ok_or(Error::NotFound)?;
    authz::shop(actor, ShopAction::Serve, &shop)?;
    let actions = tx.case_actions(case.id)?;
    if !is_published(&case, &actions) {
        return Err(Error::Conflict(Conflict::CaseNotPublished));
    }
    let t = text.trim();
    if t.is_empty() || t.chars().count() > reviews::MAX_CHARS {
        return Err(Error::Invalid { field: "public_response", reason: "length_1_500" });
    }
    if let Some(h) = classify(t) {
        return Err(Error::Invalid { field: "reply_moderation", reason: h.as_str() });
    }
    if case.public_response.is_some() || !tx.set_case_public_response(case.id, t, actor.id, now)? {
        return Err(Error::Conflict(Conflict::AlreadyResponded));
    }
    case.public_response = Some(t.to_owned());
    case.public_response_at = Some(now);
    tx.append(NewEvent::new(now, Some(actor.id), "case.public_response", case.subject(), json!({ "text": t })))?;
    Ok(public_view(&case, &actions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{CaseState, CaseType};
    use crate::values::{OrderId, UserId};

    fn case(outcome: Option<&str>, closed: bool) -> Case {
        let t = Timestamp::from_millis(1_000);
        Case {
            id: CaseId(7),
            order_id: OrderId(1),
            order_no: "202611250000000001".into(),
            buyer_id: UserId(42),
            shop_id: ShopId(3),
            kind: CaseType::KeyInvalid,
            state: if closed { CaseState::ResolvedRefunded } else { CaseState::InArbitration },
            description: "我叫张三 13800138000".into(),
            mismatched: Vec::new(),
            opened_at: t,
            merchant_due: t,
            resolve_due: t,
            merchant_deadline: None,
            resolve_deadline: None,
            screenshots: 1,
            remedy: None,
            proposal_fen: None,
            order_state_before: "delivered".into(),
            outcome: outcome.map(str::to_owned),
            refund_fen: 980,
            closed_at: closed.then_some(t),
            decided_by: Some(UserId(9)),
            decision_reason: Some("张三的证据充分".into()),
            public_response: None,
            public_response_at: None,
        }
    }

    fn action(side: &str, kind: &str, detail: &str) -> CaseAction {
        let (side, kind, detail) = (side.to_owned(), kind.to_owned(), detail.to_owned());
        CaseAction { id: 1, case_id: CaseId(7), at: Timestamp::from_millis(1_000), actor_id: None, side, kind, detail }
    }

    #[test]
    fn only_closed_cases_the_platform_stepped_into_are_published() {
        let opened = action("buyer", "case.opened", r#"{"description":"我叫张三"}"#);
        let escalated = action("merchant", "case.escalated", r#"{"reason":"买家撒谎"}"#);
        assert!(is_published(&case(Some("platform_refunded"), true), std::slice::from_ref(&opened)));
        assert!(is_published(&case(Some("auto_refund_merchant_silent"), true), &[]));
        assert!(is_published(&case(Some("safety_net_refund"), true), &[]));
        assert!(!is_published(&case(Some("merchant_refunded"), true), std::slice::from_ref(&opened)));
        assert!(is_published(&case(Some("merchant_refunded"), true), &[opened.clone(), escalated.clone()]));
        assert!(!is_published(&case(None, false), &[opened, escalated]), "not while open");
    }

    #[test]
    fn the_public_view_carries_no_ones_words() {
        let c = case(Some("platform_refunded"), true);
        let actions = [
            action("buyer", "case.opened", r#"{"description":"我叫张三 13800138000"}"#),
            action("merchant", "case.escalated", r#"{"reason":"张三撒谎"}"#),
            action(
                "platform",
                "case.closed",
                r#"{"outcome":"platform_refunded","reason":"张三的证据充分","refund_fen":980}"#,
            ),
        ];
        let v = public_view(&c, &actions);
        assert_eq!((v.stepped_in, v.outcome_label), ("contested", "平台裁决全额退款"));
        let actors: Vec<_> = v.timeline.iter().map(|s| s.actor).collect();
        assert_eq!(actors, ["买家", "商家", "平台"]);
        let text = serde_json::to_string(&v).unwrap_or_default();
        assert!(!text.contains("张三") && !text.contains("13800138000") && !text.contains("42"), "{text}");
        assert!(text.contains("¥9.80"), "{text}");
    }
}
