//! The agent consoles: the merchant's 客服消息 (its shops' conversations) and the
//! platform's queue (what shops let lapse), each ordered by deadline with a live
//! countdown, claims, the conversation with its order context and canned
//! replies, and the platform agents' 上岗 / 下岗 with today's on-duty share.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::accounts::User;
use youying_core::chat::{Conversation, Side};
use youying_core::orders::Order;
use youying_core::ports::{ReadTx, Store};
use youying_core::rules::Rule;
use youying_core::shops::Shop;
use youying_core::snapshot::Snapshot;
use youying_core::values::{Role, UserId};
use youying_core::{Timestamp, authz, chat, rules};

use super::chat::{Status, Thread, ThreadView, show_for, team_owns, thread_href, username};
use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::market::kind_label;
use crate::fmt::{fmt_fen, fmt_time};
use crate::state::App;

const SHOP_CANNED: &[&str] = &[
    "您好，我是本店客服，正在为您查看，请稍等。",
    "请提供订单号和问题截图，我们马上为您核实。",
    "已为您补发，请在订单页面查看。",
    "已为您办理退款，款项原路退回钱包。",
    "很抱歉给您带来不便，我们会尽快处理。",
];

const PLATFORM_CANNED: &[&str] = &[
    "您好，我是平台客服，已接手您的问题，马上为您处理。",
    "请提供订单号和问题截图，平台为您核实。",
    "平台已联系商家处理，结果会在这里通知您。",
    "您的款项在平台担保中，不会受损，请放心。",
];

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

/// Claiming is for the team that owns the deadline: one assignee is kept per
/// conversation, so a shop's claim after the takeover would unseat the platform's.
fn can_claim(c: &Conversation, side: Side, me: UserId) -> bool {
    team_owns(c, side) && c.assignee_id != Some(me)
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

/// The order a conversation is about, for the agent: state and delivery, never a key.
pub struct OrderPanel {
    pub no: String,
    pub title: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub kind: &'static str,
    pub quantity: i64,
    pub total: String,
    pub escrow: String,
    /// (when, what happened): the delivery log as the order records it.
    pub log: Vec<(String, String)>,
}

impl OrderPanel {
    fn of(o: &Order) -> Self {
        let mut log = vec![(fmt_time(o.created_at), "下单付款，进入平台担保".to_owned())];
        if o.kind.has_stock() {
            log.push((fmt_time(o.created_at), format!("自动发放 {} 件（卡密仅买家可见）", o.quantity)));
        }
        if let Some(due) = o.promise_due {
            log.push((fmt_time(due), "承诺到账时限".to_owned()));
        }
        if let Some(at) = o.fulfilled_at {
            let note = o.fulfil_note.as_deref().unwrap_or_default();
            log.push((fmt_time(at), format!("商家标记已充值 {note}").trim_end().to_owned()));
        }
        if let Some(at) = o.protect_until.filter(|_| o.closed_at.is_none()) {
            log.push((fmt_time(at), "担保期结束".to_owned()));
        }
        if let Some(at) = o.closed_at {
            log.push((fmt_time(at), o.state.label().to_owned()));
        }
        Self {
            no: o.no.clone(),
            title: Snapshot::title_of(&o.snapshot),
            state: o.state.as_str(),
            state_label: o.state.label(),
            kind: kind_label(o.kind.as_str()),
            quantity: o.quantity,
            total: o.total.to_string(),
            escrow: fmt_fen(o.escrow_fen),
            log,
        }
    }
}

pub struct ProductPanel {
    pub id: i64,
    pub title: String,
    pub price: String,
    pub on_sale: bool,
}

#[derive(Template)]
#[template(path = "chat_console.html")]
struct StaffPage<'a> {
    page: &'a Layout,
    t: ThreadView,
    platform: bool,
    back: &'static str,
    buyer_name: String,
    shop_id: i64,
    shop_name: String,
    assignee: Option<String>,
    assignee_id: String,
    me: i64,
    can_claim: bool,
    /// Colleagues a shop's conversation can be handed to (not the viewer).
    colleagues: Vec<(i64, String)>,
    order: Option<OrderPanel>,
    product: Option<ProductPanel>,
    canned: &'static [&'static str],
}

/// The staff's conversation view: the thread, claim, context and canned replies.
pub fn staff_page(page: &Page, th: &Thread, t: ThreadView, status: StatusCode) -> Response {
    let me = page.viewer.as_ref().map_or(UserId(0), |v| v.user.id);
    let platform = th.side == Side::Platform;
    let p = StaffPage {
        page: &page.layout,
        t,
        platform,
        back: if platform { "/platform/chat" } else { "/merchant/chat" },
        buyer_name: th.buyer_name.clone(),
        shop_id: th.c.shop_id.0,
        shop_name: th.shop_name.clone(),
        assignee: th.assignee.clone(),
        assignee_id: th.c.assignee_id.map(|u| u.0.to_string()).unwrap_or_default(),
        me: me.0,
        can_claim: can_claim(&th.c, th.side, me),
        colleagues: th.colleagues.iter().filter(|(id, _)| *id != me.0).cloned().collect(),
        order: th.order.as_ref().map(OrderPanel::of),
        product: th.product.as_ref().map(|p| ProductPanel {
            id: p.id.0,
            title: p.spec.title.clone(),
            price: fmt_fen(p.spec.price_fen),
            on_sale: p.on_sale,
        }),
        canned: if platform { PLATFORM_CANNED } else { SHOP_CANNED },
    };
    render(status, &page.layout, &p)
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
