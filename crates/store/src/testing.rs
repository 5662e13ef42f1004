//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database created for one test and dropped after it. Used by this crate's
//! contract suite and by the testkit; not by the server.

use std::sync::atomic::{AtomicU64, Ordering};

use youying_core::error::Result;

use crate::{PgStore, SqliteStore};

/// The server tests create databases on; `YOUYING_TEST_PG_URL` overrides it.
pub fn pg_admin_url() -> String {
    std::env::var("YOUYING_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Under `CI=true` a PostgreSQL run that could not happen is a failure.
pub fn pg_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

#[derive(Debug)]
pub enum TestDb {
    Sqlite { dir: tempfile::TempDir },
    Postgres { admin_url: String, name: String, url: String },
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        TestDb::Sqlite { dir }
    }

    /// A new, empty PostgreSQL database, or `None` (with a note on stderr) when
    /// no server answers and the run is not CI. Call from a blocking context.
    pub fn postgres() -> Option<Self> {
        let admin_url = pg_admin_url();
        let name = format!("yy_test_{}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos());
        let created = std::thread::scope(|s| {
            s.spawn(|| -> std::result::Result<(), postgres::Error> {
                let mut c = postgres::Client::connect(&admin_url, postgres::NoTls)?;
                c.batch_execute(&format!("CREATE DATABASE {name}"))
            })
            .join()
        });
        match created {
            Ok(Ok(())) => {}
            other => {
                assert!(!pg_required(), "CI=true but PostgreSQL at {admin_url} is unavailable: {other:?}");
                eprintln!("skipping PostgreSQL half: {other:?}");
                return None;
            }
        }
        let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Some(TestDb::Postgres { admin_url, name, url })
    }

    /// The URL the server would be given for this database.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { dir } => format!("sqlite://{}?mode=rwc", dir.path().join("youying.db").display()),
            TestDb::Postgres { url, .. } => url.clone(),
        }
    }

    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        match self {
            TestDb::Sqlite { dir } => Some(dir.path().join("youying.db")),
            TestDb::Postgres { .. } => None,
        }
    }

    pub fn open_sqlite(&self) -> Result<SqliteStore> {
        let path = self.sqlite_path().expect("a SQLite test database");
        SqliteStore::open(&path, true, 0)
    }

    /// Opens a store on this database (a second call is a second "instance").
    pub async fn open_postgres(&self, pool: usize) -> Result<PgStore> {
        let url = self.url();
        tokio::task::spawn_blocking(move || PgStore::open(&url, pool, 0)).await.expect("open task")
    }
}

impl TestDb {
    /// Applies only the migrations numbered below `version`, as an older
    /// release left the database, so a test can write rows the old way and
    /// then open the store (which applies the rest). Blocking.
    pub fn migrate_before(&self, version: i64) {
        const TABLE: &str =
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);";
        let (list, path) = match self.sqlite_path() {
            Some(p) => (crate::migrate::SQLITE, Some(p)),
            None => (crate::migrate::POSTGRES, None),
        };
        let mut sql = format!("BEGIN; {TABLE}");
        for m in list.iter().filter(|m| m.version < version) {
            sql.push_str(m.sql);
            sql.push_str(&format!(
                ";\nINSERT INTO schema_migrations (version, applied_at) VALUES ({}, 0);\n",
                m.version
            ));
        }
        sql.push_str("COMMIT;");
        match path {
            Some(p) => rusqlite::Connection::open(p).and_then(|c| c.execute_batch(&sql)).expect("old migrations"),
            None => {
                let url = self.url();
                std::thread::spawn(move || {
                    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
                    c.batch_execute(&sql).expect("old migrations");
                })
                .join()
                .expect("old migrations");
            }
        }
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() % 1_000_000).unwrap_or(0)
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name, .. } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // The sync client must not run on an async worker thread.
            let _ = std::thread::spawn(move || {
                if let Ok(mut c) = postgres::Client::connect(&admin_url, postgres::NoTls) {
                    let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            })
            .join();
        }
    }
}

/// Expands a test body once per backend: `mod name { sqlite(), postgres() }`.
/// Inside the body, `$store` is a fresh store and `$db` its [`TestDb`].
#[macro_export]
macro_rules! store_test {
    ($name:ident, |$store:ident, $db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $db = $crate::testing::TestDb::sqlite();
                let $store = $db.open_sqlite().expect("open sqlite");
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($db) = tokio::task::spawn_blocking($crate::testing::TestDb::postgres).await.expect("db task")
                else {
                    return;
                };
                let $store = $db.open_postgres(8).await.expect("open postgres");
                $body
            }
        }
    };
}
