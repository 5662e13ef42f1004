//! Conversations on the pages: 联系商家 from a product, order or shop page, the
//! buyer's conversations and one conversation with its reply countdown, and
//! what every side posts (messages, claims). The agent consoles live in
//! `chat_console.rs`; `/static/chat.js` adds live updates over the websocket,
//! and every page here works without it by reloading.

use std::collections::VecDeque;

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::accounts::User;
use youying_core::catalogue::Product;
use youying_core::chat::{self, Conversation, Message, Owner, Side};
use youying_core::orders::Order;
use youying_core::ports::{ReadTx, Store};
use youying_core::rules::Rule;
use youying_core::shops::Shop;
use youying_core::values::{ConversationId, ProductId, Role, ShopId, UserId};
use youying_core::{Error, Timestamp, rules};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, safe_next, see_other};
use crate::error::AppError;
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

use super::chat_rows::MessageRow;

/// Whether `side`'s team must answer the buyer now (its deadline, its claim).
pub fn team_owns(c: &Conversation, side: Side) -> bool {
    match side {
        Side::Shop => c.owner == Owner::Shop,
        Side::Platform => c.owner == Owner::Platform,
        Side::Buyer | Side::System => false,
    }
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

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage<'a> {
    page: &'a Layout,
    t: ThreadView,
    shop_id: i64,
    shop_name: String,
}

/// Renders a conversation for whichever side the viewer is on.
fn thread_page<S: Store>(app: &App<S>, page: &Page, th: &Thread, draft: String, error: Option<&AppError>) -> Response {
    let status = error.map_or(StatusCode::OK, AppError::status);
    if let Some(e) = error {
        e.log();
    }
    let t = ThreadView::of(th, app.now(), draft, error.map(AppError::message));
    if th.side != Side::Buyer {
        return super::chat_console::staff_page(page, th, t, status);
    }
    let p = ChatPage { page: &page.layout, t, shop_id: th.c.shop_id.0, shop_name: th.shop_name.clone() };
    render(status, &page.layout, &p)
}

/// Showing a conversation is reading it: the viewer's side has now seen
/// everything shown. A failure here only loses a receipt, never the page.
async fn seen<S: Store>(app: &App<S>, page: &Page, th: &Thread) {
    let (Some(v), Some(last)) = (page.viewer.as_ref(), th.messages.last()) else { return };
    if last.id <= th.c.read.of(th.side) {
        return;
    }
    if let Err(e) = crate::app::chat::mark_read(app, v.user.clone(), th.c.id, last.id).await {
        tracing::warn!(error = %e, conversation = th.c.id.0, "could not record a read receipt");
    }
}

/// The buyer's conversation; the shop's and the platform's staff read it in their consoles.
pub async fn show<S: Store>(State(app): State<App<S>>, page: Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    let th = load_thread(&app, &page, id).await?;
    if th.side != Side::Buyer {
        return Ok(see_other(&thread_href(th.side, id)));
    }
    seen(&app, &page, &th).await;
    Ok(thread_page(&app, &page, &th, String::new(), None))
}

/// Staff consoles' conversation view: the same thread, for `want`'s side.
pub async fn show_for<S: Store>(app: &App<S>, page: &Page, id: i64, want: Side) -> Result<Response, PageError> {
    let th = load_thread(app, page, id).await?;
    if th.side != want {
        return Ok(see_other(&thread_href(th.side, id)));
    }
    seen(app, page, &th).await;
    Ok(thread_page(app, page, &th, String::new(), None))
}

/// 发送: from any side; without JS the form comes back here with a 303, and an
/// error re-shows the conversation with the text kept.
pub async fn post<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let text = field(&f, "text").to_owned();
    match crate::app::chat::say(&app, user, ConversationId(id), text.clone()).await {
        Ok(m) => Ok(see_other(&thread_href(m.side, id))),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Err(page.error(e)),
        Err(e) => {
            let th = load_thread(&app, &page, id).await?;
            Ok(thread_page(&app, &page, &th, text, Some(&e)))
        }
    }
}

/// What the picture form carried: the CSRF token, then the file.
#[derive(Default)]
struct ImageForm {
    csrf: String,
    bytes: Vec<u8>,
    content_type: Option<String>,
    file_name: Option<String>,
}

async fn read_image_form(mut m: Multipart) -> Result<ImageForm, AppError> {
    let fail = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            crate::error::too_large()
        } else {
            AppError::http(StatusCode::BAD_REQUEST, "invalid_input")
        }
    };
    let mut f = ImageForm::default();
    while let Some(field) = m.next_field().await.map_err(fail)? {
        match field.name().unwrap_or_default() {
            "_csrf" => f.csrf = field.text().await.map_err(fail)?,
            "image" => {
                f.content_type = field.content_type().map(str::to_owned);
                f.file_name = field.file_name().map(str::to_owned);
                f.bytes = Vec::from(field.bytes().await.map_err(fail)?);
            }
            _ => {}
        }
    }
    Ok(f)
}

