//! An order of a mapped product, placed upstream. The checkout (one
//! transaction) holds the buyer's money in escrow and writes the step row
//! ([`enqueue`]); the server places the order with no transaction open and
//! hands the upstream's answer to [`answered`], which alone moves the order
//! on: delivered, awaiting the upstream's top-up, fulfilled, or refunded. An
//! unknown outcome only schedules another try.

use serde_json::json;

use super::model::{HiddenReason, Mapping, SourceAnswer, StepState, UpstreamOrder};
use crate::catalogue::ProductKind;
use crate::clock::Timestamp;
use crate::deadline::model::{Due, NewDeadline};
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::orders::model::{Order, OrderState};
use crate::orders::settle::{refund_in_full, save};
use crate::ports::Tx;
use crate::stock::port::ClaimedUnit;

/// The wait after try number `attempts`: 10 s, doubling, at most 10 minutes.
pub fn backoff_secs(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 10)).unwrap_or(10);
    (10_i64 << doublings).min(600)
}

/// How often an upstream top-up is asked about when no callback came.
pub const POLL_SECS: i64 = 60;

/// Writes the step row of a fresh order of a mapped product, due at once.
pub(crate) fn enqueue(tx: &mut dyn Tx, now: Timestamp, order: &Order, m: &Mapping) -> Result<()> {
    tx.insert_upstream_order(&UpstreamOrder {
        upstream_product_id: m.upstream_product_id,
        max_unit_price_fen: m.max_unit_price(),
        ..fresh_step(order, m.connection_id, now)
    })?;
    tx.append(NewEvent::new(
        now,
        None,
        "order.sourcing",
        format!("order:{}", order.no),
        json!({ "upstream": m.connection_id.0, "upstream_product_id": m.upstream_product_id, "max_unit_price_fen": m.max_unit_price() }),
    ))
}

/// The step row of a fresh order at `connection`, due at once (callers set
/// what to order there).
pub(crate) fn fresh_step(order: &Order, connection: super::model::ConnectionId, now: Timestamp) -> UpstreamOrder {
    UpstreamOrder {
        order_id: order.id,
        connection_id: connection,
        upstream_product_id: 0,
        downstream_order_no: order.no.clone(),
        quantity: order.quantity,
        max_unit_price_fen: order.unit_price.get().max(1),
        topup_target: order.topup_target.clone(),
        sku: None,
        account: None,
        state: StepState::Placing,
        attempts: 0,
        next_attempt_at: Some(now),
        upstream_order_no: None,
        last_error: None,
        created_at: now,
        updated_at: now,
    }
}

/// What [`answered`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    Delivered,
    Accepted,
    Fulfilled,
    Refunded,
    /// Asked again later.
    Retry,
    /// Already settled by an earlier answer: nothing changed.
    Settled,
}

