//! 直充货源: direct-top-up suppliers that are not Youying sites. A supplier
//! is a connection speaking [`Protocol::HttpJson`] (added once the server's
//! signed query was answered; never synced), and a shop's own direct-top-up
//! product is *bound* to one of its SKUs. A checkout of a bound product
//! writes the same step row as a mapped one ([`enqueue`]), with the SKU and
//! the account, so the server places it, polls it and applies callbacks
//! through the one `answered` path.
//!
//! ```text
//! supplier:  add (signed query answered) ──▶ live ──remove (nothing bound)──▶ removed
//! binding:   bind (own direct-top-up product, own supplier) ──▶ bound ──unbind──▶ (gone)
//! ```

use serde_json::json;

use super::model::{Binding, Connection, ConnectionId, NewConnection, Protocol, UpstreamOrder};
use crate::accounts::port::User;
use crate::authz::ShopAction;
use crate::catalogue::ProductKind;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::orders::model::Order;
use crate::ports::{ReadTx, Tx};
use crate::shops;
use crate::values::{ProductId, ShopId};

/// The supplier `id` of `shop`, for someone who may manage the shop; anything else is 404.
pub fn load_supplier(tx: &mut dyn ReadTx, actor: &User, shop: ShopId, id: ConnectionId) -> Result<Connection> {
    shops::load(tx, actor, shop, ShopAction::Manage)?;
    tx.connection(id)?
        .filter(|c| c.shop_id == shop && c.removed_at.is_none() && c.protocol == Protocol::HttpJson)
        .ok_or(Error::NotFound)
}

/// A shop's live suppliers with how many products each fulfils.
pub fn suppliers_of(tx: &mut dyn ReadTx, actor: &User, shop: ShopId) -> Result<Vec<(Connection, Vec<Binding>)>> {
    shops::load(tx, actor, shop, ShopAction::Manage)?;
    let mut out = Vec::new();
    for c in tx.connections_of_shop(shop)?.into_iter().filter(|c| c.protocol == Protocol::HttpJson) {
        let bound = tx.bindings_of_connection(c.id)?;
        out.push((c, bound));
    }
    Ok(out)
}

/// Stores a supplier the server has checked (address rule, signed query answered).
pub fn add(tx: &mut dyn Tx, now: Timestamp, actor: &User, c: &NewConnection) -> Result<Connection> {
    if c.protocol != Protocol::HttpJson {
        return Err(Error::Invalid { field: "protocol", reason: "not_a_supplier" });
    }
    let detail = json!({ "shop_id": c.shop_id.0, "base_url": c.base_url, "app_id": c.key_id, "name": c.site_name });
    super::connect::insert(tx, now, actor, c, "supplier.added", detail)
}

/// Removes a supplier no product is bound to (unbind first). The row stays for its orders.
pub fn remove(tx: &mut dyn Tx, now: Timestamp, actor: &User, shop: ShopId, id: ConnectionId) -> Result<()> {
    let mut c = load_supplier(tx, actor, shop, id)?;
    if !tx.bindings_of_connection(id)?.is_empty() {
        return Err(Error::Conflict(Conflict::SupplierInUse));
    }
    c.removed_at = Some(now);
    tx.update_connection(&c)?;
    tx.append(NewEvent::new(now, Some(actor.id), "supplier.removed", format!("upstream:{}", id.0), json!({})))
}

/// What a merchant asks for when binding a product.
#[derive(Debug, Clone)]
pub struct BindInput {
    pub supplier: ConnectionId,
    pub sku: String,
    /// `None`: the product's first top-up field.
    pub account_field: Option<String>,
}

