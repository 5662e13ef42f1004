//! The core's [`Tx`] port over any [`Conn`]: one implementation of the SQL both
//! backends share, so the contract suite exercises the same statements twice.

use std::sync::atomic::{AtomicI64, Ordering};

use youying_core::Timestamp;
use youying_core::deadline::{Deadline, DeadlineState, NewDeadline};
use youying_core::error::{Result, StorageError};
use youying_core::evidence::{self, ChainedEvent, NewEvent};
use youying_core::ports::{ReadTx, Tx};
use youying_core::publish::Change;
use youying_core::values::DeadlineId;

use crate::sql::{Conn, Row, Val, map_db_error, params};

/// A transaction in progress. Events wait in `events` until [`SqlTx::finish`]
/// links them into the chain, so the chain head is locked only for the moment
/// before commit.
pub(crate) struct SqlTx<'c, C: Conn> {
    pub(crate) conn: &'c mut C,
    read_only: bool,
    events: Vec<NewEvent>,
    pub(crate) earliest_scheduled: Option<Timestamp>,
    /// Payloads to announce after commit (PostgreSQL: `postgres::announce`).
    pub(crate) published: Vec<String>,
    /// What was queued when each open savepoint began, so rolling one back
    /// also drops the events and announcements made under it.
    savepoints: Vec<(usize, usize, Option<Timestamp>)>,
}

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

    /// Links the queued events into the chain. Called once, just before
    /// commit: all of this transaction's events go, consecutively, into one
    /// free partition, whose head stays locked only until commit. On
    /// PostgreSQL `SKIP LOCKED` passes over heads other writers hold, so no
    /// writer waits on another unless every partition is taken; SQLite's one
    /// writer rotates through them the same way. `seq` comes from the table
    /// (a sequence on PostgreSQL, the rowid on SQLite), drawn while the
    /// partition is held, so within a partition `seq` rises with `pseq`.
    pub(crate) fn finish(mut self) -> Result<Finished> {
        if !self.events.is_empty() {
            let (part, mut pseq, mut hash) = self.take_head()?;
            let events = std::mem::take(&mut self.events);
            for e in &events {
                pseq += 1;
                let linked = evidence::link(0, part, pseq, &hash, e);
                self.exec(
                    "INSERT INTO events (part, pseq, at, actor, kind, subject, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    params![part, pseq, linked.at, linked.actor.map(|a| a.0), linked.kind, linked.subject, linked.payload, linked.prev_hash, &linked.hash],
                )?;
                hash = linked.hash;
            }
            self.exec("UPDATE chain_heads SET pseq = $2, hash = $3 WHERE part = $1", params![part, pseq, hash])?;
        }
        Ok(Finished { earliest: self.earliest_scheduled, published: std::mem::take(&mut self.published) })
    }

    /// Locks a partition head, `(part, pseq, hash)`: the first free one from
    /// a rotating offset; if every one is taken, waits for one.
    fn take_head(&mut self) -> Result<(i64, i64, String)> {
        static TURN: AtomicI64 = AtomicI64::new(0);
        let n = evidence::PARTITIONS;
        // The process id spreads instances; the turn spreads connections.
        let offset = (i64::from(std::process::id()) + TURN.fetch_add(1, Ordering::Relaxed)).rem_euclid(n);
        let skip = self.conn.dialect().skip_locked();
        let free = format!("SELECT part, pseq, hash FROM chain_heads ORDER BY (part + $1) % $2 LIMIT 1{skip}");
        let row = match self.one(&free, params![offset, n])? {
            Some(r) => r,
            None => {
                let lock = self.conn.dialect().for_update();
                let sql = format!("SELECT part, pseq, hash FROM chain_heads WHERE part = $1{lock}");
                self.one(&sql, params![(n - offset) % n])?.ok_or_else(|| StorageError("chain_heads missing".into()))?
            }
        };
        Ok((row.int(0)?, row.int(1)?, row.text(2)?))
    }
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
        // Announced after commit on both backends. On PostgreSQL a NOTIFY inside
        // the transaction would take the database-wide notify lock at commit and
        // hold it through the commit's flush: every notifying commit one at a time.
        self.published.push(change.payload());
        Ok(())
    }

    fn append(&mut self, event: NewEvent) -> Result<()> {
        if self.read_only {
            return Err(StorageError("append in a read-only transaction".into()).into());
        }
        self.events.push(event);
        Ok(())
    }
}

impl<C: Conn> ReadTx for SqlTx<'_, C> {
    fn deadline(&mut self, id: DeadlineId) -> Result<Option<Deadline>> {
        self.one(&format!("SELECT {DEADLINE_COLS} FROM deadlines WHERE id = $1"), params![id.0])?
            .as_ref()
            .map(deadline)
            .transpose()
    }

    fn next_due(&mut self) -> Result<Option<Timestamp>> {
        let row = self.one("SELECT due_at FROM deadlines WHERE state = 'pending' ORDER BY due_at LIMIT 1", &[])?;
        row.map(|r| r.time(0)).transpose()
    }

    fn pending_deadlines(&mut self) -> Result<i64> {
        let row = self.one("SELECT COUNT(*) FROM deadlines WHERE state = 'pending'", &[])?;
        row.map_or(Ok(0), |r| r.int(0))
    }

    fn events_after(&mut self, seq: i64, limit: usize) -> Result<Vec<ChainedEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!("SELECT {} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", crate::anchor::EVENT_COLS);
        self.query(&sql, params![seq, limit])?.iter().map(crate::anchor::event).collect()
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
