//! A conversation's page for whichever side reads it: the buyer's `chat.html`,
//! or the staff's console view (`chat_console.html`) with the claim, the order
//! or product it is about and canned replies. Showing a thread records that the
//! viewer's side has read it.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use youying_core::chat::Side;
use youying_core::orders::Order;
use youying_core::ports::Store;
use youying_core::snapshot::Snapshot;
use youying_core::values::UserId;

use super::labels::kind_label;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::thread::{Thread, ThreadView, can_claim, load_thread, thread_href};
use crate::error::AppError;
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

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage<'a> {
    page: &'a Layout,
    t: ThreadView,
    shop_id: i64,
    shop_name: String,
}

/// Renders a conversation for whichever side the viewer is on.
pub(super) fn thread_page<S: Store>(
    app: &App<S>,
    page: &Page,
    th: &Thread,
    draft: String,
    error: Option<&AppError>,
) -> Response {
    let status = error.map_or(StatusCode::OK, AppError::status);
    if let Some(e) = error {
        e.log();
    }
    let t = ThreadView::of(th, app.now(), draft, error.map(AppError::message));
    if th.side != Side::Buyer {
        return staff_page(page, th, t, status);
    }
    let p = ChatPage { page: &page.layout, t, shop_id: th.c.shop_id.0, shop_name: th.shop_name.clone() };
    render(status, &page.layout, &p)
}

/// Showing a conversation is reading it: the viewer's side has now seen
/// everything shown. A failure here only loses a receipt, never the page.
pub(super) async fn seen<S: Store>(app: &App<S>, page: &Page, th: &Thread) {
    let (Some(v), Some(last)) = (page.viewer.as_ref(), th.messages.last()) else { return };
    if last.id <= th.c.read.of(th.side) {
        return;
    }
    if let Err(e) = crate::app::chat::mark_read(app, v.user.clone(), th.c.id, last.id).await {
        tracing::warn!(error = %e, conversation = th.c.id.0, "could not record a read receipt");
    }
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
fn staff_page(page: &Page, th: &Thread, t: ThreadView, status: StatusCode) -> Response {
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
