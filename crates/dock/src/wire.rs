//! The JSON of the open API (`/api/open/v1`), defined once for both ends: the
//! site that answers serialises these, the site that docks it parses them.
//! Money is integer fen; times are milliseconds since the epoch (`*_at`,
//! `updated_since`) except `server_time`, in unix seconds like the signature's
//! timestamp. Fields are only ever added; a parser ignores what it does not know.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where the open API lives on a site.
pub const PREFIX: &str = "/api/open/v1";

/// `GET /ping`: who the key belongs to and what it can spend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    pub account: AccountRef,
    pub level: LevelRef,
    pub balance_fen: i64,
    pub site: SiteRef,
    /// Unix seconds: a caller can see its clock skew.
    pub server_time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelRef {
    pub id: i64,
    pub name: String,
    pub discount_bp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRef {
    pub name: String,
}

/// `GET /products` and `GET /products/{id}`: what a buyer sees, plus the
/// caller's own price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub shop: ShopRef,
    /// `card_key`, `direct_topup` or `account`.
    pub kind: String,
    pub category: String,
    pub title: String,
    pub description: String,
    pub instructions: String,
    /// The price anyone pays for one unit.
    pub list_price_fen: i64,
    /// What the caller pays for one unit, at its level.
    pub unit_price_fen: i64,
    pub tiers: Vec<Tier>,
    pub max_per_order: i64,
    pub stock: Stock,
    /// What a top-up needs from its buyer (`topup_target` keys), with patterns.
    pub topup_fields: Vec<TopupField>,
    /// Promise codes (`instant`, `after_sales`, …).
    pub promises: Vec<String>,
    /// A top-up's promised delivery time, seconds.
    pub promise_secs: Option<i64>,
    /// How long after delivery a case may be opened, seconds.
    pub protect_secs: i64,
    /// `false`: not sellable now (withdrawn, shop hidden); a sync hides it downstream.
    pub on_sale: bool,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopRef {
    pub id: i64,
    pub name: String,
    /// `A`..`D`, or `new` while there is too little to grade.
    pub grade: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub min_qty: i64,
    pub unit_price_fen: i64,
}

/// Card keys and accounts have a count; a top-up is only in or out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stock {
    pub in_stock: bool,
    pub count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopupField {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductList {
    pub products: Vec<Product>,
    pub server_time: i64,
}

/// `POST /orders`. `downstream_order_no` is the caller's own number, unique
/// per key: the same body again answers the same order; another body, 422.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub product_id: i64,
    pub quantity: i64,
    pub downstream_order_no: String,
    /// Above this unit price the order is refused (409 `price_changed`,
    /// with `current_unit_price_fen`) and nothing is charged.
    pub max_unit_price_fen: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topup_target: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<String>,
}

/// An order as the open API shows it. Units are in the clear: only the caller
/// that placed the order is ever shown them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_no: String,
    pub downstream_order_no: String,
    pub product_id: i64,
    pub kind: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub total_fen: i64,
    /// The site's order state: `delivered`, `awaiting_fulfilment`, `fulfilled`,
    /// `completed`, `refunded`, `disputed`.
    pub state: String,
    pub units: Vec<Unit>,
    pub fulfilment: Option<Fulfilment>,
    pub promise_due_at: Option<i64>,
    pub protect_until: Option<i64>,
    pub created_at: i64,
    pub snapshot_sha256: String,
    /// The order's open after-sales case, if any (`GET /cases/{id}` reads it):
    /// a caller that lost the answer to its `POST …/cases` finds its case here.
    #[serde(default)]
    pub open_case_id: Option<i64>,
}

/// A delivered card key (code, optional secret) or account (login, password).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub code: String,
    #[serde(default)]
    pub secret: Option<String>,
}

impl std::fmt::Debug for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unit(***)")
    }
}

/// The merchant's (or supplier's) proof that a top-up was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfilment {
    pub note: String,
    pub at: i64,
}

