//! Conversations over HTTP. Live delivery is the websocket's (see `ws.rs`);
//! these endpoints work without it, so a page that reloads still works.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use youying_core::authz::{self, ShopAction};
use youying_core::chat;
use youying_core::ports::Store;
use youying_core::values::{ConversationId, ProductId, ShopId};
use youying_core::{Error, shops};

use crate::app::chat::{DutyView, duty_report, read_up_to, say, send_image};
use crate::app::chat_view::{ConversationView, MessageView, load_view, message_view};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult, AppError};
use crate::error::{image_error, too_large};
use crate::state::App;

#[derive(Debug, Deserialize, ToSchema)]
pub struct OpenConversation {
    pub shop_id: i64,
    pub order_no: Option<String>,
    pub product_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/conversations", tag = "chat", request_body = OpenConversation,
    responses((status = 201, body = ConversationView), (status = 404, description = "unknown shop, or an order/product not yours or not the shop's")))]
pub async fn open<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(o): ApiJson<OpenConversation>,
) -> ApiResult<(StatusCode, Json<ConversationView>)> {
    let now = app.now();
    let view = app
        .store
        .write(move |tx| {
            let c =
                chat::open(tx, now, &v.user, ShopId(o.shop_id), o.order_no.as_deref(), o.product_id.map(ProductId))?;
            load_view(tx, &c).map(|(view, _)| view)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// A shop's conversations (its staff), awaiting ones first by deadline.
    pub shop_id: Option<i64>,
    /// `platform`: the platform queue (platform staff).
    pub queue: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/conversations", tag = "chat", params(ListParams), responses((status = 200, body = Vec<ConversationView>)))]
pub async fn list<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Vec<ConversationView>>> {
    let views = app
        .store
        .read(move |tx| {
            let list = match (p.shop_id, p.queue.as_deref()) {
                (_, Some("platform")) => {
                    authz::platform_staff(&v.user)?;
                    tx.platform_queue(500)?
                }
                (Some(id), _) => {
                    let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Serve)?;
                    tx.conversations_of_shop(shop.id, 500)?
                }
                (None, _) => tx.conversations_of_buyer(v.user.id, 500)?,
            };
            list.iter().map(|c| load_view(tx, c).map(|(view, _)| view)).collect()
        })
        .await?;
    Ok(Json(views))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AfterParams {
    /// Only messages after this id (what a reconnecting client missed).
    #[serde(default)]
    pub after: i64,
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "chat", params(("id" = i64, Path), AfterParams),
    responses((status = 200, body = Vec<MessageView>), (status = 404)))]
pub async fn messages<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    Query(p): Query<AfterParams>,
) -> ApiResult<Json<Vec<MessageView>>> {
    let list = app
        .store
        .read(move |tx| {
            let (c, _) = chat::load(tx, &v.user, ConversationId(id))?;
            tx.messages_after(c.id, p.after, 500)
        })
        .await?;
    Ok(Json(list.iter().map(message_view).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Say {
    /// Up to 2,000 characters.
    pub text: String,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "chat", params(("id" = i64, Path)), request_body = Say,
    responses((status = 201, body = MessageView, description = "persisted before this answer"), (status = 404), (status = 422), (status = 429, description = "sending too fast")))]
pub async fn post<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(s): ApiJson<Say>,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    let m = say(&app, v.user, ConversationId(id), s.text).await?;
    Ok((StatusCode::CREATED, Json(message_view(&m))))
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/images", tag = "chat", params(("id" = i64, Path)),
    request_body(description = "The picture's raw bytes as the body (not multipart): PNG, JPEG or WebP, at most 5 MiB. \
        Type and size are read from the content; a `Content-Type` that says otherwise is refused.",
        content(("image/png"), ("image/jpeg"), ("image/webp"))),
    responses((status = 201, body = MessageView, description = "an `image` message, persisted before this answer; a buyer's starts the reply deadline like a text"),
        (status = 404, description = "not a conversation of yours"),
        (status = 413, description = "`image_too_large`: over 5 MiB"),
        (status = 422, description = "`not_an_image`: not a whole PNG, JPEG or WebP, or not what its type says; `image_too_many_pixels`: a side over 16,384"),
        (status = 429, description = "sending too fast")))]
pub async fn upload_image<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<MessageView>)> {
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            AppError::http(r.status(), "invalid_input")
        }
    })?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let m = send_image(&app, v.user, ConversationId(id), Vec::from(body), (content_type, None))
        .await
        .map_err(image_error)?;
    Ok((StatusCode::CREATED, Json(message_view(&m))))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}/images/{image_id}", tag = "chat",
    params(("id" = i64, Path), ("image_id" = i64, Path)),
    responses((status = 200, description = "the picture, as sent; `Content-Type` as read from its bytes",
            content(("image/png"), ("image/jpeg"), ("image/webp"))),
        (status = 404, description = "not a picture of a conversation of yours")))]
