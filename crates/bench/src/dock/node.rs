//! One Youying site for the benchmark: the real server with its loops on, on
//! port 0 over its own store, users written straight to the store (no
//! password hashing), everything else through the HTTP API as people do it.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::watch;
use youying_core::Clock;
use youying_core::accounts;
use youying_core::ports::Store;
use youying_core::values::{Role, UserId, Username};
use youying_server::clock::SystemClock;
use youying_server::state::App;
use youying_server::vault::Vault;

use crate::BoxResult;

pub const POOL: usize = 32;

pub fn client() -> reqwest::Client {
    youying_server::state::tls_ready();
    reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap_or_default()
}

pub fn sqlite(dir: &std::path::Path) -> BoxResult<youying_store::SqliteStore> {
    std::fs::create_dir_all(dir)?;
    Ok(youying_store::SqliteStore::open(&dir.join("youying.db"), true, 0)?)
}

pub async fn postgres(url: &str) -> BoxResult<youying_store::PgStore> {
    let url = url.to_owned();
    Ok(tokio::task::spawn_blocking(move || youying_store::PgStore::open(&url, POOL, 0)).await??)
}

/// A fresh PostgreSQL database, dropped with this value.
pub struct PgScratch {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgScratch {
    /// Call from a blocking context.
    pub fn create(admin_url: &str, what: &str) -> BoxResult<Self> {
        let name = format!("yy_dock_{what}_{}", std::process::id());
        let mut c = postgres::Client::connect(admin_url, postgres::NoTls)?;
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        c.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
        Ok(Self { admin_url: admin_url.to_owned(), url: format!("{base}/{name}"), name })
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// Bearer tokens: the admin, a merchant, a reseller and a crowd of buyers.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub admin: String,
    pub merchant: String,
    pub merchant_name: String,
    pub reseller: String,
    pub buyers: Vec<String>,
    pub buyer_names: Vec<String>,
}

pub struct Node<S: Store> {
    pub app: App<S>,
    addr: std::net::SocketAddr,
    http: reqwest::Client,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl<S: Store> Node<S> {
    pub async fn start(store: S, dir: &std::path::Path) -> BoxResult<Self> {
        std::fs::create_dir_all(dir)?;
        let config = youying_server::config::Config {
            bind: "127.0.0.1:0".parse()?,
            data_dir: dir.to_owned(),
            database_url: None,
            demo: false,
            secure_cookies: true,
            pg_pool: POOL,
            public_url: None,
            master_key: None,
            metrics_token: None,
        };
        let search = youying_search::SearchIndex::in_memory()?;
        let app = App::new(store, Arc::new(SystemClock), config, Vault::from_key([7; 32]), search);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, shutdown) = watch::channel(false);
        let server = tokio::spawn(youying_server::serve(listener, app.clone(), shutdown, true));
        Ok(Self { app, addr, http: client(), stop, server })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn call(&self, method: &str, path: &str, token: &str, body: Value) -> BoxResult<Value> {
        let m = reqwest::Method::from_bytes(method.as_bytes())?;
        let r = self.http.request(m, self.url(path)).bearer_auth(token).json(&body).send().await?;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(format!("{method} {path}: {status} {text}").into());
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The users, each with a session, written in one transaction.
    pub async fn tokens(&self, buyers: usize) -> BoxResult<Tokens> {
        let now = SystemClock.now();
        let tag = self.addr.port();
        let made = self
            .app
            .store
            .write(move |tx| {
                let user = |tx: &mut dyn youying_core::ports::Tx, name: String, role: Role| {
                    let u = accounts::register(tx, now, &Username::parse(&name)?, "x".into(), role, None, None)?;
                    let token = format!("yys_dock_{tag}_{name}");
                    let hash = youying_server::security::token_hash(&token);
                    tx.insert_session(&hash, UserId(u.id.0), "csrf", now, now.plus_secs(86_400))?;
                    Ok::<_, youying_core::error::Error>(token)
                };
                let admin = user(tx, "bench_admin".into(), Role::Admin)?;
                let merchant = user(tx, "bench_merchant".into(), Role::Buyer)?;
                let reseller = user(tx, "bench_reseller".into(), Role::Buyer)?;
                let names: Vec<String> = (0..buyers).map(|i| format!("bench_buyer_{i}")).collect();
                let mut tokens = Vec::new();
                for n in &names {
                    tokens.push(user(tx, n.clone(), Role::Buyer)?);
                }
                Ok(Tokens {
                    admin,
                    merchant,
                    merchant_name: "bench_merchant".into(),
                    reseller,
                    buyers: tokens,
                    buyer_names: names,
                })
            })
            .await?;
        Ok(made)
    }

    pub async fn credit(&self, t: &Tokens, username: &str, fen: i64) -> BoxResult<()> {
        let path = format!("/api/v1/admin/wallets/{username}/credit");
        self.call("POST", &path, &t.admin, json!({ "amount_fen": fen, "reason": "bench" })).await.map(|_| ())
    }

    /// The merchant's shop with the minimum deposit.
    pub async fn shop(&self, t: &Tokens, name: &str) -> BoxResult<i64> {
        let shop = self.call("POST", "/api/v1/shops", &t.merchant, json!({ "name": name })).await?;
        let id = shop["id"].as_i64().ok_or("no shop id")?;
        self.credit(t, &t.merchant_name, 100_000).await?;
        self.call("POST", &format!("/api/v1/shops/{id}/deposit"), &t.merchant, json!({ "amount_fen": 100_000 }))
            .await?;
        Ok(id)
    }

    /// A card-key product with `keys` (one per line) in stock.
    pub async fn product(&self, t: &Tokens, shop: i64, title: &str, price_fen: i64, keys: &str) -> BoxResult<i64> {
        let p = self
            .call("POST", "/api/v1/products", &t.merchant,
                json!({ "shop_id": shop, "category": "game_card", "kind": "card_key", "title": title, "price_fen": price_fen }))
            .await?;
        let id = p["id"].as_i64().ok_or("no product id")?;
        let r = self
            .http
            .post(self.url(&format!("/api/v1/products/{id}/stock")))
            .bearer_auth(&t.merchant)
            .header("content-type", "text/plain")
            .body(keys.to_owned())
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("import: {} {}", r.status(), r.text().await.unwrap_or_default()).into());
        }
        Ok(id)
    }

    /// Units of `product` still unsold.
    pub async fn unsold(&self, product: i64) -> BoxResult<i64> {
        let id = youying_core::values::ProductId(product);
        Ok(self.app.store.read(move |tx| tx.stock_count(id)).await?)
    }

    /// The chain and ledger audits; problems as text.
    pub async fn audit(&self) -> BoxResult<Vec<String>> {
        let mut out = Vec::new();
        let v = self.app.store.read(youying_server::api::verify_chain).await?;
        if !v.ok {
            out.push(format!("evidence chain broken at {:?}: {:?}", v.broken_seq, v.reason));
        }
        let a = self.app.store.read(|tx| tx.ledger_audit()).await?;
        if !youying_server::api::wallet::audit_view(a.clone()).ok {
            out.push(format!("ledger audit failed: {a:?}"));
        }
        Ok(out)
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
    }
}
