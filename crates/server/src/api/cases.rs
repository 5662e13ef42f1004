//! After-sales cases over HTTP: open, act, read the timeline and evidence.
//! Screenshots travel as base64 inside the JSON (pages post them as files);
//! the core checks them by their bytes.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::accounts::User;
use youying_core::authz::{self, ShopAction};
use youying_core::cases::{
    self, Action, Attachment, Case, CaseAction, CaseType, Decision, EvidenceMeta, OpenCase, Side,
};
use youying_core::ports::Store;
use youying_core::values::{CaseId, ShopId};
use youying_core::{Error, Timestamp, orders, shops};

use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

/// Bodies carrying screenshots: six of 4 MiB, base64-inflated, with room to spare.
pub const CASE_BODY_LIMIT: usize = 40 * 1024 * 1024;

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

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    pub order_no: String,
    pub shop_id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub type_label: String,
    pub state: String,
    pub state_label: String,
    pub open: bool,
    pub description: String,
    pub mismatched_attributes: Vec<String>,
    pub opened_at: i64,
    pub merchant_due: i64,
    pub resolve_due: i64,
    /// The remedy waiting for the buyer: `reissue`, `fulfil`, `partial_refund`.
    pub remedy: Option<String>,
    pub proposal_fen: Option<i64>,
    pub outcome: Option<String>,
    pub refund_fen: i64,
    pub closed_at: Option<i64>,
    pub decision_reason: Option<String>,
    pub screenshots: i64,
}

pub fn view(c: &Case) -> CaseView {
    CaseView {
        id: c.id.0,
        order_no: c.order_no.clone(),
        shop_id: c.shop_id.0,
        kind: c.kind.as_str().to_owned(),
        type_label: c.kind.label().to_owned(),
        state: c.state.as_str().to_owned(),
        state_label: c.state.label().to_owned(),
        open: c.state.is_open(),
        description: c.description.clone(),
        mismatched_attributes: c.mismatched.clone(),
        opened_at: c.opened_at.millis(),
        merchant_due: c.merchant_due.millis(),
        resolve_due: c.resolve_due.millis(),
        remedy: c.remedy.clone(),
        proposal_fen: c.proposal_fen,
        outcome: c.outcome.clone(),
        refund_fen: c.refund_fen,
        closed_at: c.closed_at.map(Timestamp::millis),
        decision_reason: c.decision_reason.clone(),
        screenshots: c.screenshots,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub at: i64,
    pub side: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    pub case: CaseView,
    /// `buyer`, `merchant` or `platform`: how the caller relates to the case.
    pub viewer: String,
    /// Server time, for countdowns.
    pub now: i64,
    pub timeline: Vec<TimelineEntry>,
    pub evidence: Vec<EvidenceView>,
}

fn timeline_entry(a: &CaseAction) -> TimelineEntry {
    TimelineEntry {
        at: a.at.millis(),
        side: a.side.clone(),
        kind: a.kind.clone(),
        detail: serde_json::from_str(&a.detail).unwrap_or_default(),
    }
}

fn evidence_view(e: &EvidenceMeta) -> EvidenceView {
    EvidenceView {
        id: e.id,
        kind: e.kind.clone(),
        name: e.name.clone(),
        content_type: e.content_type.clone(),
        sha256: e.sha256.clone(),
        size: e.size,
        at: e.at.millis(),
    }
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

/// Opening a case, shared by the API and the pages.
pub async fn open_case<S: Store>(app: &App<S>, buyer: User, no: String, req: OpenCase) -> ApiResult<Case> {
    let now = app.now();
    Ok(app.store.write(move |tx| cases::open(tx, now, &buyer, &no, &req)).await?)
}

/// Performing an action, shared by the API and the pages.
pub async fn perform<S: Store>(app: &App<S>, actor: User, id: i64, action: Action) -> ApiResult<Case> {
    let now = app.now();
    Ok(app.store.write(move |tx| cases::act(tx, now, &actor, CaseId(id), action)).await?)
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

/// A case with its timeline and evidence, for whoever may see it.
pub async fn detail<S: Store>(app: &App<S>, actor: User, id: i64) -> ApiResult<CaseDetail> {
    let now = app.now();
    let (case, side, actions, evidence) = app
        .store
        .read(move |tx| {
            let (case, side) = cases::load_for(tx, &actor, CaseId(id))?;
            let actions = tx.case_actions(case.id)?;
            let evidence = tx.case_evidence(case.id)?;
            Ok((case, side, actions, evidence))
        })
        .await?;
    Ok(CaseDetail {
        case: view(&case),
        viewer: side.as_str().to_owned(),
        now: now.millis(),
        timeline: actions.iter().map(timeline_entry).collect(),
        evidence: evidence.iter().map(evidence_view).collect(),
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
    evidence_file(&app, v.user, id, eid).await
}

/// One evidence file, served with the type it was sniffed as (never HTML).
pub async fn evidence_file<S: Store>(app: &App<S>, actor: User, id: i64, eid: i64) -> ApiResult<Response> {
    let (ct, body) = app
        .store
        .read(move |tx| {
            let (case, _) = cases::load_for(tx, &actor, CaseId(id))?;
            tx.case_evidence_body(case.id, eid)?.ok_or(Error::NotFound)
        })
        .await?;
    let headers = [
        (header::CONTENT_TYPE, ct),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CONTENT_DISPOSITION, "inline".to_owned()),
    ];
    Ok((headers, body).into_response())
}

/// Used by pages to label the viewer.
pub fn side_label(s: Side) -> &'static str {
    match s {
        Side::Buyer => "买家",
        Side::Merchant => "商家",
        Side::Platform => "平台",
    }
}
