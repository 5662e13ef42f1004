//! Published cases as open data (no login) and the shop's one public response.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::cases::publication::{self, PublicCase};
use youying_core::ports::Store;
use youying_core::values::{CaseId, ShopId};

use crate::app::publication::respond_as;
use crate::app::reviews::PER_PAGE;
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// One shop's cases; all shops' without it.
    pub shop_id: Option<i64>,
    /// 1-based; default 1.
    pub page: Option<usize>,
}

/// A page of published cases. Each item: `id`, `shop_id`, `type`, `type_label`,
/// `opened_at`, `closed_at`, `stepped_in` (`merchant_silent`, `contested`,
/// `buyer_refused`, `safety_net`), `stepped_in_label`, `outcome`,
/// `outcome_label`, `refund_fen`, `timeline` (`at`, `actor` 买家/商家/平台/系统,
/// `what`), `public_response`, `public_response_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicCasePage {
    pub page: usize,
    pub per_page: usize,
    pub has_more: bool,
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<PublicCase>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResponseRequest {
    /// 1–500 characters; no threats, insults or contact details.
    pub text: String,
}

#[utoipa::path(get, path = "/api/v1/public/cases", tag = "cases", params(ListParams),
    responses((status = 200, body = PublicCasePage, description = "closed cases the platform stepped into, newest first, anonymised; no login needed")))]
pub async fn list<S: Store>(State(app): State<App<S>>, Query(p): Query<ListParams>) -> ApiResult<Json<PublicCasePage>> {
    let page = p.page.unwrap_or(1).max(1);
    let shop = p.shop_id.map(ShopId);
    let (items, has_more) = app.store.read(move |tx| publication::public_page(tx, shop, page, PER_PAGE)).await?;
    Ok(Json(PublicCasePage { page, per_page: PER_PAGE, has_more, items }))
}

#[utoipa::path(get, path = "/api/v1/public/cases/{id}", tag = "cases", params(("id" = i64, Path)),
    responses((status = 200, body = Object, description = "one published case, anonymised (fields as in the list)"),
        (status = 404, description = "no such case, or not published")))]
pub async fn get<S: Store>(State(app): State<App<S>>, Path(id): Path<i64>) -> ApiResult<Json<PublicCase>> {
    Ok(Json(app.store.read(move |tx| publication::load_public(tx, CaseId(id))).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/public-response", tag = "cases", params(("id" = i64, Path)), request_body = ResponseRequest,
    responses((status = 200, body = Object, description = "the published case with the response"), (status = 404, description = "not your shop's case"),
        (status = 409, description = "`already_responded`, or `case_not_published`"), (status = 422, description = "empty, too long, or with threats, insults or contact details")))]
pub async fn respond<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ResponseRequest>,
) -> ApiResult<Json<PublicCase>> {
    Ok(Json(respond_as(&app, v.user, id, r.text).await?))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/cases/{id}/public-response", routing::post(respond::<S>))
        .route("/api/v1/public/cases", routing::get(list::<S>))
        .route("/api/v1/public/cases/{id}", routing::get(get::<S>))
}
