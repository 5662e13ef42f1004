//! A fake direct-top-up supplier speaking [`youying_dock::supplier`]'s HTTP
//! JSON protocol: the tests start it on its own port, `--demo` may mount it,
//! and scripts its faults. Orders are kept in memory; completing one POSTs the
//! signed callback to the order's `notify_url` (unless callbacks are lost).

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use youying_core::Clock;
use youying_dock::supplier::Supplier;

use crate::clock::SystemClock;

/// The demo supplier account.
pub const DEMO_APP_ID: &str = "demo-supplier";
pub const DEMO_SECRET: &str = "demo-supplier-secret";

/// How the fake answers `create`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Tops up at once: `status: success` in the answer.
    Instant,
    /// Accepts (`processing`) and waits for [`FakeSupplier::complete`].
    Processing,
    /// Refuses every order (`code` 1001, 余额不足): nothing taken.
    Refuse,
    /// Takes the order, then answers 500: the caller cannot know.
    TakeThenFail,
    /// Answers 503 to everything and takes nothing.
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeTopup {
    pub out_order_no: String,
    pub order_no: String,
    pub sku: String,
    pub quantity: i64,
    pub account: String,
    pub notify_url: String,
    /// `processing`, `success`, `failed` or `refunded`.
    pub status: String,
    /// How many `create` requests named this number (idempotency is observable).
    pub creates: u32,
}

#[derive(Clone)]
pub struct FakeSupplier {
    inner: Arc<Inner>,
}

struct Inner {
    supplier: Supplier,
    http: reqwest::Client,
    state: Mutex<FakeState>,
}

struct FakeState {
    clock: Arc<dyn Clock>,
    mode: Mode,
    lose_callbacks: bool,
    orders: Vec<FakeTopup>,
    /// Every callback attempt: (out_order_no, HTTP status or 0 when unreachable).
    callbacks: Vec<(String, u16)>,
}

impl std::fmt::Debug for FakeSupplier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSupplier").field("supplier", &self.inner.supplier).finish_non_exhaustive()
    }
}

impl FakeSupplier {
    pub fn new(app_id: &str, secret: &str) -> Self {
        crate::state::tls_ready();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .no_proxy()
            .build()
            .unwrap_or_default();
        let state = FakeState {
            clock: Arc::new(SystemClock),
            mode: Mode::Instant,
            lose_callbacks: false,
            orders: Vec::new(),
            callbacks: Vec::new(),
        };
        Self { inner: Arc::new(Inner { supplier: Supplier::new(app_id, secret), http, state: Mutex::new(state) }) }
    }

    pub fn demo() -> Self {
        Self::new(DEMO_APP_ID, DEMO_SECRET)
    }

    fn state(&self) -> MutexGuard<'_, FakeState> {
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Verifies timestamps (and stamps callbacks) with `clock`, e.g. a test's fake clock.
    pub fn set_clock(&self, clock: impl Clock) {
        self.state().clock = Arc::new(clock);
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state().mode = mode;
    }

    /// While on, completing an order sends no callback: the caller must poll.
    pub fn lose_callbacks(&self, lose: bool) {
        self.state().lose_callbacks = lose;
    }

    pub fn orders(&self) -> Vec<FakeTopup> {
        self.state().orders.clone()
    }

    pub fn order(&self, out_order_no: &str) -> Option<FakeTopup> {
        self.state().orders.iter().find(|o| o.out_order_no == out_order_no).cloned()
    }

    pub fn callbacks(&self) -> Vec<(String, u16)> {
        self.state().callbacks.clone()
    }

    fn now_secs(&self) -> i64 {
        self.state().clock.now().secs()
    }

