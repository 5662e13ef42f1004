//! Conversations that always get a human answer. A buyer's message that awaits
//! a human opens a reply deadline owned by the shop's team; at the deadline the
//! conversation moves by itself to the platform queue, the shop is charged a
//! breach, and the platform owns a fresh deadline — measured the same way.

pub mod bot;
mod media;
pub mod model;
pub mod port;
mod receipts;

use serde_json::json;

pub use self::media::{ImageRef, image_of, send_image};
pub use self::model::{BotState, Conversation, Message, NewImage, NewMessage, Owner, Reads, Side, StoredImage, Unread};
pub use self::port::{ChatRead, ChatTx, Notice};
pub use self::receipts::mark_read;
use crate::accounts::port::User;
use crate::authz::{self, ShopAction};
use crate::clock::Timestamp;
use crate::deadline::model::{Due, NewDeadline};
use crate::enforcement;
use crate::enforcement::BreachKind;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::{ReadTx, Tx};
use crate::publish::Change;
use crate::push::{self, Note, PushEvent};
use crate::rules;
use crate::rules::Rule;
use crate::snapshot::Snapshot;
use crate::values::{ConversationId, ProductId, Role, ShopId, UserId};

pub const MAX_TEXT: usize = 2_000;

/// The buyer's own conversation; the shop's staff's; platform staff's. Others: 404.
pub fn load(tx: &mut dyn ReadTx, actor: &User, id: ConversationId) -> Result<(Conversation, Side)> {
    let c = tx.conversation(id)?.ok_or(Error::NotFound)?;
    if c.buyer_id == actor.id {
        return Ok((c, Side::Buyer));
    }
    if actor.role.is_platform() {
        return Ok((c, Side::Platform));
    }
    let shop = tx.shop(c.shop_id)?.ok_or(Error::NotFound)?;
    authz::shop(actor, ShopAction::Serve, &shop)?;
    Ok((c, Side::Shop))
}

/// Opens (or reopens) the buyer's conversation with a shop, with an order or a
/// product attached as context.
pub fn open(
    tx: &mut dyn Tx,
    now: Timestamp,
    buyer: &User,
    shop: ShopId,
    order_no: Option<&str>,
    product: Option<ProductId>,
) -> Result<Conversation> {
    if buyer.role != Role::Buyer {
        return Err(Error::Forbidden);
    }
    let shop = tx.shop(shop)?.ok_or(Error::NotFound)?;
    if shop.owner_id == buyer.id {
        return Err(Error::Invalid { field: "shop_id", reason: "own_shop" });
    }
    let order = match order_no {
        Some(no) => Some(
            tx.order_by_no(no)?.filter(|o| o.buyer_id == buyer.id && o.shop_id == shop.id).ok_or(Error::NotFound)?,
        ),
        None => None,
    };
    let product = match product {
        Some(p) => Some(tx.product(p)?.filter(|p| p.shop_id == shop.id).ok_or(Error::NotFound)?),
        None => None,
    };
    let conv = match tx.conversation_of(buyer.id, shop.id)? {
        Some(c) => c,
        None => {
            let id = tx.insert_conversation(buyer.id, shop.id, now)?;
            tx.append(NewEvent::new(
                now,
                Some(buyer.id),
                "chat.opened",
                format!("conversation:{id}"),
                json!({ "shop_id": shop.id.0 }),
            ))?;
            tx.conversation(id)?.ok_or(Error::NotFound)?
        }
    };
    let card = order.as_ref().map(|o| json!({ "order_no": o.no, "title": Snapshot::parse(&o.snapshot).map(|s| s.title), "total_fen": o.total.get(), "state": o.state.as_str() }))
        .or_else(|| product.as_ref().map(|p| json!({ "product_id": p.id.0, "title": p.spec.title, "price_fen": p.spec.price_fen })));
    if let Some(card) = card {
        tx.set_conversation_context(conv.id, order.as_ref().map(|o| o.id), product.as_ref().map(|p| p.id))?;
        insert(
            tx,
            NewMessage {
                conversation_id: conv.id,
                sender_id: Some(buyer.id),
                side: Side::Buyer,
                kind: "order_card",
                body: card.to_string(),
                created_at: now,
            },
        )?;
    }
    tx.conversation(conv.id)?.ok_or(Error::NotFound)
}

