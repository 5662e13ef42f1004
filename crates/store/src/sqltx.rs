//! The core's [`Tx`] port over any [`Conn`]: one implementation of the SQL both
//! backends share, so the contract suite exercises the same statements twice.

use youying_core::Timestamp;
use youying_core::deadline::{Deadline, DeadlineState, NewDeadline};
use youying_core::error::{Error, Result, StorageError};
use youying_core::evidence::{self, ChainedEvent, NewEvent};
use youying_core::ports::{ApiToken, Invite, InviteState, NewUser, SessionInfo, Shop, Tx, User};
use youying_core::publish::Change;
use youying_core::values::{DeadlineId, InviteId, Role, ShopId, ShopName, TokenId, UserId};

use crate::sql::{Conn, Row, Val, map_db_error, params};

/// A transaction in progress. Events wait in `events` until [`SqlTx::finish`]
/// links them into the chain, so the chain head is locked only for the moment
/// before commit.
pub(crate) struct SqlTx<'c, C: Conn> {
    pub(crate) conn: &'c mut C,
    read_only: bool,
    events: Vec<NewEvent>,
    pub(crate) earliest_scheduled: Option<Timestamp>,
    /// Payloads to announce after commit (SQLite; PostgreSQL notifies in-transaction).
    pub(crate) published: Vec<String>,
    /// What was queued when each open savepoint began, so rolling one back
    /// also drops the events and announcements made under it.
    savepoints: Vec<(usize, usize, Option<Timestamp>)>,
}

const USER_COLS: &str = "id, username, role, shop_id, password_hash, created_at, disabled";

impl<'c, C: Conn> SqlTx<'c, C> {
    pub(crate) fn new(conn: &'c mut C, read_only: bool) -> Self {
        Self {
            conn,
            read_only,
            events: Vec::new(),
            earliest_scheduled: None,
            published: Vec::new(),
            savepoints: Vec::new(),
        }
    }

    /// Locks the rows a read-modify-write reads, except in read-only work.
    pub(crate) fn row_lock(&self) -> &'static str {
        if self.read_only { "" } else { self.conn.dialect().for_update() }
    }

    pub(crate) fn exec(&mut self, sql: &str, p: &[Val]) -> Result<u64> {
        self.conn.exec(sql, p).map_err(map_db_error)
    }

    pub(crate) fn query(&mut self, sql: &str, p: &[Val]) -> Result<Vec<Row>> {
        self.conn.query(sql, p).map_err(map_db_error)
    }

    pub(crate) fn one(&mut self, sql: &str, p: &[Val]) -> Result<Option<Row>> {
        Ok(self.query(sql, p)?.into_iter().next())
    }

    pub(crate) fn insert_id(&mut self, sql: &str, p: &[Val]) -> Result<i64> {
        let row = self.one(sql, p)?.ok_or_else(|| StorageError("insert returned no id".into()))?;
        row.int(0)
    }

    /// Links the queued events into the chain. Called once, just before commit.
    pub(crate) fn finish(mut self) -> Result<Finished> {
        if !self.events.is_empty() {
            let lock = self.conn.dialect().for_update();
            let head = self
                .one(&format!("SELECT seq, hash FROM chain_head WHERE id = 1{lock}"), &[])?
                .ok_or_else(|| StorageError("chain_head missing".into()))?;
            let (mut seq, mut hash) = (head.int(0)?, head.text(1)?);
            let events = std::mem::take(&mut self.events);
            for e in &events {
                seq += 1;
                let linked = evidence::link(seq, &hash, e);
                self.exec(
                    "INSERT INTO events (seq, at, actor, kind, subject, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    params![linked.seq, linked.at, linked.actor.map(|a| a.0), linked.kind, linked.subject, linked.payload, linked.prev_hash, &linked.hash],
                )?;
                hash = linked.hash;
            }
            self.exec("UPDATE chain_head SET seq = $1, hash = $2 WHERE id = 1", params![seq, hash])?;
        }
        Ok(Finished { earliest: self.earliest_scheduled, published: std::mem::take(&mut self.published) })
    }
}

