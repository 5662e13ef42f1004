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
    Migration { version: 4, sql: include_str!("../migrations/sqlite/0004_chat_media.sql") },
    Migration { version: 5, sql: include_str!("../migrations/sqlite/0005_mail.sql") },
    Migration { version: 6, sql: include_str!("../migrations/sqlite/0006_deadlines_by_due.sql") },
    Migration { version: 7, sql: include_str!("../migrations/sqlite/0007_cases.sql") },
    Migration { version: 8, sql: include_str!("../migrations/sqlite/0008_enforcement.sql") },
    Migration { version: 9, sql: include_str!("../migrations/sqlite/0009_anchors.sql") },
    Migration { version: 10, sql: include_str!("../migrations/sqlite/0010_trust.sql") },
    Migration { version: 11, sql: include_str!("../migrations/sqlite/0011_grades.sql") },
    Migration { version: 12, sql: include_str!("../migrations/sqlite/0012_quiz.sql") },
    Migration { version: 13, sql: include_str!("../migrations/sqlite/0013_gateways.sql") },
    Migration { version: 14, sql: include_str!("../migrations/sqlite/0014_payments.sql") },
    Migration { version: 15, sql: include_str!("../migrations/sqlite/0015_withdrawals.sql") },
    Migration { version: 16, sql: include_str!("../migrations/sqlite/0016_guests.sql") },
    Migration { version: 17, sql: include_str!("../migrations/sqlite/0017_levels.sql") },
    Migration { version: 18, sql: include_str!("../migrations/sqlite/0018_api_keys.sql") },
    Migration { version: 19, sql: include_str!("../migrations/sqlite/0019_outbound.sql") },
    Migration { version: 20, sql: include_str!("../migrations/sqlite/0020_sourcing.sql") },
    Migration { version: 21, sql: include_str!("../migrations/sqlite/0021_upstream_cases.sql") },
    Migration { version: 22, sql: include_str!("../migrations/sqlite/0022_suppliers.sql") },
    Migration { version: 23, sql: include_str!("../migrations/sqlite/0023_push.sql") },
    Migration { version: 24, sql: include_str!("../migrations/sqlite/0024_outages.sql") },
    Migration { version: 27, sql: include_str!("../migrations/sqlite/0027_review_resubmit.sql") },
    Migration { version: 28, sql: include_str!("../migrations/sqlite/0028_product_sales.sql") },
    Migration { version: 30, sql: include_str!("../migrations/sqlite/0030_verifications.sql") },
    Migration { version: 31, sql: include_str!("../migrations/sqlite/0031_chain_partitions.sql") },
    Migration { version: 32, sql: include_str!("../migrations/sqlite/0032_escrow_shards.sql") },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../migrations/postgres/0001_foundation.sql") },
    Migration { version: 2, sql: include_str!("../migrations/postgres/0002_market.sql") },
    Migration { version: 3, sql: include_str!("../migrations/postgres/0003_chat.sql") },
    Migration { version: 4, sql: include_str!("../migrations/postgres/0004_chat_media.sql") },
    Migration { version: 5, sql: include_str!("../migrations/postgres/0005_mail.sql") },
    Migration { version: 7, sql: include_str!("../migrations/postgres/0007_cases.sql") },
    Migration { version: 8, sql: include_str!("../migrations/postgres/0008_enforcement.sql") },
    Migration { version: 9, sql: include_str!("../migrations/postgres/0009_anchors.sql") },
    Migration { version: 10, sql: include_str!("../migrations/postgres/0010_trust.sql") },
    Migration { version: 11, sql: include_str!("../migrations/postgres/0011_grades.sql") },
    Migration { version: 12, sql: include_str!("../migrations/postgres/0012_quiz.sql") },
    Migration { version: 13, sql: include_str!("../migrations/postgres/0013_gateways.sql") },
    Migration { version: 14, sql: include_str!("../migrations/postgres/0014_payments.sql") },
    Migration { version: 15, sql: include_str!("../migrations/postgres/0015_withdrawals.sql") },
    Migration { version: 16, sql: include_str!("../migrations/postgres/0016_guests.sql") },
    Migration { version: 17, sql: include_str!("../migrations/postgres/0017_levels.sql") },
    Migration { version: 18, sql: include_str!("../migrations/postgres/0018_api_keys.sql") },
    Migration { version: 19, sql: include_str!("../migrations/postgres/0019_outbound.sql") },
    Migration { version: 20, sql: include_str!("../migrations/postgres/0020_sourcing.sql") },
    Migration { version: 21, sql: include_str!("../migrations/postgres/0021_upstream_cases.sql") },
    Migration { version: 22, sql: include_str!("../migrations/postgres/0022_suppliers.sql") },
    Migration { version: 23, sql: include_str!("../migrations/postgres/0023_push.sql") },
    Migration { version: 24, sql: include_str!("../migrations/postgres/0024_outages.sql") },
    Migration { version: 27, sql: include_str!("../migrations/postgres/0027_review_resubmit.sql") },
    Migration { version: 28, sql: include_str!("../migrations/postgres/0028_product_sales.sql") },
    Migration { version: 30, sql: include_str!("../migrations/postgres/0030_verifications.sql") },
    Migration { version: 31, sql: include_str!("../migrations/postgres/0031_chain_partitions.sql") },
    Migration { version: 32, sql: include_str!("../migrations/postgres/0032_escrow_shards.sql") },
];

