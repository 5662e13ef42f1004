//! The payments half of the port, in the SQL both backends share. Secrets are
//! stored exactly as the server sealed them.

use youying_core::Timestamp;
use youying_core::error::{Error, Result, StorageError};
use youying_core::payments::{
    Attempt, AttemptState, Channel, Gateway, GatewayKind, GatewayName, NewAttempt, NotifyRecord, PaymentRead,
    PaymentTx, Purpose, Sealed, Settlement,
};
use youying_core::values::UserId;

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const COLS: &str = "name, kind, base_url, pid, key_sealed, merchant_key_sealed, platform_key_sealed, channels, \
                    enabled, updated_by, updated_at";

fn bad(what: &str) -> Error {
    StorageError(format!("bad gateway {what}")).into()
}

fn channels(text: &str) -> Result<Vec<Channel>> {
    text.split(',').filter(|c| !c.is_empty()).map(|c| Channel::parse(c).map_err(|_| bad("channel"))).collect()
}

fn gateway(r: &Row) -> Result<Gateway> {
    Ok(Gateway {
        name: GatewayName::parse(&r.text(0)?).map_err(|_| bad("name"))?,
        kind: GatewayKind::parse(&r.text(1)?).map_err(|_| bad("kind"))?,
        base_url: r.text(2)?,
        pid: r.text(3)?,
        key: r.opt_text(4)?.map(Sealed::new),
        merchant_private_key: r.opt_text(5)?.map(Sealed::new),
        platform_public_key: r.opt_text(6)?.map(Sealed::new),
        channels: channels(&r.text(7)?)?,
        enabled: r.int(8)? != 0,
        updated_by: r.opt_int(9)?.map(UserId),
        updated_at: r.time(10)?,
    })
}

const ATTEMPT_COLS: &str = "id, out_trade_no, gateway, channel, user_id, purpose, amount_fen, state, trade_no, \
                            created_at, expires_at, notified_at, paid_at, settled_by, check_due_at, \
                            check_attempts, checked_at, check_error, checkout, order_id, order_error";

fn attempt(r: &Row) -> Result<Attempt> {
    let bad_attempt = |what| StorageError(format!("bad payment attempt {what}"));
    Ok(Attempt {
        id: r.int(0)?,
        out_trade_no: r.text(1)?,
        gateway: GatewayName::parse(&r.text(2)?).map_err(|_| bad("name"))?,
        channel: Channel::parse(&r.text(3)?).map_err(|_| bad("channel"))?,
        user_id: UserId(r.int(4)?),
        purpose: Purpose::parse(&r.text(5)?).ok_or_else(|| bad_attempt("purpose"))?,
        amount_fen: r.int(6)?,
        state: AttemptState::parse(&r.text(7)?).ok_or_else(|| bad_attempt("state"))?,
        trade_no: r.opt_text(8)?,
        created_at: r.time(9)?,
        expires_at: r.time(10)?,
        notified_at: r.opt_time(11)?,
        paid_at: r.opt_time(12)?,
        settled_by: r
            .opt_text(13)?
            .map(|s| Settlement::parse(&s).ok_or_else(|| bad_attempt("settled_by")))
            .transpose()?,
        check_due_at: r.opt_time(14)?,
        check_attempts: r.int(15)?,
        checked_at: r.opt_time(16)?,
        check_error: r.opt_text(17)?,
        checkout: r.opt_text(18)?.map(|j| serde_json::from_str(&j).map_err(|_| bad_attempt("checkout"))).transpose()?,
        order_id: r.opt_int(19)?,
        order_error: r.opt_text(20)?,
    })
}

fn notify(r: &Row) -> Result<NotifyRecord> {
    Ok(NotifyRecord {
        gateway: r.text(0)?,
        out_trade_no: r.opt_text(1)?,
        attempt_id: r.opt_int(2)?,
        received_at: r.time(3)?,
        remote: r.text(4)?,
        raw: r.text(5)?,
        verified: r.int(6)? != 0,
        verdict: r.text(7)?,
    })
}

fn sealed(s: Option<&Sealed>) -> Option<&str> {
    s.map(Sealed::as_str)
}