fn insert(tx: &mut dyn Tx, m: NewMessage) -> Result<Message> {
    let id = tx.insert_message(&m)?;
    tx.append(NewEvent::new(
        m.created_at,
        m.sender_id,
        "chat.message",
        format!("conversation:{}", m.conversation_id),
        json!({ "message_id": id, "side": m.side.as_str(), "kind": m.kind, "body": m.body }),
    ))?;
    tx.publish(&Change::Message { conversation_id: m.conversation_id, message_id: id })?;
    Ok(Message {
        id,
        conversation_id: m.conversation_id,
        sender_id: m.sender_id,
        side: m.side,
        kind: m.kind.to_owned(),
        body: m.body,
        created_at: m.created_at,
    })
}

/// Saves the conversation and tells live connections its state changed.
fn save(tx: &mut dyn Tx, c: &Conversation) -> Result<()> {
    tx.update_conversation(c)?;
    tx.publish(&Change::Conversation { conversation_id: c.id })
}

fn text(body: &str) -> Result<String> {
    let t = body.trim();
    if t.is_empty() || t.chars().count() > MAX_TEXT {
        return Err(Error::Invalid { field: "text", reason: "length_1_2000" });
    }
    Ok(t.to_owned())
}

fn schedule_reply(tx: &mut dyn Tx, now: Timestamp, c: &mut Conversation, since: Timestamp) -> Result<()> {
    let rules = rules::in_force(tx)?;
    let due = now.plus_secs(rules.chat_reply_secs());
    let subject = format!("conversation:{}", c.id);
    let (conversation_id, owner) = (c.id, c.owner);
    let reply = Due::ChatReply { conversation_id, owner };
    c.deadline_id = Some(tx.schedule(&NewDeadline::new(reply, subject.clone(), due, now))?);
    let warn = rules.get(Rule::WarnBeforeSecs);
    if warn > 0 && warn < rules.chat_reply_secs() {
        let warning = Due::ChatWarn { conversation_id, owner };
        tx.schedule(&NewDeadline::new(warning, subject, due.plus_secs(-warn), now))?;
    }
    c.awaiting_since = Some(since);
    c.reply_due = Some(due);
    tell_staff(tx, now, c, PushEvent::ChatWaiting, "买家正在等待人工回复".to_owned())
}

/// Tells whoever owns the conversation now (the shop's team, or platform
/// staff) through the notification centre and their push channels.
fn tell_staff(tx: &mut dyn Tx, now: Timestamp, c: &Conversation, event: PushEvent, text: String) -> Result<()> {
    let note = Note::new(event, format!("conversation:{}", c.id), text, format!("/chat/{}", c.id));
    match c.owner {
        Owner::Shop => push::notify_shop_team(tx, now, c.shop_id, true, &note),
        Owner::Platform => push::notify_platform(tx, now, &note),
    }
}

/// A message from the buyer. If nothing is awaiting an answer yet, the clock
/// starts: whoever owns the conversation must answer before `chat_reply_secs`.
/// With a `bot`, the bot answers first unless a person already owes an answer
/// or wrote in the last half hour, or the shop switched its bot off.
pub fn buyer_says(
    tx: &mut dyn Tx,
    now: Timestamp,
    buyer: &User,
    id: ConversationId,
    body: &str,
    bot: Option<&dyn bot::Responder>,
) -> Result<Message> {
    let (c, side) = load(tx, buyer, id)?;
    if side != Side::Buyer {
        return Err(Error::NotFound);
    }
    let body = text(body)?;
    let m = insert(
        tx,
        NewMessage { conversation_id: c.id, sender_id: Some(buyer.id), side, kind: "text", body, created_at: now },
    )?;
    match bot {
        Some(b) if bot::takes(tx, &c, now)? => bot::respond(tx, (now, buyer), c, &m, b)?,
        _ => after_buyer_message(tx, now, c, &m)?,
    }
    Ok(m)
}

fn after_buyer_message(tx: &mut dyn Tx, now: Timestamp, mut c: Conversation, m: &Message) -> Result<()> {
    if c.awaiting_since.is_none() {
        // Whatever the bot was doing, a person answers this one.
        c.bot.handed_over = true;
        c.bot.answers_in_row = 0;
        schedule_reply(tx, now, &mut c, now)?;
    }
    c.last_message_id = m.id;
    save(tx, &c)?;
    // Whoever writes has read everything before.
    receipts::advance_read(tx, c.id, Side::Buyer, m.id).map(|_| ())
}