/// Acts on the upstream's answer about the order `order_id`, exactly once.
pub fn answered(
    tx: &mut dyn Tx,
    now: Timestamp,
    order_id: crate::values::OrderId,
    answer: &SourceAnswer,
) -> Result<StepOutcome> {
    let Some(mut step) = tx.upstream_order(order_id)? else { return Err(Error::NotFound) };
    let mut order = tx.order(order_id)?.ok_or(Error::NotFound)?;
    if matches!(step.state, StepState::Done | StepState::Failed) {
        return Ok(StepOutcome::Settled);
    }
    if order.state == OrderState::Refunded {
        return late(tx, now, &order, step, answer);
    }
    step.updated_at = now;
    let subject = format!("order:{}", order.no);
    let outcome = match answer {
        SourceAnswer::Unknown { error } => {
            // Never a failure: asked again (a top-up being done upstream, at the polling pace).
            let wait = if step.state == StepState::Awaiting { POLL_SECS } else { backoff_secs(step.attempts) };
            step.last_error = Some(error.chars().take(300).collect());
            step.next_attempt_at = Some(now.plus_secs(wait));
            StepOutcome::Retry
        }
        SourceAnswer::Delivered { upstream_order_no, units } if order.state == OrderState::Sourcing => {
            if i64::try_from(units.len()).unwrap_or(0) != order.quantity || order.kind == ProductKind::DirectTopup {
                step.last_error = Some(format!("{} units for a quantity of {}", units.len(), order.quantity));
                step.next_attempt_at = Some(now.plus_secs(backoff_secs(step.attempts)));
                tx.update_upstream_order(&step)?;
                return Ok(StepOutcome::Retry);
            }
            deliver(tx, now, &mut order, units, upstream_order_no)?;
            done(&mut step, upstream_order_no, StepState::Done);
            StepOutcome::Delivered
        }
        SourceAnswer::Accepted { upstream_order_no } if order.state == OrderState::Sourcing => {
            order.state = OrderState::AwaitingFulfilment;
            save(tx, now, &order)?;
            let detail = json!({ "upstream_order_no": upstream_order_no });
            tx.append(NewEvent::new(now, None, "order.sourced", &subject, detail))?;
            step.state = StepState::Awaiting;
            step.upstream_order_no = Some(upstream_order_no.clone());
            step.next_attempt_at = Some(now.plus_secs(POLL_SECS));
            StepOutcome::Accepted
        }
        // Still being done upstream: ask again later.
        SourceAnswer::Accepted { .. } if order.state == OrderState::AwaitingFulfilment => {
            step.next_attempt_at = Some(now.plus_secs(POLL_SECS));
            StepOutcome::Retry
        }
        SourceAnswer::Fulfilled { upstream_order_no, note }
            if matches!(order.state, OrderState::Sourcing | OrderState::AwaitingFulfilment) =>
        {
            fulfilled(tx, now, &mut order, note, upstream_order_no)?;
            done(&mut step, upstream_order_no, StepState::Done);
            StepOutcome::Fulfilled
        }
        SourceAnswer::Refused { code, message, current_unit_price_fen } => {
            refused(tx, now, &mut order, code, message, *current_unit_price_fen)?;
            step.last_error = Some(format!("{code}: {message}").chars().take(300).collect());
            step.state = StepState::Failed;
            step.next_attempt_at = None;
            StepOutcome::Refunded
        }
        SourceAnswer::Refunded { upstream_order_no } => {
            let why = json!({ "reason": "source_refunded", "source": { "upstream_order_no": upstream_order_no } });
            refund_in_full(tx, now, &mut order, None, "货源已退款", why)?;
            done(&mut step, upstream_order_no, StepState::Failed);
            StepOutcome::Refunded
        }
        // An answer the order has moved past (a late twin): nothing to do.
        _ => {
            step.next_attempt_at = None;
            step.state = StepState::Done;
            StepOutcome::Settled
        }
    };
    tx.update_upstream_order(&step)?;
    if matches!(outcome, StepOutcome::Delivered | StepOutcome::Refunded) {
        sync_soon(tx, now, step.connection_id)?;
    }
    Ok(outcome)
}

/// The buyer cancelled the order while it was still being placed upstream
/// (refunded in full already): from now on the upstream is only asked, never
/// sent the order again.
pub(crate) fn cancelled(tx: &mut dyn Tx, now: Timestamp, order: &Order) -> Result<()> {
    let Some(mut step) = tx.upstream_order(order.id)? else { return Ok(()) };
    if step.state == StepState::Placing {
        step.state = StepState::Awaiting;
        step.updated_at = now;
        tx.update_upstream_order(&step)?;
    }
    Ok(())
}

/// An answer about an order its buyer cancelled while it was being sourced:
/// the money went back already, so whatever the upstream did is the shop's
/// (recorded for it, never charged to the buyer). Asked for a day at most.
fn late(
    tx: &mut dyn Tx,
    now: Timestamp,
    order: &Order,
    mut step: UpstreamOrder,
    answer: &SourceAnswer,
) -> Result<StepOutcome> {
    step.updated_at = now;
    step.next_attempt_at = None;
    let outcome = match answer {
        SourceAnswer::Unknown { error } if now.millis_since(step.created_at) < 86_400_000 => {
            step.last_error = Some(error.chars().take(300).collect());
            step.next_attempt_at = Some(now.plus_secs(POLL_SECS));
            StepOutcome::Retry
        }
        SourceAnswer::Delivered { upstream_order_no, .. }
        | SourceAnswer::Accepted { upstream_order_no }
        | SourceAnswer::Fulfilled { upstream_order_no, .. } => {
            let detail = json!({ "upstream_order_no": upstream_order_no, "reason": "buyer_cancelled_first" });
            tx.append(NewEvent::new(now, None, "order.source_late", format!("order:{}", order.no), detail))?;
            done(&mut step, upstream_order_no, StepState::Done);
            StepOutcome::Settled
        }
        _ => {
            step.state = StepState::Failed;
            StepOutcome::Settled
        }
    };
    tx.update_upstream_order(&step)?;
    Ok(outcome)
}

/// Every order makes its connection's sync due: prices and stock follow the upstream at once.
fn sync_soon(tx: &mut dyn Tx, now: Timestamp, connection: super::model::ConnectionId) -> Result<()> {
    if let Some(mut c) = tx.connection(connection)?.filter(|c| c.sync_due_at > now && c.removed_at.is_none()) {
        c.sync_due_at = now;
        tx.update_connection(&c)?;
    }
    Ok(())
}

