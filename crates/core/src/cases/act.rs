//! What each party may do to an open case, one function per action. Every
//! function checks the actor's side and the case's state before anything moves.

use serde_json::json;

use super::close::{Closing, Money, close, record, remaining};
use super::evidence::{self, Attachment};
use super::{Case, CaseState, Side, side_of};
use crate::accounts::port::User;
use crate::catalogue::ProductKind;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::money::Fen;
use crate::ports::Tx;
use crate::stock::ClaimedUnit;
use crate::values::{CaseId, UserId};

#[derive(Debug, Clone)]
pub enum Action {
    /// Merchant: a fresh unit from stock, shown to the buyer at once.
    Reissue,
    /// Merchant: refund in full (possible in any open state: conceding is always welcome).
    Refund,
    /// Merchant: offer part of the price back; the buyer accepts or refuses.
    ProposePartial { amount_fen: i64 },
    /// Merchant: the top-up is done now, with proof.
    Fulfil { proof: String },
    /// Merchant: disagree, with a reason and evidence; the platform arbitrates.
    Contest { reason: String, screenshots: Vec<Attachment> },
    /// Buyer: the offered remedy is fine; the case closes.
    Accept,
    /// Buyer: the offered remedy is not; the platform arbitrates.
    Refuse { reason: String },
    /// Platform agent: the arbitration decision.
    Decide { decision: Decision, reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Refund,
    /// Part of the price back, the account returned to the merchant (or not).
    Partial {
        amount_fen: i64,
        account_returned: bool,
    },
    Reject,
}

/// The longest text a case takes (description, reason, proof), in characters.
pub const MAX_TEXT: usize = 2_000;

/// A required text, trimmed. Empty and too long are told apart (`required`,
/// `too_long`) so the form can say which: 请填写… is not 不能超过….
pub(crate) fn text(s: &str, field: &'static str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::Invalid { field, reason: "required" });
    }
    if t.chars().count() > MAX_TEXT {
        return Err(Error::Invalid { field, reason: "too_long" });
    }
    Ok(t.to_owned())
}

fn must(side: Side, want: Side) -> Result<()> {
    if side == want { Ok(()) } else { Err(Error::Forbidden) }
}

fn in_state(case: &Case, want: CaseState, code: Conflict) -> Result<()> {
    if case.state == want { Ok(()) } else { Err(Error::Conflict(code)) }
}

/// What a refund of this case can pay at most: the price less what earlier
/// cases of the order refunded. Forms show it as the true limit of an amount.
pub fn refundable(tx: &mut dyn crate::ports::ReadTx, case: &Case) -> Result<Fen> {
    let order = tx.order(case.order_id)?.ok_or(Error::NotFound)?;
    remaining(tx, &order, case)
}

/// A partial amount: positive, and not above what a full refund would pay.
fn partial_amount(tx: &mut dyn Tx, case: &Case, amount_fen: i64) -> Result<Fen> {
    let order = tx.order(case.order_id)?.ok_or(Error::NotFound)?;
    let cap = remaining(tx, &order, case)?;
    let a = Fen::positive(amount_fen)?;
    if a > cap {
        return Err(Error::Invalid { field: "amount_fen", reason: "above_price" });
    }
    Ok(a)
}

/// The merchant acted: its 12 h clock stops.
fn merchant_acted(tx: &mut dyn Tx, now: Timestamp, case: &mut Case) -> Result<()> {
    in_state(case, CaseState::AwaitingMerchant, Conflict::CaseNotAwaitingMerchant)?;
    if let Some(d) = case.merchant_deadline.take() {
        tx.cancel_deadline(d, now)?;
    }
    Ok(())
}

