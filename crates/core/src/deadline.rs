//! Durable deadlines: what should happen when, and the step function that makes
//! it happen. The scheduler loop in the server only sleeps and calls [`run_due`];
//! tests call it directly after moving a fake clock.

use serde_json::{Value, json};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::values::{CaseId, ConversationId, DeadlineId, InviteId, OrderId};
use crate::{cases, chat, enforcement, orders, shops};

/// What a deadline is for. Each later feature adds its kinds here with a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineKind {
    /// A shop's agent invitation lapses unused.
    InviteExpiry,
    /// An order's protection window ends: release escrow unless something is open.
    ProtectionEnd,
    /// A direct top-up's promised delivery time.
    TopupPromise,
    /// A buyer awaits a human reply: at the deadline the platform takes over.
    ChatReply,
    /// Shortly before a reply deadline: warn its owners.
    ChatWarn,
    /// An after-sales case's 12 h for the merchant to act.
    CaseMerchant,
    /// An after-sales case's 24 h to be resolved: the safety net.
    CaseResolve,
    /// A down-ranking runs its course.
    PenaltyEnd,
    /// Does nothing when it fires; used to measure the engine itself.
    Probe,
}

impl DeadlineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::InviteExpiry => "invite_expiry",
            DeadlineKind::ProtectionEnd => "protection_end",
            DeadlineKind::TopupPromise => "topup_promise",
            DeadlineKind::ChatReply => "chat_reply",
            DeadlineKind::ChatWarn => "chat_warn",
            DeadlineKind::CaseMerchant => "case_merchant",
            DeadlineKind::CaseResolve => "case_resolve",
            DeadlineKind::PenaltyEnd => "penalty_end",
            DeadlineKind::Probe => "probe",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invite_expiry" => Some(DeadlineKind::InviteExpiry),
            "protection_end" => Some(DeadlineKind::ProtectionEnd),
            "topup_promise" => Some(DeadlineKind::TopupPromise),
            "chat_reply" => Some(DeadlineKind::ChatReply),
            "chat_warn" => Some(DeadlineKind::ChatWarn),
            "case_merchant" => Some(DeadlineKind::CaseMerchant),
            "case_resolve" => Some(DeadlineKind::CaseResolve),
            "penalty_end" => Some(DeadlineKind::PenaltyEnd),
            "probe" => Some(DeadlineKind::Probe),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineState {
    Pending,
    Fired,
    Cancelled,
}

impl DeadlineState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineState::Pending => "pending",
            DeadlineState::Fired => "fired",
            DeadlineState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeadlineState::Pending),
            "fired" => Some(DeadlineState::Fired),
            "cancelled" => Some(DeadlineState::Cancelled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewDeadline {
    pub kind: DeadlineKind,
    /// What the deadline is about, as `type:id`.
    pub subject: String,
    pub due_at: Timestamp,
    pub created_at: Timestamp,
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deadline {
    pub id: DeadlineId,
    pub kind: String,
    pub subject: String,
    pub due_at: Timestamp,
    pub state: DeadlineState,
    pub fired_at: Option<Timestamp>,
    pub attempts: i64,
    pub payload: Value,
}

/// What one step of the engine did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub fired: usize,
    pub failed: usize,
    /// Lateness (fire time − due time) of each fired deadline, in milliseconds.
    pub lateness_ms: Vec<i64>,
}

/// The evidence event one step appends for all the deadlines it fired: a
/// single event per batch (rather than one per deadline) keeps a burst of
/// firings from rewriting a random index page per deadline. Each handler's
/// own effects still carry their own events.
pub const FIRED_EVENT: &str = "deadlines.fired";
/// The subject of [`FIRED_EVENT`].
pub const FIRED_SUBJECT: &str = "deadlines";

/// One deadline in a [`FIRED_EVENT`]'s payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FiredRecord {
    pub id: i64,
    pub kind: String,
    pub subject: String,
    pub due_at: i64,
    pub late_ms: i64,
}

/// The deadlines a [`FIRED_EVENT`] payload records; empty for any other event.
pub fn fired_records(kind: &str, payload: &str) -> Result<Vec<FiredRecord>> {
    if kind != FIRED_EVENT {
        return Ok(Vec::new());
    }
    #[derive(serde::Deserialize)]
    struct Payload {
        fired: Vec<FiredRecord>,
    }
    serde_json::from_str::<Payload>(payload)
        .map(|p| p.fired)
        .map_err(|_| Error::Invalid { field: "payload", reason: "fired_records" })
}

/// A failed handler is retried after this long, growing with each attempt.
const RETRY_BASE_MS: i64 = 1_000;
const RETRY_MAX_MS: i64 = 60_000;

/// Fires up to `limit` due deadlines in the caller's transaction. Each handler
/// runs inside a savepoint: one failing handler is rolled back and retried later
/// without undoing the others. A deadline is marked fired in the same
/// transaction as its handler's effects, so it fires exactly once. One
/// [`FIRED_EVENT`] records every deadline the step fired.
pub fn run_due(tx: &mut dyn Tx, now: Timestamp, limit: usize) -> Result<Outcome> {
    let mut out = Outcome::default();
    let mut records = Vec::new();
    for d in tx.claim_due(now, limit)? {
        tx.savepoint()?;
        match fire_one(tx, &d, now) {
            Ok(fired) => {
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

fn payload_id(d: &Deadline, key: &str) -> Result<i64> {
    d.payload.get(key).and_then(Value::as_i64).ok_or(Error::Invalid { field: "payload", reason: "missing_id" })
}

/// Runs `d`'s handler and marks it fired; false when it was no longer pending.
fn fire_one(tx: &mut dyn Tx, d: &Deadline, now: Timestamp) -> Result<bool> {
    if !tx.mark_fired(d.id, now)? {
        return Ok(false); // cancelled or fired meanwhile: nothing to do
    }
    match DeadlineKind::parse(&d.kind) {
        Some(DeadlineKind::InviteExpiry) => {
            let id = d
                .payload
                .get("invite_id")
                .and_then(Value::as_i64)
                .ok_or(Error::Invalid { field: "payload", reason: "invite_id" })?;
            shops::expire_invite(tx, now, InviteId(id))?;
        }
        Some(DeadlineKind::ProtectionEnd) => orders::protection_ended(tx, now, OrderId(payload_id(d, "order_id")?))?,
        Some(DeadlineKind::TopupPromise) => orders::topup_promise_missed(tx, now, OrderId(payload_id(d, "order_id")?))?,
        Some(DeadlineKind::ChatReply) => {
            chat::reply_missed(tx, now, ConversationId(payload_id(d, "conversation_id")?))?
        }
        Some(DeadlineKind::ChatWarn) => {
            chat::reply_warning(tx, now, ConversationId(payload_id(d, "conversation_id")?))?
        }
        Some(DeadlineKind::CaseMerchant) => cases::merchant_deadline(tx, now, CaseId(payload_id(d, "case_id")?))?,
        Some(DeadlineKind::CaseResolve) => cases::resolve_deadline(tx, now, CaseId(payload_id(d, "case_id")?))?,
        Some(DeadlineKind::PenaltyEnd) => enforcement::penalty_ended(tx, now, payload_id(d, "penalty_id")?)?,
        Some(DeadlineKind::Probe) => {}
        None => {
            return Err(Error::Invalid { field: "kind", reason: "unknown_deadline_kind" });
        }
    }
    Ok(true)
}
