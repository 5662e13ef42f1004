//! The after-sales half of the port: cases, their timelines and evidence, in
//! the SQL both backends share.

use youying_core::Timestamp;
use youying_core::cases::port::{CaseRead, CaseTx, NewCase};
use youying_core::cases::publication::PLATFORM_OUTCOMES;
use youying_core::cases::{Case, CaseAction, CaseState, CaseType, EvidenceMeta};
use youying_core::error::{Error, Result, StorageError};
use youying_core::evidence::ChainedEvent;
use youying_core::stock::ClaimedUnit;
use youying_core::values::{CaseId, DeadlineId, OrderId, ShopId, UserId};

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const CASE_COLS: &str = "id, order_id, order_no, buyer_id, shop_id, type, state, description, mismatched, opened_at, merchant_due, \
     resolve_due, merchant_deadline, resolve_deadline, screenshots, remedy, proposal_fen, order_state_before, outcome, refund_fen, \
     closed_at, decided_by, decision_reason, public_response, public_response_at";

const OPEN: &str = "('awaiting_merchant', 'awaiting_buyer', 'in_arbitration')";

fn case(r: &Row) -> Result<Case> {
    let bad = |what: &str| Error::from(StorageError(format!("bad case {what}")));
    Ok(Case {
        id: CaseId(r.int(0)?),
        order_id: OrderId(r.int(1)?),
        order_no: r.text(2)?,
        buyer_id: UserId(r.int(3)?),
        shop_id: ShopId(r.int(4)?),
        kind: CaseType::parse(&r.text(5)?).map_err(|_| bad("type"))?,
        state: CaseState::parse(&r.text(6)?).ok_or_else(|| bad("state"))?,
        description: r.text(7)?,
        mismatched: serde_json::from_str(&r.text(8)?).map_err(|_| bad("mismatched"))?,
        opened_at: r.time(9)?,
        merchant_due: r.time(10)?,
        resolve_due: r.time(11)?,
        merchant_deadline: r.opt_int(12)?.map(DeadlineId),
        resolve_deadline: r.opt_int(13)?.map(DeadlineId),
        screenshots: r.int(14)?,
        remedy: r.opt_text(15)?,
        proposal_fen: r.opt_int(16)?,
        order_state_before: r.text(17)?,
        outcome: r.opt_text(18)?,
        refund_fen: r.int(19)?,
        closed_at: r.opt_time(20)?,
        decided_by: r.opt_int(21)?.map(UserId),
        decision_reason: r.opt_text(22)?,
        public_response: r.opt_text(23)?,
        public_response_at: r.opt_time(24)?,
    })
}

impl<C: Conn> SqlTx<'_, C> {
    fn cases_where(&mut self, cond: &str, p: &[crate::sql::Val]) -> Result<Vec<Case>> {
        self.query(&format!("SELECT {CASE_COLS} FROM cases WHERE {cond}"), p)?.iter().map(case).collect()
    }
}

