//! Payment gateways, configured by an admin. Secrets go in, never come out.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing;
use youying_core::ports::Store;

use crate::app::payments::{self, GatewayRequest, GatewayView};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[utoipa::path(get, path = "/api/v1/admin/gateways", tag = "admin",
    responses((status = 200, body = Vec<GatewayView>, description = "every gateway, by name; secrets only as has_*"), (status = 403)))]
pub async fn list_gateways<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
) -> ApiResult<Json<Vec<GatewayView>>> {
    Ok(Json(payments::list(&app, &v.user).await?))
}

#[utoipa::path(put, path = "/api/v1/admin/gateways/{name}", tag = "admin", request_body = GatewayRequest,
    params(("name" = String, Path, description = "[a-z0-9_-]{1,32}")),
    responses((status = 200, body = GatewayView), (status = 403),
        (status = 422, description = "bad name, kind, URL, pid, key or channel; nothing stored")))]
pub async fn put_gateway<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<GatewayRequest>,
) -> ApiResult<Json<GatewayView>> {
    Ok(Json(payments::put(&app, v.user, &name, &req).await?))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/admin/gateways", routing::get(list_gateways::<S>))
        .route("/api/v1/admin/gateways/{name}", routing::put(put_gateway::<S>))
}
