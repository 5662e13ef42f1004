//! Anchors of the evidence chain and the reads evidence bundles need, in the
//! SQL both backends share.

use youying_core::anchor::{Anchor, AnchorRead, AnchorTx};
use youying_core::error::Result;
use youying_core::evidence::ChainedEvent;
use youying_core::values::UserId;

use crate::sql::{Conn, Row, params};
use crate::sqltx::SqlTx;

const ANCHOR_COLS: &str = "id, from_seq, to_seq, root, prev_hash, hash, at";

fn anchor(r: &Row) -> Result<Anchor> {
    Ok(Anchor {
        id: r.int(0)?,
        from_seq: r.int(1)?,
        to_seq: r.int(2)?,
        root: r.text(3)?,
        prev_hash: r.text(4)?,
        hash: r.text(5)?,
        at: r.time(6)?,
    })
}

fn event(r: &Row) -> Result<ChainedEvent> {
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
}

impl<C: Conn> AnchorTx for SqlTx<'_, C> {
    fn insert_anchor(&mut self, a: &Anchor) -> Result<()> {
        self.exec(
            &format!("INSERT INTO anchors ({ANCHOR_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
            params![a.id, a.from_seq, a.to_seq, &a.root, &a.prev_hash, &a.hash, a.at],
        )?;
        Ok(())
    }
}

impl<C: Conn> AnchorRead for SqlTx<'_, C> {
    fn last_anchor(&mut self) -> Result<Option<Anchor>> {
        let sql = format!("SELECT {ANCHOR_COLS} FROM anchors ORDER BY id DESC LIMIT 1");
        self.one(&sql, &[])?.as_ref().map(anchor).transpose()
    }

    fn anchors_from(&mut self, from_id: i64) -> Result<Vec<Anchor>> {
        let sql = format!("SELECT {ANCHOR_COLS} FROM anchors WHERE id >= $1 ORDER BY id");
        self.query(&sql, params![from_id])?.iter().map(anchor).collect()
    }

    fn anchor_covering(&mut self, seq: i64) -> Result<Option<Anchor>> {
        let sql = format!("SELECT {ANCHOR_COLS} FROM anchors WHERE to_seq >= $1 ORDER BY to_seq LIMIT 1");
        Ok(self.one(&sql, params![seq])?.as_ref().map(anchor).transpose()?.filter(|a| a.from_seq <= seq))
    }

    fn event_hashes(&mut self, from_seq: i64, to_seq: Option<i64>) -> Result<Vec<String>> {
        let rows = self.query(
            "SELECT hash FROM events WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
            params![from_seq, to_seq.unwrap_or(i64::MAX)],
        )?;
        rows.iter().map(|r| r.text(0)).collect()
    }

    fn events_of_subject(&mut self, subject: &str) -> Result<Vec<ChainedEvent>> {
        let rows = self.query(
            "SELECT seq, at, actor, kind, subject, payload, prev_hash, hash FROM events WHERE subject = $1 ORDER BY seq",
            params![subject],
        )?;
        rows.iter().map(event).collect()
    }
}
