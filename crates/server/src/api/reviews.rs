//! Reviews over HTTP: the buyer writes one per completed order, the platform
//! moderates held ones, the shop replies once, and anyone reads a shop's
//! published reviews — with the buyer shown only as 匿名买家.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::Error;
use youying_core::ports::Store;
use youying_core::reviews::{self, Review, ReviewState};
use youying_core::values::ShopId;

use crate::app::reviews::{ANONYMOUS, PER_PAGE, moderate_as, reply_as, resubmit, write};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewReview {
    /// 1–5.
    pub stars: i64,
    /// 0–500 characters after trimming.
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReplyRequest {
    /// 1–500 characters; no threats, insults or contact details.
    pub text: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ModerateRequest {
    /// `publish` or `reject`.
    pub decision: String,
    /// Required to reject: the reason, shown to the buyer.
    #[serde(default)]
    pub note: String,
}

/// A review as its buyer and the platform see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView {
    pub id: i64,
    pub shop_id: i64,
    pub stars: i64,
    pub text: String,
    /// `published`, `held` or `rejected`.
    pub state: String,
    pub state_label: String,
    /// Why it was held: `threat`, `insult` or `contact`.
    pub hold_reason: Option<String>,
    pub moderation_note: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<i64>,
    pub created_at: i64,
    /// How often the buyer edited it after a rejection.
    pub resubmissions: i64,
    /// Rejected, and still editable: `PUT /api/v1/orders/{no}/review` sends it back to moderation.
    pub can_resubmit: bool,
}

pub fn view(r: &Review) -> ReviewView {
    ReviewView {
        id: r.id.0,
        shop_id: r.shop_id.0,
        stars: r.stars,
        text: r.body.clone(),
        state: r.state.as_str().to_owned(),
        state_label: r.state.label().to_owned(),
        hold_reason: r.hold_reason.map(|h| h.as_str().to_owned()),
        moderation_note: r.moderation_note.clone(),
        reply: r.reply.clone(),
        replied_at: r.replied_at.map(|t| t.millis()),
        created_at: r.created_at.millis(),
        resubmissions: r.resubmissions,
        can_resubmit: reviews::can_resubmit(r),
    }
}

/// A published review as anyone sees it: no buyer id, name or order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicReview {
    pub id: i64,
    /// Always “匿名买家”.
    pub buyer: &'static str,
    pub stars: i64,
    pub text: String,
    pub reply: Option<String>,
    pub replied_at: Option<i64>,
    pub created_at: i64,
}

pub fn public(r: &Review) -> PublicReview {
    PublicReview {
        id: r.id.0,
        buyer: ANONYMOUS,
        stars: r.stars,
        text: r.body.clone(),
        reply: r.reply.clone(),
        replied_at: r.replied_at.map(|t| t.millis()),
        created_at: r.created_at.millis(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicReviewPage {
    pub page: usize,
    pub per_page: usize,
    pub has_more: bool,
    pub items: Vec<PublicReview>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageParams {
    /// 1-based; default 1.
    pub page: Option<usize>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct StateParams {
    /// `held` (default), `published` or `rejected`.
    pub state: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/orders/{no}/review", tag = "reviews", params(("no" = String, Path)), request_body = NewReview,
    responses((status = 201, body = ReviewView, description = "written: `published`, or `held` for moderation (threats, insults, contact details)"),
        (status = 404, description = "not your order"),
        (status = 409, description = "`already_reviewed`, or `order_not_completed`"), (status = 422, description = "stars not 1–5, or text over 500 characters")))]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
    ApiJson(r): ApiJson<NewReview>,
) -> ApiResult<(StatusCode, Json<ReviewView>)> {
    let review = write(&app, v.user, no, r.stars, r.text).await?;
    Ok((StatusCode::CREATED, Json(view(&review))))
}

#[utoipa::path(put, path = "/api/v1/orders/{no}/review", tag = "reviews", params(("no" = String, Path)), request_body = NewReview,
    responses((status = 200, body = ReviewView, description = "edited after a rejection: `held` again, for the moderator"),
        (status = 404, description = "no review yet, or not your order"),
        (status = 409, description = "`already_reviewed`: only a rejected review can be edited"),
        (status = 422, description = "stars not 1–5, text over 500 characters, or `review_resubmit` (edited twice already)")))]
pub async fn edit<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
    ApiJson(r): ApiJson<NewReview>,
) -> ApiResult<Json<ReviewView>> {
    Ok(Json(view(&resubmit(&app, v.user, no, r.stars, r.text).await?)))
}

