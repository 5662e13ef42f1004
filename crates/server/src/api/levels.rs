//! Buyer levels (会员等级): the public list; an admin's levels and
//! assignments; a shop's fixed level prices on its products.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing;
use youying_core::ports::Store;

use crate::app::levels::{self, AssignBody, LevelBody, LevelPriceView, LevelPricesBody, LevelView};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[utoipa::path(get, path = "/api/v1/levels", tag = "levels",
    responses((status = 200, body = Vec<LevelView>, description = "every level, by position; no login needed")))]
pub async fn list<S: Store>(State(app): State<App<S>>) -> ApiResult<Json<Vec<LevelView>>> {
    Ok(Json(levels::list(&app).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/levels", tag = "levels", request_body = LevelBody,
    responses((status = 201, body = LevelView), (status = 403, description = "not an admin"),
        (status = 409, description = "a level of that name exists"),
        (status = 422, description = "name missing or too long, discount_bp outside 0–5000, position outside 0–1000")))]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(body): ApiJson<LevelBody>,
) -> ApiResult<(StatusCode, Json<LevelView>)> {
    Ok((StatusCode::CREATED, Json(levels::create(&app, v.user, &body).await?)))
}

#[utoipa::path(put, path = "/api/v1/admin/levels/{id}", tag = "levels", params(("id" = i64, Path)), request_body = LevelBody,
    responses((status = 200, body = LevelView), (status = 403), (status = 404), (status = 409),
        (status = 422, description = "a bad field, or `is_default: false` on the default (make another level default instead)")))]
pub async fn update<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<LevelBody>,
) -> ApiResult<Json<LevelView>> {
    Ok(Json(levels::update(&app, v.user, id, &body).await?))
}

#[utoipa::path(put, path = "/api/v1/admin/users/{id}/level", tag = "levels", params(("id" = i64, Path)), request_body = AssignBody,
    responses((status = 200, body = LevelView, description = "the account's level now"), (status = 403), (status = 404, description = "no such account"),
        (status = 422, description = "no such level, or not a buyer account")))]
pub async fn assign<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<AssignBody>,
) -> ApiResult<Json<LevelView>> {
    Ok(Json(levels::assign(&app, v.user, id, body.level_id).await?))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/products/{pid}/level-prices", tag = "levels",
    params(("id" = i64, Path), ("pid" = i64, Path)),
    responses((status = 200, body = Vec<LevelPriceView>, description = "every level with the shop's fixed price, or null"),
        (status = 404, description = "not this shop's product, or not your shop")))]
pub async fn prices<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, pid)): Path<(i64, i64)>,
) -> ApiResult<Json<Vec<LevelPriceView>>> {
    Ok(Json(levels::prices(&app, v.user, id, pid).await?))
}

#[utoipa::path(put, path = "/api/v1/shops/{id}/products/{pid}/level-prices", tag = "levels",
    params(("id" = i64, Path), ("pid" = i64, Path)), request_body = LevelPricesBody,
    responses((status = 200, body = Vec<LevelPriceView>, description = "set (or, with null, cleared); a level price above what the buyer would otherwise pay is never charged"),
        (status = 404, description = "not this shop's product, or not your shop"),
        (status = 422, description = "unknown level, or a price below 1 fen")))]
pub async fn set_prices<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, pid)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<LevelPricesBody>,
) -> ApiResult<Json<Vec<LevelPriceView>>> {
    Ok(Json(levels::set_prices(&app, v.user, id, pid, &body).await?))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/levels", routing::get(list::<S>))
        .route("/api/v1/admin/levels", routing::post(create::<S>))
        .route("/api/v1/admin/levels/{id}", routing::put(update::<S>))
        .route("/api/v1/admin/users/{id}/level", routing::put(assign::<S>))
        .route("/api/v1/shops/{id}/products/{pid}/level-prices", routing::get(prices::<S>).put(set_prices::<S>))
}
