//! The platform's own downtime is the platform's breach, never a merchant's.
//!
//! The scheduler loop writes a heartbeat about once a second ([`beat`]). When
//! an instance starts and finds the last heartbeat older than
//! [`OUTAGE_AFTER_MS`], no instance ran in between: the gap is stored as an
//! outage and recorded as evidence (`platform.outage`). Only the start checks:
//! a running loop is the platform running, however far a clock jumps.
//!
//! While firing, a deadline that carries someone's accountability and fell
//! due inside an outage is not handed to its (charging) handler. [`grace`]
//! moves it to `restart + grace` instead — the party that owed it gets a fresh
//! period from the restart — and records ONE `platform_outage` breach, charged
//! to the platform. Which kinds, and how long:
//!
//! - `ChatReply`: the reply rule in force (`chat_reply_secs`) — the same time
//!   anyone is given to answer. Its `ChatWarn` is scheduled afresh before the
//!   new due; a warning that fell inside the outage fires as a no-op (the
//!   reply it warned of is past due), so warnings are only re-timed.
//! - `CaseMerchant`: min(the merchant window, 2 h). A full 12 h window again
//!   could outlive the case's 24 h promise to the buyer; 2 h is enough to act
//!   on a case already open for hours. If the case's 24 h run out first, the
//!   safety net (the platform's own breach) settles it and the graced merchant
//!   deadline finds nothing to do.
//! - `TopupPromise`: the order's own promised delivery time again.
//! - `CaseResolve` is not graced: it charges the platform already (and the buyer
//!   is refunded), so an outage changes nobody's accountability there, and the
//!   buyer should not wait longer for the platform's own downtime.
//! - Everything else (protection ends, invites, penalties, payments, probes)
//!   charges nobody and fires as usual.
//!
//! "Not already given grace" holds by construction: the new due lies after the
//! outage, so the same outage never covers it again; only a later outage can,
//! and that is a fresh lapse of the platform, graced again.

use serde_json::json;

pub use super::heartbeat::{BEAT_EVERY_MS, OUTAGE_AFTER_MS, Outage, gap};
use super::model::{Deadline, Due, NewDeadline};
use crate::cases::CaseState;
use crate::chat::model::Conversation;
use crate::clock::Timestamp;
use crate::enforcement::{self, BreachKind};
use crate::error::Result;
use crate::evidence::NewEvent;
use crate::orders::OrderState;
use crate::ports::Tx;
use crate::publish::Change;
use crate::push::{self, Note, PushEvent};
use crate::rules::{self, Rule, words};
use crate::values::ShopId;

/// The evidence event of a detected outage.
pub const OUTAGE_EVENT: &str = "platform.outage";
/// The evidence event of a deadline moved past an outage.
pub const GRACED_EVENT: &str = "deadline.graced";
/// The most a case's merchant is given again after an outage.
pub const CASE_MERCHANT_GRACE_MAX_SECS: i64 = 2 * 3600;

/// Writes the heartbeat at `now`. With `check` (an instance starting), a gap
/// since the last beat above the threshold is stored as an outage, recorded as
/// evidence and returned.
pub fn beat(tx: &mut dyn Tx, now: Timestamp, check: bool) -> Result<Option<Outage>> {
    let last = tx.lock_beat()?;
    let mut found = None;
    if let Some((from, to)) = gap(last, now).filter(|_| check) {
        let id = tx.insert_outage(from, to)?;
        tx.append(NewEvent::new(
            now,
            None,
            OUTAGE_EVENT,
            "platform",
            json!({ "outage_id": id, "from": from.millis(), "to": to.millis(), "ms": to.millis_since(from) }),
        ))?;
        found = Some(Outage { id, from, to });
    }
    tx.put_beat(now)?;
    Ok(found)
}

/// What a graced deadline was about, for the breach and the event.
struct Graced {
    shop: ShopId,
    /// Whose deadline it is (`shop` or `platform`), for the notice.
    owner: &'static str,
    subject: String,
    new_due: Timestamp,
    /// How the owner's team is reached about it, and the page to act on.
    event: PushEvent,
    url: String,
}

