//! 货源对接 for the API and the pages: connecting an upstream (address rule,
//! signed ping, secret sealed), its catalogue at this shop's price, mappings,
//! and the signed callbacks an upstream sends about orders. Every network call
//! here runs with no transaction open.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::authz::ShopAction;
use youying_core::error::{Error, Result};
use youying_core::ports::Store;
use youying_core::shops;
use youying_core::sourcing::{self, Connection, ConnectionId, MapInput, Mapping, MappingId, PriceRule, StepOutcome};
use youying_core::values::{OrderId, ShopId};
use youying_dock::Signer;
use youying_dock::wire::{self, Callback};

use crate::egress;
use crate::sourcing::client::{ConnectError, answer_of};
use crate::sourcing::{allow_private, apply, client_for, item_of};
use crate::state::App;

/// `POST /api/v1/shops/{id}/upstreams`.
#[derive(Clone, Default, Deserialize, ToSchema)]
pub struct ConnectRequest {
    /// The upstream site, e.g. `https://b.example` (its open API is under `/api/open/v1`).
    pub base_url: String,
    pub key_id: String,
    /// Shown once by the upstream; sealed here, never shown again.
    pub secret: String,
}

impl fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("base_url", &self.base_url)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// A connection with its health.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConnectionView {
    pub id: i64,
    pub shop_id: i64,
    pub base_url: String,
    pub key_id: String,
    pub site_name: String,
    pub account_name: String,
    pub level_name: String,
    pub balance_fen: i64,
    /// `ok` or `failing`.
    pub health: String,
    pub last_sync_at: Option<i64>,
    pub last_ok_at: Option<i64>,
    pub failures: i64,
    pub last_error: Option<String>,
    pub mapped: usize,
}

pub fn connection_view(c: &Connection, mapped: usize) -> ConnectionView {
    ConnectionView {
        id: c.id.0,
        shop_id: c.shop_id.0,
        base_url: c.base_url.clone(),
        key_id: c.key_id.clone(),
        site_name: c.site_name.clone(),
        account_name: c.account_name.clone(),
        level_name: c.level_name.clone(),
        balance_fen: c.balance_fen,
        health: c.health().to_owned(),
        last_sync_at: c.last_sync_at.map(|t| t.millis()),
        last_ok_at: c.last_ok_at.map(|t| t.millis()),
        failures: c.failures,
        last_error: c.last_error.clone(),
        mapped,
    }
}

/// A price rule as the API speaks it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct RuleBody {
    /// `same`, `percent` (value in basis points: 1000 = +10 %), `fixed_add` (fen) or `fixed_price` (fen).
    pub kind: String,
    #[serde(default)]
    pub value: i64,
}

/// `POST .../mappings` and `PUT .../mappings/{mid}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MapRequest {
    /// Needed to create; ignored by `PUT`.
    #[serde(default)]
    pub upstream_product_id: i64,
    pub rule: RuleBody,
    /// The sale price never goes below this.
    pub floor_fen: Option<i64>,
    /// Above this upstream cost the product is hidden; also the most an order may cost upstream.
    pub cap_fen: Option<i64>,
    /// Sell below the upstream cost on purpose (otherwise refused).
    #[serde(default)]
    pub allow_below_cost: bool,
}

impl MapRequest {
    fn input(&self) -> Result<MapInput> {
        Ok(MapInput {
            rule: PriceRule::parse(&self.rule.kind, self.rule.value)?,
            floor_fen: self.floor_fen,
            cap_fen: self.cap_fen,
            allow_below_cost: self.allow_below_cost,
        })
    }
}

/// A mapped product with its state: 正常 or 已隐藏（原因）.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MappingView {
    pub id: i64,
    pub connection_id: i64,
    pub product_id: i64,
    pub upstream_product_id: i64,
    pub rule: RuleBody,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub allow_below_cost: bool,
    /// The upstream's unit price at the last sync.
    pub cost_fen: i64,
    /// What buyers pay.
    pub price_fen: i64,
    pub stock_count: Option<i64>,
    /// `shown` or `hidden`.
    pub state: String,
    pub hidden_reason: Option<String>,
    pub state_label: String,
    pub synced_at: i64,
}

