//! The series behind a shop's public charts: the distribution of its first
//! reply times over the grade's 30 days, and week by week (8 weeks) the share
//! of deadlines met and the cases opened. Counted the same way as the grade.

use super::port::ReplyMark;
use super::{WINDOW_SECS, permille};
use crate::clock::Timestamp;
use crate::enforcement::{BreachKind, Party};
use crate::error::Result;
use crate::ports::ReadTx;
use crate::values::ShopId;

pub const WEEKS: i64 = 8;
const WEEK_MS: i64 = 7 * 86_400_000;

/// Reply-time buckets: upper bounds in seconds and their labels.
pub const REPLY_BUCKETS: [(i64, &str); 6] =
    [(30, "≤30秒"), (60, "≤1分"), (120, "≤2分"), (300, "≤5分"), (900, "≤15分"), (i64::MAX, ">15分")];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// The week's first instant.
    pub from: Timestamp,
    pub met: i64,
    pub missed: i64,
    pub cases: i64,
}

impl Week {
    pub fn met_permille(&self) -> Option<i64> {
        permille(self.met, self.met + self.missed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// First-reply times over 30 days, then one bucket of messages never answered.
    pub reply_buckets: Vec<Bucket>,
    /// Oldest first.
    pub weeks: Vec<Week>,
}

/// Counts reply waits (ms) into [`REPLY_BUCKETS`] plus a last “未回复” bucket.
pub fn reply_histogram(waits_ms: &[i64], unanswered: i64) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = REPLY_BUCKETS.iter().map(|(_, l)| Bucket { label: (*l).to_owned(), count: 0 }).collect();
    for &ms in waits_ms {
        // Exact: 30.4 s is over 30 s, 30.0 s is not.
        if let Some(i) = REPLY_BUCKETS.iter().position(|(max, _)| ms <= max.saturating_mul(1000)) {
            out[i].count += 1;
        }
    }
    out.push(Bucket { label: "未回复".to_owned(), count: unanswered });
    out
}

pub fn history(tx: &mut dyn ReadTx, now: Timestamp, shop: ShopId) -> Result<History> {
    let from = Timestamp::from_millis(now.millis() - WEEKS * WEEK_MS);
    let replies = tx.replies_between(Some(shop), "shop", from, now)?;
    let breaches = tx.breaches_between(Some(shop), from, now)?;
    let cases = tx.cases_opened_between(Some(shop), from, now)?;
    let month = Timestamp::from_millis(now.millis() - WINDOW_SECS * 1000);
    let recent: Vec<ReplyMark> = replies.iter().filter(|r| r.answered_at >= month).copied().collect();
    let takeovers =
        breaches.iter().filter(|b| b.party == Party::Shop && b.kind == BreachKind::ChatReply && b.at >= month).count()
            as i64;
    let unanswered = super::port::never_answered(takeovers, &recent);
    let week_of = |t: Timestamp| usize::try_from(((t.millis() - from.millis()) / WEEK_MS).min(WEEKS - 1)).ok();
    let mut weeks: Vec<Week> = (0..WEEKS)
        .map(|i| Week { from: Timestamp::from_millis(from.millis() + i * WEEK_MS), met: 0, missed: 0, cases: 0 })
        .collect();
    for r in replies.iter().filter(|r| r.met()) {
        if let Some(w) = week_of(r.answered_at).and_then(|i| weeks.get_mut(i)) {
            w.met += 1;
        }
    }
    for b in breaches.iter().filter(|b| b.party == Party::Shop) {
        if let Some(w) = week_of(b.at).and_then(|i| weeks.get_mut(i)) {
            w.missed += 1;
        }
    }
    for c in &cases {
        if let Some(w) = week_of(c.opened_at).and_then(|i| weeks.get_mut(i)) {
            w.cases += 1;
            w.met += i64::from(c.merchant_in_time());
        }
    }
    let waits = super::refresh::shop_waits(tx, month, &recent)?;
    Ok(History { reply_buckets: reply_histogram(&waits, unanswered), weeks })
}
