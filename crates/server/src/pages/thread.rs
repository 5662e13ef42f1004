//! One conversation as the pages read it, for every side: who must answer and
//! by when ([`Status`]), the thread loaded in one transaction ([`Thread`]) and
//! what the conversation partial shows of it ([`ThreadView`]). The buyer's pages
//! (`chat.rs`), the agent consoles (`chat_console.rs`) and the rendering of a
//! thread (`thread_page.rs`) all build on this; it depends on none of them.

use std::collections::VecDeque;

use youying_core::catalogue::Product;
use youying_core::chat::{self, Conversation, Message, Owner, Side};
use youying_core::orders::Order;
use youying_core::ports::{ReadTx, Store};
use youying_core::rules::Rule;
use youying_core::values::{ConversationId, UserId};
use youying_core::{Error, Timestamp, rules};

use super::chat_rows::MessageRow;
use super::layout::{Page, PageError};
use crate::fmt::fmt_duration;
use crate::state::App;

/// How many of a conversation's latest messages a page shows.
const SHOWN: usize = 200;

/// `mm:ss` left until a deadline, as the countdown starts before JS takes over.
pub fn mmss(ms: i64) -> String {
    let s = (ms.max(0) + 999) / 1000;
    format!("{:02}:{:02}", s / 60, s % 60)
}

/// The URL where `side` reads conversation `id`.
pub fn thread_href(side: Side, id: i64) -> String {
    match side {
        Side::Buyer => format!("/chat/{id}"),
        Side::Shop => format!("/merchant/chat/{id}"),
        Side::Platform | Side::System => format!("/platform/chat/{id}"),
    }
}

/// Whether `side`'s team must answer the buyer now (its deadline, its claim).
pub fn team_owns(c: &Conversation, side: Side) -> bool {
    match side {
        Side::Shop => c.owner == Owner::Shop,
        Side::Platform => c.owner == Owner::Platform,
        Side::Buyer | Side::System => false,
    }
}

/// Claiming is for the team that owns the deadline: one assignee is kept per
/// conversation, so a shop's claim after the takeover would unseat the platform's.
pub fn can_claim(c: &Conversation, side: Side, me: UserId) -> bool {
    team_owns(c, side) && c.assignee_id != Some(me)
}

/// Who must answer, and by when: the status line of a conversation or a row.
pub struct Status {
    pub owner: &'static str,
    pub taken_over: bool,
    /// The reply deadline in ms; 0 when nothing awaits an answer.
    pub due_ms: i64,
    pub remaining: String,
    pub who: &'static str,
    /// The viewer's team owns the deadline: highlight and sound are theirs.
    pub mine: bool,
}

impl Status {
    pub fn of(c: &Conversation, viewer: Side, now: Timestamp) -> Self {
        let due_ms = c.reply_due.map_or(0, Timestamp::millis);
        let mine = team_owns(c, viewer);
        Self {
            owner: c.owner.as_str(),
            taken_over: c.owner == Owner::Platform,
            due_ms,
            remaining: if due_ms > 0 { mmss(due_ms - now.millis()) } else { String::new() },
            who: if c.owner == Owner::Platform { "平台客服" } else { "商家" },
            mine,
        }
    }
}

/// One conversation as read for a page, in one transaction.
pub struct Thread {
    pub c: Conversation,
    pub side: Side,
    pub shop_name: String,
    pub buyer_name: String,
    pub messages: Vec<Message>,
    pub warn_secs: i64,
    pub reply_secs: i64,
    pub order: Option<Order>,
    pub product: Option<Product>,
    pub assignee: Option<String>,
    /// The shop's team (owner, agents) for a hand-over; empty for other sides.
    pub colleagues: Vec<(i64, String)>,
    /// The shop's help bot answers first.
    pub bot_enabled: bool,
}

