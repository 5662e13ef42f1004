//! The marketplace half of the port: catalogue, stock, orders and the ledger,
//! in the SQL both backends share.

use youying_core::Timestamp;
use youying_core::catalogue::{CardFacts, CatalogueRead, CatalogueTx, Product, ProductKind, ProductSpec};
use youying_core::error::{Conflict, Error, Result, StorageError};
use youying_core::grades::Grade;
use youying_core::money::Fen;
use youying_core::orders::{NewOrder, Order, OrderState};
use youying_core::orders::{OrderRead, OrderTx};
use youying_core::stock::SealedUnit;
use youying_core::stock::{ClaimedUnit, StockRead, StockTx};
use youying_core::values::{DeadlineId, OrderId, ProductId, ShopId, UserId};

use youying_core::deadline::NewDeadline;

use crate::sql::{Conn, Dialect, Row, Val, params};
use crate::sqltx::SqlTx;

const PRODUCT_COLS: &str = "id, shop_id, spec, on_sale, rank, created_at, updated_at, version, source_hidden";

fn product(r: &Row) -> Result<Product> {
    Ok(Product {
        id: ProductId(r.int(0)?),
        shop_id: ShopId(r.int(1)?),
        spec: serde_json::from_str(&r.text(2)?).map_err(|e| StorageError(format!("product spec: {e}")))?,
        on_sale: r.int(3)? != 0,
        rank: r.int(4)?,
        created_at: r.time(5)?,
        updated_at: r.time(6)?,
        version: r.int(7)?,
        source_hidden: r.int(8)? != 0,
    })
}

pub(crate) const ORDER_COLS: &str = "id, no, buyer_id, shop_id, product_id, kind, quantity, unit_price_fen, total_fen, state, snapshot, snapshot_hash, \
     topup_target, fulfil_note, created_at, promise_due, topup_overdue, fulfilled_at, protect_until, closed_at, escrow_fen, deadline_id";

pub(crate) fn order(r: &Row) -> Result<Order> {
    let bad = |what: &str| Error::from(StorageError(format!("bad order {what}")));
    Ok(Order {
        id: OrderId(r.int(0)?),
        no: r.text(1)?,
        buyer_id: UserId(r.int(2)?),
        shop_id: ShopId(r.int(3)?),
        product_id: ProductId(r.int(4)?),
        kind: ProductKind::parse(&r.text(5)?)?,
        quantity: r.int(6)?,
        unit_price: Fen::new(r.int(7)?)?,
        total: Fen::new(r.int(8)?)?,
        state: OrderState::parse(&r.text(9)?).ok_or_else(|| bad("state"))?,
        snapshot: r.text(10)?,
        snapshot_hash: r.text(11)?,
        topup_target: r.opt_text(12)?,
        fulfil_note: r.opt_text(13)?,
        created_at: r.time(14)?,
        promise_due: r.opt_time(15)?,
        topup_overdue: r.int(16)? != 0,
        fulfilled_at: r.opt_time(17)?,
        protect_until: r.opt_time(18)?,
        closed_at: r.opt_time(19)?,
        escrow_fen: r.int(20)?,
        deadline_id: r.opt_int(21)?.map(DeadlineId),
    })
}

fn unit(r: &Row) -> Result<ClaimedUnit> {
    Ok(ClaimedUnit { fingerprint: r.text(0)?, code_enc: r.text(1)?, secret_enc: r.opt_text(2)? })
}

fn spec_json(spec: &ProductSpec) -> Result<String> {
    serde_json::to_string(spec).map_err(|e| StorageError(format!("spec: {e}")).into())
}

/// `$first, $first+1, …` for `n` parameters.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// The order id a deadline payload is first made with (see `insert_order_due`).
const ORDER_ID_STAND_IN: i64 = 8_070_450_532_247_928_831;

/// `$1`…`$15` of an order insert.
fn order_params(o: &NewOrder) -> Vec<Val> {
    params![
        &o.no,
        o.buyer_id.0,
        o.shop_id.0,
        o.product_id.0,
        o.kind.as_str(),
        o.quantity,
        o.unit_price.get(),
        o.total.get(),
        o.state.as_str(),
        &o.snapshot,
        &o.snapshot_hash,
        o.topup_target.clone(),
        o.created_at,
        o.promise_due,
        o.protect_until
    ]
    .to_vec()
}

