//! Outbound HTTP through a durable outbox: callbacks to open-API callers now,
//! webhooks later. Like the mail outbox (`mail.rs`):
//!
//! ```text
//! (a use case's transaction) ─enqueue─▶ pending ─claim (lease)─▶ POST, no transaction open
//!        2xx ─▶ sent;  else ─▶ pending again after 15 s, 1 min, 5 min, 15 min, 1 h, 1 h …
//!        nothing by 24 h after it was queued ─▶ failed (kept for the caller to see)
//! ```
//! [`order_changed`] and [`case_changed`] are the hooks the order and case use
//! cases call after they save: they queue a callback only for orders placed
//! through the open API with a `callback_url`.

pub mod model;
pub mod port;

pub use self::model::{NewOutbound, Outbound, OutboundKind, OutboundState};
pub use self::port::{OutboundRead, OutboundTx};

use serde_json::json;

use crate::cases::model::Case;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::orders::model::Order;
use crate::ports::Tx;
use crate::publish::Change;
use crate::values::OrderId;

/// Waits after the 1st, 2nd, … failed attempt, seconds; the last repeats.
pub const BACKOFF_SECS: [i64; 5] = [15, 60, 300, 900, 3_600];

/// How long a request is tried before it is given up, seconds.
pub const GIVE_UP_SECS: i64 = 24 * 3_600;

/// When to try again after `attempts` failures, or `None`: give up.
pub fn retry_at(created_at: Timestamp, attempts: i64, now: Timestamp) -> Option<Timestamp> {
    let i = usize::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(BACKOFF_SECS.len() - 1);
    let next = now.plus_secs(BACKOFF_SECS[i]);
    (next <= created_at.plus_secs(GIVE_UP_SECS)).then_some(next)
}

fn queue(tx: &mut dyn Tx, now: Timestamp, order: OrderId, kind: OutboundKind, body: serde_json::Value) -> Result<()> {
    let Some(link) = tx.open_order(order)? else { return Ok(()) };
    let Some(url) = link.callback_url else { return Ok(()) };
    tx.enqueue_outbound(&NewOutbound {
        kind,
        url,
        body: body.to_string(),
        sign_key: Some(link.api_key_id),
        created_at: now,
    })?;
    // Wakes the sender once this commits, so a callback leaves within a second.
    tx.publish(&Change::Outbound)
}

/// An order changed state (fulfilled, refunded, completed, disputed …).
pub fn order_changed(tx: &mut dyn Tx, now: Timestamp, order: &Order) -> Result<()> {
    queue(tx, now, order.id, OutboundKind::OrderUpdated, json!({ "order_id": order.id.0 }))
}

/// A case opened, moved or closed.
pub fn case_changed(tx: &mut dyn Tx, now: Timestamp, case: &Case) -> Result<()> {
    queue(tx, now, case.order_id, OutboundKind::CaseUpdated, json!({ "case_id": case.id.0 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_then_give_up_after_a_day() {
        let t0 = Timestamp::from_millis(0);
        assert_eq!(retry_at(t0, 1, t0), Some(t0.plus_secs(15)));
        assert_eq!(retry_at(t0, 2, t0.plus_secs(15)), Some(t0.plus_secs(75)));
        assert_eq!(retry_at(t0, 9, t0.plus_secs(3_600)), Some(t0.plus_secs(7_200)));
        assert_eq!(retry_at(t0, 30, t0.plus_secs(23 * 3_600)), Some(t0.plus_secs(24 * 3_600)));
        assert_eq!(retry_at(t0, 31, t0.plus_secs(23 * 3_600 + 1)), None);
    }
}
