//! After-sales cases as the API and the pages both show and drive them: the
//! case view, its timeline and evidence, opening, acting and the evidence files.

use serde::Serialize;
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::cases::{self, Action, Case, CaseAction, EvidenceMeta, OpenCase, Side};
use youying_core::ports::Store;
use youying_core::values::CaseId;
use youying_core::{Error, Timestamp};

use crate::error::ApiResult;
use crate::state::App;

/// Bodies carrying screenshots: six of 4 MiB, base64-inflated, with room to spare.
pub const CASE_BODY_LIMIT: usize = 40 * 1024 * 1024;

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
        // Which site the goods came from is the shop's business, not its buyer's (货源对接).
        timeline: actions
            .iter()
            .filter(|a| side != Side::Buyer || !a.kind.starts_with("case.upstream_"))
            .map(timeline_entry)
            .collect(),
        evidence: evidence.iter().map(evidence_view).collect(),
    })
}

/// One evidence file as stored, with the type it was sniffed as (never HTML).
pub async fn evidence_file<S: Store>(app: &App<S>, actor: User, id: i64, eid: i64) -> ApiResult<(String, Vec<u8>)> {
    Ok(app
        .store
        .read(move |tx| {
            let (case, _) = cases::load_for(tx, &actor, CaseId(id))?;
            tx.case_evidence_body(case.id, eid)?.ok_or(Error::NotFound)
        })
        .await?)
}

/// Used by pages to label the viewer.
pub fn side_label(s: Side) -> &'static str {
    match s {
        Side::Buyer => "买家",
        Side::Merchant => "商家",
        Side::Platform => "平台",
    }
}
