//! 修改密码: a signed-in user replaces their password. The slow parts (checking
//! the current password, hashing the new one) happen before this, outside the
//! transaction; here the hash is stored and every other session ends, so a
//! password someone else learned stops working everywhere at once.

use serde_json::json;

use crate::authz;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::evidence::NewEvent;
use crate::ports::Tx;

use super::User;

/// Stores `new_hash` for `user` and ends their sessions except `keep` (the one
/// the change was made from, if it was made from a session). Returns how many
/// sessions ended. API tokens stay: they are revoked one by one, on purpose.
pub fn change(tx: &mut dyn Tx, now: Timestamp, user: &User, new_hash: &str, keep: Option<&str>) -> Result<u64> {
    // A guest has no password of its own yet: 设置用户名和密码 is its way.
    authz::full_account(user)?;
    tx.set_password_hash(user.id, new_hash)?;
    let ended = tx.delete_sessions_except(user.id, keep)?;
    tx.append(NewEvent::new(
        now,
        Some(user.id),
        "auth.password_changed",
        format!("user:{}", user.id),
        json!({ "other_sessions_ended": ended }),
    ))?;
    Ok(ended)
}
