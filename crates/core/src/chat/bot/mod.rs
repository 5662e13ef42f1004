//! The help bot's place in a conversation. The bot answers first; a buyer who
//! asks for a person, repeats a question, or got two answers without 已解决 is
//! handed over at once, and the 2-minute human deadline starts at that moment.
//! The bot itself lives outside the core (it needs no database and no web); the
//! server passes it in as a [`Responder`] that reads live facts in the same
//! transaction, so every number it says is the stored one.

pub mod port;

use serde::Serialize;
use serde_json::json;

use super::{Conversation, Message, NewMessage, Side, insert, load, save, schedule_reply};
use crate::accounts::port::User;
use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::values::ConversationId;

pub use self::port::{BotDay, BotRead, BotTx, Tally};
pub use crate::chat::model::BotState;

/// After a person (shop or platform) wrote, the buyer's messages go to people,
/// not to the bot, for this long: a conversation with a human is not interrupted.
pub const HUMAN_QUIET_MS: i64 = 30 * 60 * 1000;

/// How many earlier buyer questions the loop guard compares against.
const REMEMBERED_QUESTIONS: usize = 6;

/// A case the buyer can open in one tap from a bot answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseOffer {
    pub order_no: String,
    pub case_type: String,
}

/// What the bot answered, as the server's bot computed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BotAnswer {
    pub intent: String,
    pub confidence: f64,
    pub text: String,
    /// Set when the bot hands the buyer over, with why (`asked_for_human`, …).
    pub handoff_reason: Option<String>,
    pub suggestions: Vec<String>,
    pub case_offer: Option<CaseOffer>,
}

/// One buyer message for the bot, with what the loop guard needs.
#[derive(Debug, Clone)]
pub struct Turn<'a> {
    pub conversation: &'a Conversation,
    pub buyer: &'a User,
    pub text: &'a str,
    /// The buyer's earlier questions to the bot in this stretch, oldest first.
    pub previous_questions: Vec<String>,
    pub answers_in_row: u32,
    pub now: Timestamp,
}

/// The bot, as the core sees it: an answer for a turn, from facts it may read
/// in the caller's transaction.
pub trait Responder {
    fn answer(&self, tx: &mut dyn Tx, turn: &Turn<'_>) -> Result<BotAnswer>;
}

/// The day (China time, UTC+8) an instant falls on: the report's per-day unit.
pub fn china_day(t: Timestamp) -> i64 {
    (t.millis() + 8 * 3_600_000).div_euclid(86_400_000)
}

/// Whether the bot takes this buyer message: the shop has it on, no person owes
/// an answer already, and no person wrote in the last half hour.
pub(super) fn takes(tx: &mut dyn Tx, c: &Conversation, now: Timestamp) -> Result<bool> {
    if c.awaiting_since.is_some() || c.bot.human_at.is_some_and(|t| now.millis_since(t) < HUMAN_QUIET_MS) {
        return Ok(false);
    }
    tx.bot_enabled(c.shop_id)
}

/// The bot answers the buyer's message `m` (already stored); a hand-off opens
/// the human reply deadline now.
pub(super) fn respond(
    tx: &mut dyn Tx,
    (now, buyer): (Timestamp, &User),
    mut c: Conversation,
    m: &Message,
    bot: &dyn Responder,
) -> Result<()> {
    let previous_questions = if c.bot.handed_over { Vec::new() } else { earlier_questions(tx, c.id, m.id)? };
    let answers_in_row = if c.bot.handed_over { 0 } else { c.bot.answers_in_row };
    let turn = Turn { conversation: &c, buyer, text: &m.body, previous_questions, answers_in_row, now };
    let a = bot.answer(tx, &turn)?;
    let buttons: &[&str] = if a.handoff_reason.is_some() { &[] } else { &["已解决", "转人工"] };
    let body = json!({
        "text": a.text,
        "intent": a.intent,
        "confidence": a.confidence,
        "handoff": a.handoff_reason.is_some(),
        "handoff_reason": a.handoff_reason,
        "suggestions": a.suggestions,
        "buttons": buttons,
        "case_offer": a.case_offer,
    });
    let reply = insert(
        tx,
        NewMessage {
            conversation_id: c.id,
            sender_id: None,
            side: Side::System,
            kind: "bot",
            body: body.to_string(),
            created_at: now,
        },
    )?;
    c.last_message_id = reply.id;
    match a.handoff_reason {
        Some(reason) => hand_over(tx, now, &mut c, &reason)?,
        None => {
            c.bot.handed_over = false;
            c.bot.answers_in_row = answers_in_row + 1;
            tx.tally_bot(china_day(now), c.shop_id, Tally::Answered)?;
        }
    }
    save(tx, &c)?;
    super::receipts::advance_read(tx, c.id, Side::Buyer, m.id).map(|_| ())
}

/// The buyer's questions to the bot since its stretch began (the last time a
/// person wrote, or the buyer settled or was handed over), oldest first.
fn earlier_questions(tx: &mut dyn BotRead, c: ConversationId, before: i64) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for m in tx.recent_messages(c, 3 * REMEMBERED_QUESTIONS)? {
        if m.id >= before {
            continue;
        }
        match (m.side, m.kind.as_str()) {
            (Side::Shop | Side::Platform, _) | (Side::Buyer, "feedback") => break,
            (Side::Buyer, "text") => out.push(m.body),
            _ => {}
        }
        if out.len() == REMEMBERED_QUESTIONS {
            break;
        }
    }
    out.reverse();
    Ok(out)
}

