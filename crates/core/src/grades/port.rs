//! What grades, the shop's public figures and the platform's service report
//! read from persistence; part of [`Tx`](crate::ports::Tx). Plain reads of
//! what other features measured (reply measures, breaches, cases, reviews,
//! bot days), plus the stored grades and the refresh cursor.

use serde::{Deserialize, Serialize};

use super::{Figures, Grade};
use crate::clock::Timestamp;
use crate::enforcement::model::{BreachKind, Party};
use crate::error::Result;
use crate::values::ShopId;

/// One measured first human reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyMark {
    pub asked_at: Timestamp,
    pub answered_at: Timestamp,
    pub in_time: bool,
    /// A shop's reply that came after the platform took the message over: a
    /// late reply (the message was answered, late), never in time.
    pub after_takeover: bool,
}

impl ReplyMark {
    pub fn wait_ms(&self) -> i64 {
        self.answered_at.millis_since(self.asked_at)
    }

    /// Answered before its deadline (a late reply never is).
    pub fn met(&self) -> bool {
        self.in_time && !self.after_takeover
    }
}

/// Buyer messages taken over from the shop (`takeovers`, its `chat_reply`
/// breaches) that never got a shop reply: those the shop answered late, after
/// the takeover, are answered.
pub fn never_answered(takeovers: i64, replies: &[ReplyMark]) -> i64 {
    let late = replies.iter().filter(|r| r.after_takeover).count() as i64;
    (takeovers - late).max(0)
}

/// One breach, without its detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreachMark {
    pub shop_id: ShopId,
    pub kind: BreachKind,
    pub party: Party,
    pub at: Timestamp,
}

/// A case as the figures see it: no buyer, no text, only times and outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseMark {
    pub id: i64,
    pub shop_id: ShopId,
    pub kind: String,
    pub opened_at: Timestamp,
    pub merchant_due: Timestamp,
    pub resolve_due: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub outcome: Option<String>,
    pub refund_fen: i64,
    /// The merchant's first action on the case.
    pub merchant_acted_at: Option<Timestamp>,
    /// When the case went to platform arbitration, if it did.
    pub escalated_at: Option<Timestamp>,
}

impl CaseMark {
    /// Whether the platform had to decide: an automatic refund at the
    /// merchant's silence, an arbitration, or the 24 h safety net.
    pub fn platform_stepped_in(&self) -> bool {
        self.escalated_at.is_some()
            || matches!(self.outcome.as_deref(), Some("auto_refund_merchant_silent" | "safety_net_refund"))
            || self.outcome.as_deref().is_some_and(|o| o.starts_with("platform_"))
    }

    /// A platform agent decided it before its 24 h ran out (not the safety net).
    pub fn decided_in_time(&self) -> bool {
        self.closed_at.is_some_and(|t| t < self.resolve_due)
            && self.outcome.as_deref().is_some_and(|o| o.starts_with("platform_"))
    }

    /// The merchant acted before its deadline.
    pub fn merchant_in_time(&self) -> bool {
        self.merchant_acted_at.is_some_and(|at| at <= self.merchant_due)
    }
}

/// A shop's grade as last computed, with the figures behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGrade {
    pub shop_id: ShopId,
    pub grade: Grade,
    pub points: i64,
    pub figures: Figures,
    pub computed_at: Timestamp,
}

/// Bot outcomes summed over days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BotTotals {
    /// Days with a row at all.
    pub days: i64,
    pub answered: i64,
    pub settled: i64,
    pub handed_over: i64,
}

pub trait TrustTx: TrustRead {
    fn put_grade(&mut self, g: &StoredGrade) -> Result<()>;
    fn set_grade_cursor(&mut self, at: Timestamp) -> Result<()>;
}

/// The query half of [`TrustTx`], for read-only transactions.
pub trait TrustRead {
    /// Shops with anything that moves a grade at a time in `(from, to]`:
    /// orders, reply measures, breaches, cases opened or closed, case actions,
    /// reviews, penalties started or ended.
    fn shops_with_events(&mut self, from: Timestamp, to: Timestamp) -> Result<Vec<ShopId>>;
    /// Orders placed in `[from, to]`.
    fn orders_between(&mut self, shop: ShopId, from: Timestamp, to: Timestamp) -> Result<i64>;
    /// Reply measures of `side` (`shop` / `platform`) answered in `[from, to]`; every shop with `None`.
    /// A platform reply after a takeover is timed from the takeover: the platform's own 2 minutes.
    fn replies_between(
        &mut self,
        shop: Option<ShopId>,
        side: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<ReplyMark>>;
    /// Breaches recorded in `[from, to]`; every shop with `None`.
    fn breaches_between(&mut self, shop: Option<ShopId>, from: Timestamp, to: Timestamp) -> Result<Vec<BreachMark>>;
    /// Cases opened in `[from, to]`; every shop with `None`.
    fn cases_opened_between(&mut self, shop: Option<ShopId>, from: Timestamp, to: Timestamp) -> Result<Vec<CaseMark>>;
    /// Cases escalated to arbitration whose 24 h fell in `[from, to)`: already due.
    fn arbitrations_due_between(&mut self, from: Timestamp, to: Timestamp) -> Result<Vec<CaseMark>>;
    /// `(count, sum of stars)` of published reviews of completed orders written in `[from, to]`.
    fn verified_reviews(&mut self, shop: ShopId, from: Timestamp, to: Timestamp) -> Result<(i64, i64)>;
    /// `(count, sum of stars)` of all the shop's published reviews.
    fn published_reviews(&mut self, shop: ShopId) -> Result<(i64, i64)>;
    /// Bot outcomes over days `from_day..=to_day` (days since 1970-01-01, China time), all shops.
    fn bot_totals(&mut self, from_day: i64, to_day: i64) -> Result<BotTotals>;
    fn stored_grade(&mut self, shop: ShopId) -> Result<Option<StoredGrade>>;
    /// Up to when [`refresh`](super::refresh::refresh_grades) last looked.
    fn grade_cursor(&mut self) -> Result<Option<Timestamp>>;
}
