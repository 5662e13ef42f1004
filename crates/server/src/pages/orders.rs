//! One order as its buyer, the shop's staff and platform staff see it: the
//! delivered units behind a logged reveal (the buyer only), confirmation of
//! receipt, the refund of an overdue top-up and the deadlines with the time
//! left. Every form here posts, then redirects to a page that can be reloaded.
//! The list is `order_list.rs`, the snapshot `order_snapshot.rs`.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing;
use serde_json::Value;
use youying_core::Timestamp;
use youying_core::cases::Case;
use youying_core::orders::{self, Order, OrderState};
use youying_core::ports::Store;
use youying_core::reviews::Review;
use youying_core::rules::{self, Rule, Rules};
use youying_core::snapshot::Snapshot;
use youying_core::values::{Role, UserId};

use super::labels::Contact;
use super::labels::kind_label;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::order_view::{Countdown, UnitWords};
use super::session::CsrfForm;
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::state::App;
use crate::vault::OpenUnit;

pub(super) fn snapshot_of(o: &Order) -> Option<Snapshot> {
    Snapshot::parse(&o.snapshot)
}

/// A row of an order list, for the buyer and for the shop.
pub struct OrderRow {
    pub no: String,
    pub title: String,
    pub created: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub quantity: i64,
    pub total: String,
    pub overdue: bool,
}

impl OrderRow {
    pub fn of(o: &Order) -> Self {
        Self {
            no: o.no.clone(),
            title: snapshot_of(o).map(|s| s.title).unwrap_or_default(),
            created: fmt_time(o.created_at),
            state: o.state.as_str(),
            state_label: o.state.label(),
            quantity: o.quantity,
            total: o.total.to_string(),
            overdue: o.topup_overdue,
        }
    }
}

