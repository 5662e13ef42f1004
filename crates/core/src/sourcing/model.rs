//! The words and rows of 货源对接: connections, price rules, mapped products,
//! the reasons a source hides one, and the step row of an order placed
//! upstream. Plain data: the port stores it, the use cases move it.

use crate::catalogue::{ProductKind, TopupField};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::payments::model::Sealed;
use crate::stock::port::ClaimedUnit;
use crate::values::{OrderId, ProductId, ShopId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnectionId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MappingId(pub i64);

/// What a connection speaks: another Youying site's open API (synced, mapped),
/// or a direct-top-up supplier's HTTP JSON protocol (never synced, bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Youying,
    HttpJson,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Youying => "youying",
            Protocol::HttpJson => "http_json",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "youying" => Some(Protocol::Youying),
            "http_json" => Some(Protocol::HttpJson),
            _ => None,
        }
    }
}

/// A connection as the ping found it, ready to store.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub shop_id: ShopId,
    pub protocol: Protocol,
    pub base_url: String,
    pub key_id: String,
    pub secret: Sealed,
    pub site_name: String,
    pub account_name: String,
    pub level_name: String,
    pub balance_fen: i64,
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub id: ConnectionId,
    pub shop_id: ShopId,
    pub protocol: Protocol,
    pub base_url: String,
    pub key_id: String,
    pub secret: Sealed,
    pub site_name: String,
    pub account_name: String,
    pub level_name: String,
    pub balance_fen: i64,
    pub created_at: Timestamp,
    pub sync_due_at: Timestamp,
    pub last_sync_at: Option<Timestamp>,
    pub last_ok_at: Option<Timestamp>,
    /// Failed syncs in a row; 0 after any good one.
    pub failures: i64,
    pub last_error: Option<String>,
    pub removed_at: Option<Timestamp>,
}

impl Connection {
    /// `ok` after a good sync (or before the first), `failing` otherwise.
    pub fn health(&self) -> &'static str {
        if self.failures == 0 { "ok" } else { "failing" }
    }
}

/// How a mapped product's price follows the upstream's cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceRule {
    /// The upstream's cost, unchanged.
    Same,
    /// Cost plus a share in **basis points** (1000 = +10 %), rounded up to the fen.
    Percent(i64),
    /// Cost plus a fixed amount in fen.
    FixedAdd(i64),
    /// A fixed price in fen, whatever the cost.
    FixedPrice(i64),
}

impl PriceRule {
    /// `value` is ignored for `same`; percent 0..=100000 bp (+1000 %), amounts 0..=10^9 fen.
    pub fn parse(kind: &str, value: i64) -> Result<Self> {
        let bad = |reason| Error::Invalid { field: "rule", reason };
        Ok(match kind {
            "same" => PriceRule::Same,
            "percent" if (0..=100_000).contains(&value) => PriceRule::Percent(value),
            "fixed_add" if (0..=1_000_000_000).contains(&value) => PriceRule::FixedAdd(value),
            "fixed_price" if (1..=1_000_000_000).contains(&value) => PriceRule::FixedPrice(value),
            "percent" | "fixed_add" | "fixed_price" => return Err(bad("value_out_of_range")),
            _ => return Err(bad("unknown_kind")),
        })
    }

    pub fn kind(self) -> &'static str {
        match self {
            PriceRule::Same => "same",
            PriceRule::Percent(_) => "percent",
            PriceRule::FixedAdd(_) => "fixed_add",
            PriceRule::FixedPrice(_) => "fixed_price",
        }
    }

    pub fn value(self) -> i64 {
        match self {
            PriceRule::Same => 0,
            PriceRule::Percent(v) | PriceRule::FixedAdd(v) | PriceRule::FixedPrice(v) => v,
        }
    }

    /// The sale price for one unit costing `cost_fen` upstream.
    pub fn apply(self, cost_fen: i64) -> i64 {
        match self {
            PriceRule::Same => cost_fen,
            // Rounded up: a margin never loses its last fen.
            PriceRule::Percent(bp) => cost_fen.saturating_add((cost_fen.saturating_mul(bp) + 9_999) / 10_000),
            PriceRule::FixedAdd(fen) => cost_fen.saturating_add(fen),
            PriceRule::FixedPrice(fen) => fen,
        }
    }
}

/// Why the source hides a mapped product (never the rest of the shop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HiddenReason {
    Unreachable,
    OffSale,
    SoldOut,
    AboveCap,
    BelowCost,
}