#[utoipa::path(get, path = "/api/v1/orders/{no}/review", tag = "reviews", params(("no" = String, Path)),
    responses((status = 200, body = ReviewView, description = "your review of the order"), (status = 404, description = "none yet, or not your order")))]
pub async fn of_order<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
) -> ApiResult<Json<ReviewView>> {
    let r = app.store.read(move |tx| reviews::of_order(tx, &v.user, &no)?.ok_or(Error::NotFound)).await?;
    Ok(Json(view(&r)))
}

#[utoipa::path(post, path = "/api/v1/reviews/{id}/reply", tag = "reviews", params(("id" = i64, Path)), request_body = ReplyRequest,
    responses((status = 200, body = PublicReview), (status = 404, description = "not a published review of your shop"),
        (status = 409, description = "`already_replied`"), (status = 422, description = "empty, too long, or with threats, insults or contact details")))]
pub async fn reply<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ReplyRequest>,
) -> ApiResult<Json<PublicReview>> {
    Ok(Json(public(&reply_as(&app, v.user, id, r.text).await?)))
}

#[utoipa::path(get, path = "/api/v1/platform/reviews", tag = "reviews", params(StateParams),
    responses((status = 200, body = Vec<ReviewView>, description = "the moderation queue, oldest first"), (status = 403)))]
pub async fn queue<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<StateParams>,
) -> ApiResult<Json<Vec<ReviewView>>> {
    let state = match p.state.as_deref() {
        None => ReviewState::Held,
        Some(s) => ReviewState::parse(s).ok_or(Error::Invalid { field: "state", reason: "unknown" })?,
    };
    let list = app
        .store
        .read(move |tx| {
            youying_core::authz::platform_staff(&v.user)?;
            tx.reviews_in_state(state, 200)
        })
        .await?;
    Ok(Json(list.iter().map(view).collect()))
}

#[utoipa::path(post, path = "/api/v1/platform/reviews/{id}/moderate", tag = "reviews", params(("id" = i64, Path)), request_body = ModerateRequest,
    responses((status = 200, body = ReviewView), (status = 403, description = "not platform staff"), (status = 404),
        (status = 409, description = "`review_already_moderated`"), (status = 422, description = "a rejection without a reason")))]
pub async fn moderate<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ModerateRequest>,
) -> ApiResult<Json<ReviewView>> {
    Ok(Json(view(&moderate_as(&app, v.user, id, &r.decision, r.note).await?)))
}

#[utoipa::path(get, path = "/api/v1/public/shops/{id}/reviews", tag = "reviews", params(("id" = i64, Path), PageParams),
    responses((status = 200, body = PublicReviewPage, description = "published reviews, newest first; no login needed"), (status = 404)))]
pub async fn of_shop<S: Store>(
    State(app): State<App<S>>,
    Path(id): Path<i64>,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<PublicReviewPage>> {
    let page = p.page.unwrap_or(1).max(1);
    let (list, has_more) = app.store.read(move |tx| reviews::public_page(tx, ShopId(id), page, PER_PAGE)).await?;
    Ok(Json(PublicReviewPage { page, per_page: PER_PAGE, has_more, items: list.iter().map(public).collect() }))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/orders/{no}/review", routing::get(of_order::<S>).post(create::<S>).put(edit::<S>))
        .route("/api/v1/reviews/{id}/reply", routing::post(reply::<S>))
        .route("/api/v1/platform/reviews", routing::get(queue::<S>))
        .route("/api/v1/platform/reviews/{id}/moderate", routing::post(moderate::<S>))
        .route("/api/v1/public/shops/{id}/reviews", routing::get(of_shop::<S>))
}
