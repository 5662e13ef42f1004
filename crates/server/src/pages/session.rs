//! Sign-in, registration, sign-out and joining a shop by invitation.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing;
use serde::Deserialize;
use youying_core::accounts;
use youying_core::ports::Store;
use youying_core::values::Role;

use super::layout::{Layout, Page, PageError, render, see_other};
use crate::accounts as flows;
use crate::auth::{ClientIp, clear_session_cookie, session_cookie};
use crate::error::AppError;
use crate::state::App;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    page: &'a Layout,
    username: String,
    error: Option<String>,
    next: String,
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    page: &'a Layout,
    username: String,
    error: Option<String>,
    action: String,
    invite: bool,
}

#[derive(Debug, Deserialize)]
pub struct CredentialsForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(page: Page, Query(q): Query<NextQuery>) -> Response {
    let next = super::layout::safe_next(&q.next).unwrap_or("/").to_owned();
    if page.viewer.is_some() {
        return see_other(&next);
    }
    render(StatusCode::OK, &page.layout, &LoginPage { page: &page.layout, username: String::new(), error: None, next })
}

/// Re-shows a form with the error's message and status; a 429 keeps its Retry-After.
fn form_error<T: Template>(layout: &Layout, e: &AppError, t: &T) -> Response {
    e.log();
    let mut resp = render(e.status(), layout, t);
    crate::error::set_retry_after(&mut resp, e.retry_after());
    resp
}

fn signed_in(app_secure: bool, s: &flows::NewSession, now: youying_core::Timestamp, to: &str) -> Response {
    let cookie = session_cookie(&s.token, s.expires_at.millis_since(now) / 1000, app_secure);
    let mut resp = see_other(to);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn login<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    ClientIp(ip): ClientIp,
    Form(f): Form<CredentialsForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    match flows::login(&app, &f.username, &f.password, &ip).await {
        Ok(s) => {
            Ok(signed_in(app.config.secure_cookies, &s, app.now(), super::layout::safe_next(&f.next).unwrap_or("/")))
        }
        Err(e) => {
            let next = super::layout::safe_next(&f.next).unwrap_or("/").to_owned();
            let t = LoginPage { page: &page.layout, username: f.username, error: Some(e.message()), next };
            Ok(form_error(&page.layout, &e, &t))
        }
    }
}

pub async fn register_form(page: Page) -> Response {
    if page.viewer.is_some() {
        return see_other("/");
    }
    render(
        StatusCode::OK,
        &page.layout,
        &RegisterPage {
            page: &page.layout,
            username: String::new(),
            error: None,
            action: "/register".into(),
            invite: false,
        },
    )
}

pub async fn register<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    ClientIp(ip): ClientIp,
    Form(f): Form<CredentialsForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    if let Err(e) = flows::register(&app, &f.username, &f.password, Role::Buyer, None).await {
        let t = RegisterPage {
            page: &page.layout,
            username: f.username,
            error: Some(e.message()),
            action: "/register".into(),
            invite: false,
        };
        return Ok(form_error(&page.layout, &e, &t));
    }
    let s = flows::login(&app, &f.username, &f.password, &ip).await.map_err(|e| page.error(e))?;
    Ok(signed_in(app.config.secure_cookies, &s, app.now(), "/"))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default, rename = "_csrf")]
    pub csrf: String,
}

pub async fn logout<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    if let Some(v) = page.viewer.clone()
        && let Some(hash) = v.session_hash().map(str::to_owned)
    {
        let now = app.now();
        app.store.write(move |tx| accounts::logout(tx, now, &v.user, &hash)).await.map_err(|e| page.error(e.into()))?;
    }
    let mut resp = see_other("/");
    if let Ok(v) = HeaderValue::from_str(&clear_session_cookie(app.config.secure_cookies)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

pub async fn invite_form<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    check_invite(&app, &page, &token).await?;
    let action = format!("/invite/{}", urlencode(&token));
    Ok(render(
        StatusCode::OK,
        &page.layout,
        &RegisterPage { page: &page.layout, username: String::new(), error: None, action, invite: true },
    ))
}

/// An unknown, used or lapsed invitation is said so at once, before any form.
async fn check_invite<S: Store>(app: &App<S>, page: &Page, token: &str) -> Result<(), PageError> {
    let (hash, now) = (crate::security::token_hash(token), app.now());
    let invite = app.store.read(move |tx| tx.invite_by_token(&hash)).await.map_err(|e| page.error(e.into()))?;
    match invite {
        None => Err(page.error(youying_core::Error::NotFound.into())),
        Some(i) if i.state != youying_core::shops::InviteState::Pending || i.expires_at <= now => {
            Err(page.error(AppError::http(StatusCode::GONE, "invite_spent")))
        }
        Some(_) => Ok(()),
    }
}

pub async fn accept_invite<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    Form(f): Form<CredentialsForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    check_invite(&app, &page, &token).await?;
    if let Err(e) = crate::app::shops::accept(&app, &token, &f.username, &f.password).await {
        let action = format!("/invite/{}", urlencode(&token));
        let t =
            RegisterPage { page: &page.layout, username: f.username, error: Some(e.message()), action, invite: true };
        return Ok(form_error(&page.layout, &e, &t));
    }
    let s = flows::login(&app, &f.username, &f.password, &ip).await.map_err(|e| page.error(e))?;
    Ok(signed_in(app.config.secure_cookies, &s, app.now(), "/merchant"))
}

/// Tokens are `yyi_` + hex; a hostile link may carry anything else, which is dropped.
fn urlencode(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(80).collect()
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/login", routing::get(login_form).post(login::<S>))
        .route("/register", routing::get(register_form).post(register::<S>))
        .route("/logout", routing::post(logout::<S>))
        .route("/invite/{token}", routing::get(invite_form::<S>).post(accept_invite::<S>))
}
