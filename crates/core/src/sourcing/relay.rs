//! A case on an order placed upstream, relayed there (货源对接, "the promise
//! end to end"). The buyer's case here runs on this site's clocks as any
//! other; beside it a step row carries it to the upstream site as a case on
//! this shop's own order there, and the upstream's remedy comes back down.
//!
//! ```text
//! case opened here on a sourced order ─▶ step opening ──POST …/cases (ask first on a retry)──▶ open
//!   open ──callback / poll──▶ the upstream's case as it stands:
//!        reissue offered ──▶ its keys offered to the buyer here (the shop's 12 h clock stops)
//!        top-up redone   ──▶ a fulfilment offered here
//!        refunded        ──▶ the buyer refunded in full here, or, if the case here has closed
//!                            already, recorded as the shop's recovery
//!        closed          ──▶ step closed (nothing more to ask)
//!   the upstream refuses the case (window closed, …) ──▶ step failed; the case here goes on
//! ```
//!
//! The buyer never waits for the upstream: the case here keeps its own 12 h /
//! 24 h clocks, and whatever the upstream does later (its own platform refunds
//! at its own deadline if its merchant is silent) is this shop's recovery.

use serde_json::json;

use super::model::{ConnectionId, Protocol, StepState};
use super::order::{POLL_SECS, backoff_secs};
use crate::cases::{Case, CaseState, FromSource, from_source, record};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::stock::port::ClaimedUnit;
use crate::values::{CaseId, OrderId};

/// An upstream case that cannot be opened is given up after this long
/// (the case here has been decided on its own clocks by then).
pub const GIVE_UP_SECS: i64 = 2 * 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayState {
    /// Not yet opened upstream (or the answer was lost).
    Opening,
    /// Open upstream: asked about until it closes there.
    Open,
    /// Closed upstream: nothing more to ask.
    Closed,
    /// Refused upstream, or given up.
    Failed,
}