/// Tells the engine (after commit) that a deadline is now due at `due`, as `schedule` does.
fn scheduled<C: Conn>(tx: &mut SqlTx<'_, C>, due: Timestamp) {
    tx.earliest_scheduled = Some(tx.earliest_scheduled.map_or(due, |e| e.min(due)));
}

/// The general way, for a deadline whose payload does not name the order as
/// expected: the order, its deadline, then the order's `deadline_id`.
fn insert_order_then_due<C: Conn>(
    tx: &mut SqlTx<'_, C>,
    o: &NewOrder,
    due: &dyn Fn(OrderId) -> NewDeadline,
) -> Result<(OrderId, DeadlineId)> {
    let sql = "INSERT INTO orders (no, buyer_id, shop_id, product_id, kind, quantity, unit_price_fen, total_fen, state, snapshot, \
               snapshot_hash, topup_target, created_at, promise_due, protect_until, escrow_fen, topup_overdue) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $8, 0) RETURNING id";
    let id = OrderId(tx.insert_id(sql, &order_params(o))?);
    let deadline = youying_core::ports::Tx::schedule(tx, &due(id))?;
    tx.exec("UPDATE orders SET deadline_id = $2 WHERE id = $1", params![id.0, deadline.0])?;
    Ok((id, deadline))
}

/// Rows per multi-row INSERT: far below both backends' parameter limits.
const INSERT_CHUNK: usize = 200;
/// Values per `IN (…)` probe.
const PROBE_CHUNK: usize = 500;

impl<C: Conn> CatalogueRead for SqlTx<'_, C> {
    fn product(&mut self, id: ProductId) -> Result<Option<Product>> {
        self.one(&format!("SELECT {PRODUCT_COLS} FROM products WHERE id = $1"), params![id.0])?
            .as_ref()
            .map(product)
            .transpose()
    }

    fn products_of_shop(&mut self, shop: ShopId) -> Result<Vec<Product>> {
        let rows = self.query(
            &format!("SELECT {PRODUCT_COLS} FROM products WHERE shop_id = $1 ORDER BY id DESC"),
            params![shop.0],
        )?;
        rows.iter().map(product).collect()
    }

    fn products_changed_since(&mut self, after: Timestamp, limit: usize) -> Result<Vec<Product>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!("SELECT {PRODUCT_COLS} FROM products WHERE updated_at > $1 ORDER BY updated_at, id LIMIT $2");
        self.query(&sql, params![after, limit])?.iter().map(product).collect()
    }

    fn card_facts(&mut self, ids: &[ProductId]) -> Result<Vec<CardFacts>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(PROBE_CHUNK) {
            // The sum is per product through orders_product_sales_idx; the grade is one row per shop.
            let sql = format!(
                "SELECT p.id, CAST(COALESCE((SELECT SUM(o.quantity) FROM orders o \
                   WHERE o.product_id = p.id AND o.state <> 'refunded'), 0) AS BIGINT), g.grade \
                 FROM products p LEFT JOIN shop_grades g ON g.shop_id = p.shop_id WHERE p.id IN ({})",
                placeholders(1, chunk.len())
            );
            let vals: Vec<Val> = chunk.iter().map(|id| Val::from(id.0)).collect();
            for r in self.query(&sql, &vals)? {
                let grade = r.opt_text(2)?.as_deref().and_then(Grade::parse).unwrap_or(Grade::New);
                out.push(CardFacts { product: ProductId(r.int(0)?), sold: r.int(1)?, grade });
            }
        }
        Ok(out)
    }
}

impl<C: Conn> CatalogueTx for SqlTx<'_, C> {
    fn insert_product(&mut self, shop: ShopId, spec: &ProductSpec, on_sale: bool, at: Timestamp) -> Result<ProductId> {
        let sql = "INSERT INTO products (shop_id, category, kind, title, price_fen, spec, on_sale, rank, created_at, updated_at, version) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8, 1) RETURNING id";
        let p = params![
            shop.0,
            &spec.category,
            spec.kind.as_str(),
            &spec.title,
            spec.price_fen,
            spec_json(spec)?,
            on_sale,
            at
        ];
        self.insert_id(sql, p).map(ProductId)
    }

    fn update_product(&mut self, p: &Product, expected_version: i64) -> Result<bool> {
        let sql = "UPDATE products SET category = $2, title = $3, price_fen = $4, spec = $5, on_sale = $6, rank = $7, updated_at = $8, \
                   version = version + 1 WHERE id = $1 AND version = $9";
        let s = &p.spec;
        let n = self.exec(
            sql,
            params![
                p.id.0,
                &s.category,
                &s.title,
                s.price_fen,
                spec_json(s)?,
                p.on_sale,
                p.rank,
                p.updated_at,
                expected_version
            ],
        )?;
        Ok(n == 1)
    }
}