pub fn mapping_view(m: &Mapping) -> MappingView {
    MappingView {
        id: m.id.0,
        connection_id: m.connection_id.0,
        product_id: m.product_id.0,
        upstream_product_id: m.upstream_product_id,
        rule: RuleBody { kind: m.rule.kind().to_owned(), value: m.rule.value() },
        floor_fen: m.floor_fen,
        cap_fen: m.cap_fen,
        allow_below_cost: m.allow_below_cost,
        cost_fen: m.cost_fen,
        price_fen: m.price(),
        stock_count: m.stock_count,
        state: if m.hidden.is_some() { "hidden" } else { "shown" }.to_owned(),
        hidden_reason: m.hidden.map(|h| h.as_str().to_owned()),
        state_label: m.hidden.map_or_else(|| "正常".to_owned(), |h| format!("已隐藏（{}）", h.label())),
        synced_at: m.synced_at.millis(),
    }
}

/// One upstream product at this shop's price, and what the shop would sell it for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CatalogueItem {
    pub upstream_product_id: i64,
    pub kind: String,
    pub title: String,
    pub list_price_fen: i64,
    /// What one unit costs this shop upstream (its level's price).
    pub cost_fen: i64,
    pub on_sale: bool,
    pub in_stock: bool,
    pub stock_count: Option<i64>,
    /// The sale price under each rule with the given (or default) value:
    /// `same`, `percent` (+10 % unless `?percent_bp=`), `fixed_add` (+¥1 unless `?add_fen=`).
    pub would_sell: WouldSell,
    /// The mapping, if this shop already maps it.
    pub mapping_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WouldSell {
    pub same: i64,
    pub percent: i64,
    pub fixed_add: i64,
}

fn refused(e: &ConnectError) -> Error {
    match e {
        ConnectError::Unreachable(_) => Error::Invalid { field: "base_url", reason: "unreachable" },
        ConnectError::BadSignature => Error::Invalid { field: "secret", reason: "bad_signature" },
        ConnectError::Unauthorized => Error::Invalid { field: "key_id", reason: "unauthorized" },
    }
}

/// A connection's key (`key_field`: `key_id`, or a supplier's `app_id`) and secret, trimmed and bounded.
pub(crate) fn credentials(key: &str, key_field: &'static str, secret: &str) -> Result<(String, String)> {
    let (key, secret) = (key.trim(), secret.trim());
    if key.is_empty() || key.len() > 100 || key.chars().any(char::is_control) {
        return Err(Error::Invalid { field: key_field, reason: "length_1_100" });
    }
    if secret.is_empty() || secret.len() > 200 {
        return Err(Error::Invalid { field: "secret", reason: "length_1_200" });
    }
    Ok((key.to_owned(), secret.to_owned()))
}

/// A connection's base URL, trimmed and checked against the address rule in
/// force; with that rule, for the client that will call it.
pub(crate) async fn checked_url<S: Store>(app: &App<S>, raw: &str) -> Result<(String, bool)> {
    let allow = allow_private(app).await?;
    let url = raw.trim().trim_end_matches('/').to_owned();
    egress::check(&url, allow).await.map_err(|e| Error::Invalid { field: "base_url", reason: e.reason() })?;
    Ok((url, allow))
}

/// The local order that `downstream_order_no` names, if its step is on connection `id`.
pub(crate) async fn order_on<S: Store>(app: &App<S>, id: ConnectionId, no: String) -> Result<Option<OrderId>> {
    app.store
        .read(move |tx| {
            let Some(o) = tx.order_by_no(&no)? else { return Ok(None) };
            Ok(tx.upstream_order(o.id)?.filter(|s| s.connection_id == id).map(|_| o.id))
        })
        .await
}

