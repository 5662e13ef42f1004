//! The ports: what the domain needs from persistence. The store crate implements
//! [`Tx`] once per backend; use cases are plain functions over `&mut dyn Tx`, run
//! inside one transaction by [`Store::write`], so a state change, its deadlines and
//! its evidence events commit together or not at all.

use std::future::Future;
use std::sync::Arc;

use crate::catalogue::ProductSpec;
use crate::chat::{Conversation, Message, NewImage, NewMessage, Side, StoredImage, Unread};
use crate::clock::Timestamp;
use crate::deadline::{Deadline, NewDeadline};
use crate::enforcement::{BreachKind, NewPenalty, Party, Penalty};
use crate::error::Result;
use crate::evidence::{ChainedEvent, NewEvent};
use crate::money::{Account, Entry};
use crate::orders::{NewOrder, Order, StatementLine};
use crate::publish::Change;
use crate::stock::SealedUnit;
use crate::values::{
    ConversationId, DeadlineId, InviteId, OrderId, ProductId, Role, ShopId, ShopName, TokenId, UserId, Username,
};

pub use crate::cases::port::{CaseTx, NewCase};
pub use crate::chat::bot::BotTx;
pub use crate::faq::FaqTx;
pub use crate::mail::{MailSource, MailTx, NewMail, OutboxMail};
pub use crate::reviews::port::{NewReview, ReviewTx};

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    /// For a merchant agent, the one shop the account works for.
    pub shop_id: Option<ShopId>,
    pub password_hash: String,
    pub created_at: Timestamp,
    pub disabled: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("shop_id", &self.shop_id)
            .field("password_hash", &"***")
            .field("disabled", &self.disabled)
            .finish()
    }
}

#[derive(Clone)]
pub struct NewUser {
    pub username: Username,
    pub role: Role,
    pub shop_id: Option<ShopId>,
    pub password_hash: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub owner_id: UserId,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteState {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

impl InviteState {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteState::Pending => "pending",
            InviteState::Accepted => "accepted",
            InviteState::Expired => "expired",
            InviteState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => InviteState::Pending,
            "accepted" => InviteState::Accepted,
            "expired" => InviteState::Expired,
            "revoked" => InviteState::Revoked,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: InviteId,
    pub shop_id: ShopId,
    pub created_by: UserId,
    pub state: InviteState,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub accepted_by: Option<UserId>,
    pub deadline_id: Option<DeadlineId>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser").field("username", &self.username).field("role", &self.role).finish_non_exhaustive()
    }
}

/// A signed-in session as looked up by its token.
#[derive(Clone)]
pub struct SessionInfo {
    pub user: User,
    pub csrf: String,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionInfo")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub shop_id: ShopId,
    pub spec: ProductSpec,
    pub on_sale: bool,
    /// Search and listing order; penalties lower it.
    pub rank: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

/// A unit taken from stock for an order: still sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimedUnit {
    pub fingerprint: String,
    pub code_enc: String,
    pub secret_enc: Option<String>,
}

impl std::fmt::Debug for ClaimedUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClaimedUnit(***)")
    }
}

/// What the ledger auditor found; all empty / equal means sound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerAudit {
    /// Entries whose postings do not sum to zero.
    pub unbalanced_entries: Vec<i64>,
    /// Accounts whose stored balance differs from the sum of their postings.
    pub drifted_accounts: Vec<String>,
    /// Accounts below zero that may not be.
    pub negative_accounts: Vec<String>,
    /// The escrow account's balance, and what open orders say they hold.
    pub escrow_balance: i64,
    pub escrow_held_by_orders: i64,
    /// Sold units not attached to exactly one order.
    pub orphan_units: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub id: i64,
    pub shop_id: ShopId,
    pub kind: BreachKind,
    pub subject: String,
    pub at: Timestamp,
    pub detail: String,
    /// The merchant's breach, or the platform's own.
    pub party: Party,
}

/// The marketplace's persistence primitives: catalogue, stock, orders, ledger.
/// A supertrait of [`Tx`], so use cases over `&mut dyn Tx` reach them too.
pub trait MarketTx {
    // catalogue
    fn insert_product(&mut self, shop: ShopId, spec: &ProductSpec, on_sale: bool, at: Timestamp) -> Result<ProductId>;
    /// Replaces a product's listing if its version is still `expected_version`.
    fn update_product(&mut self, p: &Product, expected_version: i64) -> Result<bool>;
    fn product(&mut self, id: ProductId) -> Result<Option<Product>>;
    fn products_of_shop(&mut self, shop: ShopId) -> Result<Vec<Product>>;
    /// Products changed after `after` (ms), oldest change first: the search index follows these.
    fn products_changed_since(&mut self, after: Timestamp, limit: usize) -> Result<Vec<Product>>;
    fn stock_count(&mut self, product: ProductId) -> Result<i64>;

