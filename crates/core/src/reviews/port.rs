//! What reviews need from persistence; part of [`Tx`](crate::ports::Tx).

use super::model::{Review, ReviewState};
use super::moderation::HoldReason;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{OrderId, ReviewId, ShopId, UserId};

/// A review as [`reviews::write`](crate::reviews::write) inserts it.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub order_id: OrderId,
    pub shop_id: ShopId,
    pub buyer_id: UserId,
    pub stars: i64,
    pub body: String,
    pub state: ReviewState,
    pub hold_reason: Option<HoldReason>,
    pub created_at: Timestamp,
}

/// Reviews: one per order (the unique index decides a race), never deleted.
pub trait ReviewTx: ReviewRead {
    /// `Conflict(Conflict::AlreadyReviewed)` when the order already has one.
    fn insert_review(&mut self, r: &NewReview) -> Result<ReviewId>;
    /// Writes the moderation and reply fields, and a resubmission's stars, text and count.
    fn update_review(&mut self, r: &Review) -> Result<()>;
}

/// The query half of [`ReviewTx`], for read-only transactions.
pub trait ReviewRead {
    /// Locks the review for the rest of the transaction.
    fn review(&mut self, id: ReviewId) -> Result<Option<Review>>;
    fn review_of_order(&mut self, order: OrderId) -> Result<Option<Review>>;
    /// A shop's reviews (in `state`, if given), newest first.
    fn reviews_of_shop(
        &mut self,
        shop: ShopId,
        state: Option<ReviewState>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Review>>;
    /// Reviews in `state` across shops, oldest first (the moderation queue).
    fn reviews_in_state(&mut self, state: ReviewState, limit: usize) -> Result<Vec<Review>>;
}