/// The latest messages: the port reads forward from an id, so page through.
fn latest(tx: &mut dyn ReadTx, id: ConversationId) -> youying_core::error::Result<Vec<Message>> {
    let mut out = VecDeque::with_capacity(SHOWN);
    let mut after = 0;
    loop {
        let page = tx.messages_after(id, after, 500)?;
        let full = page.len() == 500;
        after = page.last().map_or(after, |m| m.id);
        for m in page {
            if out.len() == SHOWN {
                out.pop_front();
            }
            out.push_back(m);
        }
        if !full {
            return Ok(out.into());
        }
    }
}

pub fn username(tx: &mut dyn ReadTx, u: Option<UserId>) -> youying_core::error::Result<Option<String>> {
    Ok(match u {
        Some(u) => tx.user_by_id(u)?.map(|u| u.username),
        None => None,
    })
}

pub async fn load_thread<S: Store>(app: &App<S>, page: &Page, id: i64) -> Result<Thread, PageError> {
    let user = page.require_viewer()?.user.clone();
    app.store
        .read(move |tx| {
            let (c, side) = chat::load(tx, &user, ConversationId(id))?;
            let shop = tx.shop(c.shop_id)?.ok_or(Error::NotFound)?;
            let buyer_name = username(tx, Some(c.buyer_id))?.unwrap_or_default();
            let assignee = username(tx, c.assignee_id)?;
            let mut colleagues = Vec::new();
            if side == Side::Shop {
                colleagues.extend(tx.user_by_id(shop.owner_id)?.map(|o| (o.id.0, o.username)));
                colleagues.extend(tx.shop_agents(shop.id)?.into_iter().map(|a| (a.id.0, a.username)));
            }
            let rules = rules::in_force(tx)?;
            Ok(Thread {
                bot_enabled: tx.bot_enabled(c.shop_id)?,
                messages: latest(tx, c.id)?,
                order: match c.order_id {
                    Some(o) => tx.order(o)?,
                    None => None,
                },
                product: match c.product_id {
                    Some(p) => tx.product(p)?,
                    None => None,
                },
                warn_secs: rules.get(Rule::WarnBeforeSecs),
                reply_secs: rules.chat_reply_secs(),
                shop_name: shop.name,
                buyer_name,
                assignee,
                colleagues,
                side,
                c,
            })
        })
        .await
        .map_err(|e| page.error(e.into()))
}

/// The thread's rows; the buyer's 已解决 / 转人工 under the latest bot answer while it is open.
fn rows(th: &Thread, peer_read: i64) -> Vec<MessageRow> {
    let mut rows: Vec<MessageRow> = th.messages.iter().map(|m| MessageRow::of(m, th.side, peer_read)).collect();
    if super::bot::buttons_open(&th.c, th.side)
        && let Some(b) = rows.iter_mut().rev().find_map(|r| r.bot.as_mut())
    {
        b.buttons = !b.handoff;
    }
    rows
}

/// What the conversation partial (`_chat_thread.html`) shows, for any side.
pub struct ThreadView {
    pub id: i64,
    pub side: &'static str,
    pub last_id: i64,
    pub now_ms: i64,
    pub warn_secs: i64,
    pub reply_rule: String,
    pub status: Status,
    pub messages: Vec<MessageRow>,
    /// How far the other side has read the viewer's messages (chat.js keeps it live).
    pub peer_read: i64,
    pub draft: String,
    pub error: Option<String>,
    pub bot_enabled: bool,
}

impl ThreadView {
    pub fn of(th: &Thread, now: Timestamp, draft: String, error: Option<String>) -> Self {
        let peer_read = th.c.read.by_peer_of(th.side);
        Self {
            id: th.c.id.0,
            side: th.side.as_str(),
            last_id: th.messages.last().map_or(0, |m| m.id),
            now_ms: now.millis(),
            warn_secs: th.warn_secs,
            reply_rule: fmt_duration(th.reply_secs),
            status: Status::of(&th.c, th.side, now),
            messages: rows(th, peer_read),
            peer_read,
            draft,
            error,
            bot_enabled: th.bot_enabled,
        }
    }
}
