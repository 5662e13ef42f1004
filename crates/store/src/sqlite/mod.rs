//! The embedded adapter: SQLite through rusqlite. One writer thread owns the only
//! read-write connection, so writes never contend for SQLite's lock; reads use a
//! small pool of read-only connections (WAL lets them run beside the writer).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use tokio::sync::oneshot;
use youying_core::error::{Error, Result, StorageError};
use youying_core::ports::{DeadlineHook, PublishHook, ReadTx, Store, Tx};

use crate::sql::{self, Conn, DbError, Dialect, Fault, Row, Val, map_db_error};
use crate::sqltx;

pub(crate) struct SqliteConn(Connection);

impl SqliteConn {
    /// A private in-memory database with this adapter's settings, for unit tests.
    #[cfg(test)]
    pub(crate) fn in_memory() -> Self {
        let conn = Connection::open_in_memory().expect("in-memory SQLite");
        conn.execute_batch("PRAGMA foreign_keys = ON;").expect("foreign keys on");
        SqliteConn(conn)
    }
}

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn db_error(e: rusqlite::Error) -> DbError {
    let unique = match &e {
        rusqlite::Error::SqliteFailure(f, Some(msg))
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            msg.split_once(": ").map(|(_, cols)| cols.to_owned())
        }
        _ => None,
    };
    DbError { unique, fault: fault(&e), message: e.to_string() }
}

/// A full disk (the database, its journal or its WAL cannot grow) is a fault
/// of the machine, not of the statement.
fn fault(e: &rusqlite::Error) -> Option<Fault> {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull => Some(Fault::Full),
        _ => None,
    }
}

fn value(v: ValueRef<'_>) -> std::result::Result<Val, DbError> {
    Ok(match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Bytes(b.to_vec()),
        ValueRef::Real(_) => {
            return Err(DbError::other("unsupported column type".into()));
        }
    })
}

impl Conn for SqliteConn {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&mut self, sql: &str, params: &[Val]) -> std::result::Result<u64, DbError> {
        let mut stmt = self.0.prepare_cached(&sql::to_sqlite_placeholders(sql)).map_err(db_error)?;
        let n = stmt.execute(rusqlite::params_from_iter(params)).map_err(db_error)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> std::result::Result<Vec<Row>, DbError> {
        let mut stmt = self.0.prepare_cached(&sql::to_sqlite_placeholders(sql)).map_err(db_error)?;
        let cols = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(db_error)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(db_error)? {
            let vals = (0..cols)
                .map(|i| r.get_ref(i).map_err(db_error).and_then(value))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> std::result::Result<(), DbError> {
        self.0.execute_batch(sql).map_err(db_error)
    }
}

/// Reports a unit's outcome once its transaction's fate is known (`Some` = the
/// transaction did not commit, and why).
type Done = Box<dyn FnOnce(Option<&DbError>) + Send>;
/// A unit of work for the writer thread: run on the connection, or told why it
/// cannot run. Gives back its reply and the fault it met, if any.
type Job = Box<dyn FnOnce(std::result::Result<&mut SqliteConn, &DbError>) -> (Done, Option<Fault>) + Send>;

/// 64 MiB (a negative cache size is in KiB).
const WRITER_CACHE: &str = "PRAGMA cache_size = -65536";

/// Prepared statements kept per connection (see `open_conn`).
const STATEMENT_CACHE: usize = 256;

/// Units committed together at most; a burst of checkouts shares one fsync.
const GROUP_MAX: usize = 128;

/// The writer thread: takes whatever units are waiting, runs each under its own
/// savepoint inside one transaction, commits once, then answers them all. A
/// failing unit rolls back alone; a failing commit fails every unit in it.
/// Nothing here ends the thread: a full disk or an I/O error fails the units
/// of that round (with the fault as their error) and the next round tries again.
fn writer_loop(mut conn: SqliteConn, rx: &mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < GROUP_MAX {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e.message, units = jobs.len(), "cannot begin a write transaction");
            for job in jobs {
                let (done, _) = job(Err(&e));
                done(Some(&e));
            }
            continue;
        }
        let (dones, aborted) = run_units(&mut conn, jobs);
        let failed = match aborted {
            Some(e) => Some(e),
            None => conn.batch("COMMIT").err(),
        };
        if let Some(e) = &failed {
            tracing::warn!(error = %e.message, "write transaction not committed");
            if !conn.0.is_autocommit() {
                let _ = conn.batch("ROLLBACK");
            }
        }
        for done in dones {
            done(failed.as_ref());
        }
    }
}

/// Runs the units of one transaction. SQLite may roll the whole transaction
/// back on its own (a full disk): the units after that must not run, since
/// their savepoint would open and commit a transaction of its own.
fn run_units(conn: &mut SqliteConn, jobs: Vec<Job>) -> (Vec<Done>, Option<DbError>) {
    let mut dones = Vec::with_capacity(jobs.len());
    let mut aborted: Option<DbError> = None;
    for job in jobs {
        if let Some(e) = &aborted {
            dones.push(job(Err(e)).0);
            continue;
        }
        let (done, fault) = job(Ok(conn));
        dones.push(done);
        if conn.0.is_autocommit() {
            // SQLite ends a transaction on its own after a full disk or an I/O
            // error; the unit's own error may only say its savepoint is gone.
            let message = "the database rolled the transaction back".to_owned();
            aborted = Some(DbError { unique: None, message, fault: fault.or(Some(Fault::Full)) });
        }
    }
    (dones, aborted)
}