/// If `d` fell due inside `outage` and carries accountability, moves it to
/// the restart plus its grace, records one platform breach and returns true;
/// false when it should fire as usual (including when what it was about is
/// already settled: its handler then does nothing).
pub fn grace(tx: &mut dyn Tx, now: Timestamp, d: &Deadline, outage: &Outage) -> Result<bool> {
    if !outage.covers(d.due_at) {
        return Ok(false);
    }
    let restart = outage.to;
    let graced = match Due::read(d)? {
        Due::ChatReply { conversation_id, .. } => match tx.conversation(conversation_id)? {
            Some(c) if c.reply_due.is_some() && c.awaiting_since.is_some() => Some(chat(tx, now, d, c, restart)?),
            _ => None,
        },
        Due::CaseMerchant { case_id } => match tx.case(case_id)? {
            Some(case) if case.state == CaseState::AwaitingMerchant => {
                let window = rules::in_force(tx)?.get(Rule::CaseMerchantSecs);
                let new_due = restart.plus_secs(window.min(CASE_MERCHANT_GRACE_MAX_SECS));
                tx.move_case_merchant_due(case.id, new_due)?;
                Some(Graced {
                    shop: case.shop_id,
                    owner: "shop",
                    subject: case.subject(),
                    new_due,
                    event: PushEvent::CaseDueSoon,
                    url: format!("/cases/{}", case.id.0),
                })
            }
            _ => None,
        },
        Due::TopupPromise { order_id } => match tx.order(order_id)? {
            Some(mut o) if matches!(o.state, OrderState::AwaitingFulfilment | OrderState::Sourcing) => {
                let promised = match o.promise_due {
                    Some(due) => due.millis_since(o.created_at) / 1000,
                    None => rules::in_force(tx)?.get(Rule::TopupDefaultPromiseSecs),
                };
                let new_due = restart.plus_secs(promised.max(1));
                o.promise_due = Some(new_due);
                tx.update_order(&o)?;
                Some(Graced {
                    shop: o.shop_id,
                    owner: "shop",
                    subject: format!("order:{}", o.no),
                    new_due,
                    event: PushEvent::TopupToFulfil,
                    url: format!("/merchant/shops/{}/orders", o.shop_id),
                })
            }
            _ => None,
        },
        _ => None,
    };
    let Some(g) = graced else { return Ok(false) };
    tx.reschedule(d.id, g.new_due)?;
    let detail = json!({
        "deadline_id": d.id.0, "kind": d.kind, "due_at": d.due_at.millis(), "new_due": g.new_due.millis(),
        "outage_id": outage.id, "outage_from": outage.from.millis(), "outage_to": outage.to.millis(),
    });
    let late_ms = restart.millis_since(d.due_at);
    let breach = enforcement::record_platform_breach(
        tx,
        now,
        g.shop,
        BreachKind::PlatformOutage,
        &g.subject,
        &detail,
        Some(late_ms),
    )?;
    let mut event = detail;
    event["breach_id"] = json!(breach);
    tx.append(NewEvent::new(now, None, GRACED_EVENT, &g.subject, event))?;
    // Whoever owes it learns it has a fresh period, and that the lapse is not theirs.
    // In the console's list and through the team's own channels, as the
    // deadline itself would have reached them.
    let body = format!(
        "【期限顺延】平台停机期间此事项已到期，不计为您的违约；已为您重新计时，请在平台恢复后 {} 内处理。",
        words::duration(g.new_due.millis_since(restart) / 1000)
    );
    tx.insert_notification(g.shop, g.owner, "deadline_graced", &g.subject, &body, now)?;
    let note = Note::new(g.event, &g.subject, body, g.url);
    if g.owner == "platform" {
        push::notify_platform(tx, now, &note)?;
    } else {
        push::notify_shop_team(tx, now, g.shop, true, &note)?;
    }
    Ok(true)
}

/// A chat's reply deadline: the same deadline, later; the warning afresh.
fn chat(tx: &mut dyn Tx, now: Timestamp, d: &Deadline, mut c: Conversation, restart: Timestamp) -> Result<Graced> {
    let rules = rules::in_force(tx)?;
    let new_due = restart.plus_secs(rules.chat_reply_secs());
    c.reply_due = Some(new_due);
    c.deadline_id = Some(d.id);
    let subject = format!("conversation:{}", c.id);
    let warn = rules.get(Rule::WarnBeforeSecs);
    if warn > 0 && warn < rules.chat_reply_secs() {
        let warning = Due::ChatWarn { conversation_id: c.id, owner: c.owner };
        tx.schedule(&NewDeadline::new(warning, subject.clone(), new_due.plus_secs(-warn), now))?;
    }
    tx.update_conversation(&c)?;
    tx.publish(&Change::Conversation { conversation_id: c.id })?;
    let url = format!("/chat/{}", c.id);
    Ok(Graced { shop: c.shop_id, owner: c.owner.as_str(), subject, new_due, event: PushEvent::ChatWaiting, url })
}
