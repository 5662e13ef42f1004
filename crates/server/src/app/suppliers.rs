//! 直充货源 for the API and the pages: adding a direct-top-up supplier
//! (address rule, a signed query of a number that cannot exist, secret
//! sealed), listing and removing suppliers, binding a shop's own top-up
//! product to a supplier SKU, and the supplier's signed callbacks. Every
//! network call here runs with no transaction open.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::authz::ShopAction;
use youying_core::error::{Error, Result};
use youying_core::ports::Store;
use youying_core::shops;
use youying_core::sourcing::supplier::{self, BindInput};
use youying_core::sourcing::{self, Binding, Connection, ConnectionId, Protocol, StepOutcome};
use youying_core::values::{ProductId, ShopId};
use youying_dock::supplier::Supplier;

use crate::sourcing::{apply, topup};
use crate::state::App;
use crate::supplier::{Heard, HttpJsonSupplier, Refusal};

/// `POST /api/v1/shops/{id}/suppliers`.
#[derive(Clone, Default, Deserialize, ToSchema)]
pub struct AddSupplierRequest {
    /// The merchant's name for the supplier, 2–40 characters.
    pub name: String,
    /// The supplier's API root: `{base_url}/order/create`, `{base_url}/order/query`.
    pub base_url: String,
    pub app_id: String,
    /// Sealed here, never shown again.
    pub secret: String,
}

impl fmt::Debug for AddSupplierRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddSupplierRequest")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// A supplier with its health (from its last order call) and what is bound to it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplierView {
    pub id: i64,
    pub shop_id: i64,
    pub name: String,
    pub base_url: String,
    pub app_id: String,
    /// `ok` or `failing` (the last call heard nothing).
    pub health: String,
    pub last_call_at: Option<i64>,
    pub last_ok_at: Option<i64>,
    pub failures: i64,
    pub last_error: Option<String>,
    pub bindings: Vec<BindingView>,
}

/// A product bound to a supplier SKU.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BindingView {
    pub product_id: i64,
    pub supplier_id: i64,
    pub sku: String,
    /// The top-up field whose value is the account sent to the supplier.
    pub account_field: String,
}

/// `PUT /api/v1/shops/{id}/products/{pid}/supplier`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BindRequest {
    pub supplier_id: i64,
    pub sku: String,
    /// Which top-up field is the account (default: the product's first).
    #[serde(default)]
    pub account_field: Option<String>,
}

pub fn binding_view(b: &Binding) -> BindingView {
    BindingView {
        product_id: b.product_id.0,
        supplier_id: b.connection_id.0,
        sku: b.sku.clone(),
        account_field: b.account_field.clone(),
    }
}

pub fn supplier_view(c: &Connection, bound: &[Binding]) -> SupplierView {
    SupplierView {
        id: c.id.0,
        shop_id: c.shop_id.0,
        name: c.site_name.clone(),
        base_url: c.base_url.clone(),
        app_id: c.key_id.clone(),
        health: c.health().to_owned(),
        last_call_at: c.last_sync_at.map(|t| t.millis()),
        last_ok_at: c.last_ok_at.map(|t| t.millis()),
        failures: c.failures,
        last_error: c.last_error.clone(),
        bindings: bound.iter().map(binding_view).collect(),
    }
}

fn checked(req: &AddSupplierRequest) -> Result<(String, String, String)> {
    let name = req.name.trim().to_owned();
    let n = name.chars().count();
    if !(2..=40).contains(&n) || name.chars().any(|c| c.is_control() || c == '<' || c == '>') {
        return Err(Error::Invalid { field: "name", reason: "length_2_40" });
    }
    let (app_id, secret) = super::sourcing::credentials(&req.app_id, "app_id", &req.secret)?;
    Ok((name, app_id, secret))
}

/// Checks the address, then asks about a number that cannot exist, signed:
/// any signed, understood answer (`code` 404 first of all) means reachable and
/// the signature accepted; a refusal is the supplier's no; silence, unreachable.
pub async fn add<S: Store>(app: &App<S>, actor: User, shop: ShopId, req: &AddSupplierRequest) -> Result<SupplierView> {
    let a = actor.clone();
    app.store.read(move |tx| shops::load(tx, &a, shop, ShopAction::Manage).map(|_| ())).await?;
    let (name, app_id, secret) = checked(req)?;
    let (url, allow) = super::sourcing::checked_url(app, &req.base_url).await?;
    let probe = HttpJsonSupplier::new(&url, &app_id, &secret);
    let now = app.now();
    let no = format!("YYCHECK{}", now.millis());
    match probe.try_query(app.egress.client(allow), &no, now.secs()).await {
        Err(e) => {
            tracing::info!(shop = shop.0, error = %e, "supplier check: no answer");
            return Err(Error::Invalid { field: "base_url", reason: "unreachable" });
        }
        Ok(Heard { answer: Err(Refusal { code, message }), .. }) => {
            tracing::info!(shop = shop.0, code, message = %message.chars().take(200).collect::<String>(), "supplier check refused");
            return Err(Error::Invalid { field: "secret", reason: "supplier_refused" });
        }
        Ok(_) => {}
    }
    let new = sourcing::NewConnection {
        shop_id: shop,
        protocol: Protocol::HttpJson,
        base_url: url,
        key_id: app_id,
        secret: app.vault.seal_secret(&secret)?,
        site_name: name,
        account_name: String::new(),
        level_name: String::new(),
        balance_fen: 0,
    };
    let now = app.now();
    let c = app.store.write(move |tx| supplier::add(tx, now, &actor, &new)).await?;
    Ok(supplier_view(&c, &[]))
}

