//! Who is asking: sessions from the cookie, bearer tokens (a session's or an API
//! token's), CSRF checks, and the client address for throttling.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use youying_core::Error;
use youying_core::accounts::User;
use youying_core::ports::Store;

use crate::error::AppError;
use crate::security::{constant_time_eq, token_hash};
use crate::state::App;

pub const SESSION_COOKIE: &str = "yy_session";
/// Double-submit cookie guarding the forms of visitors not yet signed in.
pub const ANON_CSRF_COOKIE: &str = "yy_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Clone)]
pub enum Via {
    /// The session cookie; unsafe requests must prove the CSRF token.
    Cookie { session_hash: String, csrf: String },
    /// `Authorization: Bearer` with a session token (from login) or an API token.
    Bearer { session_hash: Option<String> },
}

impl std::fmt::Debug for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Via::Cookie { .. } => "Cookie(***)",
            Via::Bearer { .. } => "Bearer(***)",
        })
    }
}

#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub via: Via,
}

impl Viewer {
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Cookie { csrf, .. } => Some(csrf),
            Via::Bearer { .. } => None,
        }
    }

    pub fn session_hash(&self) -> Option<&str> {
        match &self.via {
            Via::Cookie { session_hash, .. } => Some(session_hash),
            Via::Bearer { session_hash } => session_hash.as_deref(),
        }
    }

    /// A form posted with a cookie session must carry that session's token.
    pub fn check_form_csrf(&self, submitted: &str) -> Result<(), AppError> {
        match self.csrf() {
            Some(expected) if constant_time_eq(expected, submitted) => Ok(()),
            Some(_) => Err(AppError::http(StatusCode::FORBIDDEN, "csrf")),
            None => Ok(()),
        }
    }
}

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// Looks the request's credentials up once; `None` for an anonymous visitor.
async fn resolve<S: Store>(parts: &Parts, app: &App<S>) -> Result<Option<Viewer>, AppError> {
    let now = app.now();
    if let Some(token) = bearer(&parts.headers) {
        let hash = token_hash(token);
        let found = if token.starts_with("yyt_") {
            let h = hash.clone();
            app.store
                .read(move |tx| tx.api_token_user(&h))
                .await?
                .map(|user| Viewer { user, via: Via::Bearer { session_hash: None } })
        } else {
            let h = hash.clone();
            app.store
                .read(move |tx| tx.session(&h, now))
                .await?
                .map(|s| Viewer { user: s.user, via: Via::Bearer { session_hash: Some(hash) } })
        };
        // A bad bearer token is an error, not a silent fall-back to anonymous.
        return found.filter(|v| !v.user.disabled).map(Some).ok_or(AppError::Core(Error::Unauthenticated));
    }
    if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
        let hash = token_hash(token);
        let h = hash.clone();
        let session = app.store.read(move |tx| tx.session(&h, now)).await?;
        return Ok(session
            .filter(|s| !s.user.disabled)
            .map(|s| Viewer { user: s.user, via: Via::Cookie { session_hash: hash, csrf: s.csrf } }));
    }
    Ok(None)
}

/// The signed-in user, if any.
#[derive(Debug, Clone)]
pub struct MaybeViewer(pub Option<Viewer>);

impl<S: Store> FromRequestParts<App<S>> for MaybeViewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, Self::Rejection> {
        if let Some(v) = parts.extensions.get::<MaybeViewer>() {
            return Ok(v.clone());
        }
        let v = MaybeViewer(resolve(parts, app).await?);
        parts.extensions.insert(v.clone());
        Ok(v)
    }
}

/// A signed-in API caller. Cookie-authenticated unsafe requests must send the
/// session's CSRF token in `X-CSRF-Token`; bearer requests need not.
#[derive(Debug, Clone)]
pub struct ApiUser(pub Viewer);

impl<S: Store> FromRequestParts<App<S>> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, Self::Rejection> {
        let MaybeViewer(v) = MaybeViewer::from_request_parts(parts, app).await?;
        let v = v.ok_or(AppError::Core(Error::Unauthenticated))?;
        check_api_csrf(&v, &parts.method, &parts.headers)?;
        Ok(ApiUser(v))
    }
}

/// A cookie-authenticated unsafe API request must carry the session's CSRF
/// token in `X-CSRF-Token`; a bearer request has no cookie to ride on.
pub fn check_api_csrf(v: &Viewer, method: &Method, headers: &HeaderMap) -> Result<(), AppError> {
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if let (false, Some(expected)) = (safe, v.csrf()) {
        let sent = headers.get(CSRF_HEADER).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !constant_time_eq(expected, sent) {
            return Err(AppError::http(StatusCode::FORBIDDEN, "csrf"));
        }
    }
    Ok(())
}

/// The peer address, used to scope login throttling.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        Ok(ClientIp(ip))
    }
}

pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}
