//! A case on an order placed upstream, relayed there (货源对接, "the promise
//! end to end"). The buyer's case here runs on this site's clocks as any
//! other; beside it a step row carries it to the upstream site as a case on
//! this shop's own order there, and the upstream's remedy comes back down.
//!
//! ```text
//! case opened here on a sourced order (`cases::open` writes the step) ─▶ step opening ──POST …/cases (ask first on a retry)──▶ open
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

pub use super::relay_port::{RelayRead, RelayState, RelayTx, UpstreamCase};

use super::order::{POLL_SECS, backoff_secs};
use crate::cases::{Case, CaseState, FromSource, from_source, record};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ports::Tx;
use crate::stock::port::ClaimedUnit;
use crate::values::CaseId;

/// An upstream that does not answer about a case is given up this long after
/// the case opened (the case here has been decided on its own clocks by then).
pub const GIVE_UP_SECS: i64 = 2 * 86_400;

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
            // Unheard of for two days (opening, or asked about since): given up.
            if now.millis_since(row.created_at) >= GIVE_UP_SECS * 1000 {
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
