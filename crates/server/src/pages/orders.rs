//! The buyer centre's orders: the list, one order with its keys behind a logged
//! reveal, confirmation of receipt, the refund of an overdue top-up, and the
//! snapshot. Shop staff see their shop's orders here too, never the keys.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use serde_json::Value;
use youying_core::cases::Case;
use youying_core::orders::{self, Order, OrderState};
use youying_core::ports::Store;
use youying_core::reviews::Review;
use youying_core::rules::{self, Rule, Rules};
use youying_core::snapshot::Snapshot;
use youying_core::values::Role;

use super::labels::Contact;
use super::labels::kind_label;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::session::CsrfForm;
use crate::catalog::render_markdown;
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::state::App;
use crate::vault::OpenUnit;

fn snapshot_of(o: &Order) -> Option<Snapshot> {
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
#[template(path = "orders.html")]
struct ListPage<'a> {
    page: &'a Layout,
    orders: Vec<OrderRow>,
}

pub async fn list<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let id = page.require_viewer()?.user.id;
    let list = app.store.read(move |tx| tx.orders_of_buyer(id, 200)).await.map_err(|e| page.error(e.into()))?;
    let t = ListPage { page: &page.layout, orders: list.iter().map(OrderRow::of).collect() };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage<'a> {
    page: &'a Layout,
    o: OrderRow,
    kind: &'static str,
    product_id: i64,
    shop_id: i64,
    shop_name: String,
    unit_price: String,
    escrow: String,
    protect_until: Option<String>,
    promise_due: Option<String>,
    fulfil_note: Option<String>,
    topup: Vec<(String, String)>,
    can_reveal: bool,
    can_confirm: bool,
    can_cancel: bool,
    can_fulfil: bool,
    /// The buyer and platform staff may export the evidence bundle.
    can_export: bool,
    /// The delivered units, only on the page a reveal returns.
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

fn order_page<S: Store>(
    app: &App<S>,
    page: &Page,
    o: &Order,
    units: Option<Vec<OpenUnit>>,
    extra: &(Vec<Case>, Option<Review>, Rules),
) -> Response {
    let (cases, review, rules) = (&extra.0, &extra.1, &extra.2);
    let viewer = page.viewer.as_ref().map(|v| &v.user);
    let is_buyer = viewer.is_some_and(|u| u.id == o.buyer_id);
    let shop_name = snapshot_of(o).map(|s| s.shop.name).unwrap_or_default();
    let api = crate::app::orders::view(o, app.now());
    let t = OrderPage {
        page: &page.layout,
        kind: kind_label(o.kind.as_str()),
        product_id: o.product_id.0,
        shop_id: o.shop_id.0,
        shop_name,
        unit_price: o.unit_price.to_string(),
        escrow: fmt_fen(o.escrow_fen),
        protect_until: o.protect_until.map(fmt_time),
        promise_due: o.promise_due.filter(|_| o.state == OrderState::AwaitingFulfilment).map(fmt_time),
        fulfil_note: o.fulfil_note.clone(),
        topup: topup_lines(o),
        can_reveal: is_buyer && o.kind.has_stock(),
        can_confirm: is_buyer && matches!(o.state, OrderState::Delivered | OrderState::Fulfilled),
        can_cancel: is_buyer && api.cancellable,
        can_fulfil: !is_buyer
            && o.state == OrderState::AwaitingFulfilment
            && viewer.is_some_and(|u| u.role != Role::PlatformAgent),
        can_export: is_buyer || viewer.is_some_and(|u| u.role.is_platform()),
        units,
        can_open_case: is_buyer
            && matches!(o.state, OrderState::Delivered | OrderState::Fulfilled | OrderState::Completed)
            && o.protect_until.is_some_and(|t| t > app.now())
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

/// The order's cases, its review (shown to the buyer only) and the rules in force.
async fn cases_of<S: Store>(
    app: &App<S>,
    page: &Page,
    o: &Order,
) -> Result<(Vec<Case>, Option<Review>, Rules), PageError> {
    let id = o.id;
    app.store
        .read(move |tx| Ok((tx.cases_of_order(id)?, tx.review_of_order(id)?, rules::in_force(tx)?)))
        .await
        .map_err(|e| page.error(e.into()))
}

async fn load<S: Store>(app: &App<S>, page: &Page, no: String) -> Result<Order, PageError> {
    let user = page.require_viewer()?.user.clone();
    app.store.read(move |tx| orders::load_for(tx, &user, &no)).await.map_err(|e| page.error(e.into()))
}

pub async fn show<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    let o = load(&app, &page, no).await?;
    let cases = cases_of(&app, &page, &o).await?;
    Ok(order_page(&app, &page, &o, None, &cases))
}

/// 查看卡密: the reveal is written as evidence (who, when) before the keys are shown.
pub async fn reveal<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let (o, sealed) =
        app.store.write(move |tx| orders::reveal(tx, now, &user, &no)).await.map_err(|e| page.error(e.into()))?;
    let units = sealed.iter().map(|u| app.vault.open(u)).collect::<Result<Vec<_>, _>>();
    let units = units.map_err(|e| page.error(AppError::from(e)))?;
    let cases = cases_of(&app, &page, &o).await?;
    Ok(order_page(&app, &page, &o, Some(units), &cases))
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

struct SnapRow {
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "snapshot.html")]
struct SnapshotPage<'a> {
    page: &'a Layout,
    no: String,
    title: String,
    rows: Vec<SnapRow>,
    tiers: Vec<(String, String)>,
    topup_fields: Vec<(String, String, String)>,
    account_attrs: Vec<(String, String)>,
    description_html: String,
    instructions: String,
    sha256: String,
    canonical: String,
}

