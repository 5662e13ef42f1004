//! A whole `youying serve` process on its own database: for tests that need
//! two sites talking to each other (对接) or a process killed with SIGKILL
//! mid-way. Driven over HTTP only, with the real clock; the database is
//! audited after the processes are gone.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use youying_core::ports::Store;

use crate::{DEPOSIT_MIN_FEN, PASSWORD, TestDb, TestUser};

/// The master key every test site shares, as 64 hex characters.
const MASTER_KEY_HEX: &str = "4242424242424242424242424242424242424242424242424242424242424242";

pub struct Site {
    bin: PathBuf,
    db_url: String,
    data_dir: PathBuf,
    child: Option<Child>,
    /// `127.0.0.1:port`; kept across restarts so links stay valid.
    pub addr: String,
    client: reqwest::Client,
    /// The process's stderr so far, for failure messages.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Extra environment for the next start (e.g. `YOUYING_FAILPOINT`).
    env: Vec<(String, String)>,
    /// The master key is the one `serve` keeps in the data dir, not the shared test key.
    key_file: bool,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl Site {
    /// Migrates `db`, creates the admin `root`, and starts serving on a free port.
    /// `bin` is the test's `env!("CARGO_BIN_EXE_youying")`.
    pub fn start(bin: &str, db: &TestDb, data_dir: &Path) -> Self {
        youying_server::state::tls_ready();
        let mut site = Site {
            bin: PathBuf::from(bin),
            db_url: db.url(),
            data_dir: data_dir.to_owned(),
            child: None,
            addr: "127.0.0.1:0".to_owned(),
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            log: std::sync::Arc::default(),
            env: Vec::new(),
            key_file: false,
        };
        let out = site.cli(&["admin", "create", "--username", "root", "--role", "admin", "--password-stdin"], PASSWORD);
        assert!(out.contains("created admin root"), "{out}");
        site.spawn();
        site
    }

    /// Like [`Site::start`] on `db_url` (a restored database, say), as a
    /// self-hoster runs it: the master key generated into `data_dir/master.key`,
    /// `env` added to `serve`'s environment (e.g. `YOUYING_BACKUP_DIR`), and
    /// the admin `root` created only when `create_admin`.
    pub fn start_keyed(bin: &str, db_url: &str, data_dir: &Path, env: &[(&str, &str)], create_admin: bool) -> Self {
        youying_server::state::tls_ready();
        let mut site = Site {
            bin: PathBuf::from(bin),
            db_url: db_url.to_owned(),
            data_dir: data_dir.to_owned(),
            child: None,
            addr: "127.0.0.1:0".to_owned(),
            client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
            log: std::sync::Arc::default(),
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            key_file: true,
        };
        if create_admin {
            let args = ["admin", "create", "--username", "root", "--role", "admin", "--password-stdin"];
            let out = site.cli(&args, PASSWORD);
            assert!(out.contains("created admin root"), "{out}");
        }
        site.spawn();
        site
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .arg("--database-url")
            .arg(&self.db_url)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .env("YOUYING_PG_POOL", "4")
            .env("YOUYING_LOG", "warn");
        if !self.key_file {
            c.env("YOUYING_MASTER_KEY", MASTER_KEY_HEX);
        }
        c
    }

    /// Runs a CLI command against this site's database; returns its output.
    pub fn cli(&self, args: &[&str], stdin: &str) -> String {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn youying");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    fn spawn(&mut self) {
        let mut child = self
            .command(&["serve", "--bind", &self.addr])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn youying serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::clone(&self.log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line.clone());
                log.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let line = rx.recv_timeout(Duration::from_millis(200)).ok();
            if let Some(addr) = line.as_deref().and_then(|l| l.split("listening on http://").nth(1)) {
                self.addr = addr.split_whitespace().next().unwrap().to_owned();
                break;
            }
            assert!(Instant::now() < deadline, "youying serve did not start: {:?}", self.log.lock().unwrap());
            if let Ok(Some(status)) = child.try_wait() {
                panic!("youying serve exited with {status}: {:?}", self.log.lock().unwrap());
            }
        }
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, nothing flushed beyond what was committed.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the process again on the same port and database.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Restarts with `YOUYING_FAILPOINT=name` (see `youying_server::failpoint`):
    /// the process aborts when it reaches that step. `None` clears it.
    pub fn restart_with_failpoint(&mut self, name: Option<&str>) {
        self.env.retain(|(k, _)| k != "YOUYING_FAILPOINT");
        if let Some(n) = name {
            self.env.push(("YOUYING_FAILPOINT".into(), n.into()));
        }
        self.restart();
    }

    /// Restarts knowing its own address (`YOUYING_PUBLIC_URL`), so that the
    /// sites it docks call it back.
    pub fn announce(&mut self) {
        let url = self.url("");
        self.env.retain(|(k, _)| k != "YOUYING_PUBLIC_URL");
        self.env.push(("YOUYING_PUBLIC_URL".into(), url.trim_end_matches('/').to_owned()));
        self.restart();
    }

    /// Whether the process has exited (a failpoint aborted it).
    pub fn exited(&mut self) -> bool {
        self.child.as_mut().is_none_or(|c| matches!(c.try_wait(), Ok(Some(_))))
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

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

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// Sends a request and gives back the transport error instead of
    /// panicking: for requests the process may die in the middle of.
    pub async fn try_post(&self, path: &str, token: &str, body: Value) -> Result<(StatusCode, Value), String> {
        let resp = self.client.post(self.url(path)).bearer_auth(token).json(&body).send().await;
        let resp = resp.map_err(|e| e.to_string())?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    /// A card-key product in `shop` with `keys` (one per line) in stock.
    pub async fn card_product(&self, owner: &TestUser, shop: i64, title: &str, price_fen: i64, keys: &str) -> i64 {
        let body = json!({ "shop_id": shop, "category": "game_card", "kind": "card_key", "title": title, "price_fen": price_fen });
        let (s, p) = self.post("/api/v1/products", Some(&owner.token), body).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let id = p["id"].as_i64().unwrap();
        let resp = self
            .client
            .post(self.url(&format!("/api/v1/products/{id}/stock")))
            .bearer_auth(&owner.token)
            .header("content-type", "text/plain")
            .body(keys.to_owned())
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "import: {}", resp.status());
        id
    }

    pub async fn signed_in(&self, username: &str) -> TestUser {
        let (s, body) =
            self.post("/api/v1/auth/login", None, json!({ "username": username, "password": PASSWORD })).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        TestUser {
            id: body["user"]["id"].as_i64().unwrap(),
            username: username.to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn admin(&self) -> TestUser {
        self.signed_in("root").await
    }

    pub async fn buyer(&self, username: &str) -> TestUser {
        let (s, body) =
            self.post("/api/v1/auth/register", None, json!({ "username": username, "password": PASSWORD })).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        self.signed_in(username).await
    }

    /// Credits a wallet through the admin API.
    pub async fn credit(&self, user: &TestUser, fen: i64) {
        let admin = self.admin().await;
        let path = format!("/api/v1/admin/wallets/{}/credit", user.username);
        let (s, body) =
            self.post(&path, Some(&admin.token), json!({ "amount_fen": fen, "reason": "test credit" })).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }

    /// A buyer who opened a shop holding the minimum deposit.
    pub async fn merchant(&self, username: &str, shop: &str) -> (TestUser, i64) {
        let owner = self.buyer(username).await;
        let (s, body) = self.post("/api/v1/shops", Some(&owner.token), json!({ "name": shop })).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let id = body["id"].as_i64().unwrap();
        self.credit(&owner, DEPOSIT_MIN_FEN).await;
        let (s, body) = self
            .post(&format!("/api/v1/shops/{id}/deposit"), Some(&owner.token), json!({ "amount_fen": DEPOSIT_MIN_FEN }))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        (owner, id)
    }

    /// Sets rules through the admin API.
    pub async fn rules(&self, rules: Value) {
        let admin = self.admin().await;
        let (s, body) = self.put("/api/v1/admin/rules", Some(&admin.token), rules).await;
        assert!(s.is_success(), "{body}");
    }

    pub async fn balance(&self, user: &TestUser) -> i64 {
        let (s, w) = self.get("/api/v1/wallet", Some(&user.token)).await;
        assert_eq!(s, StatusCode::OK, "{w}");
        w["balance_fen"].as_i64().unwrap()
    }

    /// Polls `check` every 100 ms until it holds or `secs` pass: for what a
    /// process's own loops do on the real clock. Returns whether it held.
    pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if check().await {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The process's log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The end-of-test audit on a site's database, after its processes stopped:
/// the evidence chain verifies and the ledger balances.
pub async fn audit(db: &TestDb) {
    match db {
        TestDb::Sqlite { .. } => audit_store(db.open_sqlite().unwrap()).await,
        TestDb::Postgres { .. } => audit_store(db.open_postgres(2).await.unwrap()).await,
    }
}

async fn audit_store<S: Store>(store: S) {
    let v = store.read(youying_server::api::verify_chain).await.unwrap();
    assert!(v.ok, "evidence chain broken at {:?}: {:?}", v.broken_seq, v.reason);
    let a = store.read(|tx| tx.ledger_audit()).await.unwrap();
    assert!(youying_server::api::wallet::audit_view(a.clone()).ok, "ledger audit failed: {a:?}");
}
