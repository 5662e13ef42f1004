//! The notification centre, push channels and the push outbox, in the SQL both
//! backends share: deliveries are claimed with a lease (SKIP LOCKED on
//! PostgreSQL), like the outbound outbox.

use youying_core::clock::Timestamp;
use youying_core::error::{Error, Result, StorageError};
use youying_core::payments::Sealed;
use youying_core::push::model::{events_text, parse_events};
use youying_core::push::{Channel, ChannelKind, Delivery, DeliveryState, Note, Notice, PushEvent, PushRead, PushTx};
use youying_core::values::{ShopId, UserId};

use crate::sql::{Conn, Row, Val, lim, params};
use crate::sqltx::SqlTx;

const NOTICE_COLS: &str = "id, user_id, event, subject, text, url, ref_id, created_at, read_at";
const CHANNEL_COLS: &str = "user_id, kind, enabled, target, secret, hint, events, updated_at";
const DELIVERY_COLS: &str =
    "id, notice_id, user_id, kind, state, attempts, next_attempt_at, last_status, last_error, created_at, sent_at";

fn bad(what: &str) -> Error {
    StorageError(format!("bad push {what}")).into()
}

fn notice(r: &Row) -> Result<Notice> {
    Ok(Notice {
        id: r.int(0)?,
        user_id: UserId(r.int(1)?),
        event: PushEvent::parse(&r.text(2)?).ok_or_else(|| bad("event"))?,
        subject: r.text(3)?,
        text: r.text(4)?,
        url: r.text(5)?,
        ref_id: r.opt_int(6)?,
        created_at: r.time(7)?,
        read_at: r.opt_time(8)?,
    })
}

fn channel(r: &Row) -> Result<Channel> {
    Ok(Channel {
        user_id: UserId(r.int(0)?),
        kind: ChannelKind::parse(&r.text(1)?).ok_or_else(|| bad("kind"))?,
        enabled: r.int(2)? != 0,
        target: r.opt_text(3)?,
        secret: r.opt_text(4)?.map(Sealed::new),
        hint: r.opt_text(5)?,
        events: parse_events(&r.text(6)?),
        updated_at: r.time(7)?,
    })
}

fn delivery(r: &Row) -> Result<Delivery> {
    Ok(Delivery {
        id: r.int(0)?,
        notice_id: r.int(1)?,
        user_id: UserId(r.int(2)?),
        kind: ChannelKind::parse(&r.text(3)?).ok_or_else(|| bad("kind"))?,
        state: DeliveryState::parse(&r.text(4)?).ok_or_else(|| bad("state"))?,
        attempts: r.int(5)?,
        next_attempt_at: r.time(6)?,
        last_status: r.opt_int(7)?,
        last_error: r.opt_text(8)?,
        created_at: r.time(9)?,
        sent_at: r.opt_time(10)?,
    })
}

fn ids(rows: &[Row]) -> Result<Vec<UserId>> {
    rows.iter().map(|r| Ok(UserId(r.int(0)?))).collect()
}

impl<C: Conn> PushRead for SqlTx<'_, C> {
    fn notices_of(&mut self, user: UserId, before: Option<i64>, limit: usize) -> Result<Vec<Notice>> {
        self.query(
            &format!("SELECT {NOTICE_COLS} FROM user_notices WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"),
            params![user.0, before.unwrap_or(i64::MAX), lim(limit)],
        )?
        .iter()
        .map(notice)
        .collect()
    }

    fn notice(&mut self, id: i64) -> Result<Option<Notice>> {
        self.one(&format!("SELECT {NOTICE_COLS} FROM user_notices WHERE id = $1"), params![id])?
            .map(|r| notice(&r))
            .transpose()
    }

    fn unread_notices(&mut self, user: UserId) -> Result<i64> {
        let r =
            self.one("SELECT COUNT(*) FROM user_notices WHERE user_id = $1 AND read_at IS NULL", params![user.0])?;
        r.map_or(Ok(0), |r| r.int(0))
    }

    fn push_channels(&mut self, user: UserId) -> Result<Vec<Channel>> {
        self.query(&format!("SELECT {CHANNEL_COLS} FROM push_channels WHERE user_id = $1"), params![user.0])?
            .iter()
            .map(channel)
            .collect()
    }

    fn push_channel(&mut self, user: UserId, kind: ChannelKind) -> Result<Option<Channel>> {
        self.one(
            &format!("SELECT {CHANNEL_COLS} FROM push_channels WHERE user_id = $1 AND kind = $2"),
            params![user.0, kind.as_str()],
        )?
        .map(|r| channel(&r))
        .transpose()
    }

    fn shop_team(&mut self, shop: ShopId, agents: bool) -> Result<Vec<UserId>> {
        let mut rows = self.query(
            "SELECT u.id FROM shops s JOIN users u ON u.id = s.owner_id WHERE s.id = $1 AND u.disabled = 0",
            params![shop.0],
        )?;
        if agents {
            rows.extend(self.query(
                "SELECT id FROM users WHERE shop_id = $1 AND role = 'merchant_agent' AND disabled = 0 ORDER BY id",
                params![shop.0],
            )?);
        }
        ids(&rows)
    }

    fn platform_team(&mut self) -> Result<Vec<UserId>> {
        let rows = self.query(
            "SELECT id FROM users WHERE role IN ('platform_agent', 'admin') AND disabled = 0 ORDER BY id",
            &[],
        )?;
        ids(&rows)
    }

    fn next_push_due(&mut self) -> Result<Option<Timestamp>> {
        let r = self.one(
            "SELECT next_attempt_at FROM push_deliveries WHERE state = 'pending' ORDER BY next_attempt_at LIMIT 1",
            &[],
        )?;
        r.map(|r| r.time(0)).transpose()
    }

    fn push_deliveries_of(&mut self, user: UserId, limit: usize) -> Result<Vec<Delivery>> {
        self.query(
            &format!("SELECT {DELIVERY_COLS} FROM push_deliveries WHERE user_id = $1 ORDER BY id DESC LIMIT $2"),
            params![user.0, lim(limit)],
        )?
        .iter()
        .map(delivery)
        .collect()
    }

    fn low_stock_threshold(&mut self, shop: ShopId) -> Result<i64> {
        let r = self.one("SELECT low_stock_threshold FROM shops WHERE id = $1", params![shop.0])?;
        r.map_or(Ok(0), |r| r.int(0))
    }
}

