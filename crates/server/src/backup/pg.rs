//! PostgreSQL's documented path: `pg_dump -Fc` of the live database and
//! `pg_restore` into an empty one, with the client tools that match the
//! server. Blocking: call from `spawn_blocking`. The password never reaches a
//! command line (`PGPASSWORD` instead).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Result;

fn connect(url: &str) -> Result<postgres::Client> {
    postgres::Client::connect(url, postgres::NoTls)
        .map_err(|e| format!("cannot connect to {}: {e}", youying_store::redact_url(url)))
}

fn server_major(c: &mut postgres::Client) -> Result<u32> {
    let row = c.query_one("SHOW server_version_num", &[]).map_err(|e| format!("server version: {e}"))?;
    let num: String = row.get(0);
    num.parse::<u32>().map(|n| n / 10_000).map_err(|e| format!("server version {num:?}: {e}"))
}

/// The client tool `name` for a server of major version `major`: the same
/// major, or else the oldest newer one (pg_dump reads older servers), from the
/// PATH or `/usr/lib/postgresql/*/bin`.
fn tool(name: &str, major: u32) -> Result<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = Vec::new();
    if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
        for d in dirs.flatten() {
            let path = d.path().join("bin").join(name);
            if let (Some(v), true) = (d.file_name().to_str().and_then(|s| s.parse().ok()), path.exists()) {
                found.push((v, path));
            }
        }
    }
    if let Ok(out) = Command::new(name).arg("--version").output() {
        // "pg_dump (PostgreSQL) 15.20 (Debian …)"
        let text = String::from_utf8_lossy(&out.stdout);
        let v = text.split_whitespace().nth(2).and_then(|v| v.split('.').next()).and_then(|v| v.parse().ok());
        if let Some(v) = v {
            found.push((v, PathBuf::from(name)));
        }
    }
    found.sort();
    found.iter().find(|(v, _)| *v == major).or_else(|| found.iter().find(|(v, _)| *v > major)).map(|(_, p)| p.clone()).ok_or_else(|| {
        let have: Vec<String> = found.iter().map(|(v, p)| format!("{v} at {}", p.display())).collect();
        format!(
            "{name} for PostgreSQL {major} not found on the PATH nor in /usr/lib/postgresql/*/bin (found: {}); install postgresql-client-{major}",
            if have.is_empty() { "none".to_owned() } else { have.join(", ") }
        )
    })
}

/// The URL without its password, and the password.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let Some((cred, host)) = rest.split_once('@') else {
        return (url.to_owned(), None);
    };
    match cred.split_once(':') {
        Some((user, pw)) => (format!("{scheme}://{user}@{host}"), Some(pw.to_owned())),
        None => (url.to_owned(), None),
    }
}

fn run(tool: &Path, args: &[&str], url: &str) -> Result<()> {
    let (bare, password) = split_password(url);
    let mut cmd = Command::new(tool);
    cmd.args(args).arg("--dbname").arg(&bare);
    if let Some(pw) = password {
        cmd.env("PGPASSWORD", pw);
    }
    let out = cmd.output().map_err(|e| format!("cannot run {}: {e}", tool.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    Err(format!("{} failed ({}): {}", tool.display(), out.status, err.trim()))
}

/// Dumps the database at `url` into `out` (custom format); returns its
/// migration level.
pub fn dump(url: &str, out: &Path) -> Result<i64> {
    let mut c = connect(url)?;
    let pg_dump = tool("pg_dump", server_major(&mut c)?)?;
    let level: i64 = c
        .query_one("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations", &[])
        .map_err(|e| format!("read the migration level: {e}"))?
        .get(0);
    let file = out.to_str().ok_or("the staging path is not UTF-8")?;
    run(&pg_dump, &["--format=custom", "--no-owner", "--no-privileges", "--file", file], url)?;
    Ok(level)
}

/// Whether the database holds no relations of its own (a fresh `CREATE DATABASE`).
pub fn is_empty(url: &str) -> Result<bool> {
    let mut c = connect(url)?;
    let row = c
        .query_one(
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' \
             AND n.nspname NOT LIKE 'pg_temp%'",
            &[],
        )
        .map_err(|e| format!("inspect {}: {e}", youying_store::redact_url(url)))?;
    Ok(row.get::<_, i64>(0) == 0)
}

/// Restores `dump` into the (empty) database at `url` in one transaction.
pub fn restore(url: &str, dump: &Path) -> Result<()> {
    let mut c = connect(url)?;
    let pg_restore = tool("pg_restore", server_major(&mut c)?)?;
    let file = dump.to_str().ok_or("the staging path is not UTF-8")?;
    run(&pg_restore, &["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", file], url)
}

/// Empties the database again after a restore that did not verify: it was
/// empty before, so everything in its schema is what the restore made.
pub fn wipe(url: &str) -> Result<()> {
    let mut c = connect(url)?;
    c.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION pg_database_owner")
        .map_err(|e| format!("could not empty {} again: {e}", youying_store::redact_url(url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_off_the_command_line() {
        assert_eq!(
            split_password("postgres://u:s3cret@h:5432/db?sslmode=disable"),
            ("postgres://u@h:5432/db?sslmode=disable".to_owned(), Some("s3cret".to_owned()))
        );
        assert_eq!(split_password("postgres://u@h/db"), ("postgres://u@h/db".to_owned(), None));
    }
}