impl<C: Conn> CaseTx for SqlTx<'_, C> {
    fn insert_case(&mut self, c: &NewCase) -> Result<CaseId> {
        let sql = "INSERT INTO cases (order_id, order_no, buyer_id, shop_id, type, state, description, mismatched, opened_at, \
                   merchant_due, resolve_due, screenshots, order_state_before, refund_fen) \
                   VALUES ($1, $2, $3, $4, $5, 'awaiting_merchant', $6, $7, $8, $9, $10, $11, $12, 0) RETURNING id";
        let mismatched = serde_json::to_string(&c.mismatched).map_err(|e| StorageError(format!("mismatched: {e}")))?;
        let p = params![
            c.order_id.0,
            &c.order_no,
            c.buyer_id.0,
            c.shop_id.0,
            c.kind.as_str(),
            &c.description,
            mismatched,
            c.opened_at,
            c.merchant_due,
            c.resolve_due,
            c.screenshots,
            &c.order_state_before
        ];
        self.insert_id(sql, p).map(CaseId)
    }

    fn update_case(&mut self, c: &Case) -> Result<()> {
        let sql = "UPDATE cases SET state = $2, merchant_deadline = $3, resolve_deadline = $4, remedy = $5, proposal_fen = $6, \
                   outcome = $7, refund_fen = $8, closed_at = $9, decided_by = $10, decision_reason = $11 WHERE id = $1";
        let p = params![
            c.id.0,
            c.state.as_str(),
            c.merchant_deadline.map(|d| d.0),
            c.resolve_deadline.map(|d| d.0),
            c.remedy.clone(),
            c.proposal_fen,
            c.outcome.clone(),
            c.refund_fen,
            c.closed_at,
            c.decided_by.map(|u| u.0),
            c.decision_reason.clone()
        ];
        self.exec(sql, p)?;
        Ok(())
    }

    fn insert_case_action(
        &mut self,
        case: CaseId,
        at: Timestamp,
        actor: Option<UserId>,
        side: &str,
        kind: &str,
        detail: &str,
    ) -> Result<i64> {
        self.insert_id(
            "INSERT INTO case_actions (case_id, at, actor_id, side, kind, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![case.0, at, actor.map(|a| a.0), side, kind, detail],
        )
    }

    fn insert_case_evidence(
        &mut self,
        case: CaseId,
        kind: &str,
        name: &str,
        content_type: &str,
        sha256: &str,
        body: &[u8],
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<i64> {
        let size = i64::try_from(body.len()).unwrap_or(i64::MAX);
        self.insert_id(
            "INSERT INTO case_evidence (case_id, kind, name, content_type, sha256, size, body_hex, added_by, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![case.0, kind, name, content_type, sha256, size, hex::encode(body), by.map(|u| u.0), at],
        )
    }

    fn retire_order_units(&mut self, case: CaseId, order: OrderId, at: Timestamp) -> Result<Vec<ClaimedUnit>> {
        self.exec(
            "INSERT INTO case_replaced_units (case_id, order_id, shop_id, fingerprint, code_enc, secret_enc, replaced_at) \
             SELECT $1, order_id, shop_id, fingerprint, code_enc, secret_enc, $3 FROM order_units WHERE order_id = $2 ORDER BY id",
            params![case.0, order.0, at],
        )?;
        let rows = self.query(
            "DELETE FROM order_units WHERE order_id = $1 RETURNING fingerprint, code_enc, secret_enc",
            params![order.0],
        )?;
        rows.iter()
            .map(|r| Ok(ClaimedUnit { fingerprint: r.text(0)?, code_enc: r.text(1)?, secret_enc: r.opt_text(2)? }))
            .collect()
    }

    fn set_case_public_response(&mut self, case: CaseId, text: &str, by: UserId, at: Timestamp) -> Result<bool> {
        let n = self.exec(
            "UPDATE cases SET public_response = $2, public_response_by = $3, public_response_at = $4 \
             WHERE id = $1 AND public_response IS NULL",
            params![case.0, text, by.0, at],
        )?;
        Ok(n == 1)
    }
}

