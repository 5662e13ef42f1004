//! The agent consoles: the merchant's 客服消息 (its shops' conversations) and the
//! platform's queue (what shops let lapse), each ordered by deadline with a live
//! countdown and claims, the conversation (rendered with its order context and
//! canned replies by `thread_page.rs`), and the platform agents' 上岗 / 下岗 with today's on-duty share.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::accounts::User;
use youying_core::chat::{Conversation, Side};
use youying_core::ports::{ReadTx, Store};
use youying_core::rules::Rule;
use youying_core::shops::Shop;
use youying_core::values::{Role, UserId};
use youying_core::{Timestamp, authz, chat, rules};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::thread::{Status, can_claim, thread_href, username};
use super::thread_page::show_for;
use crate::state::App;

pub struct QueueRow {
    pub id: i64,
    pub href: String,
    pub buyer_name: String,
    pub shop_name: String,
    pub status: Status,
    /// Buyer messages the viewer's team has not read (its stored read position).
    pub unread: i64,
    pub assignee: Option<String>,
    /// For chat.js to notice a claim; empty when nobody has claimed it.
    pub assignee_id: String,
    /// The viewer's team owns it and someone else (or nobody) has it.
    pub can_claim: bool,
    pub last_id: i64,
}

/// Buyer messages past the viewer's team's read position.
fn unread(tx: &mut dyn ReadTx, c: &Conversation, side: Side) -> youying_core::error::Result<i64> {
    let u = tx.unread(c)?;
    Ok(if side == Side::Platform { u.platform } else { u.shop })
}

fn row(
    tx: &mut dyn ReadTx,
    c: &Conversation,
    shop_name: String,
    (side, me): (Side, UserId),
    now: Timestamp,
) -> youying_core::error::Result<QueueRow> {
    Ok(QueueRow {
        id: c.id.0,
        href: thread_href(side, c.id.0),
        buyer_name: username(tx, Some(c.buyer_id))?.unwrap_or_default(),
        shop_name,
        status: Status::of(c, side, now),
        unread: unread(tx, c, side)?,
        assignee: username(tx, c.assignee_id)?,
        assignee_id: c.assignee_id.map(|u| u.0.to_string()).unwrap_or_default(),
        can_claim: can_claim(c, side, me),
        last_id: c.last_message_id,
    })
}

/// Deadlines the viewer's team owns first, soonest first; then other waiting
/// buyers; then the rest, latest first. chat.js keeps the same order live.
fn sort(rows: &mut [QueueRow]) {
    rows.sort_by_key(|r| {
        let group = match (r.status.due_ms > 0, r.status.mine) {
            (true, true) => 0,
            (true, false) => 1,
            (false, _) => 2,
        };
        (group, if group < 2 { r.status.due_ms } else { -r.last_id })
    });
}

pub struct DutyPanel {
    pub on: bool,
    pub on_duty: usize,
    pub day: String,
    pub covered: i64,
    pub elapsed: i64,
    pub share: String,
}

#[derive(Template)]
#[template(path = "chat_queue.html")]
struct QueuePage<'a> {
    page: &'a Layout,
    platform: bool,
    me: i64,
    rows: Vec<QueueRow>,
    /// The shops whose conversations belong here (merchant console), for chat.js.
    shop_ids: String,
    now_ms: i64,
    warn_secs: i64,
    duty: Option<DutyPanel>,
}

fn queue_page(page: &Page, q: QueuePage<'_>) -> Response {
    render(StatusCode::OK, &page.layout, &q)
}

fn shops_served(tx: &mut dyn ReadTx, user: &User) -> youying_core::error::Result<Vec<Shop>> {
    match (user.role, user.shop_id) {
        (Role::MerchantAgent, Some(id)) => Ok(tx.shop(id)?.into_iter().collect()),
        _ => tx.shops_owned_by(user.id),
    }
}

/// 客服消息: every conversation of the shops the viewer serves.
pub async fn merchant_list<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    if user.role.is_platform() {
        return Ok(see_other("/platform/chat"));
    }
    let now = app.now();
    let (shops, mut rows, warn) = app
        .store
        .read(move |tx| {
            let shops = shops_served(tx, &user)?;
            let mut rows = Vec::new();
            for s in &shops {
                for c in tx.conversations_of_shop(s.id, 200)? {
                    rows.push(row(tx, &c, s.name.clone(), (Side::Shop, user.id), now)?);
                }
            }
            Ok((shops, rows, rules::in_force(tx)?.get(Rule::WarnBeforeSecs)))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    if shops.is_empty() {
        return Ok(see_other("/shops/new"));
    }
    sort(&mut rows);
    let shop_ids = shops.iter().map(|s| s.id.0.to_string()).collect::<Vec<_>>().join(",");
    let q = QueuePage {
        page: &page.layout,
        platform: false,
        me: page.viewer.as_ref().map_or(0, |v| v.user.id.0),
        rows,
        shop_ids,
        now_ms: now.millis(),
        warn_secs: warn,
        duty: None,
    };
    Ok(queue_page(&page, q))
}

/// 平台会话队列: conversations the platform owns, by deadline; and duty.
pub async fn platform_list<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    authz::platform_staff(&user).map_err(|e| page.error(e.into()))?;
    let (now, me) = (app.now(), user.id);
    let (mut rows, warn) = app
        .store
        .read(move |tx| {
            let mut rows = Vec::new();
            for c in tx.platform_queue(200)? {
                let shop = tx.shop(c.shop_id)?.map(|s| s.name).unwrap_or_default();
                rows.push(row(tx, &c, shop, (Side::Platform, me), now)?);
            }
            Ok((rows, rules::in_force(tx)?.get(Rule::WarnBeforeSecs)))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    sort(&mut rows);
    let d = crate::app::chat::duty_report(&app).await.map_err(|e| page.error(e))?;
    let duty = DutyPanel {
        on: d.on_duty.contains(&user.id.0),
        on_duty: d.on_duty.len(),
        day: d.day,
        covered: d.minutes_covered,
        elapsed: d.minutes_elapsed,
        share: format!("{:.1}%", d.share_percent),
    };
    let q = QueuePage {
        page: &page.layout,
        platform: true,
        me: me.0,
        rows,
        shop_ids: String::new(),
        now_ms: now.millis(),
        warn_secs: warn,
        duty: Some(duty),
    };
    Ok(queue_page(&page, q))
}

/// 上岗 / 下岗.
pub async fn duty<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let on = field(&f, "on") == "1";
    let now = app.now();
    app.store.write(move |tx| chat::set_duty(tx, now, &user, on)).await.map_err(|e| page.error(e.into()))?;
    Ok(see_other("/platform/chat"))
}

pub async fn merchant_show<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    show_for(&app, &page, id, Side::Shop).await
}

pub async fn platform_show<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    show_for(&app, &page, id, Side::Platform).await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/merchant/chat", routing::get(merchant_list::<S>))
        .route("/merchant/chat/{id}", routing::get(merchant_show::<S>))
        .route("/platform/chat", routing::get(platform_list::<S>))
        .route("/platform/chat/{id}", routing::get(platform_show::<S>))
        .route("/platform/duty", routing::post(duty::<S>))
}
