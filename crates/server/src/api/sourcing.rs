//! 货源对接 (docking an upstream site): a shop's connections, the upstream's
//! catalogue at the shop's price, mapped products, and the signed callback
//! endpoint upstreams call about orders.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::ports::Store;
use youying_core::sourcing::{ConnectionId, MappingId};
use youying_core::values::ShopId;
use youying_dock::sign::{HEADER_SIGNATURE, HEADER_TIMESTAMP};

use crate::app::sourcing::{
    self, CallbackIn, CallbackRefused, CatalogueItem, ConnectRequest, ConnectionView, MapRequest, MappingView,
    connection_view, mapping_view,
};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult, AppError};
use crate::state::App;

#[utoipa::path(post, path = "/api/v1/shops/{id}/upstreams", tag = "sourcing", request_body = ConnectRequest,
    params(("id" = i64, Path)),
    responses((status = 201, body = ConnectionView, description = "the upstream answered a signed ping; the secret is sealed"),
        (status = 404, description = "not a shop you own"), (status = 409, description = "this key is already connected"),
        (status = 422, description = "`reason`: private_address / bad_url / unresolved / unreachable / bad_signature / unauthorized; nothing stored")))]
pub async fn connect<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ConnectRequest>,
) -> ApiResult<(StatusCode, Json<ConnectionView>)> {
    Ok((StatusCode::CREATED, Json(sourcing::connect(&app, v.user, ShopId(id), &req).await?)))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/upstreams", tag = "sourcing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ConnectionView>), (status = 404)))]
pub async fn list<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<ConnectionView>>> {
    Ok(Json(sourcing::list(&app, v.user, ShopId(id)).await?))
}

/// A connection with its mapped products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionDetail {
    #[serde(flatten)]
    pub connection: ConnectionView,
    pub mappings: Vec<MappingView>,
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/upstreams/{uid}", tag = "sourcing", params(("id" = i64, Path), ("uid" = i64, Path)),
    responses((status = 200, body = ConnectionDetail), (status = 404)))]
pub async fn get<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, uid)): Path<(i64, i64)>,
) -> ApiResult<Json<ConnectionDetail>> {
    let (c, maps) = sourcing::one(&app, v.user, ShopId(id), ConnectionId(uid)).await?;
    Ok(Json(ConnectionDetail {
        connection: connection_view(&c, maps.len()),
        mappings: maps.iter().map(mapping_view).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/shops/{id}/upstreams/{uid}", tag = "sourcing", params(("id" = i64, Path), ("uid" = i64, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "`upstream_in_use`: unmap its products first")))]
pub async fn remove<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, uid)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    sourcing::remove(&app, v.user, ShopId(id), ConnectionId(uid)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CatalogueQuery {
    /// The `percent` column's value in basis points (default 1000 = +10 %).
    pub percent_bp: Option<i64>,
    /// The `fixed_add` column's value in fen (default 100).
    pub add_fen: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/upstreams/{uid}/products", tag = "sourcing",
    params(("id" = i64, Path), ("uid" = i64, Path), CatalogueQuery),
    responses((status = 200, body = Vec<CatalogueItem>), (status = 404), (status = 422, description = "the upstream did not answer")))]
pub async fn catalogue<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, uid)): Path<(i64, i64)>,
    Query(q): Query<CatalogueQuery>,
) -> ApiResult<Json<Vec<CatalogueItem>>> {
    Ok(Json(sourcing::catalogue(&app, v.user, ShopId(id), ConnectionId(uid), q.percent_bp, q.add_fen).await?))
}

#[utoipa::path(post, path = "/api/v1/shops/{id}/upstreams/{uid}/mappings", tag = "sourcing", request_body = MapRequest,
    params(("id" = i64, Path), ("uid" = i64, Path)),
    responses((status = 201, body = MappingView, description = "a product in the shop, priced by the rule"),
        (status = 404), (status = 409, description = "already mapped"),
        (status = 422, description = "bad rule or bounds, a price below the cost without `allow_below_cost`, or the upstream product not found")))]
pub async fn map<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, uid)): Path<(i64, i64)>,
    ApiJson(req): ApiJson<MapRequest>,
) -> ApiResult<(StatusCode, Json<MappingView>)> {
    let m = sourcing::map(&app, v.user, ShopId(id), ConnectionId(uid), &req).await?;
    Ok((StatusCode::CREATED, Json(mapping_view(&m))))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/upstreams/{uid}/mappings", tag = "sourcing", params(("id" = i64, Path), ("uid" = i64, Path)),
    responses((status = 200, body = Vec<MappingView>), (status = 404)))]
pub async fn mappings<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, uid)): Path<(i64, i64)>,
) -> ApiResult<Json<Vec<MappingView>>> {
    let (_, maps) = sourcing::one(&app, v.user, ShopId(id), ConnectionId(uid)).await?;
    Ok(Json(maps.iter().map(mapping_view).collect()))
}