/// Performs `action` as `actor`; returns the case as it stands after.
pub fn act(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: CaseId, action: Action) -> Result<Case> {
    let mut case = tx.case(id)?.ok_or(Error::NotFound)?;
    let side = side_of(tx, actor, &case)?;
    if !case.state.is_open() {
        return Err(Error::Conflict(Conflict::CaseClosed));
    }
    let who = Some(actor.id);
    match action {
        Action::Refund => {
            must(side, Side::Merchant)?;
            let c = Closing {
                state: CaseState::ResolvedRefunded,
                outcome: "merchant_refunded",
                money: Money::Full,
                actor: who,
                side: "merchant",
                reason: None,
                extra: json!({}),
            };
            close(tx, now, &mut case, c)?;
        }
        Action::Reissue => {
            must(side, Side::Merchant)?;
            reissue(tx, now, actor, &mut case)?;
        }
        Action::ProposePartial { amount_fen } => {
            must(side, Side::Merchant)?;
            let amount = partial_amount(tx, &case, amount_fen)?;
            merchant_acted(tx, now, &mut case)?;
            offer(
                tx,
                now,
                who,
                &mut case,
                "partial_refund",
                Some(amount.get()),
                json!({ "amount_fen": amount.get() }),
            )?;
        }
        Action::Fulfil { proof } => {
            must(side, Side::Merchant)?;
            let proof = text(&proof, "proof")?;
            let order = tx.order(case.order_id)?.ok_or(Error::NotFound)?;
            if order.kind != ProductKind::DirectTopup {
                return Err(Error::Conflict(Conflict::NotATopup));
            }
            merchant_acted(tx, now, &mut case)?;
            offer(tx, now, who, &mut case, "fulfil", None, json!({ "proof": proof }))?;
        }
        Action::Contest { reason, screenshots } => {
            must(side, Side::Merchant)?;
            let reason = text(&reason, "reason")?;
            let types = evidence::check_screenshots(&screenshots)?;
            merchant_acted(tx, now, &mut case)?;
            let shots = evidence::store_screenshots(tx, now, case.id, actor.id, "contest", &screenshots, &types)?;
            to_arbitration(
                tx,
                now,
                &mut case,
                "merchant",
                who,
                json!({ "reason": reason, "screenshots_sha256": shots }),
            )?;
        }
        Action::Accept => {
            must(side, Side::Buyer)?;
            in_state(&case, CaseState::AwaitingBuyer, Conflict::CaseNotAwaitingBuyer)?;
            accept(tx, now, actor, &mut case)?;
        }
        Action::Refuse { reason } => {
            must(side, Side::Buyer)?;
            in_state(&case, CaseState::AwaitingBuyer, Conflict::CaseNotAwaitingBuyer)?;
            let reason = text(&reason, "reason")?;
            let remedy = case.remedy.take();
            case.proposal_fen = None;
            to_arbitration(tx, now, &mut case, "buyer", who, json!({ "reason": reason, "refused": remedy }))?;
        }
        Action::Decide { decision, reason } => {
            must(side, Side::Platform)?;
            in_state(&case, CaseState::InArbitration, Conflict::CaseNotInArbitration)?;
            decide(tx, now, actor, &mut case, decision, &reason)?;
        }
    }
    Ok(case)
}

fn offer(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: Option<UserId>,
    case: &mut Case,
    remedy: &str,
    proposal: Option<i64>,
    detail: serde_json::Value,
) -> Result<()> {
    case.state = CaseState::AwaitingBuyer;
    case.remedy = Some(remedy.to_owned());
    case.proposal_fen = proposal;
    tx.update_case(case)?;
    let kind = match remedy {
        "reissue" => "case.reissued",
        "fulfil" => "case.fulfilled",
        _ => "case.partial_proposed",
    };
    record(tx, now, case, actor, "merchant", kind, detail)
}

/// A fresh unit per unit sold, taken from stock in this transaction; the dead
/// ones leave the order but stay on file with the case.
fn reissue(tx: &mut dyn Tx, now: Timestamp, actor: &User, case: &mut Case) -> Result<()> {
    let order = tx.order(case.order_id)?.ok_or(Error::NotFound)?;
    if !order.kind.has_stock() {
        return Err(Error::Conflict(Conflict::NothingToReissue));
    }
    in_state(case, CaseState::AwaitingMerchant, Conflict::CaseNotAwaitingMerchant)?;
    let fresh = tx.claim_units(order.product_id, order.quantity)?;
    if i64::try_from(fresh.len()).unwrap_or(0) < order.quantity {
        return Err(Error::OutOfStock);
    }
    replace_units(tx, now, Some(actor.id), case, &order, &fresh, json!({}))
}

/// The order's units replaced by `fresh` and offered to the buyer.
fn replace_units(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: Option<UserId>,
    case: &mut Case,
    order: &crate::orders::Order,
    fresh: &[ClaimedUnit],
    extra: serde_json::Value,
) -> Result<()> {
    let old = tx.retire_order_units(case.id, order.id, now)?;
    tx.insert_order_units(order.id, order.shop_id, fresh)?;
    merchant_acted(tx, now, case)?;
    let fps = |u: &[ClaimedUnit]| u.iter().map(|x| x.fingerprint.clone()).collect::<Vec<_>>();
    let mut detail = json!({ "replaced": fps(&old), "fingerprints": fps(fresh) });
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let mut event = detail.clone();
    event["case_id"] = json!(case.id.0);
    tx.append(NewEvent::new(now, actor, "order.reissued", format!("order:{}", order.no), event))?;
    let text = format!("订单 {} 已补发新卡密，请查看并确认", order.no);
    let note = crate::push::Note::new(
        crate::push::PushEvent::KeyReissued,
        case.subject(),
        text,
        format!("/cases/{}", case.id),
    );
    crate::push::notify_user(tx, now, case.buyer_id, &note)?;
    offer(tx, now, actor, case, "reissue", None, detail)
}