impl<C: Conn> StockRead for SqlTx<'_, C> {
    /// A mapped product (货源对接) counts what its upstream said at the last sync.
    fn stock_count(&mut self, p: ProductId) -> Result<i64> {
        self.one(
            "SELECT (SELECT COUNT(*) FROM stock_units WHERE product_id = $1) + \
             COALESCE((SELECT stock_count FROM upstream_mappings WHERE product_id = $1 AND hidden_reason IS NULL), 0)",
            params![p.0],
        )?
        .map_or(Ok(0), |r| r.int(0))
    }

    fn existing_fingerprints(&mut self, shop: ShopId, fps: &[String]) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for chunk in fps.chunks(PROBE_CHUNK) {
            let marks = placeholders(2, chunk.len());
            let sql = format!(
                "SELECT fingerprint FROM stock_units WHERE shop_id = $1 AND fingerprint IN ({marks}) \
                 UNION SELECT fingerprint FROM order_units WHERE shop_id = $1 AND fingerprint IN ({marks})"
            );
            let mut p = vec![Val::Int(shop.0)];
            p.extend(chunk.iter().map(Val::from));
            for r in self.query(&sql, &p)? {
                found.push(r.text(0)?);
            }
        }
        Ok(found)
    }

    fn unsold_units(&mut self, p: ProductId, limit: i64) -> Result<Vec<ClaimedUnit>> {
        merchant_tools::unsold_units(self, p, limit)
    }
}