/// The top-up target with the labels the listing declared (QQ号: 12345).
pub fn topup_lines(o: &Order) -> Vec<(String, String)> {
    let Some(target) = o.topup_target.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok()) else {
        return Vec::new();
    };
    let fields = snapshot_of(o).map(|s| s.topup_fields).unwrap_or_default();
    let label = |name: &str| fields.iter().find(|f| f.name == name).map_or(name, |f| f.label.as_str()).to_owned();
    target
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (label(k), v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage<'a> {
    page: &'a Layout,
    o: OrderRow,
    kind: &'static str,
    words: UnitWords,
    product_id: i64,
    shop_id: i64,
    shop_name: String,
    unit_price: String,
    escrow: String,
    /// 售后保障至: the protection window's end, with the time left while it runs.
    protect_until: Option<String>,
    protect_left: Option<Countdown>,
    /// 承诺到账: the top-up promise, while the merchant still owes it.
    promise: Option<Countdown>,
    fulfil_note: Option<String>,
    topup: Vec<(String, String)>,
    /// What the listing declared about the account (from the snapshot).
    account_attrs: Vec<(String, String)>,
    can_reveal: bool,
    /// When the viewer last opened the units as they are now (a logged reveal).
    revealed_at: Option<String>,
    can_confirm: bool,
    can_cancel: bool,
    can_fulfil: bool,
    /// The buyer and platform staff may export the evidence bundle.
    can_export: bool,
    /// The delivered units, only on `/orders/{no}/keys` after a reveal.
    units: Option<Vec<OpenUnit>>,
    /// 申请售后: the buyer, inside the window, with no case open.
    can_open_case: bool,
    /// The order's cases: (id, state label, open).
    cases: Vec<(i64, &'static str, bool)>,
    contact: Contact,
    /// The buyer's review (`_order_review.html`): theirs if written.
    review: Option<super::reviews::ReviewLine>,
    /// 评价: the buyer, once the order is completed, if not yet reviewed.
    can_review: bool,
    /// The after-sales deadlines in force, in words: (merchant, resolved).
    case_windows: (String, String),
}

/// What the order page reads besides the order: its cases, the buyer's
/// review, the rules in force and when the viewer revealed the units as they are.
struct Extra {
    cases: Vec<Case>,
    review: Option<Review>,
    rules: Rules,
    revealed: Option<Timestamp>,
}

/// Events about one order are few; this bounds the read all the same.
const ORDER_EVENTS: usize = 500;

fn order_page<S: Store>(app: &App<S>, page: &Page, o: &Order, units: Option<Vec<OpenUnit>>, extra: &Extra) -> Response {
    let Extra { cases, review, rules, revealed } = extra;
    let now = app.now();
    let viewer = page.viewer.as_ref().map(|v| &v.user);
    let is_buyer = viewer.is_some_and(|u| u.id == o.buyer_id);
    let snapshot = snapshot_of(o);
    let window_runs = matches!(o.state, OrderState::Delivered | OrderState::Fulfilled);
    let api = crate::app::orders::view(o, now);
    let t = OrderPage {
        page: &page.layout,
        kind: kind_label(o.kind.as_str()),
        words: UnitWords::of(o.kind),
        product_id: o.product_id.0,
        shop_id: o.shop_id.0,
        shop_name: snapshot.as_ref().map(|s| s.shop.name.clone()).unwrap_or_default(),
        unit_price: o.unit_price.to_string(),
        escrow: fmt_fen(o.escrow_fen),
        protect_until: o.protect_until.map(fmt_time),
        protect_left: o.protect_until.filter(|_| window_runs).map(|t| Countdown::new(t, now)),
        promise: o.promise_due.filter(|_| o.state == OrderState::AwaitingFulfilment).map(|t| Countdown::new(t, now)),
        fulfil_note: o.fulfil_note.clone(),
        topup: topup_lines(o),
        account_attrs: snapshot
            .map(|s| s.account_attrs.into_iter().map(|a| (a.name, a.value)).collect())
            .unwrap_or_default(),
        can_reveal: is_buyer && o.kind.has_stock(),
        revealed_at: revealed.map(fmt_time),
        can_confirm: is_buyer && window_runs,
        can_cancel: is_buyer && api.cancellable,
        can_fulfil: !is_buyer
            && o.state == OrderState::AwaitingFulfilment
            && viewer.is_some_and(|u| u.role != Role::PlatformAgent),
        can_export: is_buyer || viewer.is_some_and(|u| u.role.is_platform()),
        units,
        can_open_case: is_buyer
            && matches!(o.state, OrderState::Delivered | OrderState::Fulfilled | OrderState::Completed)
            && o.protect_until.is_some_and(|t| t > now)
            && !cases.iter().any(|c| c.state.is_open()),
        cases: cases.iter().map(|c| (c.id.0, c.state.label(), c.state.is_open())).collect(),
        // The buyer asks the shop about this order; a buyer never owns the shop.
        contact: Contact {
            mode: if is_buyer { "form" } else { "" },
            shop_id: o.shop_id.0,
            product_id: None,
            order_no: Some(o.no.clone()),
            next: format!("/orders/{}", o.no),
        },
        review: review.as_ref().filter(|_| is_buyer).map(super::reviews::ReviewLine::of),
        can_review: is_buyer && o.state == OrderState::Completed && review.is_none(),
        case_windows: (fmt_duration(rules.get(Rule::CaseMerchantSecs)), fmt_duration(rules.get(Rule::CaseResolveSecs))),
        o: OrderRow::of(o),
    };
    render(StatusCode::OK, &page.layout, &t)
}

/// Everything [`order_page`] shows besides the order, read in one transaction.
async fn extra_of<S: Store>(app: &App<S>, page: &Page, o: &Order) -> Result<Extra, PageError> {
    let (id, subject) = (o.id, format!("order:{}", o.no));
    let viewer = page.viewer.as_ref().map(|v| v.user.id);
    app.store
        .read(move |tx| {
            let revealed = match viewer {
                Some(v) => current_reveal(&tx.events_about(&subject, ORDER_EVENTS)?, v),
                None => None,
            };
            Ok(Extra {
                cases: tx.cases_of_order(id)?,
                review: tx.review_of_order(id)?,
                rules: rules::in_force(tx)?,
                revealed,
            })
        })
        .await
        .map_err(|e| page.error(e.into()))
}

/// When `who` last revealed the units the order holds now: a logged
/// `order.key_revealed` after the latest delivery or reissue. A reissued key
/// is shown again only after a fresh, logged reveal.
fn current_reveal(events: &[youying_core::evidence::ChainedEvent], who: UserId) -> Option<Timestamp> {
    events.iter().fold(None, |at, e| match e.kind.as_str() {
        "order.delivered" | "order.reissued" => None,
        "order.key_revealed" if e.actor == Some(who) => Some(e.at),
        _ => at,
    })
}

pub(super) async fn load<S: Store>(app: &App<S>, page: &Page, no: String) -> Result<Order, PageError> {
    let user = page.require_viewer()?.user.clone();
    app.store.read(move |tx| orders::load_for(tx, &user, &no)).await.map_err(|e| page.error(e.into()))
}

pub async fn show<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    let o = load(&app, &page, no).await?;
    let extra = extra_of(&app, &page, &o).await?;
    Ok(order_page(&app, &page, &o, None, &extra))
}

