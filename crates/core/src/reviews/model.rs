//! A review's states and its stored row. Plain data: the port stores it, the
//! use cases in `mod.rs` move it.

use serde::Serialize;

use super::moderation::HoldReason;
use crate::clock::Timestamp;
use crate::values::{OrderId, ReviewId, ShopId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Published,
    Held,
    Rejected,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Published => "published",
            ReviewState::Held => "held",
            ReviewState::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ReviewState::Published, ReviewState::Held, ReviewState::Rejected].into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewState::Published => "已发布",
            ReviewState::Held => "待审核",
            ReviewState::Rejected => "未通过审核",
        }
    }
}

/// A review as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: ReviewId,
    pub order_id: OrderId,
    pub shop_id: ShopId,
    pub buyer_id: UserId,
    pub stars: i64,
    pub body: String,
    pub state: ReviewState,
    pub hold_reason: Option<HoldReason>,
    pub moderated_by: Option<UserId>,
    pub moderation_note: Option<String>,
    pub moderated_at: Option<Timestamp>,
    pub reply: Option<String>,
    pub replied_by: Option<UserId>,
    pub replied_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// How often the buyer edited it after a rejection (at most [`MAX_RESUBMISSIONS`](super::MAX_RESUBMISSIONS)).
    pub resubmissions: i64,
}

impl Review {
    pub fn subject(&self) -> String {
        format!("review:{}", self.id)
    }
}
