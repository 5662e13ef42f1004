//! The one price function: what a viewer pays for a quantity of a product.
//! Checkout, the product pages, the product JSON and the open API all call
//! [`quote`], so the price a buyer is shown is the price they are charged.

use super::model::{Level, PriceBasis, Quote};
use crate::accounts::port::User;
use crate::catalogue::Product;
use crate::error::{Error, Result};
use crate::money::Fen;
use crate::ports::ReadTx;

/// The level a viewer buys at: their own if an admin gave them one, else the
/// default level (anonymous viewers too).
pub fn viewer_level(tx: &mut dyn ReadTx, viewer: Option<&User>) -> Result<Level> {
    if let Some(u) = viewer
        && let Some(id) = tx.level_of(u.id)?
        && let Some(level) = tx.level(id)?
    {
        return Ok(level);
    }
    tx.default_level()?.ok_or(Error::NotFound)
}

/// What `buyer` (or an anonymous viewer) pays for `quantity` of `product`.
pub fn quote(tx: &mut dyn ReadTx, buyer: Option<&User>, product: &Product, quantity: i64) -> Result<Quote> {
    if let Some(u) = buyer {
        // A buyer's level and the shop's price for it in one question (checkout's path).
        let (level, fixed) = tx.level_and_price(u.id, product.id)?.ok_or(Error::NotFound)?;
        let (unit, basis) = resolve(product, quantity, &level, fixed);
        return Ok(Quote { unit, total: unit.checked_mul(quantity.max(1))?, basis });
    }
    let level = viewer_level(tx, buyer)?;
    quote_at(tx, &level, product, quantity)
}

/// [`quote`] for a level already looked up (a list of products asks once).
pub fn quote_at(tx: &mut dyn ReadTx, level: &Level, product: &Product, quantity: i64) -> Result<Quote> {
    let fixed = tx.level_price(product.id, level.id)?;
    let (unit, basis) = resolve(product, quantity, level, fixed);
    Ok(Quote { unit, total: unit.checked_mul(quantity.max(1))?, basis })
}

/// The price without a level: the list price, or the tier the quantity reaches.
pub fn base_price(product: &Product, quantity: i64) -> (Fen, PriceBasis) {
    let tier = product.spec.tiers.iter().rev().find(|t| quantity >= t.min_qty);
    let unit = product.spec.unit_price(quantity);
    (unit, tier.map_or(PriceBasis::List, |t| PriceBasis::Tier { min_qty: t.min_qty }))
}

/// The rule, pure: the shop's fixed price for the level wins over the level's
/// discount; either applies to the price the viewer would pay without a level
/// (list or tier) and never raises it (a level is a benefit: the lower of the
/// two), nor takes it below 1 fen. A discount is rounded down to the fen —
/// in the buyer's favour, as every published figure here is.
pub fn resolve(product: &Product, quantity: i64, level: &Level, fixed: Option<i64>) -> (Fen, PriceBasis) {
    let (base, basis) = base_price(product, quantity);
    let (unit, by_level) = match fixed {
        Some(f) => (f.max(1), PriceBasis::LevelPrice { level_id: level.id, level_name: level.name.clone() }),
        None if level.discount_bp > 0 => (
            base.share_bp(10_000 - level.discount_bp).get().max(1),
            PriceBasis::LevelDiscount {
                level_id: level.id,
                level_name: level.name.clone(),
                discount_bp: level.discount_bp,
            },
        ),
        None => return (base, basis),
    };
    if unit < base.get() { (Fen::new(unit).unwrap_or(base), by_level) } else { (base, basis) }
}
