//! Listing use cases: a shop's owner creates and changes products. Each change
//! is an evidence event; a change against a stale version is refused.

use serde_json::json;

use crate::accounts::port::User;
use crate::authz::ShopAction;
use crate::catalogue::{ProductInput, ProductSpec};
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::shops;
use crate::values::{ProductId, ShopId};

pub fn create(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    shop: ShopId,
    spec: &ProductSpec,
    on_sale: bool,
) -> Result<ProductId> {
    let shop = shops::load(tx, actor, shop, ShopAction::Manage)?;
    let id = tx.insert_product(shop.id, spec, on_sale, now)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "product.created",
        format!("product:{id}"),
        json!({ "shop_id": shop.id.0, "title": spec.title, "price_fen": spec.price_fen, "kind": spec.kind.as_str() }),
    ))?;
    Ok(id)
}

/// Applies `patch` (and `on_sale`) if the product is still at `version` (when given).
pub fn update(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    id: ProductId,
    patch: &ProductInput,
    on_sale: Option<bool>,
    version: Option<i64>,
) -> Result<()> {
    let mut product = tx.product(id)?.ok_or(Error::NotFound)?;
    shops::load(tx, actor, product.shop_id, ShopAction::Manage)?;
    let expected = version.unwrap_or(product.version);
    product.spec = product.spec.patched(patch)?;
    if let Some(on) = on_sale {
        product.on_sale = on;
    }
    product.updated_at = now;
    if !tx.update_product(&product, expected)? {
        return Err(Error::Conflict(Conflict::ProductChanged));
    }
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "product.updated",
        format!("product:{id}"),
        json!({ "version": expected + 1, "on_sale": product.on_sale, "price_fen": product.spec.price_fen, "title": product.spec.title }),
    ))
}

/// What a bulk action does to each chosen listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bulk {
    /// 上架 (`true`) or 下架 (`false`).
    OnSale(bool),
    /// Sets the price to this many fen.
    Price(i64),
    /// Moves the price by this many percent (−90 … +1000), rounded to the fen.
    Percent(i64),
}

impl Bulk {
    /// The new price of a listing now at `price_fen`, if the action changes it.
    pub fn new_price(self, price_fen: i64) -> Option<i64> {
        match self {
            Bulk::OnSale(_) => None,
            Bulk::Price(p) => Some(p),
            Bulk::Percent(pct) => Some((price_fen * (100 + pct) + 50).div_euclid(100)),
        }
    }
}

/// Applies `action` to every listing in `ids`, all of which must belong to
/// `shop`: one transaction, so one refusal (another shop's id, a price a tier
/// no longer undercuts) leaves every listing as it was.
pub fn bulk(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    shop: ShopId,
    ids: &[ProductId],
    action: Bulk,
) -> Result<usize> {
    if ids.is_empty() || ids.len() > 200 {
        return Err(Error::Invalid { field: "ids", reason: "one_to_200" });
    }
    if let Bulk::Percent(pct) = action
        && !(-90..=1_000).contains(&pct)
    {
        return Err(Error::Invalid { field: "percent", reason: "range" });
    }
    shops::load(tx, actor, shop, ShopAction::Manage)?;
    // A listing named twice changes once (a percent applied twice would compound).
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for &id in &ids {
        let p = tx.product(id)?.filter(|p| p.shop_id == shop).ok_or(Error::NotFound)?;
        let (patch, on_sale) = match action {
            Bulk::OnSale(on) => (ProductInput::default(), Some(on)),
            _ => (ProductInput { price_fen: action.new_price(p.spec.price_fen), ..ProductInput::default() }, None),
        };
        update(tx, now, actor, id, &patch, on_sale, Some(p.version))?;
    }
    Ok(ids.len())
}