impl<C: Conn> StockTx for SqlTx<'_, C> {
    fn insert_units(&mut self, shop: ShopId, product: ProductId, units: &[SealedUnit], at: Timestamp) -> Result<()> {
        for chunk in units.chunks(INSERT_CHUNK) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(i * 6 + 1, 6))).collect();
            let sql = format!(
                "INSERT INTO stock_units (shop_id, product_id, fingerprint, code_enc, secret_enc, created_at) VALUES {}",
                rows.join(", ")
            );
            let mut p = Vec::with_capacity(chunk.len() * 6);
            for u in chunk {
                p.extend([
                    Val::Int(shop.0),
                    Val::Int(product.0),
                    Val::from(&u.fingerprint),
                    Val::from(&u.code_enc),
                    Val::from(u.secret_enc.clone()),
                    Val::from(at),
                ]);
            }
            self.exec(&sql, &p)?;
        }
        if self.conn.dialect() == crate::sql::Dialect::Postgres && units.len() >= 1_000 {
            // Fresh statistics after a bulk import: otherwise the next import's
            // prepared duplicate probe keeps a plan made for an empty table (a
            // sequential scan per 500-key chunk: a second 100k import took minutes).
            self.conn.batch("ANALYZE stock_units").map_err(crate::sql::map_db_error)?;
        }
        Ok(())
    }

    fn claim_units(&mut self, p: ProductId, n: i64) -> Result<Vec<ClaimedUnit>> {
        // One round trip: pick unlocked rows, delete them, hand them back. On
        // PostgreSQL the scan starts where this connection last claimed: the
        // index still holds every sold unit's entry until vacuum, and a scan
        // from the start walked them all (a product got slower as it sold).
        let skip = self.conn.dialect().skip_locked();
        let mark = self.conn.claim_marks().and_then(|m| m.get(&p.0).copied());
        let mut units = Vec::new();
        if let Some(mark) = mark {
            let sql = format!(
                "DELETE FROM stock_units WHERE id IN (SELECT id FROM stock_units WHERE product_id = $1 AND id >= $3 ORDER BY id LIMIT $2{skip}) \
                 RETURNING fingerprint, code_enc, secret_enc, id"
            );
            units = self.query(&sql, params![p.0, n, mark])?;
        }
        // Too few past the mark (units put back below it, a first claim): from the start.
        let short = n - i64::try_from(units.len()).unwrap_or(n);
        if short > 0 {
            let sql = format!(
                "DELETE FROM stock_units WHERE id IN (SELECT id FROM stock_units WHERE product_id = $1 ORDER BY id LIMIT $2{skip}) \
                 RETURNING fingerprint, code_enc, secret_enc, id"
            );
            units.extend(self.query(&sql, params![p.0, short])?);
        }
        let first = units.iter().map(|r| r.int(3)).collect::<Result<Vec<_>>>()?.into_iter().min();
        if let (Some(first), Some(marks)) = (first, self.conn.claim_marks()) {
            let m = marks.entry(p.0).or_insert(first);
            *m = (*m).max(first);
        }
        units.iter().map(unit).collect()
    }

    fn withdraw_units(&mut self, p: ProductId, limit: i64) -> Result<i64> {
        let skip = self.conn.dialect().skip_locked();
        let sql = format!(
            "DELETE FROM stock_units WHERE id IN (SELECT id FROM stock_units WHERE product_id = $1 ORDER BY id DESC LIMIT $2{skip})"
        );
        self.exec(&sql, params![p.0, limit]).map(|n| i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl<C: Conn> OrderRead for SqlTx<'_, C> {
    fn order_units(&mut self, o: OrderId) -> Result<Vec<ClaimedUnit>> {
        self.query(
            "SELECT fingerprint, code_enc, secret_enc FROM order_units WHERE order_id = $1 ORDER BY id",
            params![o.0],
        )?
        .iter()
        .map(unit)
        .collect()
    }

    fn order(&mut self, id: OrderId) -> Result<Option<Order>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1{lock}"), params![id.0])?
            .as_ref()
            .map(order)
            .transpose()
    }

    fn order_by_no(&mut self, no: &str) -> Result<Option<Order>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {ORDER_COLS} FROM orders WHERE no = $1{lock}"), params![no])?
            .as_ref()
            .map(order)
            .transpose()
    }

    fn orders_of_buyer(&mut self, buyer: UserId, limit: usize) -> Result<Vec<Order>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE buyer_id = $1 ORDER BY id DESC LIMIT $2");
        self.query(&sql, params![buyer.0, limit])?.iter().map(order).collect()
    }

    fn orders_of_shop(&mut self, shop: ShopId, limit: usize) -> Result<Vec<Order>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE shop_id = $1 ORDER BY id DESC LIMIT $2");
        self.query(&sql, params![shop.0, limit])?.iter().map(order).collect()
    }

    fn idempotency(&mut self, user: UserId, key: &str) -> Result<Option<(String, Option<OrderId>)>> {
        let row = self.one(
            "SELECT request_hash, order_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            params![user.0, key],
        )?;
        row.map(|r| Ok((r.text(0)?, r.opt_int(1)?.map(OrderId)))).transpose()
    }
}

