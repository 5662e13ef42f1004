//! The help bot on the pages: its answers in a conversation (with 已解决 /
//! 转人工 and the one-tap after-sales offer), the buyer's buttons, and the FAQ
//! pages — a shop's (its owner, with the bot's on/off switch and its daily
//! figures) and the platform's (admins).

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use serde_json::Value;
use youying_core::authz::{self, ShopAction};
use youying_core::chat::bot::{BotDay, Feedback, china_day};
use youying_core::chat::{Conversation, Message, Side};
use youying_core::faq::{self, FaqItem, Scope};
use youying_core::ports::Store;
use youying_core::values::{ConversationId, ShopId};
use youying_core::{Error, shops};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::error::AppError;
use crate::fmt::fmt_time;
use crate::state::App;

/// A bot answer as the thread shows it.
pub struct BotBubble {
    pub text: String,
    /// 已解决 / 转人工 under the latest answer, for the buyer, while it is open.
    pub buttons: bool,
    pub handoff: bool,
    /// 一键申请售后: the order's case form.
    pub case_href: Option<String>,
}

impl BotBubble {
    pub fn parse(m: &Message) -> Option<Self> {
        let v: Value = serde_json::from_str(&m.body).ok()?;
        Some(Self {
            text: v["text"].as_str()?.to_owned(),
            buttons: false,
            handoff: v["handoff"].as_bool().unwrap_or(false),
            case_href: v["case_offer"]["order_no"]
                .as_str()
                .filter(|no| no.bytes().all(|b| b.is_ascii_digit()))
                .map(|no| format!("/orders/{no}/cases")),
        })
    }
}

/// Whether the buyer's buttons belong under the latest bot answer: the bot is
/// still the one answering and no person owes a reply.
pub fn buttons_open(c: &Conversation, viewer: Side) -> bool {
    viewer == Side::Buyer && c.awaiting_since.is_none() && !c.bot.handed_over && c.bot.answers_in_row > 0
}

/// 已解决 / 转人工 from the thread (a form, so it works without JS).
pub async fn press<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let action = Feedback::parse(field(&f, "action"))
        .ok_or(AppError::Core(Error::Invalid { field: "action", reason: "settled_or_human" }))
        .map_err(|e| page.error(e))?;
    match crate::app::bot::press(&app, user, ConversationId(id), action).await {
        Ok(_) | Err(AppError::Core(Error::Conflict(_))) => Ok(see_other(&format!("/chat/{id}"))),
        Err(e) => Err(page.error(e)),
    }
}

struct FaqRow {
    id: i64,
    question: String,
    answer: String,
    updated: String,
}

struct DayRow {
    day: String,
    answered: i64,
    settled: i64,
    handed_over: i64,
}

fn day_row(d: &BotDay) -> DayRow {
    let noon = youying_core::Timestamp::from_millis(d.day * 86_400_000 + 4 * 3_600_000);
    DayRow {
        day: fmt_time(noon).split(' ').next().unwrap_or_default().to_owned(),
        answered: d.answered,
        settled: d.settled,
        handed_over: d.handed_over,
    }
}

#[derive(Template)]
#[template(path = "faq.html")]
struct FaqPage<'a> {
    page: &'a Layout,
    /// `None`: the platform's FAQ.
    shop: Option<(i64, String)>,
    bot_enabled: bool,
    /// The platform FAQ is the built-in one until an admin adds entries.
    builtin: usize,
    items: Vec<FaqRow>,
    days: Vec<DayRow>,
    /// The human reply deadline in force, as the page says it.
    reply_rule: String,
    action: String,
    error: Option<String>,
}

