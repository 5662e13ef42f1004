//! Black-box test support. A [`TestApp`] is the real server bound to port 0 on
//! a fresh database (SQLite file or PostgreSQL database), driven over HTTP,
//! with a fake clock the test moves and a deadline step it calls explicitly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

pub mod chat;
pub mod fakepay;
pub mod fakepush;
pub mod fakesupplier;
pub mod fakeupstream;
pub mod faults;
pub mod images;
pub mod market;
pub mod open;
pub mod pay;
pub mod quiz;
pub mod site;
pub mod smtp;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::watch;
use youying_core::deadline::Outcome;
use youying_core::ports::Store;
use youying_core::{Clock, FakeClock, Timestamp};
use youying_server::config::Config;
use youying_server::state::App;
pub use youying_store::testing::TestDb;
use youying_store::{PgStore, SqliteStore};

/// 2026-11-25 00:00 UTC: tests start from a fixed, readable instant.
pub const T0: Timestamp = Timestamp::from_millis(1_795_564_800_000);

pub const PASSWORD: &str = "correct1horse";

/// The default minimum deposit (¥1000) every listing shop holds.
pub const DEPOSIT_MIN_FEN: i64 = 100_000;

/// The card-key master key tests run with.
pub const TEST_KEY: [u8; 32] = [0x42; 32];

pub struct TestApp<S: Store> {
    pub app: App<S>,
    pub clock: FakeClock,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    stop: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl<S: Store> std::fmt::Debug for TestApp<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp").field("addr", &self.addr).finish()
    }
}

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub token: String,
}

fn config() -> Config {
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: std::env::temp_dir(),
        database_url: None,
        demo: false,
        secure_cookies: true,
        pg_pool: 8,
        public_url: None,
        master_key: None,
        metrics_token: None,
    }
}

impl TestApp<SqliteStore> {
    pub async fn sqlite(db: &TestDb) -> Self {
        Self::start(db.open_sqlite().expect("open sqlite"), FakeClock::at(T0), false).await
    }
}

impl TestApp<PgStore> {
    pub async fn postgres(db: &TestDb) -> Self {
        Self::start(db.open_postgres(8).await.expect("open postgres"), FakeClock::at(T0), false).await
    }
}

impl<S: Store> TestApp<S> {
    /// Starts the server on port 0. With `scheduler` the real deadline loop runs
    /// (driven by the fake clock); otherwise the test steps it with [`Self::advance`].
    pub async fn start(store: S, clock: FakeClock, scheduler: bool) -> Self {
        let vault = youying_server::vault::Vault::from_key(TEST_KEY);
        let search = youying_search::SearchIndex::in_memory().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Upstreams call back (货源对接) to the address the server knows as its own.
        let config = Config { public_url: Some(format!("http://{addr}")), ..config() };
        let app = App::new(store, Arc::new(clock.clone()), config, vault, search);
        let (stop, shutdown) = watch::channel(false);
        let server = tokio::spawn(youying_server::serve(listener, app.clone(), shutdown, scheduler));
        youying_server::state::tls_ready();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { app, clock, addr, client, stop, server: Some(server) }
    }

    /// Stops the server and waits until it has let go of the socket.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends JSON (or nothing) with an optional bearer token; returns status and parsed body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    /// Switches a shop's help bot on or off (its owner's call): with it off,
    /// every buyer message awaits a person, as the 2-minute rule's tests need.
    pub async fn set_bot(&self, owner: &TestUser, shop: i64, enabled: bool) {
        let (s, body) =
            self.put(&format!("/api/v1/shops/{shop}/bot"), Some(&owner.token), json!({ "enabled": enabled })).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    }

    pub async fn register(&self, username: &str, password: &str) -> (StatusCode, Value) {
        self.post("/api/v1/auth/register", None, json!({ "username": username, "password": password })).await
    }

