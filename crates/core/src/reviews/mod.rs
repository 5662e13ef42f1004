//! Reviews (评价): one per completed order, by its buyer — stars and a short
//! text. A text with threats, insults or contact details is held for the
//! platform (published or rejected with a reason); everything else is public
//! at once. The shop replies once. Nobody deletes a review.

pub mod model;
pub mod moderation;
pub mod port;

pub use model::{Review, ReviewState};
pub use moderation::{HoldReason, classify};

use serde_json::json;

use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::orders::model::OrderState;
use crate::ports::{ReadTx, Tx};
use crate::values::{ReviewId, ShopId};
use port::NewReview;

pub const MAX_CHARS: usize = 500;

/// The platform's decision on a held review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Publish,
    Reject,
}

/// Trimmed text of `min..=MAX_CHARS` characters.
fn text(s: &str, min: usize, field: &'static str, reason: &'static str) -> Result<String> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > MAX_CHARS {
        return Err(Error::Invalid { field, reason });
    }
    Ok(t.to_owned())
}

/// The buyer reviews a completed order of theirs.
pub fn write(tx: &mut dyn Tx, now: Timestamp, buyer: &User, no: &str, stars: i64, body: &str) -> Result<Review> {
    let order = tx.order_by_no(no)?.filter(|o| o.buyer_id == buyer.id).ok_or(Error::NotFound)?;
    if order.state != OrderState::Completed {
        return Err(Error::Conflict(Conflict::OrderNotCompleted));
    }
    if !(1..=5).contains(&stars) {
        return Err(Error::Invalid { field: "stars", reason: "range_1_5" });
    }
    let body = text(body, 0, "review_body", "length_0_500")?;
    if tx.review_of_order(order.id)?.is_some() {
        return Err(Error::Conflict(Conflict::AlreadyReviewed));
    }
    let hold = classify(&body);
    let state = if hold.is_some() { ReviewState::Held } else { ReviewState::Published };
    let new = NewReview {
        order_id: order.id,
        shop_id: order.shop_id,
        buyer_id: buyer.id,
        stars,
        body,
        state,
        hold_reason: hold,
        created_at: now,
    };
    let id = tx.insert_review(&new)?;
    let subject = format!("review:{id}");
    let who = Some(buyer.id);
    tx.append(NewEvent::new(
        now,
        who,
        "review.written",
        &subject,
        json!({ "order_no": order.no, "shop_id": order.shop_id.0, "stars": stars, "body": new.body }),
    ))?;
    match hold {
        Some(h) => tx.append(NewEvent::new(now, None, "review.held", &subject, json!({ "reason": h.as_str() })))?,
        None => tx.append(NewEvent::new(now, None, "review.published", &subject, json!({ "by": "auto" })))?,
    }
    Ok(Review {
        id,
        order_id: new.order_id,
        shop_id: new.shop_id,
        buyer_id: new.buyer_id,
        stars,
        body: new.body,
        state,
        hold_reason: hold,
        moderated_by: None,
        moderation_note: None,
        moderated_at: None,
        reply: None,
        replied_by: None,
        replied_at: None,
        created_at: now,
        resubmissions: 0,
    })
}

/// How often a rejected review may be edited and sent back. Twice: the
/// moderator's reason says what to change, one try may miss a detail, and a
/// third rejection means the buyer is not going to follow it — each round
/// costs a moderator's time and delays the shop's grade.
pub const MAX_RESUBMISSIONS: i64 = 2;

/// Whether the buyer may still edit `r` and send it back to moderation.
pub fn can_resubmit(r: &Review) -> bool {
    r.state == ReviewState::Rejected && r.resubmissions < MAX_RESUBMISSIONS
}

