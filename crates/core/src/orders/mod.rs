//! Orders: instant checkout into escrow, delivery from stock, the snapshot the
//! buyer saw, top-up fulfilment against a promised time, and release of escrow
//! at the end of the protection window (or on confirmation).

pub mod listing;
pub mod model;
pub mod port;
pub mod settle;

pub use self::listing::{OrderListRead, OrderQuery, OrderTab};
pub use self::model::{NewOrder, Order, OrderState};
pub use self::port::{OrderRead, OrderTx};
pub use self::settle::{refund_in_full, save};
pub use crate::money::port::StatementLine;

use serde_json::{Value, json};

use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::catalogue::{self, ProductKind};
use crate::clock::Timestamp;
use crate::deadline::model::{DeadlineKind, Due, NewDeadline};
use crate::enforcement::BreachKind;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::levels::price as levels;
use crate::money::{Account, Entry, Fen};
use crate::ports::{ReadTx, Tx};
use crate::rules;
use crate::rules::Rule;
use crate::rules::port::RulesRead;
use crate::snapshot::Snapshot;
use crate::stock::port::ClaimedUnit;
use crate::values::{OrderId, ProductId, Role, UserId};
use crate::{deposit, enforcement};

/// A checkout as the buyer asked for it.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub product_id: ProductId,
    pub quantity: i64,
    pub topup_target: Option<Value>,
    /// `Idempotency-Key` header and the hash of the request it came with.
    pub idempotency: Option<(String, String)>,
    /// A fresh order number from the caller (the core has no randomness).
    pub order_no: String,
}

#[derive(Debug, Clone)]
pub struct CheckoutOutcome {
    pub order: Order,
    pub units: Vec<ClaimedUnit>,
    /// True when this answered a retry of an earlier, identical request.
    pub replay: bool,
}

/// `YYYYMMDD` + ten digits from `random`: unique enough with a unique index behind it.
pub fn order_no(now: Timestamp, random: u64) -> String {
    let days = now.secs().div_euclid(86_400) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}{:010}", random % 10_000_000_000)
}

fn protect_secs(tx: &mut dyn RulesRead, kind: ProductKind) -> Result<i64> {
    Ok(catalogue::protect_secs(kind, &rules::in_force(tx)?))
}

