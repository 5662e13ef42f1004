//! The help bot over HTTP: ask it directly, press 已解决 / 转人工 on its answers
//! in a conversation, switch it off for a shop, and edit the FAQs it quotes.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::authz::ShopAction;
use youying_core::chat::bot::{BotDay, Feedback, china_day};
use youying_core::faq::{self, FaqItem, Scope};
use youying_core::ports::Store;
use youying_core::values::{ConversationId, ProductId, ShopId};
use youying_core::{Error, shops};

use crate::app::bot::press;
use crate::app::chat_view::ConversationView;
use crate::auth::{ApiUser, ClientIp, MaybeViewer};
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Deserialize, ToSchema)]
pub struct Ask {
    /// The question, up to 2,000 characters.
    pub text: String,
    pub product_id: Option<i64>,
    /// One of the asker's own orders (signed in); anyone else's is 404.
    pub order_no: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseOfferView {
    pub order_no: String,
    pub case_type: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BotReplyView {
    /// `price`, `stock`, `delivery_time`, `order_status`, `redeem_help`, `refund_policy`,
    /// `payment_help`, `key_invalid`, `topup_missing`, `account_mismatch`, `complaint`, `human`, `other`.
    pub intent: String,
    pub confidence: f64,
    pub answer: String,
    /// Whether a person should take over (in a conversation, the 2-minute deadline starts).
    pub handoff: bool,
    pub handoff_reason: Option<String>,
    pub suggestions: Vec<String>,
    pub case_offer: Option<CaseOfferView>,
}

#[utoipa::path(post, path = "/api/v1/bot/ask", tag = "bot", request_body = Ask,
    responses((status = 200, body = BotReplyView), (status = 404, description = "unknown product, or an order that is not yours"),
        (status = 422), (status = 429, description = "asking too fast")))]
pub async fn ask<S: Store>(
    State(app): State<App<S>>,
    MaybeViewer(v): MaybeViewer,
    ClientIp(ip): ClientIp,
    ApiJson(a): ApiJson<Ask>,
) -> ApiResult<Json<BotReplyView>> {
    let now = app.now();
    let text = a.text.trim().to_owned();
    if text.is_empty() || text.chars().count() > youying_core::chat::MAX_TEXT {
        return Err(Error::Invalid { field: "text", reason: "length_1_2000" }.into());
    }
    // Anonymous askers share a bucket per address (negative keys never clash with user ids).
    let who = v.as_ref().map_or_else(|| -i64::from(fnv1a(ip.as_bytes())) - 1, |v| v.user.id.0);
    app.limiter.take(who, now).map_err(|secs| Error::Throttled { retry_after_secs: secs })?;
    let user = v.map(|v| v.user);
    let r = app
        .store
        .read(move |tx| {
            crate::helpbot::ask(tx, now, user.as_ref(), &text, a.product_id.map(ProductId), a.order_no.as_deref())
        })
        .await?;
    Ok(Json(BotReplyView {
        intent: r.intent.as_str().to_owned(),
        confidence: r.confidence,
        answer: r.answer,
        handoff: r.handoff,
        handoff_reason: r
            .handoff_reason
            .and_then(|h| serde_json::to_value(h).ok().and_then(|v| v.as_str().map(str::to_owned))),
        suggestions: r.suggestions,
        case_offer: r.case_offer.map(|o| CaseOfferView { order_no: o.order_no, case_type: o.case_type }),
    }))
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(*b)).wrapping_mul(0x0100_0193))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FeedbackBody {
    /// `settled` (已解决) or `human` (转人工).
    pub action: String,
}

#[utoipa::path(post, path = "/api/v1/conversations/{id}/bot", tag = "bot", params(("id" = i64, Path)), request_body = FeedbackBody,
    responses((status = 200, body = ConversationView, description = "`human` starts the reply deadline now"),
        (status = 404), (status = 409, description = "`nothing_to_settle`: no bot answer since the last 已解决 or hand-over"),
        (status = 422)))]
