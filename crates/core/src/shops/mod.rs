//! Shops and their staff: opening a shop, inviting merchant agents (sub-accounts
//! scoped to one shop), and the invitation's expiry through the deadline engine.

pub mod port;

pub use self::port::{Invite, InviteState, Shop, ShopRead, ShopTx};

use serde_json::json;

use crate::accounts;
use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::clock::Timestamp;
use crate::deadline::model::{Due, NewDeadline};
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::rules;
use crate::values::{InviteId, Role, ShopId, ShopName, Username};

pub fn open(tx: &mut dyn Tx, now: Timestamp, actor: &User, name: &ShopName) -> Result<Shop> {
    authz::open_shop(actor)?;
    let id = tx.insert_shop(name, actor.id, now)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "shop.opened",
        format!("shop:{id}"),
        json!({ "name": name.as_str(), "owner_id": actor.id.0 }),
    ))?;
    tx.shop(id)?.ok_or(Error::NotFound)
}

/// Loads a shop the actor may act on in the given way; others see `NotFound`.
pub fn load(tx: &mut dyn ShopRead, actor: &User, id: ShopId, action: ShopAction) -> Result<Shop> {
    let shop = tx.shop(id)?.ok_or(Error::NotFound)?;
    authz::shop(actor, action, &shop)?;
    Ok(shop)
}

/// Creates a one-time invitation; the raw token goes to the owner, only its hash is kept.
pub fn invite_agent(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    shop_id: ShopId,
    token_hash: &str,
) -> Result<Invite> {
    let shop = load(tx, actor, shop_id, ShopAction::Manage)?;
    let ttl = rules::in_force(tx)?.invite_ttl_secs();
    let expires = now.plus_secs(ttl);
    let id = tx.insert_invite(shop.id, actor.id, token_hash, now, expires)?;
    let deadline =
        tx.schedule(&NewDeadline::new(Due::InviteExpiry { invite_id: id }, format!("invite:{id}"), expires, now))?;
    tx.set_invite_deadline(id, deadline)?;
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "shop.invite_created",
        format!("shop:{}", shop.id),
        json!({ "invite_id": id.0, "expires_at": expires.millis() }),
    ))?;
    tx.invite(id)?.ok_or(Error::NotFound)
}

/// The invitee chooses a username and password; the account works for that shop only.
pub fn accept_invite(
    tx: &mut dyn Tx,
    now: Timestamp,
    token_hash: &str,
    username: &Username,
    password_hash: String,
) -> Result<User> {
    let invite = tx.invite_by_token(token_hash)?.ok_or(Error::NotFound)?;
    if invite.state != InviteState::Pending || invite.expires_at <= now {
        return Err(Error::Conflict(Conflict::InviteNotPending));
    }
    let user = accounts::register(
        tx,
        now,
        username,
        password_hash,
        Role::MerchantAgent,
        Some(invite.shop_id),
        Some(invite.created_by),
    )?;
    tx.set_invite_state(invite.id, InviteState::Accepted, Some(user.id))?;
    if let Some(d) = invite.deadline_id {
        tx.cancel_deadline(d, now)?;
    }
    tx.append(NewEvent::new(
        now,
        Some(user.id),
        "shop.agent_joined",
        format!("shop:{}", invite.shop_id),
        json!({ "invite_id": invite.id.0, "user_id": user.id.0 }),
    ))?;
    Ok(user)
}

pub fn revoke_invite(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: InviteId) -> Result<()> {
    let invite = tx.invite(id)?.ok_or(Error::NotFound)?;
    load(tx, actor, invite.shop_id, ShopAction::Manage)?;
    if invite.state != InviteState::Pending {
        return Err(Error::Conflict(Conflict::InviteNotPending));
    }
    tx.set_invite_state(id, InviteState::Revoked, None)?;
    if let Some(d) = invite.deadline_id {
        tx.cancel_deadline(d, now)?;
    }
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "shop.invite_revoked",
        format!("shop:{}", invite.shop_id),
        json!({ "invite_id": id.0 }),
    ))
}

/// The deadline handler: a still-pending invitation lapses.
pub fn expire_invite(tx: &mut dyn Tx, now: Timestamp, id: InviteId) -> Result<()> {
    let invite = tx.invite(id)?.ok_or(Error::NotFound)?;
    if invite.state != InviteState::Pending {
        return Ok(());
    }
    tx.set_invite_state(id, InviteState::Expired, None)?;
    tx.append(NewEvent::new(
        now,
        None,
        "shop.invite_expired",
        format!("shop:{}", invite.shop_id),
        json!({ "invite_id": id.0 }),
    ))
}

#[cfg(test)]
mod tests;
