//! Buyer levels (会员等级, issue 14): an admin defines levels — 普通会员,
//! 高级会员, 代理, 总代 — each with a discount in basis points, and puts
//! accounts on them; a shop may set its own fixed price per level on a
//! product. One level is the default: every account without a level, and
//! every anonymous viewer, buys at it.
//!
//! ```text
//!   level:   (none) ──create──▶ level ──update (name, position, discount, default)──▶ level
//!   account: default level ──assign (admin)──▶ level L ──assign──▶ level M …
//!   price:   list price ─▶ tier for the quantity ─▶ min(that, the shop's fixed price for L
//!            │                                             or, without one, that − L's discount)
//!            └─ never below 1 fen; a discount rounds down (the buyer's favour)
//! ```
//!
//! Every arrow is an evidence event (`level.created`, `level.updated`,
//! `level.assigned`, `product.level_prices`). [`quote`] is the one price
//! function: checkout charges what it says, pages and the API show it, and
//! the order's snapshot records its [`PriceBasis`] when a level changed the price.

pub mod manage;
pub mod model;
pub mod port;
pub mod price;

pub use self::manage::{PriceChange, assign, create, prices_of, set_prices, update};
pub use self::model::{Level, LevelId, LevelInput, LevelPrice, LevelSpec, MAX_DISCOUNT_BP, PriceBasis, Quote, zhe};
pub use self::port::{LevelRead, LevelTx};
pub use self::price::{base_price, quote, quote_at, resolve, viewer_level};

#[cfg(test)]
mod tests;
