//! The heartbeat and the outages read from its gaps (`0024_outages.sql`).

use youying_core::Timestamp;
use youying_core::deadline::heartbeat::{Outage, OutageRead, OutageTx};
use youying_core::error::Result;
use youying_core::values::CaseId;

use crate::sql::{Conn, params};
use crate::sqltx::SqlTx;

impl<C: Conn> OutageRead for SqlTx<'_, C> {
    fn last_beat(&mut self) -> Result<Option<Timestamp>> {
        match self.one("SELECT beat_at FROM platform_heartbeat WHERE id = 1", &[])? {
            Some(r) => r.opt_time(0),
            None => Ok(None),
        }
    }

    fn outages_since(&mut self, since: Timestamp) -> Result<Vec<Outage>> {
        let rows = self
            .query("SELECT id, from_at, to_at FROM outages WHERE to_at >= $1 ORDER BY from_at, id", params![since])?;
        rows.iter().map(|r| Ok(Outage { id: r.int(0)?, from: r.time(1)?, to: r.time(2)? })).collect()
    }
}

impl<C: Conn> OutageTx for SqlTx<'_, C> {
    fn lock_beat(&mut self) -> Result<Option<Timestamp>> {
        let lock = self.row_lock();
        match self.one(&format!("SELECT beat_at FROM platform_heartbeat WHERE id = 1{lock}"), &[])? {
            Some(r) => r.opt_time(0),
            None => Ok(None),
        }
    }

    fn put_beat(&mut self, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE platform_heartbeat SET beat_at = $1 WHERE id = 1 AND (beat_at IS NULL OR beat_at < $1)",
            params![at],
        )?;
        Ok(())
    }

    fn insert_outage(&mut self, from: Timestamp, to: Timestamp) -> Result<i64> {
        self.insert_id("INSERT INTO outages (from_at, to_at) VALUES ($1, $2) RETURNING id", params![from, to])
    }

    fn move_case_merchant_due(&mut self, case: CaseId, due: Timestamp) -> Result<()> {
        self.exec("UPDATE cases SET merchant_due = $2 WHERE id = $1", params![case.0, due])?;
        Ok(())
    }
}
