//! Backups that restore. `youying backup` copies a live database consistently —
//! SQLite with `VACUUM INTO` from a read-only connection (one WAL snapshot: it
//! never takes the writer's lock, so checkouts go on), PostgreSQL with `pg_dump
//! -Fc` — and packs the copy, the master key and a `manifest.json` of sizes and
//! SHA-256 sums into one zip file of mode 0600. The file is written as
//! `FILE.partial` and renamed, so a crash never leaves a file that looks
//! complete. `youying restore` checks every checksum before it writes anything,
//! restores, then verifies the evidence chain and audits the ledger before it
//! says done ([`restore`]). `serve --backup-dir` writes the same files on a
//! schedule ([`schedule`]).

mod archive;
mod pg;
mod restore;
pub mod schedule;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use youying_core::Clock;
use youying_core::ports::Store;
use youying_store::{DbUrl, PgStore, SqliteStore};

pub use self::restore::restore;
use crate::clock::SystemClock;
use crate::config::Config;

/// Messages for the operator; every step names what it was doing.
pub type Result<T> = std::result::Result<T, String>;

/// The layout of the file; a restore refuses a newer one.
pub const FORMAT: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
/// The SQLite copy, restored as `DATA_DIR/youying.db`.
pub const SQLITE_MEMBER: &str = "youying.db";
/// The `pg_dump -Fc` archive.
pub const PG_MEMBER: &str = "youying.pgdump";
pub const KEY_MEMBER: &str = crate::vault::KEY_FILE;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What `manifest.json` says about the backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub backend: Backend,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub created_at: String,
    pub created_at_ms: i64,
    pub youying_version: String,
    /// The newest schema migration the copied database had.
    pub migration_level: i64,
    /// Every other file in the backup.
    pub members: Vec<Member>,
    pub master_key: KeyNote,
    pub evidence: ChainFacts,
    pub ledger: LedgerTotals,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// Whether the card keys' master key is in the file; the fingerprint lets a
/// restore check a key given on the command line without storing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyNote {
    pub in_backup: bool,
    pub fingerprint: String,
}

/// The evidence chain in the copy. On SQLite the facts are read from the copy
/// itself; on PostgreSQL just before `pg_dump` takes its snapshot, so the dump
/// holds at least this chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainFacts {
    pub verified: bool,
    pub events: u64,
    pub head_seq: i64,
    pub head_hash: Option<String>,
}

/// The ledger's control totals at backup time (fen) and whether it audited clean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerTotals {
    pub audit_ok: bool,
    pub escrow_fen: i64,
    pub pending_withdrawals_fen: i64,
    pub gateway_clearing_fen: i64,
    pub paid_in_by_attempts_fen: i64,
}

