//! What shops need from persistence: the shop rows, their agents and invites.

use crate::accounts::port::User;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{DeadlineId, InviteId, ShopId, ShopName, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub owner_id: UserId,
    pub created_at: Timestamp,
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

/// Looking shops and invites up.
pub trait ShopRead {
    fn shop(&mut self, id: ShopId) -> Result<Option<Shop>>;
    /// The admin's directory: shops whose name contains `q` or whose id is
    /// `q`, newest first; an empty `q` lists all.
    fn search_shops(&mut self, q: &str, offset: usize, limit: usize) -> Result<Vec<Shop>>;
    fn shops_owned_by(&mut self, owner: UserId) -> Result<Vec<Shop>>;
    fn shop_agents(&mut self, shop: ShopId) -> Result<Vec<User>>;
    /// Locks the invite in a read-write transaction.
    fn invite(&mut self, id: InviteId) -> Result<Option<Invite>>;
    /// Locks the invite in a read-write transaction.
    fn invite_by_token(&mut self, token_hash: &str) -> Result<Option<Invite>>;
    fn invites_of_shop(&mut self, shop: ShopId) -> Result<Vec<Invite>>;
}

/// Opening shops and moving invites along.
pub trait ShopTx: ShopRead {
    fn insert_shop(&mut self, name: &ShopName, owner: UserId, at: Timestamp) -> Result<ShopId>;
    fn insert_invite(
        &mut self,
        shop: ShopId,
        by: UserId,
        token_hash: &str,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<InviteId>;
    fn set_invite_deadline(&mut self, id: InviteId, deadline: DeadlineId) -> Result<()>;
    fn set_invite_state(&mut self, id: InviteId, state: InviteState, accepted_by: Option<UserId>) -> Result<()>;
}
