//! After-sales cases over HTTP: open, act, read the timeline and evidence.
//! Screenshots travel as base64 inside the JSON (pages post them as files);
//! the core checks them by their bytes.

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use base64::Engine;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use youying_core::authz::{self, ShopAction};
use youying_core::cases::{Action, Attachment, CaseType, Decision, OpenCase};
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_core::{Error, orders, shops};

use crate::app::cases::{CaseDetail, CaseView, detail, evidence_file, open_case, perform, view};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Deserialize, ToSchema)]
pub struct Screenshot {
    pub name: Option<String>,
    /// The image file, base64 (standard alphabet). PNG, JPEG or WebP.
    pub content_base64: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCase {
    /// `key_invalid`, `topup_missing`, `account_mismatch` or `other`.
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    /// For `account_mismatch`: names of declared snapshot attributes that do not hold.
    #[serde(default)]
    pub mismatched_attributes: Vec<String>,
    #[serde(default)]
    pub screenshots: Vec<Screenshot>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CaseActionRequest {
    /// Merchant: `reissue`, `refund`, `partial_refund`, `fulfil`, `contest`. Buyer: `accept`, `refuse`.
    /// Platform agent: `decide`.
    pub action: String,
    pub amount_fen: Option<i64>,
    pub proof: Option<String>,
    pub reason: Option<String>,
    /// With `decide`: `refund`, `partial_refund` or `reject`.
    pub decision: Option<String>,
    #[serde(default)]
    pub account_returned: bool,
    #[serde(default)]
    pub screenshots: Vec<Screenshot>,
}

/// Decodes the uploaded screenshots; what the bytes are is the core's to judge.
pub fn decode_screenshots(list: &[Screenshot]) -> ApiResult<Vec<Attachment>> {
    list.iter()
        .map(|s| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.content_base64.trim())
                .map_err(|_| Error::Invalid { field: "screenshots", reason: "not_base64" })?;
            Ok(Attachment { name: s.name.clone().unwrap_or_default(), bytes })
        })
        .collect()
}

/// The action a request names, with its fields.
pub fn parse_action(r: &CaseActionRequest, screenshots: Vec<Attachment>) -> ApiResult<Action> {
    let reason = r.reason.clone().unwrap_or_default();
    Ok(match r.action.as_str() {
        "reissue" => Action::Reissue,
        "refund" => Action::Refund,
        "partial_refund" => Action::ProposePartial { amount_fen: r.amount_fen.unwrap_or(0) },
        "fulfil" => Action::Fulfil { proof: r.proof.clone().unwrap_or_default() },
        "contest" => Action::Contest { reason, screenshots },
        "accept" => Action::Accept,
        "refuse" => Action::Refuse { reason },
        "decide" => {
            let decision = match r.decision.as_deref() {
                Some("refund") => Decision::Refund,
                Some("partial_refund") => {
                    Decision::Partial { amount_fen: r.amount_fen.unwrap_or(0), account_returned: r.account_returned }
                }
                Some("reject") => Decision::Reject,
                _ => return Err(Error::Invalid { field: "decision", reason: "unknown" }.into()),
            };
            Action::Decide { decision, reason }
        }
        _ => return Err(Error::Invalid { field: "action", reason: "unknown" }.into()),
    })
}

#[utoipa::path(post, path = "/api/v1/orders/{no}/cases", tag = "cases", params(("no" = String, Path)), request_body = NewCase,
    responses((status = 201, body = CaseView, description = "opened; the order's escrow is frozen"),
        (status = 404, description = "not your order"), (status = 409, description = "a case is already open, or the protection window closed (`window_closed_at`)"),
        (status = 422, description = "bad input, e.g. a screenshot that is not an image; nothing is written")))]
pub async fn open<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
    ApiJson(n): ApiJson<NewCase>,
) -> ApiResult<(StatusCode, Json<CaseView>)> {
    let req = OpenCase {
        kind: CaseType::parse(&n.kind)?,
        description: n.description,
        mismatched: n.mismatched_attributes,
        screenshots: decode_screenshots(&n.screenshots)?,
    };
    let case = open_case(&app, v.user, no, req).await?;
    Ok((StatusCode::CREATED, Json(view(&case))))
}

#[utoipa::path(get, path = "/api/v1/orders/{no}/cases", tag = "cases", params(("no" = String, Path)), responses((status = 200, body = Vec<CaseView>), (status = 404)))]
pub async fn of_order<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
) -> ApiResult<Json<Vec<CaseView>>> {
    let list = app
        .store
        .read(move |tx| {
            let o = orders::load_for(tx, &v.user, &no)?;
            tx.cases_of_order(o.id)
        })
        .await?;
    Ok(Json(list.iter().map(view).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// A shop's cases (its staff), open ones first by nearest deadline; without it, your own.
    pub shop_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListParams), responses((status = 200, body = Vec<CaseView>)))]
pub async fn list<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Vec<CaseView>>> {
    let list = app
        .store
        .read(move |tx| match p.shop_id {
            Some(id) => {
                let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Serve)?;
                tx.cases_of_shop(shop.id, 200)
            }
            None => tx.cases_of_buyer(v.user.id, 200),
        })
        .await?;
    Ok(Json(list.iter().map(view).collect()))
}

#[utoipa::path(get, path = "/api/v1/platform/arbitration", tag = "cases", responses((status = 200, body = Vec<CaseView>, description = "cases in arbitration, nearest 24 h deadline first"), (status = 403)))]
pub async fn arbitration<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Vec<CaseView>>> {
    let list = app
        .store
        .read(move |tx| {
            authz::platform_staff(&v.user)?;
            tx.arbitration_queue(200)
        })
        .await?;
    Ok(Json(list.iter().map(view).collect()))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path)), responses((status = 200, body = CaseDetail), (status = 404)))]
pub async fn get<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<CaseDetail>> {
    Ok(Json(detail(&app, v.user, id).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/actions", tag = "cases", params(("id" = i64, Path)), request_body = CaseActionRequest,
    responses((status = 200, body = CaseView), (status = 403, description = "not your side's action"), (status = 404),
        (status = 409, description = "not in a state that allows it; out of stock for a reissue"), (status = 422, description = "bad input, e.g. a partial refund above the price")))]
pub async fn act<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<CaseActionRequest>,
) -> ApiResult<Json<CaseView>> {
    let action = parse_action(&r, decode_screenshots(&r.screenshots)?)?;
    let case = perform(&app, v.user, id, action).await?;
    Ok(Json(view(&case)))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence/{eid}", tag = "cases", params(("id" = i64, Path), ("eid" = i64, Path)),
    responses((status = 200, description = "the evidence file as stored"), (status = 404)))]
pub async fn evidence<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, eid)): Path<(i64, i64)>,
) -> ApiResult<Response> {
    let (content_type, body) = evidence_file(&app, v.user, id, eid).await?;
    Ok(crate::evidence::file_response(content_type, body))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route(
            "/api/v1/orders/{no}/cases",
            routing::get(of_order::<S>)
                .post(open::<S>)
                .layer(DefaultBodyLimit::max(crate::app::cases::CASE_BODY_LIMIT)),
        )
        .route("/api/v1/cases", routing::get(list::<S>))
        .route("/api/v1/cases/{id}", routing::get(get::<S>))
        .route(
            "/api/v1/cases/{id}/actions",
            routing::post(act::<S>).layer(DefaultBodyLimit::max(crate::app::cases::CASE_BODY_LIMIT)),
        )
        .route("/api/v1/cases/{id}/evidence/{eid}", routing::get(evidence::<S>))
        .route("/api/v1/platform/arbitration", routing::get(arbitration::<S>))
}
