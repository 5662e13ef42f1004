//! The ports: what the domain needs from persistence. The store crate implements
//! [`Tx`] once per backend; use cases are plain functions over `&mut dyn Tx`, run
//! inside one transaction by [`Store::write`], so a state change, its deadlines and
//! its evidence events commit together or not at all.

use std::future::Future;
use std::sync::Arc;

use crate::clock::Timestamp;
use crate::deadline::{Deadline, NewDeadline};
use crate::error::Result;
use crate::evidence::{ChainedEvent, NewEvent};
use crate::values::{DeadlineId, InviteId, Role, ShopId, ShopName, TokenId, UserId, Username};

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

/// One transaction's worth of persistence primitives. Methods map constraint
/// violations to domain errors (`UsernameTaken`, …); anything else is `Storage`.
pub trait Tx {
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

    // evidence
    /// Queues an event; the store links it into the chain at commit.
    fn append(&mut self, event: NewEvent) -> Result<()>;
    fn events_after(&mut self, seq: i64, limit: usize) -> Result<Vec<ChainedEvent>>;
}

/// Called after a commit that scheduled deadlines, with the earliest due time,
/// so a sleeping scheduler can wake early.
pub type DeadlineHook = Arc<dyn Fn(Timestamp) + Send + Sync>;

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

    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}