    // stock
    /// Which of `fingerprints` this shop already holds or has sold.
    fn existing_fingerprints(&mut self, shop: ShopId, fingerprints: &[String]) -> Result<Vec<String>>;
    fn insert_units(&mut self, shop: ShopId, product: ProductId, units: &[SealedUnit], at: Timestamp) -> Result<()>;
    /// Takes up to `n` unsold units out of stock, skipping ones another transaction holds.
    fn claim_units(&mut self, product: ProductId, n: i64) -> Result<Vec<ClaimedUnit>>;
    fn withdraw_units(&mut self, product: ProductId, limit: i64) -> Result<i64>;

    // orders
    fn insert_order(&mut self, order: &NewOrder) -> Result<OrderId>;
    fn insert_order_units(&mut self, order: OrderId, shop: ShopId, units: &[ClaimedUnit]) -> Result<()>;
    fn order_units(&mut self, order: OrderId) -> Result<Vec<ClaimedUnit>>;
    /// Locks the order for the rest of the transaction.
    fn order(&mut self, id: OrderId) -> Result<Option<Order>>;
    fn order_by_no(&mut self, no: &str) -> Result<Option<Order>>;
    fn update_order(&mut self, order: &Order) -> Result<()>;
    fn orders_of_buyer(&mut self, buyer: UserId, limit: usize) -> Result<Vec<Order>>;
    fn orders_of_shop(&mut self, shop: ShopId, limit: usize) -> Result<Vec<Order>>;
    /// `(request_hash, order)` stored under a buyer's idempotency key.
    fn idempotency(&mut self, user: UserId, key: &str) -> Result<Option<(String, Option<OrderId>)>>;
    fn put_idempotency(
        &mut self,
        user: UserId,
        key: &str,
        request_hash: &str,
        order: Option<OrderId>,
        at: Timestamp,
    ) -> Result<()>;