impl RelayState {
    pub fn as_str(self) -> &'static str {
        match self {
            RelayState::Opening => "opening",
            RelayState::Open => "open",
            RelayState::Closed => "closed",
            RelayState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RelayState::Opening, RelayState::Open, RelayState::Closed, RelayState::Failed]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The step row of a relayed case (`upstream_cases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamCase {
    pub case_id: CaseId,
    pub order_id: OrderId,
    pub connection_id: ConnectionId,
    /// This site's order number: the upstream knows the order by it.
    pub downstream_order_no: String,
    pub state: RelayState,
    pub upstream_case_id: Option<i64>,
    /// The upstream case's state as last seen.
    pub upstream_state: Option<String>,
    /// What came down already: `reissue`, `fulfil`, `refund`, `recovered`, `noted`.
    pub applied: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The upstream's case as it stands, in this site's words (units sealed here).
#[derive(Debug, Clone)]
pub struct SourceCase {
    pub id: i64,
    /// The upstream's case state (`awaiting_merchant`, `awaiting_buyer`, `resolved_refunded`, …).
    pub state: String,
    pub remedy: Option<String>,
    pub refund_fen: i64,
    pub outcome: Option<String>,
    pub units: Vec<ClaimedUnit>,
    pub closed: bool,
}

/// What asking the upstream about a relayed case gave.
#[derive(Debug, Clone)]
pub enum CaseAnswer {
    Seen(SourceCase),
    /// The upstream will not open it (its window closed, the order refunded there, …).
    Refused {
        code: String,
        message: String,
    },
    /// No answer, or one not understood: asked again later.
    Unknown {
        error: String,
    },
}

/// What persistence keeps of relayed cases.
pub trait RelayRead {
    fn upstream_case(&mut self, case: CaseId) -> Result<Option<UpstreamCase>>;
    /// The relayed case a callback about `upstream_case_id` on `connection` is for.
    fn upstream_case_by_source(
        &mut self,
        connection: ConnectionId,
        upstream_case_id: i64,
    ) -> Result<Option<UpstreamCase>>;
    fn next_relay_due(&mut self) -> Result<Option<Timestamp>>;
}

pub trait RelayTx: RelayRead {
    fn insert_upstream_case(&mut self, c: &UpstreamCase) -> Result<()>;
    fn update_upstream_case(&mut self, c: &UpstreamCase) -> Result<()>;
    /// Due rows, locked (`SKIP LOCKED`), moved to `lease_until`, `attempts` + 1.
    fn claim_upstream_cases(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<UpstreamCase>>;
}

/// Called as a case opens: a case on an order delivered by an upstream site is relayed there.
pub(crate) fn relay(tx: &mut dyn Tx, now: Timestamp, case: &Case) -> Result<()> {
    let Some(step) = tx.upstream_order(case.order_id)? else { return Ok(()) };
    // Only a Youying site takes cases; a direct-top-up supplier's order is the shop's own to answer for.
    let site = tx.connection(step.connection_id)?.is_some_and(|c| c.protocol == Protocol::Youying);
    if step.state != StepState::Done || !site {
        return Ok(());
    }
    tx.insert_upstream_case(&UpstreamCase {
        case_id: case.id,
        order_id: case.order_id,
        connection_id: step.connection_id,
        downstream_order_no: step.downstream_order_no.clone(),
        state: RelayState::Opening,
        upstream_case_id: None,
        upstream_state: None,
        applied: None,
        attempts: 0,
        next_attempt_at: Some(now),
        last_error: None,
        created_at: now,
        updated_at: now,
    })?;
    let detail = json!({ "upstream": step.connection_id.0, "upstream_order_no": step.upstream_order_no });
    tx.append(NewEvent::new(now, None, "case.relaying", case.subject(), detail))
}

/// Acts on what the upstream said about the relayed case `id`; returns the row after.
pub fn case_answered(tx: &mut dyn Tx, now: Timestamp, id: CaseId, answer: &CaseAnswer) -> Result<UpstreamCase> {
    let mut row = tx.upstream_case(id)?.ok_or(Error::NotFound)?;
    if matches!(row.state, RelayState::Closed | RelayState::Failed) {
        return Ok(row);
    }
    let mut case = tx.case(id)?.ok_or(Error::NotFound)?;
    row.updated_at = now;
    match answer {
        CaseAnswer::Unknown { error } => {
            row.last_error = Some(error.chars().take(300).collect());
            if row.state == RelayState::Opening && now.millis_since(row.created_at) >= GIVE_UP_SECS * 1000 {
                row.state = RelayState::Failed;
                row.next_attempt_at = None;
                let detail = json!({ "code": "unreachable", "message": row.last_error });
                record(tx, now, &case, None, "system", "case.upstream_refused", detail)?;
            } else {
                let wait = if row.state == RelayState::Open { POLL_SECS } else { backoff_secs(row.attempts) };
                row.next_attempt_at = Some(now.plus_secs(wait));
            }
        }
        CaseAnswer::Refused { code, message } => {
            row.state = RelayState::Failed;
            row.next_attempt_at = None;
            row.last_error = Some(format!("{code}: {message}").chars().take(300).collect());
            let detail = json!({ "code": code, "message": message.chars().take(300).collect::<String>() });
            record(tx, now, &case, None, "system", "case.upstream_refused", detail)?;
        }
        CaseAnswer::Seen(up) => {
            row.last_error = None;
            if row.upstream_case_id.is_none() {
                row.upstream_case_id = Some(up.id);
                row.state = RelayState::Open;
                record(tx, now, &case, None, "system", "case.upstream_opened", json!({ "upstream_case_id": up.id }))?;
            }
            if row.upstream_state.as_deref() != Some(up.state.as_str()) {
                row.upstream_state = Some(up.state.clone());
                pass_down(tx, now, &mut case, &mut row, up)?;
            }
            if up.closed {
                row.state = RelayState::Closed;
                row.next_attempt_at = None;
            } else {
                row.next_attempt_at = Some(now.plus_secs(POLL_SECS));
            }
        }
    }
    tx.update_upstream_case(&row)?;
    Ok(row)
}

/// The upstream's remedy, once, as the shop's own act here; anything the case
/// here can no longer take is recorded on its timeline (and is the shop's).
fn pass_down(tx: &mut dyn Tx, now: Timestamp, case: &mut Case, row: &mut UpstreamCase, up: &SourceCase) -> Result<()> {
    let source =
        json!({ "upstream_case_id": up.id, "state": up.state, "outcome": up.outcome, "refund_fen": up.refund_fen });
    let waiting = case.state == CaseState::AwaitingMerchant;
    let done = row.applied.is_some();
    if up.closed && up.refund_fen > 0 {
        if up.state == "resolved_refunded" && case.state.is_open() && !done {
            row.applied = Some("refund".into());
            return from_source(tx, now, case, FromSource::Refund, source);
        }
        row.applied = Some("recovered".into());
        return record(tx, now, case, None, "system", "case.upstream_recovered", source);
    }
    let remedy = up.remedy.as_deref().or(match up.state.as_str() {
        "resolved_reissued" => Some("reissue"),
        "resolved_fulfilled" => Some("fulfil"),
        _ => None,
    });
    match remedy {
        Some("reissue") if waiting && !done && !up.units.is_empty() => {
            row.applied = Some("reissue".into());
            or_note(tx, now, case, FromSource::Reissue(&up.units), source)
        }
        Some("fulfil") if waiting && !done => {
            row.applied = Some("fulfil".into());
            or_note(tx, now, case, FromSource::Fulfil("货源已重新充值"), source)
        }
        _ if up.closed || up.remedy.is_some() => record(tx, now, case, None, "system", "case.upstream_changed", source),
        _ => Ok(()),
    }
}

/// A remedy the case here cannot take (checked before anything is written: the
/// wrong number of keys, a case that moved on) is recorded for the shop instead.
fn or_note(
    tx: &mut dyn Tx,
    now: Timestamp,
    case: &mut Case,
    r: FromSource<'_>,
    source: serde_json::Value,
) -> Result<()> {
    match from_source(tx, now, case, r, source.clone()) {
        Err(Error::Conflict(_)) => record(tx, now, case, None, "system", "case.upstream_changed", source),
        other => other,
    }
}
