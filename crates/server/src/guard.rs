//! Two rules every request passes at the edge, once for all handlers.
//!
//! **No NUL.** PostgreSQL's text cannot store U+0000 (SQLite can), so a
//! `\u0000` in a chat message, an FAQ, a token name or `%00` in a path stored
//! on one backend and failed with 500 on the other. The path, the query and
//! the bodies people and programs type into (JSON, url-encoded forms, plain
//! text, multipart text fields and text files) are looked at here and a NUL
//! is answered 400 `nul_character` (the Chinese error page outside `/api`)
//! before any handler runs, so a refused request changes nothing.
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
    // A payment gateway's notify is answered in its own words (`fail`), which
    // its handler does after checking the signature; nothing unsigned is kept.
    if req.uri().path().starts_with("/pay/notify/") {
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
        return refuse(machine);
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
    Multipart(String),
}

fn body_kind(content_type: Option<&str>) -> Option<BodyKind> {
    let ct = content_type?.trim();
    let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Some(BodyKind::Form),
        "multipart/form-data" => boundary(ct).map(BodyKind::Multipart),
        e if e.starts_with("text/") => Some(BodyKind::Text),
        e if e == "application/json" || e.ends_with("+json") => Some(BodyKind::Json),
        _ => None,
    }
}

fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_owned())
    })
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
        BodyKind::Multipart(b) => multipart_has_nul(body, b.as_bytes()),
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

/// The text parts of a multipart form: fields (no file name) and files sent
/// as `text/*` (a stock file). Pictures are binary and may hold any byte.
fn multipart_has_nul(body: &[u8], boundary: &[u8]) -> bool {
    let delimiter = [b"--".as_slice(), boundary].concat();
    split(body, &delimiter).into_iter().skip(1).any(|part| {
        let Some(end) = find(part, b"\r\n\r\n") else { return false };
        let head = String::from_utf8_lossy(&part[..end]).to_ascii_lowercase();
        let is_text = !head.contains("filename=") || head.contains("content-type: text/");
        is_text && part[end + 4..].contains(&0)
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut hay: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    while let Some(i) = find(hay, delimiter) {
        out.push(&hay[..i]);
        hay = &hay[i + delimiter.len()..];
    }
    out.push(hay);
    out
}

/// Callers that read `{code, message}`: the API, upstream sites and suppliers.
fn is_machine(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/dock/")
}

fn refuse(machine: bool) -> Response {
    answer(AppError::http(StatusCode::BAD_REQUEST, "nul_character"), machine)
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
    fn multipart_checks_fields_and_text_files_not_pictures() {
        let b = "XyZ";
        let form = |part: &str| format!("--XyZ\r\n{part}\r\n--XyZ--\r\n").into_bytes();
        assert!(multipart_has_nul(&form("Content-Disposition: form-data; name=\"text\"\r\n\r\na\0b"), b.as_bytes()));
        let picture =
            "Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\0\0";
        assert!(!multipart_has_nul(&form(picture), b.as_bytes()));
        let stock =
            "Content-Disposition: form-data; name=\"file\"; filename=\"k.txt\"\r\nContent-Type: text/plain\r\n\r\nk\0";
        assert!(multipart_has_nul(&form(stock), b.as_bytes()));
    }
}