impl<C: Conn> OrderTx for SqlTx<'_, C> {
    fn insert_order_due(
        &mut self,
        o: &NewOrder,
        due: &dyn Fn(OrderId) -> NewDeadline,
    ) -> Result<(OrderId, DeadlineId)> {
        // The deadline's payload names the order: made once with a stand-in id,
        // the SQL puts the real one in its place (the order's id is taken first).
        let d = due(OrderId(ORDER_ID_STAND_IN));
        let payload = d.payload.to_string();
        let Some((before, after)) = payload.split_once(&ORDER_ID_STAND_IN.to_string()) else {
            return insert_order_then_due(self, o, due);
        };
        let sql = match self.conn.dialect() {
            // One round trip: the id from the sequence, the deadline, the order.
            Dialect::Postgres => {
                "WITH n AS (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id), \
                 d AS (INSERT INTO deadlines (kind, subject, due_at, state, created_at, attempts, payload) \
                       VALUES ($16, $17, $18, 'pending', $19, 0, $20::text || (SELECT id FROM n)::text || $21::text) RETURNING id) \
                 INSERT INTO orders (id, no, buyer_id, shop_id, product_id, kind, quantity, unit_price_fen, total_fen, state, snapshot, \
                   snapshot_hash, topup_target, created_at, promise_due, protect_until, escrow_fen, topup_overdue, deadline_id) \
                 VALUES ((SELECT id FROM n), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $8, 0, (SELECT id FROM d)) \
                 RETURNING id, deadline_id"
            }
            // The single writer takes the next ids itself (as `schedule` does).
            Dialect::Sqlite => {
                let row = self
                    .one(
                        "INSERT INTO deadlines (id, kind, subject, due_at, state, created_at, attempts, payload) \
                         VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM deadlines), $1, $2, $3, 'pending', $4, 0, \
                         $5 || (SELECT COALESCE(MAX(id), 0) + 1 FROM orders) || $6) \
                         RETURNING (SELECT COALESCE(MAX(id), 0) + 1 FROM orders), id",
                        params![d.kind.as_str(), &d.subject, d.due_at, d.created_at, before, after],
                    )?
                    .ok_or_else(|| StorageError("insert returned no id".into()))?;
                let (order_id, deadline_id) = (row.int(0)?, row.int(1)?);
                self.exec(
                    "INSERT INTO orders (id, no, buyer_id, shop_id, product_id, kind, quantity, unit_price_fen, total_fen, state, snapshot, \
                     snapshot_hash, topup_target, created_at, promise_due, protect_until, escrow_fen, topup_overdue, deadline_id) \
                     VALUES ($16, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $8, 0, $17)",
                    &[order_params(o), vec![Val::Int(order_id), Val::Int(deadline_id)]].concat(),
                )?;
                scheduled(self, d.due_at);
                return Ok((OrderId(order_id), DeadlineId(deadline_id)));
            }
        };
        let tail = params![d.kind.as_str(), &d.subject, d.due_at, d.created_at, before, after];
        let row = self
            .one(sql, &[order_params(o), tail.to_vec()].concat())?
            .ok_or_else(|| StorageError("insert returned no id".into()))?;
        scheduled(self, d.due_at);
        Ok((OrderId(row.int(0)?), DeadlineId(row.int(1)?)))
    }

    fn insert_order_units(&mut self, order: OrderId, shop: ShopId, units: &[ClaimedUnit]) -> Result<()> {
        for chunk in units.chunks(INSERT_CHUNK) {
            let rows: Vec<String> = (0..chunk.len()).map(|i| format!("({})", placeholders(i * 5 + 1, 5))).collect();
            let sql = format!(
                "INSERT INTO order_units (order_id, shop_id, fingerprint, code_enc, secret_enc) VALUES {}",
                rows.join(", ")
            );
            let mut p = Vec::with_capacity(chunk.len() * 5);
            for u in chunk {
                p.extend([
                    Val::Int(order.0),
                    Val::Int(shop.0),
                    Val::from(&u.fingerprint),
                    Val::from(&u.code_enc),
                    Val::from(u.secret_enc.clone()),
                ]);
            }
            self.exec(&sql, &p)?;
        }
        Ok(())
    }

    fn update_order(&mut self, o: &Order) -> Result<()> {
        let sql = "UPDATE orders SET state = $2, fulfil_note = $3, topup_overdue = $4, fulfilled_at = $5, protect_until = $6, closed_at = $7, \
                   escrow_fen = $8, deadline_id = $9, promise_due = $10 WHERE id = $1";
        let p = params![
            o.id.0,
            o.state.as_str(),
            o.fulfil_note.clone(),
            o.topup_overdue,
            o.fulfilled_at,
            o.protect_until,
            o.closed_at,
            o.escrow_fen,
            o.deadline_id.map(|d| d.0),
            o.promise_due
        ];
        self.exec(sql, p)?;
        Ok(())
    }

    fn put_idempotency(
        &mut self,
        user: UserId,
        key: &str,
        hash: &str,
        order: Option<OrderId>,
        at: Timestamp,
    ) -> Result<()> {
        match order {
            None => self.exec(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)",
                params![user.0, key, hash, at],
            ),
            Some(o) => self.exec(
                "UPDATE idempotency_keys SET order_id = $3 WHERE user_id = $1 AND key = $2",
                params![user.0, key, o.0],
            ),
        }
        .map_err(|e| match e {
            Error::Conflict(_) => Error::Conflict(Conflict::IdempotencyKeyInFlight),
            other => other,
        })?;
        Ok(())
    }
}

/// The merchant's tools (issue 16): exporting unsold keys.
mod merchant_tools {
    use super::{ClaimedUnit, Conn, ProductId, Result, SqlTx, params, unit};

    pub(super) fn unsold_units<C: Conn>(tx: &mut SqlTx<'_, C>, p: ProductId, limit: i64) -> Result<Vec<ClaimedUnit>> {
        let sql =
            "SELECT fingerprint, code_enc, secret_enc FROM stock_units WHERE product_id = $1 ORDER BY id LIMIT $2";
        tx.query(sql, params![p.0, limit])?.iter().map(unit).collect()
    }
}
