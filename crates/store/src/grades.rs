//! The figures grades and the service report read, and the stored grades, in
//! the SQL both backends share. Reads only what other features measured.

use youying_core::Timestamp;
use youying_core::enforcement::{BreachKind, Party};
use youying_core::error::{Error, Result, StorageError};
use youying_core::grades::Grade;
use youying_core::grades::port::{BotTotals, BreachMark, CaseMark, ReplyMark, StoredGrade, TrustRead, TrustTx};
use youying_core::values::ShopId;

use crate::sql::{Conn, Row, Val, params};
use crate::sqltx::SqlTx;

const CASE_MARK: &str = "SELECT c.id, c.shop_id, c.type, c.opened_at, c.merchant_due, c.resolve_due, c.closed_at, c.outcome, \
     c.refund_fen, \
     (SELECT MIN(a.at) FROM case_actions a WHERE a.case_id = c.id AND a.side = 'merchant'), \
     (SELECT MIN(a.at) FROM case_actions a WHERE a.case_id = c.id AND a.kind = 'case.escalated') \
     FROM cases c";

fn case_mark(r: &Row) -> Result<CaseMark> {
    Ok(CaseMark {
        id: r.int(0)?,
        shop_id: ShopId(r.int(1)?),
        kind: r.text(2)?,
        opened_at: r.time(3)?,
        merchant_due: r.time(4)?,
        resolve_due: r.time(5)?,
        closed_at: r.opt_time(6)?,
        outcome: r.opt_text(7)?,
        refund_fen: r.int(8)?,
        merchant_acted_at: r.opt_time(9)?,
        escalated_at: r.opt_time(10)?,
    })
}

/// ` AND {column} = $n` when a shop is given, with its parameter appended.
fn shop_filter(shop: Option<ShopId>, column: &str, p: &mut Vec<Val>) -> String {
    match shop {
        Some(s) => {
            p.push(Val::Int(s.0));
            format!(" AND {column} = ${}", p.len())
        }
        None => String::new(),
    }
}

fn pair(row: Option<Row>) -> Result<(i64, i64)> {
    match row {
        Some(r) => Ok((r.int(0)?, r.int(1)?)),
        None => Ok((0, 0)),
    }
}

impl<C: Conn> TrustTx for SqlTx<'_, C> {
    fn put_grade(&mut self, g: &StoredGrade) -> Result<()> {
        let figures = serde_json::to_string(&g.figures).map_err(|e| StorageError(format!("figures: {e}")))?;
        let sql = "INSERT INTO shop_grades (shop_id, grade, points, figures, computed_at) VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (shop_id) DO UPDATE SET grade = excluded.grade, points = excluded.points, \
                   figures = excluded.figures, computed_at = excluded.computed_at";
        self.exec(sql, params![g.shop_id.0, g.grade.as_str(), g.points, figures, g.computed_at])?;
        Ok(())
    }

    fn set_grade_cursor(&mut self, at: Timestamp) -> Result<()> {
        let sql = "INSERT INTO grade_cursor (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at";
        self.exec(sql, params![at])?;
        Ok(())
    }
}

