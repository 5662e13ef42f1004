//! Accounts, shops and the stored rules over any [`Conn`]: the core's
//! `accounts`, `shops` and `rules` ports.

use youying_core::Timestamp;
use youying_core::accounts::{AccountRead, AccountTx, ApiToken, NewUser, SessionInfo, User};
use youying_core::error::{Result, StorageError};
use youying_core::rules::{RulesRead, RulesTx};
use youying_core::shops::{Invite, InviteState, Shop, ShopRead, ShopTx};
use youying_core::values::{DeadlineId, InviteId, Role, ShopId, ShopName, TokenId, UserId, Username};

use crate::sql::{Conn, Row, params};
use crate::sqltx::SqlTx;

const USER_COLS: &str = "id, username, role, shop_id, password_hash, created_at, disabled, guest";

fn user(r: &Row) -> Result<User> {
    Ok(User {
        id: UserId(r.int(0)?),
        username: r.text(1)?,
        role: Role::parse(&r.text(2)?)?,
        shop_id: r.opt_int(3)?.map(ShopId),
        password_hash: r.text(4)?,
        created_at: r.time(5)?,
        disabled: r.int(6)? != 0,
        guest: r.int(7)? != 0,
    })
}

fn shop(r: &Row) -> Result<Shop> {
    Ok(Shop { id: ShopId(r.int(0)?), name: r.text(1)?, owner_id: UserId(r.int(2)?), created_at: r.time(3)? })
}

const INVITE_COLS: &str = "id, shop_id, created_by, state, created_at, expires_at, accepted_by, deadline_id";

fn invite(r: &Row) -> Result<Invite> {
    Ok(Invite {
        id: InviteId(r.int(0)?),
        shop_id: ShopId(r.int(1)?),
        created_by: UserId(r.int(2)?),
        state: InviteState::parse(&r.text(3)?).ok_or_else(|| StorageError("bad invite state".into()))?,
        created_at: r.time(4)?,
        expires_at: r.time(5)?,
        accepted_by: r.opt_int(6)?.map(UserId),
        deadline_id: r.opt_int(7)?.map(DeadlineId),
    })
}

fn token(r: &Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: TokenId(r.int(0)?),
        user_id: UserId(r.int(1)?),
        name: r.text(2)?,
        created_at: r.time(3)?,
        revoked_at: r.opt_time(4)?,
    })
}

impl<C: Conn> AccountRead for SqlTx<'_, C> {
    fn user_by_id(&mut self, id: UserId) -> Result<Option<User>> {
        self.one(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"), params![id.0])?.as_ref().map(user).transpose()
    }

    fn user_by_key(&mut self, key: &str) -> Result<Option<User>> {
        self.one(&format!("SELECT {USER_COLS} FROM users WHERE username_key = $1"), params![key])?
            .as_ref()
            .map(user)
            .transpose()
    }

    fn session(&mut self, hash: &str, now: Timestamp) -> Result<Option<SessionInfo>> {
        let sql = "SELECT u.id, u.username, u.role, u.shop_id, u.password_hash, u.created_at, u.disabled, u.guest, s.csrf, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2".to_string();
        match self.one(&sql, params![hash, now])? {
            Some(r) => Ok(Some(SessionInfo { user: user(&r)?, csrf: r.text(8)?, expires_at: r.time(9)? })),
            None => Ok(None),
        }
    }

    fn api_token_user(&mut self, hash: &str) -> Result<Option<User>> {
        let sql = "SELECT u.id, u.username, u.role, u.shop_id, u.password_hash, u.created_at, u.disabled, u.guest \
                   FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL";
        self.one(sql, params![hash])?.as_ref().map(user).transpose()
    }

    fn api_token(&mut self, id: TokenId) -> Result<Option<ApiToken>> {
        self.one("SELECT id, user_id, name, created_at, revoked_at FROM api_tokens WHERE id = $1", params![id.0])?
            .as_ref()
            .map(token)
            .transpose()
    }

    fn api_tokens_of(&mut self, user: UserId) -> Result<Vec<ApiToken>> {
        self.query(
            "SELECT id, user_id, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
            params![user.0],
        )?
        .iter()
        .map(token)
        .collect()
    }

    fn login_failures_since(&mut self, key: &str, ip: &str, since: Timestamp) -> Result<Vec<Timestamp>> {
        self.query(
            "SELECT at FROM login_failures WHERE username_key = $1 AND ip = $2 AND at > $3",
            params![key, ip, since],
        )?
        .iter()
        .map(|r| r.time(0))
        .collect()
    }

    fn guest_by_contact(&mut self, key: &str) -> Result<Option<User>> {
        let cols = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {cols} FROM guests g JOIN users u ON u.id = g.user_id WHERE g.contact_key = $1 AND u.guest = 1"
        );
        self.one(&sql, params![key])?.as_ref().map(user).transpose()
    }

    fn guest_contact(&mut self, u: UserId) -> Result<Option<String>> {
        self.one("SELECT contact FROM guests WHERE user_id = $1", params![u.0])?.map(|r| r.text(0)).transpose()
    }

    // The admin's directory.
    fn search_users(&mut self, q: &str, offset: usize, limit: usize) -> Result<Vec<User>> {
        let (pattern, id) = directory_query(q);
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE username_key LIKE $1 ESCAPE '\\' OR id = $2 ORDER BY id DESC LIMIT $3 OFFSET $4"
        );
        self.query(&sql, params![pattern, id, as_i64(limit), as_i64(offset)])?.iter().map(user).collect()
    }
}

