//! Keeping grades current: [`refresh_grades`] is the step function the
//! scheduler loop calls (and tests call after moving the fake clock). It
//! regrades the shops with something new since the last run, and the shops
//! whose figures aged out of the 30-day window since then.

use std::collections::BTreeSet;

use serde_json::json;

use super::port::{ReplyMark, StoredGrade};
use super::{Figures, GradeReport, WINDOW_SECS, grade};
use crate::clock::Timestamp;
use crate::deadline::heartbeat::downtime_ms;
use crate::deposit;
use crate::enforcement::{BreachKind, Party};
use crate::error::Result;
use crate::evidence::NewEvent;
use crate::ports::{ReadTx, Tx};
use crate::values::ShopId;

/// What one refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refreshed {
    pub examined: usize,
    /// Shops whose grade letter changed.
    pub changed: Vec<ShopId>,
}

/// The start of the window ending at `now`.
pub fn window_start(now: Timestamp) -> Timestamp {
    Timestamp::from_millis(now.millis() - WINDOW_SECS * 1000)
}

/// The shop's figures over the 30 days before `now`.
pub fn figures(tx: &mut dyn ReadTx, now: Timestamp, shop: ShopId) -> Result<Figures> {
    let from = window_start(now);
    let replies = tx.replies_between(Some(shop), "shop", from, now)?;
    let breaches: Vec<_> =
        tx.breaches_between(Some(shop), from, now)?.into_iter().filter(|b| b.party == Party::Shop).collect();
    let cases = tx.cases_opened_between(Some(shop), from, now)?;
    let (reviews, review_stars) = tx.verified_reviews(shop, from, now)?;
    let in_time_replies = replies.iter().filter(|r| r.met()).count() as i64;
    let takeovers = breaches.iter().filter(|b| b.kind == BreachKind::ChatReply).count() as i64;
    let in_time_cases = cases.iter().filter(|c| c.merchant_in_time()).count() as i64;
    Ok(Figures {
        orders: tx.orders_between(shop, from, now)?,
        reply_waits_ms: shop_waits(tx, from, &replies)?,
        unanswered: super::port::never_answered(takeovers, &replies),
        late_replies: replies.iter().filter(|r| r.after_takeover).count() as i64,
        deadlines_met: in_time_replies + in_time_cases,
        deadlines_missed: breaches.len() as i64,
        cases: cases.len() as i64,
        platform_cases: cases.iter().filter(|c| c.platform_stepped_in()).count() as i64,
        reviews,
        review_stars,
        suspended: deposit::standing(tx, now, shop)?.suspended,
    })
}

/// The shop's waits, less any time the platform itself was down meanwhile:
/// its own outage is never counted against a shop.
pub fn shop_waits(tx: &mut dyn ReadTx, from: Timestamp, replies: &[ReplyMark]) -> Result<Vec<i64>> {
    let asked = replies.iter().map(|r| r.asked_at).min().unwrap_or(from);
    let outages = tx.outages_since(asked.min(from))?;
    Ok(replies.iter().map(|r| r.wait_ms() - downtime_ms(&outages, r.asked_at, r.answered_at)).collect())
}

/// The shop's grade as stored, or — never graded yet — computed now.
pub fn current(tx: &mut dyn ReadTx, now: Timestamp, shop: ShopId) -> Result<(StoredGrade, GradeReport)> {
    let stored = match tx.stored_grade(shop)? {
        Some(g) => g,
        None => {
            let f = figures(tx, now, shop)?;
            let r = grade(&f);
            StoredGrade { shop_id: shop, grade: r.grade, points: r.points, figures: f, computed_at: now }
        }
    };
    let report = grade(&stored.figures);
    Ok((stored, report))
}

/// Regrades every shop with news since the last run; a changed letter is an
/// evidence event and makes search read the shop's products again.
pub fn refresh_grades(tx: &mut dyn Tx, now: Timestamp) -> Result<Refreshed> {
    let since = tx.grade_cursor()?.unwrap_or(Timestamp::from_millis(0));
    if since >= now {
        return Ok(Refreshed::default());
    }
    let mut shops: BTreeSet<ShopId> = tx.shops_with_events(since, now)?.into_iter().collect();
    // Figures that left the window since the last run change grades too.
    shops.extend(tx.shops_with_events(window_start(since), window_start(now))?);
    let mut out = Refreshed { examined: shops.len(), changed: Vec::new() };
    for shop in shops {
        let f = figures(tx, now, shop)?;
        let r = grade(&f);
        let old = tx.stored_grade(shop)?;
        if old.as_ref().is_some_and(|o| o.figures == f && o.grade == r.grade) {
            continue;
        }
        tx.put_grade(&StoredGrade { shop_id: shop, grade: r.grade, points: r.points, figures: f, computed_at: now })?;
        let before = old.map(|o| o.grade);
        if before != Some(r.grade) {
            tx.touch_shop_products(shop, now)?;
            tx.append(NewEvent::new(
                now,
                None,
                "grade.changed",
                format!("shop:{shop}"),
                json!({ "from": before.map(|g| g.as_str()), "to": r.grade.as_str(), "points": r.points, "rule": r.rule }),
            ))?;
            out.changed.push(shop);
        }
    }
    tx.set_grade_cursor(now)?;
    Ok(out)
}
