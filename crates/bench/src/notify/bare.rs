//! The baseline: the barest program doing the notify's work. An axum endpoint
//! on its own port takes `GET /pay/notify/{gateway}?…`, parses the query,
//! looks the attempt up by `out_trade_no`, checks the notify with the same
//! `youying_epay` check Youying uses (MD5 signature, pid, out_trade_no,
//! status, amount) and credits exactly once: one
//! `UPDATE … SET state = 'paid' WHERE id = ? AND state = 'pending'` and, when it
//! changed the row, one balance update, in one transaction; then `success`.
//! No notify kept, no order query, no evidence, no double-entry ledger.
//!
//! SQLite: one rusqlite connection (WAL, `synchronous = FULL`, as Youying's
//! store) behind a mutex, used from the blocking pool. PostgreSQL: a pool of
//! `postgres` clients as large as Youying's, statements prepared once each.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use tokio::sync::{Semaphore, watch};
use youying_epay::notify::{self, Expected};
use youying_epay::{Credentials, Md5Key};
use youying_server::fakepay::{DEMO_KEY, DEMO_PID};

use crate::BoxResult;
use crate::ours::Paid;

type Fail = String;

fn fail(e: impl std::fmt::Display) -> Fail {
    e.to_string()
}

/// An attempt as the bare program stores it.
struct Row {
    id: i64,
    user_id: i64,
    amount_fen: i64,
    paid: bool,
}

struct PgClient {
    client: postgres::Client,
    find: postgres::Statement,
    pay: postgres::Statement,
    add: postgres::Statement,
}

struct PgPool {
    clients: Mutex<Vec<PgClient>>,
    permits: Semaphore,
}

impl Drop for PgPool {
    fn drop(&mut self) {
        // Closing a sync client blocks on its own runtime, which panics on an
        // async worker thread (the last `Arc` may go with a connection task):
        // hand them to a plain thread, as the store does.
        let clients = self.clients.get_mut().map(std::mem::take).unwrap_or_default();
        if !clients.is_empty() {
            let _ = std::thread::spawn(move || drop(clients)).join();
        }
    }
}

enum Db {
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(PgPool),
}

struct Bare {
    credentials: Credentials,
    db: Db,
}

