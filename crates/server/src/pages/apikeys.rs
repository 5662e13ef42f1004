//! 开放接口 (API 密钥) on the account: the keys, a form to create one, the
//! secret shown exactly once, revoking with a confirmation, and the recent
//! callbacks. The secret survives the post/redirect/get in a short-lived
//! HttpOnly cookie, sealed by the Vault and bound to the account; the page
//! that shows it clears the cookie, so a reload never shows it again.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing;
use serde::Deserialize;
use youying_core::payments::Sealed;
use youying_core::ports::Store;

use super::layout::{Layout, Page, PageError, render, see_other};
use super::session::CsrfForm;
use crate::app::apikeys::{self, ApiKeyView, CallbackView};
use crate::auth::cookie;
use crate::error::AppError;
use crate::fmt::fmt_time;
use crate::state::App;

const NEW_KEY_COOKIE: &str = "yy_newkey";
const PATH: &str = "/account/api-keys";

struct KeyRow {
    id: i64,
    key_id: String,
    name: String,
    created: String,
    last_used: String,
    active: bool,
}

struct CallbackRow {
    event: String,
    url: String,
    state: String,
    state_label: String,
    attempts: i64,
    last_error: String,
    created: String,
}

/// The key just created, shown once.
struct Shown {
    key_id: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct KeysPage<'a> {
    page: &'a Layout,
    keys: Vec<KeyRow>,
    callbacks: Vec<CallbackRow>,
    shown: Option<Shown>,
    name: String,
    name_error: Option<String>,
    /// A key waiting for 确认停用.
    confirm: Option<KeyRow>,
}

fn row(k: &ApiKeyView) -> KeyRow {
    let t = |ms: i64| fmt_time(youying_core::Timestamp::from_millis(ms));
    KeyRow {
        id: k.id,
        key_id: k.key_id.clone(),
        name: k.name.clone(),
        created: t(k.created_at),
        last_used: k.last_used_at.map_or_else(|| "从未".to_owned(), t),
        active: k.active,
    }
}

fn callback_row(c: &CallbackView) -> CallbackRow {
    CallbackRow {
        event: c.event.clone(),
        url: c.url.clone(),
        state: c.state.clone(),
        state_label: c.state_label.clone(),
        attempts: c.attempts,
        last_error: c.last_error.clone().unwrap_or_default(),
        created: fmt_time(youying_core::Timestamp::from_millis(c.created_at)),
    }
}

struct Extra {
    shown: Option<Shown>,
    name: String,
    name_error: Option<String>,
    confirm: Option<i64>,
}

async fn keys_page<S: Store>(app: &App<S>, page: &Page, status: StatusCode, x: Extra) -> Result<Response, PageError> {
    let v = page.require_viewer()?.clone();
    let keys = apikeys::list(app, &v.user).await.map_err(|e| page.error(e))?;
    let callbacks = apikeys::callbacks(app, &v.user, 20).await.map_err(|e| page.error(e))?;
    let confirm = match x.confirm {
        Some(id) => Some(
            keys.iter()
                .find(|k| k.id == id && k.active)
                .map(row)
                .ok_or_else(|| page.error(youying_core::Error::NotFound.into()))?,
        ),
        None => None,
    };
    let t = KeysPage {
        page: &page.layout,
        keys: keys.iter().map(row).collect(),
        callbacks: callbacks.iter().map(callback_row).collect(),
        shown: x.shown,
        name: x.name,
        name_error: x.name_error,
        confirm,
    };
    let mut resp = render(status, &page.layout, &t);
    // The secret must not be kept by any cache.
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

fn new_key_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{NEW_KEY_COOKIE}={value}; Path={PATH}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// The secret from the one-time cookie, if it was sealed for this account.
fn take_shown<S: Store>(app: &App<S>, headers: &HeaderMap, user: i64) -> Option<Shown> {
    let sealed = cookie(headers, NEW_KEY_COOKIE).filter(|v| !v.is_empty())?;
    let plain = app.vault.open_secret(&Sealed::new(sealed.to_owned())).ok()?;
    let mut parts = plain.splitn(3, '\n');
    let (owner, key_id, secret) = (parts.next()?, parts.next()?, parts.next()?);
    (owner == user.to_string()).then(|| Shown { key_id: key_id.to_owned(), secret: secret.to_owned() })
}

pub async fn show<S: Store>(State(app): State<App<S>>, page: Page, headers: HeaderMap) -> Result<Response, PageError> {
    let uid = page.require_viewer()?.user.id.0;
    let shown = take_shown(&app, &headers, uid);
    let had_cookie = cookie(&headers, NEW_KEY_COOKIE).is_some_and(|v| !v.is_empty());
    let extra = Extra { shown, name: String::new(), name_error: None, confirm: None };
    let mut resp = keys_page(&app, &page, StatusCode::OK, extra).await?;
    if had_cookie && let Ok(v) = HeaderValue::from_str(&new_key_cookie("", 0, app.config.secure_cookies)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Debug, Deserialize)]
pub struct NewKeyForm {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub async fn create<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<NewKeyForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let created = match apikeys::create(&app, v.user.clone(), &f.name).await {
        Ok(k) => k,
        Err(AppError::Core(e @ youying_core::Error::Invalid { .. })) => {
            let message = match e {
                youying_core::Error::Invalid { reason: "at_most_10_active", .. } => {
                    "最多 10 个有效密钥，请先停用不用的".to_owned()
                }
                _ => "名称为 1–40 个字符".to_owned(),
            };
            let extra = Extra { shown: None, name: f.name, name_error: Some(message), confirm: None };
            return keys_page(&app, &page, StatusCode::UNPROCESSABLE_ENTITY, extra).await;
        }
        Err(e) => return Err(page.error(e)),
    };
    let plain = format!("{}\n{}\n{}", v.user.id.0, created.key_id, created.secret);
    let sealed = app.vault.seal_secret(&plain).map_err(|e| page.error(e.into()))?;
    let mut resp = see_other(PATH);
    if let Ok(h) = HeaderValue::from_str(&new_key_cookie(sealed.as_str(), 300, app.config.secure_cookies)) {
        resp.headers_mut().append(header::SET_COOKIE, h);
    }
    Ok(resp)
}

/// 停用: asks first.
pub async fn confirm_revoke<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let extra = Extra { shown: None, name: String::new(), name_error: None, confirm: Some(id) };
    keys_page(&app, &page, StatusCode::OK, extra).await
}

pub async fn revoke<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    apikeys::revoke(&app, v.user, id).await.map_err(|e| page.error(e))?;
    Ok(see_other(PATH))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route(PATH, routing::get(show::<S>).post(create::<S>))
        .route("/account/api-keys/{id}/revoke", routing::get(confirm_revoke::<S>).post(revoke::<S>))
}
