//! What accounts need from persistence: users, sessions, API tokens and the
//! sign-in throttle's failures. [`AccountRead`] is the query half a read-only
//! transaction offers; [`AccountTx`] adds the writes.

use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{Role, ShopId, TokenId, UserId, Username};

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
    /// A guest (bought without registering, see `accounts::guest`): no chosen
    /// username or password yet; may not open a shop or withdraw.
    pub guest: bool,
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
            .field("guest", &self.guest)
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

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser").field("username", &self.username).field("role", &self.role).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
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

/// Looking accounts up.
pub trait AccountRead {
    fn user_by_id(&mut self, id: UserId) -> Result<Option<User>>;
    /// Looks a user up by [`Username::key`].
    fn user_by_key(&mut self, username_key: &str) -> Result<Option<User>>;
    fn session(&mut self, token_hash: &str, now: Timestamp) -> Result<Option<SessionInfo>>;
    /// The owner of a live (unrevoked) token.
    fn api_token_user(&mut self, token_hash: &str) -> Result<Option<User>>;
    fn api_token(&mut self, id: TokenId) -> Result<Option<ApiToken>>;
    fn api_tokens_of(&mut self, user: UserId) -> Result<Vec<ApiToken>>;
    fn login_failures_since(&mut self, username_key: &str, ip: &str, since: Timestamp) -> Result<Vec<Timestamp>>;
    /// The guest (still a guest) that gave this contact, by `GuestContact::key`.
    fn guest_by_contact(&mut self, contact_key: &str) -> Result<Option<User>>;
    /// The contact a guest gave, as stored (the caller masks it for display).
    fn guest_contact(&mut self, user: UserId) -> Result<Option<String>>;

    // The admin's directory (users and shops pages).
    /// Users whose name contains `q` (case-insensitive) or whose id is `q`,
    /// newest first; an empty `q` lists everyone.
    fn search_users(&mut self, q: &str, offset: usize, limit: usize) -> Result<Vec<User>>;
}

/// Changing accounts. Methods map constraint violations to domain errors
/// (`UsernameTaken`, …).
pub trait AccountTx: AccountRead {
    fn insert_user(&mut self, user: &NewUser) -> Result<UserId>;
    fn insert_session(
        &mut self,
        token_hash: &str,
        user: UserId,
        csrf: &str,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<()>;
    fn delete_session(&mut self, token_hash: &str) -> Result<bool>;
    fn insert_api_token(&mut self, user: UserId, name: &str, token_hash: &str, created: Timestamp) -> Result<TokenId>;
    fn revoke_api_token(&mut self, id: TokenId, at: Timestamp) -> Result<()>;
    fn record_login_failure(&mut self, username_key: &str, ip: &str, at: Timestamp) -> Result<()>;
    fn clear_login_failures(&mut self, username_key: &str, ip: &str) -> Result<()>;
    /// Marks a new user as a guest with its contact; a contact another guest
    /// holds is `Conflict::Duplicate`.
    fn insert_guest(&mut self, user: UserId, contact: &str, contact_key: &str, at: Timestamp) -> Result<()>;
    /// The guest becomes a normal account: username and password set, the flag
    /// and the contact dropped. A taken username is `UsernameTaken`.
    fn claim_guest(&mut self, user: UserId, username: &Username, password_hash: &str) -> Result<()>;
    /// Replaces a user's password hash.
    fn set_password_hash(&mut self, user: UserId, password_hash: &str) -> Result<()>;
    /// Ends every session of `user` but the one hashed `keep`; returns how many ended.
    fn delete_sessions_except(&mut self, user: UserId, keep: Option<&str>) -> Result<u64>;

    // The admin's freeze (`accounts::admin`).
    fn set_user_disabled(&mut self, user: UserId, disabled: bool) -> Result<()>;
}
