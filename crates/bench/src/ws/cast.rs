//! Who takes part. Buyers each with one conversation, spread over the shops;
//! each shop's owner and agents (its staff, who see all of its conversations);
//! platform agents who answer what was taken over; one admin who sets the rules.
//!
//! The rows are real — users, sessions, shops, accepted agent invitations and
//! opened conversations, each with its evidence event — but written straight
//! through the core's use cases in a few large transactions, with one argon2
//! hash computed once and shared by every account: 10,000 sign-ins through
//! argon2 would take minutes and measure nothing this benchmark is about.

use youying_core::Clock;
use youying_core::accounts::User;
use youying_core::ports::{Store, Tx};
use youying_core::values::{Role, ShopId, ShopName, Username};
use youying_core::{Timestamp, accounts, chat, shops};
use youying_server::clock::SystemClock;
use youying_server::security::token_hash;

use crate::BoxResult;

/// How many of each.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Websocket clients in all: every shop's staff plus the buyers.
    pub clients: usize,
    pub shops: usize,
    /// Agents per shop, besides its owner.
    pub agents: usize,
    pub platform_agents: usize,
    /// Buyers kept aside, each sending one message nobody from the shop answers.
    pub takeover_buyers: usize,
}

impl Shape {
    pub fn staff_per_shop(&self) -> usize {
        self.agents + 1
    }

    pub fn buyers(&self) -> usize {
        self.clients.saturating_sub(self.shops * self.staff_per_shop())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Buyer,
    Staff,
}

/// One websocket client and the account behind it.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: i64,
    pub token: String,
    pub side: Side,
}

#[derive(Debug, Clone, Copy)]
pub struct Conv {
    pub id: i64,
    /// Index into `Cast::members`.
    pub buyer: usize,
    pub shop: usize,
}

#[derive(Debug, Clone)]
pub struct Cast {
    /// Staff first (per shop: owner, then agents), then buyers.
    pub members: Vec<Member>,
    /// Per shop, the member indices of its staff.
    pub staff: Vec<Vec<usize>>,
    /// Conversations for question-and-answer exchanges.
    pub convs: Vec<Conv>,
    /// Conversations whose one buyer message goes unanswered by the shop.
    pub takeover: Vec<Conv>,
    pub platform_tokens: Vec<String>,
    pub admin_token: String,
}

impl Cast {
    /// Everyone who sees a conversation's events over a websocket: its buyer
    /// and its shop's staff (user ids).
    pub fn audience(&self, c: &Conv) -> Vec<i64> {
        let mut to = vec![self.members[c.buyer].user_id];
        to.extend(self.staff[c.shop].iter().map(|&m| self.members[m].user_id));
        to
    }
}

/// A session whose raw token the benchmark keeps, as a sign-in would hand out.
fn session(tx: &mut dyn Tx, now: Timestamp, user: &User) -> youying_core::error::Result<String> {
    let token = format!("yys_wsbench_{}", user.id.0);
    tx.insert_session(&token_hash(&token), user.id, "csrf-unused-with-bearer", now, now.plus_secs(2 * 86_400))?;
    Ok(token)
}

fn name(s: &str) -> youying_core::error::Result<Username> {
    Username::parse(s)
}

/// Writes the cast into an empty database.
pub async fn create<S: Store>(store: &S, shape: &Shape, hash: String) -> BoxResult<Cast> {
    let now = SystemClock.now();
    let (h, platform) = (hash.clone(), shape.platform_agents);
    let (admin_token, platform_tokens) = store
        .write(move |tx| {
            let admin = accounts::register(tx, now, &name("wsb_admin")?, h.clone(), Role::Admin, None, None)?;
            let mut agents = Vec::new();
            for i in 0..platform {
                let a = accounts::register(
                    tx,
                    now,
                    &name(&format!("wsb_kefu_{i}"))?,
                    h.clone(),
                    Role::PlatformAgent,
                    None,
                    None,
                )?;
                agents.push(session(tx, now, &a)?);
            }
            Ok((session(tx, now, &admin)?, agents))
        })
        .await?;
    let mut members = Vec::new();
    let mut staff = Vec::new();
    let mut shop_ids = Vec::new();
    for s in 0..shape.shops {
        let (h, agents) = (hash.clone(), shape.agents);
        let (shop, crew) = store.write(move |tx| open_shop(tx, now, s, agents, &h)).await?;
        let mut list = Vec::new();
        for (user_id, token) in crew {
            list.push(members.len());
            members.push(Member { user_id, token, side: Side::Staff });
        }
        staff.push(list);
        shop_ids.push(shop);
    }
    let mut all = Vec::new();
    let buyers: Vec<usize> = (0..shape.buyers()).collect();
    for chunk in buyers.chunks(1_000) {
        let (h, chunk, ids) = (hash.clone(), chunk.to_vec(), shop_ids.clone());
        let made = store
            .write(move |tx| {
                let mut out = Vec::new();
                for b in chunk {
                    let shop = b % ids.len();
                    let u = accounts::register(
                        tx,
                        now,
                        &name(&format!("wsb_buyer_{b}"))?,
                        h.clone(),
                        Role::Buyer,
                        None,
                        None,
                    )?;
                    let token = session(tx, now, &u)?;
                    let c = chat::open(tx, now, &u, ids[shop], None, None)?;
                    out.push((u.id.0, token, shop, c.id.0));
                }
                Ok(out)
            })
            .await?;
        for (user_id, token, shop, conv) in made {
            all.push(Conv { id: conv, buyer: members.len(), shop });
            members.push(Member { user_id, token, side: Side::Buyer });
        }
    }
    let takeover = all.split_off(all.len().saturating_sub(shape.takeover_buyers));
    Ok(Cast { members, staff, convs: all, takeover, platform_tokens, admin_token })
}

/// A shop with its owner and agents, the agents joined through the invitation
/// use cases as a real agent would. Returns (user id, token) of each.
fn open_shop(
    tx: &mut dyn Tx,
    now: Timestamp,
    s: usize,
    agents: usize,
    hash: &str,
) -> youying_core::error::Result<(ShopId, Vec<(i64, String)>)> {
    let owner =
        accounts::register(tx, now, &name(&format!("wsb_owner_{s}"))?, hash.to_owned(), Role::Buyer, None, None)?;
    let shop = shops::open(tx, now, &owner, &ShopName::parse(&format!("压测点卡店 {s:03}"))?)?;
    // Human chat is what this measures (every buyer message awaits a person, as
    // before the bot); the bot's own cost is bot-bench's.
    youying_core::faq::set_bot(tx, now, &owner, shop.id, false)?;
    let mut crew = vec![(owner.id.0, session(tx, now, &owner)?)];
    for a in 0..agents {
        let invite = token_hash(&format!("wsb-invite-{s}-{a}"));
        shops::invite_agent(tx, now, &owner, shop.id, &invite)?;
        let agent = shops::accept_invite(tx, now, &invite, &name(&format!("wsb_agent_{s}_{a}"))?, hash.to_owned())?;
        crew.push((agent.id.0, session(tx, now, &agent)?));
    }
    Ok((shop.id, crew))
}
