//! The demo's month, lived through the real use cases: the script's events in
//! time order, each through the core function the HTTP handlers call, with the
//! deadline engine run up to each event's time — so protection windows release
//! escrow, chats lapse to the platform, case clocks and penalties fire exactly
//! as they would have. Nothing here writes a figure: grades, charts and the
//! service report are computed from what happened. One transaction per
//! simulated day keeps `--demo` quick.

use std::sync::Arc;

use serde_json::json;
use youying_core::accounts::User;
use youying_core::cases::{self, Action, Attachment, Decision, OpenCase};
use youying_core::chat;
use youying_core::deadline::run_due;
use youying_core::error::Result;
use youying_core::grades::refresh::refresh_grades;
use youying_core::money::Account;
use youying_core::orders::{self, Checkout};
use youying_core::ports::{Store, Tx};
use youying_core::reviews::{self, Verdict};
use youying_core::values::{ProductId, ShopId};
use youying_core::withdrawals::{self, Wallet, WithdrawalInput, WithdrawalState};
use youying_core::{Error, StorageError, Timestamp};

use super::script::{self, Act, DAY, Event, PRODUCT_SHOP, QQVIP, Rng, Staff, Step, WZRY};
use crate::error::AppError;
use crate::state::App;

/// Who takes part, by the script's indices.
#[derive(Debug, Clone)]
pub struct Cast {
    /// xiaoming, xiaohong, then `script::EXTRA_BUYERS`.
    pub buyers: Vec<User>,
    /// Per shop, in `SHOPS` order.
    pub owners: Vec<User>,
    pub shops: Vec<ShopId>,
    /// 星辰点卡's agent.
    pub agent: User,
    pub kefu: User,
    pub admin: User,
    /// Per shop: where its owner withdraws to, sealed (the amount is set when asked).
    pub payees: Vec<WithdrawalInput>,
    /// In `goods()` order.
    pub products: Vec<ProductId>,
}

/// An order the script placed, by its index.
#[derive(Debug, Clone)]
struct Placed {
    no: String,
    buyer: usize,
    shop: usize,
}

#[derive(Debug)]
struct State {
    orders: Vec<Option<Placed>>,
    rng: Rng,
}

/// Card-key (and account) units the month takes from each product's stock:
/// one per order, one more per reissue.
pub fn stock_needed(events: &[Event]) -> Vec<usize> {
    let mut product_of = Vec::new();
    let mut need = vec![0usize; PRODUCT_SHOP.len()];
    for e in events {
        match &e.act {
            Act::Buy { order, product, .. } => {
                if product_of.len() <= *order {
                    product_of.resize(order + 1, None);
                }
                product_of[*order] = Some(*product);
                need[*product] += 1;
            }
            Act::Case { order, step: Step::Reissue } => {
                if let Some(Some(p)) = product_of.get(*order) {
                    need[*p] += 1;
                }
            }
            _ => {}
        }
    }
    need
}

/// Lives the month from `start` (30 days ago) to just before now.
pub async fn live<S: Store>(app: &App<S>, cast: Cast, start: Timestamp, events: Vec<Event>) -> Result<(), AppError> {
    let cast = Arc::new(cast);
    let mut events = events.into_iter().peekable();
    let mut state = State { orders: Vec::new(), rng: Rng::new(0x006F_7264_6572) };
    for day in 0..script::DAYS {
        let until = ((day + 1) * DAY).min(script::END);
        let mut today = Vec::new();
        while let Some(e) = events.next_if(|e| e.at < until) {
            today.push(e);
        }
        let (c, day_end) = (Arc::clone(&cast), start.plus_millis(until));
        state = app
            .store
            .write(move |tx| {
                let mut st = state;
                for e in &today {
                    let now = start.plus_millis(e.at);
                    fire_until(tx, now)?;
                    perform(tx, &c, &mut st, now, &e.act).inspect_err(|err| {
                        tracing::error!(event = ?e.act, at = e.at, error = %err, "demo history: an event failed");
                    })?;
                }
                fire_until(tx, day_end)?;
                refresh_grades(tx, day_end)?;
                Ok(st)
            })
            .await?;
    }
    Ok(())
}

/// Fires every deadline due up to `t`, each at its own due time, as the
/// scheduler would have.
pub fn fire_until(tx: &mut dyn Tx, t: Timestamp) -> Result<()> {
    while let Some(due) = tx.next_due()?.filter(|d| *d <= t) {
        let out = run_due(tx, due, 100)?;
        if out.failed > 0 {
            return Err(Error::Storage(StorageError(format!("demo history: a deadline due at {due:?} failed"))));
        }
        if out.fired == 0 {
            break;
        }
    }
    Ok(())
}

fn placed(st: &State, order: usize) -> Result<Placed> {
    st.orders.get(order).cloned().flatten().ok_or(Error::NotFound)
}