const SQLITE_SCHEMA: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
    CREATE TABLE attempts (id INTEGER PRIMARY KEY, out_trade_no TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL, amount_fen INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending', trade_no TEXT);
    CREATE TABLE wallets (user_id INTEGER PRIMARY KEY, balance_fen INTEGER NOT NULL DEFAULT 0);";

const PG_SCHEMA: &str = "
    CREATE TABLE attempts (id BIGSERIAL PRIMARY KEY, out_trade_no TEXT NOT NULL UNIQUE,
        user_id BIGINT NOT NULL, amount_fen BIGINT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending', trade_no TEXT);
    CREATE TABLE wallets (user_id BIGINT PRIMARY KEY, balance_fen BIGINT NOT NULL DEFAULT 0);";

const FIND: &str = "SELECT id, user_id, amount_fen, state FROM attempts WHERE out_trade_no = $1";
const PAY: &str = "UPDATE attempts SET state = 'paid', trade_no = $2 WHERE id = $1 AND state = 'pending'";
const ADD: &str = "UPDATE wallets SET balance_fen = balance_fen + $2 WHERE user_id = $1";
/// SQLite numbers `$N` parameters by first appearance, not by N: `?N` there.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

impl Bare {
    fn credentials() -> BoxResult<Credentials> {
        Ok(Credentials::V1 { key: Md5Key::new(DEMO_KEY)? })
    }

    /// A fresh SQLite file at `path` holding `attempts`, all pending.
    fn sqlite(path: &std::path::Path, attempts: &[Paid]) -> BoxResult<Self> {
        let mut conn = rusqlite::Connection::open(path)?;
        conn.execute_batch(SQLITE_SCHEMA)?;
        let tx = conn.transaction()?;
        for a in attempts {
            tx.execute(
                "INSERT INTO attempts (out_trade_no, user_id, amount_fen) VALUES (?1, ?2, ?3)",
                rusqlite::params![a.out_trade_no, a.user_id, a.amount_fen],
            )?;
            tx.execute("INSERT OR IGNORE INTO wallets (user_id) VALUES (?1)", [a.user_id])?;
        }
        tx.commit()?;
        Ok(Self { credentials: Self::credentials()?, db: Db::Sqlite(Mutex::new(conn)) })
    }

    /// The same on the PostgreSQL database at `url`, with `pool` connections.
    fn postgres(url: &str, pool: usize, attempts: &[Paid]) -> BoxResult<Self> {
        let mut setup = postgres::Client::connect(url, postgres::NoTls)?;
        setup.batch_execute(PG_SCHEMA)?;
        let mut tx = setup.transaction()?;
        for a in attempts {
            tx.execute(
                "INSERT INTO attempts (out_trade_no, user_id, amount_fen) VALUES ($1, $2, $3)",
                &[&a.out_trade_no, &a.user_id, &a.amount_fen],
            )?;
            tx.execute("INSERT INTO wallets (user_id) VALUES ($1) ON CONFLICT DO NOTHING", &[&a.user_id])?;
        }
        tx.commit()?;
        let mut clients = Vec::with_capacity(pool);
        for _ in 0..pool {
            let mut client = postgres::Client::connect(url, postgres::NoTls)?;
            let (find, pay, add) = (client.prepare(FIND)?, client.prepare(PAY)?, client.prepare(ADD)?);
            clients.push(PgClient { client, find, pay, add });
        }
        let db = Db::Postgres(PgPool { clients: Mutex::new(clients), permits: Semaphore::new(pool) });
        Ok(Self { credentials: Self::credentials()?, db })
    }

    /// Checks the notify against the attempt it names; `Some((trade_no))` when it holds.
    fn check(&self, params: &youying_epay::Params, row: &Row, out: &youying_epay::OutTradeNo) -> Result<String, Fail> {
        let expected = Expected { pid: DEMO_PID, out_trade_no: out, amount_fen: row.amount_fen };
        Ok(notify::check(params, &self.credentials, &expected).map_err(fail)?.trade_no)
    }

    fn handle_sqlite(&self, conn: &Mutex<rusqlite::Connection>, raw: &str) -> Result<(), Fail> {
        let params = notify::parse(raw).map_err(fail)?;
        let out = notify::out_trade_no(&params).map_err(fail)?;
        let mut conn = conn.lock().map_err(fail)?;
        let row = conn
            .prepare_cached(&sqlite_sql(FIND))
            .and_then(|mut s| {
                s.query_row([out.as_str()], |r| {
                    Ok(Row {
                        id: r.get(0)?,
                        user_id: r.get(1)?,
                        amount_fen: r.get(2)?,
                        paid: r.get::<_, String>(3)? == "paid",
                    })
                })
            })
            .map_err(fail)?;
        let trade_no = self.check(&params, &row, &out)?;
        if row.paid {
            return Ok(());
        }
        let tx = conn.transaction().map_err(fail)?;
        let changed = tx
            .prepare_cached(&sqlite_sql(PAY))
            .and_then(|mut s| s.execute(rusqlite::params![row.id, trade_no]))
            .map_err(fail)?;
        if changed == 1 {
            tx.prepare_cached(&sqlite_sql(ADD))
                .and_then(|mut s| s.execute(rusqlite::params![row.user_id, row.amount_fen]))
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    fn handle_pg(&self, c: &mut PgClient, raw: &str) -> Result<(), Fail> {
        let params = notify::parse(raw).map_err(fail)?;
        let out = notify::out_trade_no(&params).map_err(fail)?;
        let r = c.client.query_one(&c.find, &[&out.as_str()]).map_err(fail)?;
        let row = Row { id: r.get(0), user_id: r.get(1), amount_fen: r.get(2), paid: r.get::<_, String>(3) == "paid" };
        let trade_no = self.check(&params, &row, &out)?;
        if row.paid {
            return Ok(());
        }
        let mut tx = c.client.transaction().map_err(fail)?;
        if tx.execute(&c.pay, &[&row.id, &trade_no]).map_err(fail)? == 1 {
            tx.execute(&c.add, &[&row.user_id, &row.amount_fen]).map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }

    async fn handle(self: Arc<Self>, raw: String) -> Result<(), Fail> {
        match &self.db {
            Db::Sqlite(_) => tokio::task::spawn_blocking(move || {
                let Db::Sqlite(conn) = &self.db else { unreachable!("matched above") };
                self.handle_sqlite(conn, &raw)
            })
            .await
            .map_err(fail)?,
            Db::Postgres(pool) => {
                let _permit = pool.permits.acquire().await.map_err(fail)?;
                let mut c = pool.clients.lock().map_err(fail)?.pop().ok_or("pool empty under a permit")?;
                let me = Arc::clone(&self);
                let (c, result) = tokio::task::spawn_blocking(move || {
                    let result = me.handle_pg(&mut c, &raw);
                    (c, result)
                })
                .await
                .map_err(fail)?;
                pool.clients.lock().map_err(fail)?.push(c);
                result
            }
        }
    }

    /// Attempts paid, and wallets that do not hold what their owner paid.
    fn count(&self, attempts: &[Paid]) -> BoxResult<(usize, Vec<String>)> {
        let mut expected: HashMap<i64, i64> = HashMap::new();
        for a in attempts {
            *expected.entry(a.user_id).or_default() += a.amount_fen;
        }
        let (paid, wallets): (i64, Vec<(i64, i64)>) = match &self.db {
            Db::Sqlite(conn) => {
                let conn = conn.lock().map_err(|e| e.to_string())?;
                let paid = conn.query_row("SELECT count(*) FROM attempts WHERE state = 'paid'", [], |r| r.get(0))?;
                let mut s = conn.prepare("SELECT user_id, balance_fen FROM wallets")?;
                let wallets = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
                (paid, wallets)
            }
            Db::Postgres(pool) => {
                let mut clients = pool.clients.lock().map_err(|e| e.to_string())?;
                let c = &mut clients.first_mut().ok_or("no client")?.client;
                let paid = c.query_one("SELECT count(*) FROM attempts WHERE state = 'paid'", &[])?.get(0);
                let wallets = c.query("SELECT user_id, balance_fen FROM wallets", &[])?;
                (paid, wallets.iter().map(|r| (r.get(0), r.get(1))).collect())
            }
        };
        let wrong = wallets
            .iter()
            .filter(|(user, got)| expected.get(user) != Some(got))
            .map(|(user, got)| format!("user {user}: {got} fen, paid {:?}", expected.get(user)))
            .collect();
        Ok((usize::try_from(paid)?, wrong))
    }
}

async fn notify_endpoint(State(bare): State<Arc<Bare>>, RawQuery(query): RawQuery) -> &'static str {
    match bare.handle(query.unwrap_or_default()).await {
        Ok(()) => "success",
        Err(_) => "fail",
    }
}

/// The bare endpoint, serving until [`Server::stop`].
pub struct Server {
    pub addr: SocketAddr,
    bare: Arc<Bare>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Where the bare program keeps its data.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite(std::path::PathBuf),
    Postgres { url: String, pool: usize },
}

impl Server {
    pub async fn start(backend: Backend, attempts: Arc<Vec<Paid>>) -> BoxResult<Self> {
        let bare = tokio::task::spawn_blocking(move || match backend {
            Backend::Sqlite(path) => Bare::sqlite(&path, &attempts),
            Backend::Postgres { url, pool } => Bare::postgres(&url, pool, &attempts),
        })
        .await??;
        let bare = Arc::new(bare);
        let router = Router::new().route("/pay/notify/{gateway}", get(notify_endpoint)).with_state(Arc::clone(&bare));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        });
        Ok(Self { addr, bare, stop, task })
    }

    pub fn notify_url(&self, query: &str) -> String {
        format!("http://{}/pay/notify/bare?{query}", self.addr)
    }

    /// Attempts paid, and wallets that do not hold what their owner paid.
    pub async fn count(&self, attempts: Arc<Vec<Paid>>) -> BoxResult<(usize, Vec<String>)> {
        let bare = Arc::clone(&self.bare);
        tokio::task::spawn_blocking(move || bare.count(&attempts)).await?
    }

    /// Stops serving (the sync `postgres` clients close on a plain thread, see `PgPool`'s drop).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