impl<C: Conn> CaseRead for SqlTx<'_, C> {
    fn case(&mut self, id: CaseId) -> Result<Option<Case>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {CASE_COLS} FROM cases WHERE id = $1{lock}"), params![id.0])?
            .as_ref()
            .map(case)
            .transpose()
    }

    fn open_case_of_order(&mut self, order: OrderId) -> Result<Option<Case>> {
        Ok(self.cases_where(&format!("order_id = $1 AND state IN {OPEN}"), params![order.0])?.into_iter().next())
    }

    fn cases_of_order(&mut self, order: OrderId) -> Result<Vec<Case>> {
        self.cases_where("order_id = $1 ORDER BY id", params![order.0])
    }

    fn cases_of_buyer(&mut self, buyer: UserId, limit: usize) -> Result<Vec<Case>> {
        self.cases_where("buyer_id = $1 ORDER BY id DESC LIMIT $2", params![buyer.0, lim(limit)])
    }

    fn cases_of_shop(&mut self, shop: ShopId, limit: usize) -> Result<Vec<Case>> {
        let cond = format!(
            "shop_id = $1 ORDER BY CASE WHEN state IN {OPEN} THEN 0 ELSE 1 END, \
             CASE WHEN state = 'awaiting_merchant' THEN merchant_due ELSE resolve_due END, id DESC LIMIT $2"
        );
        self.cases_where(&cond, params![shop.0, lim(limit)])
    }

    fn arbitration_queue(&mut self, limit: usize) -> Result<Vec<Case>> {
        self.cases_where("state = 'in_arbitration' ORDER BY resolve_due, id LIMIT $1", params![lim(limit)])
    }

    fn case_actions(&mut self, case: CaseId) -> Result<Vec<CaseAction>> {
        let rows = self.query(
            "SELECT id, case_id, at, actor_id, side, kind, detail FROM case_actions WHERE case_id = $1 ORDER BY id",
            params![case.0],
        )?;
        rows.iter()
            .map(|r| {
                Ok(CaseAction {
                    id: r.int(0)?,
                    case_id: CaseId(r.int(1)?),
                    at: r.time(2)?,
                    actor_id: r.opt_int(3)?.map(UserId),
                    side: r.text(4)?,
                    kind: r.text(5)?,
                    detail: r.text(6)?,
                })
            })
            .collect()
    }

    fn case_evidence(&mut self, case: CaseId) -> Result<Vec<EvidenceMeta>> {
        let rows = self.query(
            "SELECT id, case_id, kind, name, content_type, sha256, size, added_by, at FROM case_evidence WHERE case_id = $1 ORDER BY id",
            params![case.0],
        )?;
        rows.iter()
            .map(|r| {
                Ok(EvidenceMeta {
                    id: r.int(0)?,
                    case_id: CaseId(r.int(1)?),
                    kind: r.text(2)?,
                    name: r.text(3)?,
                    content_type: r.text(4)?,
                    sha256: r.text(5)?,
                    size: r.int(6)?,
                    added_by: r.opt_int(7)?.map(UserId),
                    at: r.time(8)?,
                })
            })
            .collect()
    }

    fn case_evidence_body(&mut self, case: CaseId, id: i64) -> Result<Option<(String, Vec<u8>)>> {
        let row = self.one(
            "SELECT content_type, body_hex FROM case_evidence WHERE case_id = $1 AND id = $2",
            params![case.0, id],
        )?;
        row.map(|r| {
            let body = hex::decode(r.text(1)?).map_err(|e| StorageError(format!("evidence body: {e}")))?;
            Ok((r.text(0)?, body))
        })
        .transpose()
    }

    fn published_cases(&mut self, shop: Option<ShopId>, offset: usize, limit: usize) -> Result<Vec<Case>> {
        let outcomes = PLATFORM_OUTCOMES.map(|o| format!("'{o}'")).join(", ");
        let cond = format!(
            "closed_at IS NOT NULL AND (outcome IN ({outcomes}) OR EXISTS (SELECT 1 FROM case_actions a \
             WHERE a.case_id = cases.id AND a.kind = 'case.escalated')) AND (CAST($1 AS BIGINT) = 0 OR shop_id = $1) \
             ORDER BY closed_at DESC, id DESC LIMIT $2 OFFSET $3"
        );
        self.cases_where(&cond, params![shop.map_or(0, |s| s.0), lim(limit), lim(offset)])
    }

    fn events_about(&mut self, subject: &str, limit: usize) -> Result<Vec<ChainedEvent>> {
        let cols = crate::anchor::EVENT_COLS;
        let sql = format!("SELECT {cols} FROM events WHERE subject = $1 ORDER BY seq LIMIT $2");
        self.query(&sql, params![subject, lim(limit)])?.iter().map(crate::anchor::event).collect()
    }

    fn case_replaced_units(&mut self, case: CaseId) -> Result<Vec<(ClaimedUnit, Timestamp)>> {
        let rows = self.query(
            "SELECT fingerprint, code_enc, secret_enc, replaced_at FROM case_replaced_units WHERE case_id = $1 ORDER BY id",
            params![case.0],
        )?;
        rows.iter()
            .map(|r| {
                let unit = ClaimedUnit { fingerprint: r.text(0)?, code_enc: r.text(1)?, secret_enc: r.opt_text(2)? };
                Ok((unit, r.time(3)?))
            })
            .collect()
    }
}