fn staff(c: &Cast, shop: usize, by: Staff) -> &User {
    match by {
        Staff::Owner => &c.owners[shop],
        Staff::Agent => &c.agent,
        Staff::Kefu => &c.kefu,
    }
}

/// 1×1 PNG: a case's screenshot is checked by its content.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x64, 0x60, 0xf8, 0x5f, 0x0f, 0x00, 0x02, 0x87, 0x01, 0x80, 0xeb, 0x47, 0xba,
    0x92, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn screenshot(name: &str) -> Vec<Attachment> {
    vec![Attachment { name: name.to_owned(), bytes: PNG.to_vec() }]
}

/// A buyer short of the price is credited the difference first, as the
/// demo faucet would (the history's money comes from the platform's cash).
fn afford(tx: &mut dyn Tx, now: Timestamp, buyer: &User, price_fen: i64) -> Result<()> {
    let balance = tx.balance(Account::UserWallet(buyer.id))?;
    if balance >= price_fen {
        return Ok(());
    }
    super::credit(tx, now, buyer.id, price_fen - balance)
}

fn buy(
    tx: &mut dyn Tx,
    c: &Cast,
    st: &mut State,
    now: Timestamp,
    (order, buyer, product): (usize, usize, usize),
) -> Result<()> {
    let user = &c.buyers[buyer];
    let id = c.products[product];
    let price = tx.product(id)?.ok_or(Error::NotFound)?.spec.price_fen;
    afford(tx, now, user, price)?;
    let qq = (10_000_000 + st.rng.range(0, 90_000_000)).to_string();
    let topup_target = match product {
        QQVIP => Some(json!({ "qq": qq })),
        WZRY => Some(json!({ "qq": qq, "zone": "安卓QQ区" })),
        _ => None,
    };
    let order_no = orders::order_no(now, st.rng.next_u64());
    let req = Checkout { product_id: id, quantity: 1, topup_target, idempotency: None, order_no };
    let out = orders::checkout(tx, now, user, &req)?;
    if st.orders.len() <= order {
        st.orders.resize(order + 1, None);
    }
    st.orders[order] = Some(Placed { no: out.order.no, buyer, shop: PRODUCT_SHOP[product] });
    Ok(())
}

fn review_id(tx: &mut dyn Tx, no: &str) -> Result<youying_core::values::ReviewId> {
    let order = tx.order_by_no(no)?.ok_or(Error::NotFound)?;
    Ok(tx.review_of_order(order.id)?.ok_or(Error::NotFound)?.id)
}

fn case_id(tx: &mut dyn Tx, no: &str) -> Result<youying_core::values::CaseId> {
    let order = tx.order_by_no(no)?.ok_or(Error::NotFound)?;
    Ok(tx.cases_of_order(order.id)?.into_iter().max_by_key(|c| c.id.0).ok_or(Error::NotFound)?.id)
}

fn perform(tx: &mut dyn Tx, c: &Cast, st: &mut State, now: Timestamp, act: &Act) -> Result<()> {
    match act {
        Act::Buy { order, buyer, product } => buy(tx, c, st, now, (*order, *buyer, *product))?,
        Act::Confirm { order } => {
            let o = placed(st, *order)?;
            orders::confirm(tx, now, &c.buyers[o.buyer], &o.no)?;
        }
        Act::Fulfil { order } => {
            let o = placed(st, *order)?;
            orders::fulfil(tx, now, &c.owners[o.shop], &o.no, "已充值成功，官方充值流水号已核对")?;
        }
        Act::Cancel { order } => {
            let o = placed(st, *order)?;
            orders::cancel_overdue(tx, now, &c.buyers[o.buyer], &o.no)?;
        }
        Act::Review { order, stars, text } => {
            let o = placed(st, *order)?;
            reviews::write(tx, now, &c.buyers[o.buyer], &o.no, *stars, text)?;
        }
        Act::ReplyReview { order, text } => {
            let o = placed(st, *order)?;
            let id = review_id(tx, &o.no)?;
            reviews::reply(tx, now, &c.owners[o.shop], id, text)?;
        }
        Act::Moderate { order, publish, note } => {
            let o = placed(st, *order)?;
            let id = review_id(tx, &o.no)?;
            let verdict = if *publish { Verdict::Publish } else { Verdict::Reject };
            reviews::moderate(tx, now, &c.kefu, id, verdict, note)?;
        }
        Act::Ask { .. } | Act::Say { .. } | Act::Answer { .. } | Act::Settle { .. } | Act::Duty { .. } => {
            talk(tx, c, now, act)?;
        }
        Act::Withdraw { shop } => withdraw(tx, c, now, *shop)?,
        Act::PayOut { shop } => pay_out(tx, c, now, *shop)?,
        Act::OpenCase { .. } | Act::Case { .. } | Act::Respond { .. } => case(tx, c, st, now, act)?,
    }
    Ok(())
}

