//! Account use cases: registration, sign-in bookkeeping, sessions, API tokens,
//! and the rule changes admins make. Password hashing happens outside the core
//! (it is slow on purpose); these functions receive the finished hash.

pub mod admin;
pub mod common;
pub mod guest;
pub mod password;
pub mod port;

pub use self::port::{AccountRead, AccountTx, ApiToken, NewUser, SessionInfo, User};

use std::collections::BTreeMap;

use serde_json::json;

use crate::authz;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::{ReadTx, Tx};
use crate::rules::Rule;
use crate::rules::{self, Rules};
use crate::values::{Email, Role, ShopId, TokenId, Username};

pub fn register(
    tx: &mut dyn Tx,
    now: Timestamp,
    username: &Username,
    password_hash: String,
    role: Role,
    shop_id: Option<ShopId>,
    by: Option<crate::values::UserId>,
) -> Result<User> {
    let id = tx.insert_user(&NewUser { username: username.clone(), role, shop_id, password_hash, created_at: now })?;
    tx.append(NewEvent::new(
        now,
        by.or(Some(id)),
        "user.registered",
        format!("user:{id}"),
        json!({ "username": username.as_str(), "role": role.as_str(), "shop_id": shop_id.map(|s| s.0) }),
    ))?;
    tx.user_by_id(id)?.ok_or(Error::NotFound)
}

/// Refuses a sign-in attempt while (account, address) has too many recent failures.
pub fn check_throttle(tx: &mut dyn ReadTx, now: Timestamp, username_key: &str, ip: &str) -> Result<()> {
    let rules = rules::in_force(tx)?;
    let window = rules.login_window_secs();
    let since = now.plus_secs(-window);
    let failures = tx.login_failures_since(username_key, ip, since)?;
    let max = usize::try_from(rules.login_max_failures()).unwrap_or(usize::MAX);
    if failures.len() >= max {
        // The window reopens when the oldest failure that still counts ages out.
        let oldest = failures.iter().copied().min().unwrap_or(now);
        let reopen = oldest.plus_secs(window);
        let retry_after_secs = (reopen.millis_since(now) + 999).div_euclid(1000).max(1);
        return Err(Error::Throttled { retry_after_secs });
    }
    Ok(())
}

pub fn login_failed(tx: &mut dyn Tx, now: Timestamp, username_key: &str, ip: &str) -> Result<()> {
    tx.record_login_failure(username_key, ip, now)?;
    if let Some(user) = tx.user_by_key(username_key)? {
        tx.append(NewEvent::new(now, None, "auth.login_failed", format!("user:{}", user.id), json!({ "ip": ip })))?;
    }
    Ok(())
}

/// Records a successful sign-in and opens a session for it.
pub fn login_succeeded(
    tx: &mut dyn Tx,
    now: Timestamp,
    user: &User,
    ip: &str,
    session_hash: &str,
    csrf: &str,
) -> Result<Timestamp> {
    let ttl = rules::in_force(tx)?.session_ttl_secs();
    let expires = now.plus_secs(ttl);
    tx.clear_login_failures(&user.username.to_lowercase(), ip)?;
    tx.insert_session(session_hash, user.id, csrf, now, expires)?;
    tx.append(NewEvent::new(now, Some(user.id), "auth.login", format!("user:{}", user.id), json!({ "ip": ip })))?;
    Ok(expires)
}

pub fn logout(tx: &mut dyn Tx, now: Timestamp, user: &User, session_hash: &str) -> Result<()> {
    if tx.delete_session(session_hash)? {
        tx.append(NewEvent::new(now, Some(user.id), "auth.logout", format!("user:{}", user.id), json!({})))?;
    }
    Ok(())
}

pub fn create_api_token(tx: &mut dyn Tx, now: Timestamp, user: &User, name: &str, token_hash: &str) -> Result<TokenId> {
    authz::full_account(user)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Error::Invalid { field: "name", reason: "length_1_60" });
    }
    let id = tx.insert_api_token(user.id, name, token_hash, now)?;
    tx.append(NewEvent::new(
        now,
        Some(user.id),
        "auth.token_created",
        format!("user:{}", user.id),
        json!({ "token_id": id.0, "name": name }),
    ))?;
    Ok(id)
}

pub fn revoke_api_token(tx: &mut dyn Tx, now: Timestamp, user: &User, id: TokenId) -> Result<()> {
    let token = tx.api_token(id)?.ok_or(Error::NotFound)?;
    authz::api_token(user, &token)?;
    if token.revoked_at.is_none() {
        tx.revoke_api_token(id, now)?;
        tx.append(NewEvent::new(
            now,
            Some(user.id),
            "auth.token_revoked",
            format!("user:{}", user.id),
            json!({ "token_id": id.0 }),
        ))?;
    }
    Ok(())
}

/// Sets (or, with `None`, clears) the address the account's notifications are
/// mailed to. A change is an evidence event carrying the masked address only:
/// the chain is kept for years and cannot forget, and a hash would not hide an
/// address (QQ mail addresses are numbers: every one can be hashed and compared).
pub fn set_email(tx: &mut dyn Tx, now: Timestamp, user: &User, email: Option<&Email>) -> Result<Option<String>> {
    let before = tx.user_email(user.id)?;
    let after = email.map(|e| e.as_str().to_owned());
    if before == after {
        return Ok(after);
    }
    tx.set_user_email(user.id, after.as_deref())?;
    tx.append(NewEvent::new(
        now,
        Some(user.id),
        "user.email_changed",
        format!("user:{}", user.id),
        json!({ "email": email.map(Email::masked), "had_email": before.is_some() }),
    ))?;
    Ok(after)
}

/// Applies an admin's rule changes, all or nothing, each one an evidence event.
/// Deadlines already scheduled keep their due times; new ones use the new values.
pub fn change_rules(tx: &mut dyn Tx, now: Timestamp, admin: &User, changes: &BTreeMap<String, i64>) -> Result<Rules> {
    authz::admin(admin)?;
    let checked = rules::validate_changes(changes)?;
    let before = rules::in_force(tx)?;
    for (def, value) in checked {
        let old = before.get(def.rule);
        if old == value {
            continue;
        }
        tx.put_rule(def.name(), value, now, Some(admin.id))?;
        tx.append(NewEvent::new(
            now,
            Some(admin.id),
            "rule.changed",
            format!("rule:{}", def.name()),
            json!({ "name": def.name(), "old": old, "new": value }),
        ))?;
        if def.rule == Rule::DepositMinFen {
            // Every shop's visibility may have changed: the search index re-reads it.
            tx.touch_all_products(now)?;
        }
    }
    rules::in_force(tx)
}
