//! 直充货源 (direct-top-up suppliers): a shop's suppliers, a top-up product's
//! binding to a supplier SKU, and the signed callback endpoint suppliers call.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use youying_core::ports::Store;
use youying_core::sourcing::ConnectionId;
use youying_core::values::{ProductId, ShopId};

use crate::app::suppliers::{self, AddSupplierRequest, BindRequest, BindingView, CallbackRefused, SupplierView};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult, AppError};
use crate::state::App;

#[utoipa::path(post, path = "/api/v1/shops/{id}/suppliers", tag = "sourcing", request_body = AddSupplierRequest,
    params(("id" = i64, Path)),
    responses((status = 201, body = SupplierView, description = "the supplier answered a signed query; the secret is sealed"),
        (status = 404, description = "not a shop you own"), (status = 409, description = "this app id is already added"),
        (status = 422, description = "`reason`: private_address / bad_url / unresolved / unreachable / supplier_refused / length_…; nothing stored")))]
pub async fn add<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<AddSupplierRequest>,
) -> ApiResult<(StatusCode, Json<SupplierView>)> {
    Ok((StatusCode::CREATED, Json(suppliers::add(&app, v.user, ShopId(id), &req).await?)))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/suppliers", tag = "sourcing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<SupplierView>), (status = 404)))]
pub async fn list<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<SupplierView>>> {
    Ok(Json(suppliers::list(&app, v.user, ShopId(id)).await?))
}

#[utoipa::path(delete, path = "/api/v1/shops/{id}/suppliers/{sid}", tag = "sourcing", params(("id" = i64, Path), ("sid" = i64, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "`supplier_in_use`: unbind its products first")))]
pub async fn remove<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, sid)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    suppliers::remove(&app, v.user, ShopId(id), ConnectionId(sid)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/api/v1/shops/{id}/products/{pid}/supplier", tag = "sourcing", request_body = BindRequest,
    params(("id" = i64, Path), ("pid" = i64, Path)),
    responses((status = 200, body = BindingView, description = "its orders are placed with the supplier from now on"),
        (status = 404, description = "not your shop, product or supplier"),
        (status = 422, description = "not a direct-top-up product, mapped from an upstream, a bad SKU or account field")))]
pub async fn bind<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, pid)): Path<(i64, i64)>,
    ApiJson(req): ApiJson<BindRequest>,
) -> ApiResult<Json<BindingView>> {
    Ok(Json(suppliers::bind(&app, v.user, ShopId(id), ProductId(pid), &req).await?))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/products/{pid}/supplier", tag = "sourcing",
    params(("id" = i64, Path), ("pid" = i64, Path)),
    responses((status = 200, body = BindingView), (status = 404, description = "not bound, or not yours")))]
pub async fn binding<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, pid)): Path<(i64, i64)>,
) -> ApiResult<Json<BindingView>> {
    let b = suppliers::binding(&app, v.user, ShopId(id), ProductId(pid)).await?;
    Ok(Json(b.ok_or(AppError::from(youying_core::Error::NotFound))?))
}

#[utoipa::path(delete, path = "/api/v1/shops/{id}/products/{pid}/supplier", tag = "sourcing",
    params(("id" = i64, Path), ("pid" = i64, Path)),
    responses((status = 204, description = "unbound: orders already placed finish at the supplier"), (status = 404)))]
pub async fn unbind<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, pid)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    suppliers::unbind(&app, v.user, ShopId(id), ProductId(pid)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/dock/supplier/{connection_id}", tag = "sourcing", params(("connection_id" = i64, Path)),
    responses((status = 200, description = "the text `success`: applied (or already applied)"),
        (status = 401, description = "unknown supplier, not JSON, or a bad or stale signature: nothing changed"),
        (status = 404, description = "about no order placed through this supplier")))]
pub async fn callback<S: Store>(State(app): State<App<S>>, Path(connection_id): Path<i64>, req: Request) -> Response {
    let Ok(body) = axum::body::to_bytes(req.into_body(), MAX_CALLBACK).await else {
        return AppError::http(StatusCode::PAYLOAD_TOO_LARGE, "too_large").into_response();
    };
    match suppliers::callback(&app, ConnectionId(connection_id), &body).await {
        Ok(_) => (StatusCode::OK, "success").into_response(),
        Err(CallbackRefused::Unverified) => AppError::http(StatusCode::UNAUTHORIZED, "bad_signature").into_response(),
        Err(CallbackRefused::UnknownOrder) => AppError::from(youying_core::Error::NotFound).into_response(),
        Err(CallbackRefused::NotApplied) => {
            AppError::from(youying_core::Error::Invalid { field: "body", reason: "not_applied" }).into_response()
        }
    }
}

/// The largest supplier callback read (a handful of short fields).
const MAX_CALLBACK: usize = 64 * 1024;

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/shops/{id}/suppliers", routing::get(list::<S>).post(add::<S>))
        .route("/api/v1/shops/{id}/suppliers/{sid}", routing::delete(remove::<S>))
        .route(
            "/api/v1/shops/{id}/products/{pid}/supplier",
            routing::get(binding::<S>).put(bind::<S>).delete(unbind::<S>),
        )
        .route("/dock/supplier/{connection_id}", routing::post(callback::<S>))
}
