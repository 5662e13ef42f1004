//! Checkout and the life of an order.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use youying_core::accounts::User;
use youying_core::authz::ShopAction;
use youying_core::error::Conflict;
use youying_core::orders::{self, Checkout, Order};
use youying_core::ports::Store;
use youying_core::stock::ClaimedUnit;
use youying_core::values::{ProductId, ShopId};
use youying_core::{Error, shops};

use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult, AppError};
use crate::state::App;
use crate::vault::OpenUnit;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct NewOrder {
    pub product_id: i64,
    #[serde(default = "one")]
    pub quantity: i64,
    /// For direct top-ups: the declared fields, e.g. `{"qq": "123456"}`.
    #[schema(value_type = Option<Object>)]
    pub topup_target: Option<serde_json::Value>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub no: String,
    pub state: String,
    pub state_label: String,
    pub kind: String,
    pub product_id: i64,
    pub shop_id: i64,
    pub buyer_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub total_fen: i64,
    pub escrow_fen: i64,
    pub snapshot_sha256: String,
    #[schema(value_type = Option<Object>)]
    pub topup_target: Option<serde_json::Value>,
    pub fulfil_note: Option<String>,
    pub created_at: i64,
    pub promise_due: Option<i64>,
    pub topup_overdue: bool,
    /// The buyer may cancel for an instant refund (an overdue top-up).
    pub cancellable: bool,
    pub protect_until: Option<i64>,
    pub closed_at: Option<i64>,
}

pub fn view(o: &Order, now: youying_core::Timestamp) -> OrderView {
    OrderView {
        no: o.no.clone(),
        state: o.state.as_str().to_owned(),
        state_label: o.state.label().to_owned(),
        kind: o.kind.as_str().to_owned(),
        product_id: o.product_id.0,
        shop_id: o.shop_id.0,
        buyer_id: o.buyer_id.0,
        quantity: o.quantity,
        unit_price_fen: o.unit_price.get(),
        total_fen: o.total.get(),
        escrow_fen: o.escrow_fen,
        snapshot_sha256: o.snapshot_hash.clone(),
        topup_target: o.topup_target.as_deref().and_then(|t| serde_json::from_str(t).ok()),
        fulfil_note: o.fulfil_note.clone(),
        created_at: o.created_at.millis(),
        promise_due: o.promise_due.map(|t| t.millis()),
        topup_overdue: o.topup_overdue,
        cancellable: o.state == orders::OrderState::AwaitingFulfilment && o.promise_due.is_some_and(|d| d <= now),
        protect_until: o.protect_until.map(|t| t.millis()),
        closed_at: o.closed_at.map(|t| t.millis()),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    pub order: OrderView,
    /// The delivered card keys or account credentials (buyer only).
    pub units: Vec<OpenUnit>,
}

fn open_units<S: Store>(app: &App<S>, units: &[ClaimedUnit]) -> ApiResult<Vec<OpenUnit>> {
    units.iter().map(|u| app.vault.open(u).map_err(AppError::from)).collect()
}

fn random_u64() -> ApiResult<u64> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| youying_core::StorageError(format!("random: {e}")))?;
    Ok(u64::from_le_bytes(b))
}

/// Checkout shared by the API and the pages.
pub async fn place<S: Store>(
    app: &App<S>,
    buyer: User,
    n: &NewOrder,
    idempotency_key: Option<String>,
) -> ApiResult<(bool, Order, Vec<OpenUnit>)> {
    let request_hash = hex::encode(Sha256::digest(serde_json::to_vec(n).unwrap_or_default()));
    if idempotency_key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 100) {
        return Err(Error::Invalid { field: "idempotency_key", reason: "length_1_100" }.into());
    }
    let req = Checkout {
        product_id: ProductId(n.product_id),
        quantity: n.quantity,
        topup_target: n.topup_target.clone(),
        idempotency: idempotency_key.clone().map(|k| (k, request_hash.clone())),
        order_no: orders::order_no(app.now(), random_u64()?),
    };
    let now = app.now();
    let b = buyer.clone();
    let out = match app.store.write(move |tx| orders::checkout(tx, now, &b, &req)).await {
        // A twin request with the same key committed first: answer with its order.
        Err(Error::Conflict(Conflict::IdempotencyKeyInFlight)) => {
            let key = idempotency_key.unwrap_or_default();
            let req = Checkout {
                product_id: ProductId(n.product_id),
                quantity: n.quantity,
                topup_target: n.topup_target.clone(),
                idempotency: Some((key, request_hash)),
                order_no: String::new(),
            };
            app.store.write(move |tx| orders::checkout(tx, now, &buyer, &req)).await?
        }
        other => other?,
    };
    Ok((out.replay, out.order.clone(), open_units(app, &out.units)?))
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry safely: the same key and body return the same order")),
    responses((status = 201, body = CheckoutView), (status = 200, body = CheckoutView, description = "a retry of an earlier identical request"),
        (status = 409, description = "out of stock; nothing charged"), (status = 422, description = "short balance (nothing charged), bad input, or the key reused with another body")))]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    headers: HeaderMap,
    ApiJson(n): ApiJson<NewOrder>,
) -> ApiResult<(StatusCode, Json<CheckoutView>)> {
    let key = headers.get("idempotency-key").and_then(|h| h.to_str().ok()).map(str::to_owned);
    let (replay, order, units) = place(&app, v.user, &n, key).await?;
    let status = if replay { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(CheckoutView { order: view(&order, app.now()), units })))
}

