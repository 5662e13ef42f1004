//! Starting a payment attempt, and its expiry.
//!
//! An attempt is one `out_trade_no` sent to one gateway for one amount. It is
//! checked against the rules (per-payment range, the payer's daily total)
//! before it exists, and it expires through the deadline engine: an expired
//! attempt owes one last query, so a payment made at the last second is found
//! even if its notify never comes.

use serde_json::json;

use super::model::{AttemptState, Channel, GatewayName, PendingCheckout, Purpose};
use super::port::{Attempt, NewAttempt};
use crate::accounts::port::User;
use crate::clock::Timestamp;
use crate::deadline::model::{Due, NewDeadline};
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::money::Account;
use crate::ports::Tx;
use crate::rules::{self, Rule};
use crate::values::ProductId;

/// A day, for the daily pay-in limit: the 24 hours before now.
const DAY_SECS: i64 = 86_400;

/// What the payer asks to pay; the server chose the fresh `out_trade_no`.
#[derive(Debug, Clone)]
pub struct StartPayment {
    pub gateway: GatewayName,
    pub channel: Channel,
    pub amount_fen: i64,
    pub out_trade_no: String,
    pub purpose: Purpose,
    pub checkout: Option<PendingCheckout>,
}

/// The evidence subject of an attempt.
pub fn subject(out_trade_no: &str) -> String {
    format!("payment:{out_trade_no}")
}

/// Records a new attempt for `payer` and schedules its expiry.
pub fn start(tx: &mut dyn Tx, now: Timestamp, payer: &User, input: StartPayment) -> Result<Attempt> {
    let gateway = tx
        .gateway(&input.gateway)?
        .filter(|g| g.enabled)
        .ok_or(Error::Invalid { field: "gateway", reason: "unknown_gateway" })?;
    if !gateway.channels.contains(&input.channel) {
        return Err(Error::Invalid { field: "channel", reason: "channel_not_offered" });
    }
    let rules = rules::in_force(tx)?;
    let (min_fen, max_fen) = (rules.get(Rule::PayInMinFen), rules.get(Rule::PayInMaxFen));
    if input.amount_fen < min_fen || input.amount_fen > max_fen {
        return Err(Error::AmountOutOfRange { min_fen, max_fen });
    }
    let limit_fen = rules.get(Rule::PayInDailyFen);
    let left_fen = (limit_fen - tx.paying_since(payer.id, now.plus_secs(-DAY_SECS))?).max(0);
    if input.amount_fen > left_fen {
        return Err(Error::DailyLimit { limit_fen, left_fen });
    }
    let expires_at = now.plus_secs(rules.get(Rule::PaymentExpirySecs));
    let new = NewAttempt {
        out_trade_no: input.out_trade_no,
        gateway: input.gateway,
        channel: input.channel,
        user_id: payer.id,
        purpose: input.purpose,
        amount_fen: input.amount_fen,
        checkout: input.checkout,
        created_at: now,
        expires_at,
    };
    let id = tx.insert_payment(&new)?;
    let subject = subject(&new.out_trade_no);
    tx.schedule(&NewDeadline::new(Due::PaymentExpiry { attempt_id: id }, subject.clone(), expires_at, now))?;
    tx.append(NewEvent::new(
        now,
        Some(payer.id),
        "payment.created",
        subject,
        json!({
            "gateway": new.gateway, "channel": new.channel, "amount_fen": new.amount_fen,
            "purpose": new.purpose, "expires_at": expires_at.millis(),
        }),
    ))?;
    tx.payment(id)?.ok_or(Error::NotFound)
}

/// A buyer whose wallet is short of an order pays the difference (at least
/// the smallest payment the rules allow): the attempt carries the order, which
/// is placed from the wallet when the money lands. `input.amount_fen` is
/// ignored; the shortfall is worked out here, from the price in force.
pub fn start_checkout(tx: &mut dyn Tx, now: Timestamp, buyer: &User, mut input: StartPayment) -> Result<Attempt> {
    let order = input.checkout.as_ref().ok_or(Error::Invalid { field: "checkout", reason: "required" })?;
    let product = tx.product(ProductId(order.product_id))?.filter(|p| p.on_sale).ok_or(Error::NotFound)?;
    if !(1..=product.spec.max_per_order).contains(&order.quantity) {
        return Err(Error::Invalid { field: "quantity", reason: "range" });
    }
    let total = crate::levels::price::quote(tx, Some(buyer), &product, order.quantity)?.total.get();
    let shortfall = total - tx.balance(Account::UserWallet(buyer.id))?;
    let min_fen = rules::in_force(tx)?.get(Rule::PayInMinFen);
    input.amount_fen = shortfall.max(min_fen);
    input.purpose = Purpose::Checkout;
    start(tx, now, buyer, input)
}

/// The expiry deadline: a pending attempt expires and owes one last query.
/// A paid one is left alone.
pub fn expired(tx: &mut dyn Tx, now: Timestamp, attempt_id: i64) -> Result<()> {
    let Some(a) = tx.lock_payment(attempt_id)? else { return Ok(()) };
    if a.state != AttemptState::Pending || !tx.set_payment_expired(a.id)? {
        return Ok(());
    }
    tx.schedule_check(a.id, now)?;
    tx.append(NewEvent::new(now, None, "payment.expired", subject(&a.out_trade_no), json!({})))?;
    Ok(())
}