pub async fn feedback<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<FeedbackBody>,
) -> ApiResult<Json<ConversationView>> {
    let f = Feedback::parse(&b.action).ok_or(Error::Invalid { field: "action", reason: "settled_or_human" })?;
    Ok(Json(press(&app, v.user, ConversationId(id), f).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BotDayView {
    /// Days since 1970-01-01, China time.
    pub day: i64,
    pub answered: i64,
    pub settled: i64,
    pub handed_over: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShopBotView {
    pub shop_id: i64,
    pub enabled: bool,
    /// The last 30 days, oldest first (days without bot activity left out).
    pub days: Vec<BotDayView>,
}

fn day_view(d: &BotDay) -> BotDayView {
    BotDayView { day: d.day, answered: d.answered, settled: d.settled, handed_over: d.handed_over }
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/bot", tag = "bot", params(("id" = i64, Path)),
    responses((status = 200, body = ShopBotView), (status = 404)))]
pub async fn get_shop_bot<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ShopBotView>> {
    let today = china_day(app.now());
    let view = app
        .store
        .read(move |tx| {
            let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Serve)?;
            let enabled = tx.bot_enabled(shop.id)?;
            let days = tx.bot_days(Some(shop.id), today - 29, today)?;
            Ok(ShopBotView { shop_id: shop.id.0, enabled, days: days.iter().map(day_view).collect() })
        })
        .await?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BotSwitch {
    pub enabled: bool,
}

#[utoipa::path(put, path = "/api/v1/shops/{id}/bot", tag = "bot", params(("id" = i64, Path)), request_body = BotSwitch,
    responses((status = 204, description = "off: every buyer message awaits a person"), (status = 404)))]
pub async fn put_shop_bot<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<BotSwitch>,
) -> ApiResult<StatusCode> {
    let now = app.now();
    app.store.write(move |tx| faq::set_bot(tx, now, &v.user, ShopId(id), b.enabled)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FaqView {
    pub id: i64,
    /// `null`: the platform's FAQ.
    pub shop_id: Option<i64>,
    pub question: String,
    pub answer: String,
    pub updated_at: i64,
}

pub fn faq_view(i: &FaqItem) -> FaqView {
    FaqView {
        id: i.id,
        shop_id: i.shop_id.map(|s| s.0),
        question: i.question.clone(),
        answer: i.answer.clone(),
        updated_at: i.updated_at.millis(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FaqParams {
    /// A shop's FAQ; without it, the platform's (as edited; empty while the built-in one is used).
    pub shop_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/faq", tag = "bot", params(FaqParams), responses((status = 200, body = Vec<FaqView>)))]
pub async fn list_faq<S: Store>(
    State(app): State<App<S>>,
    Query(p): Query<FaqParams>,
) -> ApiResult<Json<Vec<FaqView>>> {
    let items = app.store.read(move |tx| tx.faq(p.shop_id.map(ShopId))).await?;
    Ok(Json(items.iter().map(faq_view).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewFaq {
    /// Omit for the platform's FAQ (admins).
    pub shop_id: Option<i64>,
    /// 1–200 characters.
    pub question: String,
    /// 1–1,000 characters.
    pub answer: String,
}

#[utoipa::path(post, path = "/api/v1/faq", tag = "bot", request_body = NewFaq,
    responses((status = 201, body = FaqView), (status = 403), (status = 404), (status = 409, description = "`faq_full`: 200 entries"), (status = 422)))]
pub async fn add_faq<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(n): ApiJson<NewFaq>,
) -> ApiResult<(StatusCode, Json<FaqView>)> {
    let now = app.now();
    let scope = n.shop_id.map_or(Scope::Platform, |s| Scope::Shop(ShopId(s)));
    let item = app
        .store
        .write(move |tx| {
            let ids = faq::add(tx, now, &v.user, scope, &[(n.question, n.answer)])?;
            let id = ids.first().copied().ok_or(Error::NotFound)?;
            tx.faq_item(id)?.ok_or(Error::NotFound)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(faq_view(&item))))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FaqChange {
    pub question: String,
    pub answer: String,
}

#[utoipa::path(put, path = "/api/v1/faq/{id}", tag = "bot", params(("id" = i64, Path)), request_body = FaqChange,
    responses((status = 204), (status = 404, description = "unknown, or not yours to edit"), (status = 422)))]
pub async fn edit_faq<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(c): ApiJson<FaqChange>,
) -> ApiResult<StatusCode> {
    let now = app.now();
    app.store.write(move |tx| faq::edit(tx, now, &v.user, id, &c.question, &c.answer)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/faq/{id}", tag = "bot", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, description = "unknown, or not yours to edit")))]
pub async fn delete_faq<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let now = app.now();
    app.store.write(move |tx| faq::remove(tx, now, &v.user, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/conversations/{id}/bot", routing::post(feedback::<S>))
        .route("/api/v1/bot/ask", routing::post(ask::<S>))
        .route("/api/v1/shops/{id}/bot", routing::get(get_shop_bot::<S>).put(put_shop_bot::<S>))
        .route("/api/v1/faq", routing::get(list_faq::<S>).post(add_faq::<S>))
        .route("/api/v1/faq/{id}", routing::put(edit_faq::<S>).delete(delete_faq::<S>))
}
