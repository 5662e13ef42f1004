//! The order's words and rows: its states, the order as placed and as
//! stored. Plain data: the port stores it, the use cases in `mod.rs` move it.

use serde::Serialize;

use crate::catalogue::ProductKind;
use crate::clock::Timestamp;
use crate::money::Fen;
use crate::values::{DeadlineId, OrderId, ProductId, ShopId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Paid, being ordered from the shop's upstream (货源对接); escrow held.
    Sourcing,
    /// Card key or account delivered; escrow held through the protection window.
    Delivered,
    /// Direct top-up paid, waiting for the merchant.
    AwaitingFulfilment,
    /// Direct top-up fulfilled; escrow held through the protection window.
    Fulfilled,
    /// Escrow released to the shop.
    Completed,
    /// Money returned to the buyer.
    Refunded,
    /// An after-sales case is open: escrow is frozen, the window's release waits.
    Disputed,
}

impl OrderState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Sourcing => "sourcing",
            OrderState::Delivered => "delivered",
            OrderState::AwaitingFulfilment => "awaiting_fulfilment",
            OrderState::Fulfilled => "fulfilled",
            OrderState::Completed => "completed",
            OrderState::Refunded => "refunded",
            OrderState::Disputed => "disputed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sourcing" => OrderState::Sourcing,
            "delivered" => OrderState::Delivered,
            "awaiting_fulfilment" => OrderState::AwaitingFulfilment,
            "fulfilled" => OrderState::Fulfilled,
            "completed" => OrderState::Completed,
            "refunded" => OrderState::Refunded,
            "disputed" => OrderState::Disputed,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderState::Sourcing => "向货源下单中",
            OrderState::Delivered => "已发货·担保中",
            OrderState::AwaitingFulfilment => "待商家充值",
            OrderState::Fulfilled => "已充值·担保中",
            OrderState::Completed => "已完成",
            OrderState::Refunded => "已退款",
            OrderState::Disputed => "售后中·担保冻结",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub no: String,
    pub buyer_id: UserId,
    pub shop_id: ShopId,
    pub product_id: ProductId,
    pub kind: ProductKind,
    pub quantity: i64,
    pub unit_price: Fen,
    pub total: Fen,
    pub state: OrderState,
    pub snapshot: String,
    pub snapshot_hash: String,
    pub topup_target: Option<String>,
    pub created_at: Timestamp,
    pub promise_due: Option<Timestamp>,
    pub protect_until: Option<Timestamp>,
}

impl NewOrder {
    /// The order as stored under `id`: what reading it back would give.
    pub fn stored(self, id: OrderId, deadline_id: Option<DeadlineId>) -> Order {
        Order {
            id,
            escrow_fen: self.total.get(),
            no: self.no,
            buyer_id: self.buyer_id,
            shop_id: self.shop_id,
            product_id: self.product_id,
            kind: self.kind,
            quantity: self.quantity,
            unit_price: self.unit_price,
            total: self.total,
            state: self.state,
            snapshot: self.snapshot,
            snapshot_hash: self.snapshot_hash,
            topup_target: self.topup_target,
            fulfil_note: None,
            created_at: self.created_at,
            promise_due: self.promise_due,
            topup_overdue: false,
            fulfilled_at: None,
            protect_until: self.protect_until,
            closed_at: None,
            deadline_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub no: String,
    pub buyer_id: UserId,
    pub shop_id: ShopId,
    pub product_id: ProductId,
    pub kind: ProductKind,
    pub quantity: i64,
    pub unit_price: Fen,
    pub total: Fen,
    pub state: OrderState,
    /// The listing as the buyer saw it: canonical JSON, hashed below.
    pub snapshot: String,
    pub snapshot_hash: String,
    pub topup_target: Option<String>,
    pub fulfil_note: Option<String>,
    pub created_at: Timestamp,
    pub promise_due: Option<Timestamp>,
    pub topup_overdue: bool,
    pub fulfilled_at: Option<Timestamp>,
    pub protect_until: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// What escrow holds for this order now.
    pub escrow_fen: i64,
    pub deadline_id: Option<DeadlineId>,
}

/// How long a buyer waits for an order placed upstream (货源对接) that has no
/// promised time of its own (a card key, an account) before they may cancel it.
pub const SOURCING_WAIT_SECS: i64 = 600;

impl Order {
    /// Whether its buyer may cancel it now for a full refund: a top-up past
    /// its promised time, or an order still being sourced past its wait.
    pub fn cancellable(&self, now: Timestamp) -> bool {
        let due = self.promise_due.unwrap_or(self.created_at.plus_secs(SOURCING_WAIT_SECS));
        match self.state {
            OrderState::AwaitingFulfilment => self.promise_due.is_some_and(|d| d <= now),
            OrderState::Sourcing => due <= now,
            _ => false,
        }
    }
}