/// Checks the address and the key with a signed ping, then stores the connection.
pub async fn connect<S: Store>(
    app: &App<S>,
    actor: User,
    shop: ShopId,
    req: &ConnectRequest,
) -> Result<ConnectionView> {
    let a = actor.clone();
    app.store.read(move |tx| shops::load(tx, &a, shop, ShopAction::Manage).map(|_| ())).await?;
    let (key_id, secret) = credentials(&req.key_id, "key_id", &req.secret)?;
    let (url, allow) = checked_url(app, &req.base_url).await?;
    let client = crate::sourcing::client::DockClient::new(
        app.egress.client(allow).clone(),
        &url,
        Signer::new(key_id.clone(), secret.clone()),
        app.now().secs(),
    );
    let ping: wire::Ping = client.ping().await.map_err(|e| refused(&e))?;
    let new = sourcing::NewConnection {
        shop_id: shop,
        protocol: sourcing::Protocol::Youying,
        base_url: url,
        key_id,
        secret: app.vault.seal_secret(&secret)?,
        site_name: ping.site.name.chars().take(100).collect(),
        account_name: ping.account.name.chars().take(100).collect(),
        level_name: ping.level.name.chars().take(100).collect(),
        balance_fen: ping.balance_fen,
    };
    let now = app.now();
    let c = app.store.write(move |tx| sourcing::connect(tx, now, &actor, &new)).await?;
    Ok(connection_view(&c, 0))
}

pub async fn list<S: Store>(app: &App<S>, actor: User, shop: ShopId) -> Result<Vec<ConnectionView>> {
    app.store
        .read(move |tx| {
            shops::load(tx, &actor, shop, ShopAction::Manage)?;
            let mut out = Vec::new();
            // Direct-top-up suppliers are listed apart (`app::suppliers`).
            for c in tx.connections_of_shop(shop)?.into_iter().filter(|c| c.protocol == sourcing::Protocol::Youying) {
                let n = tx.mappings_of_connection(c.id)?.len();
                out.push(connection_view(&c, n));
            }
            Ok(out)
        })
        .await
}

pub async fn one<S: Store>(
    app: &App<S>,
    actor: User,
    shop: ShopId,
    id: ConnectionId,
) -> Result<(Connection, Vec<Mapping>)> {
    app.store
        .read(move |tx| {
            let c = sourcing::load_connection(tx, &actor, shop, id)?;
            let maps = tx.mappings_of_connection(id)?;
            Ok((c, maps))
        })
        .await
}

pub async fn remove<S: Store>(app: &App<S>, actor: User, shop: ShopId, id: ConnectionId) -> Result<()> {
    let now = app.now();
    app.store.write(move |tx| sourcing::remove(tx, now, &actor, shop, id)).await
}

/// The upstream's catalogue at this shop's price.
pub async fn catalogue<S: Store>(
    app: &App<S>,
    actor: User,
    shop: ShopId,
    id: ConnectionId,
    percent_bp: Option<i64>,
    add_fen: Option<i64>,
) -> Result<Vec<CatalogueItem>> {
    let (c, maps) = one(app, actor, shop, id).await?;
    let client = client_for(app, &c, allow_private(app).await?)?;
    let products = client.products().await.map_err(|_| Error::Invalid { field: "base_url", reason: "unreachable" })?;
    let percent = PriceRule::parse("percent", percent_bp.unwrap_or(1_000))?;
    let add = PriceRule::parse("fixed_add", add_fen.unwrap_or(100))?;
    Ok(products
        .iter()
        .map(|p| CatalogueItem {
            upstream_product_id: p.id,
            kind: p.kind.clone(),
            title: p.title.clone(),
            list_price_fen: p.list_price_fen,
            cost_fen: p.unit_price_fen,
            on_sale: p.on_sale,
            in_stock: p.stock.in_stock,
            stock_count: p.stock.count,
            would_sell: WouldSell {
                same: p.unit_price_fen,
                percent: percent.apply(p.unit_price_fen),
                fixed_add: add.apply(p.unit_price_fen),
            },
            mapping_id: maps.iter().find(|m| m.upstream_product_id == p.id).map(|m| m.id.0),
        })
        .collect())
}

