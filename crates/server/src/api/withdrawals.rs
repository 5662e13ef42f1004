//! Withdrawals (提现): a shop's owner or a buyer asks, an admin pays out or
//! refuses. The payee's account is shown masked, in full only to the admin
//! deciding.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing;
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_core::withdrawals::Wallet;

use crate::app::withdrawals::{self, DecideRequest, WithdrawalDetail, WithdrawalRequest, WithdrawalView};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[utoipa::path(post, path = "/api/v1/shops/{id}/withdrawals", tag = "wallet", request_body = WithdrawalRequest,
    params(("id" = i64, Path)),
    responses((status = 201, body = WithdrawalView, description = "requested: the amount left the shop wallet"),
        (status = 403, description = "an agent of the shop: only its owner withdraws"), (status = 404),
        (status = 422, description = "below the minimum, above the wallet balance, over the daily limit, or a bad method, account or name; nothing changed")))]
pub async fn request_for_shop<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<WithdrawalRequest>,
) -> ApiResult<(StatusCode, Json<WithdrawalView>)> {
    let w = withdrawals::request(&app, v.user, Wallet::Shop(ShopId(id)), &req).await?;
    Ok((StatusCode::CREATED, Json(w)))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/withdrawals", tag = "wallet", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<WithdrawalView>, description = "newest first, accounts masked"), (status = 403), (status = 404)))]
pub async fn of_shop<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<WithdrawalView>>> {
    Ok(Json(withdrawals::of_wallet(&app, &v.user, Wallet::Shop(ShopId(id))).await?))
}

#[utoipa::path(post, path = "/api/v1/wallet/withdrawals", tag = "wallet", request_body = WithdrawalRequest,
    responses((status = 201, body = WithdrawalView), (status = 403, description = "not a buyer account"),
        (status = 422, description = "below the minimum, above the balance, over the daily limit, or bad input; nothing changed")))]
pub async fn request_own<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(req): ApiJson<WithdrawalRequest>,
) -> ApiResult<(StatusCode, Json<WithdrawalView>)> {
    let wallet = Wallet::User(v.user.id);
    let w = withdrawals::request(&app, v.user, wallet, &req).await?;
    Ok((StatusCode::CREATED, Json(w)))
}

#[utoipa::path(get, path = "/api/v1/wallet/withdrawals", tag = "wallet",
    responses((status = 200, body = Vec<WithdrawalView>, description = "newest first, accounts masked")))]
pub async fn mine<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Vec<WithdrawalView>>> {
    let wallet = Wallet::User(v.user.id);
    Ok(Json(withdrawals::of_wallet(&app, &v.user, wallet).await?))
}

#[utoipa::path(get, path = "/api/v1/platform/withdrawals", tag = "admin",
    responses((status = 200, body = Vec<WithdrawalView>, description = "undecided first (oldest first), then the decided; accounts masked"), (status = 403)))]
pub async fn for_staff<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
) -> ApiResult<Json<Vec<WithdrawalView>>> {
    Ok(Json(withdrawals::for_staff(&app, &v.user).await?))
}

#[utoipa::path(get, path = "/api/v1/platform/withdrawals/{id}", tag = "admin", params(("id" = i64, Path)),
    responses((status = 200, body = WithdrawalDetail, description = "with the account and real name in full, to pay it"), (status = 403), (status = 404)))]
pub async fn detail<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<WithdrawalDetail>> {
    Ok(Json(withdrawals::detail(&app, &v.user, id).await?))
}

#[utoipa::path(post, path = "/api/v1/platform/withdrawals/{id}/decide", tag = "admin", request_body = DecideRequest,
    params(("id" = i64, Path)),
    responses((status = 200, body = WithdrawalView, description = "approve: paid out with the transfer reference, fee to the platform; reject: back to the wallet in full"),
        (status = 403), (status = 404), (status = 409, description = "already decided: nothing posted"),
        (status = 422, description = "no transfer reference to approve, no reason to reject")))]
pub async fn decide<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<DecideRequest>,
) -> ApiResult<Json<WithdrawalView>> {
    Ok(Json(withdrawals::decide(&app, v.user, id, &req).await?))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/shops/{id}/withdrawals", routing::get(of_shop::<S>).post(request_for_shop::<S>))
        .route("/api/v1/wallet/withdrawals", routing::get(mine::<S>).post(request_own::<S>))
        .route("/api/v1/platform/withdrawals", routing::get(for_staff::<S>))
        .route("/api/v1/platform/withdrawals/{id}", routing::get(detail::<S>))
        .route("/api/v1/platform/withdrawals/{id}/decide", routing::post(decide::<S>))
}
