//! The signed-in user's own account page: notification e-mail and API tokens.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use serde::Deserialize;
use youying_core::accounts;
use youying_core::ports::Store;
use youying_core::values::{Email, TokenId};

use super::layout::{Layout, Page, PageError, render, see_other};
use super::session::CsrfForm;
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

async fn account_page<S: Store>(app: &App<S>, page: &Page, new_token: Option<String>) -> Result<Response, PageError> {
    page_of(app, page, new_token, None, StatusCode::OK).await
}

/// The page again after a refused channel form: its values and error kept.
pub(super) async fn page_with<S: Store>(
    app: &App<S>,
    page: &Page,
    refused: Option<&super::notices::Refused>,
    status: StatusCode,
) -> Result<Response, PageError> {
    page_of(app, page, None, refused, status).await
}

async fn page_of<S: Store>(
    app: &App<S>,
    page: &Page,
    new_token: Option<String>,
    refused: Option<&super::notices::Refused>,
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
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn show<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    account_page(&app, &page, None).await
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub async fn create_token<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<TokenForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let token = random_token("yyt_").map_err(|e| page.error(e.into()))?;
    let (hash, now) = (token_hash(&token), app.now());
    app.store
        .write(move |tx| accounts::create_api_token(tx, now, &v.user, &f.name, &hash))
        .await
        .map_err(|e| page.error(e.into()))?;
    account_page(&app, &page, Some(token)).await
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
    Ok(see_other("/account"))
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
    mut page: Page,
    Form(f): Form<EmailForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let v = page.require_viewer()?.clone();
    let email = Some(f.email.trim()).filter(|e| !e.is_empty()).map(Email::parse).transpose();
    let email = email.map_err(|e| page.error(e.into()))?;
    let now = app.now();
    let saved = app
        .store
        .write(move |tx| accounts::set_email(tx, now, &v.user, email.as_ref()))
        .await
        .map_err(|e| page.error(e.into()))?;
    let said = if saved.is_some() { "account.email_saved" } else { "account.email_cleared" };
    page.layout = page.layout.clone().with_flash(i18n::t(said));
    account_page(&app, &page, None).await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/account", routing::get(show::<S>))
        .route("/account/email", routing::post(set_email::<S>))
        .route("/account/tokens", routing::post(create_token::<S>))
        .route("/account/tokens/{id}/revoke", routing::post(revoke_token::<S>))
}
