//! A fake upstream Youying site on a real socket, speaking the open API
//! (`/api/open/v1`, `shared/DOCKING.md`) exactly: every request's signature
//! checked with [`Signer`] within ±60 s of the clock it is given, orders
//! idempotent on `downstream_order_no`, `409 price_changed` with the current
//! price, card keys in the answer, top-ups that wait for [`FakeUpstream::fulfil`]
//! and then POST a signed callback. Cases on its orders (`POST …/cases`,
//! `GET /cases/{id}`) wait for [`FakeUpstream::case_remedy`]. Faults are
//! switches: down (503), refuse orders, take an order (or a case) but fail the
//! answer, lose callbacks, hold answers.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde_json::Value;
use tokio::sync::{Notify, watch};
use youying_core::{Clock, FakeClock};
use youying_dock::Signer;
use youying_dock::sign::{HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use youying_dock::wire::{
    AccountRef, Callback, Case, ErrorBody, Fulfilment, LevelRef, NewCase, Order, PREFIX, Ping, PlaceOrder, Product,
    ProductList, ShopRef, SiteRef, Stock, TopupField, Unit,
};

pub const KEY_ID: &str = "yk_fake_downstream";
pub const SECRET: &str = "fake-upstream-secret-0123456789";
/// The card-key product: costs the downstream ¥10.00.
pub const CARD: i64 = 101;
/// The direct top-up product: costs the downstream ¥20.00.
pub const TOPUP: i64 = 102;

#[derive(Debug, Default, Clone, Copy)]
pub struct Faults {
    /// Every request answers 503.
    pub down: bool,
    /// Orders are refused (422 insufficient_funds).
    pub refuse: bool,
    /// The order is taken, but the answer is a 500.
    pub fail_answer: bool,
    /// Callbacks are never sent.
    pub lose_callbacks: bool,
    /// Order answers wait until [`FakeUpstream::release`].
    pub hold: bool,
}

#[derive(Debug)]
struct Placed {
    req: PlaceOrder,
    order: Order,
}

#[derive(Debug)]
struct Inner {
    products: Vec<Product>,
    keys: Vec<(i64, String)>,
    orders: Vec<Placed>,
    /// Cases opened on the orders, with the request that opened each.
    cases: Vec<(NewCase, Case)>,
    faults: Faults,
}

/// What the upstream merchant does about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// A fresh key from stock, offered to the downstream.
    Reissue,
    /// A full refund; the case closes.
    Refund,
    /// The case is rejected; it closes with nothing paid.
    Reject,
}

#[derive(Clone)]
struct Fake {
    inner: Arc<Mutex<Inner>>,
    clock: FakeClock,
    signer: Signer,
    held: Arc<Notify>,
    http: reqwest::Client,
}

/// The fake upstream, serving until dropped.
pub struct FakeUpstream {
    pub addr: SocketAddr,
    fake: Fake,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for FakeUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeUpstream").field("addr", &self.addr).finish_non_exhaustive()
    }
}

fn product(id: i64, kind: &str, title: &str, unit: i64, topup: bool) -> Product {
    Product {
        id,
        shop: ShopRef { id: 1, name: "上游总店".into(), grade: "A".into() },
        kind: kind.into(),
        category: if topup { "topup" } else { "game_card" }.into(),
        title: title.into(),
        description: "上游商品".into(),
        instructions: "按说明使用".into(),
        list_price_fen: unit + 100,
        unit_price_fen: unit,
        tiers: vec![],
        max_per_order: 10,
        stock: Stock { in_stock: true, count: (!topup).then_some(5) },
        topup_fields: if topup {
            vec![TopupField { name: "qq".into(), label: "QQ号".into(), pattern: Some("^[0-9]{5,12}$".into()) }]
        } else {
            vec![]
        },
        promises: vec!["after_sales".into()],
        promise_secs: topup.then_some(1_800),
        protect_secs: 86_400,
        on_sale: true,
        updated_at: 0,
    }
}

