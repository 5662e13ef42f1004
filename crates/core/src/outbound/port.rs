//! What the outbound outbox needs from persistence.

use super::model::{NewOutbound, Outbound};
use crate::apikeys::model::ApiKeyId;
use crate::clock::Timestamp;
use crate::error::Result;

pub trait OutboundRead {
    /// When the earliest pending request is due (leases included).
    fn next_outbound_due(&mut self) -> Result<Option<Timestamp>>;
    /// The most recent requests signed with `key`, newest first.
    fn outbound_of_key(&mut self, key: ApiKeyId, limit: usize) -> Result<Vec<Outbound>>;
}

pub trait OutboundTx: OutboundRead {
    fn enqueue_outbound(&mut self, o: &NewOutbound) -> Result<i64>;
    /// Pending requests due at `now`, oldest first, each counted as an
    /// attempt and leased until `lease_until` (a crashed sender's request
    /// comes back then). Rows another transaction holds are skipped.
    fn claim_outbound(&mut self, now: Timestamp, lease_until: Timestamp, limit: usize) -> Result<Vec<Outbound>>;
    fn outbound_sent(&mut self, id: i64, at: Timestamp, status: i64) -> Result<()>;
    /// A failed attempt: tried again at `retry_at`, or given up on (`None`).
    fn outbound_failed(&mut self, id: i64, retry_at: Option<Timestamp>, status: Option<i64>, error: &str)
    -> Result<()>;
}
