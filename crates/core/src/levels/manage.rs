//! Changing levels: an admin creates and edits levels and puts accounts on
//! them; a shop's owner sets fixed level prices on its products. Every change
//! is an evidence event.

use serde_json::json;

use super::model::{Level, LevelId, LevelInput, LevelPrice, LevelSpec};
use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::money::Fen;
use crate::ports::{ReadTx, Tx};
use crate::shops;
use crate::values::{ProductId, Role, ShopId, UserId};

fn subject(id: LevelId) -> String {
    format!("level:{id}")
}

fn changed(tx: &mut dyn Tx, now: Timestamp, admin: &User, kind: &'static str, level: &Level) -> Result<()> {
    tx.append(NewEvent::new(
        now,
        Some(admin.id),
        kind,
        subject(level.id),
        json!({ "name": level.name, "position": level.position, "discount_bp": level.discount_bp, "is_default": level.is_default }),
    ))
}

/// A new level (admins only).
pub fn create(tx: &mut dyn Tx, now: Timestamp, admin: &User, input: &LevelInput) -> Result<Level> {
    authz::admin(admin)?;
    let spec = LevelSpec::parse(input)?;
    let id = tx.insert_level(&spec, now)?;
    if input.is_default == Some(true) {
        tx.make_default_level(id, now)?;
    }
    let level = tx.level(id)?.ok_or(Error::NotFound)?;
    changed(tx, now, admin, "level.created", &level)?;
    Ok(level)
}

/// Changes a level's name, position or discount, or makes it the default.
/// The default cannot be switched off directly: another level is made default.
pub fn update(tx: &mut dyn Tx, now: Timestamp, admin: &User, id: LevelId, input: &LevelInput) -> Result<Level> {
    authz::admin(admin)?;
    let before = tx.level(id)?.ok_or(Error::NotFound)?;
    if input.is_default == Some(false) && before.is_default {
        return Err(Error::Invalid { field: "is_default", reason: "make_another_level_default" });
    }
    let spec = LevelSpec::patched(&before, input)?;
    tx.update_level(id, &spec, now)?;
    if input.is_default == Some(true) && !before.is_default {
        tx.make_default_level(id, now)?;
    }
    let level = tx.level(id)?.ok_or(Error::NotFound)?;
    changed(tx, now, admin, "level.updated", &level)?;
    Ok(level)
}

/// Puts a buyer account on a level (admins only).
pub fn assign(tx: &mut dyn Tx, now: Timestamp, admin: &User, user: UserId, level: LevelId) -> Result<Level> {
    authz::admin(admin)?;
    let target = tx.user_by_id(user)?.ok_or(Error::NotFound)?;
    // Only buyer accounts buy; staff and agents' accounts do not trade.
    if target.role != Role::Buyer {
        return Err(Error::Invalid { field: "user_id", reason: "not_a_buyer" });
    }
    let level = tx.level(level)?.ok_or(Error::Invalid { field: "level_id", reason: "unknown_level" })?;
    let before = tx.level_of(target.id)?;
    tx.set_user_level(target.id, level.id, admin.id, now)?;
    tx.append(NewEvent::new(
        now,
        Some(admin.id),
        "level.assigned",
        format!("user:{}", target.id.0),
        json!({ "level_id": level.id.0, "level_name": level.name, "before": before.map(|l| l.0) }),
    ))?;
    Ok(level)
}

/// One fixed price to set (`Some`) or clear (`None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct PriceChange {
    pub level_id: LevelId,
    pub unit_price_fen: Option<i64>,
}

/// The fixed level prices of a product, for its shop's staff.
pub fn prices_of(tx: &mut dyn ReadTx, actor: &User, shop: ShopId, product: ProductId) -> Result<Vec<LevelPrice>> {
    let p = tx.product(product)?.filter(|p| p.shop_id == shop).ok_or(Error::NotFound)?;
    shops::load(tx, actor, p.shop_id, ShopAction::Manage)?;
    tx.level_prices(p.id)
}

/// Sets a shop's level prices on one of its products (the owner, like other
/// listing changes; another shop's product is `NotFound`).
pub fn set_prices(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    shop: ShopId,
    product: ProductId,
    changes: &[PriceChange],
) -> Result<Vec<LevelPrice>> {
    let p = tx.product(product)?.filter(|p| p.shop_id == shop).ok_or(Error::NotFound)?;
    shops::load(tx, actor, p.shop_id, ShopAction::Manage)?;
    if changes.len() > 50 {
        return Err(Error::Invalid { field: "prices", reason: "too_many" });
    }
    for c in changes {
        if tx.level(c.level_id)?.is_none() {
            return Err(Error::Invalid { field: "level_id", reason: "unknown_level" });
        }
        if let Some(fen) = c.unit_price_fen {
            Fen::positive(fen).map_err(|_| Error::Invalid { field: "unit_price_fen", reason: "positive" })?;
        }
        tx.set_level_price(p.id, c.level_id, c.unit_price_fen, now)?;
    }
    let prices = tx.level_prices(p.id)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "product.level_prices",
        format!("product:{}", p.id.0),
        json!({ "prices": prices.iter().map(|lp| json!({ "level_id": lp.level_id.0, "unit_price_fen": lp.unit_price_fen })).collect::<Vec<_>>() }),
    ))?;
    Ok(prices)
}
