//! What enforcement needs from persistence: breaches, penalties, and the
//! facts the ladder reads.

use super::model::{BreachKind, NewPenalty, Party, Penalty};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::ShopId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub id: i64,
    pub shop_id: ShopId,
    pub kind: BreachKind,
    pub subject: String,
    pub at: Timestamp,
    pub detail: String,
    /// The merchant's breach, or the platform's own.
    pub party: Party,
}

/// Reading breaches and penalties.
pub trait EnforcementRead {
    /// The shop's own breaches (not the platform's) after `since`, oldest first.
    fn shop_breaches_since(&mut self, shop: ShopId, since: Timestamp) -> Result<Vec<Breach>>;
    fn breaches(&mut self, shop: Option<ShopId>, limit: usize) -> Result<Vec<Breach>>;
    /// Locks the penalty for the rest of a read-write transaction.
    fn penalty(&mut self, id: i64) -> Result<Option<Penalty>>;
    /// Newest first; one shop's or every shop's.
    fn penalties(&mut self, shop: Option<ShopId>, limit: usize) -> Result<Vec<Penalty>>;
    fn active_penalties(&mut self, shop: ShopId) -> Result<Vec<Penalty>>;
}

/// Charging breaches and moving penalties along.
pub trait EnforcementTx: EnforcementRead {
    /// Locks the shop row: breaches of one shop are counted one at a time.
    fn lock_shop(&mut self, shop: ShopId) -> Result<()>;
    fn insert_breach(
        &mut self,
        shop: ShopId,
        kind: BreachKind,
        subject: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<i64>;
    /// A breach charged to the platform itself: never counted on the shop's ladder.
    fn insert_platform_breach(
        &mut self,
        shop: ShopId,
        kind: BreachKind,
        subject: &str,
        at: Timestamp,
        detail: &str,
    ) -> Result<i64>;
    fn insert_penalty(&mut self, p: &NewPenalty) -> Result<i64>;
    /// Saves state, deadline, end and lift fields.
    fn update_penalty(&mut self, p: &Penalty) -> Result<()>;
    /// Marks a shop's products changed, so the search index re-reads their visibility.
    fn touch_shop_products(&mut self, shop: ShopId, at: Timestamp) -> Result<u64>;
    fn touch_all_products(&mut self, at: Timestamp) -> Result<u64>;
}
