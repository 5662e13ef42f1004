//! A fake of every push service on one socket, telling them apart by path:
//! Telegram `POST /bot{token}/sendMessage`, 企业微信 `POST
//! /cgi-bin/webhook/send?key=…`, Server酱 `POST /{sendkey}.send`, and any
//! other path is a user's webhook. It records every request and can answer
//! 500 to the next N, to test retries.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use tokio::sync::watch;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// `telegram`, `wecom`, `serverchan` or `webhook`.
    pub kind: &'static str,
    pub path: String,
    pub query: String,
    pub signature: Option<String>,
    pub content_type: String,
    pub body: String,
}

impl Pushed {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A form field (Server酱), decoded.
    pub fn form(&self, name: &str) -> Option<String> {
        self.body.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| decode(v))
        })
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Debug, Default)]
struct Shared {
    received: Mutex<Vec<Pushed>>,
    fail_next: AtomicUsize,
}

#[derive(Debug)]
pub struct FakePush {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

fn kind_of(path: &str) -> &'static str {
    if path.starts_with("/bot") && path.ends_with("/sendMessage") {
        "telegram"
    } else if path == "/cgi-bin/webhook/send" {
        "wecom"
    } else if path.ends_with(".send") {
        "serverchan"
    } else {
        "webhook"
    }
}

async fn receive(shared: Arc<Shared>, uri: Uri, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    let path = uri.path().to_owned();
    let kind = kind_of(&path);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    shared.received.lock().unwrap().push(Pushed {
        kind,
        path,
        query: uri.query().unwrap_or("").to_owned(),
        signature: header("x-youying-signature"),
        content_type: header("content-type").unwrap_or_default(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let failing = shared.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing {
        return (StatusCode::INTERNAL_SERVER_ERROR, "down").into_response();
    }
    let answer = match kind {
        "telegram" => json!({ "ok": true, "result": { "message_id": 1 } }),
        "wecom" => json!({ "errcode": 0, "errmsg": "ok" }),
        "serverchan" => json!({ "code": 0, "message": "", "data": {} }),
        _ => json!({ "received": true }),
    };
    axum::Json(answer).into_response()
}

impl FakePush {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the push fake");
        let addr = listener.local_addr().expect("push fake address");
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let s = Arc::clone(&s);
            async move { receive(s, uri, headers, body).await }
        });
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
        });
        Self { addr, shared, stop }
    }

    /// The base URL to give as every service's address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers 500 to the next `n` requests.
    pub fn fail_next(&self, n: usize) {
        self.shared.fail_next.store(n, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Pushed> {
        self.shared.received.lock().unwrap().clone()
    }

    pub fn of_kind(&self, kind: &str) -> Vec<Pushed> {
        self.received().into_iter().filter(|p| p.kind == kind).collect()
    }
}

impl Drop for FakePush {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