impl<C: Conn> PaymentTx for SqlTx<'_, C> {
    fn upsert_gateway(&mut self, g: &Gateway) -> Result<()> {
        let channels = g.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(",");
        self.exec(
            &format!(
                "INSERT INTO payment_gateways ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, base_url = excluded.base_url, \
                 pid = excluded.pid, key_sealed = excluded.key_sealed, \
                 merchant_key_sealed = excluded.merchant_key_sealed, \
                 platform_key_sealed = excluded.platform_key_sealed, channels = excluded.channels, \
                 enabled = excluded.enabled, updated_by = excluded.updated_by, updated_at = excluded.updated_at"
            ),
            params![
                g.name.as_str(),
                g.kind.as_str(),
                g.base_url.as_str(),
                g.pid.as_str(),
                sealed(g.key.as_ref()),
                sealed(g.merchant_private_key.as_ref()),
                sealed(g.platform_public_key.as_ref()),
                channels,
                g.enabled,
                g.updated_by.map(|u| u.0),
                g.updated_at
            ],
        )?;
        Ok(())
    }

    fn insert_payment(&mut self, a: &NewAttempt) -> Result<i64> {
        let checkout = a
            .checkout
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StorageError(format!("checkout json: {e}")))?;
        self.insert_id(
            "INSERT INTO payment_attempts (out_trade_no, gateway, channel, user_id, purpose, amount_fen, state, \
             created_at, expires_at, checkout) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id",
            params![
                a.out_trade_no.as_str(),
                a.gateway.as_str(),
                a.channel.as_str(),
                a.user_id.0,
                a.purpose.as_str(),
                a.amount_fen,
                a.created_at,
                a.expires_at,
                checkout
            ],
        )
    }

    fn lock_payment(&mut self, id: i64) -> Result<Option<Attempt>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {ATTEMPT_COLS} FROM payment_attempts WHERE id = $1{lock}"), params![id])?
            .as_ref()
            .map(attempt)
            .transpose()
    }

    fn set_payment_paid(&mut self, id: i64, trade_no: &str, at: Timestamp, by: Settlement) -> Result<bool> {
        let n = self.exec(
            "UPDATE payment_attempts SET state = 'paid', trade_no = $2, paid_at = $3, settled_by = $4 \
             WHERE id = $1 AND state IN ('pending', 'expired')",
            params![id, trade_no, at, by.as_str()],
        )?;
        Ok(n == 1)
    }

    fn set_payment_expired(&mut self, id: i64) -> Result<bool> {
        let n = self
            .exec("UPDATE payment_attempts SET state = 'expired' WHERE id = $1 AND state = 'pending'", params![id])?;
        Ok(n == 1)
    }

    fn set_payment_notified(&mut self, id: i64, at: Timestamp, trade_no: &str) -> Result<()> {
        self.exec(
            "UPDATE payment_attempts SET notified_at = $2, trade_no = $3 WHERE id = $1 AND notified_at IS NULL",
            params![id, at, trade_no],
        )?;
        Ok(())
    }

    fn schedule_check(&mut self, id: i64, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE payment_attempts SET check_due_at = $2 WHERE id = $1 AND (check_due_at IS NULL OR check_due_at > $2)",
            params![id, at],
        )?;
        Ok(())
    }

    fn claim_checks(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<Attempt>> {
        let skip = self.conn.dialect().skip_locked();
        let sql = format!(
            "SELECT {ATTEMPT_COLS} FROM payment_attempts WHERE check_due_at IS NOT NULL AND check_due_at <= $1 \
             ORDER BY check_due_at, id LIMIT $2{skip}"
        );
        let mut claimed =
            self.query(&sql, params![now, lim(limit)])?.iter().map(attempt).collect::<Result<Vec<_>>>()?;
        for a in &mut claimed {
            self.exec(
                "UPDATE payment_attempts SET check_due_at = $2, check_attempts = check_attempts + 1 WHERE id = $1",
                params![a.id, lease_until],
            )?;
            a.check_due_at = Some(lease_until);
            a.check_attempts += 1;
        }
        Ok(claimed)
    }

    fn check_done(&mut self, id: i64, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE payment_attempts SET check_due_at = NULL, check_attempts = 0, checked_at = $2, check_error = NULL \
             WHERE id = $1",
            params![id, at],
        )?;
        Ok(())
    }

    fn check_failed(&mut self, id: i64, at: Timestamp, retry_at: Option<Timestamp>, error: &str) -> Result<()> {
        let error: String = error.chars().take(500).collect();
        let attempts_after = if retry_at.is_some() { "check_attempts" } else { "0" };
        self.exec(
            &format!(
                "UPDATE payment_attempts SET check_due_at = $2, check_attempts = {attempts_after}, checked_at = $3, \
                 check_error = $4 WHERE id = $1"
            ),
            params![id, retry_at, at, error],
        )?;
        Ok(())
    }

    fn set_payment_order(&mut self, id: i64, order_id: Option<i64>, error: Option<&str>) -> Result<()> {
        self.exec(
            "UPDATE payment_attempts SET order_id = $2, order_error = $3 WHERE id = $1",
            params![id, order_id, error],
        )?;
        Ok(())
    }

    fn insert_notify(&mut self, n: &NotifyRecord) -> Result<i64> {
        self.insert_id(
            "INSERT INTO payment_notifies (gateway, out_trade_no, attempt_id, received_at, remote, raw, verified, \
             verdict) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            params![
                n.gateway.as_str(),
                n.out_trade_no.as_deref(),
                n.attempt_id,
                n.received_at,
                n.remote.as_str(),
                n.raw.as_str(),
                n.verified,
                n.verdict.as_str()
            ],
        )
    }
}