/// A human answer from the shop's team or the platform. It clears whatever
/// deadline was running and records how long the buyer waited.
pub fn staff_says(tx: &mut dyn Tx, now: Timestamp, actor: &User, id: ConversationId, body: &str) -> Result<Message> {
    let (c, side) = load(tx, actor, id)?;
    if side == Side::Buyer {
        return Err(Error::NotFound);
    }
    let body = text(body)?;
    let m = insert(
        tx,
        NewMessage { conversation_id: c.id, sender_id: Some(actor.id), side, kind: "text", body, created_at: now },
    )?;
    after_staff_message(tx, now, actor, (c, side), &m)?;
    Ok(m)
}

fn after_staff_message(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    (mut c, side): (Conversation, Side),
    m: &Message,
) -> Result<()> {
    if let Some(since) = c.awaiting_since.take() {
        if let Some(d) = c.deadline_id.take() {
            tx.cancel_deadline(d, now)?;
        }
        tx.cancel_deadlines_of(&format!("conversation:{}", c.id), now)?;
        let waited = now.millis_since(since);
        let in_time = c.reply_due.is_none_or(|due| now <= due);
        tx.insert_reply_measure(c.id, c.shop_id, side.as_str(), since, now, actor.id, in_time)?;
        tx.append(NewEvent::new(
            now,
            Some(actor.id),
            "chat.answered",
            format!("conversation:{}", c.id),
            json!({ "side": side.as_str(), "waited_ms": waited, "in_time": in_time }),
        ))?;
        c.reply_due = None;
    }
    // The buyer hears of it on their channels unless they read it within a minute.
    let note = Note {
        ref_id: Some(m.id),
        ..Note::new(
            PushEvent::ChatReply,
            format!("conversation:{}", c.id),
            reply_text(&m.body),
            format!("/chat/{}", c.id),
        )
    };
    push::notify_user(tx, now, c.buyer_id, &note)?;
    if c.assignee_id.is_none() {
        c.assignee_id = Some(actor.id);
    }
    c.bot.human_at = Some(now);
    c.last_message_id = m.id;
    save(tx, &c)?;
    receipts::advance_read(tx, c.id, side, m.id).map(|_| ())
}

/// Deadline handler: nobody answered in time. A shop's miss moves the
/// conversation to the platform (a breach for the shop, a fresh deadline for the
/// platform); a platform miss is recorded as the platform's own breach.
pub fn reply_missed(tx: &mut dyn Tx, now: Timestamp, id: ConversationId) -> Result<()> {
    let Some(mut c) = tx.conversation(id)? else { return Ok(()) };
    let (Some(since), Some(due)) = (c.awaiting_since, c.reply_due) else { return Ok(()) };
    let subject = format!("conversation:{}", c.id);
    let late_ms = now.millis_since(due);
    let detail =
        json!({ "conversation_id": c.id.0, "awaiting_since": since.millis(), "due": due.millis(), "late_ms": late_ms });
    match c.owner {
        Owner::Shop => {
            let breach = enforcement::record_breach(tx, now, c.shop_id, BreachKind::ChatReply, &subject, &detail)?;
            c.owner = Owner::Platform;
            c.assignee_id = None;
            c.taken_over_at = Some(now);
            tx.append(NewEvent::new(now, None, "chat.taken_over", &subject, json!({ "breach_id": breach })))?;
            let text = "买家等待超时，会话已由平台客服接管".to_owned();
            let note = Note::new(PushEvent::ChatTakenOver, subject.clone(), text, format!("/chat/{}", c.id));
            push::notify_shop_team(tx, now, c.shop_id, true, &note)?;
            insert(
                tx,
                NewMessage {
                    conversation_id: c.id,
                    sender_id: None,
                    side: Side::System,
                    kind: "system",
                    body: "平台客服已介入，将在规定时间内为您处理。".into(),
                    created_at: now,
                },
            )?;
        }
        Owner::Platform => {
            enforcement::record_platform_breach(
                tx,
                now,
                c.shop_id,
                BreachKind::PlatformChatReply,
                &subject,
                &detail,
                Some(late_ms),
            )?;
        }
    }
    // The buyer is still waiting: a fresh deadline for whoever owns it now.
    schedule_reply(tx, now, &mut c, since)?;
    save(tx, &c)
}