/// Writes a backup of the configured database to `file` (which must not exist).
pub async fn backup(cfg: &Config, file: &Path) -> Result<Manifest> {
    if file.exists() {
        return Err(format!("{} already exists: a backup never overwrites a file", file.display()));
    }
    let partial = archive::partial_path(file);
    if partial.exists() {
        return Err(format!(
            "{} exists: another backup is being written, or one was interrupted (then remove it)",
            partial.display()
        ));
    }
    let parent = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let staging = tempfile::Builder::new()
        .prefix(".youying-backup-")
        .tempdir_in(&parent)
        .map_err(|e| format!("cannot create a staging dir in {}: {e}", parent.display()))?;
    let (key, fingerprint) = master_key(cfg)?;
    let now = SystemClock.now().millis();
    let started = std::time::Instant::now();
    let (backend, db_member, migration_level, (evidence, ledger)) = match cfg.db_url().map_err(|e| e.to_string())? {
        DbUrl::Sqlite { path, .. } => {
            let out = staging.path().join(SQLITE_MEMBER);
            let o = out.clone();
            blocking(move || sqlite_snapshot(&path, &o)).await?;
            tracing::info!(ms = started.elapsed().as_millis() as u64, "database snapshot copied");
            let o = out.clone();
            let copy = blocking(move || SqliteStore::open(&o, false, now).map_err(|e| e.to_string())).await?;
            let facts = facts(&copy).await?;
            drop(copy);
            // Read after the store opened it: that open migrates a copy an older
            // server made, and the level must be the copy's own.
            (Backend::Sqlite, SQLITE_MEMBER, blocking(move || migration_level(&out)).await?, facts)
        }
        DbUrl::Postgres(url) => {
            let u = url.clone();
            let store = blocking(move || PgStore::open(&u, 2, now).map_err(|e| e.to_string())).await?;
            let facts = facts(&store).await?;
            drop(store);
            let out = staging.path().join(PG_MEMBER);
            let level = blocking(move || pg::dump(&url, &out)).await?;
            tracing::info!(ms = started.elapsed().as_millis() as u64, "pg_dump done");
            (Backend::Postgres, PG_MEMBER, level, facts)
        }
    };
    let mut files = vec![(db_member.to_owned(), staging.path().join(db_member))];
    if let Some(hex) = &key {
        let path = staging.path().join(KEY_MEMBER);
        std::fs::write(&path, hex).map_err(|e| format!("cannot stage the master key: {e}"))?;
        files.push((KEY_MEMBER.to_owned(), path));
    }
    let file = file.to_owned();
    blocking(move || {
        let members = files.iter().map(|(n, p)| archive::describe(n, p)).collect::<Result<Vec<_>>>()?;
        let manifest = Manifest {
            format: FORMAT,
            backend,
            created_at: utc_stamp(now, "-", "T", ":", "Z"),
            created_at_ms: now,
            youying_version: env!("CARGO_PKG_VERSION").to_owned(),
            migration_level,
            members,
            master_key: KeyNote { in_backup: key.is_some(), fingerprint },
            evidence,
            ledger,
        };
        archive::write(&file, &manifest, &files)?;
        drop(staging);
        tracing::info!(ms = started.elapsed().as_millis() as u64, file = %file.display(), "backup written");
        Ok(manifest)
    })
    .await
}

/// Runs blocking work (files, SQLite, the sync PostgreSQL client) off the runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| format!("backup task: {e}"))?
}

/// The key as hex when it lives in the data dir (it goes into the backup), and
/// its fingerprint either way.
fn master_key(cfg: &Config) -> Result<(Option<String>, String)> {
    let (hex, in_file) = match &cfg.master_key {
        Some(k) => (k.trim().to_owned(), false),
        None => {
            let path = cfg.data_dir.join(KEY_MEMBER);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "cannot read the master key {}: {e} (give --master-key if it is kept elsewhere)",
                    path.display()
                )
            })?;
            (text.trim().to_owned(), true)
        }
    };
    crate::vault::Vault::from_hex(&hex).map_err(|e| e.to_string())?;
    let fingerprint = key_fingerprint(&hex);
    Ok((in_file.then_some(hex), fingerprint))
}

/// A one-way tag of the key: tells two keys apart, reveals nothing of them.
pub fn key_fingerprint(hex_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"youying master key fingerprint v1");
    h.update(hex_key.trim().to_ascii_lowercase().as_bytes());
    hex::encode(h.finalize())
}

const READ_ONLY: rusqlite::OpenFlags =
    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY.union(rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX);

/// `VACUUM INTO` from a read-only connection: one read transaction, so the copy
/// is one consistent snapshot, and in WAL mode the writer never waits on it.
fn sqlite_snapshot(live: &Path, out: &Path) -> Result<()> {
    let conn =
        rusqlite::Connection::open_with_flags(live, READ_ONLY).map_err(|e| format!("open {}: {e}", live.display()))?;
    let into = out.to_str().ok_or("the backup path is not UTF-8")?;
    conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| e.to_string())?;
    conn.execute("VACUUM INTO ?1", [into]).map_err(|e| format!("copy {}: {e}", live.display()))?;
    Ok(())
}

