//! What payments need from persistence: the gateways an admin configured.

use serde::Serialize;

use super::model::{AttemptState, Channel, GatewayKind, GatewayName, PendingCheckout, Purpose, Sealed, Settlement};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::UserId;

/// A stored gateway. Secrets stay sealed; `Serialize` skips them, so a
/// gateway written to a client says only whether each is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gateway {
    pub name: GatewayName,
    pub kind: GatewayKind,
    pub base_url: String,
    pub pid: String,
    #[serde(skip)]
    pub key: Option<Sealed>,
    #[serde(skip)]
    pub merchant_private_key: Option<Sealed>,
    #[serde(skip)]
    pub platform_public_key: Option<Sealed>,
    pub channels: Vec<Channel>,
    pub enabled: bool,
    pub updated_by: Option<UserId>,
    pub updated_at: Timestamp,
}

/// One payment attempt: one `out_trade_no` sent to one gateway. The check
/// fields are the attempt's durable outbox of order queries: a query is due at
/// `check_due_at` (`None`: none owed), leased by moving it forward when claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub id: i64,
    pub out_trade_no: String,
    pub gateway: GatewayName,
    pub channel: Channel,
    pub user_id: UserId,
    pub purpose: Purpose,
    pub amount_fen: i64,
    pub state: AttemptState,
    /// The gateway's trade number, once a verified notify or a query said it.
    pub trade_no: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// When the first verified notify came.
    pub notified_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
    pub settled_by: Option<Settlement>,
    /// For a checkout: the order to place once paid, …
    #[serde(skip)]
    pub checkout: Option<PendingCheckout>,
    /// … the order placed, or why it could not be (an error code: `out_of_stock` …).
    pub order_id: Option<i64>,
    pub order_error: Option<String>,
    #[serde(skip)]
    pub check_due_at: Option<Timestamp>,
    #[serde(skip)]
    pub check_attempts: i64,
    #[serde(skip)]
    pub checked_at: Option<Timestamp>,
    #[serde(skip)]
    pub check_error: Option<String>,
}

/// An attempt to insert: everything but what happens to it later.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    pub out_trade_no: String,
    pub gateway: GatewayName,
    pub channel: Channel,
    pub user_id: UserId,
    pub purpose: Purpose,
    pub amount_fen: i64,
    pub checkout: Option<PendingCheckout>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A notify as it arrived, kept whatever it said: who sent it, when, the raw
/// query, and what we made of it (`verdict`: `accepted`, or why not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyRecord {
    pub gateway: String,
    pub out_trade_no: Option<String>,
    pub attempt_id: Option<i64>,
    pub received_at: Timestamp,
    pub remote: String,
    pub raw: String,
    pub verified: bool,
    pub verdict: String,
}

/// Changing gateways and payments; part of [`Tx`](crate::ports::Tx).
pub trait PaymentTx: PaymentRead {
    /// Inserts the gateway, or replaces every field of the one with its name.
    fn upsert_gateway(&mut self, g: &Gateway) -> Result<()>;
    fn insert_payment(&mut self, a: &NewAttempt) -> Result<i64>;
    /// The attempt, locked for this transaction (`FOR UPDATE` on PostgreSQL).
    fn lock_payment(&mut self, id: i64) -> Result<Option<Attempt>>;
    /// Pending or expired → paid; false (and nothing changed) when it already was.
    fn set_payment_paid(&mut self, id: i64, trade_no: &str, at: Timestamp, by: Settlement) -> Result<bool>;
    /// Pending → expired; false when it was not pending.
    fn set_payment_expired(&mut self, id: i64) -> Result<bool>;
    /// The first verified notify: when, and the trade number it named.
    fn set_payment_notified(&mut self, id: i64, at: Timestamp, trade_no: &str) -> Result<()>;
    /// Owes a query at `at` (or earlier, if one is already owed sooner).
    fn schedule_check(&mut self, id: i64, at: Timestamp) -> Result<()>;
    /// Attempts whose query is due at `now`, each counted and leased until
    /// `lease_until`; rows another transaction holds are skipped.
    fn claim_checks(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<Attempt>>;
    /// The query was answered: nothing more owed, `checked_at` = `at`.
    fn check_done(&mut self, id: i64, at: Timestamp) -> Result<()>;
    /// The query failed: asked again at `retry_at`, or not owed any more (`None`).
    fn check_failed(&mut self, id: i64, at: Timestamp, retry_at: Option<Timestamp>, error: &str) -> Result<()>;
    fn insert_notify(&mut self, n: &NotifyRecord) -> Result<i64>;
    /// What became of a checkout payment's order.
    fn set_payment_order(&mut self, id: i64, order_id: Option<i64>, error: Option<&str>) -> Result<()>;
}

/// The query half of [`PaymentTx`], for read-only transactions.
pub trait PaymentRead {
    /// Every gateway, by name.
    fn gateways(&mut self) -> Result<Vec<Gateway>>;
    fn gateway(&mut self, name: &GatewayName) -> Result<Option<Gateway>>;
    fn payment(&mut self, id: i64) -> Result<Option<Attempt>>;
    fn payment_by_out_trade_no(&mut self, out_trade_no: &str) -> Result<Option<Attempt>>;
    /// The payer's attempts, newest first.
    fn payments_of(&mut self, user: UserId, limit: usize) -> Result<Vec<Attempt>>;
    /// Attempts by state (all when `None`), newest first.
    fn payments(&mut self, state: Option<AttemptState>, limit: usize) -> Result<Vec<Attempt>>;
    /// What the payer asked to pay since `since` in attempts not expired unpaid.
    fn paying_since(&mut self, user: UserId, since: Timestamp) -> Result<i64>;
    /// Pending attempts created at or before `created_before` that owe no query
    /// and were not asked about since `checked_before`: the reconciliation's work.
    fn unsettled(&mut self, created_before: Timestamp, checked_before: Timestamp, limit: usize) -> Result<Vec<i64>>;
    /// When the earliest owed query is due.
    fn next_check_due(&mut self) -> Result<Option<Timestamp>>;
    /// Every notify kept for this attempt, oldest first.
    fn notifies_of(&mut self, attempt_id: i64) -> Result<Vec<NotifyRecord>>;
}
