//! Youying's side: the real server (scheduler loop off: the notify endpoint
//! runs the order query itself) and the fake 易支付 gateway (V1) on their own
//! ports, the gateway configured by an admin through the API, N top-ups
//! started through the API and paid at the fake without a notify; after the
//! storm, what was credited, read back from the store.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use youying_core::Clock;
use youying_core::accounts;
use youying_core::money::Account;
use youying_core::payments::AttemptState;
use youying_core::ports::Store;
use youying_core::values::{Role, UserId, Username};
use youying_server::clock::SystemClock;
use youying_server::fakepay::{DEMO_KEY, DEMO_PID, FakeEpay};
use youying_server::state::App;
use youying_server::vault::Vault;

use crate::BoxResult;

/// The gateway's name in Youying.
pub const GATEWAY: &str = "main";

/// One paid attempt the storm notifies about.
#[derive(Debug, Clone)]
pub struct Paid {
    pub out_trade_no: String,
    pub user_id: i64,
    pub amount_fen: i64,
    /// The notify's signed query string, as the fake builds it.
    pub query: String,
}

/// The server and the fake, running until [`Ours::stop`].
pub struct Ours<S: Store> {
    pub app: App<S>,
    pub addr: SocketAddr,
    pub fake: FakeEpay,
    pub fake_addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    fake_task: tokio::task::JoinHandle<std::io::Result<()>>,
}

fn config(dir: &std::path::Path) -> BoxResult<youying_server::config::Config> {
    Ok(youying_server::config::Config {
        bind: "127.0.0.1:0".parse()?,
        data_dir: dir.to_owned(),
        database_url: None,
        demo: false,
        secure_cookies: true,
        pg_pool: crate::POOL,
        public_url: None,
        master_key: None,
        metrics_token: None,
    })
}

impl<S: Store> Ours<S> {
    pub async fn start(store: S, dir: &std::path::Path) -> BoxResult<Self> {
        let search = youying_search::SearchIndex::in_memory()?;
        let app = App::new(store, Arc::new(SystemClock), config(dir)?, Vault::from_key([9; 32]), search);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, shutdown) = watch::channel(false);
        let server = tokio::spawn(youying_server::serve(listener, app.clone(), shutdown.clone(), false));
        youying_server::state::tls_ready();

        let fake = FakeEpay::v1(DEMO_PID, DEMO_KEY)?;
        // The fake never notifies here (orders are marked paid), so no retries either.
        fake.set_retry_delays(Vec::new());
        fake.hold_notifies(true);
        let fake_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let fake_addr = fake_listener.local_addr()?;
        let mut fake_stop = shutdown;
        let fake_task = tokio::spawn(youying_server::fakepay::serve(fake_listener, fake.clone(), async move {
            let _ = fake_stop.wait_for(|s| *s).await;
        }));
        Ok(Self { app, addr, fake, fake_addr, stop, server, fake_task })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The notify URL for a query string.
    pub fn notify_url(&self, query: &str) -> String {
        self.url(&format!("/pay/notify/{GATEWAY}?{query}"))
    }

    /// An admin and `buyers` buyers, each with a bearer session, written
    /// straight to the store (no password hashing); returns the tokens.
    pub async fn users(&self, buyers: usize) -> BoxResult<(String, Vec<(i64, String)>)> {
        let now = SystemClock.now();
        let made = self
            .app
            .store
            .write(move |tx| {
                let session = |tx: &mut dyn youying_core::ports::Tx, id: UserId, token: String| {
                    let hash = youying_server::security::token_hash(&token);
                    tx.insert_session(&hash, id, "csrf", now, now.plus_secs(86_400)).map(|()| token)
                };
                let name = Username::parse("notify_admin")?;
                let admin = accounts::register(tx, now, &name, "x".into(), Role::Admin, None, None)?;
                let admin_token = session(tx, admin.id, "yys_notify_admin".into())?;
                let mut out = Vec::new();
                for i in 0..buyers {
                    let name = Username::parse(&format!("notify_buyer_{i}"))?;
                    let user = accounts::register(tx, now, &name, "x".into(), Role::Buyer, None, None)?;
                    out.push((user.id.0, session(tx, user.id, format!("yys_notify_{i}"))?));
                }
                Ok((admin_token, out))
            })
            .await?;
        Ok(made)
    }

    /// Configures the fake as gateway [`GATEWAY`], as an admin does.
    pub async fn configure(&self, client: &reqwest::Client, admin: &str) -> BoxResult<()> {
        let body = json!({
            "kind": "epay_v1", "key": DEMO_KEY, "base_url": format!("http://{}", self.fake_addr),
            "pid": DEMO_PID, "channels": ["alipay", "wxpay"], "enabled": true,
        });
        let r = client
            .put(self.url(&format!("/api/v1/admin/gateways/{GATEWAY}")))
            .bearer_auth(admin)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        if status != reqwest::StatusCode::OK {
            return Err(format!("configuring the gateway: {status} {}", r.text().await.unwrap_or_default()).into());
        }
        Ok(())
    }