    pub async fn login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        self.post("/api/v1/auth/login", None, json!({ "username": username, "password": password })).await
    }

    /// Registers and signs in a buyer.
    pub async fn buyer(&self, username: &str) -> TestUser {
        let (s, body) = self.register(username, PASSWORD).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        self.signed_in(username, PASSWORD).await
    }

    pub async fn signed_in(&self, username: &str, password: &str) -> TestUser {
        let (s, body) = self.login(username, password).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        TestUser {
            id: body["user"]["id"].as_i64().unwrap(),
            username: username.to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    /// A platform account, created the way the CLI does.
    pub async fn staff(&self, username: &str, role: &str) -> TestUser {
        youying_server::cli::admin_create(&self.app, username, role, PASSWORD).await.unwrap();
        self.signed_in(username, PASSWORD).await
    }

    /// A buyer who opened a shop and holds the minimum deposit (¥1000, credited
    /// to the owner and topped up through the API); returns the owner and the shop id.
    pub async fn merchant(&self, username: &str, shop: &str) -> (TestUser, i64) {
        let (owner, id) = self.merchant_without_deposit(username, shop).await;
        self.top_up_deposit(&owner, id, DEPOSIT_MIN_FEN).await;
        (owner, id)
    }

    /// A buyer who opened a shop but holds no deposit: its listings stay hidden.
    pub async fn merchant_without_deposit(&self, username: &str, shop: &str) -> (TestUser, i64) {
        let owner = self.buyer(username).await;
        let (s, body) = self.post("/api/v1/shops", Some(&owner.token), json!({ "name": shop })).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        (owner, body["id"].as_i64().unwrap())
    }

    /// This app configured to mail through `smtp_url` (a [`smtp::SmtpSink`]'s),
    /// with links pointing at this server.
    pub fn with_mail(&self, smtp_url: &str) -> App<S> {
        let mut config = (*self.app.config).clone();
        config.public_url = Some(self.url(""));
        let mail =
            youying_server::config::MailConfig::new(smtp_url, youying_server::config::DEFAULT_MAIL_FROM).unwrap();
        let mut app = self.app.clone().with_mail(Some(mail));
        app.config = Arc::new(config);
        app
    }

    /// One step of the mail loop through `smtp_url`, by a mailer made afresh
    /// each time: all its state is in the database, as after a restart.
    pub async fn mail_step(&self, smtp_url: &str) -> youying_server::mailer::MailOutcome {
        let app = self.with_mail(smtp_url);
        let mail = app.mail.as_deref().unwrap();
        let mailer = youying_server::mailer::Mailer::new(mail, &app.config).unwrap();
        mailer.run_once(&app).await.unwrap()
    }

    /// One step of the push sender with every service at `base` (a
    /// [`fakepush::FakePush`]'s), links pointing at this server.
    pub async fn push_step(&self, base: &str) -> youying_server::push::PushOutcome {
        let mut config = (*self.app.config).clone();
        config.public_url = Some(self.url(""));
        let mut app = self.app.clone().with_push_apis(youying_server::config::PushApis::all_at(base));
        app.config = Arc::new(config);
        youying_server::push::run_due(&app, self.clock.now()).await.unwrap()
    }

    /// Credits the owner `fen` and moves it into the shop's deposit.
    pub async fn top_up_deposit(&self, owner: &TestUser, shop: i64, fen: i64) -> Value {
        self.credit(owner, fen).await;
        let (s, body) =
            self.post(&format!("/api/v1/shops/{shop}/deposit"), Some(&owner.token), json!({ "amount_fen": fen })).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        body
    }

    /// Moves the fake clock and fires whatever fell due, as the scheduler would.
    pub async fn advance(&self, secs: i64) -> Outcome {
        self.clock.advance_secs(secs);
        youying_server::scheduler::run_due(&self.app).await.unwrap()
    }

    /// Event kinds recorded about `subject`, oldest first.
    pub async fn events_about(&self, subject: &str) -> Vec<String> {
        let subject = subject.to_owned();
        self.app
            .store
            .read(move |tx| {
                Ok(tx
                    .events_after(0, 1_000_000)?
                    .into_iter()
                    .filter(|e| e.subject == subject)
                    .map(|e| e.kind)
                    .collect())
            })
            .await
            .unwrap()
    }

    /// The end-of-test audit: the evidence chain verifies from the first event,
    /// every ledger entry balances, every stored balance equals the sum of its
    /// postings, no wallet is negative, escrow holds exactly what open orders
    /// say, every sold unit belongs to exactly one order, and the pending-
    /// withdrawals account holds exactly what requested withdrawals say.
    pub async fn audit(&self) {
        let v = self.app.store.read(youying_server::api::verify_chain).await.unwrap();
        assert!(v.ok, "evidence chain broken at {:?}: {:?}", v.broken_seq, v.reason);
        let a = self.app.store.read(|tx| tx.ledger_audit()).await.unwrap();
        assert!(youying_server::api::wallet::audit_view(a.clone()).ok, "ledger audit failed: {a:?}");
    }

    /// Credits a buyer's wallet the way an admin does (through the core use case).
    pub async fn credit(&self, user: &TestUser, fen: i64) {
        let (id, now) = (youying_core::values::UserId(user.id), self.clock.now());
        self.app
            .store
            .write(move |tx| {
                let target = tx.user_by_id(id)?.unwrap();
                let mut admin = target.clone();
                admin.role = youying_core::values::Role::Admin;
                youying_core::orders::credit_wallet(
                    tx,
                    now,
                    &admin,
                    &target,
                    youying_core::money::Fen::new(fen)?,
                    "test credit",
                )
            })
            .await
            .unwrap();
    }

    pub async fn balance(&self, user: &TestUser) -> i64 {
        let (s, w) = self.get("/api/v1/wallet", Some(&user.token)).await;
        assert_eq!(s, StatusCode::OK, "{w}");
        w["balance_fen"].as_i64().unwrap()
    }

    /// Creates a listing in `shop`; `extra` adds or overrides fields.
    pub async fn product(&self, owner: &TestUser, shop: i64, extra: Value) -> i64 {
        let mut body = json!({ "shop_id": shop, "category": "game_card", "kind": "card_key", "title": "腾讯Q币点卡 100元", "price_fen": 9_800 });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let (s, p) = self.post("/api/v1/products", Some(&owner.token), body).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        p["id"].as_i64().unwrap()
    }

    /// Posts a stock file; returns status and the report.
    pub async fn import(
        &self,
        owner: &TestUser,
        product: i64,
        text: &str,
        skip_duplicates: bool,
    ) -> (StatusCode, Value) {
        let url = self.url(&format!("/api/v1/products/{product}/stock?skip_duplicates={skip_duplicates}"));
        let resp = self
            .client
            .post(url)
            .bearer_auth(&owner.token)
            .header("content-type", "text/plain")
            .body(text.to_owned())
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Checks out; returns status and body.
    pub async fn buy(&self, buyer: &TestUser, product: i64, quantity: i64, key: Option<&str>) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(self.url("/api/v1/orders"))
            .bearer_auth(&buyer.token)
            .json(&json!({ "product_id": product, "quantity": quantity }));
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// `n` signed-in buyers created straight in the store (no password hashing),
    /// for tests that need a crowd.
    pub async fn crowd(&self, prefix: &str, n: usize) -> Vec<TestUser> {
        let now = self.clock.now();
        let prefix = prefix.to_owned();
        self.app
            .store
            .write(move |tx| {
                let mut out = Vec::new();
                for i in 0..n {
                    let name = youying_core::values::Username::parse(&format!("{prefix}{i}"))?;
                    let user = youying_core::accounts::register(
                        tx,
                        now,
                        &name,
                        "x".into(),
                        youying_core::values::Role::Buyer,
                        None,
                        None,
                    )?;
                    let token = format!("yys_crowd_{prefix}_{i}");
                    tx.insert_session(
                        &youying_server::security::token_hash(&token),
                        user.id,
                        "csrf",
                        now,
                        now.plus_secs(86_400),
                    )?;
                    out.push(TestUser { id: user.id.0, username: user.username, token });
                }
                Ok(out)
            })
            .await
            .unwrap()
    }
}

impl<S: Store> Drop for TestApp<S> {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Expands an async test body once per backend, with `$app` a fresh [`TestApp`]:
/// `mod name { fn sqlite(), fn postgres() }`. The PostgreSQL half skips when no
/// server answers, and fails instead under `CI=true`.
#[macro_export]
macro_rules! http_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::sqlite();
                let $app = $crate::TestApp::sqlite(&db).await;
                $body
                $app.audit().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = tokio::task::spawn_blocking($crate::TestDb::postgres).await.expect("db task") else { return };
                let $app = $crate::TestApp::postgres(&db).await;
                $body
                $app.audit().await;
            }
        }
    };
}