pub async fn image<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, image_id)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let img = app.store.read(move |tx| chat::image_of(tx, &v.user, ConversationId(id), image_id)).await?;
    let mime = HeaderValue::from_str(&img.mime).map_err(|_| Error::NotFound)?;
    let ext = img.mime.trim_start_matches("image/");
    let disposition =
        HeaderValue::from_str(&format!("inline; filename=\"chat-{}.{ext}\"", img.id)).map_err(|_| Error::NotFound)?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", img.sha256)).map_err(|_| Error::NotFound)?;
    let headers = [
        (header::CONTENT_TYPE, mime),
        (header::CONTENT_DISPOSITION, disposition),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        // Only the participants may see it: never a shared cache. The bytes of an id never change.
        (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400, immutable")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
        (header::ETAG, etag),
    ];
    Ok((headers, img.bytes).into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Read {
    /// A message of this conversation: everything up to it has been seen.
    pub message_id: i64,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ReadView {
    /// The viewer's side: `buyer`, `shop` or `platform`.
    pub side: String,
    /// How far that side has read now (never moves back).
    pub message_id: i64,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "chat", params(("id" = i64, Path)), request_body = Read,
    responses((status = 200, body = ReadView, description = "the other participants get a `read` event over the websocket"),
        (status = 404, description = "not a conversation of yours"),
        (status = 422, description = "the message is not in this conversation")))]
pub async fn read<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<Read>,
) -> ApiResult<Json<ReadView>> {
    let (side, at) = read_up_to(&app, v.user, ConversationId(id), r.message_id).await?;
    Ok(Json(ReadView { side: side.as_str().to_owned(), message_id: at }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Assign {
    /// A colleague on the same side; omitted: claim it yourself.
    pub user_id: Option<i64>,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/assign", tag = "chat", params(("id" = i64, Path)), request_body = Assign,
    responses((status = 200, body = ConversationView), (status = 404)))]
pub async fn assign<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(a): ApiJson<Assign>,
) -> ApiResult<Json<ConversationView>> {
    let now = app.now();
    let view = app
        .store
        .write(move |tx| {
            let c = chat::assign(tx, now, &v.user, ConversationId(id), a.user_id.map(youying_core::values::UserId))?;
            load_view(tx, &c).map(|(view, _)| view)
        })
        .await?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Duty {
    pub on: bool,
}

#[utoipa::path(post, path = "/api/v1/platform/duty", tag = "chat", request_body = Duty, responses((status = 200, body = DutyView), (status = 403)))]
pub async fn set_duty<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(d): ApiJson<Duty>,
) -> ApiResult<Json<DutyView>> {
    let now = app.now();
    app.store.write(move |tx| chat::set_duty(tx, now, &v.user, d.on)).await?;
    Ok(Json(duty_report(&app).await?))
}

#[utoipa::path(get, path = "/api/v1/platform/duty", tag = "chat", responses((status = 200, body = DutyView), (status = 403)))]
pub async fn get_duty<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<DutyView>> {
    authz::platform_staff(&v.user)?;
    Ok(Json(duty_report(&app).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct NoticeParams {
    /// A shop's notices (its staff); omitted: the platform's (platform staff).
    pub shop_id: Option<i64>,
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub at: i64,
}

/// The older team lists, reached through `GET /api/v1/notifications?shop_id=` (see `api::push`).
pub async fn notifications<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<NoticeParams>,
) -> ApiResult<Json<Vec<NoticeView>>> {
    let list = app
        .store
        .read(move |tx| match p.shop_id {
            Some(id) => {
                let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Serve)?;
                tx.notifications(Some(shop.id), "shop", 100)
            }
            None => {
                authz::platform_staff(&v.user)?;
                tx.notifications(None, "platform", 100)
            }
        })
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|(id, kind, subject, body, at)| NoticeView { id, kind, subject, body, at: at.millis() })
            .collect(),
    ))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/conversations", routing::get(list::<S>).post(open::<S>))
        .route("/api/v1/conversations/{id}/messages", routing::get(messages::<S>).post(post::<S>))
        .route("/api/v1/conversations/{id}/assign", routing::post(assign::<S>))
        .route(
            "/api/v1/conversations/{id}/images",
            routing::post(upload_image::<S>).layer(DefaultBodyLimit::max(crate::app::chat::IMAGE_BODY_LIMIT)),
        )
        .route("/api/v1/conversations/{id}/images/{image_id}", routing::get(image::<S>))
        .route("/api/v1/conversations/{id}/read", routing::post(read::<S>))
        .route("/api/v1/platform/duty", routing::get(get_duty::<S>).post(set_duty::<S>))
}
