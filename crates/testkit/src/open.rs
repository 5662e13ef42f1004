//! The open API from a reseller's side: keys created over the JSON API,
//! requests signed with `youying_dock::Signer` at the fake clock's time, and
//! a small callback receiver that records what it is sent and can be taken
//! "down" (it then answers 503) to test retries.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus, Uri};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use youying_core::Clock as _;
use youying_core::ports::Store;
use youying_dock::Signer;

use crate::{TestApp, TestUser};

/// A key as its owner got it: the only time the secret is seen.
#[derive(Debug, Clone)]
pub struct TestKey {
    pub id: i64,
    pub signer: Signer,
}

impl TestKey {
    pub fn key_id(&self) -> &str {
        self.signer.key_id()
    }
}

impl<S: Store> TestApp<S> {
    /// Creates an API key for `user` over the JSON API.
    pub async fn api_key(&self, user: &TestUser, name: &str) -> TestKey {
        let (s, body) = self.post("/api/v1/api-keys", Some(&user.token), json!({ "name": name })).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let secret = body["secret"].as_str().unwrap().to_owned();
        TestKey { id: body["id"].as_i64().unwrap(), signer: Signer::new(body["key_id"].as_str().unwrap(), secret) }
    }

    /// Sends raw `body` to the open API, signed by `signer` at the fake clock's
    /// time plus `skew_secs`; returns status, parsed body and the headers.
    pub async fn open_raw(
        &self,
        signer: &Signer,
        method: Method,
        path: &str,
        body: Vec<u8>,
        skew_secs: i64,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let ts = self.clock.now().secs() + skew_secs;
        let signed = signer.sign(method.as_str(), path, ts, &body);
        let mut req = self.client.request(method, self.url(path)).header("content-type", "application/json");
        for (k, v) in signed.headers() {
            req = req.header(k, v);
        }
        let resp = req.body(body).send().await.expect("request");
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), headers)
    }

    /// A signed GET.
    pub async fn open_get(&self, key: &TestKey, path: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.open_raw(&key.signer, Method::GET, path, Vec::new(), 0).await;
        (s, v)
    }

    /// A signed POST of JSON.
    pub async fn open_post(&self, key: &TestKey, path: &str, body: &Value) -> (StatusCode, Value) {
        let (s, v, _) = self.open_raw(&key.signer, Method::POST, path, body.to_string().into_bytes(), 0).await;
        (s, v)
    }

    /// Runs the outbound sender once, at the fake clock's time.
    pub async fn outbound_step(&self) -> youying_server::outbound::OutboundOutcome {
        youying_server::outbound::run_due(&self.app, self.clock.now()).await.unwrap()
    }

    /// Sets a rule as an admin would (`allow_private_addresses` …).
    pub async fn set_rule(&self, admin: &TestUser, name: &str, value: i64) {
        let (s, body) = self.put("/api/v1/admin/rules", Some(&admin.token), json!({ name: value })).await;
        assert!(s.is_success(), "{body}");
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }
}

#[derive(Debug)]
struct Shared {
    hits: Mutex<Vec<Hit>>,
    down: AtomicBool,
    /// How many requests were recorded, for waiting without polling.
    count: tokio::sync::watch::Sender<usize>,
}

/// A callback receiver on 127.0.0.1, port 0.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

async fn receive(State(s): State<Arc<Shared>>, uri: Uri, headers: HeaderMap, body: Bytes) -> AxStatus {
    if s.down.load(Ordering::SeqCst) {
        return AxStatus::SERVICE_UNAVAILABLE;
    }
    let path_and_query = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let n = {
        let mut hits = s.hits.lock().unwrap();
        hits.push(Hit { path_and_query, headers, body: body.to_vec() });
        hits.len()
    };
    s.count.send_replace(n);
    AxStatus::OK
}

impl Receiver {
    pub async fn start() -> Self {
        let shared = Arc::new(Shared {
            hits: Mutex::default(),
            down: AtomicBool::new(false),
            count: tokio::sync::watch::Sender::new(0),
        });
        let app = axum::Router::new().fallback(receive).with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// While down, every request is answered 503 and not recorded.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    /// Waits (no polling) until `n` requests were recorded; false after `secs`.
    pub async fn wait_for(&self, n: usize, secs: u64) -> bool {
        let mut rx = self.shared.count.subscribe();
        tokio::time::timeout(std::time::Duration::from_secs(secs), rx.wait_for(|c| *c >= n))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }
}