/// Reads the upstream product, then maps it into the shop.
pub async fn map<S: Store>(
    app: &App<S>,
    actor: User,
    shop: ShopId,
    id: ConnectionId,
    req: &MapRequest,
) -> Result<Mapping> {
    let input = req.input()?;
    let (c, _) = one(app, actor.clone(), shop, id).await?;
    let client = client_for(app, &c, allow_private(app).await?)?;
    let product = client
        .product(req.upstream_product_id)
        .await
        .map_err(|_| Error::Invalid { field: "upstream_product_id", reason: "not_found_upstream" })?;
    let item = item_of(&product).ok_or(Error::Invalid { field: "upstream_product_id", reason: "unknown_kind" })?;
    let now = app.now();
    app.store.write(move |tx| sourcing::map(tx, now, &actor, shop, id, &item, &input)).await
}

pub async fn remap<S: Store>(
    app: &App<S>,
    actor: User,
    shop: ShopId,
    mid: MappingId,
    req: &MapRequest,
) -> Result<Mapping> {
    let input = req.input()?;
    let now = app.now();
    app.store.write(move |tx| sourcing::remap(tx, now, &actor, shop, mid, &input)).await
}

pub async fn unmap<S: Store>(app: &App<S>, actor: User, shop: ShopId, mid: MappingId) -> Result<()> {
    let now = app.now();
    app.store.write(move |tx| sourcing::unmap(tx, now, &actor, shop, mid)).await
}

/// A signed callback from the upstream of connection `id`.
#[derive(Debug)]
pub struct CallbackIn<'a> {
    pub path_and_query: &'a str,
    pub timestamp: &'a str,
    pub signature: &'a str,
    pub body: &'a [u8],
}

/// Why a callback changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackRefused {
    /// Unknown connection, bad or stale signature: 401.
    Unverified,
    /// Verified, but about no order of this connection: 404.
    UnknownOrder,
    /// Verified, but not an order callback we understand: 422.
    NotUnderstood,
}

/// Verifies a callback with the connection's secret, then applies the order it carries.
pub async fn callback<S: Store>(
    app: &App<S>,
    id: ConnectionId,
    cb: CallbackIn<'_>,
) -> std::result::Result<Option<StepOutcome>, CallbackRefused> {
    let c = app.store.read(move |tx| tx.connection(id)).await.ok().flatten();
    // A supplier calls back in its own protocol (`/dock/supplier/{id}`), never here.
    let c = c.filter(|c| c.protocol == sourcing::Protocol::Youying).ok_or(CallbackRefused::Unverified)?;
    let secret = app.vault.open_secret(&c.secret).map_err(|_| CallbackRefused::Unverified)?;
    Signer::new(c.key_id.clone(), secret)
        .verify("POST", cb.path_and_query, cb.timestamp, cb.signature, cb.body, app.now().secs())
        .map_err(|_| CallbackRefused::Unverified)?;
    let parsed: Callback = serde_json::from_slice(cb.body).map_err(|_| CallbackRefused::NotUnderstood)?;
    if let Some(case) = parsed.case {
        return match crate::sourcing::cases::apply_callback(app, id, case).await {
            Ok(()) => Ok(None),
            Err(Error::NotFound) => Err(CallbackRefused::UnknownOrder),
            Err(_) => Err(CallbackRefused::NotUnderstood),
        };
    }
    let Some(order) = parsed.order else { return Ok(None) };
    let local = order_on(app, id, order.downstream_order_no.clone()).await.ok().flatten();
    let local = local.ok_or(CallbackRefused::UnknownOrder)?;
    apply(app, local, answer_of(order)).await.map(Some).map_err(|_| CallbackRefused::NotUnderstood)
}
