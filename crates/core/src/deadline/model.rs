//! Durable deadlines as data: what should happen when ([`Due`]), the rows the
//! store keeps ([`Deadline`], [`NewDeadline`]) and the record of a fired batch.
//! Nothing here calls a feature; [`super::run`] does.

use serde_json::{Value, json};

use crate::chat::model::Owner;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::values::{CaseId, ConversationId, DeadlineId, InviteId, OrderId};

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
    /// 2 h before a case's merchant deadline: the shop's team is told.
    CaseMerchantWarn,
    /// A down-ranking runs its course.
    PenaltyEnd,
    /// A payment attempt nobody paid lapses.
    PaymentExpiry,
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
            DeadlineKind::CaseMerchantWarn => "case_merchant_warn",
            DeadlineKind::PenaltyEnd => "penalty_end",
            DeadlineKind::PaymentExpiry => "payment_expiry",
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
            "case_merchant_warn" => Some(DeadlineKind::CaseMerchantWarn),
            "penalty_end" => Some(DeadlineKind::PenaltyEnd),
            "payment_expiry" => Some(DeadlineKind::PaymentExpiry),
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

/// A deadline's kind with what it is about: its payload, typed. Stored as
/// the kind's name and a JSON object holding the one id (`{"order_id": 7}`,
/// `{}` for a probe), the text earlier versions wrote, so pending deadlines of
/// an existing database still fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    InviteExpiry {
        invite_id: InviteId,
    },
    ProtectionEnd {
        order_id: OrderId,
    },
    TopupPromise {
        order_id: OrderId,
    },
    /// `owner`: who had to answer when it was scheduled (a record; the handler reloads).
    ChatReply {
        conversation_id: ConversationId,
        owner: Owner,
    },
    ChatWarn {
        conversation_id: ConversationId,
        owner: Owner,
    },
    CaseMerchant {
        case_id: CaseId,
    },
    CaseResolve {
        case_id: CaseId,
    },
    CaseMerchantWarn {
        case_id: CaseId,
    },
    PenaltyEnd {
        penalty_id: i64,
    },
    PaymentExpiry {
        attempt_id: i64,
    },
    Probe,
}

impl Due {
    pub fn kind(self) -> DeadlineKind {
        match self {
            Due::InviteExpiry { .. } => DeadlineKind::InviteExpiry,
            Due::ProtectionEnd { .. } => DeadlineKind::ProtectionEnd,
            Due::TopupPromise { .. } => DeadlineKind::TopupPromise,
            Due::ChatReply { .. } => DeadlineKind::ChatReply,
            Due::ChatWarn { .. } => DeadlineKind::ChatWarn,
            Due::CaseMerchant { .. } => DeadlineKind::CaseMerchant,
            Due::CaseMerchantWarn { .. } => DeadlineKind::CaseMerchantWarn,
            Due::CaseResolve { .. } => DeadlineKind::CaseResolve,
            Due::PenaltyEnd { .. } => DeadlineKind::PenaltyEnd,
            Due::PaymentExpiry { .. } => DeadlineKind::PaymentExpiry,
            Due::Probe => DeadlineKind::Probe,
        }
    }

    /// The stored payload.
    pub fn payload(self) -> Value {
        match self {
            Due::InviteExpiry { invite_id } => json!({ "invite_id": invite_id.0 }),
            Due::ProtectionEnd { order_id } | Due::TopupPromise { order_id } => json!({ "order_id": order_id.0 }),
            Due::ChatReply { conversation_id, owner } | Due::ChatWarn { conversation_id, owner } => {
                json!({ "conversation_id": conversation_id.0, "owner": owner.as_str() })
            }
            Due::CaseMerchant { case_id } | Due::CaseResolve { case_id } | Due::CaseMerchantWarn { case_id } => {
                json!({ "case_id": case_id.0 })
            }
            Due::PenaltyEnd { penalty_id } => json!({ "penalty_id": penalty_id }),
            Due::PaymentExpiry { attempt_id } => json!({ "attempt_id": attempt_id }),
            Due::Probe => json!({}),
        }
    }

