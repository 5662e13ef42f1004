//! 货源对接, the downstream side: a shop connects an upstream Youying site,
//! maps the upstream's products into its own shop with a price rule, keeps
//! them in step by a sync, and places every order of a mapped product upstream.
//!
//! ```text
//! connection:  connect (ping ok) ──▶ live ──sync (every upstream_sync_secs)──▶ live
//!                                     └──remove (nothing mapped)──▶ removed
//!
//! mapping:     map ──▶ shown ◀──sync: source ok──▶ hidden(unreachable | off_sale |
//!                                                   sold_out | above_cap | below_cost)
//!
//! order of a mapped product (the step row `upstream_orders`):
//!   checkout (escrow held, order Sourcing, step placing)
//!     ──answer: units──▶ order Delivered, step done      (keys sealed, protection starts)
//!     ──answer: accepted (top-up)──▶ order AwaitingFulfilment, step awaiting
//!           ──callback / poll: fulfilled──▶ order Fulfilled, step done
//!           ──callback / poll: refunded──▶ order Refunded (escrow → buyer), step failed
//!     ──answer: refused──▶ order Refunded (escrow → buyer), step failed
//!     ──no answer / 5xx / timeout──▶ step placing, retried with backoff: ask first
//!                                    (GET /orders/{no}), POST again only on 404
//! ```
//!
//! Direct-top-up suppliers (直充货源, [`supplier`]) are connections of another
//! protocol: never synced, a shop's own top-up product bound to a SKU, its
//! orders on the same step row and through the same `answered`.
//!
//! "Unknown" is never treated as failed: money goes back to the buyer only on
//! the upstream's own refusal or refund. Hidden-by-the-source is kept apart
//! from the merchant's `on_sale` switch (`products.source_hidden`).

pub mod connect;
pub mod map;
pub mod model;
pub mod order;
pub mod port;
pub mod relay;
pub mod relay_port;
pub mod supplier;
pub mod sync;

pub use self::connect::{connect, load_connection, remove};
pub use self::map::{map, remap, unmap};
pub use self::model::{
    Binding, Connection, ConnectionId, HiddenReason, MapInput, Mapping, MappingId, NewConnection, PriceRule, Protocol,
    SourceAnswer, SourceItem, StepState, UpstreamOrder,
};
pub use self::order::{StepOutcome, answered, backoff_secs};
pub use self::port::{SourcingRead, SourcingTx};
pub use self::relay::{CaseAnswer, RelayRead, RelayState, RelayTx, SourceCase, UpstreamCase, case_answered};
pub use self::sync::{judge, synced};

#[cfg(test)]
mod tests;
