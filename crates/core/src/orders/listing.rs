//! 我的订单 as a buyer browses it: tabs, a search box and pages. The tabs are
//! words over order states (and cases), so the store can answer them in SQL
//! and every page of the list agrees with the order page.

use super::model::{Order, OrderState};
use crate::error::Result;
use crate::values::{OrderId, ProductId, UserId};

/// A tab of 我的订单. Tabs may overlap (a refunded order with a case is in
/// 已完成 and in 售后), as buyers know from other marketplaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderTab {
    /// 全部: every order of the buyer.
    #[default]
    All,
    /// 待处理: paid, goods not there yet — being ordered upstream (货源) or
    /// waiting for the merchant's top-up.
    Pending,
    /// 担保中: delivered or topped up, the money still held in escrow while
    /// the protection window runs; the buyer may confirm or ask for 售后.
    Escrow,
    /// 已完成: closed — released to the shop or refunded to the buyer.
    Done,
    /// 售后: an after-sales case is open now, or was ever opened on the order.
    AfterSales,
}

impl OrderTab {
    pub const ALL: [OrderTab; 5] =
        [OrderTab::All, OrderTab::Pending, OrderTab::Escrow, OrderTab::Done, OrderTab::AfterSales];

    /// The word in `?tab=`; anything unknown is 全部.
    pub fn parse(s: &str) -> Self {
        Self::ALL.into_iter().find(|t| t.as_str() == s).unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderTab::All => "all",
            OrderTab::Pending => "pending",
            OrderTab::Escrow => "escrow",
            OrderTab::Done => "done",
            OrderTab::AfterSales => "after_sales",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderTab::All => "全部",
            OrderTab::Pending => "待处理",
            OrderTab::Escrow => "担保中",
            OrderTab::Done => "已完成",
            OrderTab::AfterSales => "售后",
        }
    }

    /// The states the tab shows; empty for 全部 (no filter). 售后 also takes
    /// orders with a case in any state: the store adds that.
    pub fn states(self) -> &'static [OrderState] {
        match self {
            OrderTab::All => &[],
            OrderTab::Pending => &[OrderState::Sourcing, OrderState::AwaitingFulfilment],
            OrderTab::Escrow => &[OrderState::Delivered, OrderState::Fulfilled],
            OrderTab::Done => &[OrderState::Completed, OrderState::Refunded],
            OrderTab::AfterSales => &[OrderState::Disputed],
        }
    }

    /// Whether `o` belongs on the tab, given whether it ever had a case.
    pub fn holds(self, o: &Order, has_case: bool) -> bool {
        self == OrderTab::All || self.states().contains(&o.state) || (self == OrderTab::AfterSales && has_case)
    }
}

/// One page of a buyer's orders, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    pub buyer: UserId,
    pub tab: OrderTab,
    /// Part of the order number or of the product title; empty: no search.
    pub text: String,
    pub offset: i64,
    pub limit: i64,
}

/// The list and lookups that read orders without locking them.
pub trait OrderListRead {
    /// The buyer's orders matching `q`, newest first, `q.limit` at most.
    fn buyer_orders(&mut self, q: &OrderQuery) -> Result<Vec<Order>>;
    /// The product an order was placed for (it never changes, so no lock).
    fn product_of_order(&mut self, id: OrderId) -> Result<Option<ProductId>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tab_reads_back_and_unknown_words_show_everything() {
        for t in OrderTab::ALL {
            assert_eq!(OrderTab::parse(t.as_str()), t);
        }
        assert_eq!(OrderTab::parse("drop table"), OrderTab::All);
    }

    #[test]
    fn every_state_but_disputed_has_exactly_one_state_tab() {
        let all = [
            OrderState::Sourcing,
            OrderState::Delivered,
            OrderState::AwaitingFulfilment,
            OrderState::Fulfilled,
            OrderState::Completed,
            OrderState::Refunded,
            OrderState::Disputed,
        ];
        for s in all {
            let n = OrderTab::ALL.iter().filter(|t| t.states().contains(&s)).count();
            assert_eq!(n, 1, "{s:?}");
        }
    }
}