/// The protection window of `kind` under the rules in force (as `orders` reads it).
fn protect_secs(tx: &mut dyn Tx, kind: ProductKind) -> Result<i64> {
    Ok(crate::catalogue::protect_secs(kind, &crate::rules::in_force(tx)?))
}

/// Units in the answer: sealed units attached, Delivered, the protection window starts.
fn deliver(tx: &mut dyn Tx, now: Timestamp, order: &mut Order, units: &[ClaimedUnit], upstream_no: &str) -> Result<()> {
    tx.insert_order_units(order.id, order.shop_id, units)?;
    let until = now.plus_secs(protect_secs(tx, order.kind)?);
    restart_clock(tx, now, order, until)?;
    order.state = OrderState::Delivered;
    order.protect_until = Some(until);
    save(tx, now, order)?;
    let fingerprints: Vec<&str> = units.iter().map(|u| u.fingerprint.as_str()).collect();
    let detail = json!({ "units": units.len(), "fingerprints": fingerprints, "upstream_order_no": upstream_no });
    tx.append(NewEvent::new(now, None, "order.delivered", format!("order:{}", order.no), detail))
}

/// A top-up done upstream: Fulfilled with the upstream's proof, the protection window starts.
fn fulfilled(tx: &mut dyn Tx, now: Timestamp, order: &mut Order, note: &str, upstream_no: &str) -> Result<()> {
    let until = now.plus_secs(protect_secs(tx, ProductKind::DirectTopup)?);
    restart_clock(tx, now, order, until)?;
    let note: String = note.trim().chars().take(500).collect();
    order.state = OrderState::Fulfilled;
    order.fulfil_note = Some(if note.is_empty() { "货源已充值".to_owned() } else { note });
    order.fulfilled_at = Some(now);
    order.protect_until = Some(until);
    save(tx, now, order)?;
    let late_ms = order.promise_due.map_or(0, |d| now.millis_since(d).max(0));
    let detail = json!({ "note": order.fulfil_note, "late_ms": late_ms, "protect_until": until.millis(), "upstream_order_no": upstream_no });
    tx.append(NewEvent::new(now, None, "order.fulfilled", format!("order:{}", order.no), detail))
}

/// Refused upstream (nothing charged there): the buyer refunded, the product hidden for price or stock.
fn refused(
    tx: &mut dyn Tx,
    now: Timestamp,
    order: &mut Order,
    code: &str,
    message: &str,
    current: Option<i64>,
) -> Result<()> {
    if let Some(m) = tx.mapping_of_product(order.product_id)? {
        hide_after_refusal(tx, now, m, code, current)?;
    }
    let why = json!({ "reason": "source_refused", "source": { "code": code, "message": message } });
    refund_in_full(tx, now, order, None, &format!("货源拒绝：{code}"), why).map(|_| ())
}

fn done(step: &mut UpstreamOrder, upstream_order_no: &str, state: StepState) {
    step.state = state;
    step.upstream_order_no = Some(upstream_order_no.to_owned());
    step.next_attempt_at = None;
    step.last_error = None;
}

/// The protection window starts now: the checkout's deadline gives way to it.
fn restart_clock(tx: &mut dyn Tx, now: Timestamp, order: &mut Order, until: Timestamp) -> Result<()> {
    if let Some(d) = order.deadline_id.take() {
        tx.cancel_deadline(d, now)?;
    }
    let due = Due::ProtectionEnd { order_id: order.id };
    order.deadline_id = Some(tx.schedule(&NewDeadline::new(due, format!("order:{}", order.no), until, now))?);
    Ok(())
}

/// A refusal for price or stock hides the product until a sync shows it again.
fn hide_after_refusal(tx: &mut dyn Tx, now: Timestamp, mut m: Mapping, code: &str, current: Option<i64>) -> Result<()> {
    let reason = match code {
        "price_changed" => {
            if let Some(c) = current.filter(|c| *c > 0) {
                m.cost_fen = c;
            }
            super::sync::judge_price(&m).or(Some(HiddenReason::AboveCap))
        }
        "out_of_stock" => Some(HiddenReason::SoldOut),
        "not_found" | "shop_unavailable" => Some(HiddenReason::OffSale),
        _ => return Ok(()),
    };
    super::sync::show(tx, now, &mut m, reason)?;
    tx.append(NewEvent::new(
        now,
        None,
        "upstream.product_hidden",
        format!("product:{}", m.product_id.0),
        json!({ "reason": reason.map(HiddenReason::as_str), "after": code }),
    ))
}
