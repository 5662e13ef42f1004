//! The step function: fires what is due, each handler in its own savepoint.
//! The scheduler loop in the server only sleeps and calls [`run_due`]; tests
//! call it directly after moving a fake clock.

use serde_json::json;

use super::model::{Deadline, Due, FIRED_EVENT, FIRED_SUBJECT, FiredRecord};
use super::outage::{self, Outage};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::{cases, chat, enforcement, orders, payments, shops};

/// What one step of the engine did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub fired: usize,
    pub failed: usize,
    /// Lateness (fire time − due time) of each fired deadline, in milliseconds.
    pub lateness_ms: Vec<i64>,
    /// Deadlines that fell due during an outage, moved past it instead of firing.
    pub graced: usize,
}

/// A failed handler is retried after this long, growing with each attempt.
const RETRY_BASE_MS: i64 = 1_000;
const RETRY_MAX_MS: i64 = 60_000;

/// Fires up to `limit` due deadlines in the caller's transaction. Each handler
/// runs inside a savepoint: one failing handler is rolled back and retried later
/// without undoing the others. A deadline is marked fired in the same
/// transaction as its handler's effects, so it fires exactly once. One
/// [`FIRED_EVENT`] records every deadline the step fired. A deadline that fell
/// due while the platform was down is graced instead ([`outage::grace`]).
pub fn run_due(tx: &mut dyn Tx, now: Timestamp, limit: usize) -> Result<Outcome> {
    let mut out = Outcome::default();
    let mut records = Vec::new();
    let due = tx.claim_due(now, limit)?;
    // Claimed earliest first: the outages that can matter ended after the first.
    let outages = match due.first() {
        Some(first) => tx.outages_since(first.due_at)?,
        None => Vec::new(),
    };
    for d in due {
        tx.savepoint()?;
        match step_one(tx, &d, now, &outages) {
            Ok(Step::Graced) => {
                tx.release_savepoint()?;
                out.graced += 1;
            }
            Ok(Step::Fired(fired)) => {
                tx.release_savepoint()?;
                if fired {
                    out.fired += 1;
                    out.lateness_ms.push(now.millis_since(d.due_at));
                    records.push(FiredRecord {
                        id: d.id.0,
                        kind: d.kind,
                        subject: d.subject,
                        due_at: d.due_at.millis(),
                        late_ms: now.millis_since(d.due_at),
                    });
                }
            }
            Err(Error::Storage(e)) => return Err(Error::Storage(e)),
            Err(e) => {
                tx.rollback_savepoint()?;
                tx.release_savepoint()?;
                let backoff = (RETRY_BASE_MS << d.attempts.clamp(0, 6)).min(RETRY_MAX_MS);
                tx.mark_retry(d.id, now.plus_millis(backoff), &e.to_string())?;
                out.failed += 1;
            }
        }
    }
    if !records.is_empty() {
        tx.append(NewEvent::new(now, None, FIRED_EVENT, FIRED_SUBJECT, json!({ "fired": records })))?;
    }
    Ok(out)
}

enum Step {
    Graced,
    /// Whether it was still pending and fired.
    Fired(bool),
}

fn step_one(tx: &mut dyn Tx, d: &Deadline, now: Timestamp, outages: &[Outage]) -> Result<Step> {
    for o in outages.iter().filter(|o| o.covers(d.due_at)) {
        if outage::grace(tx, now, d, o)? {
            return Ok(Step::Graced);
        }
    }
    fire_one(tx, d, now).map(Step::Fired)
}

/// Runs `d`'s handler and marks it fired; false when it was no longer pending.
fn fire_one(tx: &mut dyn Tx, d: &Deadline, now: Timestamp) -> Result<bool> {
    if !tx.mark_fired(d.id, now)? {
        return Ok(false); // cancelled or fired meanwhile: nothing to do
    }
    match Due::read(d)? {
        Due::InviteExpiry { invite_id } => shops::expire_invite(tx, now, invite_id)?,
        Due::ProtectionEnd { order_id } => orders::protection_ended(tx, now, order_id)?,
        Due::TopupPromise { order_id } => orders::topup_promise_missed(tx, now, order_id)?,
        Due::ChatReply { conversation_id, .. } => chat::reply_missed(tx, now, conversation_id)?,
        Due::ChatWarn { conversation_id, .. } => chat::reply_warning(tx, now, conversation_id)?,
        Due::CaseMerchant { case_id } => cases::merchant_deadline(tx, now, case_id)?,
        Due::CaseResolve { case_id } => cases::resolve_deadline(tx, now, case_id)?,
        Due::CaseMerchantWarn { case_id } => cases::merchant_warning(tx, now, case_id)?,
        Due::PenaltyEnd { penalty_id } => enforcement::penalty_ended(tx, now, penalty_id)?,
        Due::PaymentExpiry { attempt_id } => payments::expired(tx, now, attempt_id)?,
        Due::Probe => {}
    }
    Ok(true)
}
