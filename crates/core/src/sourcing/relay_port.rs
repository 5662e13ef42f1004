//! The step row of a case relayed upstream and what persistence keeps of it
//! (see [`relay`](super::relay)); plain data, so the case flow can write it.

use super::model::ConnectionId;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{CaseId, OrderId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayState {
    /// Not yet opened upstream (or the answer was lost).
    Opening,
    /// Open upstream: asked about until it closes there.
    Open,
    /// Closed upstream: nothing more to ask.
    Closed,
    /// Refused upstream, or given up.
    Failed,
}

impl RelayState {
    pub fn as_str(self) -> &'static str {
        match self {
            RelayState::Opening => "opening",
            RelayState::Open => "open",
            RelayState::Closed => "closed",
            RelayState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RelayState::Opening, RelayState::Open, RelayState::Closed, RelayState::Failed]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// The step row of a relayed case (`upstream_cases`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamCase {
    pub case_id: CaseId,
    pub order_id: OrderId,
    pub connection_id: ConnectionId,
    /// This site's order number: the upstream knows the order by it.
    pub downstream_order_no: String,
    pub state: RelayState,
    pub upstream_case_id: Option<i64>,
    /// The upstream case's state as last seen.
    pub upstream_state: Option<String>,
    /// What came down already: `reissue`, `fulfil`, `refund`, `recovered`, `noted`.
    pub applied: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What persistence keeps of relayed cases.
pub trait RelayRead {
    fn upstream_case(&mut self, case: CaseId) -> Result<Option<UpstreamCase>>;
    /// The relayed case a callback about `upstream_case_id` on `connection` is for.
    fn upstream_case_by_source(
        &mut self,
        connection: ConnectionId,
        upstream_case_id: i64,
    ) -> Result<Option<UpstreamCase>>;
    fn next_relay_due(&mut self) -> Result<Option<Timestamp>>;
}

pub trait RelayTx: RelayRead {
    fn insert_upstream_case(&mut self, c: &UpstreamCase) -> Result<()>;
    fn update_upstream_case(&mut self, c: &UpstreamCase) -> Result<()>;
    /// Due rows, locked (`SKIP LOCKED`), moved to `lease_until`, `attempts` + 1.
    fn claim_upstream_cases(
        &mut self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: usize,
    ) -> Result<Vec<UpstreamCase>>;
}
