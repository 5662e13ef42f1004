//! 我的订单's tabs, search and pages, in the SQL both backends share; only
//! reading the title out of the snapshot's JSON is said per backend.

use youying_core::error::Result;
use youying_core::orders::{Order, OrderListRead, OrderQuery, OrderTab};
use youying_core::values::{OrderId, ProductId};

use crate::market::{ORDER_COLS, order};
use crate::sql::{Conn, Dialect, params};
use crate::sqltx::SqlTx;

/// The product title as the buyer saw it, lower-cased for a search that
/// ignores the case of Latin letters on both backends.
fn title_sql(d: Dialect) -> &'static str {
    match d {
        Dialect::Sqlite => "LOWER(json_extract(snapshot, '$.title'))",
        Dialect::Postgres => "LOWER(snapshot::jsonb ->> 'title')",
    }
}

/// The tab as SQL over `orders`: state words come from the core's enum,
/// never from the request, so they may be written into the statement.
fn tab_sql(tab: OrderTab) -> String {
    if tab == OrderTab::All {
        return String::new();
    }
    let states: Vec<String> = tab.states().iter().map(|s| format!("'{}'", s.as_str())).collect();
    let mut cond = format!("state IN ({})", states.join(", "));
    if tab == OrderTab::AfterSales {
        cond.push_str(" OR EXISTS (SELECT 1 FROM cases c WHERE c.order_id = orders.id)");
    }
    format!(" AND ({cond})")
}

/// `%text%` for LIKE with `!` as the escape, so a typed `%` or `_` is literal.
fn like_pattern(text: &str) -> String {
    let mut p = String::from("%");
    // A NUL cannot be in a PostgreSQL text (it would be a 500) nor in an order: dropped on both backends.
    for c in text.to_lowercase().chars().filter(|c| *c != '\0') {
        if matches!(c, '!' | '%' | '_') {
            p.push('!');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl<C: Conn> OrderListRead for SqlTx<'_, C> {
    fn buyer_orders(&mut self, q: &OrderQuery) -> Result<Vec<Order>> {
        let text = q.text.trim();
        let search = if text.is_empty() {
            String::new()
        } else {
            let title = title_sql(self.conn.dialect());
            format!(" AND (LOWER(no) LIKE $4 ESCAPE '!' OR {title} LIKE $4 ESCAPE '!')")
        };
        let sql = format!(
            "SELECT {ORDER_COLS} FROM orders WHERE buyer_id = $1{}{search} ORDER BY id DESC LIMIT $2 OFFSET $3",
            tab_sql(q.tab)
        );
        let rows = if text.is_empty() {
            self.query(&sql, params![q.buyer.0, q.limit, q.offset])?
        } else {
            self.query(&sql, params![q.buyer.0, q.limit, q.offset, like_pattern(text)])?
        };
        rows.iter().map(order).collect()
    }

    fn product_of_order(&mut self, id: OrderId) -> Result<Option<ProductId>> {
        let row = self.one("SELECT product_id FROM orders WHERE id = $1", params![id.0])?;
        row.map(|r| r.int(0).map(ProductId)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_wildcards_are_literal() {
        assert_eq!(like_pattern("9.5折_100%!"), "%9.5折!_100!%!!%");
        assert_eq!(like_pattern("QQ"), "%qq%");
    }
}
