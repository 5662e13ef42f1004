//! An admin freezes a shop by hand (封店) or unfreezes it, with a written
//! reason. A freeze is the ladder's own suspension — the same penalty row, so
//! search, the shop page, checkout and the penalties overview all treat it
//! alike — with no breaches behind it; unfreezing lifts every suspension in
//! force. Both are events on the shop (`shop.frozen` / `shop.unfrozen`) that
//! carry the reason, shown in the shop's history.

use serde_json::json;

use super::model::{NewPenalty, PenaltyKind};
use crate::accounts::admin::reason;
use crate::accounts::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::values::ShopId;

/// The event kinds a shop's admin page lists as its history.
pub const SHOP_HISTORY_KINDS: &[&str] = &["shop.frozen", "shop.unfrozen", "deposit.adjusted", "deposit.topped_up"];

/// Suspends the shop now; returns the penalty id. A shop already suspended
/// gets no second suspension (its existing one is returned).
pub fn freeze_shop(tx: &mut dyn Tx, now: Timestamp, admin: &User, shop: ShopId, why: &str) -> Result<i64> {
    authz::admin(admin)?;
    let why = reason(why)?;
    tx.shop(shop)?.ok_or(Error::NotFound)?;
    tx.lock_shop(shop)?;
    let active = tx.active_penalties(shop)?;
    if let Some(p) = active.iter().find(|p| p.kind == PenaltyKind::Suspension && p.in_force(now)) {
        return Ok(p.id);
    }
    let id = tx.insert_penalty(&NewPenalty {
        shop_id: shop,
        kind: PenaltyKind::Suspension,
        started_at: now,
        ends_at: None,
        breach_ids: vec![],
        amount_fen: 0,
        shortfall_fen: 0,
    })?;
    tx.touch_shop_products(shop, now)?;
    let subject = format!("shop:{shop}");
    tx.append(NewEvent::new(now, Some(admin.id), "shop.frozen", &subject, json!({ "penalty_id": id, "reason": why })))?;
    let body = format!("【店铺已被平台冻结】全部商品已下架。原因：{why}");
    tx.insert_notification(shop, "shop", "shop_frozen", &format!("penalty:{id}"), &body, now)?;
    Ok(id)
}

/// Lifts every suspension in force, each with the reason; how many there were.
pub fn unfreeze_shop(tx: &mut dyn Tx, now: Timestamp, admin: &User, shop: ShopId, why: &str) -> Result<usize> {
    authz::admin(admin)?;
    let why = reason(why)?;
    tx.shop(shop)?.ok_or(Error::NotFound)?;
    tx.lock_shop(shop)?;
    let ids: Vec<i64> = tx
        .active_penalties(shop)?
        .into_iter()
        .filter(|p| p.kind == PenaltyKind::Suspension && p.in_force(now))
        .map(|p| p.id)
        .collect();
    for id in &ids {
        super::lift(tx, now, admin, *id, why)?;
    }
    if !ids.is_empty() {
        tx.append(NewEvent::new(
            now,
            Some(admin.id),
            "shop.unfrozen",
            format!("shop:{shop}"),
            json!({ "penalty_ids": ids, "reason": why }),
        ))?;
    }
    Ok(ids.len())
}
