//! 货源对接 in the SQL both backends share: connections (secret as sealed),
//! mappings, the source-hidden flag of products, and the step rows of orders
//! placed upstream, claimed like every outbox here (`SKIP LOCKED` + a lease).

use youying_core::clock::Timestamp;
use youying_core::error::{Error, Result, StorageError};
use youying_core::payments::Sealed;
use youying_core::sourcing::{
    Binding, Connection, ConnectionId, HiddenReason, Mapping, MappingId, NewConnection, PriceRule, Protocol,
    SourcingRead, SourcingTx, StepState, UpstreamOrder,
};
use youying_core::values::{OrderId, ProductId, ShopId};

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const CONN_COLS: &str = "id, shop_id, base_url, key_id, secret_sealed, site_name, account_name, level_name, balance_fen, \
                         created_at, sync_due_at, last_sync_at, last_ok_at, failures, last_error, removed_at, protocol";
const MAP_COLS: &str = "id, connection_id, shop_id, product_id, upstream_product_id, rule_kind, rule_value, floor_fen, \
                        cap_fen, allow_below_cost, cost_fen, stock_count, hidden_reason, synced_at, created_at";
const STEP_COLS: &str = "order_id, connection_id, upstream_product_id, downstream_order_no, quantity, max_unit_price_fen, \
                         topup_target, state, attempts, next_attempt_at, upstream_order_no, last_error, created_at, updated_at, sku, account";
const BIND_COLS: &str = "product_id, connection_id, shop_id, sku, account_field, created_at";

fn bad(what: &str) -> Error {
    StorageError(format!("bad sourcing {what}")).into()
}

fn connection(r: &Row) -> Result<Connection> {
    Ok(Connection {
        id: ConnectionId(r.int(0)?),
        shop_id: ShopId(r.int(1)?),
        base_url: r.text(2)?,
        key_id: r.text(3)?,
        secret: Sealed::new(r.text(4)?),
        site_name: r.text(5)?,
        account_name: r.text(6)?,
        level_name: r.text(7)?,
        balance_fen: r.int(8)?,
        created_at: r.time(9)?,
        sync_due_at: r.time(10)?,
        last_sync_at: r.opt_time(11)?,
        last_ok_at: r.opt_time(12)?,
        failures: r.int(13)?,
        last_error: r.opt_text(14)?,
        removed_at: r.opt_time(15)?,
        protocol: Protocol::parse(&r.text(16)?).ok_or_else(|| bad("protocol"))?,
    })
}

fn mapping(r: &Row) -> Result<Mapping> {
    Ok(Mapping {
        id: MappingId(r.int(0)?),
        connection_id: ConnectionId(r.int(1)?),
        shop_id: ShopId(r.int(2)?),
        product_id: ProductId(r.int(3)?),
        upstream_product_id: r.int(4)?,
        rule: PriceRule::parse(&r.text(5)?, r.int(6)?).map_err(|_| bad("rule"))?,
        floor_fen: r.opt_int(7)?,
        cap_fen: r.opt_int(8)?,
        allow_below_cost: r.int(9)? != 0,
        cost_fen: r.int(10)?,
        stock_count: r.opt_int(11)?,
        hidden: r.opt_text(12)?.map(|h| HiddenReason::parse(&h).ok_or_else(|| bad("hidden_reason"))).transpose()?,
        synced_at: r.time(13)?,
        created_at: r.time(14)?,
    })
}

fn step(r: &Row) -> Result<UpstreamOrder> {
    Ok(UpstreamOrder {
        order_id: OrderId(r.int(0)?),
        connection_id: ConnectionId(r.int(1)?),
        upstream_product_id: r.int(2)?,
        downstream_order_no: r.text(3)?,
        quantity: r.int(4)?,
        max_unit_price_fen: r.int(5)?,
        topup_target: r.opt_text(6)?,
        state: StepState::parse(&r.text(7)?).ok_or_else(|| bad("step state"))?,
        attempts: r.int(8)?,
        next_attempt_at: r.opt_time(9)?,
        upstream_order_no: r.opt_text(10)?,
        last_error: r.opt_text(11)?,
        created_at: r.time(12)?,
        updated_at: r.time(13)?,
        sku: r.opt_text(14)?,
        account: r.opt_text(15)?,
    })
}

fn binding(r: &Row) -> Result<Binding> {
    Ok(Binding {
        product_id: ProductId(r.int(0)?),
        connection_id: ConnectionId(r.int(1)?),
        shop_id: ShopId(r.int(2)?),
        sku: r.text(3)?,
        account_field: r.text(4)?,
        created_at: r.time(5)?,
    })
}

