//! Registration, sign-in, sessions and API tokens.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::accounts;
use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::values::{Email, Role, TokenId};

use crate::accounts as flows;
use crate::app::password::{self, PasswordChange};
use crate::auth::{ApiUser, ClientIp, MaybeViewer, clear_session_cookie, session_cookie};
use crate::error::{ApiJson, ApiResult};
use crate::security::{random_token, token_hash};
use crate::state::App;

/// `Debug` leaves out the password.
#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    /// 3–32 letters, digits, `_` or CJK characters.
    pub username: String,
    /// 8–128 characters with a letter and a digit.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    /// `buyer`, `merchant_agent`, `platform_agent` or `admin`.
    pub role: String,
    /// The shop a merchant agent works for.
    pub shop_id: Option<i64>,
    /// A guest (bought without registering): may buy, read keys, chat, open
    /// cases and export evidence; `POST /api/v1/account/claim` makes it a full account.
    pub guest: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0,
            username: u.username.clone(),
            role: u.role.as_str().to_owned(),
            shop_id: u.shop_id.map(|s| s.0),
            guest: u.guest,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = Credentials,
    responses((status = 201, body = UserView), (status = 409, description = "username taken"), (status = 422, description = "weak password or bad username")))]
pub async fn register<S: Store>(
    State(app): State<App<S>>,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = flows::register(&app, &c.username, &c.password, Role::Buyer, None).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginView {
    /// Send as `Authorization: Bearer …`; the same session is also set as a cookie.
    pub token: String,
    /// For cookie-authenticated unsafe requests, send as `X-CSRF-Token`.
    pub csrf_token: String,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
    pub user: UserView,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Credentials,
    responses((status = 200, body = LoginView), (status = 401, description = "wrong username or password"), (status = 429, description = "too many failures; see Retry-After")))]
pub async fn login<S: Store>(
    State(app): State<App<S>>,
    ClientIp(ip): ClientIp,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<Response> {
    let s = flows::login(&app, &c.username, &c.password, &ip).await?;
    let max_age = s.expires_at.millis_since(app.now()) / 1000;
    let cookie = session_cookie(&s.token, max_age, app.config.secure_cookies);
    let body = LoginView {
        token: s.token,
        csrf_token: s.csrf,
        expires_at: s.expires_at.millis(),
        user: UserView::from(&s.user),
    };
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout<S: Store>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    MaybeViewer(v): MaybeViewer,
) -> ApiResult<Response> {
    if let Some(v) = &v {
        // Another site must not sign a buyer out with their own cookie.
        crate::auth::check_api_csrf(v, &Method::POST, &headers)?;
    }
    if let Some(v) = v
        && let Some(hash) = v.session_hash().map(str::to_owned)
    {
        let now = app.now();
        app.store.write(move |tx| accounts::logout(tx, now, &v.user, &hash)).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_session_cookie(app.config.secure_cookies))])
        .into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    #[serde(flatten)]
    pub user: UserView,
    pub shops: Vec<crate::app::shops::ShopView>,
    /// Where notifications are mailed (deadlines about to lapse, breaches); `null`: none.
    pub email: Option<String>,
    /// The level this account buys at (its own, or the default).
    pub level: crate::app::levels::LevelView,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = MeView), (status = 401)))]
pub async fn me<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<MeView>> {
    let id = v.user.id;
    let (shops, email) = app.store.read(move |tx| Ok((tx.shops_owned_by(id)?, tx.user_email(id)?))).await?;
    let level = crate::app::levels::of_user(&app, &v.user).await?;
    Ok(Json(MeView {
        level,
        user: UserView::from(&v.user),
        shops: shops.iter().map(crate::app::shops::ShopView::from).collect(),
        email,
    }))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct EmailBody {
    /// An address like `name@example.com`, or `null` to stop mail.
    pub email: Option<String>,
}

/// Sets or clears the caller's own notification address; nobody else's can be
/// reached. A change is recorded as evidence with the address masked.
#[utoipa::path(put, path = "/api/v1/me/email", tag = "auth", request_body = EmailBody,
    responses((status = 200, body = EmailBody), (status = 401), (status = 422, description = "not a usable address; nothing changed")))]
pub async fn put_email<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(b): ApiJson<EmailBody>,
) -> ApiResult<Json<EmailBody>> {
    let email = b.email.as_deref().map(Email::parse).transpose()?;
    let now = app.now();
    let email = app.store.write(move |tx| accounts::set_email(tx, now, &v.user, email.as_ref())).await?;
    Ok(Json(EmailBody { email }))
}

/// `Debug` leaves out the passwords.
#[derive(Deserialize, ToSchema)]
pub struct PasswordBody {
    pub current_password: String,
    /// 8–128 characters with a letter and a digit, not the username.
    pub new_password: String,
}

impl std::fmt::Debug for PasswordBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordBody(***)")
    }
}

/// 修改密码: the caller's own. A wrong current password counts against the
/// sign-in lockout; on success every other session of the account ends (the
/// one making the request stays; API tokens stay until revoked).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordBody,
    responses((status = 204), (status = 401), (status = 403, description = "a guest: claim the account instead"),
        (status = 422, description = "wrong current password (`field`: current_password) or weak new one; nothing changed"),
        (status = 429, description = "too many wrong passwords; see Retry-After")))]
pub async fn change_password<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<PasswordBody>,
) -> ApiResult<StatusCode> {
    let c = PasswordChange { current: b.current_password, repeat: b.new_password.clone(), new: b.new_password };
    password::change(&app, &v.user, v.session_hash(), &ip, &c).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewToken {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// Shown once, at creation; only its hash is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "auth", request_body = NewToken, responses((status = 201, body = TokenView)))]
pub async fn create_token<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(t): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<TokenView>)> {
    let token = random_token("yyt_")?;
    let (hash, now, user, name) = (token_hash(&token), app.now(), v.user.clone(), t.name.clone());
    let id = app.store.write(move |tx| accounts::create_api_token(tx, now, &user, &name, &hash)).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenView {
            id: id.0,
            name: t.name.trim().to_owned(),
            created_at: now.millis(),
            revoked_at: None,
            token: Some(token),
        }),
    ))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "auth", responses((status = 200, body = Vec<TokenView>)))]
pub async fn list_tokens<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Vec<TokenView>>> {
    let id = v.user.id;
    let tokens = app.store.read(move |tx| tx.api_tokens_of(id)).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| TokenView {
                id: t.id.0,
                name: t.name,
                created_at: t.created_at.millis(),
                revoked_at: t.revoked_at.map(|r| r.millis()),
                token: None,
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "auth", params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
pub async fn revoke_token<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let now = app.now();
    app.store.write(move |tx| accounts::revoke_api_token(tx, now, &v.user, TokenId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/auth/register", routing::post(register::<S>))
        .route("/api/v1/auth/login", routing::post(login::<S>))
        .route("/api/v1/auth/logout", routing::post(logout::<S>))
        .route("/api/v1/me", routing::get(me::<S>))
        .route("/api/v1/me/email", routing::put(put_email::<S>))
        .route("/api/v1/me/password", routing::post(change_password::<S>))
        .route("/api/v1/tokens", routing::get(list_tokens::<S>).post(create_token::<S>))
        .route("/api/v1/tokens/{id}", routing::delete(revoke_token::<S>))
}
