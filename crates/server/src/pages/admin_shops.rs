//! 店铺管理: the operator's shops page (search, paging; grade, deposit, state)
//! and one shop's file with links to its orders, cases and penalties, the
//! admin's deposit adjustment (add or deduct, never below zero) and freeze /
//! unfreeze, each with a required reason.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::deposit::{self, Standing};
use youying_core::ports::Store;
use youying_core::values::{Role, ShopId};

use super::admin_shared::{Event, Refused, flashed, freezes, history, pager_href};
use super::admin_users::{DirectoryQuery, DoneQuery};
use super::forms::{field, parse_yuan};
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::admin::{self, ShopFile};
use crate::error::AppError;
use crate::fmt::{fmt_fen, fmt_time};
use crate::state::App;

struct ShopRow {
    id: i64,
    name: String,
    grade: String,
    deposit: String,
    state: &'static str,
    frozen: bool,
}

fn state_label(s: &Standing) -> &'static str {
    match s.hidden_reason() {
        Some("suspended") => "已冻结（商品下架）",
        Some(_) => "保证金不足（商品不展示）",
        None => "营业中",
    }
}

fn row(id: ShopId, name: &str, s: &Standing) -> ShopRow {
    ShopRow {
        id: id.0,
        name: name.to_owned(),
        grade: s.grade.label().to_owned(),
        deposit: fmt_fen(s.deposit_fen),
        state: state_label(s),
        frozen: s.suspended,
    }
}

#[derive(Template)]
#[template(path = "admin_shops.html")]
struct ShopsPage<'a> {
    page: &'a Layout,
    q: String,
    rows: Vec<ShopRow>,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn shops<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<DirectoryQuery>,
) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    let found = admin::search_shops(&app, &v.user, &q.q(), q.page).await.map_err(|e| page.error(e))?;
    let now = app.now();
    let shops = found.rows.clone();
    let standings = app
        .store
        .read(move |tx| shops.iter().map(|s| deposit::standing(tx, now, s.id)).collect::<Result<Vec<_>, _>>())
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = ShopsPage {
        page: &page.layout,
        rows: found.rows.iter().zip(&standings).map(|(s, st)| row(s.id, &s.name, st)).collect(),
        prev: (q.page > 0).then(|| pager_href("/admin/shops", &q.q(), q.page - 1)),
        next: found.more.then(|| pager_href("/admin/shops", &q.q(), q.page + 1)),
        q: q.q(),
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

struct Line {
    href: String,
    title: String,
    state: &'static str,
    at: String,
}

#[derive(Template)]
#[template(path = "admin_shop.html")]
struct ShopPage<'a> {
    page: &'a Layout,
    shop: ShopRow,
    owner: (i64, String),
    deposit_min: String,
    orders: Vec<Line>,
    cases: Vec<Line>,
    penalties: Vec<Line>,
    history: Vec<Event>,
    is_admin: bool,
    refused: Refused,
}

fn shop_page<'a>(layout: &'a Layout, f: ShopFile, is_admin: bool, refused: Refused) -> ShopPage<'a> {
    let orders = f.orders.iter().map(|o| Line {
        href: format!("/orders/{}", o.no),
        title: format!("订单 {} · {}", o.no, fmt_fen(o.total.get())),
        state: o.state.label(),
        at: fmt_time(o.created_at),
    });
    let cases = f.cases.iter().map(|c| Line {
        href: format!("/cases/{}", c.id),
        title: format!("售后 #{}（订单 {}）", c.id, c.order_no),
        state: c.state.label(),
        at: fmt_time(c.opened_at),
    });
    let penalties = f.penalties.iter().map(|p| Line {
        href: format!("/platform/penalties#penalty-{}", p.id),
        title: format!("#{} {}", p.id, p.kind.label()),
        state: p.state.label(),
        at: fmt_time(p.started_at),
    });
    ShopPage {
        page: layout,
        shop: row(f.shop.id, &f.shop.name, &f.standing),
        owner: (f.owner.id.0, f.owner.username.clone()),
        deposit_min: fmt_fen(f.standing.deposit_min_fen),
        orders: orders.collect(),
        cases: cases.collect(),
        penalties: penalties.collect(),
        history: history(&f.history),
        is_admin,
        refused,
    }
}

async fn show_shop<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    refused: Refused,
    status: StatusCode,
) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    let f = admin::shop_file(app, &v.user, id).await.map_err(|e| page.error(e))?;
    let t = shop_page(&page.layout, f, v.user.role == Role::Admin, refused);
    Ok(render(status, &page.layout, &t))
}

pub async fn shop<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Query(d): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let flash = match d.done() {
        "frozen" => Some("店铺已冻结，全部商品已下架。"),
        "unfrozen" => Some("店铺已解冻。"),
        "adjusted" => Some("保证金已调整，店主会收到通知。"),
        _ => None,
    };
    let page = flashed(page, flash);
    show_shop(&app, &page, id, Refused::default(), StatusCode::OK).await
}

async fn answer<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    result: Result<&'static str, AppError>,
    refused: impl FnOnce(AppError) -> Refused,
) -> Result<Response, PageError> {
    match result {
        Ok(done) => Ok(see_other(&format!("/admin/shops/{id}?done={done}"))),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            show_shop(app, page, id, refused(e), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(page.error(e)),
    }
}

pub async fn freeze<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let v = page.require_viewer()?.clone();
    let Some(frozen) = freezes(&action) else {
        return Err(page.error(Error::NotFound.into()));
    };
    let reason = field(&form, "reason").to_owned();
    let r = admin::set_shop_frozen(&app, &v.user, id, frozen, &reason)
        .await
        .map(|()| if frozen { "frozen" } else { "unfrozen" });
    answer(&app, &page, id, r, |e| Refused::new("freeze", "reason", &e, &reason, "")).await
}

pub async fn adjust<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let v = page.require_viewer()?.clone();
    let (raw, reason) = (field(&form, "amount").to_owned(), field(&form, "reason").to_owned());
    let result = async {
        let fen = parse_yuan("amount", &raw)?;
        let delta = match field(&form, "direction") {
            "add" => fen,
            "deduct" => -fen,
            _ => return Err(AppError::from(Error::Invalid { field: "direction", reason: "add_or_deduct" })),
        };
        admin::adjust_deposit(&app, &v.user, id, delta, &reason).await.map(|_| "adjusted")
    }
    .await;
    answer(&app, &page, id, result, |e| Refused::new("deposit", Refused::field_of(&e), &e, &reason, &raw)).await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/admin/shops", routing::get(shops::<S>))
        .route("/admin/shops/{id}", routing::get(shop::<S>))
        .route("/admin/shops/{id}/deposit", routing::post(adjust::<S>))
        .route("/admin/shops/{id}/{action}", routing::post(freeze::<S>))
}
