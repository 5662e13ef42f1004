//! What after-sales cases need from persistence; part of [`Tx`](crate::ports::Tx).

use crate::cases::model::{Case, CaseAction, CaseType, EvidenceMeta};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::evidence::ChainedEvent;
use crate::stock::port::ClaimedUnit;
use crate::values::{CaseId, OrderId, ShopId, UserId};

/// A case as [`cases::open`](crate::cases::open) inserts it.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub order_id: OrderId,
    pub order_no: String,
    pub buyer_id: UserId,
    pub shop_id: ShopId,
    pub kind: CaseType,
    pub description: String,
    pub mismatched: Vec<String>,
    pub opened_at: Timestamp,
    pub merchant_due: Timestamp,
    pub resolve_due: Timestamp,
    pub screenshots: i64,
    pub order_state_before: String,
}

/// After-sales cases: the case row, its timeline, its evidence.
pub trait CaseTx: CaseRead {
    /// `Conflict(Conflict::CaseAlreadyOpen)` when the order has an open case.
    fn insert_case(&mut self, c: &NewCase) -> Result<CaseId>;
    fn update_case(&mut self, c: &Case) -> Result<()>;
    fn insert_case_action(
        &mut self,
        case: CaseId,
        at: Timestamp,
        actor: Option<UserId>,
        side: &str,
        kind: &str,
        detail: &str,
    ) -> Result<i64>;
    #[allow(clippy::too_many_arguments)]
    fn insert_case_evidence(
        &mut self,
        case: CaseId,
        kind: &str,
        name: &str,
        content_type: &str,
        sha256: &str,
        body: &[u8],
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<i64>;
    /// Takes an order's current units off it (kept on file with the case); returns them.
    fn retire_order_units(&mut self, case: CaseId, order: OrderId, at: Timestamp) -> Result<Vec<ClaimedUnit>>;
    /// Sets the shop's public response unless one is there; false if it was.
    fn set_case_public_response(&mut self, case: CaseId, text: &str, by: UserId, at: Timestamp) -> Result<bool>;
}

/// The query half of [`CaseTx`], for read-only transactions.
pub trait CaseRead {
    /// Locks the case for the rest of the transaction.
    fn case(&mut self, id: CaseId) -> Result<Option<Case>>;
    fn open_case_of_order(&mut self, order: OrderId) -> Result<Option<Case>>;
    fn cases_of_order(&mut self, order: OrderId) -> Result<Vec<Case>>;
    fn cases_of_buyer(&mut self, buyer: UserId, limit: usize) -> Result<Vec<Case>>;
    /// A shop's cases, open ones first by nearest deadline.
    fn cases_of_shop(&mut self, shop: ShopId, limit: usize) -> Result<Vec<Case>>;
    /// Cases in arbitration, nearest 24 h deadline first.
    fn arbitration_queue(&mut self, limit: usize) -> Result<Vec<Case>>;
    fn case_actions(&mut self, case: CaseId) -> Result<Vec<CaseAction>>;
    fn case_evidence(&mut self, case: CaseId) -> Result<Vec<EvidenceMeta>>;
    /// `(content_type, body)` of one evidence item of `case`.
    fn case_evidence_body(&mut self, case: CaseId, id: i64) -> Result<Option<(String, Vec<u8>)>>;
    /// Closed cases the platform stepped into (see
    /// [`publication`](crate::cases::publication)), of one shop or all, newest first.
    fn published_cases(&mut self, shop: Option<ShopId>, offset: usize, limit: usize) -> Result<Vec<Case>>;
    /// Chain events about `subject`, oldest first.
    fn events_about(&mut self, subject: &str, limit: usize) -> Result<Vec<ChainedEvent>>;
    /// The units this case took off its order (a reissue), with when, oldest first.
    fn case_replaced_units(&mut self, case: CaseId) -> Result<Vec<(ClaimedUnit, Timestamp)>>;
}