impl<C: Conn> SourcingRead for SqlTx<'_, C> {
    fn connection(&mut self, id: ConnectionId) -> Result<Option<Connection>> {
        let sql = format!("SELECT {CONN_COLS} FROM upstream_connections WHERE id = $1");
        self.one(&sql, params![id.0])?.as_ref().map(connection).transpose()
    }

    fn connections_of_shop(&mut self, shop: ShopId) -> Result<Vec<Connection>> {
        let sql = format!(
            "SELECT {CONN_COLS} FROM upstream_connections WHERE shop_id = $1 AND removed_at IS NULL ORDER BY id"
        );
        self.query(&sql, params![shop.0])?.iter().map(connection).collect()
    }

    fn mapping(&mut self, id: MappingId) -> Result<Option<Mapping>> {
        let sql = format!("SELECT {MAP_COLS} FROM upstream_mappings WHERE id = $1");
        self.one(&sql, params![id.0])?.as_ref().map(mapping).transpose()
    }

    fn mapping_of_product(&mut self, product: ProductId) -> Result<Option<Mapping>> {
        let sql = format!("SELECT {MAP_COLS} FROM upstream_mappings WHERE product_id = $1");
        self.one(&sql, params![product.0])?.as_ref().map(mapping).transpose()
    }

    fn mappings_of_connection(&mut self, c: ConnectionId) -> Result<Vec<Mapping>> {
        let sql = format!("SELECT {MAP_COLS} FROM upstream_mappings WHERE connection_id = $1 ORDER BY id");
        self.query(&sql, params![c.0])?.iter().map(mapping).collect()
    }

    fn binding_of_product(&mut self, product: ProductId) -> Result<Option<Binding>> {
        let sql = format!("SELECT {BIND_COLS} FROM supplier_bindings WHERE product_id = $1");
        self.one(&sql, params![product.0])?.as_ref().map(binding).transpose()
    }

    fn bindings_of_connection(&mut self, c: ConnectionId) -> Result<Vec<Binding>> {
        let sql = format!("SELECT {BIND_COLS} FROM supplier_bindings WHERE connection_id = $1 ORDER BY product_id");
        self.query(&sql, params![c.0])?.iter().map(binding).collect()
    }

    fn upstream_order(&mut self, order: OrderId) -> Result<Option<UpstreamOrder>> {
        let lock = self.row_lock();
        let sql = format!("SELECT {STEP_COLS} FROM upstream_orders WHERE order_id = $1{lock}");
        self.one(&sql, params![order.0])?.as_ref().map(step).transpose()
    }

    fn next_sourcing_due(&mut self) -> Result<Option<Timestamp>> {
        let a = self
            .one(
                "SELECT MIN(sync_due_at) FROM upstream_connections WHERE removed_at IS NULL AND protocol = 'youying'",
                params![],
            )?
            .map_or(Ok(None), |r| r.opt_time(0))?;
        let b = self
            .one("SELECT MIN(next_attempt_at) FROM upstream_orders WHERE next_attempt_at IS NOT NULL", params![])?
            .map_or(Ok(None), |r| r.opt_time(0))?;
        Ok(match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }
}