/// An error answer of the open API.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    current: Option<i64>,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code.into(),
            message: self.code.into(),
            current_unit_price_fen: self.current,
            field: None,
            reason: (self.code == "conflict").then(|| "case_already_open".to_owned()),
        };
        (self.status, Json(body)).into_response()
    }
}

fn err(status: StatusCode, code: &'static str, current: Option<i64>) -> Refusal {
    Refusal { status, code, current }
}

impl Fake {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The open API's signature check, against the fake's own clock.
    fn verify(&self, method: &str, headers: &HeaderMap, path: &str, body: &[u8]) -> Result<(), Refusal> {
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if self.lock().faults.down {
            return Err(err(StatusCode::SERVICE_UNAVAILABLE, "down", None));
        }
        if h(HEADER_KEY) != KEY_ID {
            return Err(err(StatusCode::UNAUTHORIZED, "unauthorized", None));
        }
        self.signer
            .verify(method, path, &h(HEADER_TIMESTAMP), &h(HEADER_SIGNATURE), body, self.clock.now().secs())
            .map_err(|e| err(StatusCode::UNAUTHORIZED, e.code(), None))
    }
}

async fn read(req: Request) -> (String, HeaderMap, Vec<u8>) {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let body = axum::body::to_bytes(body, 1 << 20).await.map(|b| b.to_vec()).unwrap_or_default();
    (path, parts.headers, body)
}

async fn ping(State(f): State<Fake>, req: Request) -> Response {
    let (path, headers, body) = read(req).await;
    if let Err(r) = f.verify("GET", &headers, &path, &body) {
        return r.into_response();
    }
    Json(Ping {
        account: AccountRef { id: 7, name: "下游分销商".into() },
        level: LevelRef { id: 2, name: "金牌代理".into(), discount_bp: 1_000 },
        balance_fen: 500_000,
        site: SiteRef { name: "上游卡盟".into() },
        server_time: f.clock.now().secs(),
    })
    .into_response()
}

async fn products(State(f): State<Fake>, req: Request) -> Response {
    let (path, headers, body) = read(req).await;
    if let Err(r) = f.verify("GET", &headers, &path, &body) {
        return r.into_response();
    }
    let products = f.lock().products.clone();
    Json(ProductList { products, server_time: f.clock.now().secs() }).into_response()
}

async fn one_product(State(f): State<Fake>, Path(id): Path<i64>, req: Request) -> Response {
    let (path, headers, body) = read(req).await;
    if let Err(r) = f.verify("GET", &headers, &path, &body) {
        return r.into_response();
    }
    let found = f.lock().products.iter().find(|p| p.id == id).cloned();
    found.map_or_else(|| err(StatusCode::NOT_FOUND, "not_found", None).into_response(), |p| Json(p).into_response())
}

async fn get_order(State(f): State<Fake>, Path(dno): Path<String>, req: Request) -> Response {
    let (path, headers, body) = read(req).await;
    if let Err(r) = f.verify("GET", &headers, &path, &body) {
        return r.into_response();
    }
    let inner = f.lock();
    let open = inner.cases.iter().find(|(_, c)| c.downstream_order_no == dno && c.closed_at.is_none()).map(|c| c.1.id);
    let found = inner.orders.iter().find(|o| o.req.downstream_order_no == dno).map(|o| o.order.clone());
    drop(inner);
    found.map_or_else(
        || err(StatusCode::NOT_FOUND, "not_found", None).into_response(),
        |o| Json(Order { open_case_id: open, ..o }).into_response(),
    )
}

