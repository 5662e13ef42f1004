//! Two rules every request passes at the edge, once for all handlers.
//!
//! **No NUL.** PostgreSQL's text cannot store U+0000 (SQLite can), so a
//! `\u0000` in a chat message, an FAQ, a token name or `%00` in a path stored
//! on one backend and failed with 500 on the other. The path, the query and
//! the bodies people and programs type into (JSON, url-encoded forms, plain
//! text) are looked at here and a NUL is answered 400 `nul_character` (with
//! the JSON field it was in, when there is one; the Chinese error page outside
//! `/api`) before any handler runs, so a refused request changes nothing.
//! Multipart forms (a stock paste or file, a case with pictures) are left to
//! their handlers, which name the offending line or field beside it; the
//! store's data-exception arm is the backstop behind both.
//!
//! **Personal answers are not cached.** A response to a request that carries
//! credentials (a session cookie, a bearer token, a signed open-API key), that
//! sets a cookie, or that answers a non-GET (a guest's order lookup) says
//! `Cache-Control: private, no-store` unless its handler chose otherwise, so
//! keys, orders, wallets and messages never rest in a browser or proxy cache.
//! Public pages fetched without a session keep their caching.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;

/// The largest body any route accepts (a case with its pictures); a body is
/// read whole only up to this, and only when it is of a kind that is scanned.
const SCAN_LIMIT: usize = crate::app::cases::CASE_BODY_LIMIT;

/// The middleware: refuses a request that carries a NUL anywhere it reads text.
pub async fn reject_nul(req: Request, next: Next) -> Response {
    // A payment gateway's notify and an upstream's or supplier's callback are
    // answered in their protocol's words (`fail`, 401) by handlers that check
    // the signature first; nothing unsigned is kept.
    if req.uri().path().starts_with("/pay/notify/") || req.uri().path().starts_with("/dock/") {
        return next.run(req).await;
    }
    let machine = is_machine(req.uri().path());
    if uri_has_nul(req.uri().path()) || req.uri().query().is_some_and(uri_has_nul) {
        return refuse(machine);
    }
    let Some(kind) = body_kind(req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, SCAN_LIMIT).await {
        Ok(b) => b,
        Err(_) => return too_large(machine),
    };
    if body_has_nul(&kind, &bytes) {
        let field = if kind == BodyKind::Json { json_field_with_nul(&bytes) } else { None };
        return refuse_field(machine, field);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The middleware: `private, no-store` on every personal response (see above).
pub async fn no_store_when_personal(req: Request, next: Next) -> Response {
    let h = req.headers();
    let credentials = h.contains_key(header::AUTHORIZATION)
        || h.contains_key("x-youying-key")
        || crate::auth::cookie(h, crate::auth::SESSION_COOKIE).is_some();
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD);
    let mut resp = next.run(req).await;
    if credentials || unsafe_method || resp.headers().contains_key(header::SET_COOKIE) {
        resp.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("private, no-store"));
    }
    resp
}

/// The kinds of body that carry text a person or a program typed.
#[derive(Debug, PartialEq)]
enum BodyKind {
    Json,
    Form,
    Text,
}

fn body_kind(content_type: Option<&str>) -> Option<BodyKind> {
    let ct = content_type?.trim();
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Some(BodyKind::Form),
        e if e.starts_with("text/") => Some(BodyKind::Text),
        e if e == "application/json" || e.ends_with("+json") => Some(BodyKind::Json),
        _ => None,
    }
}

/// `%00` (or a raw NUL) in a percent-encoded path, query or form.
fn uri_has_nul(s: &str) -> bool {
    s.contains("%00") || s.contains('\0')
}

fn body_has_nul(kind: &BodyKind, body: &Bytes) -> bool {
    match kind {
        BodyKind::Form => body.contains(&0) || body.windows(3).any(|w| w == b"%00"),
        BodyKind::Text => body.contains(&0),
        BodyKind::Json => json_has_nul(body),
    }
}

/// A raw NUL byte, or the escape `\u0000` (the backslash itself not escaped).
/// Escapes occur only inside strings, so no full parse is needed.
fn json_has_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            0 => return true,
            b'\\' => {
                if body.get(i + 1) == Some(&b'u') && body.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

/// The key of the first string holding a NUL, for the answer's `field`.
fn json_field_with_nul(body: &[u8]) -> Option<String> {
    fn walk(v: &serde_json::Value, key: Option<&str>) -> Option<String> {
        match v {
            serde_json::Value::String(t) if t.contains('\0') => Some(key.unwrap_or_default().to_owned()),
            serde_json::Value::Array(items) => items.iter().find_map(|i| walk(i, key)),
            serde_json::Value::Object(m) => {
                m.iter().find_map(|(k, v)| if k.contains('\0') { Some(String::new()) } else { walk(v, Some(k)) })
            }
            _ => None,
        }
    }
    walk(&serde_json::from_slice(body).ok()?, None).filter(|k| !k.is_empty())
}

/// Callers that read `{code, message}`: the API, upstream sites and suppliers.
fn is_machine(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/dock/")
}

fn refuse(machine: bool) -> Response {
    refuse_field(machine, None)
}

fn refuse_field(machine: bool, field: Option<String>) -> Response {
    let e = AppError::http(StatusCode::BAD_REQUEST, "nul_character");
    match field {
        Some(f) if machine => {
            let body = serde_json::json!({ "code": e.code(), "message": e.message(), "field": f });
            (e.status(), axum::Json(body)).into_response()
        }
        _ => answer(e, machine),
    }
}

fn too_large(machine: bool) -> Response {
    answer(AppError::http(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"), machine)
}

fn answer(e: AppError, machine: bool) -> Response {
    if machine { e.into_response() } else { crate::pages::layout::PageError::bare(e).into_response() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nul_wherever_text_travels() {
        assert!(uri_has_nul("/api/v1/orders/%00") && uri_has_nul("q=a%00b") && !uri_has_nul("q=a%200"));
        assert!(json_has_nul(br#"{"text":"a\u0000b"}"#));
        assert!(!json_has_nul(br#"{"text":"a\\u0000b"}"#), "an escaped backslash, then the text u0000");
        assert!(json_has_nul(br#"{"text":"a\\\u0000b"}"#));
        assert!(json_has_nul(br#"{"text":"a\u00001"}"#), "a NUL, then the digit 1");
        assert!(body_has_nul(&BodyKind::Form, &Bytes::from_static(b"a=1&text=x%00y")));
        assert!(!body_has_nul(&BodyKind::Form, &Bytes::from_static(b"a=1&text=x%2000")));
        assert_eq!(body_kind(Some("application/json; charset=utf-8")), Some(BodyKind::Json));
        assert_eq!(body_kind(Some("image/png")), None);
    }

    #[test]
    fn the_answer_names_the_json_field() {
        assert_eq!(json_field_with_nul(br#"{"a":"x","text":"a\u0000b"}"#).as_deref(), Some("text"));
        assert_eq!(json_field_with_nul(br#"{"shots":[{"name":"\u0000"}]}"#).as_deref(), Some("name"));
        assert_eq!(json_field_with_nul(br#""\u0000""#), None);
        assert_eq!(body_kind(Some("multipart/form-data; boundary=x")), None, "left to the handlers");
    }
}