fn user(r: &Row) -> Result<User> {
    Ok(User {
        id: UserId(r.int(0)?),
        username: r.text(1)?,
        role: Role::parse(&r.text(2)?)?,
        shop_id: r.opt_int(3)?.map(ShopId),
        password_hash: r.text(4)?,
        created_at: r.time(5)?,
        disabled: r.int(6)? != 0,
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

const DEADLINE_COLS: &str = "id, kind, subject, due_at, state, fired_at, attempts, payload";

fn deadline(r: &Row) -> Result<Deadline> {
    Ok(Deadline {
        id: DeadlineId(r.int(0)?),
        kind: r.text(1)?,
        subject: r.text(2)?,
        due_at: r.time(3)?,
        state: DeadlineState::parse(&r.text(4)?).ok_or_else(|| StorageError("bad deadline state".into()))?,
        fired_at: r.opt_time(5)?,
        attempts: r.int(6)?,
        payload: serde_json::from_str(&r.text(7)?).map_err(|e| StorageError(format!("deadline payload: {e}")))?,
    })
}

impl<C: Conn> Tx for SqlTx<'_, C> {
    fn insert_user(&mut self, u: &NewUser) -> Result<UserId> {
        self.insert_id(
            "INSERT INTO users (username, username_key, role, shop_id, password_hash, created_at, disabled) VALUES ($1, $2, $3, $4, $5, $6, 0) RETURNING id",
            params![u.username.as_str(), u.username.key(), u.role.as_str(), u.shop_id.map(|s| s.0), &u.password_hash, u.created_at],
        )
        .map(UserId)
    }

    fn user_by_id(&mut self, id: UserId) -> Result<Option<User>> {
        self.one(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"), params![id.0])?.as_ref().map(user).transpose()
    }

    fn user_by_key(&mut self, key: &str) -> Result<Option<User>> {
        self.one(&format!("SELECT {USER_COLS} FROM users WHERE username_key = $1"), params![key])?
            .as_ref()
            .map(user)
            .transpose()
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

    fn session(&mut self, hash: &str, now: Timestamp) -> Result<Option<SessionInfo>> {
        let sql = "SELECT u.id, u.username, u.role, u.shop_id, u.password_hash, u.created_at, u.disabled, s.csrf, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2".to_string();
        match self.one(&sql, params![hash, now])? {
            Some(r) => Ok(Some(SessionInfo { user: user(&r)?, csrf: r.text(7)?, expires_at: r.time(8)? })),
            None => Ok(None),
        }
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

    fn api_token_user(&mut self, hash: &str) -> Result<Option<User>> {
        let sql = "SELECT u.id, u.username, u.role, u.shop_id, u.password_hash, u.created_at, u.disabled \
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

    fn revoke_api_token(&mut self, id: TokenId, at: Timestamp) -> Result<()> {
        self.exec("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL", params![id.0, at])?;
        Ok(())
    }

    fn record_login_failure(&mut self, key: &str, ip: &str, at: Timestamp) -> Result<()> {
        self.exec("INSERT INTO login_failures (username_key, ip, at) VALUES ($1, $2, $3)", params![key, ip, at])?;
        Ok(())
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

    fn clear_login_failures(&mut self, key: &str, ip: &str) -> Result<()> {
        self.exec("DELETE FROM login_failures WHERE username_key = $1 AND ip = $2", params![key, ip])?;
        Ok(())
    }

    fn insert_shop(&mut self, name: &ShopName, owner: UserId, at: Timestamp) -> Result<ShopId> {
        self.insert_id(
            "INSERT INTO shops (name, name_key, owner_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            params![name.as_str(), name.key(), owner.0, at],
        )
        .map(ShopId)
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

    fn set_invite_state(&mut self, id: InviteId, state: InviteState, accepted_by: Option<UserId>) -> Result<()> {
        self.exec(
            "UPDATE invites SET state = $2, accepted_by = $3 WHERE id = $1",
            params![id.0, state.as_str(), accepted_by.map(|u| u.0)],
        )?;
        Ok(())
    }

    fn stored_rules(&mut self) -> Result<Vec<(String, i64)>> {
        self.query("SELECT name, value FROM rules", &[])?.iter().map(|r| Ok((r.text(0)?, r.int(1)?))).collect()
    }

    fn put_rule(&mut self, name: &str, value: i64, at: Timestamp, by: Option<UserId>) -> Result<()> {
        self.exec(
            "INSERT INTO rules (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            params![name, value, at, by.map(|u| u.0)],
        )?;
        Ok(())
    }

    fn schedule(&mut self, d: &NewDeadline) -> Result<DeadlineId> {
        // SQLite keeps deadlines in due order (0006_deadlines_by_due.sql), so
        // ids come from the id index; its single writer makes this race-free.
        let sql = match self.conn.dialect() {
            crate::sql::Dialect::Sqlite => {
                "INSERT INTO deadlines (id, kind, subject, due_at, state, created_at, attempts, payload) \
                 VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM deadlines), $1, $2, $3, 'pending', $4, 0, $5) RETURNING id"
            }
            crate::sql::Dialect::Postgres => {
                "INSERT INTO deadlines (kind, subject, due_at, state, created_at, attempts, payload) \
                 VALUES ($1, $2, $3, 'pending', $4, 0, $5) RETURNING id"
            }
        };
        let id =
            self.insert_id(sql, params![d.kind.as_str(), &d.subject, d.due_at, d.created_at, d.payload.to_string()])?;
        self.earliest_scheduled = Some(self.earliest_scheduled.map_or(d.due_at, |e| e.min(d.due_at)));
        Ok(DeadlineId(id))
    }

    fn cancel_deadline(&mut self, id: DeadlineId, at: Timestamp) -> Result<bool> {
        Ok(self.exec(
            "UPDATE deadlines SET state = 'cancelled', fired_at = $2 WHERE id = $1 AND state = 'pending'",
            params![id.0, at],
        )? == 1)
    }

    fn reschedule(&mut self, id: DeadlineId, due: Timestamp) -> Result<bool> {
        let moved =
            self.exec("UPDATE deadlines SET due_at = $2 WHERE id = $1 AND state = 'pending'", params![id.0, due])? == 1;
        if moved {
            self.earliest_scheduled = Some(self.earliest_scheduled.map_or(due, |e| e.min(due)));
        }
        Ok(moved)
    }

    fn deadline(&mut self, id: DeadlineId) -> Result<Option<Deadline>> {
        self.one(&format!("SELECT {DEADLINE_COLS} FROM deadlines WHERE id = $1"), params![id.0])?
            .as_ref()
            .map(deadline)
            .transpose()
    }

    fn claim_due(&mut self, now: Timestamp, limit: usize) -> Result<Vec<Deadline>> {
        let skip = self.conn.dialect().skip_locked();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {DEADLINE_COLS} FROM deadlines WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT $2{skip}"
        );
        self.query(&sql, params![now, limit])?.iter().map(deadline).collect()
    }

    fn mark_fired(&mut self, id: DeadlineId, at: Timestamp) -> Result<bool> {
        Ok(self.exec(
            "UPDATE deadlines SET state = 'fired', fired_at = $2 WHERE id = $1 AND state = 'pending'",
            params![id.0, at],
        )? == 1)
    }

    fn mark_retry(&mut self, id: DeadlineId, next_due: Timestamp, error: &str) -> Result<()> {
        let error: String = error.chars().take(500).collect();
        self.exec("UPDATE deadlines SET due_at = $2, attempts = attempts + 1, last_error = $3 WHERE id = $1 AND state = 'pending'", params![id.0, next_due, error])?;
        Ok(())
    }

    fn next_due(&mut self) -> Result<Option<Timestamp>> {
        let row = self.one("SELECT due_at FROM deadlines WHERE state = 'pending' ORDER BY due_at LIMIT 1", &[])?;
        row.map(|r| r.time(0)).transpose()
    }

    fn pending_deadlines(&mut self) -> Result<i64> {
        let row = self.one("SELECT COUNT(*) FROM deadlines WHERE state = 'pending'", &[])?;
        row.map_or(Ok(0), |r| r.int(0))
    }

    fn savepoint(&mut self) -> Result<()> {
        self.conn.batch("SAVEPOINT fire").map_err(map_db_error)?;
        self.savepoints.push((self.events.len(), self.published.len(), self.earliest_scheduled));
        Ok(())
    }

    fn rollback_savepoint(&mut self) -> Result<()> {
        self.conn.batch("ROLLBACK TO SAVEPOINT fire").map_err(map_db_error)?;
        if let Some(&(events, published, earliest)) = self.savepoints.last() {
            self.events.truncate(events);
            self.published.truncate(published);
            self.earliest_scheduled = earliest;
        }
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<()> {
        self.conn.batch("RELEASE SAVEPOINT fire").map_err(map_db_error)?;
        self.savepoints.pop();
        Ok(())
    }

    fn publish(&mut self, change: &Change) -> Result<()> {
        let payload = change.payload();
        match self.conn.dialect() {
            // Delivered by PostgreSQL at commit, to every listening instance.
            crate::sql::Dialect::Postgres => {
                self.query("SELECT pg_notify('youying_events', $1)", params![payload])?;
            }
            crate::sql::Dialect::Sqlite => self.published.push(payload),
        }
        Ok(())
    }

    fn append(&mut self, event: NewEvent) -> Result<()> {
        if self.read_only {
            return Err(StorageError("append in a read-only transaction".into()).into());
        }
        self.events.push(event);
        Ok(())
    }

    fn events_after(&mut self, seq: i64, limit: usize) -> Result<Vec<ChainedEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query("SELECT seq, at, actor, kind, subject, payload, prev_hash, hash FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", params![seq, limit])?;
        rows.iter()
            .map(|r| {
                Ok(ChainedEvent {
                    seq: r.int(0)?,
                    at: r.time(1)?,
                    actor: r.opt_int(2)?.map(UserId),
                    kind: r.text(3)?,
                    subject: r.text(4)?,
                    payload: r.text(5)?,
                    prev_hash: r.text(6)?,
                    hash: r.text(7)?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()
    }
}

/// Runs one unit of work on `conn`: begin, `f`, link events, commit; rollback on
/// any error. Returns the result and the earliest deadline the work scheduled.
/// What a finished unit of work leaves for after its commit.
#[derive(Debug, Default)]
pub(crate) struct Finished {
    pub(crate) earliest: Option<Timestamp>,
    pub(crate) published: Vec<String>,
}

pub(crate) fn run<C: Conn, R>(
    conn: &mut C,
    begin: &str,
    read_only: bool,
    f: impl FnOnce(&mut dyn Tx) -> Result<R>,
) -> Result<(R, Finished)> {
    conn.batch(begin).map_err(map_db_error)?;
    let mut tx = SqlTx::new(conn, read_only);
    let outcome = f(&mut tx).and_then(|r| tx.finish().map(|earliest| (r, earliest)));
    match outcome {
        Ok(done) => {
            let end = if read_only { "ROLLBACK" } else { "COMMIT" };
            conn.batch(end).map_err(map_db_error)?;
            Ok(done)
        }
        Err(e) => {
            if let Err(rb) = conn.batch("ROLLBACK") {
                tracing::warn!(error = %rb.message, "rollback failed");
            }
            Err(e)
        }
    }
}

/// Runs one unit of work inside a transaction the caller already opened, under
/// a savepoint: a failure rolls back this unit only. The caller commits; group
/// commit on SQLite runs many units in one transaction this way.
pub(crate) fn run_nested<C: Conn, R>(conn: &mut C, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<(R, Finished)> {
    conn.batch("SAVEPOINT unit").map_err(map_db_error)?;
    let mut tx = SqlTx::new(conn, false);
    let outcome = f(&mut tx).and_then(|r| tx.finish().map(|earliest| (r, earliest)));
    let end =
        if outcome.is_ok() { "RELEASE SAVEPOINT unit" } else { "ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit" };
    conn.batch(end).map_err(map_db_error)?;
    outcome
}