    // ledger
    /// Applies a balanced entry; `InsufficientFunds` if an account would go below zero.
    fn post(&mut self, entry: &Entry, at: Timestamp) -> Result<()>;
    fn balance(&mut self, account: Account) -> Result<i64>;
    fn statement(&mut self, account: Account, limit: usize) -> Result<Vec<StatementLine>>;
    fn ledger_audit(&mut self) -> Result<LedgerAudit>;
    fn insert_breach(
        &mut self,
        shop: ShopId,
        kind: BreachKind,
        subject: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<i64>;
    fn breaches(&mut self, shop: Option<ShopId>, limit: usize) -> Result<Vec<Breach>>;
}

/// Conversations, messages, reply measurements and notifications.
pub trait ChatTx {
    fn insert_conversation(&mut self, buyer: UserId, shop: ShopId, at: Timestamp) -> Result<ConversationId>;
    /// Locks the conversation for the rest of the transaction.
    fn conversation(&mut self, id: ConversationId) -> Result<Option<Conversation>>;
    fn conversation_of(&mut self, buyer: UserId, shop: ShopId) -> Result<Option<Conversation>>;
    fn set_conversation_context(
        &mut self,
        id: ConversationId,
        order: Option<OrderId>,
        product: Option<ProductId>,
    ) -> Result<()>;
    fn update_conversation(&mut self, c: &Conversation) -> Result<()>;
    fn conversations_of_buyer(&mut self, buyer: UserId, limit: usize) -> Result<Vec<Conversation>>;
    /// A shop's conversations, those awaiting an answer first, earliest deadline first.
    fn conversations_of_shop(&mut self, shop: ShopId, limit: usize) -> Result<Vec<Conversation>>;
    /// The platform's queue: conversations it owns, earliest deadline first.
    fn platform_queue(&mut self, limit: usize) -> Result<Vec<Conversation>>;
    fn insert_message(&mut self, m: &NewMessage) -> Result<i64>;
    fn messages_after(&mut self, c: ConversationId, after: i64, limit: usize) -> Result<Vec<Message>>;
    /// Cancels every pending deadline about `subject`; returns how many.
    fn cancel_deadlines_of(&mut self, subject: &str, at: Timestamp) -> Result<u64>;
    #[allow(clippy::too_many_arguments)]
    fn insert_reply_measure(
        &mut self,
        c: ConversationId,
        shop: ShopId,
        side: &str,
        asked: Timestamp,
        answered: Timestamp,
        by: UserId,
        in_time: bool,
    ) -> Result<()>;
    fn insert_platform_breach(
        &mut self,
        shop: ShopId,
        kind: BreachKind,
        subject: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<i64>;
    /// An in-app notice for a shop's team (`audience` = `shop`) or the platform's.
    fn insert_notification(
        &mut self,
        shop: ShopId,
        audience: &str,
        kind: &str,
        subject: &str,
        body: &str,
        at: Timestamp,
    ) -> Result<i64>;
    /// Opens a duty interval unless one is open; true when it opened one.
    fn start_duty(&mut self, agent: UserId, at: Timestamp) -> Result<bool>;
    /// Closes the agent's open duty interval; true when there was one.
    fn end_duty(&mut self, agent: UserId, at: Timestamp) -> Result<bool>;
    /// Duty intervals overlapping `[from, to)`: (start, end or still open).
    fn duty_intervals(&mut self, from: Timestamp, to: Timestamp) -> Result<Vec<(Timestamp, Option<Timestamp>)>>;
    fn on_duty_now(&mut self) -> Result<Vec<UserId>>;
    /// Recent notices for a shop's team (`audience` = `shop`) or the platform.
    fn notifications(&mut self, shop: Option<ShopId>, audience: &str, limit: usize) -> Result<Vec<Notice>>;
    fn message(&mut self, c: ConversationId, id: i64) -> Result<Option<Message>>;
    fn insert_image(&mut self, image: &NewImage) -> Result<i64>;
    /// A picture of conversation `c`; `None` when it belongs to another one.
    fn image(&mut self, c: ConversationId, id: i64) -> Result<Option<StoredImage>>;
    /// Moves `side`'s read position to `message_id` if that is further; true when it moved.
    fn advance_read(&mut self, c: ConversationId, side: Side, message_id: i64) -> Result<bool>;
    /// Buyer messages past each team's read position.
    fn unread(&mut self, c: &Conversation) -> Result<Unread>;
}

/// Penalties and the facts the ladder reads: the shop's own breaches in a window.
pub trait EnforcementTx {
    /// Locks the shop row: breaches of one shop are counted one at a time.
    fn lock_shop(&mut self, shop: ShopId) -> Result<()>;
    /// The shop's own breaches (not the platform's) after `since`, oldest first.
    fn shop_breaches_since(&mut self, shop: ShopId, since: Timestamp) -> Result<Vec<Breach>>;
    fn insert_penalty(&mut self, p: &NewPenalty) -> Result<i64>;
    /// Locks the penalty for the rest of the transaction.
    fn penalty(&mut self, id: i64) -> Result<Option<Penalty>>;
    /// Saves state, deadline, end and lift fields.
    fn update_penalty(&mut self, p: &Penalty) -> Result<()>;
    /// Newest first; one shop's or every shop's.
    fn penalties(&mut self, shop: Option<ShopId>, limit: usize) -> Result<Vec<Penalty>>;
    fn active_penalties(&mut self, shop: ShopId) -> Result<Vec<Penalty>>;
    /// Marks a shop's products changed, so the search index re-reads their visibility.
    fn touch_shop_products(&mut self, shop: ShopId, at: Timestamp) -> Result<u64>;
    fn touch_all_products(&mut self, at: Timestamp) -> Result<u64>;
}

/// An in-app notice: (id, kind, subject, body, at).
pub type Notice = (i64, String, String, String, Timestamp);

/// One transaction's worth of persistence primitives. Methods map constraint
/// violations to domain errors (`UsernameTaken`, …); anything else is `Storage`.
pub trait Tx:
    MarketTx
    + ChatTx
    + MailTx
    + CaseTx
    + EnforcementTx
    + BotTx
    + FaqTx
    + ReviewTx
    + crate::anchor::AnchorTx
    + crate::grades::port::TrustTx
    + crate::quiz::QuizTx
{
    // accounts
    fn insert_user(&mut self, user: &NewUser) -> Result<UserId>;
    fn user_by_id(&mut self, id: UserId) -> Result<Option<User>>;
    /// Looks a user up by [`Username::key`].
    fn user_by_key(&mut self, username_key: &str) -> Result<Option<User>>;
    fn insert_session(
        &mut self,
        token_hash: &str,
        user: UserId,
        csrf: &str,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<()>;
    fn session(&mut self, token_hash: &str, now: Timestamp) -> Result<Option<SessionInfo>>;
    fn delete_session(&mut self, token_hash: &str) -> Result<bool>;
    fn insert_api_token(&mut self, user: UserId, name: &str, token_hash: &str, created: Timestamp) -> Result<TokenId>;
    /// The owner of a live (unrevoked) token.
    fn api_token_user(&mut self, token_hash: &str) -> Result<Option<User>>;
    fn api_token(&mut self, id: TokenId) -> Result<Option<ApiToken>>;
    fn api_tokens_of(&mut self, user: UserId) -> Result<Vec<ApiToken>>;
    fn revoke_api_token(&mut self, id: TokenId, at: Timestamp) -> Result<()>;
    fn record_login_failure(&mut self, username_key: &str, ip: &str, at: Timestamp) -> Result<()>;
    fn login_failures_since(&mut self, username_key: &str, ip: &str, since: Timestamp) -> Result<Vec<Timestamp>>;
    fn clear_login_failures(&mut self, username_key: &str, ip: &str) -> Result<()>;

    // shops
    fn insert_shop(&mut self, name: &ShopName, owner: UserId, at: Timestamp) -> Result<ShopId>;
    fn shop(&mut self, id: ShopId) -> Result<Option<Shop>>;
    fn shops_owned_by(&mut self, owner: UserId) -> Result<Vec<Shop>>;
    fn shop_agents(&mut self, shop: ShopId) -> Result<Vec<User>>;
    fn insert_invite(
        &mut self,
        shop: ShopId,
        by: UserId,
        token_hash: &str,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<InviteId>;
    fn set_invite_deadline(&mut self, id: InviteId, deadline: DeadlineId) -> Result<()>;
    fn invite(&mut self, id: InviteId) -> Result<Option<Invite>>;
    fn invite_by_token(&mut self, token_hash: &str) -> Result<Option<Invite>>;
    fn invites_of_shop(&mut self, shop: ShopId) -> Result<Vec<Invite>>;
    fn set_invite_state(&mut self, id: InviteId, state: InviteState, accepted_by: Option<UserId>) -> Result<()>;

    // rules
    fn stored_rules(&mut self) -> Result<Vec<(String, i64)>>;
    fn put_rule(&mut self, name: &str, value: i64, at: Timestamp, by: Option<UserId>) -> Result<()>;

    // deadlines
    fn schedule(&mut self, d: &NewDeadline) -> Result<DeadlineId>;
    /// Pending → cancelled; false when it was no longer pending.
    fn cancel_deadline(&mut self, id: DeadlineId, at: Timestamp) -> Result<bool>;
    /// Moves a pending deadline; false when it was no longer pending.
    fn reschedule(&mut self, id: DeadlineId, due: Timestamp) -> Result<bool>;
    fn deadline(&mut self, id: DeadlineId) -> Result<Option<Deadline>>;
    /// Pending deadlines due at `now`, earliest first, locked for this
    /// transaction; rows another instance holds are skipped, not waited for.
    fn claim_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<Deadline>>;
    /// Pending → fired; false when it was no longer pending.
    fn mark_fired(&mut self, id: DeadlineId, at: Timestamp) -> Result<bool>;
    fn mark_retry(&mut self, id: DeadlineId, next_due: Timestamp, error: &str) -> Result<()>;
    fn next_due(&mut self) -> Result<Option<Timestamp>>;
    fn pending_deadlines(&mut self) -> Result<i64>;
    fn savepoint(&mut self) -> Result<()>;
    fn rollback_savepoint(&mut self) -> Result<()>;
    fn release_savepoint(&mut self) -> Result<()>;

    /// Announces a change to every instance's live connections, once the
    /// transaction commits (never if it rolls back). Keep payloads small: ids.
    fn publish(&mut self, change: &Change) -> Result<()>;

    // evidence
    /// Queues an event; the store links it into the chain at commit.
    fn append(&mut self, event: NewEvent) -> Result<()>;
    fn events_after(&mut self, seq: i64, limit: usize) -> Result<Vec<ChainedEvent>>;
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
        F: FnOnce(&mut dyn Tx) -> Result<R> + Send + 'static,
        R: Send + 'static;

    fn on_deadline_scheduled(&self, hook: DeadlineHook);

    fn on_publish(&self, hook: PublishHook);

    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}
