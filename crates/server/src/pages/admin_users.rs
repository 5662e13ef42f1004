//! 用户管理: the operator's users page (search by name or id, paging) and one
//! user's file (role, wallet, recent orders and cases, history) with the
//! admin's freeze / unfreeze and wallet credit, each with a required reason.
//! Platform agents read; admins act.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use serde::Deserialize;
use youying_core::Error;
use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::values::Role;

use super::admin_shared::{Event, Refused, flashed, freezes, history, pager_href, role_label};
use super::forms::{field, parse_yuan};
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::admin::{self, UserFile};
use crate::error::AppError;
use crate::fmt::{fmt_fen, fmt_time};
use crate::state::App;

#[derive(Debug, Deserialize)]
pub struct DirectoryQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    pub(super) page: usize,
}

impl DirectoryQuery {
    pub(super) fn q(&self) -> String {
        self.q.clone()
    }
}

struct UserRow {
    id: i64,
    username: String,
    role: &'static str,
    created: String,
    frozen: bool,
    guest: bool,
}

impl UserRow {
    fn of(u: &User) -> Self {
        Self {
            id: u.id.0,
            username: u.username.clone(),
            role: role_label(u.role),
            created: fmt_time(u.created_at),
            frozen: u.disabled,
            guest: u.guest,
        }
    }
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage<'a> {
    page: &'a Layout,
    q: String,
    rows: Vec<UserRow>,
    prev: Option<String>,
    next: Option<String>,
}

pub async fn users<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<DirectoryQuery>,
) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    let found = admin::search_users(&app, &v.user, &q.q, q.page).await.map_err(|e| page.error(e))?;
    let t = UsersPage {
        page: &page.layout,
        rows: found.rows.iter().map(UserRow::of).collect(),
        prev: (q.page > 0).then(|| pager_href("/admin/users", &q.q, q.page - 1)),
        next: found.more.then(|| pager_href("/admin/users", &q.q, q.page + 1)),
        q: q.q,
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

struct Line {
    href: String,
    title: String,
    state: &'static str,
    amount: String,
    at: String,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage<'a> {
    page: &'a Layout,
    user: UserRow,
    balance: String,
    shops: Vec<(i64, String)>,
    orders: Vec<Line>,
    cases: Vec<Line>,
    history: Vec<Event>,
    is_admin: bool,
    /// An admin may not freeze an admin (or themself).
    freezable: bool,
    refused: Refused,
}

fn user_page<'a>(layout: &'a Layout, f: UserFile, viewer: &User, refused: Refused) -> UserPage<'a> {
    let orders = f
        .orders
        .iter()
        .map(|o| Line {
            href: format!("/orders/{}", o.no),
            title: format!("订单 {}", o.no),
            state: o.state.label(),
            amount: fmt_fen(o.total.get()),
            at: fmt_time(o.created_at),
        })
        .collect();
    let cases = f
        .cases
        .iter()
        .map(|c| Line {
            href: format!("/cases/{}", c.id),
            title: format!("售后 #{}（订单 {}）", c.id, c.order_no),
            state: c.state.label(),
            amount: String::new(),
            at: fmt_time(c.opened_at),
        })
        .collect();
    UserPage {
        page: layout,
        freezable: f.user.role != Role::Admin && f.user.id != viewer.id,
        user: UserRow::of(&f.user),
        balance: fmt_fen(f.balance_fen),
        shops: f.shops.iter().map(|s| (s.id.0, s.name.clone())).collect(),
        orders,
        cases,
        history: history(&f.history),
        is_admin: viewer.role == Role::Admin,
        refused,
    }
}

async fn show_user<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    refused: Refused,
    status: StatusCode,
) -> Result<Response, PageError> {
    let v = page.require_viewer()?;
    let f = admin::user_file(app, &v.user, id).await.map_err(|e| page.error(e))?;
    let t = user_page(&page.layout, f, &v.user, refused);
    Ok(render(status, &page.layout, &t))
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

impl DoneQuery {
    pub(super) fn done(&self) -> &str {
        &self.done
    }
}

pub async fn user<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Query(d): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let flash = match d.done.as_str() {
        "frozen" => Some("账号已冻结，其登录已全部失效。"),
        "unfrozen" => Some("账号已解冻，可以重新登录。"),
        "credited" => Some("已入账到该用户的钱包。"),
        _ => None,
    };
    let page = flashed(page, flash);
    show_user(&app, &page, id, Refused::default(), StatusCode::OK).await
}

/// A refused action re-renders the user's page (422) with the message beside
/// the field and what was typed; anything else is an error page.
async fn answer<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    result: Result<&'static str, AppError>,
    refused: impl FnOnce(AppError) -> Refused,
) -> Result<Response, PageError> {
    match result {
        Ok(done) => Ok(see_other(&format!("/admin/users/{id}?done={done}"))),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            show_user(app, page, id, refused(e), StatusCode::UNPROCESSABLE_ENTITY).await
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
    let r = admin::set_user_frozen(&app, &v.user, id, frozen, &reason)
        .await
        .map(|_| if frozen { "frozen" } else { "unfrozen" });
    answer(&app, &page, id, r, |e| Refused::new("freeze", "reason", &e, &reason, "")).await
}

pub async fn credit<S: Store>(
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
        if fen == 0 {
            return Err(AppError::from(Error::Invalid { field: "amount_fen", reason: "positive" }));
        }
        if field(&form, "confirm").is_empty() {
            return Err(Error::Invalid { field: "confirm", reason: "unchecked" }.into());
        }
        admin::credit_user(&app, &v.user, id, fen, &reason).await.map(|_| "credited")
    }
    .await;
    answer(&app, &page, id, result, |e| Refused::new("credit", Refused::field_of(&e), &e, &reason, &raw)).await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/admin/users", routing::get(users::<S>))
        .route("/admin/users/{id}", routing::get(user::<S>))
        .route("/admin/users/{id}/credit", routing::post(credit::<S>))
        .route("/admin/users/{id}/{action}", routing::post(freeze::<S>))
}