    /// A stored deadline read back: its kind and the id its payload holds.
    pub fn read(d: &Deadline) -> Result<Due> {
        let id = |key: &str, reason: &'static str| {
            d.payload.get(key).and_then(Value::as_i64).ok_or(Error::Invalid { field: "payload", reason })
        };
        let owner = || {
            d.payload
                .get("owner")
                .and_then(Value::as_str)
                .and_then(Owner::parse)
                .ok_or(Error::Invalid { field: "payload", reason: "owner" })
        };
        let kind =
            DeadlineKind::parse(&d.kind).ok_or(Error::Invalid { field: "kind", reason: "unknown_deadline_kind" })?;
        Ok(match kind {
            DeadlineKind::InviteExpiry => Due::InviteExpiry { invite_id: InviteId(id("invite_id", "invite_id")?) },
            DeadlineKind::ProtectionEnd => Due::ProtectionEnd { order_id: OrderId(id("order_id", "missing_id")?) },
            DeadlineKind::TopupPromise => Due::TopupPromise { order_id: OrderId(id("order_id", "missing_id")?) },
            DeadlineKind::ChatReply => Due::ChatReply {
                conversation_id: ConversationId(id("conversation_id", "missing_id")?),
                owner: owner()?,
            },
            DeadlineKind::ChatWarn => {
                Due::ChatWarn { conversation_id: ConversationId(id("conversation_id", "missing_id")?), owner: owner()? }
            }
            DeadlineKind::CaseMerchant => Due::CaseMerchant { case_id: CaseId(id("case_id", "missing_id")?) },
            DeadlineKind::CaseResolve => Due::CaseResolve { case_id: CaseId(id("case_id", "missing_id")?) },
            DeadlineKind::CaseMerchantWarn => Due::CaseMerchantWarn { case_id: CaseId(id("case_id", "missing_id")?) },
            DeadlineKind::PenaltyEnd => Due::PenaltyEnd { penalty_id: id("penalty_id", "missing_id")? },
            DeadlineKind::PaymentExpiry => Due::PaymentExpiry { attempt_id: id("attempt_id", "missing_id")? },
            DeadlineKind::Probe => Due::Probe,
        })
    }
}

/// A deadline to schedule. Features build it from a [`Due`] with [`NewDeadline::new`];
/// the raw fields are what the store writes.
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

impl NewDeadline {
    pub fn new(due: Due, subject: impl Into<String>, due_at: Timestamp, created_at: Timestamp) -> Self {
        Self { kind: due.kind(), subject: subject.into(), due_at, created_at, payload: due.payload() }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_stored_as_before_and_read_back() {
        let t = Timestamp::from_millis(0);
        let cases = [
            (Due::InviteExpiry { invite_id: InviteId(1) }, "invite_expiry", r#"{"invite_id":1}"#),
            (Due::ProtectionEnd { order_id: OrderId(2) }, "protection_end", r#"{"order_id":2}"#),
            (Due::TopupPromise { order_id: OrderId(2) }, "topup_promise", r#"{"order_id":2}"#),
            (
                Due::ChatReply { conversation_id: ConversationId(3), owner: Owner::Shop },
                "chat_reply",
                r#"{"conversation_id":3,"owner":"shop"}"#,
            ),
            (
                Due::ChatWarn { conversation_id: ConversationId(3), owner: Owner::Platform },
                "chat_warn",
                r#"{"conversation_id":3,"owner":"platform"}"#,
            ),
            (Due::CaseMerchant { case_id: CaseId(4) }, "case_merchant", r#"{"case_id":4}"#),
            (Due::CaseResolve { case_id: CaseId(4) }, "case_resolve", r#"{"case_id":4}"#),
            (Due::CaseMerchantWarn { case_id: CaseId(4) }, "case_merchant_warn", r#"{"case_id":4}"#),
            (Due::PenaltyEnd { penalty_id: 5 }, "penalty_end", r#"{"penalty_id":5}"#),
            (Due::Probe, "probe", "{}"),
        ];
        for (due, kind, stored) in cases {
            let new = NewDeadline::new(due, "x:1", t, t);
            assert_eq!((new.kind.as_str(), new.payload.to_string().as_str()), (kind, stored));
            let d = Deadline {
                id: DeadlineId(1),
                kind: kind.to_owned(),
                subject: "x:1".into(),
                due_at: t,
                state: DeadlineState::Pending,
                fired_at: None,
                attempts: 0,
                payload: serde_json::from_str(stored).unwrap(),
            };
            assert_eq!(Due::read(&d).unwrap(), due);
        }
    }

    #[test]
    fn a_payload_without_its_id_is_refused() {
        let d = Deadline {
            id: DeadlineId(1),
            kind: "invite_expiry".into(),
            subject: "invite:0".into(),
            due_at: Timestamp::from_millis(0),
            state: DeadlineState::Pending,
            fired_at: None,
            attempts: 0,
            payload: json!({}),
        };
        assert!(matches!(Due::read(&d), Err(Error::Invalid { reason: "invite_id", .. })));
        let unknown = Deadline { kind: "nonsense".into(), ..d };
        assert!(matches!(Due::read(&unknown), Err(Error::Invalid { field: "kind", .. })));
    }
}