async fn mapping_of<S: Store>(app: &App<S>, v: &ApiUser, id: i64, uid: i64, mid: i64) -> ApiResult<MappingView> {
    let (_, maps) = sourcing::one(app, v.0.user.clone(), ShopId(id), ConnectionId(uid)).await?;
    maps.iter().find(|m| m.id.0 == mid).map(mapping_view).ok_or_else(|| youying_core::Error::NotFound.into())
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/upstreams/{uid}/mappings/{mid}", tag = "sourcing",
    params(("id" = i64, Path), ("uid" = i64, Path), ("mid" = i64, Path)), responses((status = 200, body = MappingView), (status = 404)))]
pub async fn mapping<S: Store>(
    State(app): State<App<S>>,
    v: ApiUser,
    Path((id, uid, mid)): Path<(i64, i64, i64)>,
) -> ApiResult<Json<MappingView>> {
    Ok(Json(mapping_of(&app, &v, id, uid, mid).await?))
}

#[utoipa::path(put, path = "/api/v1/shops/{id}/upstreams/{uid}/mappings/{mid}", tag = "sourcing", request_body = MapRequest,
    params(("id" = i64, Path), ("uid" = i64, Path), ("mid" = i64, Path)),
    responses((status = 200, body = MappingView), (status = 404), (status = 422)))]
pub async fn remap<S: Store>(
    State(app): State<App<S>>,
    v: ApiUser,
    Path((id, uid, mid)): Path<(i64, i64, i64)>,
    ApiJson(req): ApiJson<MapRequest>,
) -> ApiResult<Json<MappingView>> {
    mapping_of(&app, &v, id, uid, mid).await?;
    Ok(Json(mapping_view(&sourcing::remap(&app, v.0.user, ShopId(id), MappingId(mid), &req).await?)))
}

#[utoipa::path(delete, path = "/api/v1/shops/{id}/upstreams/{uid}/mappings/{mid}", tag = "sourcing",
    params(("id" = i64, Path), ("uid" = i64, Path), ("mid" = i64, Path)),
    responses((status = 204, description = "unmapped: the product stays, off sale"), (status = 404)))]
pub async fn unmap<S: Store>(
    State(app): State<App<S>>,
    v: ApiUser,
    Path((id, uid, mid)): Path<(i64, i64, i64)>,
) -> ApiResult<StatusCode> {
    mapping_of(&app, &v, id, uid, mid).await?;
    sourcing::unmap(&app, v.0.user, ShopId(id), MappingId(mid)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/dock/callback/{connection_id}", tag = "sourcing", params(("connection_id" = i64, Path)),
    responses((status = 200, description = "applied (or already applied)"),
        (status = 401, description = "unknown connection, or a bad or stale signature: nothing changed"),
        (status = 404, description = "about no order placed through this connection")))]
pub async fn callback<S: Store>(State(app): State<App<S>>, Path(connection_id): Path<i64>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_CALLBACK).await else {
        return AppError::http(StatusCode::PAYLOAD_TOO_LARGE, "too_large").into_response();
    };
    let (uri, headers) = (parts.uri, parts.headers);
    let header = |name: &str| headers.get(name).and_then(|h| h.to_str().ok()).unwrap_or("").to_owned();
    let (ts, sig) = (header(HEADER_TIMESTAMP), header(HEADER_SIGNATURE));
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let cb = CallbackIn { path_and_query: &path, timestamp: &ts, signature: &sig, body: &body };
    match sourcing::callback(&app, ConnectionId(connection_id), cb).await {
        Ok(_) => (StatusCode::OK, Json(serde_json::json!({ "ok": true }))).into_response(),
        Err(CallbackRefused::Unverified) => AppError::http(StatusCode::UNAUTHORIZED, "bad_signature").into_response(),
        Err(CallbackRefused::UnknownOrder) => AppError::from(youying_core::Error::NotFound).into_response(),
        Err(CallbackRefused::NotUnderstood) => {
            AppError::from(youying_core::Error::Invalid { field: "body", reason: "not_a_callback" }).into_response()
        }
    }
}

/// The largest callback read: an order with its units.
const MAX_CALLBACK: usize = 1024 * 1024;

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/shops/{id}/upstreams", routing::get(list::<S>).post(connect::<S>))
        .route("/api/v1/shops/{id}/upstreams/{uid}", routing::get(get::<S>).delete(remove::<S>))
        .route("/api/v1/shops/{id}/upstreams/{uid}/products", routing::get(catalogue::<S>))
        .route("/api/v1/shops/{id}/upstreams/{uid}/mappings", routing::get(mappings::<S>).post(map::<S>))
        .route(
            "/api/v1/shops/{id}/upstreams/{uid}/mappings/{mid}",
            routing::get(mapping::<S>).put(remap::<S>).delete(unmap::<S>),
        )
        .route("/dock/callback/{connection_id}", routing::post(callback::<S>))
}
