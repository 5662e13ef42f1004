//! Mapping an upstream product into the shop: a normal product row (kind,
//! title, texts and top-up fields copied from upstream) priced by the rule,
//! listed to buyers like any other, plus the mapping row that ties it to its
//! source.

use serde_json::json;

use super::connect::load_connection;
use super::model::{ConnectionId, HiddenReason, MapInput, Mapping, MappingId, SourceItem};
use super::sync::{judge_price, show};
use crate::accounts::port::User;
use crate::authz::ShopAction;
use crate::catalogue::{self, ProductInput, ProductKind, ProductSpec};
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::listings;
use crate::ports::Tx;
use crate::shops;
use crate::values::{ProductId, ShopId};

fn check_bounds(input: &MapInput) -> Result<()> {
    let ok = |v: Option<i64>| v.is_none_or(|v| (1..=1_000_000_000).contains(&v));
    if !ok(input.floor_fen) {
        return Err(Error::Invalid { field: "floor_fen", reason: "range_1_1000000000" });
    }
    if !ok(input.cap_fen) {
        return Err(Error::Invalid { field: "cap_fen", reason: "range_1_1000000000" });
    }
    Ok(())
}

/// The sale price must not fall below the cost unless the merchant says so.
fn check_margin(m: &Mapping) -> Result<()> {
    if m.price() < m.cost_fen && !m.allow_below_cost {
        return Err(Error::Invalid { field: "rule", reason: "below_cost" });
    }
    Ok(())
}

/// The listing a mapped product starts with, from the upstream's.
fn spec_of(item: &SourceItem, price_fen: i64) -> Result<ProductSpec> {
    let category = if catalogue::category_name(&item.category).is_some() {
        item.category.clone()
    } else {
        match item.kind {
            ProductKind::DirectTopup => "topup",
            ProductKind::Account => "game_account",
            ProductKind::CardKey => "game_card",
        }
        .to_owned()
    };
    let topup = item.kind == ProductKind::DirectTopup;
    ProductSpec::parse(&ProductInput {
        category: Some(category),
        kind: Some(item.kind.as_str().to_owned()),
        title: Some(item.title.chars().take(80).collect()),
        description: Some(item.description.chars().take(10_000).collect()),
        instructions: Some(item.instructions.chars().take(2_000).collect()),
        price_fen: Some(price_fen),
        tiers: None,
        promises: Some(item.promises.iter().filter(|p| catalogue::promise_name(p).is_some()).cloned().collect()),
        topup_promise_secs: item.promise_secs.filter(|_| topup),
        topup_fields: topup.then(|| item.topup_fields.clone()),
        account_attrs: None,
        max_per_order: Some(item.max_per_order.clamp(1, 1_000)),
    })
}

/// Maps `item` (just read from the upstream by the server) into `shop`.
pub fn map(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    shop: ShopId,
    connection: ConnectionId,
    item: &SourceItem,
    input: &MapInput,
) -> Result<Mapping> {
    load_connection(tx, actor, shop, connection)?;
    check_bounds(input)?;
    if tx.mappings_of_connection(connection)?.iter().any(|m| m.upstream_product_id == item.upstream_product_id) {
        return Err(Error::Conflict(Conflict::Duplicate));
    }
    let mut m = Mapping {
        id: MappingId(0),
        connection_id: connection,
        shop_id: shop,
        product_id: ProductId(0),
        upstream_product_id: item.upstream_product_id,
        rule: input.rule,
        floor_fen: input.floor_fen,
        cap_fen: input.cap_fen,
        allow_below_cost: input.allow_below_cost,
        cost_fen: item.cost_fen,
        stock_count: item.stock_count,
        hidden: None,
        synced_at: now,
        created_at: now,
    };
    check_margin(&m)?;
    m.hidden = super::sync::judge(&m, Some(item));
    m.product_id = listings::create(tx, now, actor, shop, &spec_of(item, m.price())?, true)?;
    m.id = tx.insert_mapping(&m)?;
    if m.hidden.is_some() {
        tx.set_source_hidden(m.product_id, true, now)?;
    }
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "upstream.mapped",
        format!("product:{}", m.product_id.0),
        json!({ "upstream": connection.0, "upstream_product_id": item.upstream_product_id, "rule": m.rule.kind(),
                "value": m.rule.value(), "floor_fen": m.floor_fen, "cap_fen": m.cap_fen, "cost_fen": m.cost_fen,
                "price_fen": m.price(), "hidden": m.hidden.map(HiddenReason::as_str) }),
    ))?;
    Ok(m)
}

/// The mapping `id` of `shop`, for its manager; anything else is 404.
pub fn load_mapping(tx: &mut dyn Tx, actor: &User, shop: ShopId, id: MappingId) -> Result<Mapping> {
    shops::load(tx, actor, shop, ShopAction::Manage)?;
    tx.mapping(id)?.filter(|m| m.shop_id == shop).ok_or(Error::NotFound)
}

/// Changes a mapping's rule and bounds; the price follows at once.
pub fn remap(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    shop: ShopId,
    id: MappingId,
    input: &MapInput,
) -> Result<Mapping> {
    let mut m = load_mapping(tx, actor, shop, id)?;
    check_bounds(input)?;
    m.rule = input.rule;
    m.floor_fen = input.floor_fen;
    m.cap_fen = input.cap_fen;
    m.allow_below_cost = input.allow_below_cost;
    check_margin(&m)?;
    // Only what the rule decides is judged again; what the upstream said waits for the next sync.
    let hidden = match m.hidden {
        None | Some(HiddenReason::AboveCap | HiddenReason::BelowCost) => judge_price(&m),
        other => other,
    };
    show(tx, now, &mut m, hidden)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "upstream.remapped",
        format!("product:{}", m.product_id.0),
        json!({ "rule": m.rule.kind(), "value": m.rule.value(), "floor_fen": m.floor_fen, "cap_fen": m.cap_fen, "price_fen": m.price() }),
    ))?;
    Ok(m)
}

/// Ends a mapping: the product stays (its orders refer to it) but goes off sale.
pub fn unmap(tx: &mut dyn Tx, now: Timestamp, actor: &User, shop: ShopId, id: MappingId) -> Result<()> {
    let m = load_mapping(tx, actor, shop, id)?;
    tx.delete_mapping(m.id)?;
    tx.set_source_hidden(m.product_id, false, now)?;
    let mut p = tx.product(m.product_id)?.ok_or(Error::NotFound)?;
    p.on_sale = false;
    p.updated_at = now;
    if !tx.update_product(&p, p.version)? {
        return Err(Error::Conflict(Conflict::ProductChanged));
    }
    tx.append(NewEvent::new(now, Some(actor.id), "upstream.unmapped", format!("product:{}", m.product_id.0), json!({})))
}
