//! What 货源对接 needs from persistence.

use super::model::{Binding, Connection, ConnectionId, Mapping, MappingId, NewConnection, UpstreamOrder};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{OrderId, ProductId, ShopId};

/// The query half of [`SourcingTx`].
pub trait SourcingRead {
    /// Removed connections are still found (orders refer to them).
    fn connection(&mut self, id: ConnectionId) -> Result<Option<Connection>>;
    /// A shop's live connections, oldest first.
    fn connections_of_shop(&mut self, shop: ShopId) -> Result<Vec<Connection>>;
    fn mapping(&mut self, id: MappingId) -> Result<Option<Mapping>>;
    fn mapping_of_product(&mut self, product: ProductId) -> Result<Option<Mapping>>;
    fn mappings_of_connection(&mut self, connection: ConnectionId) -> Result<Vec<Mapping>>;
    fn binding_of_product(&mut self, product: ProductId) -> Result<Option<Binding>>;
    fn bindings_of_connection(&mut self, connection: ConnectionId) -> Result<Vec<Binding>>;
    /// Locks the step row for the rest of a read-write transaction.
    fn upstream_order(&mut self, order: OrderId) -> Result<Option<UpstreamOrder>>;
    /// The earliest sync or order step owed (leases included).
    fn next_sourcing_due(&mut self) -> Result<Option<Timestamp>>;
}

/// Recording connections, mappings and order steps.
pub trait SourcingTx: SourcingRead {
    fn insert_connection(&mut self, c: &NewConnection, at: Timestamp) -> Result<ConnectionId>;
    fn update_connection(&mut self, c: &Connection) -> Result<()>;
    /// Due syncs, locked (`SKIP LOCKED`), their due time moved to `lease_until`.
    fn claim_syncs(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<Connection>>;
    fn insert_mapping(&mut self, m: &Mapping) -> Result<MappingId>;
    fn update_mapping(&mut self, m: &Mapping) -> Result<()>;
    fn delete_mapping(&mut self, id: MappingId) -> Result<()>;
    /// Sets `products.source_hidden` and `updated_at` (the search index follows).
    fn set_source_hidden(&mut self, product: ProductId, hidden: bool, at: Timestamp) -> Result<()>;
    /// Binds the product, or moves its binding to another SKU or supplier.
    fn put_binding(&mut self, b: &Binding) -> Result<()>;
    fn delete_binding(&mut self, product: ProductId) -> Result<()>;
    fn insert_upstream_order(&mut self, o: &UpstreamOrder) -> Result<()>;
    fn update_upstream_order(&mut self, o: &UpstreamOrder) -> Result<()>;
    /// Due steps, locked (`SKIP LOCKED`), moved to `lease_until`, `attempts` + 1;
    /// with `only`, that order's step alone (if due).
    fn claim_upstream_orders(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        only: Option<OrderId>,
        limit: usize,
    ) -> Result<Vec<UpstreamOrder>>;
}