impl<C: Conn> PushTx for SqlTx<'_, C> {
    fn insert_notice(&mut self, user: UserId, note: &Note, at: Timestamp) -> Result<i64> {
        self.insert_id(
            "INSERT INTO user_notices (user_id, event, subject, text, url, ref_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            params![user.0, note.event.as_str(), &note.subject, &note.text, &note.url, note.ref_id, at],
        )
    }

    fn mark_notices_read(&mut self, user: UserId, ids: Option<&[i64]>, at: Timestamp) -> Result<u64> {
        match ids {
            None => self.exec(
                "UPDATE user_notices SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL",
                params![user.0, at],
            ),
            Some([]) => Ok(0),
            Some(ids) => {
                let list = (3..3 + ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
                let sql = format!(
                    "UPDATE user_notices SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL AND id IN ({list})"
                );
                let mut p: Vec<Val> = vec![user.0.into(), at.into()];
                p.extend(ids.iter().map(|i| Val::from(*i)));
                self.exec(&sql, &p)
            }
        }
    }

    fn put_push_channel(&mut self, c: &Channel) -> Result<()> {
        self.exec(
            "INSERT INTO push_channels (user_id, kind, enabled, target, secret, hint, events, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (user_id, kind) DO UPDATE SET enabled = excluded.enabled, target = excluded.target, \
             secret = excluded.secret, hint = excluded.hint, events = excluded.events, updated_at = excluded.updated_at",
            params![
                c.user_id.0,
                c.kind.as_str(),
                i64::from(c.enabled),
                c.target.as_deref(),
                c.secret.as_ref().map(Sealed::as_str),
                c.hint.as_deref(),
                events_text(&c.events),
                c.updated_at
            ],
        )?;
        Ok(())
    }

    fn enqueue_push(&mut self, notice: &Notice, kind: ChannelKind, due: Timestamp) -> Result<i64> {
        self.insert_id(
            "INSERT INTO push_deliveries (notice_id, user_id, kind, state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, 'pending', 0, $4, $5) RETURNING id",
            params![notice.id, notice.user_id.0, kind.as_str(), due, notice.created_at],
        )
    }

    fn claim_push(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<Delivery>> {
        let skip = self.conn.dialect().skip_locked();
        let sql = format!(
            "SELECT {DELIVERY_COLS} FROM push_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, id LIMIT $2{skip}"
        );
        let mut claimed =
            self.query(&sql, params![now, lim(limit)])?.iter().map(delivery).collect::<Result<Vec<_>>>()?;
        for d in &mut claimed {
            // The lease is the next attempt time: a sender that dies leaves
            // the row due again when the lease runs out.
            self.exec(
                "UPDATE push_deliveries SET next_attempt_at = $2, lease_until = $2, attempts = attempts + 1 \
                 WHERE id = $1",
                params![d.id, lease_until],
            )?;
            d.next_attempt_at = lease_until;
            d.attempts += 1;
        }
        Ok(claimed)
    }

    fn push_sent(&mut self, id: i64, at: Timestamp, status: i64) -> Result<()> {
        self.exec(
            "UPDATE push_deliveries SET state = 'sent', sent_at = $2, last_status = $3, lease_until = NULL \
             WHERE id = $1 AND state = 'pending'",
            params![id, at, status],
        )?;
        Ok(())
    }

    fn push_skipped(&mut self, id: i64, why: &str) -> Result<()> {
        self.exec(
            "UPDATE push_deliveries SET state = 'skipped', last_error = $2, lease_until = NULL \
             WHERE id = $1 AND state = 'pending'",
            params![id, why],
        )?;
        Ok(())
    }

    fn push_failed(&mut self, id: i64, retry_at: Option<Timestamp>, status: Option<i64>, error: &str) -> Result<()> {
        let error: String = error.chars().take(500).collect();
        match retry_at {
            Some(at) => self.exec(
                "UPDATE push_deliveries SET next_attempt_at = $2, last_status = $3, last_error = $4, \
                 lease_until = NULL WHERE id = $1 AND state = 'pending'",
                params![id, at, status, error],
            )?,
            None => self.exec(
                "UPDATE push_deliveries SET state = 'failed', last_status = $2, last_error = $3, lease_until = NULL \
                 WHERE id = $1 AND state = 'pending'",
                params![id, status, error],
            )?,
        };
        Ok(())
    }

    fn set_low_stock_threshold(&mut self, shop: ShopId, threshold: i64) -> Result<()> {
        self.exec("UPDATE shops SET low_stock_threshold = $2 WHERE id = $1", params![shop.0, threshold])?;
        Ok(())
    }
}
