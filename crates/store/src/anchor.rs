//! Anchors of the evidence chain, its partitions' heads, and the reads
//! evidence bundles need, in the SQL both backends share.

use std::collections::HashMap;

use youying_core::anchor::{Anchor, AnchorRead, AnchorTx, Head, Range};
use youying_core::error::Result;
use youying_core::evidence::ChainedEvent;
use youying_core::values::UserId;

use crate::sql::{Conn, Dialect, Row, params};
use crate::sqltx::SqlTx;

const ANCHOR_COLS: &str = "id, from_seq, to_seq, root, prev_hash, hash, at, form";
/// The columns [`event`] reads, in order.
pub(crate) const EVENT_COLS: &str = "seq, part, pseq, at, actor, kind, subject, payload, prev_hash, hash";
/// Anchors that take turns across instances (`pg_advisory_xact_lock`).
const ANCHOR_LOCK: i64 = 727_031;

fn anchor(r: &Row) -> Result<(Anchor, bool)> {
    let a = Anchor {
        id: r.int(0)?,
        from_seq: r.int(1)?,
        to_seq: r.int(2)?,
        root: r.text(3)?,
        prev_hash: r.text(4)?,
        hash: r.text(5)?,
        at: r.time(6)?,
        ranges: Vec::new(),
    };
    Ok((a, r.int(7)? == 2))
}

pub(crate) fn event(r: &Row) -> Result<ChainedEvent> {
    Ok(ChainedEvent {
        seq: r.int(0)?,
        part: r.int(1)?,
        pseq: r.int(2)?,
        at: r.time(3)?,
        actor: r.opt_int(4)?.map(UserId),
        kind: r.text(5)?,
        subject: r.text(6)?,
        payload: r.text(7)?,
        prev_hash: r.text(8)?,
        hash: r.text(9)?,
    })
}

impl<C: Conn> SqlTx<'_, C> {
    /// Anchor rows from `sql` with their ranges (anchors of the single chain have none).
    fn anchors_where(&mut self, cond: &str, p: &[crate::sql::Val]) -> Result<Vec<Anchor>> {
        let rows = self.query(&format!("SELECT {ANCHOR_COLS} FROM anchors {cond}"), p)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let (mut a, ranged) = anchor(r)?;
            if ranged {
                let ranges = self.query(
                    "SELECT part, from_pseq, to_pseq, head FROM anchor_ranges WHERE anchor_id = $1 ORDER BY part",
                    params![a.id],
                )?;
                a.ranges = ranges
                    .iter()
                    .map(|r| Ok(Range { part: r.int(0)?, from_pseq: r.int(1)?, to_pseq: r.int(2)?, head: r.text(3)? }))
                    .collect::<Result<_>>()?;
            }
            out.push(a);
        }
        Ok(out)
    }
}

impl<C: Conn> AnchorTx for SqlTx<'_, C> {
    fn lock_anchoring(&mut self) -> Result<()> {
        if self.conn.dialect() == Dialect::Postgres {
            self.query("SELECT pg_advisory_xact_lock($1)", params![ANCHOR_LOCK])?;
        }
        Ok(())
    }

    fn insert_anchor(&mut self, a: &Anchor) -> Result<()> {
        let form: i64 = if a.ranges.is_empty() { 1 } else { 2 };
        self.exec(
            &format!("INSERT INTO anchors ({ANCHOR_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
            params![a.id, a.from_seq, a.to_seq, &a.root, &a.prev_hash, &a.hash, a.at, form],
        )?;
        let spans = if a.ranges.is_empty() {
            vec![Range { part: 0, from_pseq: a.from_seq, to_pseq: a.to_seq, head: String::new() }]
        } else {
            a.ranges.clone()
        };
        for r in &spans {
            self.exec(
                "INSERT INTO anchor_ranges (anchor_id, part, from_pseq, to_pseq, head) VALUES ($1, $2, $3, $4, $5)",
                params![a.id, r.part, r.from_pseq, r.to_pseq, &r.head],
            )?;
        }
        Ok(())
    }
}

impl<C: Conn> AnchorRead for SqlTx<'_, C> {
    fn last_anchor(&mut self) -> Result<Option<Anchor>> {
        Ok(self.anchors_where("ORDER BY id DESC LIMIT 1", &[])?.pop())
    }

    fn anchors_from(&mut self, from_id: i64) -> Result<Vec<Anchor>> {
        self.anchors_where("WHERE id >= $1 ORDER BY id", params![from_id])
    }

    fn anchor_covering(&mut self, part: i64, pseq: i64) -> Result<Option<Anchor>> {
        let row = self.one(
            "SELECT anchor_id, from_pseq FROM anchor_ranges WHERE part = $1 AND to_pseq >= $2 ORDER BY to_pseq LIMIT 1",
            params![part, pseq],
        )?;
        match row {
            Some(r) if r.int(1)? <= pseq => Ok(self.anchors_where("WHERE id = $1", params![r.int(0)?])?.pop()),
            _ => Ok(None),
        }
    }

    fn event_hashes(&mut self, part: i64, from_pseq: i64, to_pseq: i64) -> Result<Vec<(i64, String)>> {
        let rows = self.query(
            "SELECT seq, hash FROM events WHERE part = $1 AND pseq >= $2 AND pseq <= $3 ORDER BY pseq",
            params![part, from_pseq, to_pseq],
        )?;
        rows.iter().map(|r| Ok((r.int(0)?, r.text(1)?))).collect()
    }

    fn partition_events(&mut self, part: i64, after_pseq: i64, limit: usize) -> Result<Vec<ChainedEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE part = $1 AND pseq > $2 ORDER BY pseq LIMIT $3");
        self.query(&sql, params![part, after_pseq, limit])?.iter().map(event).collect()
    }

    fn chain_heads(&mut self) -> Result<Vec<Head>> {
        let rows = self.query("SELECT part, pseq, hash FROM chain_heads ORDER BY part", &[])?;
        rows.iter().map(|r| Ok(Head { part: r.int(0)?, pseq: r.int(1)?, hash: r.text(2)? })).collect()
    }

    fn anchored_ends(&mut self) -> Result<Vec<(i64, i64)>> {
        let rows = self.query("SELECT part, MAX(to_pseq) FROM anchor_ranges GROUP BY part", &[])?;
        let ends: HashMap<i64, i64> = rows.iter().map(|r| Ok((r.int(0)?, r.int(1)?))).collect::<Result<_>>()?;
        Ok(ends.into_iter().collect())
    }

    fn events_of_subject(&mut self, subject: &str) -> Result<Vec<ChainedEvent>> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE subject = $1 ORDER BY seq");
        self.query(&sql, params![subject])?.iter().map(event).collect()
    }
}