async fn open_case(State(f): State<Fake>, Path(dno): Path<String>, req: Request) -> Response {
    let (path, headers, body) = read(req).await;
    if let Err(r) = f.verify("POST", &headers, &path, &body) {
        return r.into_response();
    }
    let Ok(new) = serde_json::from_slice::<NewCase>(&body) else {
        return err(StatusCode::UNPROCESSABLE_ENTITY, "invalid", None).into_response();
    };
    let now = f.clock.now().millis();
    let mut inner = f.lock();
    let Some(order) = inner.orders.iter().find(|o| o.req.downstream_order_no == dno).map(|o| o.order.clone()) else {
        return err(StatusCode::NOT_FOUND, "not_found", None).into_response();
    };
    if inner.cases.iter().any(|(_, c)| c.downstream_order_no == dno && c.closed_at.is_none()) {
        return err(StatusCode::CONFLICT, "conflict", None).into_response();
    }
    let case = Case {
        id: i64::try_from(inner.cases.len()).unwrap_or(0) + 501,
        order_no: order.order_no,
        downstream_order_no: dno,
        kind: new.kind.clone(),
        state: "awaiting_merchant".into(),
        opened_at: now,
        merchant_due_at: now + 43_200_000,
        resolve_due_at: now + 86_400_000,
        outcome: None,
        refund_fen: 0,
        remedy: None,
        proposal_fen: None,
        reissued: Vec::new(),
        closed_at: None,
    };
    inner.cases.push((new, case.clone()));
    if inner.faults.fail_answer {
        return err(StatusCode::INTERNAL_SERVER_ERROR, "internal", None).into_response();
    }
    (StatusCode::CREATED, Json(case)).into_response()
}

async fn get_case(State(f): State<Fake>, Path(id): Path<i64>, req: Request) -> Response {
    let (path, headers, body) = read(req).await;
    if let Err(r) = f.verify("GET", &headers, &path, &body) {
        return r.into_response();
    }
    let found = f.lock().cases.iter().find(|(_, c)| c.id == id).map(|c| c.1.clone());
    found.map_or_else(|| err(StatusCode::NOT_FOUND, "not_found", None).into_response(), |c| Json(c).into_response())
}

