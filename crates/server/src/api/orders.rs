//! Checkout and the life of an order.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::authz::ShopAction;
use youying_core::orders;
use youying_core::ports::Store;
use youying_core::shops;
use youying_core::values::ShopId;

use crate::app::orders::{NewOrder, OrderView, open_units, view};
use crate::app::pay::{self, PaymentView, Purchase};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;
use crate::vault::OpenUnit;

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckoutView {
    pub order: OrderView,
    /// The delivered card keys or account credentials (buyer only).
    pub units: Vec<OpenUnit>,
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = NewOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry safely: the same key and body return the same order")),
    responses((status = 201, body = CheckoutView), (status = 200, body = CheckoutView, description = "a retry of an earlier identical request"),
        (status = 202, body = PaymentDue, description = "the wallet is short and `pay` was given: pay the difference at `payment.pay_url`"),
        (status = 409, description = "out of stock; nothing charged"), (status = 422, description = "short balance without `pay` (nothing charged), bad input, or the key reused with another body")))]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    headers: HeaderMap,
    ApiJson(n): ApiJson<NewOrder>,
) -> ApiResult<Response> {
    let key = headers.get("idempotency-key").and_then(|h| h.to_str().ok()).map(str::to_owned);
    let site = app.config.site_url(&headers);
    Ok(match pay::buy(&app, v.user, &site, &n, key).await? {
        Purchase::Placed { replay, order, units } => {
            let status = match (replay, order.state) {
                (true, _) => StatusCode::OK,
                // Being ordered from the shop's upstream: the order page follows it.
                (false, orders::OrderState::Sourcing) => StatusCode::ACCEPTED,
                (false, _) => StatusCode::CREATED,
            };
            (status, Json(CheckoutView { order: view(&order, app.now()), units })).into_response()
        }
        Purchase::Paying(payment) => (StatusCode::ACCEPTED, Json(PaymentDue { payment })).into_response(),
    })
}

/// `202`: the wallet is short and the buyer chose how to pay the rest. Pay at
/// `payment.pay_url`; when the gateway confirms, the order is placed and
/// `payment.order_no` names it (or `payment.order_error` says why not, the
/// money then being in the wallet).
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDue {
    pub payment: PaymentView,
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
    responses((status = 200, body = CheckoutView, description = "the delivered units, to the buyer; platform staff only while a case of the order is in arbitration (logged as `units.viewed_by_staff`); every view is recorded as evidence"),
        (status = 403, description = "platform staff, no case of this order in arbitration"), (status = 404)))]
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

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/orders", routing::get(list::<S>).post(create::<S>))
        .route("/api/v1/orders/{no}", routing::get(get::<S>))
        .route("/api/v1/orders/{no}/snapshot", routing::get(snapshot::<S>))
        .route("/api/v1/orders/{no}/reveal", routing::post(reveal::<S>))
        .route("/api/v1/orders/{no}/confirm", routing::post(confirm::<S>))
        .route("/api/v1/orders/{no}/fulfil", routing::post(fulfil::<S>))
        .route("/api/v1/orders/{no}/cancel", routing::post(cancel::<S>))
}
