//! Runtime configuration, from flags or `YOUYING_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use youying_core::error::Result;
use youying_store::DbUrl;

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// `None`: the embedded default, `DATA_DIR/youying.db`, created when missing.
    pub database_url: Option<String>,
    pub demo: bool,
    /// Mark cookies `Secure`. Browsers honour Secure cookies on http://localhost,
    /// so this stays on unless the platform is served over plain HTTP elsewhere.
    pub secure_cookies: bool,
    pub pg_pool: usize,
    /// How the platform is reached from outside (`https://kameng.example`), for
    /// links it hands out; by default the request's own host.
    pub public_url: Option<String>,
    /// Hex master key for card keys; `None`: the data dir's key file.
    pub master_key: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(youying_store::redact_url))
            .field("demo", &self.demo)
            .field("secure_cookies", &self.secure_cookies)
            .field("pg_pool", &self.pg_pool)
            .field("public_url", &self.public_url)
            .field("master_key", &self.master_key.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Config {
    /// The database to open: the explicit URL, or the embedded default.
    pub fn db_url(&self) -> Result<DbUrl> {
        match &self.database_url {
            Some(url) => DbUrl::parse(url),
            None => Ok(DbUrl::Sqlite { path: self.data_dir.join("youying.db"), create: true }),
        }
    }
}
