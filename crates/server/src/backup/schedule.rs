//! The scheduled backup of the embedded database (`serve --backup-dir`): every
//! `--backup-every` a `youying-YYYYmmdd-HHMMSS.backup` (UTC) in the same format
//! as `youying backup`, the newest `--backup-keep` kept. The copy is a read
//! snapshot beside the writer, so requests are not held up. A failure is
//! logged and counted (`youying_backup_failures_total`); the last success is
//! the gauge `youying_backup_last_success_timestamp_seconds`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use tokio::sync::watch;
use youying_core::Clock;

use super::Result;
use crate::clock::SystemClock;
use crate::config::Config;

#[derive(Debug, Args, Clone)]
pub struct ScheduleArgs {
    /// Back the embedded database up into this directory on a schedule (off
    /// when unset). Each file holds the master key: the directory is made 0700.
    #[arg(long, env = "YOUYING_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,
    /// How often: `90s`, `30m`, `6h`, `1d` (at least one second).
    #[arg(long, env = "YOUYING_BACKUP_EVERY", default_value = "1d", value_parser = parse_every)]
    pub backup_every: Duration,
    /// How many backups to keep; older ones are deleted.
    #[arg(long, env = "YOUYING_BACKUP_KEEP", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    pub backup_keep: u32,
}

/// `90s`, `30m`, `6h`, `1d`.
pub fn parse_every(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{s:?}: write a number and a unit, e.g. 30m"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("{s:?}: the unit is s, m, h or d")),
    };
    if secs == 0 {
        return Err("the interval must be at least 1s".into());
    }
    Ok(Duration::from_secs(secs))
}

const PREFIX: &str = "youying-";
const SUFFIX: &str = ".backup";

/// Starts the loop when `--backup-dir` is set; refuses it for PostgreSQL,
/// whose backups belong to `pg_dump`'s own tooling (or `youying backup` from cron).
pub fn start(
    cfg: &Config,
    args: &ScheduleArgs,
    backend: &str,
    shutdown: watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(dir) = args.backup_dir.clone() else {
        return Ok(None);
    };
    if backend != "sqlite" {
        return Err(
            "--backup-dir backs up the embedded SQLite database; for PostgreSQL run `youying backup --to FILE` (pg_dump) from cron"
                .into(),
        );
    }
    make_private_dir(&dir)?;
    // Installed before the first tick, so both series exist from the start.
    let _ = crate::metrics::handle();
    metrics::counter!("youying_backup_failures_total").increment(0);
    let (cfg, every, keep) = (cfg.clone(), args.backup_every, args.backup_keep as usize);
    Ok(Some(tokio::spawn(run(cfg, dir, every, keep, shutdown))))
}

fn make_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create the backup dir {}: {e}", dir.display()))
}

async fn run(cfg: Config, dir: PathBuf, every: Duration, keep: usize, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        let now = SystemClock.now().millis();
        let file = dir.join(format!("{PREFIX}{}{SUFFIX}", super::utc_stamp(now, "", "-", "", "")));
        let started = std::time::Instant::now();
        match super::backup(&cfg, &file).await {
            Ok(m) => {
                metrics::gauge!("youying_backup_last_success_timestamp_seconds").set(now as f64 / 1000.0);
                metrics::histogram!("youying_backup_duration_seconds").record(started.elapsed().as_secs_f64());
                tracing::info!(file = %file.display(), events = m.evidence.events, "scheduled backup written");
                let d = dir.clone();
                let pruned = tokio::task::spawn_blocking(move || prune(&d, keep)).await;
                if let Ok(Err(e)) | Err(e) = pruned.map_err(|e| e.to_string()) {
                    tracing::warn!(error = %e, "removing old backups failed");
                }
            }
            Err(e) => {
                metrics::counter!("youying_backup_failures_total").increment(1);
                tracing::error!(error = %e, file = %file.display(), "scheduled backup failed; the next one retries");
            }
        }
    }
}

/// Keeps the newest `keep` backups (their names sort by time) and removes any
/// `.partial` a crash left behind.
pub fn prune(dir: &Path, keep: usize) -> Result<()> {
    let mut done = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("read {}: {e}", dir.display()))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PREFIX) {
            continue;
        }
        if name.ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        } else if name.ends_with(SUFFIX) {
            done.push(name);
        }
    }
    done.sort_unstable_by(|a, b| b.cmp(a));
    for old in done.iter().skip(keep) {
        std::fs::remove_file(dir.join(old)).map_err(|e| format!("remove {old}: {e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse() {
        assert_eq!(parse_every("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_every("6h"), Ok(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_every("1d"), Ok(Duration::from_secs(86_400)));
        assert!(parse_every("0s").is_err());
        assert!(parse_every("10").is_err());
        assert!(parse_every("m").is_err());
    }
}
