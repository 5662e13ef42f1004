//! The composed ports: what one transaction offers. Each feature declares its
//! own port beside it (`accounts/port.rs`, `chat/port.rs`, `cases/port.rs`, …),
//! split into a query half (`…Read`) and a mutating half (`…Tx`). The store
//! crate implements all of them once per backend; [`Tx`] and [`ReadTx`] only
//! list them, plus what belongs to no feature: deadlines, savepoints, the
//! evidence chain and published changes.
//!
//! Use cases are plain functions over the narrowest port they need — often
//! `&mut dyn Tx`, run inside one transaction by [`Store::write`], so a state
//! change, its deadlines and its evidence events commit together or not at all.

use std::future::Future;
use std::sync::Arc;

use crate::accounts::port::{AccountRead, AccountTx};
use crate::anchor::port::{AnchorRead, AnchorTx};
use crate::apikeys::port::{ApiKeyRead, ApiKeyTx};
use crate::bundle::port::{VerificationRead, VerificationTx};
use crate::cases::port::{CaseRead, CaseTx};
use crate::catalogue::port::{CatalogueRead, CatalogueTx};
use crate::chat::bot::port::{BotRead, BotTx};
use crate::chat::port::{ChatRead, ChatTx};
use crate::clock::Timestamp;
use crate::deadline::heartbeat::{OutageRead, OutageTx};
use crate::deadline::model::{Deadline, NewDeadline};
use crate::enforcement::port::{EnforcementRead, EnforcementTx};
use crate::error::Result;
use crate::evidence::{ChainedEvent, NewEvent};
use crate::faq::port::{FaqRead, FaqTx};
use crate::grades::port::{TrustRead, TrustTx};
use crate::levels::port::{LevelRead, LevelTx};
use crate::mail::{MailRead, MailTx};
use crate::money::port::{LedgerRead, LedgerTx};
use crate::orders::listing::OrderListRead;
use crate::orders::port::{OrderRead, OrderTx};
use crate::outbound::port::{OutboundRead, OutboundTx};
use crate::payments::port::{PaymentRead, PaymentTx};
use crate::publish::Change;
use crate::push::port::{PushRead, PushTx};
use crate::quiz::port::{QuizRead, QuizTx};
use crate::reviews::port::{ReviewRead, ReviewTx};
use crate::rules::port::{RulesRead, RulesTx};
use crate::shops::port::{ShopRead, ShopTx};
use crate::sourcing::port::{SourcingRead, SourcingTx};
use crate::sourcing::relay_port::{RelayRead, RelayTx};
use crate::stock::port::{StockRead, StockTx};
use crate::values::DeadlineId;
use crate::withdrawals::port::{WithdrawalRead, WithdrawalTx};

/// What a read-only transaction offers: every feature's query half, plus
/// deadlines and the evidence chain as they stand.
pub trait ReadTx:
    AccountRead
    + ShopRead
    + RulesRead
    + CatalogueRead
    + StockRead
    + OrderRead
    + LedgerRead
    + ChatRead
    + EnforcementRead
    + MailRead
    + CaseRead
    + BotRead
    + FaqRead
    + ReviewRead
    + AnchorRead
    + TrustRead
    + QuizRead
    + PaymentRead
    + WithdrawalRead
    + LevelRead
    + ApiKeyRead
    + OutboundRead
    + SourcingRead
    + RelayRead
    + OutageRead
    + PushRead
    + OrderListRead
    + VerificationRead
{
    fn deadline(&mut self, id: DeadlineId) -> Result<Option<Deadline>>;
    fn next_due(&mut self) -> Result<Option<Timestamp>>;
    fn pending_deadlines(&mut self) -> Result<i64>;
    /// Events with a global `seq` above `seq`, in `seq` order. On PostgreSQL
    /// `seq` is not commit order: a later page of another transaction may
    /// still gain a lower `seq`, so tail the chain by partition
    /// (`AnchorRead::partition_events`), not with this.
    fn events_after(&mut self, seq: i64, limit: usize) -> Result<Vec<ChainedEvent>>;
}

/// One transaction's worth of persistence primitives: every feature's port.
/// Methods map constraint violations to domain errors (`UsernameTaken`, …);
/// anything else is `Storage`.
pub trait Tx:
    ReadTx
    + AccountTx
    + ShopTx
    + RulesTx
    + CatalogueTx
    + StockTx
    + OrderTx
    + LedgerTx
    + ChatTx
    + EnforcementTx
    + MailTx
    + CaseTx
    + BotTx
    + FaqTx
    + ReviewTx
    + AnchorTx
    + TrustTx
    + QuizTx
    + PaymentTx
    + WithdrawalTx
    + LevelTx
    + ApiKeyTx
    + OutboundTx
    + SourcingTx
    + RelayTx
    + OutageTx
    + PushTx
    + VerificationTx
{
    // deadlines
    fn schedule(&mut self, d: &NewDeadline) -> Result<DeadlineId>;
    /// Pending → cancelled; false when it was no longer pending.
    fn cancel_deadline(&mut self, id: DeadlineId, at: Timestamp) -> Result<bool>;
    /// Moves a pending deadline; false when it was no longer pending.
    fn reschedule(&mut self, id: DeadlineId, due: Timestamp) -> Result<bool>;
    /// Pending deadlines due at `now`, earliest first, locked for this
    /// transaction; rows another instance holds are skipped, not waited for.
    fn claim_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<Deadline>>;
    /// Pending → fired; false when it was no longer pending.
    fn mark_fired(&mut self, id: DeadlineId, at: Timestamp) -> Result<bool>;
    fn mark_retry(&mut self, id: DeadlineId, next_due: Timestamp, error: &str) -> Result<()>;

    fn savepoint(&mut self) -> Result<()>;
    fn rollback_savepoint(&mut self) -> Result<()>;
    fn release_savepoint(&mut self) -> Result<()>;

    /// Announces a change to every instance's live connections, once the
    /// transaction commits (never if it rolls back). Keep payloads small: ids.
    fn publish(&mut self, change: &Change) -> Result<()>;

    /// Queues an evidence event; the store links it into the chain at commit.
    fn append(&mut self, event: NewEvent) -> Result<()>;
}

/// Called after a commit that scheduled deadlines, with the earliest due time,
/// so a sleeping scheduler can wake early.
pub type DeadlineHook = Arc<dyn Fn(Timestamp) + Send + Sync>;

/// Called with each published payload after its transaction committed — on
/// PostgreSQL for every instance's commits, through LISTEN/NOTIFY.
pub type PublishHook = Arc<dyn Fn(String) + Send + Sync>;

/// Runs units of work. Chosen once at startup from the database URL.
pub trait Store: Clone + Send + Sync + 'static {
    /// Runs `f` in one read-write transaction; commits when it returns `Ok`.
    fn write<R, F>(&self, f: F) -> impl Future<Output = Result<R>> + Send
    where
        F: FnOnce(&mut dyn Tx) -> Result<R> + Send + 'static,
        R: Send + 'static;

    /// Runs `f` on a read-only snapshot; never blocks writers.
    fn read<R, F>(&self, f: F) -> impl Future<Output = Result<R>> + Send
    where
        F: FnOnce(&mut dyn ReadTx) -> Result<R> + Send + 'static,
        R: Send + 'static;

    fn on_deadline_scheduled(&self, hook: DeadlineHook);

    fn on_publish(&self, hook: PublishHook);

    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}
