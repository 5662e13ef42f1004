//! The notification centre (`/api/v1/notifications`, every role) and the
//! push channels of the signed-in user (`/api/v1/me/channels`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::ports::Store;
use youying_core::push;

pub use crate::app::push::{ChannelInput, ChannelView, Channels, Inbox, InboxNotice, ReadResult};
use crate::app::push::{channels, inbox, queue_test, read_notices, save};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxParams {
    /// The older shop-team list (kept for the console): that shop's notices.
    pub shop_id: Option<i64>,
    /// `platform`: the older platform-staff list.
    pub scope: Option<String>,
    /// Notices with an id below this (paging back).
    pub before: Option<i64>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(InboxParams),
    responses((status = 200, body = Inbox, description = "the user's notices, newest first, and the unread count; with `shop_id` or `scope=platform` the older team lists"),
        (status = 403), (status = 404)))]
pub async fn notifications<S: Store>(
    State(app): State<App<S>>,
    user: ApiUser,
    Query(p): Query<InboxParams>,
) -> ApiResult<Response> {
    if p.shop_id.is_some() || p.scope.as_deref() == Some("platform") {
        let legacy = crate::api::chat::NoticeParams { shop_id: p.shop_id };
        return Ok(crate::api::chat::notifications(State(app), user, Query(legacy)).await?.into_response());
    }
    let limit = p.limit.unwrap_or(50).min(200);
    Ok(Json(inbox(&app, &user.0.user, p.before, limit).await?).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadRequest {
    /// These notices; omitted: all of them.
    pub ids: Option<Vec<i64>>,
}

#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", request_body = ReadRequest,
    responses((status = 200, body = ReadResult)))]
pub async fn mark_read<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(req): ApiJson<ReadRequest>,
) -> ApiResult<Json<ReadResult>> {
    Ok(Json(read_notices(&app, &v.user, req.ids).await?))
}

#[utoipa::path(get, path = "/api/v1/me/channels", tag = "notifications",
    responses((status = 200, body = Channels, description = "every channel kind, set or not; secrets only as hints")))]
pub async fn get_channels<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Channels>> {
    Ok(Json(channels(&app, &v.user).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChannelsRequest {
    pub channels: Vec<ChannelInput>,
}

#[utoipa::path(put, path = "/api/v1/me/channels", tag = "notifications", request_body = ChannelsRequest,
    responses((status = 200, body = Channels, description = "saved, all or nothing"),
        (status = 422, description = "a bad URL, chat id, token, key or event, or a channel switched on without what it needs; nothing stored")))]
pub async fn put_channels<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(req): ApiJson<ChannelsRequest>,
) -> ApiResult<Json<Channels>> {
    save(&app, &v.user, &req.channels).await?;
    Ok(Json(channels(&app, &v.user).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestQueued {
    pub notice_id: i64,
}

#[utoipa::path(post, path = "/api/v1/me/channels/{kind}/test", tag = "notifications", params(("kind" = String, Path)),
    responses((status = 202, body = TestQueued, description = "a `test` notice queued to that channel only"),
        (status = 404), (status = 422, description = "the channel is off")))]
pub async fn test<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(kind): Path<String>,
) -> ApiResult<(StatusCode, Json<TestQueued>)> {
    let notice_id = queue_test(&app, &v.user, &kind).await?;
    Ok((StatusCode::ACCEPTED, Json(TestQueued { notice_id })))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct LowStock {
    /// Unsold keys below which the shop's owner is told, once per crossing; 0: off.
    pub threshold: i64,
}

#[utoipa::path(put, path = "/api/v1/shops/{id}/low-stock", tag = "notifications", request_body = LowStock,
    params(("id" = i64, Path)),
    responses((status = 200, body = LowStock), (status = 404, description = "not the shop's owner"), (status = 422)))]
pub async fn set_low_stock<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<LowStock>,
) -> ApiResult<Json<LowStock>> {
    let threshold = req.threshold;
    let shop = youying_core::values::ShopId(id);
    app.store.write(move |tx| push::set_low_stock(tx, &v.user, shop, threshold)).await?;
    Ok(Json(LowStock { threshold }))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/notifications", routing::get(notifications::<S>))
        .route("/api/v1/notifications/read", routing::post(mark_read::<S>))
        .route("/api/v1/me/channels", routing::get(get_channels::<S>).put(put_channels::<S>))
        .route("/api/v1/me/channels/{kind}/test", routing::post(test::<S>))
        .route("/api/v1/shops/{id}/low-stock", routing::put(set_low_stock::<S>))
}
