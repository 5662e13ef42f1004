//! `youying restore`: refuses a non-empty target, checks every checksum before
//! it writes anything, restores, then opens the restored store, verifies the
//! evidence chain, audits the ledger and compares both with the manifest. Only
//! then is it done; on any failure what it wrote is removed again.

use std::path::{Path, PathBuf};

use youying_core::Clock;
use youying_core::ports::Store;
use youying_store::{DbUrl, PgStore, SqliteStore};

use super::archive::{self, Checked};
use super::pg;
use super::{Backend, KEY_MEMBER, Manifest, PG_MEMBER, Result, SQLITE_MEMBER, blocking, facts, key_fingerprint};
use crate::clock::SystemClock;
use crate::config::Config;

/// Where the restore goes, decided before anything is written.
enum Target {
    /// The embedded database: `DIR/youying.db` and `DIR/master.key`.
    Sqlite { dir: PathBuf },
    /// An empty PostgreSQL database; the key (if in the backup) into `dir`.
    Postgres { url: String, dir: PathBuf },
}

/// What to take away again when the restore fails.
#[derive(Default)]
struct Undo {
    made_dir: Option<PathBuf>,
    files: Vec<PathBuf>,
    pg_url: Option<String>,
}

impl Undo {
    fn run(self) {
        for f in &self.files {
            let _ = std::fs::remove_file(f);
            for ext in ["-wal", "-shm"] {
                let mut side = f.clone().into_os_string();
                side.push(ext);
                let _ = std::fs::remove_file(side);
            }
        }
        if let Some(d) = self.made_dir {
            let _ = std::fs::remove_dir_all(d);
        }
        if let Some(url) = self.pg_url
            && let Err(e) = pg::wipe(&url)
        {
            tracing::error!(error = %e, "cleaning up the failed restore");
        }
    }
}

/// Restores `from` as `cfg` says (`--data-dir`, or `--database-url` for a
/// PostgreSQL backup); returns what was checked, for the operator.
pub async fn restore(from: &Path, cfg: &Config) -> Result<String> {
    let from = from.to_owned();
    let mut checked = blocking(move || archive::open_checked(&from)).await?;
    let target = target(&checked.manifest, cfg)?;
    let key = key_plan(&checked.manifest, cfg)?;
    if let Target::Postgres { dir, .. } = &target
        && key
        && dir.join(KEY_MEMBER).exists()
    {
        return Err(format!(
            "{} exists: the backup brings its own key; give an empty --data-dir",
            dir.join(KEY_MEMBER).display()
        ));
    }
    let mut undo = Undo::default();
    let result = async {
        let (checked, undo) = (&mut checked, &mut undo);
        match &target {
            Target::Sqlite { dir } => {
                prepare_dir(dir, undo)?;
                let db = dir.join(SQLITE_MEMBER);
                undo.files.push(db.clone());
                extract(checked, SQLITE_MEMBER, &db).await?;
                write_key(checked, key, dir, undo).await?;
                let now = SystemClock.now().millis();
                let store = blocking(move || SqliteStore::open(&db, false, now).map_err(|e| e.to_string())).await?;
                check(&store, &checked.manifest, true).await
            }
            Target::Postgres { url, dir } => {
                let staging = tempfile::Builder::new()
                    .prefix(".youying-restore-")
                    .tempdir_in(dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
                    .map_err(|e| format!("cannot create a staging dir: {e}"))?;
                let dump = staging.path().join(PG_MEMBER);
                extract(checked, PG_MEMBER, &dump).await?;
                undo.pg_url = Some(url.clone());
                let (u, d) = (url.clone(), dump.clone());
                blocking(move || pg::restore(&u, &d)).await?;
                if key && !dir.exists() {
                    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                    undo.made_dir = Some(dir.clone());
                }
                write_key(checked, key, dir, undo).await?;
                let (u, now) = (url.clone(), SystemClock.now().millis());
                let store = blocking(move || PgStore::open(&u, 2, now).map_err(|e| e.to_string())).await?;
                check(&store, &checked.manifest, false).await
            }
        }
    }
    .await;
    match result {
        Ok(said) => Ok(said),
        Err(e) => {
            blocking(move || {
                undo.run();
                Ok(())
            })
            .await?;
            Err(format!("{e}; nothing was left behind"))
        }
    }
}

fn target(m: &Manifest, cfg: &Config) -> Result<Target> {
    let url = cfg.database_url.as_deref().map(DbUrl::parse).transpose().map_err(|e| e.to_string())?;
    match (m.backend, url) {
        (Backend::Sqlite, None) => Ok(Target::Sqlite { dir: cfg.data_dir.clone() }),
        (Backend::Sqlite, Some(_)) => Err(
            "this is a backup of the embedded SQLite database: restore it with --data-dir DIR (it becomes DIR/youying.db), without --database-url".into(),
        ),
        (Backend::Postgres, Some(DbUrl::Postgres(url))) => {
            let u = url.clone();
            if !blocking_now(move || pg::is_empty(&u))? {
                return Err(format!(
                    "{} is not empty: restore into a new database (CREATE DATABASE …)",
                    youying_store::redact_url(&url)
                ));
            }
            Ok(Target::Postgres { url, dir: cfg.data_dir.clone() })
        }
        (Backend::Postgres, _) => {
            Err("this is a backup of a PostgreSQL database: give --database-url postgres://… of a new, empty database".into())
        }
    }
}

/// Runs a blocking check from the async restore without holding a worker.
fn blocking_now<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    tokio::task::block_in_place(f)
}

