//! What stock needs from persistence: sealed units waiting to be sold.

use super::model::SealedUnit;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{ProductId, ShopId};

/// A unit taken from stock for an order: still sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimedUnit {
    pub fingerprint: String,
    pub code_enc: String,
    pub secret_enc: Option<String>,
}

impl std::fmt::Debug for ClaimedUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClaimedUnit(***)")
    }
}

/// Counting what is in stock.
pub trait StockRead {
    fn stock_count(&mut self, product: ProductId) -> Result<i64>;
    /// Which of `fingerprints` this shop already holds or has sold.
    fn existing_fingerprints(&mut self, shop: ShopId, fingerprints: &[String]) -> Result<Vec<String>>;
    /// Up to `limit` unsold units of a product, oldest first, still sealed (for an export).
    fn unsold_units(&mut self, product: ProductId, limit: i64) -> Result<Vec<ClaimedUnit>>;
}

/// Putting units into stock and taking them out.
pub trait StockTx: StockRead {
    fn insert_units(&mut self, shop: ShopId, product: ProductId, units: &[SealedUnit], at: Timestamp) -> Result<()>;
    /// Takes up to `n` unsold units out of stock, skipping ones another transaction holds.
    fn claim_units(&mut self, product: ProductId, n: i64) -> Result<Vec<ClaimedUnit>>;
    fn withdraw_units(&mut self, product: ProductId, limit: i64) -> Result<i64>;
}
