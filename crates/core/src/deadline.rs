//! Durable deadlines: what should happen when, and the step function that makes
//! it happen. The scheduler loop in the server only sleeps and calls [`run_due`];
//! tests call it directly after moving a fake clock.

use serde_json::{Value, json};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::values::{ConversationId, DeadlineId, InviteId, OrderId};
use crate::{chat, enforcement, orders, shops};

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

/// A failed handler is retried after this long, growing with each attempt.
const RETRY_BASE_MS: i64 = 1_000;
const RETRY_MAX_MS: i64 = 60_000;

/// Fires up to `limit` due deadlines in the caller's transaction. Each handler
/// runs inside a savepoint: one failing handler is rolled back and retried later
/// without undoing the others. A deadline is marked fired in the same
/// transaction as its handler's effects, so it fires exactly once.
pub fn run_due(tx: &mut dyn Tx, now: Timestamp, limit: usize) -> Result<Outcome> {
    let mut out = Outcome::default();
    for d in tx.claim_due(now, limit)? {
        tx.savepoint()?;
        match fire_one(tx, &d, now) {
            Ok(()) => {
                tx.release_savepoint()?;
                out.fired += 1;
                out.lateness_ms.push(now.millis_since(d.due_at));
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
    Ok(out)
}

fn payload_id(d: &Deadline, key: &str) -> Result<i64> {
    d.payload.get(key).and_then(Value::as_i64).ok_or(Error::Invalid { field: "payload", reason: "missing_id" })
}

fn fire_one(tx: &mut dyn Tx, d: &Deadline, now: Timestamp) -> Result<()> {
    if !tx.mark_fired(d.id, now)? {
        return Ok(()); // cancelled or fired meanwhile: nothing to do
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
        Some(DeadlineKind::PenaltyEnd) => enforcement::penalty_ended(tx, now, payload_id(d, "penalty_id")?)?,
        Some(DeadlineKind::Probe) => {}
        None => {
            return Err(Error::Invalid { field: "kind", reason: "unknown_deadline_kind" });
        }
    }
    tx.append(NewEvent::new(
        now,
        None,
        "deadline.fired",
        format!("deadline:{}", d.id),
        json!({ "kind": d.kind, "subject": d.subject, "due_at": d.due_at.millis(), "late_ms": now.millis_since(d.due_at) }),
    ))
}