async fn faq_page<S: Store>(
    app: &App<S>,
    page: &Page,
    scope: Scope,
    error: Option<&AppError>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let today = china_day(app.now());
    let (shop, (bot_enabled, reply_secs), items, days) = app
        .store
        .read(move |tx| {
            let shop = match scope {
                Scope::Shop(id) => Some(shops::load(tx, &user, id, ShopAction::Manage)?),
                Scope::Platform => {
                    authz::admin(&user)?;
                    None
                }
            };
            let id = shop.as_ref().map(|s| s.id);
            let enabled = match id {
                Some(s) => tx.bot_enabled(s)?,
                None => true,
            };
            let reply = youying_core::rules::in_force(tx)?.chat_reply_secs();
            Ok((shop.map(|s| (s.id.0, s.name)), (enabled, reply), tx.faq(id)?, tx.bot_days(id, today - 6, today)?))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let action = match &shop {
        Some((id, _)) => format!("/merchant/shops/{id}/faq"),
        None => "/platform/faq".to_owned(),
    };
    let builtin = if shop.is_none() && items.is_empty() { crate::helpbot::builtin_faq().len() } else { 0 };
    let t = FaqPage {
        page: &page.layout,
        shop,
        bot_enabled,
        builtin,
        items: items.iter().map(faq_row).collect(),
        days: merge_days(&days).iter().map(day_row).collect(),
        reply_rule: crate::fmt::fmt_duration(reply_secs),
        action,
        error: error.map(AppError::message),
    };
    Ok(render(error.map_or(StatusCode::OK, AppError::status), &page.layout, &t))
}

fn faq_row(i: &FaqItem) -> FaqRow {
    FaqRow { id: i.id, question: i.question.clone(), answer: i.answer.clone(), updated: fmt_time(i.updated_at) }
}

/// All shops' tallies of a day summed (the platform page shows the whole platform).
fn merge_days(days: &[BotDay]) -> Vec<BotDay> {
    let mut out: Vec<BotDay> = Vec::new();
    for d in days {
        match out.last_mut() {
            Some(last) if last.day == d.day => {
                last.answered += d.answered;
                last.settled += d.settled;
                last.handed_over += d.handed_over;
            }
            _ => out.push(*d),
        }
    }
    out.reverse();
    out
}

/// 问答与智能助手: a shop's FAQ page.
pub async fn shop_faq<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    faq_page(&app, &page, Scope::Shop(ShopId(id)), None).await
}

/// The platform's FAQ page (admins).
pub async fn platform_faq<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    faq_page(&app, &page, Scope::Platform, None).await
}

/// After a change: back to the page, or the page again with the error.
async fn done<S: Store>(
    app: &App<S>,
    page: &Page,
    scope: Scope,
    r: Result<(), AppError>,
    flash: &str,
) -> Result<Response, PageError> {
    match r {
        Ok(()) => {
            let page = Page { layout: page.layout.clone().with_flash(flash), ..page.clone() };
            faq_page(app, &page, scope, None).await
        }
        Err(e @ AppError::Core(Error::NotFound | Error::Forbidden)) => Err(page.error(e)),
        Err(e) => {
            e.log();
            faq_page(app, page, scope, Some(&e)).await
        }
    }
}

async fn add<S: Store>(app: &App<S>, page: Page, scope: Scope, f: &[(String, String)]) -> Result<Response, PageError> {
    page.check_csrf(field(f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let r = if field(f, "defaults") == "1" {
        let entries: Vec<(String, String)> =
            crate::helpbot::builtin_faq().iter().map(|e| (e.question.clone(), e.answer.clone())).collect();
        app.store.write(move |tx| faq::add(tx, now, &user, scope, &entries).map(|_| ())).await
    } else {
        let entry = [(field(f, "question").to_owned(), field(f, "answer").to_owned())];
        app.store.write(move |tx| faq::add(tx, now, &user, scope, &entry).map(|_| ())).await
    };
    done(app, &page, scope, r.map_err(AppError::from), "已保存。").await
}

pub async fn add_shop<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    add(&app, page, Scope::Shop(ShopId(id)), &f).await
}

pub async fn add_platform<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    add(&app, page, Scope::Platform, &f).await
}

/// Edits (or, with `delete=1`, removes) one entry of whichever FAQ it is in.
pub async fn change<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let (question, answer, delete) =
        (field(&f, "question").to_owned(), field(&f, "answer").to_owned(), field(&f, "delete") == "1");
    let item = app.store.read(move |tx| tx.faq_item(id)).await.map_err(|e| page.error(e.into()))?;
    let scope = item.as_ref().and_then(|i| i.shop_id).map_or(Scope::Platform, Scope::Shop);
    let r =
        app.store
            .write(move |tx| {
                if delete { faq::remove(tx, now, &user, id) } else { faq::edit(tx, now, &user, id, &question, &answer) }
            })
            .await;
    done(&app, &page, scope, r.map_err(AppError::from), if delete { "已删除。" } else { "已保存。" }).await
}

/// The shop's switch for its bot.
pub async fn switch<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let on = field(&f, "enabled") == "1";
    let r = app.store.write(move |tx| faq::set_bot(tx, now, &user, ShopId(id), on)).await;
    let flash = if on {
        "智能助手已开启：买家的常见问题先由助手回答。"
    } else {
        "智能助手已关闭：买家的每条消息都等待人工回复。"
    };
    done(&app, &page, Scope::Shop(ShopId(id)), r.map_err(AppError::from), flash).await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/chat/{id}/bot", routing::post(press::<S>))
        .route("/merchant/shops/{id}/faq", routing::get(shop_faq::<S>).post(add_shop::<S>))
        .route("/merchant/shops/{id}/bot", routing::post(switch::<S>))
        .route("/platform/faq", routing::get(platform_faq::<S>).post(add_platform::<S>))
        .route("/faq/{id}", routing::post(change::<S>))
}
