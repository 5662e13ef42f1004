//! What orders need from persistence: the order rows, their units and the
//! buyers' idempotency keys.

use super::model::{NewOrder, Order};
use crate::clock::Timestamp;
use crate::deadline::model::NewDeadline;
use crate::error::Result;
use crate::stock::port::ClaimedUnit;
use crate::values::{DeadlineId, OrderId, ShopId, UserId};

/// Looking orders up.
pub trait OrderRead {
    fn order_units(&mut self, order: OrderId) -> Result<Vec<ClaimedUnit>>;
    /// Locks the order for the rest of a read-write transaction.
    fn order(&mut self, id: OrderId) -> Result<Option<Order>>;
    fn order_by_no(&mut self, no: &str) -> Result<Option<Order>>;
    fn orders_of_buyer(&mut self, buyer: UserId, limit: usize) -> Result<Vec<Order>>;
    fn orders_of_shop(&mut self, shop: ShopId, limit: usize) -> Result<Vec<Order>>;
    /// `(request_hash, order)` stored under a buyer's idempotency key.
    fn idempotency(&mut self, user: UserId, key: &str) -> Result<Option<(String, Option<OrderId>)>>;
}

/// Placing orders and moving them along.
pub trait OrderTx: OrderRead {
    /// The order together with its deadline, which `due` makes from the
    /// order's id: the order is stored with its `deadline_id` at once (no
    /// insert, read back and update), in one round trip where the backend can.
    fn insert_order_due(
        &mut self,
        order: &NewOrder,
        due: &dyn Fn(OrderId) -> NewDeadline,
    ) -> Result<(OrderId, DeadlineId)>;
    fn insert_order_units(&mut self, order: OrderId, shop: ShopId, units: &[ClaimedUnit]) -> Result<()>;
    fn update_order(&mut self, order: &Order) -> Result<()>;
    fn put_idempotency(
        &mut self,
        user: UserId,
        key: &str,
        request_hash: &str,
        order: Option<OrderId>,
        at: Timestamp,
    ) -> Result<()>;
}
