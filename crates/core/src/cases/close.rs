//! Closing a case: the refund (if any) through the waterfall, then the order
//! settled, the clocks stopped, the timeline and the chain told.
//!
//! What happens to the order's escrow when the case closes:
//! - full refund → the order is refunded;
//! - partial refund, or rejection → what escrow still holds is released to the
//!   shop now (the case decided the order);
//! - reissue or fulfilment → the order's protection window resumes for the time
//!   it had left (the new key may fail too), or escrow is released if it is over.

use serde_json::{Value, json};

use super::{Case, CaseState, refund};
use crate::cases::port::CaseRead;
use crate::clock::Timestamp;
use crate::deadline::model::{Due, NewDeadline};
use crate::error::{Error, Result};
use crate::evidence::{NewEvent, canonical_json};
use crate::money::Fen;
use crate::orders::{self, Order, OrderState};
use crate::ports::Tx;
use crate::publish::Change;
use crate::values::UserId;

/// A timeline line and its evidence event, together.
pub(crate) fn record(
    tx: &mut dyn Tx,
    now: Timestamp,
    case: &Case,
    actor: Option<UserId>,
    side: &str,
    kind: &'static str,
    mut detail: Value,
) -> Result<()> {
    tx.insert_case_action(case.id, now, actor, side, kind, &canonical_json(&detail))?;
    detail["state"] = json!(case.state.as_str());
    tx.append(NewEvent::new(now, actor, kind, case.subject(), detail))?;
    crate::outbound::case_changed(tx, now, case)?;
    // Announced like chat changes, for live listeners (the chat hub ignores it).
    tx.publish(&Change::Case { case_id: case.id, state: case.state })
}

/// What a full refund still owes: the price less what earlier cases refunded.
pub(crate) fn remaining(tx: &mut dyn CaseRead, order: &Order, this: &Case) -> Result<Fen> {
    let earlier: i64 = tx.cases_of_order(order.id)?.iter().filter(|c| c.id != this.id).map(|c| c.refund_fen).sum();
    Ok(order.total.saturating_sub(Fen::new(earlier)?))
}

pub(crate) fn stop_clocks(tx: &mut dyn Tx, now: Timestamp, case: &mut Case) -> Result<()> {
    for d in [case.merchant_deadline.take(), case.resolve_deadline.take()].into_iter().flatten() {
        tx.cancel_deadline(d, now)?;
    }
    Ok(())
}

/// How a case ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Money {
    None,
    Full,
    Partial(Fen),
}

pub(crate) struct Closing<'a> {
    pub state: CaseState,
    pub outcome: &'static str,
    pub money: Money,
    pub actor: Option<UserId>,
    pub side: &'a str,
    pub reason: Option<String>,
    pub extra: Value,
}

pub(crate) fn close(tx: &mut dyn Tx, now: Timestamp, case: &mut Case, c: Closing<'_>) -> Result<()> {
    let mut order = tx.order(case.order_id)?.ok_or(Error::NotFound)?;
    let subject = case.subject();
    let amount = match c.money {
        Money::None => None,
        Money::Full => Some(remaining(tx, &order, case)?),
        Money::Partial(a) => Some(a),
    };
    let sources = match amount {
        Some(a) => Some(refund::refund(tx, now, &mut order, a, &subject, c.outcome)?),
        None => None,
    };
    settle_order(tx, now, &mut order, case, c.money, c.actor)?;
    stop_clocks(tx, now, case)?;
    case.state = c.state;
    case.outcome = Some(c.outcome.to_owned());
    case.refund_fen += amount.map_or(0, Fen::get);
    case.closed_at = Some(now);
    case.remedy = None;
    if c.side == "platform" || c.side == "system" {
        case.decided_by = c.actor;
    }
    case.decision_reason = c.reason.clone();
    tx.update_case(case)?;
    let mut detail = json!({ "outcome": c.outcome, "refund_fen": amount.map_or(0, Fen::get), "sources": sources,
                             "reason": c.reason, "order_state": order.state.as_str() });
    if let (Some(d), Some(e)) = (detail.as_object_mut(), c.extra.as_object()) {
        d.extend(e.clone());
    }
    let text = match amount {
        Some(a) => format!("售后 #{} 已有结果：退款 {a}", case.id),
        None => format!("售后 #{} 已有结果", case.id),
    };
    let note =
        crate::push::Note::new(crate::push::PushEvent::CaseDecided, &subject, text, format!("/cases/{}", case.id));
    crate::push::notify_user(tx, now, case.buyer_id, &note)?;
    record(tx, now, case, c.actor, c.side, "case.closed", detail)
}

fn settle_order(
    tx: &mut dyn Tx,
    now: Timestamp,
    order: &mut Order,
    case: &Case,
    money: Money,
    actor: Option<UserId>,
) -> Result<()> {
    if money == Money::Full {
        if let Some(d) = order.deadline_id.take() {
            tx.cancel_deadline(d, now)?;
        }
        order.state = OrderState::Refunded;
        order.closed_at = Some(now);
        return orders::save(tx, now, order);
    }
    if order.state != OrderState::Disputed {
        return orders::save(tx, now, order); // released before the case: only escrow may have changed
    }
    let resume = matches!(case.remedy.as_deref(), Some("reissue" | "fulfil")) && money == Money::None;
    let before = OrderState::parse(&case.order_state_before).unwrap_or(OrderState::Delivered);
    match order.protect_until {
        Some(until) if resume && until > now && order.escrow_fen > 0 => {
            order.state = before;
            let end = Due::ProtectionEnd { order_id: order.id };
            order.deadline_id = Some(tx.schedule(&NewDeadline::new(end, format!("order:{}", order.no), until, now))?);
            orders::save(tx, now, order)
        }
        _ if order.escrow_fen > 0 => {
            *order = orders::release(tx, now, order.clone(), actor, "case_closed")?;
            Ok(())
        }
        _ => {
            order.state = OrderState::Completed;
            order.closed_at = Some(now);
            orders::save(tx, now, order)
        }
    }
}
