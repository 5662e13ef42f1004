//! A value shown once after a post/redirect/get: a new API token, an
//! invitation link. The POST puts it in a short-lived cookie scoped to the page
//! it is shown on; that page's GET reads it and clears it in the same answer,
//! so a reload (or the back button) never shows it again and never re-creates
//! it. HttpOnly and SameSite=Strict: no script and no other site reads it;
//! nothing about it is stored on the server.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use crate::auth::cookie;

/// Long enough for a slow phone to follow the redirect, short enough that a
/// value never followed is soon gone.
const MAX_AGE_SECS: i64 = 120;

/// Only what our own tokens are made of travels: anything else is dropped.
fn plain(value: &str) -> bool {
    !value.is_empty() && value.len() <= 200 && value.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

fn header_of(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"))
        .ok()
}

/// Adds the one-time `name=value` for the page at `path` to `resp` (a redirect there).
pub fn put(mut resp: Response, name: &str, value: &str, path: &str, secure: bool) -> Response {
    if plain(value)
        && let Some(v) = header_of(name, value, path, MAX_AGE_SECS, secure)
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The one-time value `name` sent with this request, if any.
pub fn peek(headers: &HeaderMap, name: &str) -> Option<String> {
    cookie(headers, name).filter(|v| plain(v)).map(str::to_owned)
}

/// Clears `name` on the browser with `resp`, the page that showed it.
pub fn clear(mut resp: Response, name: &str, path: &str, secure: bool) -> Response {
    if let Some(v) = header_of(name, "", path, 0, secure) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
