//! The command line: `serve`, `migrate`, `admin create`, `stock import`, `evidence verify`,
//! `bot ask`, `bot eval`, `backup`, `restore`.
//! Every flag also reads a `YOUYING_*` environment variable.

// A command line tool reports on standard output by design.
#![allow(clippy::print_stdout)]

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use youying_core::Clock;
use youying_core::ports::Store;
use youying_core::values::Role;
use youying_store::{DbUrl, PgStore, SqliteStore};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::state::App;

#[derive(Debug, Parser)]
#[command(name = "youying", version, about = "有应 Youying — a 卡盟 marketplace where every buyer gets an answer")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// Directory for the embedded database and keys.
    #[arg(long, env = "YOUYING_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`; default: embedded SQLite in the data dir.
    #[arg(long, env = "YOUYING_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// PostgreSQL connections per instance.
    #[arg(long, env = "YOUYING_PG_POOL", default_value_t = 16)]
    pub pg_pool: usize,
    /// 64 hex characters: the key card keys are encrypted with. Default: generated
    /// once into DATA_DIR/master.key. Several instances must share one key.
    #[arg(long, env = "YOUYING_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
    /// The platform's public address, for links it hands out (invitations, mail) and
    /// the payment gateways' notify and return addresses. Set it in production.
    #[arg(long, env = "YOUYING_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A token for `/metrics` (`Authorization: Bearer TOKEN`). Unset: `/metrics`
    /// answers only to a direct request from this machine.
    #[arg(long, env = "YOUYING_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// Notification mail to shop owners and agents; off unless an SMTP URL is given.
#[derive(Args, Clone)]
pub struct MailArgs {
    /// `smtp://[USER:PASS@]HOST[:PORT]` (plain; add `?tls=required` for STARTTLS)
    /// or `smtps://[USER:PASS@]HOST[:PORT]` (TLS). Unset: no mail is sent.
    #[arg(long, env = "YOUYING_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of notification mail.
    #[arg(long, env = "YOUYING_MAIL_FROM", default_value = crate::config::DEFAULT_MAIL_FROM)]
    pub mail_from: String,
}

impl std::fmt::Debug for MailArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailArgs")
            .field("smtp_url", &self.smtp_url.as_deref().map(youying_store::redact_url))
            .field("mail_from", &self.mail_from)
            .finish()
    }
}

/// Where push channels' services are reached; the real ones unless set.
#[derive(Debug, Args, Clone)]
pub struct PushArgs {
    /// Telegram Bot API base URL.
    #[arg(long, env = "YOUYING_TELEGRAM_API", default_value = crate::config::TELEGRAM_API)]
    pub telegram_api: String,
    /// 企业微信 group-robot API base URL.
    #[arg(long, env = "YOUYING_WECOM_API", default_value = crate::config::WECOM_API)]
    pub wecom_api: String,
    /// Server酱 API base URL.
    #[arg(long, env = "YOUYING_SERVERCHAN_API", default_value = crate::config::SERVERCHAN_API)]
    pub serverchan_api: String,
}

impl PushArgs {
    pub fn apis(&self) -> crate::config::PushApis {
        let t = |s: &str| s.trim_end_matches('/').to_owned();
        crate::config::PushApis {
            telegram: t(&self.telegram_api),
            wecom: t(&self.wecom_api),
            serverchan: t(&self.serverchan_api),
        }
    }
}

