//! What the FAQ needs from persistence: the platform's and each shop's entries.

use serde::Serialize;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{ShopId, UserId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FaqItem {
    pub id: i64,
    pub shop_id: Option<ShopId>,
    pub question: String,
    pub answer: String,
    pub updated_by: Option<UserId>,
    pub updated_at: Timestamp,
}

/// Changing FAQ entries; part of [`Tx`](crate::ports::Tx).
pub trait FaqTx: FaqRead {
    fn insert_faq(&mut self, shop: Option<ShopId>, q: &str, a: &str, by: UserId, at: Timestamp) -> Result<i64>;
    fn update_faq(&mut self, id: i64, q: &str, a: &str, by: UserId, at: Timestamp) -> Result<()>;
    fn delete_faq(&mut self, id: i64) -> Result<()>;
}

/// The query half of [`FaqTx`], for read-only transactions.
pub trait FaqRead {
    fn faq(&mut self, shop: Option<ShopId>) -> Result<Vec<FaqItem>>;
    fn faq_item(&mut self, id: i64) -> Result<Option<FaqItem>>;
}