/// `POST /orders/{downstream_order_no}/cases`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCase {
    /// `key_invalid`, `key_used`, `topup_missing`, `account_mismatch`, … as the site's cases say.
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    /// Images as `data:image/...;base64,` URLs, as the site's own case API takes them.
    #[serde(default)]
    pub screenshots: Vec<String>,
}

/// An after-sales case as the open API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: i64,
    pub order_no: String,
    pub downstream_order_no: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    pub opened_at: i64,
    pub merchant_due_at: i64,
    pub resolve_due_at: i64,
    /// How it ended (`refunded`, `reissued`, `rejected`, …), once closed.
    pub outcome: Option<String>,
    pub refund_fen: i64,
    /// The remedy the merchant offered while the case awaits the caller:
    /// `reissue`, `fulfil` or `partial_refund`.
    #[serde(default)]
    pub remedy: Option<String>,
    /// A partial refund offered, in fen.
    #[serde(default)]
    pub proposal_fen: Option<i64>,
    /// Keys reissued by the case (offered, or accepted), in the clear, for the caller only.
    pub reissued: Vec<Unit>,
    pub closed_at: Option<i64>,
}

/// What a site POSTs to an order's `callback_url` when the order or one of
/// its cases changes; signed with the caller's own secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    /// `order.updated` or `case.updated`.
    pub event: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Order>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<Case>,
}

/// Every error: a stable `code` and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    /// With `price_changed`: what one unit costs the caller now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_unit_price_fen: Option<i64>,
    /// With `invalid`: which field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `invalid` (`private_address`, `bad_url`, …) and `conflict`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The codes the open API answers with, for the docs page and for callers.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    ("unauthorized", 401, "缺少或未知的 X-Youying-Key，或密钥已停用"),
    ("stale_timestamp", 401, "X-Youying-Timestamp 与服务器时间相差超过 60 秒"),
    ("bad_signature", 401, "签名不匹配（密钥、方法、路径、时间戳或请求体不一致）"),
    ("forbidden", 403, "该账号不能通过开放接口下单"),
    ("not_found", 404, "商品或订单不存在（其他密钥的订单号也是 404）"),
    ("invalid", 422, "参数有误，见 field 与 reason"),
    ("idempotency_mismatch", 422, "同一 downstream_order_no 已用于内容不同的请求"),
    ("price_changed", 409, "单价高于 max_unit_price_fen，见 current_unit_price_fen，未扣款"),
    ("out_of_stock", 409, "库存不足，未扣款"),
    ("insufficient_funds", 422, "余额不足，未扣款"),
    ("shop_unavailable", 409, "店铺暂不可售"),
    ("rate_limited", 429, "请求过快，见 Retry-After"),
    ("conflict", 409, "订单或售后的当前状态不允许此操作，见 reason"),
    ("payload_too_large", 413, "请求体超过 64 KB"),
    ("internal", 500, "服务器内部错误，可稍后重试（下单请用同一 downstream_order_no 重试）"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_request_round_trips_and_omits_what_is_absent() {
        let p = PlaceOrder {
            product_id: 7,
            quantity: 2,
            downstream_order_no: "A-1".into(),
            max_unit_price_fen: 950,
            topup_target: None,
            callback_url: None,
        };
        let text = serde_json::to_string(&p).unwrap_or_default();
        assert_eq!(text, r#"{"product_id":7,"quantity":2,"downstream_order_no":"A-1","max_unit_price_fen":950}"#);
        assert_eq!(serde_json::from_str::<PlaceOrder>(&text).ok(), Some(p));
    }

    #[test]
    fn units_do_not_print() {
        let u = Unit { code: "KEY-123".into(), secret: Some("pw".into()) };
        assert_eq!(format!("{u:?}"), "Unit(***)");
    }

    #[test]
    fn a_newer_site_may_add_fields() {
        let e: ErrorBody =
            serde_json::from_str(r#"{"code":"price_changed","message":"x","current_unit_price_fen":1200,"extra":1}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.current_unit_price_fen, Some(1200));
    }
}