/// The whole checkout, one transaction: price from `levels::quote`, wallet → escrow,
/// units out of stock, the order with its snapshot, its deadline and events.
/// Any failure (short balance, short stock) leaves nothing behind.
pub fn checkout(tx: &mut dyn Tx, now: Timestamp, buyer: &User, req: &Checkout) -> Result<CheckoutOutcome> {
    if buyer.role != Role::Buyer {
        return Err(Error::Forbidden);
    }
    if let Some((key, hash)) = &req.idempotency {
        match tx.idempotency(buyer.id, key)? {
            Some((stored, Some(order_id))) if stored == *hash => {
                let order = tx.order(order_id)?.ok_or(Error::NotFound)?;
                let units = tx.order_units(order.id)?;
                return Ok(CheckoutOutcome { order, units, replay: true });
            }
            Some(_) => return Err(Error::IdempotencyMismatch),
            // Claim the key first: a concurrent twin waits on it, then finds this order.
            None => tx.put_idempotency(buyer.id, key, hash, None, now)?,
        }
    }
    let product = tx.product(req.product_id)?.filter(|p| p.on_sale).ok_or(Error::NotFound)?;
    // The shop and the rules, each read once for the whole checkout.
    let shop = tx.shop(product.shop_id)?;
    if product.shop_id.0 > 0 && shop.as_ref().is_some_and(|s| s.owner_id == buyer.id) {
        return Err(Error::Invalid { field: "product_id", reason: "own_shop" });
    }
    let rules = rules::in_force(tx)?;
    // Hidden listings (deposit short, shop suspended) cannot be bought either.
    if !deposit::standing_under(tx, now, product.shop_id, &rules)?.listed() {
        return Err(Error::ShopUnavailable);
    }
    // A mapped product (货源对接) is ordered upstream after this transaction.
    let source = tx.mapping_of_product(product.id)?;
    // A direct-top-up product bound to a supplier's SKU (直充货源) is placed there likewise.
    let bound = match (&source, product.spec.kind) {
        (None, ProductKind::DirectTopup) => tx.binding_of_product(product.id)?,
        _ => None,
    };
    if product.source_hidden || source.as_ref().is_some_and(|m| m.hidden.is_some()) {
        return Err(Error::Conflict(Conflict::SourceUnavailable));
    }
    if !(1..=product.spec.max_per_order).contains(&req.quantity) {
        return Err(Error::Invalid { field: "quantity", reason: "range" });
    }
    let target = product.spec.check_topup_target(req.topup_target.as_ref())?;
    // The one price function: the buyer's level and the shop's level prices.
    let quote = levels::quote(tx, Some(buyer), &product, req.quantity)?;
    let (unit, total) = (quote.unit, quote.total);
    let subject = format!("order:{}", req.order_no);
    let memo = format!("{} ×{}", product.spec.title, req.quantity);
    // Stock first: "sold out" says more than "top up" when both are true.
    let units = if product.spec.kind.has_stock() && source.is_none() {
        let units = tx.claim_units(product.id, req.quantity)?;
        if i64::try_from(units.len()).unwrap_or(0) < req.quantity {
            return Err(Error::OutOfStock);
        }
        units
    } else {
        Vec::new()
    };
    let shop_name = shop.map(|s| s.name).unwrap_or_default();
    let (snapshot, snapshot_hash) =
        Snapshot::capture(&product, &shop_name, req.quantity, unit, total, now).priced_by(&quote.basis).canonical();
    let (state, due, kind) = if product.spec.kind == ProductKind::DirectTopup {
        let promise = catalogue::topup_promise_secs(&product.spec.promises, product.spec.topup_promise_secs, &rules);
        (OrderState::AwaitingFulfilment, now.plus_secs(promise), DeadlineKind::TopupPromise)
    } else {
        (
            OrderState::Delivered,
            now.plus_secs(catalogue::protect_secs(product.spec.kind, &rules)),
            DeadlineKind::ProtectionEnd,
        )
    };
    let state = if source.is_some() || bound.is_some() { OrderState::Sourcing } else { state };
    let new = NewOrder {
        no: req.order_no.clone(),
        buyer_id: buyer.id,
        shop_id: product.shop_id,
        product_id: product.id,
        kind: product.spec.kind,
        quantity: req.quantity,
        unit_price: unit,
        total,
        state,
        snapshot,
        snapshot_hash,
        topup_target: target.map(|t| t.to_string()),
        created_at: now,
        promise_due: (kind == DeadlineKind::TopupPromise).then_some(due),
        protect_until: (kind == DeadlineKind::ProtectionEnd).then_some(due),
    };
    let watch = |id| match kind {
        DeadlineKind::TopupPromise => Due::TopupPromise { order_id: id },
        _ => Due::ProtectionEnd { order_id: id },
    };
    let (id, deadline) = tx.insert_order_due(&new, &|id| NewDeadline::new(watch(id), subject.clone(), due, now))?;
    let order = new.stored(id, Some(deadline));
    if !units.is_empty() {
        tx.insert_order_units(id, product.shop_id, &units)?;
    }
    if let Some((key, hash)) = &req.idempotency {
        tx.put_idempotency(buyer.id, key, hash, Some(id), now)?;
    }
    if let Some(m) = &source {
        crate::sourcing::order::enqueue(tx, now, &order, m)?;
    }
    if let Some(b) = &bound {
        crate::sourcing::supplier::enqueue(tx, now, &order, b)?;
    }
    // Money moves last: the escrow account is every checkout's shared row, so
    // its lock is taken as late, and held as briefly, as the transaction allows.
    tx.post(
        &Entry::transfer("order.pay", &subject, &memo, Account::UserWallet(buyer.id), Account::Escrow, total)?,
        now,
    )?;
    tx.append(NewEvent::new(
        now,
        Some(buyer.id),
        "order.created",
        &subject,
        json!({ "shop_id": product.shop_id.0, "product_id": product.id.0, "quantity": req.quantity, "total_fen": total.get(),
                "snapshot_sha256": order.snapshot_hash, "state": state.as_str(), "due_at": due.millis() }),
    ))?;
    if !units.is_empty() {
        tx.append(NewEvent::new(now, Some(buyer.id), "order.delivered", &subject, json!({ "units": units.len(), "fingerprints": units.iter().map(|u| u.fingerprint.clone()).collect::<Vec<_>>() })))?;
    }
    crate::push::after_sale(tx, now, &order, &product.spec.title, units.len())?;
    Ok(CheckoutOutcome { order, units, replay: false })
}

/// Who may see an order: its buyer, the shop's staff, platform staff. Others: 404.
pub fn load_for(tx: &mut dyn ReadTx, actor: &User, no: &str) -> Result<Order> {
    let order = tx.order_by_no(no)?.ok_or(Error::NotFound)?;
    if order.buyer_id == actor.id || actor.role.is_platform() {
        return Ok(order);
    }
    let shop = tx.shop(order.shop_id)?.ok_or(Error::NotFound)?;
    authz::shop(actor, ShopAction::Serve, &shop)?;
    Ok(order)
}