/// 发送图片 without JS: a multipart form; back to the conversation with a
/// 303, or the conversation again with the reason (too large, not a picture).
pub async fn post_image<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let sent = match read_image_form(multipart).await {
        Ok(f) => {
            page.check_csrf(&f.csrf)?;
            let claim = (f.content_type, f.file_name);
            crate::app::chat::send_image(&app, user, ConversationId(id), f.bytes, claim)
                .await
                .map_err(crate::error::image_error)
        }
        Err(e) => Err(e),
    };
    match sent {
        Ok(m) => Ok(see_other(&thread_href(m.side, id))),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Err(page.error(e)),
        Err(e) => {
            let th = load_thread(&app, &page, id).await?;
            Ok(thread_page(&app, &page, &th, String::new(), Some(&e)))
        }
    }
}

/// 认领 (no `user_id`) or 转给同事: then back to the conversation.
pub async fn assign<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let to = field(&f, "user_id").trim().parse::<i64>().ok().map(UserId);
    let side = if user.role.is_platform() { Side::Platform } else { Side::Shop };
    let now = app.now();
    app.store
        .write(move |tx| chat::assign(tx, now, &user, ConversationId(id), to))
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(see_other(&thread_href(side, id)))
}

/// 联系商家: opens (or reopens) the conversation with the order or product
/// attached, then goes to it. Signed out: sign in first, then come back.
pub async fn open<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let shop: i64 = field(&f, "shop_id").trim().parse().map_err(|_| page.error(Error::NotFound.into()))?;
    let order_no = Some(field(&f, "order_no").trim()).filter(|s| !s.is_empty()).map(str::to_owned);
    let product = field(&f, "product_id").trim().parse::<i64>().ok().map(ProductId);
    let Some(v) = page.viewer.clone() else {
        let back = match (&order_no, product) {
            (Some(no), _) => format!("/orders/{no}"),
            (None, Some(p)) => format!("/products/{}", p.0),
            (None, None) => format!("/shops/{shop}"),
        };
        return Ok(see_other(&safe_next(&back).map_or_else(|| "/login".to_owned(), |n| format!("/login?next={n}"))));
    };
    let now = app.now();
    let c = app
        .store
        .write(move |tx| chat::open(tx, now, &v.user, ShopId(shop), order_no.as_deref(), product))
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(see_other(&format!("/chat/{}", c.id.0)))
}

/// The 联系商家 button of a product, order or shop page: a form for a buyer,
/// a sign-in link for a visitor, nothing for the shop's own team or staff.
pub struct Contact {
    pub mode: &'static str,
    pub shop_id: i64,
    pub product_id: Option<i64>,
    pub order_no: Option<String>,
    /// Where sign-in comes back to.
    pub next: String,
}

impl Contact {
    pub fn new(viewer: Option<&User>, shop: &Shop, next: String) -> Self {
        let mode = match viewer {
            None => "login",
            Some(u) if u.role == Role::Buyer && u.id != shop.owner_id => "form",
            Some(_) => "",
        };
        Self { mode, shop_id: shop.id.0, product_id: None, order_no: None, next }
    }
}

pub struct BuyerRow {
    pub id: i64,
    pub shop_name: String,
    pub status: Status,
}

#[derive(Template)]
#[template(path = "chat_list.html")]
struct ListPage<'a> {
    page: &'a Layout,
    rows: Vec<BuyerRow>,
    now_ms: i64,
}

/// 消息: the buyer's conversations, latest first.
pub async fn list<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let rows = app
        .store
        .read(move |tx| {
            let mut rows = Vec::new();
            for c in tx.conversations_of_buyer(user.id, 200)? {
                let shop_name = tx.shop(c.shop_id)?.map(|s| s.name).unwrap_or_default();
                rows.push(BuyerRow { id: c.id.0, shop_name, status: Status::of(&c, Side::Buyer, now) });
            }
            Ok(rows)
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(render(StatusCode::OK, &page.layout, &ListPage { page: &page.layout, rows, now_ms: now.millis() }))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/chat", routing::get(list::<S>))
        .route("/chat/open", routing::post(open::<S>))
        .route("/chat/{id}", routing::get(show::<S>))
        .route("/chat/{id}/messages", routing::post(post::<S>))
        .route(
            "/chat/{id}/images",
            routing::post(post_image::<S>).layer(DefaultBodyLimit::max(crate::app::chat::IMAGE_FORM_LIMIT)),
        )
        .route("/chat/{id}/assign", routing::post(assign::<S>))
}
