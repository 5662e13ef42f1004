//! The signed-in user's own account page: notification e-mail, password and API tokens.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing;
use serde::Deserialize;
use youying_core::accounts;
use youying_core::ports::Store;
use youying_core::values::{Email, TokenId};

use super::flash;
use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use super::session::CsrfForm;
use crate::app::password::{self, PasswordChange};
use crate::auth::ClientIp;
use crate::error::AppError;
use crate::fmt::fmt_time;
use crate::i18n;
use crate::security::{random_token, token_hash};
use crate::state::App;

struct TokenRow {
    id: i64,
    name: String,
    created: String,
    revoked: bool,
}

/// What a refused form on this page brings back: what was typed (never a
/// password) and the message beside the field it is about.
#[derive(Default)]
struct Typed {
    /// The address as typed, when the e-mail form was refused.
    email: Option<String>,
    email_error: Option<String>,
    token_name: String,
    token_error: Option<String>,
    /// `current_password`, `new_password` or `new_password2`.
    password_field: &'static str,
    password_error: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    page: &'a Layout,
    username: String,
    role: &'static str,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    email: Option<String>,
    /// Whether this platform sends mail at all (an SMTP server is configured).
    mail_on: bool,
    /// A guest: offered 设置用户名和密码 instead of API tokens.
    guest: bool,
    /// 会员等级: the level this account buys at, with its discount ("95折").
    level: crate::app::levels::LevelView,
    /// 通知渠道: one form per push channel.
    channels: Vec<super::notices::ChannelForm>,
    typed: Typed,
}

impl AccountPage<'_> {
    /// The password error when it belongs beside `field`.
    fn password_error_for(&self, field: &str) -> Option<&str> {
        self.typed.password_error.as_deref().filter(|_| self.typed.password_field == field)
    }
}

fn role_label(r: youying_core::values::Role) -> &'static str {
    use youying_core::values::Role::*;
    match r {
        Buyer => "买家",
        MerchantAgent => "商家客服",
        PlatformAgent => "平台客服",
        Admin => "管理员",
    }
}

/// The one-time cookie carrying a new API token to `/account` (see `flash`).
const NEW_TOKEN: &str = "yy_new_token";

/// The page again after a refused channel form: its values and error kept.
pub(super) async fn page_with<S: Store>(
    app: &App<S>,
    page: &Page,
    refused: Option<&super::notices::Refused>,
    status: StatusCode,
) -> Result<Response, PageError> {
    page_of(app, page, None, refused, Typed::default(), status).await
}

async fn page_of<S: Store>(
    app: &App<S>,
    page: &Page,
    new_token: Option<String>,
    refused: Option<&super::notices::Refused>,
    typed: Typed,
    status: StatusCode,
) -> Result<Response, PageError> {
    let v = page.require_viewer()?.clone();
    let channels = super::notices::channel_forms(app, &v.user, refused).await.map_err(|e| page.error(e))?;
    let id = v.user.id;
    let (tokens, email) = app
        .store
        .read(move |tx| Ok((tx.api_tokens_of(id)?, tx.user_email(id)?)))
        .await
        .map_err(|e| page.error(e.into()))?;
    let level = crate::app::levels::of_user(app, &v.user).await.map_err(|e| page.error(e.into()))?;
    let t = AccountPage {
        level,
        page: &page.layout,
        email,
        mail_on: app.mail.is_some(),
        guest: v.user.guest,
        username: v.user.username.clone(),
        role: role_label(v.user.role),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id.0,
                name: t.name,
                created: fmt_time(t.created_at),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        new_token,
        channels,
        typed,
    };
    Ok(render(status, &page.layout, &t))
}

/// What the redirect after a saved form says (`?saved=…`).
fn saved_note(q: &[(String, String)]) -> Option<&'static str> {
    Some(match field(q, "saved") {
        "email" => i18n::t("account.email_saved"),
        "email_cleared" => i18n::t("account.email_cleared"),
        "password" => "密码已修改。其他设备上的登录已退出，请用新密码登录。",
        _ => return None,
    })
}