/// "代理价 ¥9.50（95折）" or "代理价 ¥9.80（店铺等级价）": why a level paid less.
fn level_price_label(basis: &youying_core::levels::PriceBasis, unit_fen: i64) -> String {
    use youying_core::levels::{PriceBasis, zhe};
    match basis {
        PriceBasis::LevelDiscount { level_name, discount_bp, .. } => {
            format!("{level_name}价 {}（{}）", fmt_fen(unit_fen), zhe(*discount_bp).unwrap_or_default())
        }
        PriceBasis::LevelPrice { level_name, .. } => format!("{level_name}价 {}（店铺等级价）", fmt_fen(unit_fen)),
        other => other.label(),
    }
}

fn snapshot_rows(o: &Order, s: &Snapshot) -> Vec<SnapRow> {
    let row = |label, value| SnapRow { label, value };
    let promises: Vec<String> = s.promises.iter().map(|p| p.name.clone().unwrap_or_default()).collect();
    let mut rows = vec![
        row("订单号", o.no.clone()),
        row("商品编号", format!("{} · 第 {} 版", s.product_id, s.product_version)),
        row("店铺", format!("{}（编号 {}）", s.shop.name, s.shop.id)),
        row("分类", s.category.name.clone().unwrap_or_default()),
        row("类型", kind_label(s.kind.as_str()).to_owned()),
        row("标价", fmt_fen(s.price_fen)),
        row("承诺", if promises.is_empty() { "无".into() } else { promises.join("、") }),
    ];
    if let Some(secs) = s.topup_promise_secs {
        rows.push(row("承诺到账时间", fmt_duration(secs)));
    }
    rows.push(row("购买数量", s.paid.quantity.to_string()));
    rows.push(row("成交单价", fmt_fen(s.paid.unit_price_fen)));
    if let Some(basis) = &s.paid.basis {
        rows.push(row("价格依据", level_price_label(basis, s.paid.unit_price_fen)));
    }
    rows.push(row("实付总额", fmt_fen(s.paid.total_fen)));
    rows.push(row("快照时间", fmt_time(youying_core::Timestamp::from_millis(s.captured_at))));
    rows
}

pub async fn snapshot<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(no): Path<String>,
) -> Result<Response, PageError> {
    let o = load(&app, &page, no).await?;
    let unreadable = || youying_core::Error::from(youying_core::StorageError(format!("snapshot of order {}", o.no)));
    let s = snapshot_of(&o).ok_or_else(|| page.error(unreadable().into()))?;
    let t = SnapshotPage {
        page: &page.layout,
        no: o.no.clone(),
        title: s.title.clone(),
        rows: snapshot_rows(&o, &s),
        tiers: s.tiers.iter().map(|t| (t.min_qty.to_string(), fmt_fen(t.unit_price_fen))).collect(),
        topup_fields: s
            .topup_fields
            .iter()
            .map(|f| (f.label.clone(), f.name.clone(), f.pattern.clone().unwrap_or_default()))
            .collect(),
        account_attrs: s.account_attrs.iter().map(|a| (a.name.clone(), a.value.clone())).collect(),
        description_html: render_markdown(&s.description),
        instructions: s.instructions.clone(),
        sha256: o.snapshot_hash.clone(),
        canonical: o.snapshot.clone(),
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
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
        .route("/orders", routing::get(list::<S>))
        .route("/orders/{no}", routing::get(show::<S>))
        .route("/orders/{no}/evidence.zip", routing::get(evidence_zip::<S>))
        .route("/orders/{no}/reveal", routing::post(reveal::<S>))
        .route("/orders/{no}/confirm", routing::post(confirm::<S>))
        .route("/orders/{no}/cancel", routing::post(cancel::<S>))
        .route("/orders/{no}/snapshot", routing::get(snapshot::<S>))
}
