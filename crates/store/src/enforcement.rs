//! The enforcement half of the port: penalties, the breaches the ladder counts,
//! and marking a shop's products changed when its visibility changes.

use youying_core::Timestamp;
use youying_core::enforcement::{Breach, BreachKind, EnforcementRead, EnforcementTx, Party};
use youying_core::enforcement::{NewPenalty, Penalty, PenaltyKind, PenaltyState};
use youying_core::error::{Error, Result, StorageError};
use youying_core::values::{DeadlineId, ShopId, UserId};

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const PENALTY_COLS: &str = "id, shop_id, kind, state, started_at, ends_at, breach_ids, amount_fen, shortfall_fen, \
     deadline_id, lifted_by, lift_reason, lifted_at";

fn penalty(r: &Row) -> Result<Penalty> {
    let bad = |what: &str| Error::from(StorageError(format!("bad penalty {what}")));
    Ok(Penalty {
        id: r.int(0)?,
        shop_id: ShopId(r.int(1)?),
        kind: PenaltyKind::parse(&r.text(2)?).ok_or_else(|| bad("kind"))?,
        state: PenaltyState::parse(&r.text(3)?).ok_or_else(|| bad("state"))?,
        started_at: r.time(4)?,
        ends_at: r.opt_time(5)?,
        breach_ids: serde_json::from_str(&r.text(6)?).map_err(|_| bad("breach_ids"))?,
        amount_fen: r.int(7)?,
        shortfall_fen: r.int(8)?,
        deadline_id: r.opt_int(9)?.map(DeadlineId),
        lifted_by: r.opt_int(10)?.map(UserId),
        lift_reason: r.opt_text(11)?,
        lifted_at: r.opt_time(12)?,
    })
}

impl<C: Conn> EnforcementTx for SqlTx<'_, C> {
    fn lock_shop(&mut self, shop: ShopId) -> Result<()> {
        let lock = self.row_lock();
        self.one(&format!("SELECT id FROM shops WHERE id = $1{lock}"), params![shop.0])?;
        Ok(())
    }

    fn insert_penalty(&mut self, p: &NewPenalty) -> Result<i64> {
        let ids = serde_json::to_string(&p.breach_ids).map_err(|e| StorageError(format!("breach ids: {e}")))?;
        self.insert_id(
            "INSERT INTO penalties (shop_id, kind, state, started_at, ends_at, breach_ids, amount_fen, shortfall_fen) \
             VALUES ($1, $2, 'active', $3, $4, $5, $6, $7) RETURNING id",
            params![p.shop_id.0, p.kind.as_str(), p.started_at, p.ends_at, ids, p.amount_fen, p.shortfall_fen],
        )
    }

    fn update_penalty(&mut self, p: &Penalty) -> Result<()> {
        self.exec(
            "UPDATE penalties SET state = $2, ends_at = $3, deadline_id = $4, lifted_by = $5, lift_reason = $6, lifted_at = $7 \
             WHERE id = $1",
            params![
                p.id,
                p.state.as_str(),
                p.ends_at,
                p.deadline_id.map(|d| d.0),
                p.lifted_by.map(|u| u.0),
                p.lift_reason.clone(),
                p.lifted_at
            ],
        )?;
        Ok(())
    }

    fn touch_shop_products(&mut self, shop: ShopId, at: Timestamp) -> Result<u64> {
        self.exec("UPDATE products SET updated_at = $2 WHERE shop_id = $1 AND updated_at < $2", params![shop.0, at])
    }

    fn touch_all_products(&mut self, at: Timestamp) -> Result<u64> {
        self.exec("UPDATE products SET updated_at = $1 WHERE updated_at < $1", params![at])
    }

    fn insert_platform_breach(
        &mut self,
        shop: ShopId,
        kind: BreachKind,
        subject: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<i64> {
        self.insert_id(
            "INSERT INTO breaches (shop_id, kind, subject, at, detail, party) VALUES ($1, $2, $3, $4, $5, 'platform') RETURNING id",
            params![shop.0, kind.as_str(), subject, at, detail],
        )
    }

    fn insert_breach(
        &mut self,
        shop: ShopId,
        kind: BreachKind,
        subject: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<i64> {
        self.insert_id(
            "INSERT INTO breaches (shop_id, kind, subject, at, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![shop.0, kind.as_str(), subject, at, detail],
        )
    }
}

impl<C: Conn> EnforcementRead for SqlTx<'_, C> {
    fn shop_breaches_since(&mut self, shop: ShopId, since: Timestamp) -> Result<Vec<Breach>> {
        let sql = "SELECT id, shop_id, kind, subject, at, detail, party FROM breaches \
                   WHERE shop_id = $1 AND party = 'shop' AND at > $2 ORDER BY at, id";
        self.query(sql, params![shop.0, since])?.iter().map(breach).collect()
    }

    fn penalty(&mut self, id: i64) -> Result<Option<Penalty>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {PENALTY_COLS} FROM penalties WHERE id = $1{lock}"), params![id])?
            .as_ref()
            .map(penalty)
            .transpose()
    }

    fn penalties(&mut self, shop: Option<ShopId>, limit: usize) -> Result<Vec<Penalty>> {
        let rows = match shop {
            Some(s) => self.query(
                &format!("SELECT {PENALTY_COLS} FROM penalties WHERE shop_id = $1 ORDER BY id DESC LIMIT $2"),
                params![s.0, lim(limit)],
            )?,
            None => self.query(
                &format!("SELECT {PENALTY_COLS} FROM penalties ORDER BY id DESC LIMIT $1"),
                params![lim(limit)],
            )?,
        };
        rows.iter().map(penalty).collect()
    }

    fn active_penalties(&mut self, shop: ShopId) -> Result<Vec<Penalty>> {
        let sql = format!("SELECT {PENALTY_COLS} FROM penalties WHERE shop_id = $1 AND state = 'active' ORDER BY id");
        self.query(&sql, params![shop.0])?.iter().map(penalty).collect()
    }

    fn breaches(&mut self, shop: Option<ShopId>, limit: usize) -> Result<Vec<Breach>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match shop {
            Some(s) => self.query("SELECT id, shop_id, kind, subject, at, detail, party FROM breaches WHERE shop_id = $1 ORDER BY id DESC LIMIT $2", params![s.0, limit])?,
            None => self.query("SELECT id, shop_id, kind, subject, at, detail, party FROM breaches ORDER BY id DESC LIMIT $1", params![limit])?,
        };
        rows.iter().map(breach).collect()
    }
}

/// A breach row: `id, shop_id, kind, subject, at, detail, party`.
pub(crate) fn breach(r: &Row) -> Result<Breach> {
    let bad = |what: &str| Error::from(StorageError(format!("bad breach {what}")));
    Ok(Breach {
        id: r.int(0)?,
        shop_id: ShopId(r.int(1)?),
        kind: BreachKind::parse(&r.text(2)?).ok_or_else(|| bad("kind"))?,
        subject: r.text(3)?,
        at: r.time(4)?,
        detail: r.text(5)?,
        party: Party::parse(&r.text(6)?).ok_or_else(|| bad("party"))?,
    })
}