    /// `n` top-ups through the API, shared round-robin among the buyers (one
    /// task per buyer), each opened at the fake's cashier once and marked paid
    /// there without a notify; returns them with their notify query strings.
    pub async fn paid_attempts(
        &self,
        client: &reqwest::Client,
        buyers: &[(i64, String)],
        n: usize,
    ) -> BoxResult<Vec<Paid>> {
        let mut tasks = Vec::new();
        for (b, (user_id, token)) in buyers.iter().enumerate() {
            let mine: Vec<usize> = (b..n).step_by(buyers.len()).collect();
            let (client, url, token, fake, user_id) =
                (client.clone(), self.url("/api/v1/wallet/topups"), token.clone(), self.fake.clone(), *user_id);
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                for i in mine {
                    let amount_fen = amount(i);
                    let r = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "amount_fen": amount_fen, "channel": "alipay" }))
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let status = r.status();
                    let p: Value = r.json().await.map_err(|e| e.to_string())?;
                    if status != reqwest::StatusCode::CREATED {
                        return Err(format!("top-up {i}: {status} {p}"));
                    }
                    let (Some(out_trade_no), Some(pay_url)) = (p["out_trade_no"].as_str(), p["pay_url"].as_str())
                    else {
                        return Err(format!("top-up {i}: {p}"));
                    };
                    let cashier = client.get(pay_url).send().await.map_err(|e| e.to_string())?;
                    if cashier.status() != reqwest::StatusCode::OK {
                        return Err(format!("the fake's cashier answered {}", cashier.status()));
                    }
                    if !fake.mark_paid(out_trade_no) {
                        return Err(format!("the fake does not know {out_trade_no}"));
                    }
                    let query = fake.notify_query(out_trade_no).ok_or("no notify for a known order")?;
                    out.push(Paid { out_trade_no: out_trade_no.to_owned(), user_id, amount_fen, query });
                }
                Ok(out)
            }));
        }
        let mut all = Vec::with_capacity(n);
        for t in tasks {
            all.extend(t.await??);
        }
        Ok(all)
    }

    /// What the storm left: attempts paid, `pay_in` entries, every wallet
    /// against what its owner paid, the notifies kept, the ledger audit.
    pub async fn count(&self, paid: &[Paid]) -> BoxResult<Counts> {
        let mut expected: HashMap<i64, i64> = HashMap::new();
        for p in paid {
            *expected.entry(p.user_id).or_default() += p.amount_fen;
        }
        let outs: Vec<String> = paid.iter().map(|p| p.out_trade_no.clone()).collect();
        let limit = paid.len() * 2 + 10;
        let started = Instant::now();
        let counts = self
            .app
            .store
            .read(move |tx| {
                let paid_attempts = tx.payments(Some(AttemptState::Paid), limit)?.len();
                let clearing = tx.statement(Account::GatewayClearing, limit)?;
                let pay_in_entries = clearing.iter().filter(|l| l.kind == "pay_in").count();
                let clearing_fen = tx.balance(Account::GatewayClearing)?;
                let mut wallet_mismatches = Vec::new();
                let mut wallets_fen = 0;
                for (user, want) in &expected {
                    let got = tx.balance(Account::UserWallet(UserId(*user)))?;
                    wallets_fen += got;
                    if got != *want {
                        wallet_mismatches.push(format!("user {user}: {got} fen, paid {want}"));
                    }
                }
                let mut notifies_kept = 0;
                let mut notifies_verified = 0;
                for out in &outs {
                    if let Some(a) = tx.payment_by_out_trade_no(out)? {
                        let kept = tx.notifies_of(a.id)?;
                        notifies_kept += kept.len();
                        notifies_verified += kept.iter().filter(|k| k.verified).count();
                    }
                }
                let audit = tx.ledger_audit()?;
                Ok(Counts {
                    paid_attempts,
                    pay_in_entries,
                    clearing_fen,
                    wallets_fen,
                    wallet_mismatches,
                    notifies_kept,
                    notifies_verified,
                    audit_ok: youying_server::api::wallet::audit_view(audit.clone()).ok,
                    audit: format!("{audit:?}"),
                    read: Duration::ZERO,
                })
            })
            .await?;
        Ok(Counts { read: started.elapsed(), ..counts })
    }

    /// Stops the server and the fake and waits for both.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = self.fake_task.await;
    }
}

/// Attempt `i`'s amount: ¥1.00–¥9.99, varied so a wrong attempt's amount
/// would show in a wallet; a buyer's 100 a day stay far below the ¥20,000 limit.
pub fn amount(i: usize) -> i64 {
    100 + (i as i64 * 7_919) % 900
}

/// What the storm left in Youying's database.
#[derive(Debug)]
pub struct Counts {
    pub paid_attempts: usize,
    pub pay_in_entries: usize,
    /// The gateway clearing account: minus everything credited.
    pub clearing_fen: i64,
    pub wallets_fen: i64,
    pub wallet_mismatches: Vec<String>,
    pub notifies_kept: usize,
    pub notifies_verified: usize,
    pub audit_ok: bool,
    pub audit: String,
    /// How long reading all this back took.
    pub read: Duration,
}

impl Counts {
    pub fn json(&self) -> Value {
        json!({
            "paid_attempts": self.paid_attempts,
            "pay_in_entries": self.pay_in_entries,
            "clearing_fen": self.clearing_fen,
            "wallets_fen": self.wallets_fen,
            "wallet_mismatches": self.wallet_mismatches,
            "notifies_kept": self.notifies_kept,
            "notifies_verified": self.notifies_verified,
            "audit_ok": self.audit_ok,
            "read_back_s": crate::storm::round(self.read.as_secs_f64(), 3),
        })
    }
}
