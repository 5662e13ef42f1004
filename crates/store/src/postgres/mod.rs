//! The shared-database adapter: PostgreSQL through the synchronous `postgres`
//! client on tokio's blocking pool. Units of work are closures over the core's
//! `Tx`, which keeps one SQL implementation for both backends; the cost is a
//! blocking thread per transaction in flight, bounded by the pool size.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Config, NoTls, Statement};
use tokio::sync::Semaphore;
use youying_core::error::{Error, Result, StorageError};
use youying_core::ports::{DeadlineHook, PublishHook, ReadTx, Store, Tx};

use crate::sql::{Conn, DbError, Dialect, Fault, Row, Val};
use crate::sqltx;

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Val {
    fn to_sql(&self, ty: &Type, out: &mut postgres::types::private::BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => Err(format!("cannot bind integer to {ty}").into()),
            },
            Val::Text(s) => s.as_str().to_sql(ty, out),
            Val::Bytes(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

pub(crate) struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// See [`Conn::claim_marks`].
    claim_marks: HashMap<i64, i64>,
}

fn db_error(e: postgres::Error) -> DbError {
    let unique = e
        .as_db_error()
        .filter(|d| *d.code() == postgres::error::SqlState::UNIQUE_VIOLATION)
        .and_then(|d| d.constraint().map(str::to_owned));
    let message = match e.as_db_error() {
        Some(d) => format!("{}: {}", d.code().code(), d.message()),
        None => e.to_string(),
    };
    DbError { unique, fault: fault(&e), message }
}

/// Whether `e` says the server is out of reach rather than that the statement
/// failed: SQLSTATE class 08 (connection exception), 57P01–57P03 (shutting
/// down, crashed, starting up), 53300 (too many connections), or an I/O error
/// or closed connection below SQL. 53100 (disk full) is a full disk.
fn fault(e: &postgres::Error) -> Option<Fault> {
    if let Some(code) = e.code().map(postgres::error::SqlState::code) {
        return match code {
            "53100" => Some(Fault::Full),
            "57P01" | "57P02" | "57P03" | "53300" => Some(Fault::Unavailable),
            c if c.starts_with("08") => Some(Fault::Unavailable),
            _ => None,
        };
    }
    let io = std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>());
    (e.is_closed() || io).then_some(Fault::Unavailable)
}

/// How long a new connection may take before the server counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a request waits for a free connection before it is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// The first and the longest pause between attempts to reach a server that
/// refused a connection; requests meanwhile are answered at once.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The URL as the client takes it, with a bounded connect time (unless the
/// URL sets its own).
fn client_config(url: &str) -> Result<Config> {
    let mut config: Config = url.parse().map_err(|e| StorageError(format!("PostgreSQL URL: {e}")))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(config)
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Unavailable(format!("{what}: {e}"))
}

impl PgConn {
    fn connect(config: &Config) -> Result<Self> {
        let client = config.connect(NoTls).map_err(|e| match fault(&e) {
            Some(_) => unavailable("connect to PostgreSQL", &e),
            None => StorageError(format!("connect to PostgreSQL: {e}")).into(),
        })?;
        Ok(Self { client, statements: HashMap::new(), claim_marks: HashMap::new() })
    }

    fn statement(&mut self, sql: &str) -> std::result::Result<Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(db_error)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

fn params(p: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    p.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

fn value(row: &postgres::Row, i: usize) -> std::result::Result<Val, DbError> {
    let bad = |e: postgres::Error| DbError::other(format!("column {i}: {e}"));
    let ty = row.columns().get(i).map(|c| c.type_().clone()).unwrap_or(Type::TEXT);
    Ok(match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i).map_err(bad)?.map_or(Val::Null, Val::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(i).map_err(bad)?.map_or(Val::Null, |v| Val::Int(v.into())),
        Type::INT2 => row.try_get::<_, Option<i16>>(i).map_err(bad)?.map_or(Val::Null, |v| Val::Int(v.into())),
        Type::BOOL => row.try_get::<_, Option<bool>>(i).map_err(bad)?.map_or(Val::Null, |v| Val::Int(v.into())),
        Type::VOID => Val::Null,
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i).map_err(bad)?.map_or(Val::Null, Val::Bytes),
        _ => row.try_get::<_, Option<String>>(i).map_err(bad)?.map_or(Val::Null, Val::Text),
    })
}