/// Takes (or finds) the order; `Err` is the refusal to answer with.
fn take(f: &Fake, req: PlaceOrder) -> Result<Order, Refusal> {
    let mut inner = f.lock();
    if let Some(p) = inner.orders.iter().find(|o| o.req.downstream_order_no == req.downstream_order_no) {
        return if p.req == req {
            Ok(p.order.clone())
        } else {
            Err(err(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_mismatch", None))
        };
    }
    if inner.faults.refuse {
        return Err(err(StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds", None));
    }
    let Some(p) = inner.products.iter().find(|p| p.id == req.product_id).cloned() else {
        return Err(err(StatusCode::NOT_FOUND, "not_found", None));
    };
    if p.unit_price_fen > req.max_unit_price_fen {
        return Err(err(StatusCode::CONFLICT, "price_changed", Some(p.unit_price_fen)));
    }
    let topup = p.kind == "direct_topup";
    let mut units = Vec::new();
    if !topup {
        let mine: Vec<usize> = inner.keys.iter().enumerate().filter(|(_, k)| k.0 == p.id).map(|(i, _)| i).collect();
        if !p.stock.in_stock || i64::try_from(mine.len()).unwrap_or(0) < req.quantity {
            return Err(err(StatusCode::CONFLICT, "out_of_stock", None));
        }
        for i in mine.into_iter().take(usize::try_from(req.quantity).unwrap_or(0)).rev() {
            units.push(Unit { code: inner.keys.remove(i).1, secret: None });
        }
        units.reverse();
    }
    let n = inner.orders.len() + 1;
    let order = Order {
        order_no: format!("UP{n:06}"),
        downstream_order_no: req.downstream_order_no.clone(),
        product_id: p.id,
        kind: p.kind.clone(),
        quantity: req.quantity,
        unit_price_fen: p.unit_price_fen,
        total_fen: p.unit_price_fen * req.quantity,
        state: if topup { "awaiting_fulfilment" } else { "delivered" }.into(),
        units,
        fulfilment: None,
        promise_due_at: None,
        protect_until: None,
        created_at: f.clock.now().millis(),
        snapshot_sha256: "0".repeat(64),
        open_case_id: None,
    };
    inner.orders.push(Placed { req, order: order.clone() });
    Ok(order)
}

async fn place(State(f): State<Fake>, req: Request) -> Response {
    let (path, headers, body) = read(req).await;
    if let Err(r) = f.verify("POST", &headers, &path, &body) {
        return r.into_response();
    }
    let Ok(req) = serde_json::from_slice::<PlaceOrder>(&body) else {
        return err(StatusCode::UNPROCESSABLE_ENTITY, "invalid", None).into_response();
    };
    let taken = take(&f, req);
    let faults = f.lock().faults;
    if faults.hold {
        f.held.notified().await;
    }
    match taken {
        Ok(_) if faults.fail_answer => err(StatusCode::INTERNAL_SERVER_ERROR, "internal", None).into_response(),
        Ok(o) => (StatusCode::CREATED, Json(o)).into_response(),
        Err(r) => r.into_response(),
    }
}

impl FakeUpstream {
    /// Starts on `127.0.0.1:0`, its clock shared with the test's.
    pub async fn start(clock: FakeClock) -> Self {
        youying_server::state::tls_ready();
        let inner = Inner {
            products: vec![
                product(CARD, "card_key", "腾讯Q币 10元（上游）", 1_000, false),
                product(TOPUP, "direct_topup", "QQ会员直充（上游）", 2_000, true),
            ],
            keys: (1..=5).map(|i| (CARD, format!("UPKEY-{i:04}"))).collect(),
            orders: Vec::new(),
            cases: Vec::new(),
            faults: Faults::default(),
        };
        let fake = Fake {
            inner: Arc::new(Mutex::new(inner)),
            clock,
            signer: Signer::new(KEY_ID, SECRET),
            held: Arc::new(Notify::new()),
            http: reqwest::Client::new(),
        };
        let app = Router::new()
            .route(&format!("{PREFIX}/ping"), routing::get(ping))
            .route(&format!("{PREFIX}/products"), routing::get(products))
            .route(&format!("{PREFIX}/products/{{id}}"), routing::get(one_product))
            .route(&format!("{PREFIX}/orders"), routing::post(place))
            .route(&format!("{PREFIX}/orders/{{dno}}"), routing::get(get_order))
            .route(&format!("{PREFIX}/orders/{{dno}}/cases"), routing::post(open_case))
            .route(&format!("{PREFIX}/cases/{{id}}"), routing::get(get_case))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await;
        });
        Self { addr, fake, stop }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes the fault switches.
    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.fake.lock().faults);
    }

    /// Lets held answers go.
    pub fn release(&self) {
        self.fake.held.notify_waiters();
    }

    /// Changes what a product costs the downstream.
    pub fn set_price(&self, id: i64, unit_price_fen: i64) {
        let mut inner = self.fake.lock();
        if let Some(p) = inner.products.iter_mut().find(|p| p.id == id) {
            p.unit_price_fen = unit_price_fen;
        }
    }

    /// Orders taken so far (each `downstream_order_no` once).
    pub fn orders_taken(&self) -> usize {
        self.fake.lock().orders.len()
    }

    /// Card keys delivered in the order placed as `downstream_order_no`.
    pub fn keys_of(&self, downstream_order_no: &str) -> Vec<String> {
        let inner = self.fake.lock();
        let o = inner.orders.iter().find(|o| o.req.downstream_order_no == downstream_order_no);
        o.map(|o| o.order.units.iter().map(|u| u.code.clone()).collect()).unwrap_or_default()
    }

    /// The upstream merchant does the top-up: the order is fulfilled and,
    /// unless callbacks are lost, a signed callback goes to its `callback_url`.
    /// Returns the callback's HTTP status, if one was sent.
    pub async fn fulfil(&self, downstream_order_no: &str, note: &str) -> Option<u16> {
        let (order, url, lose) = {
            let mut inner = self.fake.lock();
            let lose = inner.faults.lose_callbacks;
            let p = inner.orders.iter_mut().find(|o| o.req.downstream_order_no == downstream_order_no)?;
            p.order.state = "fulfilled".into();
            p.order.fulfilment = Some(Fulfilment { note: note.into(), at: self.fake.clock.now().millis() });
            (p.order.clone(), p.req.callback_url.clone(), lose)
        };
        if lose {
            return None;
        }
        let url = url?;
        let body =
            serde_json::to_vec(&Callback { event: "order.updated".into(), order: Some(order), case: None }).ok()?;
        Some(self.signed_post(&url, &body, SECRET).await)
    }

    /// The case opened on the order placed as `downstream_order_no`, and the request that opened it.
    pub fn case_of(&self, downstream_order_no: &str) -> Option<(NewCase, Case)> {
        self.fake.lock().cases.iter().rev().find(|(_, c)| c.downstream_order_no == downstream_order_no).cloned()
    }

    /// The upstream merchant acts on the open case of `downstream_order_no`
    /// and, unless callbacks are lost, calls the order's `callback_url` back.
    /// Returns the callback's HTTP status, if one was sent.
    pub async fn case_remedy(&self, downstream_order_no: &str, remedy: Remedy) -> Option<u16> {
        let now = self.fake.clock.now().millis();
        let (case, url, lose) = {
            let mut inner = self.fake.lock();
            let fresh = match remedy {
                Remedy::Reissue => {
                    let i = inner.keys.iter().position(|(p, _)| *p == CARD)?;
                    Some(Unit { code: inner.keys.remove(i).1, secret: None })
                }
                _ => None,
            };
            let lose = inner.faults.lose_callbacks;
            let p = inner.orders.iter_mut().find(|o| o.req.downstream_order_no == downstream_order_no)?;
            let (total, url) = (p.order.total_fen, p.req.callback_url.clone());
            if let Some(u) = &fresh {
                p.order.units = vec![u.clone()];
            }
            if remedy == Remedy::Refund {
                p.order.state = "refunded".into();
            }
            let (_, c) = inner
                .cases
                .iter_mut()
                .rev()
                .find(|(_, c)| c.downstream_order_no == downstream_order_no && c.closed_at.is_none())?;
            match remedy {
                Remedy::Reissue => {
                    c.state = "awaiting_buyer".into();
                    c.remedy = Some("reissue".into());
                    c.reissued = fresh.into_iter().collect();
                }
                Remedy::Refund => {
                    c.state = "resolved_refunded".into();
                    c.outcome = Some("merchant_refunded".into());
                    c.refund_fen = total;
                    c.closed_at = Some(now);
                }
                Remedy::Reject => {
                    c.state = "rejected".into();
                    c.outcome = Some("platform_rejected".into());
                    c.closed_at = Some(now);
                }
            }
            (c.clone(), url, lose)
        };
        if lose {
            return None;
        }
        let body =
            serde_json::to_vec(&Callback { event: "case.updated".into(), order: None, case: Some(case) }).ok()?;
        Some(self.signed_post(&url?, &body, SECRET).await)
    }

    /// POSTs `body` to `url` signed with `secret` (a wrong one forges).
    pub async fn signed_post(&self, url: &str, body: &[u8], secret: &str) -> u16 {
        let signed = Signer::new(KEY_ID, secret).sign("POST", url, self.fake.clock.now().secs(), body);
        let mut req = self.fake.http.post(url).header("content-type", "application/json").body(body.to_vec());
        for (k, v) in signed.headers() {
            req = req.header(k, v);
        }
        req.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
    }

    /// The callback URL the order placed as `downstream_order_no` gave, and its current state as JSON.
    pub fn order_json(&self, downstream_order_no: &str) -> Option<(Option<String>, Value)> {
        let inner = self.fake.lock();
        let p = inner.orders.iter().find(|o| o.req.downstream_order_no == downstream_order_no)?;
        Some((p.req.callback_url.clone(), serde_json::to_value(&p.order).ok()?))
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