pub async fn list<S: Store>(app: &App<S>, actor: User, shop: ShopId) -> Result<Vec<SupplierView>> {
    let all = app.store.read(move |tx| supplier::suppliers_of(tx, &actor, shop)).await?;
    Ok(all.iter().map(|(c, b)| supplier_view(c, b)).collect())
}

pub async fn remove<S: Store>(app: &App<S>, actor: User, shop: ShopId, id: ConnectionId) -> Result<()> {
    let now = app.now();
    app.store.write(move |tx| supplier::remove(tx, now, &actor, shop, id)).await
}

pub async fn bind<S: Store>(
    app: &App<S>,
    actor: User,
    shop: ShopId,
    product: ProductId,
    req: &BindRequest,
) -> Result<BindingView> {
    let input = BindInput {
        supplier: ConnectionId(req.supplier_id),
        sku: req.sku.clone(),
        account_field: req.account_field.clone(),
    };
    let now = app.now();
    let b = app.store.write(move |tx| supplier::bind(tx, now, &actor, shop, product, &input)).await?;
    Ok(binding_view(&b))
}

pub async fn binding<S: Store>(
    app: &App<S>,
    actor: User,
    shop: ShopId,
    product: ProductId,
) -> Result<Option<BindingView>> {
    let b = app.store.read(move |tx| supplier::binding(tx, &actor, shop, product)).await?;
    Ok(b.as_ref().map(binding_view))
}

pub async fn unbind<S: Store>(app: &App<S>, actor: User, shop: ShopId, product: ProductId) -> Result<()> {
    let now = app.now();
    app.store.write(move |tx| supplier::unbind(tx, now, &actor, shop, product)).await
}

/// Why a supplier callback changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackRefused {
    /// Unknown connection, not JSON, a bad or stale signature: 401.
    Unverified,
    /// Verified, but about no order placed through this supplier: 404.
    UnknownOrder,
    /// Verified, but it could not be applied: 422.
    NotApplied,
}

/// Verifies a supplier's callback with the connection's secret (constant
/// time, ±60 s), then applies it to the order through the one `answered` path.
pub async fn callback<S: Store>(
    app: &App<S>,
    id: ConnectionId,
    body: &[u8],
) -> std::result::Result<StepOutcome, CallbackRefused> {
    if body.contains(&0) {
        return Err(CallbackRefused::Unverified);
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| CallbackRefused::Unverified)?;
    let c = app.store.read(move |tx| tx.connection(id)).await.ok().flatten();
    let c = c.filter(|c| c.protocol == Protocol::HttpJson).ok_or(CallbackRefused::Unverified)?;
    let secret = app.vault.open_secret(&c.secret).map_err(|_| CallbackRefused::Unverified)?;
    let (no, outcome) = Supplier::new(c.key_id.clone(), secret)
        .callback(&value, app.now().secs())
        .map_err(|_| CallbackRefused::Unverified)?;
    let local = super::sourcing::order_on(app, id, no).await.ok().flatten();
    let local = local.ok_or(CallbackRefused::UnknownOrder)?;
    let order_no = value.get("order_no").and_then(serde_json::Value::as_str).unwrap_or_default();
    apply(app, local, topup::answer_of(outcome, order_no)).await.map_err(|e| {
        tracing::warn!(error = %e, order = local.0, "supplier callback not applied");
        CallbackRefused::NotApplied
    })
}

/// What the 绑定直充货源 page shows: the product, its top-up fields, the shop's suppliers, the binding.
#[derive(Debug, Clone)]
pub struct BindForm {
    pub title: String,
    /// (name, label) of the product's top-up fields.
    pub fields: Vec<(String, String)>,
    pub suppliers: Vec<SupplierView>,
    pub binding: Option<BindingView>,
}

pub async fn bind_form<S: Store>(app: &App<S>, actor: User, shop: ShopId, product: ProductId) -> Result<BindForm> {
    app.store
        .read(move |tx| {
            let binding = supplier::binding(tx, &actor, shop, product)?;
            let p = tx.product(product)?.ok_or(Error::NotFound)?;
            if p.spec.kind != youying_core::catalogue::ProductKind::DirectTopup {
                return Err(Error::Invalid { field: "topup_product", reason: "not_direct_topup" });
            }
            let sups = supplier::suppliers_of(tx, &actor, shop)?;
            Ok(BindForm {
                title: p.spec.title.clone(),
                fields: p.spec.topup_fields.iter().map(|f| (f.name.clone(), f.label.clone())).collect(),
                suppliers: sups.iter().map(|(c, b)| supplier_view(c, b)).collect(),
                binding: binding.as_ref().map(binding_view),
            })
        })
        .await
}