/// Binds the shop's own direct-top-up product to a SKU of the shop's supplier.
pub fn bind(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    shop: ShopId,
    product: ProductId,
    input: &BindInput,
) -> Result<Binding> {
    let c = load_supplier(tx, actor, shop, input.supplier)?;
    let p = tx.product(product)?.filter(|p| p.shop_id == shop).ok_or(Error::NotFound)?;
    if p.spec.kind != ProductKind::DirectTopup {
        return Err(Error::Invalid { field: "topup_product", reason: "not_direct_topup" });
    }
    if tx.mapping_of_product(product)?.is_some() {
        return Err(Error::Invalid { field: "topup_product", reason: "mapped_upstream" });
    }
    let sku = input.sku.trim();
    if sku.is_empty() || sku.chars().count() > 100 || sku.chars().any(char::is_control) {
        return Err(Error::Invalid { field: "sku", reason: "length_1_100" });
    }
    let names: Vec<&str> = p.spec.topup_fields.iter().map(|f| f.name.as_str()).collect();
    let account_field = match input.account_field.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) if names.contains(&f) => f.to_owned(),
        Some(_) => return Err(Error::Invalid { field: "account_field", reason: "not_a_topup_field" }),
        None => names
            .first()
            .map(|f| (*f).to_owned())
            .ok_or(Error::Invalid { field: "account_field", reason: "no_topup_fields" })?,
    };
    let b = Binding {
        product_id: product,
        connection_id: c.id,
        shop_id: shop,
        sku: sku.to_owned(),
        account_field,
        created_at: now,
    };
    tx.put_binding(&b)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "supplier.bound",
        format!("product:{}", product.0),
        json!({ "supplier": c.id.0, "sku": b.sku, "account_field": b.account_field }),
    ))?;
    Ok(b)
}

/// The binding of the shop's product, for someone who may manage the shop.
pub fn binding(tx: &mut dyn ReadTx, actor: &User, shop: ShopId, product: ProductId) -> Result<Option<Binding>> {
    shops::load(tx, actor, shop, ShopAction::Manage)?;
    tx.product(product)?.filter(|p| p.shop_id == shop).ok_or(Error::NotFound)?;
    tx.binding_of_product(product)
}

/// Unbinds the product: its later orders wait for the merchant again (orders placed stay on their step).
pub fn unbind(tx: &mut dyn Tx, now: Timestamp, actor: &User, shop: ShopId, product: ProductId) -> Result<()> {
    binding(tx, actor, shop, product)?.ok_or(Error::NotFound)?;
    tx.delete_binding(product)?;
    tx.append(NewEvent::new(now, Some(actor.id), "supplier.unbound", format!("product:{}", product.0), json!({})))
}

/// The account a bound order sends: the bound field of the buyer's top-up target.
fn account_of(order: &Order, field: &str) -> String {
    order
        .topup_target
        .as_deref()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
        .and_then(|v| v.get(field).and_then(serde_json::Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// Writes the step row of a fresh order of a bound product, due at once (the
/// sibling of `order::enqueue`, in the checkout's transaction).
pub(crate) fn enqueue(tx: &mut dyn Tx, now: Timestamp, order: &Order, b: &Binding) -> Result<()> {
    // No price rule: the most this order may cost is what the buyer paid for a unit (`fresh_step`).
    tx.insert_upstream_order(&UpstreamOrder {
        sku: Some(b.sku.clone()),
        account: Some(account_of(order, &b.account_field)),
        ..super::order::fresh_step(order, b.connection_id, now)
    })?;
    tx.append(NewEvent::new(
        now,
        None,
        "order.sourcing",
        format!("order:{}", order.no),
        json!({ "supplier": b.connection_id.0, "sku": b.sku }),
    ))
}

/// A supplier's health after an exchange: `error` is why nothing was heard (`None`: it answered).
pub fn noted(tx: &mut dyn Tx, now: Timestamp, id: ConnectionId, error: Option<&str>) -> Result<()> {
    let Some(mut c) = tx.connection(id)?.filter(|c| c.protocol == Protocol::HttpJson) else { return Ok(()) };
    c.last_sync_at = Some(now);
    match error {
        None => {
            c.last_ok_at = Some(now);
            c.failures = 0;
            c.last_error = None;
        }
        Some(e) => {
            c.failures += 1;
            c.last_error = Some(e.chars().take(300).collect());
        }
    }
    tx.update_connection(&c)
}
