//! The notification centre (`/api/v1/notifications`, every role) and the
//! push channels of the signed-in user (`/api/v1/me/channels`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::Error;
use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::push::{self, ChannelKind, ChannelSetting, PushEvent};
use youying_core::rules::{self, Rule};

use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult, AppError};
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

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxNotice {
    pub id: i64,
    /// `chat.waiting`, `chat.reply`, `case.opened`, … (see the webhook's `event`).
    pub event: String,
    pub label: String,
    pub subject: String,
    pub text: String,
    /// The page to act on, from the site root.
    pub url: String,
    pub at: i64,
    pub read: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Inbox {
    pub unread: i64,
    pub items: Vec<InboxNotice>,
}

pub(crate) async fn inbox<S: Store>(app: &App<S>, user: &User, before: Option<i64>, limit: usize) -> ApiResult<Inbox> {
    let id = user.id;
    let (unread, list) =
        app.store.read(move |tx| Ok((tx.unread_notices(id)?, tx.notices_of(id, before, limit)?))).await?;
    let items = list
        .into_iter()
        .map(|n| InboxNotice {
            id: n.id,
            event: n.event.as_str().to_owned(),
            label: n.event.label().to_owned(),
            subject: n.subject,
            text: n.text,
            url: n.url,
            at: n.created_at.millis(),
            read: n.read_at.is_some(),
        })
        .collect();
    Ok(Inbox { unread, items })
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

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadResult {
    pub marked: u64,
    pub unread: i64,
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

pub(crate) async fn read_notices<S: Store>(app: &App<S>, user: &User, ids: Option<Vec<i64>>) -> ApiResult<ReadResult> {
    let (id, now) = (user.id, app.now());
    let ids: Option<Vec<i64>> = ids.map(|v| v.into_iter().take(500).collect());
    let (marked, unread) = app
        .store
        .write(move |tx| {
            let marked = tx.mark_notices_read(id, ids.as_deref(), now)?;
            if marked > 0 {
                tx.publish(&youying_core::publish::Change::Notice { user_id: id })?;
            }
            Ok((marked, tx.unread_notices(id)?))
        })
        .await?;
    Ok(ReadResult { marked, unread })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    /// `webhook`, `telegram`, `wecom`, `serverchan` or `email`.
    pub kind: String,
    pub label: String,
    pub enabled: bool,
    /// The webhook URL, the Telegram chat id, or the e-mail address.
    pub target: Option<String>,
    /// What may be shown of the secret (`••••a1b2`); the secret itself never is.
    pub hint: Option<String>,
    /// The events chosen; empty: all.
    pub events: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Channels {
    pub channels: Vec<ChannelView>,
}

pub(crate) async fn channels<S: Store>(app: &App<S>, user: &User) -> ApiResult<Channels> {
    let id = user.id;
    let (stored, email) = app.store.read(move |tx| Ok((tx.push_channels(id)?, tx.user_email(id)?))).await?;
    let channels = ChannelKind::ALL
        .into_iter()
        .map(|kind| {
            let c = stored.iter().find(|c| c.kind == kind);
            let (enabled, target) = match kind {
                ChannelKind::Email => (email.is_some(), email.clone()),
                _ => (c.is_some_and(|c| c.enabled), c.and_then(|c| c.target.clone())),
            };
            ChannelView {
                kind: kind.as_str().to_owned(),
                label: kind.label().to_owned(),
                enabled,
                target,
                hint: c.and_then(|c| c.hint.clone()),
                events: c.map(|c| c.events.iter().map(|e| e.as_str().to_owned()).collect()).unwrap_or_default(),
            }
        })
        .collect();
    Ok(Channels { channels })
}

#[utoipa::path(get, path = "/api/v1/me/channels", tag = "notifications",
    responses((status = 200, body = Channels, description = "every channel kind, set or not; secrets only as hints")))]
pub async fn get_channels<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Channels>> {
    Ok(Json(channels(&app, &v.user).await?))
}

/// One channel as typed: only the fields its kind uses; a secret left out keeps the stored one.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ChannelInput {
    /// `webhook`, `telegram`, `wecom` or `serverchan` (e-mail is the account's notification address).
    pub kind: String,
    pub enabled: bool,
    /// Webhook: where to POST.
    pub url: Option<String>,
    /// Webhook: the HMAC-SHA256 key, 16–128 characters.
    pub signing_secret: Option<String>,
    /// Telegram: the chat to write to.
    pub chat_id: Option<String>,
    /// Telegram: the bot's token.
    pub bot_token: Option<String>,
    /// 企业微信: the group robot's key.
    pub robot_key: Option<String>,
    /// Server酱: the SendKey.
    pub sendkey: Option<String>,
    /// Events to send; omitted or empty: all.
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChannelsRequest {
    pub channels: Vec<ChannelInput>,
}

fn given(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Checks one typed channel and seals its secret; nothing is stored here.
pub(crate) async fn setting<S: Store>(app: &App<S>, input: &ChannelInput) -> Result<ChannelSetting, AppError> {
    let invalid = |field, reason| AppError::Core(Error::Invalid { field, reason });
    let kind = ChannelKind::parse(&input.kind).ok_or(invalid("push_channel", "unknown"))?;
    let (target, secret) = match kind {
        ChannelKind::Webhook => (given(input.url.as_ref()), given(input.signing_secret.as_ref())),
        ChannelKind::Telegram => (given(input.chat_id.as_ref()), given(input.bot_token.as_ref())),
        ChannelKind::Wecom => (None, given(input.robot_key.as_ref())),
        ChannelKind::ServerChan => (None, given(input.sendkey.as_ref())),
        ChannelKind::Email => return Err(invalid("push_channel", "email_on_account")),
    };
    if let Some(t) = &target {
        if kind == ChannelKind::Telegram {
            push::check_chat_id(t)?;
        } else {
            let allow_private =
                app.store.read(|tx| Ok(rules::in_force(tx)?.get(Rule::AllowPrivateAddresses) == 1)).await?;
            crate::egress::check(t, allow_private).await.map_err(|e| invalid("url", e.reason()))?;
        }
    }
    let secret = match secret {
        Some(s) => {
            push::check_secret(kind, &s)?;
            Some((app.vault.seal_secret(&s)?, push::hint_of(&s)))
        }
        None => None,
    };
    let mut events = Vec::new();
    for e in input.events.iter().flatten() {
        events.push(PushEvent::parse(e).ok_or(invalid("events", "unknown"))?);
    }
    Ok(ChannelSetting { kind, enabled: input.enabled, target, secret, events })
}

pub(crate) async fn save<S: Store>(app: &App<S>, user: &User, inputs: &[ChannelInput]) -> ApiResult<()> {
    let mut settings = Vec::with_capacity(inputs.len());
    for i in inputs.iter().take(10) {
        settings.push(setting(app, i).await?);
    }
    let (id, now) = (user.id, app.now());
    app.store.write(move |tx| push::save_channels(tx, now, id, &settings)).await?;
    Ok(())
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

pub(crate) async fn queue_test<S: Store>(app: &App<S>, user: &User, kind: &str) -> ApiResult<i64> {
    let kind = ChannelKind::parse(kind).ok_or(Error::NotFound)?;
    let (id, now) = (user.id, app.now());
    Ok(app.store.write(move |tx| push::test_channel(tx, now, id, kind)).await?)
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