/// The buyer (or platform arbitration) opens the delivered units; logged as evidence.
pub fn reveal(tx: &mut dyn Tx, now: Timestamp, actor: &User, no: &str) -> Result<(Order, Vec<ClaimedUnit>)> {
    let order = tx.order_by_no(no)?.ok_or(Error::NotFound)?;
    if order.buyer_id == actor.id {
        let units = tx.order_units(order.id)?;
        tx.append(NewEvent::new(
            now,
            Some(actor.id),
            "order.key_revealed",
            format!("order:{}", order.no),
            json!({ "by_role": actor.role.as_str(), "units": units.len() }),
        ))?;
        return Ok((order, units));
    }
    // Platform staff see a buyer's units only while arbitrating a case of the
    // order (PRODUCT.md), and every such view is evidence in the order's record.
    if !actor.role.is_platform() {
        return Err(Error::NotFound);
    }
    let case = tx
        .open_case_of_order(order.id)?
        .filter(|c| c.state == crate::cases::CaseState::InArbitration)
        .ok_or(Error::Forbidden)?;
    let units = tx.order_units(order.id)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "units.viewed_by_staff",
        format!("order:{}", order.no),
        json!({ "by_role": actor.role.as_str(), "case_id": case.id.0, "units": units.len() }),
    ))?;
    Ok((order, units))
}

/// Escrow → shop wallet, minus the platform fee, part of which feeds the fund.
pub(crate) fn release(
    tx: &mut dyn Tx,
    now: Timestamp,
    mut order: Order,
    actor: Option<UserId>,
    reason: &str,
) -> Result<Order> {
    let r = rules::in_force(tx)?;
    let total = Fen::new(order.escrow_fen)?;
    let fee = total.share_bp(r.get(Rule::PlatformFeeBp));
    let fund = fee.share_bp(r.get(Rule::ProtectionFundShareBp));
    let net = total.saturating_sub(fee);
    let subject = format!("order:{}", order.no);
    let lines = vec![
        (Account::Escrow, -total.get()),
        (Account::ShopWallet(order.shop_id), net.get()),
        (Account::PlatformFee, fee.get() - fund.get()),
        (Account::ProtectionFund, fund.get()),
    ];
    tx.post(&Entry::new("order.release", &subject, reason, lines)?, now)?;
    if let Some(d) = order.deadline_id.take() {
        tx.cancel_deadline(d, now)?;
    }
    order.state = OrderState::Completed;
    order.escrow_fen = 0;
    order.closed_at = Some(now);
    save(tx, now, &order)?;
    tx.append(NewEvent::new(
        now,
        actor,
        "order.completed",
        &subject,
        json!({ "reason": reason, "net_fen": net.get(), "fee_fen": fee.get(), "fund_fen": fund.get() }),
    ))?;
    Ok(order)
}

/// The buyer confirms receipt before the window ends.
pub fn confirm(tx: &mut dyn Tx, now: Timestamp, buyer: &User, no: &str) -> Result<Order> {
    let order = tx.order_by_no(no)?.filter(|o| o.buyer_id == buyer.id).ok_or(Error::NotFound)?;
    if !matches!(order.state, OrderState::Delivered | OrderState::Fulfilled) {
        return Err(Error::Conflict(Conflict::OrderNotConfirmable));
    }
    release(tx, now, order, Some(buyer.id), "buyer_confirmed")
}

/// The merchant reports a top-up done, with a note or proof; the protection window starts.
pub fn fulfil(tx: &mut dyn Tx, now: Timestamp, actor: &User, no: &str, note: &str) -> Result<Order> {
    let mut order = tx.order_by_no(no)?.ok_or(Error::NotFound)?;
    let shop = tx.shop(order.shop_id)?.ok_or(Error::NotFound)?;
    authz::shop(actor, ShopAction::Serve, &shop)?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(Error::Invalid { field: "note", reason: "length_1_500" });
    }
    if order.state != OrderState::AwaitingFulfilment {
        return Err(Error::Conflict(Conflict::OrderNotAwaitingFulfilment));
    }
    if let Some(d) = order.deadline_id.take() {
        tx.cancel_deadline(d, now)?;
    }
    let until = now.plus_secs(protect_secs(tx, ProductKind::DirectTopup)?);
    let subject = format!("order:{}", order.no);
    let end = Due::ProtectionEnd { order_id: order.id };
    order.deadline_id = Some(tx.schedule(&NewDeadline::new(end, subject.clone(), until, now))?);
    order.state = OrderState::Fulfilled;
    order.fulfil_note = Some(note.to_owned());
    order.fulfilled_at = Some(now);
    order.protect_until = Some(until);
    save(tx, now, &order)?;
    let late_ms = order.promise_due.map_or(0, |d| now.millis_since(d).max(0));
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "order.fulfilled",
        &subject,
        json!({ "note": note, "late_ms": late_ms, "protect_until": until.millis() }),
    ))?;
    Ok(order)
}