impl<C: Conn> SourcingTx for SqlTx<'_, C> {
    fn insert_connection(&mut self, c: &NewConnection, at: Timestamp) -> Result<ConnectionId> {
        self.insert_id(
            "INSERT INTO upstream_connections (shop_id, base_url, key_id, secret_sealed, site_name, account_name, \
             level_name, balance_fen, created_at, sync_due_at, last_sync_at, last_ok_at, failures, protocol) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $9, 0, $11) RETURNING id",
            params![
                c.shop_id.0,
                c.base_url.as_str(),
                c.key_id.as_str(),
                c.secret.as_str(),
                c.site_name.as_str(),
                c.account_name.as_str(),
                c.level_name.as_str(),
                c.balance_fen,
                at,
                at,
                c.protocol.as_str()
            ],
        )
        .map(ConnectionId)
    }

    fn update_connection(&mut self, c: &Connection) -> Result<()> {
        self.exec(
            "UPDATE upstream_connections SET sync_due_at = $2, last_sync_at = $3, last_ok_at = $4, failures = $5, \
             last_error = $6, removed_at = $7, balance_fen = $8 WHERE id = $1",
            params![
                c.id.0,
                c.sync_due_at,
                c.last_sync_at,
                c.last_ok_at,
                c.failures,
                c.last_error.as_deref(),
                c.removed_at,
                c.balance_fen
            ],
        )?;
        Ok(())
    }

    fn claim_syncs(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<Connection>> {
        let skip = self.conn.dialect().skip_locked();
        let sql = format!(
            "SELECT {CONN_COLS} FROM upstream_connections WHERE removed_at IS NULL AND sync_due_at <= $1 \
             AND protocol = 'youying' ORDER BY sync_due_at, id LIMIT $2{skip}"
        );
        let mut claimed =
            self.query(&sql, params![now, lim(limit)])?.iter().map(connection).collect::<Result<Vec<_>>>()?;
        for c in &mut claimed {
            self.exec("UPDATE upstream_connections SET sync_due_at = $2 WHERE id = $1", params![c.id.0, lease_until])?;
            c.sync_due_at = lease_until;
        }
        Ok(claimed)
    }

    fn insert_mapping(&mut self, m: &Mapping) -> Result<MappingId> {
        self.insert_id(
            "INSERT INTO upstream_mappings (connection_id, shop_id, product_id, upstream_product_id, rule_kind, \
             rule_value, floor_fen, cap_fen, allow_below_cost, cost_fen, stock_count, hidden_reason, synced_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            params![
                m.connection_id.0,
                m.shop_id.0,
                m.product_id.0,
                m.upstream_product_id,
                m.rule.kind(),
                m.rule.value(),
                m.floor_fen,
                m.cap_fen,
                m.allow_below_cost,
                m.cost_fen,
                m.stock_count,
                m.hidden.map(HiddenReason::as_str),
                m.synced_at,
                m.created_at
            ],
        )
        .map(MappingId)
    }

    fn update_mapping(&mut self, m: &Mapping) -> Result<()> {
        self.exec(
            "UPDATE upstream_mappings SET rule_kind = $2, rule_value = $3, floor_fen = $4, cap_fen = $5, \
             allow_below_cost = $6, cost_fen = $7, stock_count = $8, hidden_reason = $9, synced_at = $10 WHERE id = $1",
            params![
                m.id.0,
                m.rule.kind(),
                m.rule.value(),
                m.floor_fen,
                m.cap_fen,
                m.allow_below_cost,
                m.cost_fen,
                m.stock_count,
                m.hidden.map(HiddenReason::as_str),
                m.synced_at
            ],
        )?;
        Ok(())
    }

    fn delete_mapping(&mut self, id: MappingId) -> Result<()> {
        self.exec("DELETE FROM upstream_mappings WHERE id = $1", params![id.0])?;
        Ok(())
    }

    fn set_source_hidden(&mut self, product: ProductId, hidden: bool, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE products SET source_hidden = $2, updated_at = $3 WHERE id = $1",
            params![product.0, hidden, at],
        )?;
        Ok(())
    }

    fn put_binding(&mut self, b: &Binding) -> Result<()> {
        self.exec(
            &format!(
                "INSERT INTO supplier_bindings ({BIND_COLS}) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (product_id) DO UPDATE SET connection_id = $2, sku = $4, account_field = $5"
            ),
            params![
                b.product_id.0,
                b.connection_id.0,
                b.shop_id.0,
                b.sku.as_str(),
                b.account_field.as_str(),
                b.created_at
            ],
        )?;
        Ok(())
    }

    fn delete_binding(&mut self, product: ProductId) -> Result<()> {
        self.exec("DELETE FROM supplier_bindings WHERE product_id = $1", params![product.0])?;
        Ok(())
    }

    fn insert_upstream_order(&mut self, o: &UpstreamOrder) -> Result<()> {
        self.exec(
            &format!(
                "INSERT INTO upstream_orders ({STEP_COLS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            ),
            params![
                o.order_id.0,
                o.connection_id.0,
                o.upstream_product_id,
                o.downstream_order_no.as_str(),
                o.quantity,
                o.max_unit_price_fen,
                o.topup_target.as_deref(),
                o.state.as_str(),
                o.attempts,
                o.next_attempt_at,
                o.upstream_order_no.as_deref(),
                o.last_error.as_deref(),
                o.created_at,
                o.updated_at,
                o.sku.as_deref(),
                o.account.as_deref()
            ],
        )?;
        Ok(())
    }

    fn update_upstream_order(&mut self, o: &UpstreamOrder) -> Result<()> {
        self.exec(
            "UPDATE upstream_orders SET state = $2, attempts = $3, next_attempt_at = $4, upstream_order_no = $5, \
             last_error = $6, updated_at = $7 WHERE order_id = $1",
            params![
                o.order_id.0,
                o.state.as_str(),
                o.attempts,
                o.next_attempt_at,
                o.upstream_order_no.as_deref(),
                o.last_error.as_deref(),
                o.updated_at
            ],
        )?;
        Ok(())
    }

    fn claim_upstream_orders(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        only: Option<OrderId>,
        limit: usize,
    ) -> Result<Vec<UpstreamOrder>> {
        let skip = self.conn.dialect().skip_locked();
        let sql = format!(
            "SELECT {STEP_COLS} FROM upstream_orders WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 \
             AND (CAST($2 AS BIGINT) = 0 OR order_id = $2) ORDER BY next_attempt_at, order_id LIMIT $3{skip}"
        );
        let rows = self.query(&sql, params![now, only.map_or(0, |o| o.0), lim(limit)])?;
        let mut claimed = rows.iter().map(step).collect::<Result<Vec<_>>>()?;
        for s in &mut claimed {
            self.exec(
                "UPDATE upstream_orders SET next_attempt_at = $2, attempts = attempts + 1 WHERE order_id = $1",
                params![s.order_id.0, lease_until],
            )?;
            s.next_attempt_at = Some(lease_until);
            s.attempts += 1;
        }
        Ok(claimed)
    }
}
