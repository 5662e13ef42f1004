//! Runtime configuration, from flags or `YOUYING_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lettre::transport::smtp::Error as SmtpError;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
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
    /// The bearer token `/metrics` asks for; `None`: loopback callers only.
    pub metrics_token: Option<String>,
}

impl Config {
    /// The platform's address for links and callbacks: `--public-url`, or else
    /// the `Host` the request came in on.
    pub fn site_url(&self, headers: &axum::http::HeaderMap) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => {
                let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok());
                format!("http://{}", host.unwrap_or("127.0.0.1"))
            }
        }
    }

    /// The platform's address as this server sees itself, listening on
    /// `addr`: `--public-url`, or the bound address (`localhost` for a wildcard).
    pub fn own_url(&self, addr: SocketAddr) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None if addr.ip().is_unspecified() => format!("http://localhost:{}", addr.port()),
            None => format!("http://{addr}"),
        }
    }
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
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
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

/// The default sender of notification mail.
pub const DEFAULT_MAIL_FROM: &str = "有应 <noreply@localhost>";

/// Outgoing mail: present only when an SMTP server was configured, and then
/// known to be usable — the URL and the sender were checked when it was built.
#[derive(Clone)]
pub struct MailConfig {
    smtp_url: String,
    from: lettre::message::Mailbox,
}

/// A stuck SMTP server must not hold the mailer: each send gives up after this.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// An SMTP transport for `url` (`smtp://`, `smtp://…?tls=required`, `smtps://`):
/// built once here to check the URL at startup, and by the mailer to send.
pub fn transport(url: &str) -> std::result::Result<AsyncSmtpTransport<Tokio1Executor>, SmtpError> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.timeout(Some(SMTP_TIMEOUT)).build())
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &youying_store::redact_url(&self.smtp_url))
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl MailConfig {
    /// `smtp://[USER:PASS@]HOST[:PORT]` (plain; add `?tls=required` for
    /// STARTTLS) or `smtps://[USER:PASS@]HOST[:PORT]` (TLS from the start), and
    /// the `From` of every mail. Errors name the URL with its password hidden.
    pub fn new(smtp_url: &str, from: &str) -> std::result::Result<Self, String> {
        let shown = youying_store::redact_url(smtp_url);
        if !(smtp_url.starts_with("smtp://") || smtp_url.starts_with("smtps://")) {
            return Err(format!("--smtp-url {shown}: use smtp://HOST:PORT or smtps://HOST:PORT"));
        }
        transport(smtp_url).map_err(|e| format!("--smtp-url {shown}: {e}"))?;
        let from = lettre::message::Mailbox::from_str(from.trim())
            .map_err(|e| format!("--mail-from {from:?} is not an address like 有应 <noreply@example.com>: {e}"))?;
        Ok(Self { smtp_url: smtp_url.to_owned(), from })
    }

    pub fn smtp_url(&self) -> &str {
        &self.smtp_url
    }

    pub fn from(&self) -> &lettre::message::Mailbox {
        &self.from
    }
}

/// Where the push channels' services are reached (see [`crate::push`]): the
/// real ones by default, any address for tests and self-hosted relays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushApis {
    /// Telegram Bot API: `{base}/bot{token}/sendMessage`.
    pub telegram: String,
    /// 企业微信 group robots: `{base}/cgi-bin/webhook/send?key={key}`.
    pub wecom: String,
    /// Server酱: `{base}/{sendkey}.send`.
    pub serverchan: String,
}

pub const TELEGRAM_API: &str = "https://api.telegram.org";
pub const WECOM_API: &str = "https://qyapi.weixin.qq.com";
pub const SERVERCHAN_API: &str = "https://sctapi.ftqq.com";

impl Default for PushApis {
    fn default() -> Self {
        Self { telegram: TELEGRAM_API.to_owned(), wecom: WECOM_API.to_owned(), serverchan: SERVERCHAN_API.to_owned() }
    }
}

impl PushApis {
    /// All three at one address (a relay, or the test fake that tells them apart by path).
    pub fn all_at(base: &str) -> Self {
        let b = base.trim_end_matches('/').to_owned();
        Self { telegram: b.clone(), wecom: b.clone(), serverchan: b }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_settings_are_checked_and_never_show_the_password() {
        let c = MailConfig::new("smtp://kf:s3cret-pw@mail.example.com:587", DEFAULT_MAIL_FROM).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.contains("smtp://kf:***@mail.example.com:587") && !shown.contains("s3cret"), "{shown}");
        assert!(MailConfig::new("smtps://mail.example.com", "Shop <a@b.cn>").is_ok());
        assert!(MailConfig::new("smtp://mail.example.com?tls=required", DEFAULT_MAIL_FROM).is_ok());
        let err = MailConfig::new("ftp://kf:s3cret-pw@mail.example.com", DEFAULT_MAIL_FROM).unwrap_err();
        assert!(err.contains("smtp://") && !err.contains("s3cret"), "{err}");
        let err = MailConfig::new("smtp://kf:s3cret-pw@mail.example.com?tls=maybe", DEFAULT_MAIL_FROM).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(MailConfig::new("smtp://mail.example.com", "not an address").is_err());
    }
}