/// 我的账号. A token created just before arrives once in its cookie (see
/// [`create_token`]) and the answer clears it.
pub async fn show<S: Store>(
    State(app): State<App<S>>,
    mut page: Page,
    headers: HeaderMap,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    if let Some(note) = saved_note(&q) {
        page.layout = page.layout.clone().with_flash(note);
    }
    let me = page.viewer.as_ref().map(|v| format!("{}-", v.user.id.0));
    let flashed = flash::peek(&headers, NEW_TOKEN);
    // Only the account that made it sees it (another may have signed in since).
    let new_token = flashed.as_deref().zip(me.as_deref()).and_then(|(f, me)| f.strip_prefix(me)).map(str::to_owned);
    let resp = page_of(&app, &page, new_token, None, Typed::default(), StatusCode::OK).await?;
    Ok(if flashed.is_some() { flash::clear(resp, NEW_TOKEN, "/account", app.config.secure_cookies) } else { resp })
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// 创建令牌: 303 back to the account page, which shows the token once.
pub async fn create_token<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let token = random_token("yyt_").map_err(|e| page.error(e.into()))?;
    let (hash, now, name) = (token_hash(&token), app.now(), f.name.clone());
    let user = v.user.clone();
    let made = app.store.write(move |tx| accounts::create_api_token(tx, now, &user, &name, &hash)).await;
    match made.map_err(AppError::from) {
        Ok(_) => {
            let value = format!("{}-{token}", v.user.id.0);
            let secure = app.config.secure_cookies;
            Ok(flash::put(see_other("/account#tokens"), NEW_TOKEN, &value, "/account", secure))
        }
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            // The shared `name` message speaks of shop names (2–40); a token's is 1–60.
            let message = match &e {
                AppError::Core(youying_core::Error::Invalid { field: "name", .. }) => {
                    "令牌名称须为 1–60 个字符。".into()
                }
                _ => e.message(),
            };
            let typed = Typed { token_name: f.name, token_error: Some(message), ..Typed::default() };
            page_of(&app, &page, None, None, typed, e.status()).await
        }
        Err(e) => Err(page.error(e)),
    }
}

pub async fn revoke_token<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let now = app.now();
    app.store
        .write(move |tx| accounts::revoke_api_token(tx, now, &v.user, TokenId(id)))
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(see_other("/account#tokens"))
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    /// Empty clears the address.
    #[serde(default)]
    email: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// Sets or (empty) clears the viewer's notification address.
pub async fn set_email<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<EmailForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let typed = f.email.trim().to_owned();
    let email = match Some(typed.as_str()).filter(|e| !e.is_empty()).map(Email::parse).transpose() {
        Ok(e) => e,
        Err(e) => {
            let e = AppError::from(e);
            let typed = Typed { email: Some(typed), email_error: Some(e.message()), ..Typed::default() };
            return page_of(&app, &page, None, None, typed, e.status()).await;
        }
    };
    let now = app.now();
    let saved = app
        .store
        .write(move |tx| accounts::set_email(tx, now, &v.user, email.as_ref()))
        .await
        .map_err(|e| page.error(e.into()))?;
    Ok(see_other(if saved.is_some() { "/account?saved=email#email" } else { "/account?saved=email_cleared#email" }))
}

/// 修改密码: the other sessions end; this one stays signed in.
pub async fn change_password<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    ClientIp(ip): ClientIp,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&form, "_csrf"))?;
    let v = page.require_viewer()?.clone();
    let c = PasswordChange {
        current: field(&form, "current_password").to_owned(),
        new: field(&form, "new_password").to_owned(),
        repeat: field(&form, "new_password2").to_owned(),
    };
    match password::change(&app, &v.user, v.session_hash(), &ip, &c).await {
        Ok(_) => Ok(see_other("/account?saved=password")),
        Err(e) if matches!(e.status().as_u16(), 422 | 429) => {
            e.log();
            let typed =
                Typed { password_field: password::field_of(&e), password_error: Some(e.message()), ..Typed::default() };
            let mut resp = page_of(&app, &page, None, None, typed, e.status()).await?;
            crate::error::set_retry_after(&mut resp, e.retry_after());
            Ok(resp)
        }
        Err(e) => Err(page.error(e)),
    }
}

async fn back() -> Response {
    see_other("/account")
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/account", routing::get(show::<S>))
        // A GET of a form's address (a reload, a restored tab) lands on the page.
        .route("/account/email", routing::get(back).post(set_email::<S>))
        .route("/account/tokens", routing::get(back).post(create_token::<S>))
        .route("/account/tokens/{id}/revoke", routing::get(back).post(revoke_token::<S>))
        .route("/account/password", routing::get(back).post(change_password::<S>))
}