impl MailArgs {
    /// The checked mail configuration, `None` without `--smtp-url`.
    pub fn config(&self) -> CliResult<Option<crate::config::MailConfig>> {
        match &self.smtp_url {
            Some(url) => Ok(Some(crate::config::MailConfig::new(url, &self.mail_from)?)),
            None => Ok(None),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the pages, the API and the deadline scheduler.
    Serve {
        #[arg(long, env = "YOUYING_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        #[command(flatten)]
        db: DbArgs,
        /// Seed demo accounts (passwords printed once) on an empty database.
        #[arg(long, env = "YOUYING_DEMO")]
        demo: bool,
        /// Send cookies without the Secure flag (plain HTTP on a non-localhost address).
        #[arg(long, env = "YOUYING_INSECURE_COOKIES")]
        insecure_cookies: bool,
        #[command(flatten)]
        mail: MailArgs,
        #[command(flatten)]
        push: PushArgs,
        #[command(flatten)]
        backups: crate::backup::schedule::ScheduleArgs,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Platform accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Card-key and account stock.
    Stock {
        #[command(subcommand)]
        command: StockCommand,
    },
    /// The evidence log.
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// The help bot.
    Bot {
        #[command(subcommand)]
        command: BotCommand,
    },
    /// Copy the database while `serve` runs into one file (mode 0600): the
    /// database (SQLite: a consistent snapshot; PostgreSQL: `pg_dump -Fc`),
    /// the master key when it lives in the data dir, and a manifest with
    /// checksums, the evidence chain head and the ledger totals. The file
    /// holds the key: keep it as private as the data dir.
    Backup {
        /// The backup file to write; never overwritten.
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Restore a backup into a new or empty `--data-dir` (SQLite) or an empty
    /// PostgreSQL database (`--database-url`): checks every checksum before it
    /// writes anything, then verifies the evidence chain and audits the ledger;
    /// on any failure it removes what it wrote.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum BotCommand {
    /// Print the bot's reply to one message as JSON.
    Ask {
        text: String,
        /// Answer with this product's live facts (read from the database).
        #[arg(long)]
        product: Option<i64>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Per-intent accuracy, confusion table and hand-off recall on an `intent<TAB>text` file.
    Eval { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform admin or platform agent.
    Create {
        #[arg(long)]
        username: String,
        /// `admin` or `agent`.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Import a file of units (`code`, `code secret`, `code----secret`, `code,secret`),
    /// all or nothing, as the product's shop owner.
    Import {
        #[arg(long)]
        product: i64,
        /// Import the rest when some lines are duplicates.
        #[arg(long)]
        skip_duplicates: bool,
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Walk the hash chain and name the first broken event; or, given an
    /// exported bundle (`evidence-….zip`), check it offline.
    Verify {
        /// An evidence bundle to check offline instead of the database.
        bundle: Option<std::path::PathBuf>,
        /// The chain head the platform publishes (`/api/v1/public/chain-head`): the bundle must reach it.
        #[arg(long, requires = "bundle")]
        head: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Anchor the events appended since the last anchor now (the server also
    /// does it every hour); prints the new anchor's hash.
    Anchor {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub fn config(db: &DbArgs, bind: SocketAddr, demo: bool, secure_cookies: bool) -> Config {
    Config {
        bind,
        data_dir: db.data_dir.clone(),
        database_url: db.database_url.clone(),
        demo,
        secure_cookies,
        pg_pool: db.pg_pool,
        public_url: db.public_url.clone(),
        master_key: db.master_key.clone(),
        metrics_token: db.metrics_token.clone(),
    }
}

/// The card-key vault and a fresh in-memory search index (rebuilt from the
/// database at start, then kept in step).
pub fn vault_and_index(cfg: &Config) -> CliResult<(crate::vault::Vault, youying_search::SearchIndex)> {
    let vault = match &cfg.master_key {
        Some(k) => crate::vault::Vault::from_hex(k)?,
        None => crate::vault::Vault::load_or_create(&cfg.data_dir)?,
    };
    Ok((vault, youying_search::SearchIndex::in_memory()?))
}

/// Runs `$body` with `$app` bound to an [`App`] over whichever store the
/// configuration names: the backend is chosen here, once.
#[macro_export]
macro_rules! with_app {
    ($cfg:expr, |$app:ident| $body:expr) => {{
        let cfg: $crate::config::Config = $cfg;
        match $crate::cli::open(&cfg).await? {
            $crate::cli::Opened::Sqlite(store) => {
                let (vault, search) = $crate::cli::vault_and_index(&cfg)?;
                let $app =
                    $crate::state::App::new(store, std::sync::Arc::new($crate::clock::SystemClock), cfg, vault, search);
                $body
            }
            $crate::cli::Opened::Postgres(store) => {
                let (vault, search) = $crate::cli::vault_and_index(&cfg)?;
                let $app =
                    $crate::state::App::new(store, std::sync::Arc::new($crate::clock::SystemClock), cfg, vault, search);
                $body
            }
        }
    }};
}

#[derive(Debug)]
pub enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Opens and migrates the configured database.
pub async fn open(cfg: &Config) -> CliResult<Opened> {
    let now = SystemClock.now().millis();
    match cfg.db_url()? {
        DbUrl::Sqlite { path, create } => {
            if cfg.database_url.is_none() {
                std::fs::create_dir_all(&cfg.data_dir)
                    .map_err(|e| format!("cannot create data dir {}: {e}", cfg.data_dir.display()))?;
            }
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path, create, now)).await??;
            Ok(Opened::Sqlite(store))
        }
        DbUrl::Postgres(url) => {
            let pool = cfg.pg_pool;
            let store = tokio::task::spawn_blocking(move || PgStore::open(&url, pool, now)).await??;
            Ok(Opened::Postgres(store))
        }
    }
}

pub async fn admin_create<S: Store>(app: &App<S>, username: &str, role: &str, password: &str) -> CliResult {
    let role = match Role::parse(role)? {
        r @ (Role::Admin | Role::PlatformAgent) => r,
        _ => return Err("--role must be admin or agent".into()),
    };
    let user = crate::accounts::register(app, username, password, role, None)
        .await
        .map_err(|e| format!("{}: {}", e.code(), e.message()))?;
    println!("created {} {} (id {})", role.as_str(), user.username, user.id);
    Ok(())
}

pub fn read_password_stdin() -> CliResult<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    Ok(s.trim_end_matches(['\r', '\n']).to_owned())
}

/// `youying stock import`: the same import as the API, with a progress bar.
pub async fn stock_import<S: Store>(
    app: &App<S>,
    product: i64,
    file: &std::path::Path,
    skip_duplicates: bool,
) -> CliResult<bool> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let id = youying_core::values::ProductId(product);
    let owner = app
        .store
        .read(move |tx| {
            let p = tx.product(id)?.ok_or(youying_core::Error::NotFound)?;
            let shop = tx.shop(p.shop_id)?.ok_or(youying_core::Error::NotFound)?;
            tx.user_by_id(shop.owner_id)?.ok_or(youying_core::Error::NotFound)
        })
        .await
        .map_err(|e| format!("product {product}: {e}"))?;
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    let bar = indicatif::ProgressBar::new(lines);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_message("encrypting");
    let b = bar.clone();
    let report = crate::app::products::import_stock_with_progress(app, owner, id, &text, skip_duplicates, move |n| {
        b.set_position(n as u64)
    })
    .await
    .map_err(|e| format!("{}: {}", e.code(), e.message()))?;
    bar.finish_with_message("written");
    println!(
        "{} lines read, {} imported, {} duplicates skipped",
        report.lines, report.imported, report.skipped_duplicates
    );
    for b in &report.bad_lines {
        println!("  line {}: {}", b.line, b.reason);
    }
    for d in &report.duplicates_in_file {
        println!("  line {}: duplicate of line {}", d.line, d.same_as_line.unwrap_or_default());
    }
    if !report.duplicates_existing.is_empty() {
        println!(
            "  {} lines already in this shop's stock or sold (first: line {})",
            report.duplicates_existing.len(),
            report.duplicates_existing[0]
        );
    }
    if report.rejected {
        println!("nothing imported: fix the lines above, or pass --skip-duplicates to import the rest");
    }
    Ok(!report.rejected)
}

pub async fn evidence_verify<S: Store>(app: &App<S>) -> CliResult<bool> {
    let v = app.store.read(crate::app::evidence::verify_chain).await?;
    if v.ok {
        println!("evidence chain OK: {} events verified", v.checked);
    } else {
        println!(
            "evidence chain BROKEN at event {} ({}); {} events before it verified",
            v.broken_seq.unwrap_or_default(),
            v.reason.as_deref().unwrap_or("?"),
            v.checked
        );
    }
    Ok(v.ok)
}

pub async fn evidence_anchor<S: Store>(app: &App<S>) -> CliResult<bool> {
    match crate::app::evidence::anchor_now(app).await? {
        Some(a) => println!(
            "anchor #{} over {} partition(s), events {}..{}: {}",
            a.id,
            a.spans().len(),
            a.from_seq,
            a.to_seq,
            a.hash
        ),
        None => println!("nothing to anchor: no events since the last anchor"),
    }
    Ok(true)
}

/// Checks an exported bundle offline; prints what matches and what does not.
pub fn evidence_verify_bundle(path: &std::path::Path, head: Option<&str>) -> CliResult<bool> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bundle = crate::evidence::from_zip(&bytes)?;
    let r = youying_core::bundle::verify(&bundle, head);
    if r.ok() {
        println!(
            "evidence bundle OK: order {}, {} events ({} anchored, {} awaiting the next hourly anchor); chain head {}",
            bundle.order.no,
            r.events,
            r.anchored,
            r.events - r.anchored,
            r.head.as_deref().unwrap_or("none yet")
        );
    } else {
        println!("evidence bundle BROKEN: order {}", bundle.order.no);
        for p in &r.problems {
            println!("  {p}");
        }
    }
    Ok(r.ok())
}

/// Keeps `Arc` in scope for the macro's users.
pub type SharedClock = Arc<dyn Clock>;
