//! A fake 易支付 gateway: what `--demo` pays through and what the tests script
//! faults on. It speaks the real protocol with real signatures (V1 MD5 or V2
//! RSA, through `youying_epay`), and it is a *gateway*: it knows nothing of
//! Youying's database or core, only the orders merchants submit to it.
//!
//! Served by [`router`], relative to wherever it is mounted (`/` in the testkit,
//! e.g. `/fake-epay` in the demo — the cashier's links are relative):
//! - `GET|POST submit.php` — checks the signed order, shows the cashier
//!   (易支付收银台) with 支付成功 / 支付失败 buttons ([`cashier`]);
//! - `POST cashier/{trade_no}/pay|fail` — pays (notify, then 303 to
//!   `return_url` with the signed parameters) or shows 支付失败;
//! - `GET api.php?act=order` (V1) and `POST api/pay/query` (V2): the order
//!   query ([`api`]).
//!
//! Tests and the CLI drive it without a browser ([`FakeEpay::pay`],
//! [`FakeEpay::signed_notify`] …) and script faults (`set_query_fault`,
//! `set_notify_copies`, `hold_notifies`, `set_notify_money`).
//!
//! State sits behind one std `Mutex`, never held across an `.await`.

mod api;
mod cashier;
pub mod keys;
mod notify;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use youying_core::{Clock, Timestamp};
use youying_epay::{Credentials, Md5Key, MerchantKey, PlatformKey};

use crate::clock::SystemClock;

pub use self::keys::{DEMO_KEY, DEMO_PID};

/// The schedule a real panel retries an unacknowledged notify on.
pub const DEFAULT_RETRY_DELAYS: [Duration; 5] = [
    Duration::from_secs(60),
    Duration::from_secs(3 * 60),
    Duration::from_secs(20 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(2 * 3600),
];

/// How long one notify delivery may take.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);

/// How the order query misbehaves, for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryFault {
    /// Answers truthfully.
    #[default]
    None,
    /// Answers `503 Service Unavailable` with an HTML body.
    Unreachable,
    /// Says "unpaid" (`status: 0`) even for a paid order.
    SaysUnpaid,
    /// Says "no such order" (`code: -1`).
    NotFound,
    /// Says paid with this amount (fen) instead of the order's.
    WrongMoney(i64),
    /// V2: a signature that does not verify. V1 answers carry no signature, so a
    /// V1 fake fails its one authentication instead: `code: -2` (KEY校验失败).
    BadSignature,
}

/// One order the fake gateway holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeOrder {
    /// The gateway's trade number, `YYYYMMDDHHMMSS` + five digits.
    pub trade_no: String,
    /// The channel's own number (V2 notifies carry it as `api_trade_no`).
    pub api_trade_no: String,
    pub out_trade_no: String,
    pub pid: String,
    /// The channel (`type`): `alipay`, `wxpay`, `qqpay`.
    pub channel: String,
    pub name: String,
    pub amount_fen: i64,
    pub notify_url: String,
    pub return_url: String,
    pub param: Option<String>,
    pub created: Timestamp,
    /// When it was paid; `None` while unpaid.
    pub paid: Option<Timestamp>,
    /// Whether a notify was acknowledged (`success` in the answer).
    pub notified: bool,
}

/// One notify delivery attempt and what the notify URL answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub out_trade_no: String,
    /// 1 for the first delivery (each concurrent copy is a first), 2… for retries.
    pub attempt: u32,
    /// The HTTP status, `None` when no answer came (refused, timed out).
    pub status: Option<u16>,
    /// The answer's body, cut to 200 characters.
    pub body: String,
    /// Why no answer came.
    pub error: Option<String>,
    /// The body contained `success`: the gateway counts it delivered.
    pub delivered: bool,
}

/// The fake gateway. Cheap to clone: clones share one state.
#[derive(Clone)]
pub struct FakeEpay {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for FakeEpay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeEpay").field("pid", &self.inner.pid).field("v2", &self.is_v2()).finish_non_exhaustive()
    }
}

struct Inner {
    pid: String,
    /// The gateway's side of the credentials: V1 the shared key; V2 the roles
    /// swap — it *signs* with the platform private key (held where a merchant
    /// holds its private key) and *verifies* with the merchant public key.
    creds: Credentials,
    /// The V1 key as text, for the query API's `key=` check.
    v1_key: Option<String>,
    http: reqwest::Client,
    state: Mutex<State>,
}

struct State {
    clock: Arc<dyn Clock>,
    orders: Vec<FakeOrder>,
    deliveries: Vec<Delivery>,
    seq: u64,
    retry_delays: Vec<Duration>,
    query_fault: QueryFault,
    notify_copies: usize,
    hold_notifies: bool,
    notify_money: Option<i64>,
}

impl FakeEpay {
    /// A V1 (MD5) gateway for merchant `pid` with merchant key `key`.
    pub fn v1(pid: &str, key: &str) -> youying_epay::Result<Self> {
        Ok(Self::new(pid, Credentials::V1 { key: Md5Key::new(key)? }, Some(key)))
    }

    /// A V2 (RSA) gateway: it verifies requests with the merchant's public key
    /// and signs notifies and answers with the platform's private key.
    pub fn v2(pid: &str, merchant_public_pem: &str, platform_private_pem: &str) -> youying_epay::Result<Self> {
        let creds = Credentials::V2 {
            merchant: MerchantKey::from_pem(platform_private_pem)?,
            platform: PlatformKey::from_pem(merchant_public_pem)?,
        };
        Ok(Self::new(pid, creds, None))
    }