fn talk(tx: &mut dyn Tx, c: &Cast, now: Timestamp, act: &Act) -> Result<()> {
    let bot = crate::helpbot::ChatBot;
    match act {
        Act::Ask { buyer, product, text } => {
            let user = &c.buyers[*buyer];
            let shop = c.shops[PRODUCT_SHOP[*product]];
            let conv = chat::open(tx, now, user, shop, None, Some(c.products[*product]))?;
            chat::buyer_says(tx, now, user, conv.id, text, Some(&bot))?;
        }
        Act::Say { buyer, shop, text } => {
            let user = &c.buyers[*buyer];
            let conv = tx.conversation_of(user.id, c.shops[*shop])?.ok_or(Error::NotFound)?;
            chat::buyer_says(tx, now, user, conv.id, text, Some(&bot))?;
        }
        Act::Answer { buyer, shop, by, text, only_if_waiting } => {
            let conv = tx.conversation_of(c.buyers[*buyer].id, c.shops[*shop])?.ok_or(Error::NotFound)?;
            if *only_if_waiting && conv.awaiting_since.is_none() {
                return Ok(()); // the bot settled it
            }
            chat::staff_says(tx, now, staff(c, *shop, *by), conv.id, text)?;
        }
        Act::Settle { buyer, shop } => {
            let user = &c.buyers[*buyer];
            let conv = tx.conversation_of(user.id, c.shops[*shop])?.ok_or(Error::NotFound)?;
            if conv.awaiting_since.is_none() && conv.bot.answers_in_row > 0 {
                chat::bot::feedback(tx, now, user, conv.id, chat::bot::Feedback::Settled)?;
            }
        }
        Act::Duty { on } => chat::set_duty(tx, now, &c.kefu, *on)?,
        _ => {}
    }
    Ok(())
}

fn case(tx: &mut dyn Tx, c: &Cast, st: &State, now: Timestamp, act: &Act) -> Result<()> {
    match act {
        Act::OpenCase { order, kind, text, mismatched, shot } => {
            let o = placed(st, *order)?;
            let req = OpenCase {
                kind: *kind,
                description: (*text).to_owned(),
                mismatched: mismatched.iter().map(|m| (*m).to_owned()).collect(),
                screenshots: if *shot { screenshot("截图.png") } else { Vec::new() },
            };
            cases::open(tx, now, &c.buyers[o.buyer], &o.no, &req)?;
        }
        Act::Case { order, step } => {
            let o = placed(st, *order)?;
            let id = case_id(tx, &o.no)?;
            let (actor, action) = match step {
                Step::Reissue => (&c.owners[o.shop], Action::Reissue),
                Step::Refund => (&c.owners[o.shop], Action::Refund),
                Step::Contest(reason) => (
                    &c.owners[o.shop],
                    Action::Contest { reason: (*reason).to_owned(), screenshots: screenshot("皮肤截图.png") },
                ),
                Step::Accept => (&c.buyers[o.buyer], Action::Accept),
                Step::Decide { refund, reason } => {
                    let decision = if *refund { Decision::Refund } else { Decision::Reject };
                    (&c.kefu, Action::Decide { decision, reason: (*reason).to_owned() })
                }
            };
            cases::act(tx, now, actor, id, action)?;
        }
        Act::Respond { order, text } => {
            let o = placed(st, *order)?;
            let id = case_id(tx, &o.no)?;
            cases::publication::respond(tx, now, &c.owners[o.shop], id, text)?;
        }
        _ => {}
    }
    Ok(())
}

/// Most of the shop's 货款, in whole ¥10, through the reviewed 提现 queue.
fn withdraw(tx: &mut dyn Tx, c: &Cast, now: Timestamp, shop: usize) -> Result<()> {
    let wallet = Wallet::Shop(c.shops[shop]);
    let amount = tx.balance(wallet.account())? * 8 / 10 / 1_000 * 1_000;
    if amount < 1_000 {
        return Ok(());
    }
    let input = WithdrawalInput { amount_fen: amount, ..c.payees[shop].clone() };
    withdrawals::request(tx, now, &c.owners[shop], wallet, input).map(|_| ())
}

fn pay_out(tx: &mut dyn Tx, c: &Cast, now: Timestamp, shop: usize) -> Result<()> {
    let wallet = Wallet::Shop(c.shops[shop]);
    for w in tx.withdrawals_of(wallet, 10)?.into_iter().filter(|w| w.state == WithdrawalState::Requested) {
        let transfer_ref = format!("ALI{}", now.millis() / 1_000);
        withdrawals::decide(tx, now, &c.admin, w.id, withdrawals::Decision::Approve { transfer_ref })?;
    }
    Ok(())
}
