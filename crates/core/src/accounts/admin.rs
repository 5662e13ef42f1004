//! What an admin does to an account: freeze it (signed out at once, sign-in
//! refused) and unfreeze it, always with a written reason that is kept as an
//! evidence event on the user (`user.frozen` / `user.unfrozen`), so the user's
//! history says who did it, when and why.

use serde_json::json;

use super::port::User;
use crate::authz;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::values::{Role, UserId};

/// The longest reason kept; as long as a wallet credit's.
pub const REASON_MAX: usize = 200;

/// A reason an admin must give: 1–200 characters once trimmed.
pub fn reason(raw: &str) -> Result<&str> {
    let r = raw.trim();
    if r.is_empty() || r.chars().count() > REASON_MAX {
        return Err(Error::Invalid { field: "reason", reason: "length_1_200" });
    }
    Ok(r)
}

/// The event kinds a user's page lists as its history.
pub const HISTORY_KINDS: &[&str] = &["user.registered", "user.frozen", "user.unfrozen", "wallet.credited"];

/// Freezes (`frozen = true`) or unfreezes an account. Freezing ends every
/// session of the account in the same transaction; its API tokens stop
/// working because every lookup skips disabled users. An admin cannot freeze
/// themself or another admin (the platform would lose its last key holder).
/// Setting the state it already has changes nothing and records nothing.
pub fn set_frozen(
    tx: &mut dyn Tx,
    now: Timestamp,
    admin: &User,
    target: UserId,
    frozen: bool,
    why: &str,
) -> Result<User> {
    authz::admin(admin)?;
    let why = reason(why)?;
    let user = tx.user_by_id(target)?.ok_or(Error::NotFound)?;
    if frozen && (user.role == Role::Admin || user.id == admin.id) {
        return Err(Error::Forbidden);
    }
    if user.disabled == frozen {
        return Ok(user);
    }
    tx.set_user_disabled(target, frozen)?;
    let ended = if frozen { tx.delete_sessions_except(target, None)? } else { 0 };
    let kind = if frozen { "user.frozen" } else { "user.unfrozen" };
    tx.append(NewEvent::new(
        now,
        Some(admin.id),
        kind,
        format!("user:{target}"),
        json!({ "reason": why, "sessions_ended": ended }),
    ))?;
    tx.user_by_id(target)?.ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_and_bounded() {
        assert!(reason("  ").is_err());
        assert_eq!(reason(" 刷单 ").unwrap(), "刷单");
        assert!(reason(&"字".repeat(200)).is_ok());
        assert!(reason(&"字".repeat(201)).is_err());
    }
}