/// Deadline handler: the reply deadline is near; the owners are warned in-app.
pub fn reply_warning(tx: &mut dyn Tx, now: Timestamp, id: ConversationId) -> Result<()> {
    let Some(c) = tx.conversation(id)? else { return Ok(()) };
    let Some(due) = c.reply_due.filter(|d| *d > now) else { return Ok(()) };
    let body = format!("买家等待回复，剩余 {} 秒", due.millis_since(now) / 1000);
    tx.insert_notification(
        c.shop_id,
        c.owner.as_str(),
        "chat_due_soon",
        &format!("conversation:{}", c.id),
        &body,
        now,
    )?;
    tell_staff(tx, now, &c, PushEvent::ChatWarning, body)
}

/// A reply as the buyer's channels show it: its first 100 characters.
fn reply_text(body: &str) -> String {
    let mut t: String = body.chars().take(100).collect();
    if body.chars().count() > 100 {
        t.push('…');
    }
    format!("客服回复：{t}")
}

/// Claims a conversation (or hands it to a colleague on the same side): the
/// assignee is who the console shows as responsible. The deadline is the
/// team's either way.
pub fn assign(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    id: ConversationId,
    to: Option<UserId>,
) -> Result<Conversation> {
    let (mut c, side) = load(tx, actor, id)?;
    let target = match to {
        None => actor.clone(),
        Some(uid) => tx.user_by_id(uid)?.ok_or(Error::NotFound)?,
    };
    let target_side_ok = match side {
        Side::Platform => target.role.is_platform(),
        Side::Shop => {
            let shop = tx.shop(c.shop_id)?.ok_or(Error::NotFound)?;
            authz::shop(&target, ShopAction::Serve, &shop).is_ok()
        }
        Side::Buyer | Side::System => false,
    };
    if !target_side_ok {
        return Err(Error::NotFound);
    }
    c.assignee_id = Some(target.id);
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "chat.assigned",
        format!("conversation:{}", c.id),
        json!({ "to": target.id.0, "side": side.as_str() }),
    ))?;
    save(tx, &c)?;
    Ok(c)
}

/// A platform agent goes on or off duty; the platform's on-duty share is
/// published from these intervals.
pub fn set_duty(tx: &mut dyn Tx, now: Timestamp, agent: &User, on: bool) -> Result<()> {
    authz::platform_staff(agent)?;
    let changed = if on { tx.start_duty(agent.id, now)? } else { tx.end_duty(agent.id, now)? };
    if changed {
        tx.append(NewEvent::new(
            now,
            Some(agent.id),
            if on { "duty.on" } else { "duty.off" },
            format!("user:{}", agent.id),
            json!({}),
        ))?;
    }
    Ok(())
}

/// Minutes of `[from, to)` during which at least one platform agent was on duty.
pub fn covered_minutes(intervals: &[(Timestamp, Option<Timestamp>)], from: Timestamp, to: Timestamp) -> i64 {
    let mut spans: Vec<(i64, i64)> = intervals
        .iter()
        .map(|(s, e)| (s.millis().max(from.millis()), e.map_or(to.millis(), Timestamp::millis).min(to.millis())))
        .filter(|(s, e)| s < e)
        .collect();
    spans.sort_unstable();
    let (mut total, mut cur): (i64, Option<(i64, i64)>) = (0, None);
    for (s, e) in spans {
        cur = match cur {
            Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((cs, ce)) = cur {
        total += ce - cs;
    }
    total / 60_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_duty_counts_once() {
        let t = |m: i64| Timestamp::from_millis(m * 60_000);
        let spans = [(t(0), Some(t(30))), (t(20), Some(t(50))), (t(100), None)];
        assert_eq!(covered_minutes(&spans, t(0), t(120)), 50 + 20);
        assert_eq!(covered_minutes(&spans, t(40), t(60)), 10);
        assert_eq!(covered_minutes(&[], t(0), t(60)), 0);
    }
}