/// What the shop's upstream site did about this case (货源对接), passed down
/// as the shop's own act: its 12 h clock stops as if its merchant had acted.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FromSource<'a> {
    /// Fresh units from the upstream's reissue, sealed here.
    Reissue(&'a [ClaimedUnit]),
    /// The upstream topped up again.
    Fulfil(&'a str),
    /// The upstream refunded the shop: the buyer is refunded in full.
    Refund,
}

pub(crate) fn from_source(
    tx: &mut dyn Tx,
    now: Timestamp,
    case: &mut Case,
    remedy: FromSource<'_>,
    source: serde_json::Value,
) -> Result<()> {
    let order = tx.order(case.order_id)?.ok_or(Error::NotFound)?;
    match remedy {
        FromSource::Refund => {
            let c = Closing {
                state: CaseState::ResolvedRefunded,
                outcome: "source_refunded",
                money: Money::Full,
                actor: None,
                side: "merchant",
                reason: None,
                extra: json!({ "source": source }),
            };
            close(tx, now, case, c)
        }
        FromSource::Reissue(units) => {
            if !order.kind.has_stock() || i64::try_from(units.len()).unwrap_or(0) != order.quantity {
                return Err(Error::Conflict(Conflict::NothingToReissue));
            }
            in_state(case, CaseState::AwaitingMerchant, Conflict::CaseNotAwaitingMerchant)?;
            replace_units(tx, now, None, case, &order, units, json!({ "source": source }))
        }
        FromSource::Fulfil(proof) => {
            if order.kind != ProductKind::DirectTopup {
                return Err(Error::Conflict(Conflict::NotATopup));
            }
            merchant_acted(tx, now, case)?;
            offer(tx, now, None, case, "fulfil", None, json!({ "proof": proof, "source": source }))
        }
    }
}

fn accept(tx: &mut dyn Tx, now: Timestamp, actor: &User, case: &mut Case) -> Result<()> {
    let (state, outcome, money) = match case.remedy.as_deref() {
        Some("reissue") => (CaseState::ResolvedReissued, "buyer_accepted_reissue", Money::None),
        Some("fulfil") => (CaseState::ResolvedFulfilled, "buyer_accepted_fulfilment", Money::None),
        Some("partial_refund") => {
            let amount = Fen::new(case.proposal_fen.unwrap_or(0))?;
            (CaseState::ResolvedPartial, "buyer_accepted_partial_refund", Money::Partial(amount))
        }
        _ => return Err(Error::Conflict(Conflict::NothingToAccept)),
    };
    let c = Closing { state, outcome, money, actor: Some(actor.id), side: "buyer", reason: None, extra: json!({}) };
    close(tx, now, case, c)
}

pub(crate) fn to_arbitration(
    tx: &mut dyn Tx,
    now: Timestamp,
    case: &mut Case,
    side: &str,
    actor: Option<crate::values::UserId>,
    detail: serde_json::Value,
) -> Result<()> {
    case.state = CaseState::InArbitration;
    case.remedy = None;
    case.proposal_fen = None;
    tx.update_case(case)?;
    record(tx, now, case, actor, side, "case.escalated", detail)?;
    tx.insert_notification(
        case.shop_id,
        "platform",
        "case_arbitration",
        &case.subject(),
        &format!(
            "售后 #{} 进入平台仲裁，须在开案后 {}内裁决",
            case.id,
            crate::rules::words::duration((case.resolve_due.millis() - case.opened_at.millis()) / 1000)
        ),
        now,
    )?;
    Ok(())
}

fn decide(tx: &mut dyn Tx, now: Timestamp, agent: &User, case: &mut Case, d: Decision, reason: &str) -> Result<()> {
    let reason = match d {
        Decision::Reject => Some(text(reason, "reason")?),
        _ if reason.trim().is_empty() => None,
        _ => Some(text(reason, "reason")?),
    };
    let (state, outcome, money, extra) = match d {
        Decision::Refund => (CaseState::ResolvedRefunded, "platform_refunded", Money::Full, json!({})),
        Decision::Partial { amount_fen, account_returned } => {
            // Only an account can go back to its merchant; a key once shown cannot.
            if account_returned && tx.order(case.order_id)?.is_some_and(|o| o.kind != ProductKind::Account) {
                return Err(Error::Invalid { field: "account_returned", reason: "not_an_account" });
            }
            let a = partial_amount(tx, case, amount_fen)?;
            (
                CaseState::ResolvedPartial,
                "platform_partial_refund",
                Money::Partial(a),
                json!({ "account_returned": account_returned }),
            )
        }
        Decision::Reject => (CaseState::Rejected, "platform_rejected", Money::None, json!({})),
    };
    let c = Closing { state, outcome, money, actor: Some(agent.id), side: "platform", reason, extra };
    close(tx, now, case, c)
}