/// A top-up past its promised time: the buyer may take an instant full refund.
pub fn cancel_overdue(tx: &mut dyn Tx, now: Timestamp, buyer: &User, no: &str) -> Result<Order> {
    let mut order = tx.order_by_no(no)?.filter(|o| o.buyer_id == buyer.id).ok_or(Error::NotFound)?;
    if !order.cancellable(now) {
        return Err(Error::Conflict(Conflict::OrderNotCancellable));
    }
    let sourcing = order.state == OrderState::Sourcing;
    let (why, memo) = if sourcing {
        (json!({ "reason": "sourcing_overdue_cancelled" }), "货源超时，买家取消")
    } else {
        (json!({ "reason": "topup_overdue_cancelled" }), "直充超时，买家取消")
    };
    refund_in_full(tx, now, &mut order, Some(buyer.id), memo, why)?;
    if sourcing {
        crate::sourcing::order::cancelled(tx, now, &order)?;
    }
    Ok(order)
}

/// Deadline handler: the protection window ended with nothing open → release.
pub fn protection_ended(tx: &mut dyn Tx, now: Timestamp, id: OrderId) -> Result<()> {
    let Some(mut order) = tx.order(id)? else { return Ok(()) };
    if !matches!(order.state, OrderState::Delivered | OrderState::Fulfilled) {
        return Ok(());
    }
    order.deadline_id = None; // this deadline is the one firing
    release(tx, now, order, None, "protection_window_ended").map(|_| ())
}

/// Deadline handler: a top-up's promised time passed unfulfilled → a breach.
pub fn topup_promise_missed(tx: &mut dyn Tx, now: Timestamp, id: OrderId) -> Result<()> {
    let Some(mut order) = tx.order(id)? else { return Ok(()) };
    // A top-up still being placed upstream (货源对接) is as late as one the shop holds.
    if !matches!(order.state, OrderState::AwaitingFulfilment | OrderState::Sourcing) {
        return Ok(());
    }
    order.topup_overdue = true;
    order.deadline_id = None;
    tx.update_order(&order)?;
    let subject = format!("order:{}", order.no);
    let detail = json!({ "order_no": order.no, "promise_due": order.promise_due.map(Timestamp::millis) });
    let breach = enforcement::record_breach(tx, now, order.shop_id, BreachKind::TopupLate, &subject, &detail)?;
    tx.append(NewEvent::new(now, None, "order.topup_overdue", &subject, json!({ "breach_id": breach })))
}

/// An admin credits a wallet from outside the platform (a top-up paid elsewhere).
pub fn credit_wallet(
    tx: &mut dyn Tx,
    now: Timestamp,
    admin: &User,
    target: &User,
    amount: Fen,
    reason: &str,
) -> Result<i64> {
    authz::admin(admin)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(Error::Invalid { field: "reason", reason: "length_1_200" });
    }
    let subject = format!("user:{}", target.id);
    tx.post(
        &Entry::transfer(
            "wallet.credit",
            &subject,
            reason,
            Account::PlatformCash,
            Account::UserWallet(target.id),
            amount,
        )?,
        now,
    )?;
    tx.append(NewEvent::new(
        now,
        Some(admin.id),
        "wallet.credited",
        &subject,
        json!({ "amount_fen": amount.get(), "reason": reason }),
    ))?;
    let text = format!("平台为您的钱包入账 {}（{reason}）", crate::rules::words::yuan(amount.get()));
    let note = crate::push::Note::new(crate::push::PushEvent::MoneyCredited, &subject, text, "/wallet");
    crate::push::notify_user(tx, now, target.id, &note)?;
    tx.balance(Account::UserWallet(target.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_carry_the_date() {
        assert_eq!(order_no(Timestamp::from_millis(1_795_564_800_000), 42), "202611250000000042");
        assert_eq!(order_no(Timestamp::from_millis(0), 12_345_678_901), "197001012345678901");
    }
}