    /// The V1 demo gateway ([`DEMO_PID`], [`DEMO_KEY`]).
    pub fn demo() -> Self {
        Self::new(DEMO_PID, Credentials::V1 { key: demo_key() }, Some(DEMO_KEY))
    }

    fn new(pid: &str, creds: Credentials, v1_key: Option<&str>) -> Self {
        // No proxy: the fake calls back the merchant it serves, usually on this host.
        // (Each request sets the timeout again, in case the builder fell back to the default.)
        let http = reqwest::Client::builder().timeout(NOTIFY_TIMEOUT).no_proxy().build().unwrap_or_default();
        let state = State {
            clock: Arc::new(SystemClock),
            orders: Vec::new(),
            deliveries: Vec::new(),
            seq: 0,
            retry_delays: DEFAULT_RETRY_DELAYS.to_vec(),
            query_fault: QueryFault::None,
            notify_copies: 1,
            hold_notifies: false,
            notify_money: None,
        };
        Self {
            inner: Arc::new(Inner {
                pid: pid.to_owned(),
                creds,
                v1_key: v1_key.map(str::to_owned),
                http,
                state: Mutex::new(state),
            }),
        }
    }

    /// Reads times (addtime, endtime, V2 timestamps) from `clock` instead of the system's.
    #[must_use]
    pub fn with_clock(self, clock: impl Clock) -> Self {
        self.set_clock(clock);
        self
    }

    /// Like [`FakeEpay::with_clock`], on a running fake (e.g. a test's fake
    /// clock, so V2 `timestamp`s agree with the merchant's idea of now).
    pub fn set_clock(&self, clock: impl Clock) {
        self.state().clock = Arc::new(clock);
    }

    pub fn pid(&self) -> &str {
        &self.inner.pid
    }

    pub fn is_v2(&self) -> bool {
        matches!(self.inner.creds, Credentials::V2 { .. })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave this state half-changed in a way that matters to a fake.
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn now(&self) -> Timestamp {
        self.state().clock.now()
    }

    /// The delays between notify retries; empty: never retry.
    pub fn set_retry_delays(&self, delays: Vec<Duration>) {
        self.state().retry_delays = delays;
    }

    pub fn set_query_fault(&self, fault: QueryFault) {
        self.state().query_fault = fault;
    }

    /// Each payment delivers `n` identical notifies at once (at least one).
    pub fn set_notify_copies(&self, n: usize) {
        self.state().notify_copies = n.max(1);
    }

    /// While on, paying marks the order paid and sends no notify.
    pub fn hold_notifies(&self, hold: bool) {
        self.state().hold_notifies = hold;
    }

    /// Notifies (and the return URL) claim this amount, correctly signed.
    pub fn set_notify_money(&self, fen: Option<i64>) {
        self.state().notify_money = fen;
    }

    pub fn orders(&self) -> Vec<FakeOrder> {
        self.state().orders.clone()
    }

    pub fn order(&self, out_trade_no: &str) -> Option<FakeOrder> {
        self.state().orders.iter().find(|o| o.out_trade_no == out_trade_no).cloned()
    }

    fn order_by_trade_no(&self, trade_no: &str) -> Option<FakeOrder> {
        self.state().orders.iter().find(|o| o.trade_no == trade_no).cloned()
    }

    /// Every notify delivery attempt so far, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state().deliveries.clone()
    }

    /// Marks the order paid without notifying; `false` for an unknown order.
    /// Paying twice keeps the first payment time.
    pub fn mark_paid(&self, out_trade_no: &str) -> bool {
        let mut state = self.state();
        let now = state.clock.now();
        match state.orders.iter_mut().find(|o| o.out_trade_no == out_trade_no) {
            Some(order) => {
                order.paid.get_or_insert(now);
                true
            }
            None => false,
        }
    }

    /// What clicking 支付成功 does: marks the order paid and, unless notifies are
    /// held, delivers the notify now (as many copies as set, concurrently),
    /// returning what the notify URL answered. If no copy is acknowledged, the
    /// retries follow in the background. Paying a paid order notifies again;
    /// an unknown order: nothing happens and nothing is returned.
    pub async fn pay(&self, out_trade_no: &str) -> Vec<Delivery> {
        if !self.mark_paid(out_trade_no) || self.state().hold_notifies {
            return Vec::new();
        }
        self.notify_now(out_trade_no).await
    }
}

fn demo_key() -> Md5Key {
    // DEMO_KEY is a non-empty constant without spaces, which is all Md5Key asks.
    Md5Key::new(DEMO_KEY).unwrap_or_else(|_| unreachable!("DEMO_KEY is a valid MD5 key"))
}

/// The fake gateway's routes, relative to where they are mounted: serve it at
/// `/` or `Router::nest("/fake-epay", router(fake))`.
pub fn router(fake: FakeEpay) -> Router {
    Router::new()
        .route("/submit.php", get(cashier::submit).post(cashier::submit))
        .route("/cashier/{trade_no}/pay", post(cashier::pay))
        .route("/cashier/{trade_no}/fail", post(cashier::fail))
        .route("/api.php", get(api::v1_query))
        .route("/api/pay/query", post(api::v2_query))
        .with_state(fake)
}

/// Serves the fake alone, at `/`, until `shutdown` resolves (the testkit's
/// `FakeGateway`, or a stand-alone fake beside a real server).
pub async fn serve(
    listener: tokio::net::TcpListener,
    fake: FakeEpay,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(fake)).with_graceful_shutdown(shutdown).await
}

/// A time as the panel writes it: Beijing time, `YYYY-MM-DD HH:MM:SS`.
fn panel_time(t: Timestamp) -> String {
    format!("{}:{:02}", crate::fmt::fmt_time(t), t.secs().rem_euclid(60))
}