/// A search box's text as a LIKE pattern (its `%`, `_` and `\` taken literally)
/// and, when it is a number, the id it names (else -1, which no row has).
fn directory_query(q: &str) -> (String, i64) {
    let q = q.trim().to_lowercase();
    let mut pattern = String::with_capacity(q.len() + 2);
    pattern.push('%');
    // A NUL cannot be in a PostgreSQL text (it would be a 500) nor in a name: dropped on both backends.
    for c in q.chars().filter(|c| *c != '\0') {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    (pattern, q.parse().unwrap_or(-1))
}

fn as_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl<C: Conn> AccountTx for SqlTx<'_, C> {
    fn insert_user(&mut self, u: &NewUser) -> Result<UserId> {
        self.insert_id(
            "INSERT INTO users (username, username_key, role, shop_id, password_hash, created_at, disabled) VALUES ($1, $2, $3, $4, $5, $6, 0) RETURNING id",
            params![u.username.as_str(), u.username.key(), u.role.as_str(), u.shop_id.map(|s| s.0), &u.password_hash, u.created_at],
        )
        .map(UserId)
    }

    fn insert_session(
        &mut self,
        hash: &str,
        user: UserId,
        csrf: &str,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            params![hash, user.0, csrf, created, expires],
        )?;
        Ok(())
    }

    fn delete_session(&mut self, hash: &str) -> Result<bool> {
        Ok(self.exec("DELETE FROM sessions WHERE token_hash = $1", params![hash])? > 0)
    }

    fn insert_api_token(&mut self, user: UserId, name: &str, hash: &str, created: Timestamp) -> Result<TokenId> {
        self.insert_id(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            params![user.0, name, hash, created],
        )
        .map(TokenId)
    }

    fn revoke_api_token(&mut self, id: TokenId, at: Timestamp) -> Result<()> {
        self.exec("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", params![id.0, at])?;
        Ok(())
    }

    fn record_login_failure(&mut self, key: &str, ip: &str, at: Timestamp) -> Result<()> {
        self.exec("INSERT INTO login_failures (username_key, ip, at) VALUES ($1, $2, $3)", params![key, ip, at])?;
        Ok(())
    }

    fn clear_login_failures(&mut self, key: &str, ip: &str) -> Result<()> {
        self.exec("DELETE FROM login_failures WHERE username_key = $1 AND ip = $2", params![key, ip])?;
        Ok(())
    }

    fn insert_guest(&mut self, u: UserId, contact: &str, key: &str, at: Timestamp) -> Result<()> {
        self.exec(
            "INSERT INTO guests (user_id, contact, contact_key, created_at) VALUES ($1, $2, $3, $4)",
            params![u.0, contact, key, at],
        )?;
        self.exec("UPDATE users SET guest = 1 WHERE id = $1", params![u.0])?;
        Ok(())
    }

    fn claim_guest(&mut self, u: UserId, name: &Username, hash: &str) -> Result<()> {
        let n = self.exec(
            "UPDATE users SET username = $2, username_key = $3, password_hash = $4, guest = 0 WHERE id = $1 AND guest = 1",
            params![u.0, name.as_str(), name.key(), hash],
        )?;
        if n == 0 {
            return Err(youying_core::Error::Forbidden);
        }
        // The contact is free again: lookups find guests only.
        self.exec("DELETE FROM guests WHERE user_id = $1", params![u.0])?;
        Ok(())
    }

    fn set_password_hash(&mut self, u: UserId, hash: &str) -> Result<()> {
        self.exec("UPDATE users SET password_hash = $2 WHERE id = $1", params![u.0, hash])?;
        Ok(())
    }

    fn delete_sessions_except(&mut self, u: UserId, keep: Option<&str>) -> Result<u64> {
        // No session token hash is empty, so "" keeps none.
        self.exec("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", params![u.0, keep.unwrap_or("")])
    }

    // The admin's freeze.
    fn set_user_disabled(&mut self, u: UserId, disabled: bool) -> Result<()> {
        self.exec("UPDATE users SET disabled = $2 WHERE id = $1", params![u.0, i64::from(disabled)])?;
        Ok(())
    }
}

