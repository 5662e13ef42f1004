//! Relayed cases (货源对接) in the SQL both backends share: the step row of a
//! case carried to the upstream site, claimed like every outbox here.

use youying_core::clock::Timestamp;
use youying_core::error::{Error, Result, StorageError};
use youying_core::sourcing::{ConnectionId, RelayRead, RelayState, RelayTx, UpstreamCase};
use youying_core::values::{CaseId, OrderId};

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const COLS: &str = "case_id, order_id, connection_id, downstream_order_no, state, upstream_case_id, upstream_state, \
                    applied, attempts, next_attempt_at, last_error, created_at, updated_at";

fn row(r: &Row) -> Result<UpstreamCase> {
    Ok(UpstreamCase {
        case_id: CaseId(r.int(0)?),
        order_id: OrderId(r.int(1)?),
        connection_id: ConnectionId(r.int(2)?),
        downstream_order_no: r.text(3)?,
        state: RelayState::parse(&r.text(4)?)
            .ok_or_else(|| Error::from(StorageError("bad upstream case state".into())))?,
        upstream_case_id: r.opt_int(5)?,
        upstream_state: r.opt_text(6)?,
        applied: r.opt_text(7)?,
        attempts: r.int(8)?,
        next_attempt_at: r.opt_time(9)?,
        last_error: r.opt_text(10)?,
        created_at: r.time(11)?,
        updated_at: r.time(12)?,
    })
}

impl<C: Conn> RelayRead for SqlTx<'_, C> {
    fn upstream_case(&mut self, case: CaseId) -> Result<Option<UpstreamCase>> {
        let lock = self.row_lock();
        let sql = format!("SELECT {COLS} FROM upstream_cases WHERE case_id = $1{lock}");
        self.one(&sql, params![case.0])?.as_ref().map(row).transpose()
    }

    fn upstream_case_by_source(&mut self, c: ConnectionId, upstream_case_id: i64) -> Result<Option<UpstreamCase>> {
        let sql = format!("SELECT {COLS} FROM upstream_cases WHERE connection_id = $1 AND upstream_case_id = $2");
        self.one(&sql, params![c.0, upstream_case_id])?.as_ref().map(row).transpose()
    }

    fn next_relay_due(&mut self) -> Result<Option<Timestamp>> {
        self.one("SELECT MIN(next_attempt_at) FROM upstream_cases WHERE next_attempt_at IS NOT NULL", params![])?
            .map_or(Ok(None), |r| r.opt_time(0))
    }
}

impl<C: Conn> RelayTx for SqlTx<'_, C> {
    fn insert_upstream_case(&mut self, c: &UpstreamCase) -> Result<()> {
        self.exec(
            &format!(
                "INSERT INTO upstream_cases ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ),
            params![
                c.case_id.0,
                c.order_id.0,
                c.connection_id.0,
                c.downstream_order_no.as_str(),
                c.state.as_str(),
                c.upstream_case_id,
                c.upstream_state.as_deref(),
                c.applied.as_deref(),
                c.attempts,
                c.next_attempt_at,
                c.last_error.as_deref(),
                c.created_at,
                c.updated_at
            ],
        )?;
        Ok(())
    }

    fn update_upstream_case(&mut self, c: &UpstreamCase) -> Result<()> {
        self.exec(
            "UPDATE upstream_cases SET state = $2, upstream_case_id = $3, upstream_state = $4, applied = $5, \
             attempts = $6, next_attempt_at = $7, last_error = $8, updated_at = $9 WHERE case_id = $1",
            params![
                c.case_id.0,
                c.state.as_str(),
                c.upstream_case_id,
                c.upstream_state.as_deref(),
                c.applied.as_deref(),
                c.attempts,
                c.next_attempt_at,
                c.last_error.as_deref(),
                c.updated_at
            ],
        )?;
        Ok(())
    }

    fn claim_upstream_cases(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<UpstreamCase>> {
        let skip = self.conn.dialect().skip_locked();
        let sql = format!(
            "SELECT {COLS} FROM upstream_cases WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, case_id LIMIT $2{skip}"
        );
        let mut claimed = self.query(&sql, params![now, lim(limit)])?.iter().map(row).collect::<Result<Vec<_>>>()?;
        for c in &mut claimed {
            self.exec(
                "UPDATE upstream_cases SET next_attempt_at = $2, attempts = attempts + 1 WHERE case_id = $1",
                params![c.case_id.0, lease_until],
            )?;
            c.next_attempt_at = Some(lease_until);
            c.attempts += 1;
        }
        Ok(claimed)
    }
}