impl Conn for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&mut self, sql: &str, p: &[Val]) -> std::result::Result<u64, DbError> {
        let stmt = self.statement(sql)?;
        self.client.execute(&stmt, &params(p)).map_err(db_error)
    }

    fn query(&mut self, sql: &str, p: &[Val]) -> std::result::Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql)?;
        let rows = self.client.query(&stmt, &params(p)).map_err(db_error)?;
        rows.iter()
            .map(|r| (0..r.len()).map(|i| value(r, i)).collect::<std::result::Result<Vec<_>, _>>().map(Row))
            .collect()
    }

    fn batch(&mut self, sql: &str) -> std::result::Result<(), DbError> {
        self.client.batch_execute(sql).map_err(db_error)
    }

    fn claim_marks(&mut self) -> Option<&mut HashMap<i64, i64>> {
        Some(&mut self.claim_marks)
    }
}

/// When the server last refused a connection, and how long to leave it be.
#[derive(Debug, Default)]
struct Backoff {
    until: Option<Instant>,
    delay: Duration,
}

struct Inner {
    url: String,
    config: Config,
    pool: Mutex<Vec<PgConn>>,
    backoff: Mutex<Backoff>,
    permits: Semaphore,
    hook: RwLock<Option<DeadlineHook>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing a sync client blocks on its own runtime, which panics on an
        // async worker thread; hand the connections to a plain thread instead.
        let conns = self.pool.get_mut().map(std::mem::take).unwrap_or_default();
        if !conns.is_empty() {
            let _ = std::thread::spawn(move || drop(conns));
        }
    }
}