impl<C: Conn> PaymentRead for SqlTx<'_, C> {
    fn gateways(&mut self) -> Result<Vec<Gateway>> {
        self.query(&format!("SELECT {COLS} FROM payment_gateways ORDER BY name"), params![])?
            .iter()
            .map(gateway)
            .collect()
    }

    fn gateway(&mut self, name: &GatewayName) -> Result<Option<Gateway>> {
        self.one(&format!("SELECT {COLS} FROM payment_gateways WHERE name = $1"), params![name.as_str()])?
            .as_ref()
            .map(gateway)
            .transpose()
    }

    fn payment(&mut self, id: i64) -> Result<Option<Attempt>> {
        self.one(&format!("SELECT {ATTEMPT_COLS} FROM payment_attempts WHERE id = $1"), params![id])?
            .as_ref()
            .map(attempt)
            .transpose()
    }

    fn payment_by_out_trade_no(&mut self, out_trade_no: &str) -> Result<Option<Attempt>> {
        self.one(
            &format!("SELECT {ATTEMPT_COLS} FROM payment_attempts WHERE out_trade_no = $1"),
            params![out_trade_no],
        )?
        .as_ref()
        .map(attempt)
        .transpose()
    }

    fn payments_of(&mut self, user: UserId, limit: usize) -> Result<Vec<Attempt>> {
        self.query(
            &format!("SELECT {ATTEMPT_COLS} FROM payment_attempts WHERE user_id = $1 ORDER BY id DESC LIMIT $2"),
            params![user.0, lim(limit)],
        )?
        .iter()
        .map(attempt)
        .collect()
    }

    fn payments(&mut self, state: Option<AttemptState>, limit: usize) -> Result<Vec<Attempt>> {
        let rows = match state {
            Some(s) => self.query(
                &format!("SELECT {ATTEMPT_COLS} FROM payment_attempts WHERE state = $1 ORDER BY id DESC LIMIT $2"),
                params![s.as_str(), lim(limit)],
            )?,
            None => self.query(
                &format!("SELECT {ATTEMPT_COLS} FROM payment_attempts ORDER BY id DESC LIMIT $1"),
                params![lim(limit)],
            )?,
        };
        rows.iter().map(attempt).collect()
    }

    fn paying_since(&mut self, user: UserId, since: Timestamp) -> Result<i64> {
        let row = self.one(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payment_attempts \
             WHERE user_id = $1 AND created_at >= $2 AND state IN ('pending', 'paid')",
            params![user.0, since],
        )?;
        row.map_or(Ok(0), |r| r.int(0))
    }

    fn unsettled(&mut self, created_before: Timestamp, checked_before: Timestamp, limit: usize) -> Result<Vec<i64>> {
        self.query(
            "SELECT id FROM payment_attempts WHERE state = 'pending' AND created_at <= $1 AND check_due_at IS NULL \
             AND (checked_at IS NULL OR checked_at <= $2) ORDER BY created_at LIMIT $3",
            params![created_before, checked_before, lim(limit)],
        )?
        .iter()
        .map(|r| r.int(0))
        .collect()
    }

    fn next_check_due(&mut self) -> Result<Option<Timestamp>> {
        self.one("SELECT MIN(check_due_at) FROM payment_attempts WHERE check_due_at IS NOT NULL", params![])?
            .map_or(Ok(None), |r| r.opt_time(0))
    }

    fn notifies_of(&mut self, attempt_id: i64) -> Result<Vec<NotifyRecord>> {
        self.query(
            "SELECT gateway, out_trade_no, attempt_id, received_at, remote, raw, verified, verdict \
             FROM payment_notifies WHERE attempt_id = $1 ORDER BY id",
            params![attempt_id],
        )?
        .iter()
        .map(notify)
        .collect()
    }
}