impl HiddenReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HiddenReason::Unreachable => "unreachable",
            HiddenReason::OffSale => "off_sale",
            HiddenReason::SoldOut => "sold_out",
            HiddenReason::AboveCap => "above_cap",
            HiddenReason::BelowCost => "below_cost",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unreachable" => HiddenReason::Unreachable,
            "off_sale" => HiddenReason::OffSale,
            "sold_out" => HiddenReason::SoldOut,
            "above_cap" => HiddenReason::AboveCap,
            "below_cost" => HiddenReason::BelowCost,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            HiddenReason::Unreachable => "货源站无法连接",
            HiddenReason::OffSale => "货源已下架",
            HiddenReason::SoldOut => "货源缺货",
            HiddenReason::AboveCap => "货源进价高于上限",
            HiddenReason::BelowCost => "售价低于进价",
        }
    }
}

/// An upstream product, as this shop's key sees it (the server turns the
/// open API's JSON into this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceItem {
    pub upstream_product_id: i64,
    pub kind: ProductKind,
    pub category: String,
    pub title: String,
    pub description: String,
    pub instructions: String,
    /// What one unit costs this shop upstream.
    pub cost_fen: i64,
    pub on_sale: bool,
    pub in_stock: bool,
    pub stock_count: Option<i64>,
    pub max_per_order: i64,
    pub promises: Vec<String>,
    pub promise_secs: Option<i64>,
    pub topup_fields: Vec<TopupField>,
}

/// What a merchant asks for when mapping an upstream product.
#[derive(Debug, Clone)]
pub struct MapInput {
    pub rule: PriceRule,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    /// The merchant says so explicitly: the price may fall below the cost.
    pub allow_below_cost: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub id: MappingId,
    pub connection_id: ConnectionId,
    pub shop_id: ShopId,
    pub product_id: ProductId,
    pub upstream_product_id: i64,
    pub rule: PriceRule,
    pub floor_fen: Option<i64>,
    pub cap_fen: Option<i64>,
    pub allow_below_cost: bool,
    /// The upstream's unit price at the last sync.
    pub cost_fen: i64,
    pub stock_count: Option<i64>,
    pub hidden: Option<HiddenReason>,
    pub synced_at: Timestamp,
    pub created_at: Timestamp,
}

impl Mapping {
    /// The sale price now: the rule on the cost, never below the floor.
    pub fn price(&self) -> i64 {
        self.rule.apply(self.cost_fen).max(self.floor_fen.unwrap_or(0)).max(1)
    }

    /// What the shop agreed to pay upstream for one unit: the cap if set, else the last cost.
    pub fn max_unit_price(&self) -> i64 {
        self.cap_fen.unwrap_or(self.cost_fen)
    }
}

/// A shop's own direct-top-up product fulfilled by a supplier's SKU (table
/// `supplier_bindings`). The product keeps its own price: no rule, no sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub product_id: ProductId,
    pub connection_id: ConnectionId,
    pub shop_id: ShopId,
    pub sku: String,
    /// Which of the product's top-up fields is the account sent to the supplier.
    pub account_field: String,
    pub created_at: Timestamp,
}

/// The step row's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Not yet known whether the upstream took the order.
    Placing,
    /// The upstream took a top-up and is doing it.
    Awaiting,
    Done,
    Failed,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Placing => "placing",
            StepState::Awaiting => "awaiting",
            StepState::Done => "done",
            StepState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "placing" => StepState::Placing,
            "awaiting" => StepState::Awaiting,
            "done" => StepState::Done,
            "failed" => StepState::Failed,
            _ => return None,
        })
    }
}

/// The durable step of an order placed upstream (table `upstream_orders`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamOrder {
    pub order_id: OrderId,
    pub connection_id: ConnectionId,
    pub upstream_product_id: i64,
    /// The local order number: the upstream is idempotent on it.
    pub downstream_order_no: String,
    pub quantity: i64,
    pub max_unit_price_fen: i64,
    pub topup_target: Option<String>,
    /// A direct-top-up supplier's product code (a binding's order; `None` upstream).
    pub sku: Option<String>,
    /// The account sent to the supplier: the bound top-up field's value.
    pub account: Option<String>,
    pub state: StepState,
    /// Claims so far; above 1, a POST may already have reached the upstream.
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub upstream_order_no: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The upstream's answer about one order, in the core's words (units sealed).
#[derive(Debug, Clone)]
pub enum SourceAnswer {
    /// Card keys or accounts in the answer.
    Delivered { upstream_order_no: String, units: Vec<ClaimedUnit> },
    /// A top-up taken, being done upstream.
    Accepted { upstream_order_no: String },
    /// A top-up done upstream, with its proof.
    Fulfilled { upstream_order_no: String, note: String },
    /// Refunded upstream after it was taken.
    Refunded { upstream_order_no: String },
    /// Refused (409/422/404 to the POST): nothing was charged upstream.
    Refused { code: String, message: String, current_unit_price_fen: Option<i64> },
    /// No answer, 5xx, a timeout, an answer not understood: never a failure.
    Unknown { error: String },
}