/// The buyer edits a rejected review (stars and text) following the
/// moderator's reason; it goes back to moderation, whatever it says now: the
/// moderator judges whether the reason was met. The old text stays on the
/// evidence chain (`review.written`); the reason stays on the review until
/// the moderator decides again.
pub fn resubmit(tx: &mut dyn Tx, now: Timestamp, buyer: &User, no: &str, stars: i64, body: &str) -> Result<Review> {
    let order = tx.order_by_no(no)?.filter(|o| o.buyer_id == buyer.id).ok_or(Error::NotFound)?;
    let id = tx.review_of_order(order.id)?.ok_or(Error::NotFound)?.id;
    let mut r = tx.review(id)?.ok_or(Error::NotFound)?; // locked: one resubmission at a time
    if r.state != ReviewState::Rejected {
        return Err(Error::Conflict(Conflict::AlreadyReviewed));
    }
    if r.resubmissions >= MAX_RESUBMISSIONS {
        return Err(Error::Invalid { field: "review_resubmit", reason: "limit" });
    }
    if !(1..=5).contains(&stars) {
        return Err(Error::Invalid { field: "stars", reason: "range_1_5" });
    }
    r.body = text(body, 0, "review_body", "length_0_500")?;
    r.stars = stars;
    r.state = ReviewState::Held;
    r.hold_reason = classify(&r.body).or(Some(HoldReason::Resubmitted));
    r.resubmissions += 1;
    tx.update_review(&r)?;
    tx.append(NewEvent::new(
        now,
        Some(buyer.id),
        "review.resubmitted",
        r.subject(),
        json!({ "stars": stars, "body": r.body, "round": r.resubmissions }),
    ))?;
    Ok(r)
}

/// A platform agent publishes or rejects a held review; a rejection needs a reason.
pub fn moderate(
    tx: &mut dyn Tx,
    now: Timestamp,
    agent: &User,
    id: ReviewId,
    verdict: Verdict,
    note: &str,
) -> Result<Review> {
    authz::platform_staff(agent)?;
    let mut r = tx.review(id)?.ok_or(Error::NotFound)?;
    if r.state != ReviewState::Held {
        return Err(Error::Conflict(Conflict::ReviewAlreadyModerated));
    }
    let min = if verdict == Verdict::Reject { 1 } else { 0 };
    let note = text(note, min, "moderation_note", "length_1_500")?;
    r.state = if verdict == Verdict::Publish { ReviewState::Published } else { ReviewState::Rejected };
    r.moderated_by = Some(agent.id);
    r.moderation_note = (!note.is_empty()).then_some(note);
    r.moderated_at = Some(now);
    tx.update_review(&r)?;
    let kind = if verdict == Verdict::Publish { "review.published" } else { "review.rejected" };
    tx.append(NewEvent::new(
        now,
        Some(agent.id),
        kind,
        r.subject(),
        json!({ "by": "platform", "note": r.moderation_note }),
    ))?;
    Ok(r)
}

/// The shop (owner or agent) answers a published review, once. A reply is
/// public at once, so it may not carry threats, insults or contact details.
pub fn reply(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: ReviewId, body: &str) -> Result<Review> {
    let mut r = tx.review(id)?.ok_or(Error::NotFound)?;
    let shop = tx.shop(r.shop_id)?.ok_or(Error::NotFound)?;
    authz::shop(actor, ShopAction::Serve, &shop)?;
    if r.state != ReviewState::Published {
        return Err(Error::NotFound); // held and rejected reviews are not the shop's to see
    }
    if r.reply.is_some() {
        return Err(Error::Conflict(Conflict::AlreadyReplied));
    }
    let body = text(body, 1, "reply", "length_1_500")?;
    if let Some(h) = classify(&body) {
        return Err(Error::Invalid { field: "reply_moderation", reason: h.as_str() });
    }
    r.reply = Some(body);
    r.replied_by = Some(actor.id);
    r.replied_at = Some(now);
    tx.update_review(&r)?;
    tx.append(NewEvent::new(now, Some(actor.id), "review.replied", r.subject(), json!({ "reply": r.reply })))?;
    Ok(r)
}

/// The buyer's own review of an order, if written.
pub fn of_order(tx: &mut dyn ReadTx, buyer: &User, no: &str) -> Result<Option<Review>> {
    let order = tx.order_by_no(no)?.filter(|o| o.buyer_id == buyer.id).ok_or(Error::NotFound)?;
    tx.review_of_order(order.id)
}

/// A shop's published reviews, newest first: one page and whether more follow.
pub fn public_page(tx: &mut dyn ReadTx, shop: ShopId, page: usize, per_page: usize) -> Result<(Vec<Review>, bool)> {
    tx.shop(shop)?.ok_or(Error::NotFound)?;
    let offset = page.saturating_sub(1).saturating_mul(per_page);
    let mut list = tx.reviews_of_shop(shop, Some(ReviewState::Published), offset, per_page + 1)?;
    let more = list.len() > per_page;
    list.truncate(per_page);
    Ok((list, more))
}
