//! Crediting a payment: the one place money enters through a gateway. It
//! moves in the same transaction as the attempt's state, and only when that
//! state changed, so a payment is credited once however many notifies, queries
//! and admins arrive at once.

use serde_json::json;

use super::attempt::subject;
use super::model::{AttemptState, PendingCheckout, Settlement};
use super::port::Attempt;
use crate::accounts::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::money::{Account, Entry, Fen};
use crate::orders::{self, Checkout};
use crate::ports::Tx;
use crate::values::{ProductId, UserId};

/// Credits the attempt's amount to its payer's wallet (gateway clearing →
/// wallet); false, and nothing moved, when it was already paid.
pub(crate) fn credit(
    tx: &mut dyn Tx,
    now: Timestamp,
    a: &Attempt,
    trade_no: &str,
    by: Settlement,
    actor: Option<UserId>,
) -> Result<bool> {
    if !tx.set_payment_paid(a.id, trade_no, now, by)? {
        return Ok(false);
    }
    let subject = subject(&a.out_trade_no);
    let memo = format!("在线支付（{}）", a.channel.label());
    let amount = Fen::positive(a.amount_fen)?;
    tx.post(
        &Entry::transfer(
            "pay_in",
            subject.clone(),
            memo,
            Account::GatewayClearing,
            Account::UserWallet(a.user_id),
            amount,
        )?,
        now,
    )?;
    tx.check_done(a.id, now)?;
    tx.append(NewEvent::new(
        now,
        actor,
        "payment.credited",
        subject.clone(),
        json!({ "by": by, "trade_no": trade_no, "amount_fen": a.amount_fen, "user_id": a.user_id }),
    ))?;
    let note = crate::push::Note::new(
        crate::push::PushEvent::MoneyCredited,
        &subject,
        format!("在线支付 {amount} 已到账"),
        "/wallet",
    );
    crate::push::notify_user(tx, now, a.user_id, &note)?;
    if let Some(order) = &a.checkout {
        place_paid_order(tx, now, a, order)?;
    }
    Ok(true)
}

/// The order a checkout payment was for, placed from the wallet the money
/// just reached — in a savepoint, so goods gone (or a price risen, a shop
/// hidden) leave the money in the wallet, the attempt saying why, and nothing
/// else changed.
fn place_paid_order(tx: &mut dyn Tx, now: Timestamp, a: &Attempt, order: &PendingCheckout) -> Result<()> {
    let buyer = tx.user_by_id(a.user_id)?.ok_or(Error::NotFound)?;
    let req = Checkout {
        product_id: ProductId(order.product_id),
        quantity: order.quantity,
        topup_target: order.topup_target.clone(),
        idempotency: None,
        order_no: order.order_no.clone(),
    };
    tx.savepoint()?;
    match orders::checkout(tx, now, &buyer, &req) {
        Ok(out) => {
            tx.release_savepoint()?;
            tx.set_payment_order(a.id, Some(out.order.id.0), None)?;
            let payload = json!({ "order_no": out.order.no });
            tx.append(NewEvent::new(now, None, "payment.order_placed", subject(&a.out_trade_no), payload))
        }
        Err(Error::Storage(e)) => Err(Error::Storage(e)),
        Err(e) => {
            tx.rollback_savepoint()?;
            tx.release_savepoint()?;
            tx.set_payment_order(a.id, None, Some(e.code()))?;
            let payload = json!({ "error": e.code(), "kept_in_wallet_fen": a.amount_fen });
            tx.append(NewEvent::new(now, None, "payment.order_failed", subject(&a.out_trade_no), payload))
        }
    }
}

pub const MAX_TRADE_NO: usize = 64;
pub const MAX_REASON: usize = 500;

/// An admin settles an attempt the gateway never confirmed to us, with the
/// gateway's trade number and a reason — both kept as evidence.
pub fn confirm_by_hand(
    tx: &mut dyn Tx,
    now: Timestamp,
    admin: &User,
    attempt_id: i64,
    trade_no: &str,
    reason: &str,
) -> Result<Attempt> {
    authz::admin(admin)?;
    let trade_no = trade_no.trim();
    let reason = reason.trim();
    let printable = |s: &str, max: usize| !s.is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control);
    if !printable(trade_no, MAX_TRADE_NO) || trade_no.contains(char::is_whitespace) {
        return Err(Error::Invalid { field: "trade_no", reason: "length_1_64" });
    }
    if !printable(reason, MAX_REASON) {
        return Err(Error::Invalid { field: "reason", reason: "length_1_500" });
    }
    let a = tx.lock_payment(attempt_id)?.ok_or(Error::NotFound)?;
    if a.state == AttemptState::Paid || !credit(tx, now, &a, trade_no, Settlement::Hand, Some(admin.id))? {
        return Err(Error::Conflict(Conflict::PaymentSettled));
    }
    tx.append(NewEvent::new(
        now,
        Some(admin.id),
        "payment.confirmed",
        subject(&a.out_trade_no),
        json!({ "trade_no": trade_no, "reason": reason }),
    ))?;
    tx.payment(a.id)?.ok_or(Error::NotFound)
}
