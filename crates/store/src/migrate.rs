//! Schema migrations, one ordered list per backend, applied at start in one
//! transaction. On PostgreSQL an advisory lock lets several instances start at
//! once without racing each other.

use youying_core::error::{Result, StorageError};

use crate::sql::{Conn, Dialect, params};

pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) sql: &'static str,
}

pub(crate) const SQLITE: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../migrations/sqlite/0001_foundation.sql") },
    Migration { version: 2, sql: include_str!("../migrations/sqlite/0002_market.sql") },
    Migration { version: 3, sql: include_str!("../migrations/sqlite/0003_chat.sql") },
    Migration { version: 8, sql: include_str!("../migrations/sqlite/0008_enforcement.sql") },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../migrations/postgres/0001_foundation.sql") },
    Migration { version: 2, sql: include_str!("../migrations/postgres/0002_market.sql") },
    Migration { version: 3, sql: include_str!("../migrations/postgres/0003_chat.sql") },
    Migration { version: 8, sql: include_str!("../migrations/postgres/0008_enforcement.sql") },
];

/// Applies what is missing; returns how many migrations ran.
pub(crate) fn migrate<C: Conn>(conn: &mut C, now_ms: i64) -> Result<usize> {
    let (list, begin) = match conn.dialect() {
        Dialect::Sqlite => (SQLITE, "BEGIN IMMEDIATE"),
        Dialect::Postgres => (POSTGRES, "BEGIN"),
    };
    let err = |e: crate::sql::DbError| StorageError(format!("migration: {}", e.message));
    conn.batch(begin).map_err(err)?;
    let result = (|| {
        if conn.dialect() == Dialect::Postgres {
            conn.batch("SELECT pg_advisory_xact_lock(727001)").map_err(err)?;
        }
        conn.batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .map_err(err)?;
        let applied: Vec<i64> = conn
            .query("SELECT version FROM schema_migrations", &[])
            .map_err(err)?
            .iter()
            .map(|r| r.int(0))
            .collect::<Result<_>>()?;
        let mut ran = 0;
        for m in list.iter().filter(|m| !applied.contains(&m.version)) {
            conn.batch(m.sql).map_err(err)?;
            conn.exec(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                params![m.version, now_ms],
            )
            .map_err(err)?;
            ran += 1;
        }
        Ok(ran)
    })();
    match result {
        Ok(ran) => {
            conn.batch("COMMIT").map_err(err)?;
            Ok(ran)
        }
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}