/// 查看卡密: the reveal is written as evidence (who, when), then the buyer is
/// sent to the units' page, which a reload shows again.
pub async fn reveal<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let (o, _) =
        app.store.write(move |tx| orders::reveal(tx, now, &user, &no)).await.map_err(|e| page.error(e.into()))?;
    Ok(see_other(&format!("/orders/{}/keys#keys", o.no)))
}

/// The units of an order, to its buyer once they have revealed them (the
/// logged reveal above); anyone else, or before a reveal, gets the order page.
pub async fn keys<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    let o = load(&app, &page, no).await?;
    let extra = extra_of(&app, &page, &o).await?;
    let is_buyer = page.viewer.as_ref().is_some_and(|v| v.user.id == o.buyer_id);
    if !is_buyer || extra.revealed.is_none() {
        return Ok(see_other(&format!("/orders/{}", o.no)));
    }
    let id = o.id;
    let sealed = app.store.read(move |tx| tx.order_units(id)).await.map_err(|e| page.error(e.into()))?;
    let units = sealed.iter().map(|u| app.vault.open(u)).collect::<Result<Vec<_>, _>>();
    let units = units.map_err(|e| page.error(AppError::from(e)))?;
    let mut resp = order_page(&app, &page, &o, Some(units), &extra);
    // Keys in plain text: no shared or disk cache may keep this page.
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

pub async fn confirm<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let o = app.store.write(move |tx| orders::confirm(tx, now, &user, &no)).await.map_err(|e| page.error(e.into()))?;
    Ok(see_other(&format!("/orders/{}", o.no)))
}

/// 取消并退款: an overdue top-up, refunded in full at once.
pub async fn cancel<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let o = app
        .store
        .write(move |tx| orders::cancel_overdue(tx, now, &user, &no))
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(see_other(&format!("/orders/{}", o.no)))
}

/// 导出证据 from the order page (a plain link: the session cookie is enough
/// for a download that changes nothing but the log of exports).
pub async fn evidence_zip<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let zip = crate::app::evidence::export(&app, user, no.clone()).await.map_err(|e| page.error(e))?;
    Ok(crate::evidence::zip_response(&no, zip))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/static/order.js", routing::get(super::order_view::script))
        .route("/orders/{no}", routing::get(show::<S>))
        .route("/orders/{no}/evidence.zip", routing::get(evidence_zip::<S>))
        .route("/orders/{no}/reveal", routing::post(reveal::<S>))
        .route("/orders/{no}/keys", routing::get(keys::<S>))
        .route("/orders/{no}/confirm", routing::post(confirm::<S>))
        .route("/orders/{no}/cancel", routing::post(cancel::<S>))
}
