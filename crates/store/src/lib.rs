//! Persistence for Youying: the core's [`Tx`](youying_core::ports::Tx) port on
//! SQLite and PostgreSQL. The backend is picked once, from the database URL.

mod accounts;
mod anchor;
mod apikeys;
mod bot;
mod cases;
mod chat;
mod enforcement;
mod grades;
mod ledger;
mod levels;
mod mail;
mod market;
mod migrate;
mod order_list;
mod outage;
mod outbound;
mod payments;
pub mod postgres;
mod push;
mod quiz;
mod reviews;
mod sourcing;
mod sql;
pub mod sqlite;
mod sqltx;
pub mod testing;
mod upstream_cases;
mod verifications;
mod withdrawals;

use std::path::PathBuf;

use youying_core::error::{Error, Result, StorageError};

pub use crate::postgres::PgStore;
pub use crate::sqlite::SqliteStore;

/// Where the data lives, parsed from a URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// `sqlite://path` (`?mode=rwc` to create a missing file).
    Sqlite { path: PathBuf, create: bool },
    /// `postgres://…` or `postgresql://…`.
    Postgres(String),
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbUrl::Sqlite { path, create } => {
                f.debug_struct("Sqlite").field("path", path).field("create", create).finish()
            }
            DbUrl::Postgres(url) => f.debug_tuple("Postgres").field(&redact_url(url)).finish(),
        }
    }
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<Self> {
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(StorageError("sqlite URL has no path".into()).into());
            }
            let create = query.split('&').any(|kv| kv == "mode=rwc");
            return Ok(DbUrl::Sqlite { path: PathBuf::from(path), create });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        let scheme = url.split(':').next().unwrap_or("");
        Err(Error::Storage(StorageError(format!(
            "unknown database URL scheme {scheme:?}: use sqlite://PATH or postgres://…"
        ))))
    }
}

/// The URL with any password replaced, for logs and `Debug`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((cred, host)) => match cred.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            DbUrl::parse("sqlite://data/y.db").unwrap(),
            DbUrl::Sqlite { path: "data/y.db".into(), create: false }
        );
        assert_eq!(
            DbUrl::parse("sqlite:///tmp/y.db?mode=rwc").unwrap(),
            DbUrl::Sqlite { path: "/tmp/y.db".into(), create: true }
        );
        assert!(matches!(DbUrl::parse("postgres://u:p@h/db").unwrap(), DbUrl::Postgres(_)));
        assert!(DbUrl::parse("mysql://x").is_err());
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert!(!format!("{:?}", DbUrl::parse("postgres://u:secret@h/db").unwrap()).contains("secret"));
    }
}