impl<C: Conn> TrustRead for SqlTx<'_, C> {
    fn shops_with_events(&mut self, from: Timestamp, to: Timestamp) -> Result<Vec<ShopId>> {
        let sql = "SELECT shop_id FROM orders WHERE created_at > $1 AND created_at <= $2 \
             UNION SELECT shop_id FROM reply_measures WHERE answered_at > $1 AND answered_at <= $2 \
             UNION SELECT shop_id FROM breaches WHERE at > $1 AND at <= $2 \
             UNION SELECT shop_id FROM cases WHERE (opened_at > $1 AND opened_at <= $2) OR (closed_at > $1 AND closed_at <= $2) \
             UNION SELECT c.shop_id FROM case_actions a JOIN cases c ON c.id = a.case_id WHERE a.at > $1 AND a.at <= $2 \
             UNION SELECT shop_id FROM reviews WHERE (created_at > $1 AND created_at <= $2) OR (moderated_at > $1 AND moderated_at <= $2) \
             UNION SELECT shop_id FROM penalties WHERE (started_at > $1 AND started_at <= $2) \
                OR (lifted_at > $1 AND lifted_at <= $2) OR (ends_at > $1 AND ends_at <= $2)";
        self.query(sql, params![from, to])?.iter().map(|r| r.int(0).map(ShopId)).collect()
    }

    fn orders_between(&mut self, shop: ShopId, from: Timestamp, to: Timestamp) -> Result<i64> {
        let sql = "SELECT COUNT(*) FROM orders WHERE shop_id = $1 AND created_at >= $2 AND created_at <= $3";
        self.one(sql, params![shop.0, from, to])?.map_or(Ok(0), |r| r.int(0))
    }

    fn replies_between(
        &mut self,
        shop: Option<ShopId>,
        side: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<ReplyMark>> {
        let mut p = vec![Val::from(side), Val::from(from), Val::from(to)];
        let f = shop_filter(shop, "r.shop_id", &mut p);
        let sql = format!(
            "SELECT r.asked_at, r.answered_at, r.in_time, c.taken_over_at FROM reply_measures r \
             JOIN conversations c ON c.id = r.conversation_id \
             WHERE r.side = $1 AND r.answered_at >= $2 AND r.answered_at <= $3{f} ORDER BY r.answered_at, r.id"
        );
        let platform = side == "platform";
        self.query(&sql, &p)?
            .iter()
            .map(|r| {
                let (asked, answered) = (r.time(0)?, r.time(1)?);
                // The platform's clock starts when it took the conversation over;
                // a shop's reply after that is a late one, timed from the question.
                let taken_over = r.opt_time(3)?.filter(|t| *t > asked && *t <= answered);
                let start = match taken_over {
                    Some(t) if platform => t,
                    _ => asked,
                };
                Ok(ReplyMark {
                    asked_at: start,
                    answered_at: answered,
                    in_time: r.int(2)? != 0,
                    after_takeover: !platform && taken_over.is_some(),
                })
            })
            .collect()
    }

    fn breaches_between(&mut self, shop: Option<ShopId>, from: Timestamp, to: Timestamp) -> Result<Vec<BreachMark>> {
        let mut p = vec![Val::from(from), Val::from(to)];
        let f = shop_filter(shop, "shop_id", &mut p);
        let sql =
            format!("SELECT shop_id, kind, party, at FROM breaches WHERE at >= $1 AND at <= $2{f} ORDER BY at, id");
        self.query(&sql, &p)?
            .iter()
            .map(|r| {
                let bad = |what: &str| Error::from(StorageError(format!("bad breach {what}")));
                Ok(BreachMark {
                    shop_id: ShopId(r.int(0)?),
                    kind: BreachKind::parse(&r.text(1)?).ok_or_else(|| bad("kind"))?,
                    party: Party::parse(&r.text(2)?).ok_or_else(|| bad("party"))?,
                    at: r.time(3)?,
                })
            })
            .collect()
    }

    fn cases_opened_between(&mut self, shop: Option<ShopId>, from: Timestamp, to: Timestamp) -> Result<Vec<CaseMark>> {
        let mut p = vec![Val::from(from), Val::from(to)];
        let f = shop_filter(shop, "c.shop_id", &mut p);
        let sql = format!("{CASE_MARK} WHERE c.opened_at >= $1 AND c.opened_at <= $2{f} ORDER BY c.opened_at, c.id");
        self.query(&sql, &p)?.iter().map(case_mark).collect()
    }

    fn arbitrations_due_between(&mut self, from: Timestamp, to: Timestamp) -> Result<Vec<CaseMark>> {
        let sql = format!(
            "{CASE_MARK} WHERE c.resolve_due >= $1 AND c.resolve_due < $2 AND EXISTS \
             (SELECT 1 FROM case_actions a WHERE a.case_id = c.id AND a.kind = 'case.escalated') ORDER BY c.resolve_due, c.id"
        );
        self.query(&sql, params![from, to])?.iter().map(case_mark).collect()
    }

    fn verified_reviews(&mut self, shop: ShopId, from: Timestamp, to: Timestamp) -> Result<(i64, i64)> {
        let sql = "SELECT COUNT(*), CAST(COALESCE(SUM(r.stars), 0) AS BIGINT) FROM reviews r JOIN orders o ON o.id = r.order_id \
                   WHERE r.shop_id = $1 AND r.state = 'published' AND o.state = 'completed' \
                   AND r.created_at >= $2 AND r.created_at <= $3";
        pair(self.one(sql, params![shop.0, from, to])?)
    }

    fn published_reviews(&mut self, shop: ShopId) -> Result<(i64, i64)> {
        let sql = "SELECT COUNT(*), CAST(COALESCE(SUM(stars), 0) AS BIGINT) FROM reviews WHERE shop_id = $1 AND state = 'published'";
        pair(self.one(sql, params![shop.0])?)
    }

    fn bot_totals(&mut self, from_day: i64, to_day: i64) -> Result<BotTotals> {
        let sql = "SELECT COUNT(DISTINCT day), CAST(COALESCE(SUM(answered), 0) AS BIGINT), \
                   CAST(COALESCE(SUM(settled), 0) AS BIGINT), CAST(COALESCE(SUM(handed_over), 0) AS BIGINT) \
                   FROM bot_days WHERE day >= $1 AND day <= $2";
        let Some(r) = self.one(sql, params![from_day, to_day])? else { return Ok(BotTotals::default()) };
        Ok(BotTotals { days: r.int(0)?, answered: r.int(1)?, settled: r.int(2)?, handed_over: r.int(3)? })
    }

    fn stored_grade(&mut self, shop: ShopId) -> Result<Option<StoredGrade>> {
        let sql = "SELECT grade, points, figures, computed_at FROM shop_grades WHERE shop_id = $1";
        let Some(r) = self.one(sql, params![shop.0])? else { return Ok(None) };
        let bad = |what: &str| Error::from(StorageError(format!("bad shop grade {what}")));
        Ok(Some(StoredGrade {
            shop_id: shop,
            grade: Grade::parse(&r.text(0)?).ok_or_else(|| bad("letter"))?,
            points: r.int(1)?,
            figures: serde_json::from_str(&r.text(2)?).map_err(|_| bad("figures"))?,
            computed_at: r.time(3)?,
        }))
    }

    fn grade_cursor(&mut self) -> Result<Option<Timestamp>> {
        self.one("SELECT at FROM grade_cursor WHERE id = 1", &[])?.map(|r| r.time(0)).transpose()
    }
}