impl<C: Conn> ShopRead for SqlTx<'_, C> {
    fn search_shops(&mut self, q: &str, offset: usize, limit: usize) -> Result<Vec<Shop>> {
        let (pattern, id) = directory_query(q);
        self.query(
            "SELECT id, name, owner_id, created_at FROM shops WHERE name_key LIKE $1 ESCAPE '\\' OR id = $2 \
             ORDER BY id DESC LIMIT $3 OFFSET $4",
            params![pattern, id, as_i64(limit), as_i64(offset)],
        )?
        .iter()
        .map(shop)
        .collect()
    }

    fn shop(&mut self, id: ShopId) -> Result<Option<Shop>> {
        self.one("SELECT id, name, owner_id, created_at FROM shops WHERE id = $1", params![id.0])?
            .as_ref()
            .map(shop)
            .transpose()
    }

    fn shops_owned_by(&mut self, owner: UserId) -> Result<Vec<Shop>> {
        self.query(
            "SELECT id, name, owner_id, created_at FROM shops WHERE owner_id = $1 ORDER BY id",
            params![owner.0],
        )?
        .iter()
        .map(shop)
        .collect()
    }

    fn shop_agents(&mut self, s: ShopId) -> Result<Vec<User>> {
        self.query(&format!("SELECT {USER_COLS} FROM users WHERE shop_id = $1 ORDER BY id"), params![s.0])?
            .iter()
            .map(user)
            .collect()
    }

    fn invite(&mut self, id: InviteId) -> Result<Option<Invite>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {INVITE_COLS} FROM invites WHERE id = $1{lock}"), params![id.0])?
            .as_ref()
            .map(invite)
            .transpose()
    }

    fn invite_by_token(&mut self, hash: &str) -> Result<Option<Invite>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {INVITE_COLS} FROM invites WHERE token_hash = $1{lock}"), params![hash])?
            .as_ref()
            .map(invite)
            .transpose()
    }

    fn invites_of_shop(&mut self, s: ShopId) -> Result<Vec<Invite>> {
        self.query(&format!("SELECT {INVITE_COLS} FROM invites WHERE shop_id = $1 ORDER BY id DESC"), params![s.0])?
            .iter()
            .map(invite)
            .collect()
    }
}

impl<C: Conn> ShopTx for SqlTx<'_, C> {
    fn insert_shop(&mut self, name: &ShopName, owner: UserId, at: Timestamp) -> Result<ShopId> {
        self.insert_id(
            "INSERT INTO shops (name, name_key, owner_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            params![name.as_str(), name.key(), owner.0, at],
        )
        .map(ShopId)
    }

    fn insert_invite(
        &mut self,
        s: ShopId,
        by: UserId,
        hash: &str,
        created: Timestamp,
        expires: Timestamp,
    ) -> Result<InviteId> {
        self.insert_id(
            "INSERT INTO invites (shop_id, created_by, token_hash, state, created_at, expires_at) VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id",
            params![s.0, by.0, hash, created, expires],
        )
        .map(InviteId)
    }

    fn set_invite_deadline(&mut self, id: InviteId, d: DeadlineId) -> Result<()> {
        self.exec("UPDATE invites SET deadline_id = $2 WHERE id = $1", params![id.0, d.0])?;
        Ok(())
    }

    fn set_invite_state(&mut self, id: InviteId, state: InviteState, accepted_by: Option<UserId>) -> Result<()> {
        self.exec(
            "UPDATE invites SET state = $2, accepted_by = $3 WHERE id = $1",
            params![id.0, state.as_str(), accepted_by.map(|u| u.0)],
        )?;
        Ok(())
    }
}

impl<C: Conn> RulesRead for SqlTx<'_, C> {
    fn stored_rules(&mut self) -> Result<Vec<(String, i64)>> {
        self.query("SELECT name, value FROM rules", &[])?.iter().map(|r| Ok((r.text(0)?, r.int(1)?))).collect()
    }
}

impl<C: Conn> RulesTx for SqlTx<'_, C> {
    fn put_rule(&mut self, name: &str, value: i64, at: Timestamp, by: Option<UserId>) -> Result<()> {
        self.exec(
            "INSERT INTO rules (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            params![name, value, at, by.map(|u| u.0)],
        )?;
        Ok(())
    }
}