/// Applies what is missing; returns how many migrations ran. On SQLite,
/// foreign keys are off while migrations rebuild tables (the only way SQLite
/// can change a table's storage), checked before commit, and back on after.
pub(crate) fn migrate<C: Conn>(conn: &mut C, now_ms: i64) -> Result<usize> {
    let sqlite = conn.dialect() == Dialect::Sqlite;
    let err = |e: crate::sql::DbError| StorageError(format!("migration: {}", e.message));
    if sqlite {
        conn.batch("PRAGMA foreign_keys = OFF").map_err(err)?;
    }
    let list = if sqlite { SQLITE } else { POSTGRES };
    let ran = migrate_list(conn, list, now_ms);
    if sqlite {
        conn.batch("PRAGMA foreign_keys = ON").map_err(err)?;
    }
    ran
}

fn migrate_list<C: Conn>(conn: &mut C, list: &[Migration], now_ms: i64) -> Result<usize> {
    let begin = match conn.dialect() {
        Dialect::Sqlite => "BEGIN IMMEDIATE",
        Dialect::Postgres => "BEGIN",
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
        if conn.dialect() == Dialect::Sqlite && ran > 0 {
            let broken = conn.query("PRAGMA foreign_key_check", &[]).map_err(err)?;
            if let Some(r) = broken.first() {
                return Err(StorageError(format!("migration broke a foreign key in table {}", r.text(0)?)).into());
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::SqliteConn;
    use crate::sqltx::SqlTx;
    use youying_core::Timestamp;
    use youying_core::deadline::{DeadlineKind, DeadlineState, NewDeadline};
    use youying_core::ports::{ReadTx, Tx};
    use youying_core::values::DeadlineId;

    /// A database made before deadlines were kept in due order keeps every
    /// deadline, its id and the references to it, and foreign keys stay on.
    #[test]
    fn deadlines_survive_their_table_rebuild() {
        let mut conn = SqliteConn::in_memory();
        let before: Vec<Migration> =
            SQLITE.iter().filter(|m| m.version <= 3).map(|m| Migration { version: m.version, sql: m.sql }).collect();
        migrate_list(&mut conn, &before, 1).unwrap();
        conn.batch(
            "INSERT INTO users (id, username, username_key, role, password_hash, created_at) VALUES (1, 'o', 'o', 'buyer', 'h', 1);
             INSERT INTO shops (id, name, name_key, owner_id, created_at) VALUES (1, 's', 's', 1, 1);
             INSERT INTO deadlines (id, kind, subject, due_at, state, created_at, payload) VALUES (7, 'invite_expiry', 'invite:1', 500, 'pending', 1, '{\"invite_id\":1}');
             INSERT INTO deadlines (id, kind, subject, due_at, state, created_at, fired_at, payload) VALUES (9, 'probe', 'probe:9', 50, 'fired', 1, 60, '{}');
             INSERT INTO invites (id, shop_id, created_by, token_hash, state, created_at, expires_at, deadline_id) VALUES (1, 1, 1, 't', 'pending', 1, 500, 7);",
        )
        .unwrap();

        assert!(migrate(&mut conn, 2).unwrap() >= 1);

        let fk = conn.query("PRAGMA foreign_keys", &[]).unwrap();
        assert_eq!(fk[0].int(0).unwrap(), 1, "foreign keys back on");
        let orphan = conn.batch(
            "INSERT INTO invites (id, shop_id, created_by, token_hash, state, created_at, expires_at, deadline_id) VALUES (2, 1, 1, 'u', 'pending', 1, 500, 999)",
        );
        assert!(orphan.is_err(), "an invite cannot point at a missing deadline");
        let mut tx = SqlTx::new(&mut conn, false);
        let kept = tx.deadline(DeadlineId(7)).unwrap().unwrap();
        assert_eq!(
            (kept.due_at, kept.state, kept.subject.as_str()),
            (Timestamp::from_millis(500), DeadlineState::Pending, "invite:1")
        );
        assert_eq!(tx.deadline(DeadlineId(9)).unwrap().unwrap().state, DeadlineState::Fired);
        let next = tx
            .schedule(&NewDeadline {
                kind: DeadlineKind::Probe,
                subject: "probe:new".into(),
                due_at: Timestamp::from_millis(10),
                created_at: Timestamp::from_millis(2),
                payload: serde_json::json!({}),
            })
            .unwrap();
        assert_eq!(next, DeadlineId(10), "ids continue after the highest");
        let due = tx.claim_due(Timestamp::from_millis(1_000), 10).unwrap();
        assert_eq!(due.iter().map(|d| d.id.0).collect::<Vec<_>>(), vec![10, 7], "pending ones, in due order");
    }
}
