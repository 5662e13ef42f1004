//! Money in: wallet top-ups through a gateway, the gateway's notify, and an
//! admin's hand for a payment the gateway never confirmed.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing;
use serde::Deserialize;
use utoipa::IntoParams;
use youying_core::payments::AttemptState;
use youying_core::ports::Store;

use crate::app::pay::{self, ConfirmRequest, MAX_NOTIFY, PaymentView, TopUpRequest};
use crate::auth::{ApiUser, ClientIp};
use crate::error::{ApiJson, ApiResult, AppError};
use crate::state::App;

#[utoipa::path(post, path = "/api/v1/wallet/topups", tag = "wallet", request_body = TopUpRequest,
    responses((status = 201, body = PaymentView, description = "pay at `pay_url` (the gateway's cashier) before `expires_at`"),
        (status = 401),
        (status = 422, description = "unknown channel or gateway, amount outside the rules (`amount_out_of_range`), \
            over the daily limit (`daily_limit`); nothing recorded")))]
pub async fn start_top_up<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    headers: HeaderMap,
    ApiJson(req): ApiJson<TopUpRequest>,
) -> ApiResult<(StatusCode, Json<PaymentView>)> {
    let site = app.config.site_url(&headers);
    Ok((StatusCode::CREATED, Json(pay::start_top_up(&app, v.user, &site, &req).await?)))
}

#[utoipa::path(get, path = "/api/v1/wallet/topups", tag = "wallet",
    responses((status = 200, body = Vec<PaymentView>, description = "the caller's last 20 top-ups, newest first"), (status = 401)))]
pub async fn my_top_ups<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Vec<PaymentView>>> {
    Ok(Json(pay::mine(&app, &v.user).await?))
}

#[utoipa::path(get, path = "/api/v1/wallet/topups/{id}", tag = "wallet", params(("id" = i64, Path)),
    responses((status = 200, body = PaymentView, description = "`state`: pending (支付确认中), paid, expired"),
        (status = 404, description = "no such top-up, or someone else's")))]
pub async fn get_top_up<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> ApiResult<Json<PaymentView>> {
    let site = app.config.site_url(&headers);
    Ok(Json(pay::get(&app, &v.user, id, &site).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StateFilter {
    /// `pending`, `paid` or `expired`; all when left out.
    pub state: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/topups", tag = "admin", params(StateFilter),
    responses((status = 200, body = Vec<PaymentView>, description = "the last 100, newest first"), (status = 403)))]
pub async fn list_top_ups<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(f): Query<StateFilter>,
) -> ApiResult<Json<Vec<PaymentView>>> {
    let state = match f.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(AttemptState::parse(s).ok_or(youying_core::Error::Invalid { field: "state", reason: "unknown" })?)
        }
        None => None,
    };
    Ok(Json(pay::list(&app, &v.user, state).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/topups/{id}/confirm", tag = "admin", request_body = ConfirmRequest,
    params(("id" = i64, Path)),
    responses((status = 200, body = PaymentView, description = "credited by hand; recorded as evidence"),
        (status = 403), (status = 404), (status = 409, description = "`payment_settled`: already credited"),
        (status = 422, description = "trade_no or reason missing or too long")))]
pub async fn confirm_top_up<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ConfirmRequest>,
) -> ApiResult<Json<PaymentView>> {
    Ok(Json(pay::confirm(&app, v.user, id, req).await?))
}

/// The gateway's notify (GET, or a form POST): answers `success` once the
/// notify is kept and acted on, `fail` (so the gateway retries) otherwise.
pub async fn notify<S: Store>(
    State(app): State<App<S>>,
    Path(gateway): Path<String>,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<&'static str, AppError> {
    let raw = match query.filter(|q| !q.is_empty()) {
        Some(q) => q,
        None => String::from_utf8_lossy(&body).into_owned(),
    };
    Ok(pay::notify(&app, &gateway, ip, &raw).await?.body())
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/wallet/topups", routing::post(start_top_up::<S>).get(my_top_ups::<S>))
        .route("/api/v1/wallet/topups/{id}", routing::get(get_top_up::<S>))
        .route("/api/v1/admin/topups", routing::get(list_top_ups::<S>))
        .route("/api/v1/admin/topups/{id}/confirm", routing::post(confirm_top_up::<S>))
        .route(
            "/pay/notify/{gateway}",
            routing::get(notify::<S>).post(notify::<S>).layer(DefaultBodyLimit::max(MAX_NOTIFY * 2)),
        )
}