    /// Finishes a processing order as `status` (`success`, `failed`, `refunded`)
    /// and sends the signed callback (unless lost); returns the callback's
    /// HTTP status, 0 when unreachable, `None` when no callback was sent.
    pub async fn complete(&self, out_order_no: &str, status: &str) -> Option<u16> {
        let (order, lose) = {
            let mut s = self.state();
            let lose = s.lose_callbacks;
            let order = s.orders.iter_mut().find(|o| o.out_order_no == out_order_no)?;
            order.status = status.to_owned();
            (order.clone(), lose)
        };
        if lose || order.notify_url.is_empty() {
            return None;
        }
        let mut f = Map::new();
        f.insert("out_order_no".into(), order.out_order_no.clone().into());
        f.insert("order_no".into(), order.order_no.clone().into());
        f.insert("status".into(), status.into());
        f.insert("proof".into(), format!("供货商流水 {}", order.order_no).into());
        let body = self.inner.supplier.seal(f, self.now_secs());
        let code = match self.inner.http.post(&order.notify_url).json(&body).send().await {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        };
        self.state().callbacks.push((order.out_order_no, code));
        Some(code)
    }
}

fn data(o: &FakeTopup) -> Value {
    json!({ "code": 0, "message": "ok", "data": {
        "order_no": o.order_no, "out_order_no": o.out_order_no, "status": o.status,
        "proof": if o.status == "success" { format!("供货商流水 {}", o.order_no) } else { String::new() } } })
}

fn text(body: &Value, k: &str) -> String {
    match body.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

type Answer = (axum::http::StatusCode, Json<Value>);

fn ok(v: Value) -> Answer {
    (axum::http::StatusCode::OK, Json(v))
}

async fn create(State(fake): State<FakeSupplier>, Json(body): Json<Value>) -> Answer {
    let mode = fake.state().mode;
    if mode == Mode::Down {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "code": 503, "message": "down" })));
    }
    if let Err(e) = fake.inner.supplier.verify(&body, fake.now_secs()) {
        return ok(json!({ "code": 401, "message": e.to_string() }));
    }
    if mode == Mode::Refuse {
        return ok(json!({ "code": 1001, "message": "余额不足" }));
    }
    let no = text(&body, "out_order_no");
    let quantity = body.get("quantity").and_then(Value::as_i64).unwrap_or(0);
    if no.is_empty() || quantity < 1 || text(&body, "account").is_empty() {
        return ok(json!({ "code": 422, "message": "参数不完整" }));
    }
    let order = {
        let mut s = fake.state();
        let seq = s.orders.len() + 1;
        if let Some(o) = s.orders.iter_mut().find(|o| o.out_order_no == no) {
            o.creates += 1;
            o.clone()
        } else {
            let status = if mode == Mode::Instant { "success" } else { "processing" };
            let o = FakeTopup {
                out_order_no: no,
                order_no: format!("S{seq:06}"),
                sku: text(&body, "sku"),
                quantity,
                account: text(&body, "account"),
                notify_url: text(&body, "notify_url"),
                status: status.to_owned(),
                creates: 1,
            };
            s.orders.push(o.clone());
            o
        }
    };
    if mode == Mode::TakeThenFail {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "code": 500, "message": "internal" })));
    }
    ok(data(&order))
}

async fn query(State(fake): State<FakeSupplier>, Json(body): Json<Value>) -> Answer {
    if fake.state().mode == Mode::Down {
        return (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "code": 503, "message": "down" })));
    }
    if let Err(e) = fake.inner.supplier.verify(&body, fake.now_secs()) {
        return ok(json!({ "code": 401, "message": e.to_string() }));
    }
    match fake.order(&text(&body, "out_order_no")) {
        Some(o) => ok(data(&o)),
        None => ok(json!({ "code": 404, "message": "订单不存在" })),
    }
}

/// The fake's routes, relative to where they are mounted.
pub fn router(fake: FakeSupplier) -> Router {
    Router::new().route("/order/create", post(create)).route("/order/query", post(query)).with_state(fake)
}

/// Serves the fake alone at `/` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    fake: FakeSupplier,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(fake)).with_graceful_shutdown(shutdown).await
}
