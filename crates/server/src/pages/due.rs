//! 待办: what a shop's team must handle and by when — chats waiting for an
//! answer, open cases, top-ups to fulfil, listings running out — soonest first,
//! each row linking to where it is handled. Read inside the console's one store
//! read, from ports every backend has.

use youying_core::cases::CaseState;
use youying_core::chat::Owner;
use youying_core::clock::Timestamp;
use youying_core::error::Result;
use youying_core::orders::OrderState;
use youying_core::ports::ReadTx;
use youying_core::shops::Shop;

use crate::fmt::fmt_time;

/// Listings with fewer units than this are low when the shop set no threshold of its own.
pub const DEFAULT_LOW_STOCK: i64 = 5;
/// How far back the console looks; older unhandled work is still on the orders and cases pages.
const LOOK_BACK: usize = 200;

/// One thing to do, with its deadline.
pub struct DueRow {
    pub what: String,
    pub href: String,
    /// `2026-12-08 10:30`.
    pub at: String,
    /// `剩余 25 分钟` or `已超时 3 分钟`.
    pub left: String,
    pub overdue: bool,
    due: Timestamp,
}

pub struct LowRow {
    pub title: String,
    pub stock: i64,
    pub href: String,
}

/// A shop's due work, each list soonest first.
pub struct Due {
    pub chats: Vec<DueRow>,
    pub cases: Vec<DueRow>,
    pub topups: Vec<DueRow>,
    pub low: Vec<LowRow>,
    pub low_limit: i64,
}

impl Due {
    pub fn is_empty(&self) -> bool {
        self.chats.is_empty() && self.cases.is_empty() && self.topups.is_empty() && self.low.is_empty()
    }
}

/// `剩余 25 分钟`, `剩余 2 小时 5 分钟`, `剩余 3 天 2 小时`; past the deadline `已超时 …`.
pub fn left_words(now: Timestamp, due: Timestamp) -> String {
    let secs = due.secs() - now.secs();
    let m = (secs.abs() + 59) / 60;
    let span = match m {
        0..60 => format!("{m} 分钟"),
        60..2880 => format!("{} 小时 {} 分钟", m / 60, m % 60),
        _ => format!("{} 天 {} 小时", m / 1440, (m % 1440) / 60),
    };
    if secs < 0 { format!("已超时 {span}") } else { format!("剩余 {span}") }
}

fn row(now: Timestamp, what: String, href: String, due: Timestamp) -> DueRow {
    DueRow { what, href, at: fmt_time(due), left: left_words(now, due), overdue: due < now, due }
}

fn soonest_first(mut rows: Vec<DueRow>) -> Vec<DueRow> {
    rows.sort_by_key(|r| r.due);
    rows
}

/// The due work of `shop`; low stock only for those who manage its listings.
pub fn gather(tx: &mut dyn ReadTx, now: Timestamp, shop: &Shop, manage: bool) -> Result<Due> {
    let mut chats = Vec::new();
    for c in tx.conversations_of_shop(shop.id, LOOK_BACK)? {
        // Waiting for the shop's human answer; a conversation the platform took over is its to answer.
        if let (Some(_), Some(due), Owner::Shop) = (c.awaiting_since, c.reply_due, c.owner) {
            chats.push(row(now, format!("买家咨询 #{}", c.id.0), format!("/merchant/chat/{}", c.id.0), due));
        }
    }
    let mut cases = Vec::new();
    for c in tx.cases_of_shop(shop.id, LOOK_BACK)? {
        let (what, due) = match c.state {
            CaseState::AwaitingMerchant => ("待商家处理", c.merchant_due),
            CaseState::AwaitingBuyer => ("等待买家确认", c.resolve_due),
            CaseState::InArbitration => ("平台裁决中", c.resolve_due),
            _ => continue,
        };
        cases.push(row(
            now,
            format!("售后 #{} · 订单 {} · {what}", c.id.0, c.order_no),
            format!("/cases/{}", c.id.0),
            due,
        ));
    }
    let mut topups = Vec::new();
    for o in tx.orders_of_shop(shop.id, LOOK_BACK)? {
        if let (OrderState::AwaitingFulfilment, Some(due)) = (o.state, o.promise_due) {
            let href = format!("/merchant/shops/{}/orders#awaiting", shop.id.0);
            topups.push(row(now, format!("直充订单 {} · 承诺到账", o.no), href, due));
        }
    }
    let threshold = tx.low_stock_threshold(shop.id)?;
    let low_limit = if threshold > 0 { threshold } else { DEFAULT_LOW_STOCK };
    let mut low = Vec::new();
    if manage {
        for p in tx.products_of_shop(shop.id)?.into_iter().filter(|p| p.on_sale && p.spec.kind.has_stock()) {
            let stock = tx.stock_count(p.id)?;
            if stock < low_limit {
                low.push(LowRow { title: p.spec.title, stock, href: format!("/merchant/products/{}/stock", p.id.0) });
            }
        }
        low.sort_by_key(|r| r.stock);
    }
    Ok(Due { chats: soonest_first(chats), cases: soonest_first(cases), topups: soonest_first(topups), low, low_limit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_in_minutes_hours_and_days() {
        let now = Timestamp::from_millis(1_000_000_000);
        let at = |secs: i64| Timestamp::from_millis(1_000_000_000 + secs * 1000);
        assert_eq!(left_words(now, at(25 * 60)), "剩余 25 分钟");
        assert_eq!(left_words(now, at(30)), "剩余 1 分钟");
        assert_eq!(left_words(now, at(125 * 60)), "剩余 2 小时 5 分钟");
        assert_eq!(left_words(now, at(3 * 86_400 + 7200)), "剩余 3 天 2 小时");
        assert_eq!(left_words(now, at(-180)), "已超时 3 分钟");
    }
}