/// Whether the key file is to be written; errors when no usable key exists.
fn key_plan(m: &Manifest, cfg: &Config) -> Result<bool> {
    let given = cfg.master_key.as_deref().map(key_fingerprint);
    match (m.master_key.in_backup, given) {
        (true, None) => Ok(true),
        (_, Some(f)) if f == m.master_key.fingerprint => Ok(m.master_key.in_backup),
        (true, Some(_)) => Err("--master-key differs from the key in the backup: leave it out, the backup brings its own".into()),
        (false, Some(_)) => Err("--master-key is not the key this backup was made with".into()),
        (false, None) => Err(
            "the master key is not in this backup (it came from --master-key / YOUYING_MASTER_KEY): give the same key with --master-key"
                .into(),
        ),
    }
}

/// A missing directory is made (and removed on failure); an existing one must be empty.
fn prepare_dir(dir: &Path, undo: &mut Undo) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!("{} is not empty: restore into a new or empty directory", dir.display()));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            undo.made_dir = Some(dir.to_owned());
            Ok(())
        }
        Err(e) => Err(format!("cannot read {}: {e}", dir.display())),
    }
}

async fn extract(checked: &mut Checked, name: &str, dest: &Path) -> Result<()> {
    tokio::task::block_in_place(|| checked.extract(name, dest))
}

async fn write_key(checked: &mut Checked, key: bool, dir: &Path, undo: &mut Undo) -> Result<()> {
    if !key {
        return Ok(());
    }
    let path = dir.join(KEY_MEMBER);
    if path.exists() {
        return Err(format!("{} exists: move it away first, the backup brings its own key", path.display()));
    }
    undo.files.push(path.clone());
    extract(checked, KEY_MEMBER, &path).await
}

/// The restored store against the manifest: the chain verifies and reaches the
/// backed-up head, the ledger audits clean, and (SQLite, an exact copy) the
/// totals are the backed-up ones.
async fn check<S: Store>(store: &S, m: &Manifest, exact: bool) -> Result<String> {
    let (chain, ledger) = facts(store).await?;
    if !chain.verified {
        return Err("the restored evidence chain does not verify".into());
    }
    if !ledger.audit_ok {
        return Err("the restored ledger does not pass the audit".into());
    }
    if let Some(head) = &m.evidence.head_hash {
        let seq = m.evidence.head_seq;
        let found = store
            .read(move |tx| Ok(tx.events_after(seq - 1, 1)?.pop()))
            .await
            .map_err(|e| format!("read the evidence chain: {e}"))?;
        if found.as_ref().map(|e| &e.hash) != Some(head) {
            return Err(format!("the restored evidence chain does not hold the backed-up head (event {seq})"));
        }
    }
    if exact && (chain.events != m.evidence.events || ledger != m.ledger) {
        return Err(format!(
            "the restored database differs from the manifest: {} events / {:?}, expected {} / {:?}",
            chain.events, ledger, m.evidence.events, m.ledger
        ));
    }
    Ok(format!(
        "restored and verified: evidence chain OK ({} events, head {}), ledger audit OK (escrow {} fen), migration level {}, backup of {}",
        chain.events, chain.head_seq, ledger.escrow_fen, m.migration_level, m.created_at
    ))
}