fn migration_level(db: &Path) -> Result<i64> {
    let conn = rusqlite::Connection::open_with_flags(db, READ_ONLY).map_err(|e| format!("open the copy: {e}"))?;
    conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))
        .map_err(|e| format!("read the migration level: {e}"))
}

/// The chain's head and the ledger's totals, and whether both check out.
async fn facts<S: Store>(store: &S) -> Result<(ChainFacts, LedgerTotals)> {
    store
        .read(|tx| {
            let v = crate::app::evidence::verify_chain(tx)?;
            let head = match v.checked {
                0 => None,
                n => tx.events_after(n as i64 - 1, 1)?.pop(),
            };
            let a = tx.ledger_audit()?;
            let totals = LedgerTotals {
                audit_ok: crate::api::wallet::audit_view(a.clone()).ok,
                escrow_fen: a.escrow_balance,
                pending_withdrawals_fen: a.pending_withdrawals_balance,
                gateway_clearing_fen: a.gateway_clearing_balance,
                paid_in_by_attempts_fen: a.paid_in_by_attempts,
            };
            let chain = ChainFacts {
                verified: v.ok,
                events: v.checked,
                head_seq: head.as_ref().map_or(0, |e| e.seq),
                head_hash: head.map(|e| e.hash),
            };
            Ok((chain, totals))
        })
        .await
        .map_err(|e| format!("read the evidence chain and the ledger: {e}"))
}

/// Milliseconds since the epoch as UTC, e.g. `utc_stamp(t, "", "-", "", "")` →
/// `20261208-033000`.
pub fn utc_stamp(ms: i64, date_sep: &str, mid: &str, time_sep: &str, end: &str) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = crate::fmt::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    format!("{y:04}{date_sep}{m:02}{date_sep}{d:02}{mid}{hh:02}{time_sep}{mm:02}{time_sep}{ss:02}{end}")
}

/// `youying backup`: prints what was written.
pub async fn run(cfg: &Config, file: &Path) -> Result<bool> {
    let m = backup(cfg, file).await?;
    let size: u64 = m.members.iter().map(|x| x.size).sum();
    #[allow(clippy::print_stdout)]
    {
        println!(
            "backup written: {} ({} database, {} bytes, migration {}, {} evidence events{}, ledger audit {})",
            file.display(),
            match m.backend {
                Backend::Sqlite => "SQLite",
                Backend::Postgres => "PostgreSQL",
            },
            size,
            m.migration_level,
            m.evidence.events,
            if m.evidence.verified { "" } else { " — CHAIN BROKEN in the source" },
            if m.ledger.audit_ok { "OK" } else { "FAILED in the source" },
        );
        if m.master_key.in_backup {
            println!("the file holds the master key: keep it private (mode 0600)");
        } else {
            println!("the master key came from --master-key / YOUYING_MASTER_KEY and is NOT in the file: keep it too");
        }
    }
    Ok(m.evidence.verified && m.ledger.audit_ok)
}

/// `youying restore`: prints what was checked, then `done`.
pub async fn run_restore(from: &Path, cfg: &Config) -> Result<bool> {
    let said = restore(from, cfg).await?;
    #[allow(clippy::print_stdout)]
    {
        println!("{said}");
        println!("done");
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc() {
        // 2026-12-08 03:04:05 UTC
        let ms = 1_796_699_045_000;
        assert_eq!(utc_stamp(ms, "", "-", "", ""), "20261208-030405");
        assert_eq!(utc_stamp(ms, "-", "T", ":", "Z"), "2026-12-08T03:04:05Z");
    }

    #[test]
    fn fingerprints_tell_keys_apart() {
        let a = key_fingerprint(&"42".repeat(32));
        assert_eq!(a, key_fingerprint(&format!("{}\n", "42".repeat(32))));
        assert_ne!(a, key_fingerprint(&"43".repeat(32)));
        assert!(!a.contains(&"42".repeat(4)));
    }
}
