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