/// Passes the buyer to a person: the reply deadline of whoever owns the
/// conversation starts now.
fn hand_over(tx: &mut dyn Tx, now: Timestamp, c: &mut Conversation, reason: &str) -> Result<()> {
    c.bot.handed_over = true;
    c.bot.answers_in_row = 0;
    if c.awaiting_since.is_none() {
        schedule_reply(tx, now, c, now)?;
    }
    tx.tally_bot(china_day(now), c.shop_id, Tally::HandedOver)?;
    tx.append(NewEvent::new(
        now,
        None,
        "chat.handed_over",
        format!("conversation:{}", c.id),
        json!({ "reason": reason, "reply_due": c.reply_due.map(Timestamp::millis) }),
    ))
}

/// The buyer's answer to a bot answer's buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// 已解决: the bot settled the question.
    Settled,
    /// 转人工: a person, now.
    Human,
}

impl Feedback {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "settled" | "已解决" => Some(Feedback::Settled),
            "human" | "转人工" => Some(Feedback::Human),
            _ => None,
        }
    }
}

/// The buyer pressed 已解决 or 转人工. 已解决 counts once per stretch of bot
/// answers (`409 nothing_to_settle` otherwise); 转人工 while a person already
/// owes an answer changes nothing.
pub fn feedback(
    tx: &mut dyn Tx,
    now: Timestamp,
    buyer: &User,
    id: ConversationId,
    f: Feedback,
) -> Result<Conversation> {
    let (mut c, side) = load(tx, buyer, id)?;
    if side != Side::Buyer {
        return Err(Error::NotFound);
    }
    match f {
        Feedback::Settled => {
            if c.awaiting_since.is_some() || c.bot.handed_over || c.bot.answers_in_row == 0 {
                return Err(Error::Conflict(Conflict::NothingToSettle));
            }
            let note = buyer_note(tx, now, buyer, &c, "已解决")?;
            c.last_message_id = note.id;
            c.bot.answers_in_row = 0;
            tx.tally_bot(china_day(now), c.shop_id, Tally::Settled)?;
            tx.append(NewEvent::new(
                now,
                Some(buyer.id),
                "chat.bot_settled",
                format!("conversation:{}", c.id),
                json!({}),
            ))?;
        }
        Feedback::Human => {
            if c.awaiting_since.is_some() {
                return Ok(c);
            }
            let note = buyer_note(tx, now, buyer, &c, "转人工")?;
            c.last_message_id = note.id;
            hand_over(tx, now, &mut c, "asked_for_human")?;
            let wait = crate::rules::in_force(tx)?.chat_reply_secs();
            let sys = insert(
                tx,
                NewMessage {
                    conversation_id: c.id,
                    sender_id: None,
                    side: Side::System,
                    kind: "system",
                    body: format!("已为您转接人工客服，{} 内会有真人回复您。", wait_text(wait)),
                    created_at: now,
                },
            )?;
            c.last_message_id = sys.id;
        }
    }
    save(tx, &c)?;
    Ok(c)
}

/// The reply deadline as the buyer reads it: 2 分钟, 90 秒.
fn wait_text(secs: i64) -> String {
    if secs % 60 == 0 { format!("{} 分钟", secs / 60) } else { format!("{secs} 秒") }
}

fn buyer_note(tx: &mut dyn Tx, now: Timestamp, buyer: &User, c: &Conversation, text: &str) -> Result<Message> {
    let m = insert(
        tx,
        NewMessage {
            conversation_id: c.id,
            sender_id: Some(buyer.id),
            side: Side::Buyer,
            kind: "feedback",
            body: text.to_owned(),
            created_at: now,
        },
    )?;
    super::receipts::advance_read(tx, c.id, Side::Buyer, m.id)?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_counted_in_china_time() {
        // 2026-11-25 15:59:59 UTC is 23:59:59 in Beijing; a second later the next day begins.
        let before = Timestamp::from_millis(1_795_622_399_000);
        let after = Timestamp::from_millis(1_795_622_400_000);
        assert_eq!(china_day(after) - china_day(before), 1);
        assert_eq!(china_day(Timestamp::from_millis(0)), 0);
    }

    #[test]
    fn feedback_names_parse() {
        assert_eq!(Feedback::parse("settled"), Some(Feedback::Settled));
        assert_eq!(Feedback::parse("转人工"), Some(Feedback::Human));
        assert_eq!(Feedback::parse("maybe"), None);
    }
}
