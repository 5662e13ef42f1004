//! The two ways every feature ends an order's money or saves its state, kept
//! in one place so each of them also tells the order's open-API caller (a
//! signed callback through the outbound outbox). A file of its own so that
//! features the checkout itself calls (sourcing) can use it without an
//! import circle through `orders/mod.rs`.

use serde_json::Value;

use super::model::{Order, OrderState};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::evidence::NewEvent;
use crate::money::{Account, Entry, Fen};
use crate::ports::Tx;
use crate::values::UserId;

/// Writes a changed order, and queues its callback when it came through the open API.
pub fn save(tx: &mut dyn Tx, now: Timestamp, order: &Order) -> Result<()> {
    tx.update_order(order)?;
    crate::outbound::order_changed(tx, now, order)
}

/// Everything escrow holds for the order back to its buyer; the order ends
/// Refunded and its deadline is cancelled. `detail` (an object: at least a
/// `reason`) goes into the `order.refunded` event with the amount. Returns the
/// amount (zero, and nothing written, for an order already settled).
pub fn refund_in_full(
    tx: &mut dyn Tx,
    now: Timestamp,
    order: &mut Order,
    actor: Option<UserId>,
    memo: &str,
    mut detail: Value,
) -> Result<Fen> {
    if matches!(order.state, OrderState::Refunded | OrderState::Completed) || order.escrow_fen == 0 {
        return Ok(Fen::ZERO);
    }
    let subject = format!("order:{}", order.no);
    let amount = Fen::new(order.escrow_fen)?;
    let entry =
        Entry::transfer("order.refund", &subject, memo, Account::Escrow, Account::UserWallet(order.buyer_id), amount)?;
    tx.post(&entry, now)?;
    if let Some(d) = order.deadline_id.take() {
        tx.cancel_deadline(d, now)?;
    }
    order.state = OrderState::Refunded;
    order.escrow_fen = 0;
    order.closed_at = Some(now);
    save(tx, now, order)?;
    if let Some(o) = detail.as_object_mut() {
        o.insert("amount_fen".into(), amount.get().into());
    }
    tx.append(NewEvent::new(now, actor, "order.refunded", &subject, detail))?;
    Ok(amount)
}