#[utoipa::path(get, path = "/api/v1/orders/{no}", tag = "orders", params(("no" = String, Path)), responses((status = 200, body = OrderView), (status = 404)))]
pub async fn get<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
) -> ApiResult<Json<OrderView>> {
    let o = app.store.read(move |tx| orders::load_for(tx, &v.user, &no)).await?;
    Ok(Json(view(&o, app.now())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SnapshotView {
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
    /// SHA-256 of the canonical JSON text of `snapshot`.
    pub sha256: String,
    /// The canonical text itself, exactly as hashed.
    pub canonical: String,
}

#[utoipa::path(get, path = "/api/v1/orders/{no}/snapshot", tag = "orders", params(("no" = String, Path)), responses((status = 200, body = SnapshotView), (status = 404)))]
pub async fn snapshot<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
) -> ApiResult<Json<SnapshotView>> {
    let o = app.store.read(move |tx| orders::load_for(tx, &v.user, &no)).await?;
    let snapshot =
        serde_json::from_str(&o.snapshot).map_err(|e| youying_core::StorageError(format!("snapshot: {e}")))?;
    Ok(Json(SnapshotView { snapshot, sha256: o.snapshot_hash, canonical: o.snapshot }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Orders of this shop (its staff), instead of your own purchases.
    pub shop_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(ListParams), responses((status = 200, body = Vec<OrderView>)))]
pub async fn list<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Vec<OrderView>>> {
    let list = app
        .store
        .read(move |tx| match p.shop_id {
            Some(id) => {
                let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Serve)?;
                tx.orders_of_shop(shop.id, 200)
            }
            None => tx.orders_of_buyer(v.user.id, 200),
        })
        .await?;
    let now = app.now();
    Ok(Json(list.iter().map(|o| view(o, now)).collect()))
}

#[utoipa::path(post, path = "/api/v1/orders/{no}/reveal", tag = "orders", params(("no" = String, Path)),
    responses((status = 200, body = CheckoutView, description = "the delivered units; the reveal is recorded as evidence"), (status = 404)))]
pub async fn reveal<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
) -> ApiResult<Json<CheckoutView>> {
    let now = app.now();
    let (order, units) = app.store.write(move |tx| orders::reveal(tx, now, &v.user, &no)).await?;
    Ok(Json(CheckoutView { order: view(&order, now), units: open_units(&app, &units)? }))
}

#[utoipa::path(post, path = "/api/v1/orders/{no}/confirm", tag = "orders", params(("no" = String, Path)),
    responses((status = 200, body = OrderView, description = "escrow released to the shop"), (status = 404), (status = 409)))]
pub async fn confirm<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
) -> ApiResult<Json<OrderView>> {
    let now = app.now();
    let o = app.store.write(move |tx| orders::confirm(tx, now, &v.user, &no)).await?;
    Ok(Json(view(&o, now)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Fulfil {
    /// What was done, with any proof (a transaction number, a screenshot link).
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/orders/{no}/fulfil", tag = "orders", params(("no" = String, Path)), request_body = Fulfil,
    responses((status = 200, body = OrderView), (status = 404), (status = 409)))]
pub async fn fulfil<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
    ApiJson(f): ApiJson<Fulfil>,
) -> ApiResult<Json<OrderView>> {
    let now = app.now();
    let o = app.store.write(move |tx| orders::fulfil(tx, now, &v.user, &no, &f.note)).await?;
    Ok(Json(view(&o, now)))
}

#[utoipa::path(post, path = "/api/v1/orders/{no}/cancel", tag = "orders", params(("no" = String, Path)),
    responses((status = 200, body = OrderView, description = "refunded to the wallet"), (status = 404), (status = 409, description = "not overdue")))]
pub async fn cancel<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
) -> ApiResult<Json<OrderView>> {
    let now = app.now();
    let o = app.store.write(move |tx| orders::cancel_overdue(tx, now, &v.user, &no)).await?;
    Ok(Json(view(&o, now)))
}