/// The error a unit reports when its transaction failed as a whole.
fn unit_failed(e: &DbError) -> Error {
    map_db_error(DbError { unique: None, message: format!("commit: {}", e.message), fault: e.fault })
}

struct Inner {
    path: PathBuf,
    writer: Mutex<mpsc::Sender<Job>>,
    readers: Mutex<Vec<SqliteConn>>,
    hook: RwLock<Option<DeadlineHook>>,
    publish: RwLock<Option<PublishHook>>,
}

/// Cheap to clone; all clones share the writer thread and the reader pool.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.inner.path).finish()
    }
}

fn open_conn(path: &Path, flags: OpenFlags) -> Result<SqliteConn> {
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| StorageError(format!("open {}: {e}", path.display())))?;
    // FULL: a committed payment survives a power cut, not only a crash.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
    )
    .map_err(|e| StorageError(format!("configure {}: {e}", path.display())))?;
    // rusqlite caches 16 prepared statements by default; one checkout alone
    // runs more distinct ones, so each was prepared again every time.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(SqliteConn(conn))
}

impl SqliteStore {
    /// Opens (and migrates) the database at `path`. With `create` false a
    /// missing file is an error rather than a silently new, empty database.
    pub fn open(path: &Path, create: bool, now_ms: i64) -> Result<Self> {
        if !create && !path.exists() {
            return Err(StorageError(format!(
                "SQLite database {} does not exist (add ?mode=rwc to the URL to create it)",
                path.display()
            ))
            .into());
        }
        let mut flags =
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let mut writer = open_conn(path, flags)?;
        // The writer's page cache: big enough that a burst of deadlines, keys or
        // messages landing all over the B-trees is not read back page by page.
        writer.batch(WRITER_CACHE).map_err(|e| StorageError(format!("configure {}: {}", path.display(), e.message)))?;
        crate::migrate::migrate(&mut writer, now_ms)?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(writer, &rx))
            .map_err(|e| StorageError(format!("writer thread: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(tx),
                readers: Mutex::new(Vec::new()),
                hook: RwLock::new(None),
                publish: RwLock::new(None),
            }),
        })
    }

    fn reader(&self) -> Result<SqliteConn> {
        let pooled = self.inner.readers.lock().map_err(|_| StorageError("reader pool poisoned".into()))?.pop();
        match pooled {
            Some(c) => Ok(c),
            None => {
                let c =
                    open_conn(&self.inner.path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
                Ok(c)
            }
        }
    }

    fn notify(&self, finished: sqltx::Finished) {
        if let Some(t) = finished.earliest
            && let Ok(guard) = self.inner.hook.read()
            && let Some(hook) = guard.as_ref()
        {
            hook(t);
        }
        if let Ok(guard) = self.inner.publish.read()
            && let Some(hook) = guard.as_ref()
        {
            for payload in finished.published {
                hook(payload);
            }
        }
    }
}

fn gone() -> Error {
    StorageError("sqlite writer stopped".into()).into()
}

impl Store for SqliteStore {
    async fn write<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut dyn Tx) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let outcome = match conn {
                Ok(conn) => sqltx::run_nested(conn, f),
                Err(e) => Err(unit_failed(e)),
            };
            let fault = match &outcome {
                Err(Error::StorageFull(_)) => Some(Fault::Full),
                Err(Error::Unavailable(_)) => Some(Fault::Unavailable),
                _ => None,
            };
            let done: Done = Box::new(move |failed: Option<&DbError>| {
                let outcome = match failed {
                    None => outcome,
                    Some(e) => Err(unit_failed(e)),
                };
                let _ = done.send(outcome);
            });
            (done, fault)
        });
        self.inner.writer.lock().map_err(|_| gone())?.send(job).map_err(|_| gone())?;
        let (r, finished) = result.await.map_err(|_| gone())??;
        self.notify(finished);
        Ok(r)
    }

    async fn read<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut dyn ReadTx) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let mut conn = self.reader()?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let f = move |tx: &mut dyn Tx| f(tx);
            let r = sqltx::run(&mut conn, "BEGIN", true, f).map(|(r, _)| r);
            if let Ok(mut pool) = this.inner.readers.lock() {
                pool.push(conn);
            }
            r
        })
        .await
        .map_err(|e| StorageError(format!("read task: {e}")))?
    }

    fn on_deadline_scheduled(&self, hook: DeadlineHook) {
        if let Ok(mut guard) = self.inner.hook.write() {
            *guard = Some(hook);
        }
    }

    fn on_publish(&self, hook: PublishHook) {
        if let Ok(mut guard) = self.inner.publish.write() {
            *guard = Some(hook);
        }
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