/// Relays notifications until the store is dropped; reconnects after a
/// failure (a restarted server), waiting longer after each failed attempt.
fn listen(config: &Config, store: &std::sync::Weak<Inner>, hook: &PublishHook) {
    let mut pause = BACKOFF_MIN;
    while store.strong_count() > 0 {
        match config.connect(NoTls) {
            Ok(mut client) => {
                if let Err(e) = client.batch_execute("LISTEN youying_events") {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    pause = BACKOFF_MIN;
                    loop {
                        // A fresh iterator each time: one whose timeout has once
                        // elapsed answers `None` at once forever after (a busy loop
                        // that ate a core and starved the server).
                        let next = {
                            let mut notes = client.notifications();
                            let mut iter = notes.timeout_iter(Duration::from_millis(500));
                            fallible_iterator::FallibleIterator::next(&mut iter)
                                .map(|n| n.map(|n| n.payload().to_owned()))
                        };
                        match next {
                            Ok(Some(payload)) => hook(payload),
                            Ok(None) if client.is_closed() => {
                                tracing::warn!("listener connection closed");
                                break;
                            }
                            // A quiet half second: see whether the store still exists.
                            Ok(None) if store.strong_count() > 0 => {}
                            Ok(None) => return,
                            Err(e) => {
                                tracing::warn!(error = %e, "listener connection lost");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "listener cannot connect"),
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(BACKOFF_MAX * 2);
    }
}

impl Inner {
    /// An idle connection, or a new one unless the server refused one moments
    /// ago (then the caller is answered at once, not after a connect timeout).
    fn checkout(&self) -> Result<PgConn> {
        let pooled = self.pool.lock().map_err(|_| StorageError("pool poisoned".into()))?.pop();
        if let Some(c) = pooled.filter(|c| !c.client.is_closed()) {
            return Ok(c);
        }
        let backoff = self.backoff.lock().map_err(|_| StorageError("pool poisoned".into()))?;
        if let Some(until) = backoff.until
            && Instant::now() < until
        {
            return Err(Error::Unavailable("PostgreSQL refused a connection moments ago; retrying shortly".into()));
        }
        drop(backoff);
        let fresh = PgConn::connect(&self.config);
        let mut backoff = self.backoff.lock().map_err(|_| StorageError("pool poisoned".into()))?;
        match &fresh {
            Ok(_) => *backoff = Backoff::default(),
            Err(Error::Unavailable(_)) => {
                backoff.delay = (backoff.delay * 2).clamp(BACKOFF_MIN, BACKOFF_MAX);
                backoff.until = Some(Instant::now() + backoff.delay);
            }
            Err(_) => {}
        }
        fresh
    }

    /// Takes a connection back, or drops it with every idle one when the
    /// server went away under it: those are dead too (a restart closes them
    /// all), and the next request should connect afresh, not find that out.
    fn checkin(&self, conn: PgConn, lost: bool) {
        let Ok(mut pool) = self.pool.lock() else { return };
        if lost || conn.client.is_closed() {
            let idle = std::mem::take(&mut *pool);
            drop(pool);
            drop((conn, idle));
        } else {
            pool.push(conn);
        }
    }
}

/// Sends what a committed unit of work published to every listening instance
/// (its own included), outside any transaction: each NOTIFY commits alone, so
/// the notify lock is never held through a checkout's commit. A failure here
/// loses a wake-up, never data: listeners read the state itself.
fn announce(conn: &mut PgConn, published: &[String]) {
    for payload in published {
        if let Err(e) = conn.query("SELECT pg_notify('youying_events', $1)", &[Val::Text(payload.clone())]) {
            tracing::warn!(error = %e.message, "NOTIFY after commit failed");
        }
    }
}

#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &crate::redact_url(&self.inner.url)).finish()
    }
}

impl PgStore {
    /// Connects (run from a blocking context) and applies missing migrations.
    pub fn open(url: &str, pool_size: usize, now_ms: i64) -> Result<Self> {
        let config = client_config(url)?;
        let mut first = PgConn::connect(&config)?;
        crate::migrate::migrate(&mut first, now_ms)?;
        Ok(Self {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                config,
                pool: Mutex::new(vec![first]),
                backoff: Mutex::new(Backoff::default()),
                permits: Semaphore::new(pool_size.max(1)),
                hook: RwLock::new(None),
            }),
        })
    }

    async fn run<R, F>(&self, begin: &'static str, read_only: bool, f: F) -> Result<R>
    where
        F: FnOnce(&mut dyn Tx) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let _permit = match tokio::time::timeout(ACQUIRE_TIMEOUT, self.inner.permits.acquire()).await {
            Ok(permit) => permit.map_err(|_| StorageError("pool closed".into()))?,
            Err(_) => return Err(Error::Unavailable("no database connection free in time".into())),
        };
        let inner = Arc::clone(&self.inner);
        let (r, finished) = tokio::task::spawn_blocking(move || {
            let mut conn = inner.checkout()?;
            let result = sqltx::run(&mut conn, begin, read_only, f);
            if let Ok((_, finished)) = &result {
                announce(&mut conn, &finished.published);
            }
            inner.checkin(conn, matches!(result, Err(Error::Unavailable(_))));
            result
        })
        .await
        .map_err(|e| StorageError(format!("postgres task: {e}")))??;
        if let Some(t) = finished.earliest
            && let Ok(guard) = self.inner.hook.read()
            && let Some(hook) = guard.as_ref()
        {
            hook(t);
        }
        Ok(r)
    }
}

impl Store for PgStore {
    async fn write<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut dyn Tx) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.run("BEGIN", false, f).await
    }

    async fn read<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut dyn ReadTx) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        // The read-only view of the same transaction type: `f` sees only queries.
        let f = move |tx: &mut dyn Tx| f(tx);
        self.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", true, f).await
    }

    fn on_deadline_scheduled(&self, hook: DeadlineHook) {
        if let Ok(mut guard) = self.inner.hook.write() {
            *guard = Some(hook);
        }
    }

    /// Starts this instance's listener: every instance's published payloads
    /// (its own included) arrive through PostgreSQL's LISTEN/NOTIFY.
    fn on_publish(&self, hook: PublishHook) {
        let (config, inner) = (self.inner.config.clone(), Arc::downgrade(&self.inner));
        let spawned =
            std::thread::Builder::new().name("pg-listen".into()).spawn(move || listen(&config, &inner, &hook));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the PostgreSQL listener");
        }
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
