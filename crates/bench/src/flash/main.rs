//! `flash-bench`: a flash sale over HTTP. One product with 10,000 card keys,
//! 200 concurrent buyers each buying one key at a time until it is sold out.
//! Reports orders/s and p50/p99 latency, beside a baseline measured in the same
//! run: the same checkouts done directly through the store, no HTTP (and on
//! PostgreSQL, `pgbench` TPC-B against the same server). A benchmark, not a
//! test: build and run it in release mode.
//!
//! On SQLite the same run also measures the bare rusqlite checkout, one
//! transaction per order and group-committed (`bare.rs`); on PostgreSQL,
//! `--instances 2` sells through real `youying serve` processes (`multi.rs`).
//! Every sale reports its rate in its first and its last tenth.
//!
//! ```text
//! cargo build --release -p youying-bench -p youying-server
//! target/release/flash-bench --backend sqlite
//! target/release/flash-bench --backend postgres --keys 100000
//! target/release/flash-bench --backend postgres --instances 2
//! ```

// The report is the program's output.
#![allow(clippy::print_stdout)]

mod bare;
mod multi;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde_json::json;
use tokio::sync::watch;
use youying_core::accounts::User;
use youying_core::catalogue::{ProductInput, ProductSpec};
use youying_core::money::Fen;
use youying_core::orders::{self, Checkout};
use youying_core::ports::Store;
use youying_core::values::{ProductId, Role, ShopName, Username};
use youying_core::{Clock, Error, accounts, listings, shops, stock};
use youying_server::clock::SystemClock;
use youying_server::state::App;
use youying_server::vault::Vault;
use youying_store::testing::TestDb;

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, Parser)]
#[command(name = "flash-bench", version)]
struct Args {
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: Backend,
    /// Card keys in stock; the sale runs until they are gone.
    #[arg(long, default_value_t = 10_000)]
    keys: usize,
    /// Concurrent buyers.
    #[arg(long, default_value_t = 200)]
    buyers: usize,
    /// Skip the pgbench baseline.
    #[arg(long)]
    no_pgbench: bool,
    /// PostgreSQL: also sell through this many `youying serve` processes (one
    /// product each) beside one, sampling `pg_stat_activity`.
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// Skip the store-only sale (no HTTP): halves a long `--keys 100000` run.
    #[arg(long)]
    no_direct: bool,
    /// Skip the sales inside this process (only the `--instances` comparison).
    #[arg(long)]
    only_instances: bool,
}

/// What one sale measured.
#[derive(Debug)]
struct Sale {
    orders: usize,
    refused: usize,
    errors: usize,
    wall: Duration,
    latencies_us: Vec<u64>,
    /// When each order was answered, µs since the sale began (sorted).
    done_at_us: Vec<u64>,
}

impl Sale {
    /// Orders/s over the first (or the last) tenth of the orders sold.
    fn tenth_rate(&self, last: bool) -> f64 {
        let n = self.done_at_us.len();
        let k = n / 10;
        if k == 0 {
            return 0.0;
        }
        let span = if last {
            self.done_at_us[n - 1].saturating_sub(self.done_at_us[n - 1 - k])
        } else {
            self.done_at_us[k - 1]
        };
        k as f64 / (span.max(1) as f64 / 1e6)
    }

    fn per_sec(&self) -> f64 {
        self.orders as f64 / self.wall.as_secs_f64()
    }

    fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

/// The sale's cast, written straight through the core's use cases.
#[derive(Clone)]
struct Setup {
    product: ProductId,
    buyers: Vec<(User, String)>,
}

async fn setup<S: Store>(store: &S, vault: &Vault, keys: usize, buyers: usize) -> BoxResult<Setup> {
    setup_named(store, vault, keys, buyers, "").await
}

/// [`setup`] with `tag` in every name, so several sales share one database.
async fn setup_named<S: Store>(store: &S, vault: &Vault, keys: usize, buyers: usize, tag: &str) -> BoxResult<Setup> {
    let now = SystemClock.now();
    let tag = tag.to_owned();
    let t = tag.clone();
    let (owner, admin) = store
        .write(move |tx| {
            let owner = accounts::register(
                tx,
                now,
                &Username::parse(&format!("flash_owner{t}"))?,
                "x".into(),
                Role::Buyer,
                None,
                None,
            )?;
            let admin = accounts::register(
                tx,
                now,
                &Username::parse(&format!("flash_admin{t}"))?,
                "x".into(),
                Role::Admin,
                None,
                None,
            )?;
            Ok((owner, admin))
        })
        .await?;
    let o = owner.clone();
    let t = tag.clone();
    let product = store
        .write(move |tx| {
            let shop = shops::open(tx, now, &o, &ShopName::parse(&format!("秒杀点卡店{t}"))?)?;
            // Listings need the minimum deposit (¥1000).
            let deposit = youying_core::money::Fen::new(100_000)?;
            let credit = youying_core::money::Entry::transfer(
                "wallet.credit",
                format!("user:{}", o.id),
                "bench",
                youying_core::money::Account::PlatformCash,
                youying_core::money::Account::UserWallet(o.id),
                deposit,
            )?;
            tx.post(&credit, now)?;
            youying_core::deposit::top_up(tx, now, &o, shop.id, deposit, youying_core::deposit::DepositSource::Wallet)?;
            let input: ProductInput = serde_json::from_value(
                json!({ "category": "game_card", "kind": "card_key", "title": "秒杀 Q币点卡 10元", "price_fen": 100 }),
            )
            .map_err(|e| youying_core::StorageError(e.to_string()))?;
            listings::create(tx, now, &o, shop.id, &ProductSpec::parse(&input)?, true)
        })
        .await?;
    let text: String = (0..keys).map(|i| format!("FLASH{tag}-{i:08}----PW{i:06}\n")).collect();
    let parsed = stock::parse(&text)?;
    let sealed = parsed.units.iter().map(|u| vault.seal(u)).collect::<Result<Vec<_>, _>>()?;
    let report = store.write(move |tx| stock::import(tx, now, &owner, product, &parsed, sealed, false)).await?;
    assert_eq!(report.imported, keys, "stock imported");
    let made = store
        .write(move |tx| {
            let mut out = Vec::new();
            for i in 0..buyers {
                let user = accounts::register(
                    tx,
                    now,
                    &Username::parse(&format!("flash_buyer{tag}_{i}"))?,
                    "x".into(),
                    Role::Buyer,
                    None,
                    None,
                )?;
                orders::credit_wallet(tx, now, &admin, &user, Fen::new(10_000_000)?, "flash sale budget")?;
                let token = format!("yys_flash{tag}_{i}");
                tx.insert_session(
                    &youying_server::security::token_hash(&token),
                    user.id,
                    "csrf",
                    now,
                    now.plus_secs(86_400),
                )?;
                out.push((user, token));
            }
            Ok(out)
        })
        .await?;
    Ok(Setup { product, buyers: made })
}

/// The baseline: the same checkout use case through the store, no HTTP.
async fn direct<S: Store>(store: &S, s: &Setup) -> BoxResult<Sale> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (n, (user, _)) in s.buyers.iter().enumerate() {
        let (store, user, product) = (store.clone(), user.clone(), s.product);
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut done, mut refused, mut errors, mut seq) = (Vec::new(), Vec::new(), 0, 0, 0u64);
            loop {
                seq += 1;
                let req = Checkout {
                    product_id: product,
                    quantity: 1,
                    topup_target: None,
                    idempotency: None,
                    order_no: format!("{n:04}{seq:014}"),
                };
                let u = user.clone();
                let t = Instant::now();
                match store.write(move |tx| orders::checkout(tx, SystemClock.now(), &u, &req)).await {
                    Ok(_) => {
                        lat.push(t.elapsed().as_micros() as u64);
                        done.push(start.elapsed().as_micros() as u64);
                    }
                    Err(Error::OutOfStock) => {
                        refused += 1;
                        break;
                    }
                    Err(_) => errors += 1,
                }
            }
            (lat, done, refused, errors)
        }));
    }
    collect(start, tasks).await
}

/// The real thing: `POST /api/v1/orders` against the server on a local socket.
async fn http<S: Store>(app: App<S>, s: &Setup) -> BoxResult<Sale> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, shutdown) = watch::channel(false);
    let server = tokio::spawn(youying_server::serve(listener, app, shutdown, true));
    youying_server::state::tls_ready();
    let sale = sale_over_http(format!("http://{addr}/api/v1/orders"), s).await;
    let _ = stop.send(true);
    let _ = server.await;
    sale
}

/// Every buyer of `s` buys one key at a time at `url` until it answers 409.
async fn sale_over_http(url: String, s: &Setup) -> BoxResult<Sale> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(s.buyers.len()).build()?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (_, token) in &s.buyers {
        let (client, url, token, product) = (client.clone(), url.clone(), token.clone(), s.product.0);
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut done, mut refused, mut errors) = (Vec::new(), Vec::new(), 0, 0);
            loop {
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "product_id": product, "quantity": 1 }))
                    .send()
                    .await;
                match r.map(|r| r.status().as_u16()) {
                    Ok(201) => {
                        lat.push(t.elapsed().as_micros() as u64);
                        done.push(start.elapsed().as_micros() as u64);
                    }
                    Ok(409) => {
                        refused += 1;
                        break;
                    }
                    _ => errors += 1,
                }
                if errors > 1_000 {
                    break;
                }
            }
            (lat, done, refused, errors)
        }));
    }
    collect(start, tasks).await
}

type Tally = (Vec<u64>, Vec<u64>, usize, usize);

async fn collect(start: Instant, tasks: Vec<tokio::task::JoinHandle<Tally>>) -> BoxResult<Sale> {
    let mut sale = Sale {
        orders: 0,
        refused: 0,
        errors: 0,
        wall: Duration::ZERO,
        latencies_us: Vec::new(),
        done_at_us: Vec::new(),
    };
    for t in tasks {
        let (lat, done, refused, errors) = t.await?;
        sale.orders += lat.len();
        sale.latencies_us.extend(lat);
        sale.done_at_us.extend(done);
        sale.refused += refused;
        sale.errors += errors;
    }
    sale.wall = start.elapsed();
    sale.latencies_us.sort_unstable();
    sale.done_at_us.sort_unstable();
    Ok(sale)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn app<S: Store>(store: S, dir: &std::path::Path) -> BoxResult<App<S>> {
    let config = youying_server::config::Config {
        bind: "127.0.0.1:0".parse()?,
        data_dir: dir.to_owned(),
        database_url: None,
        demo: false,
        secure_cookies: true,
        pg_pool: 32,
        public_url: None,
        master_key: None,
        metrics_token: None,
    };
    Ok(App::new(store, Arc::new(SystemClock), config, Vault::from_key(KEY), youying_search::SearchIndex::in_memory()?))
}

const KEY: [u8; 32] = [9; 32];

async fn fresh_pg() -> BoxResult<(TestDb, youying_store::PgStore)> {
    let db = tokio::task::spawn_blocking(TestDb::postgres).await?.ok_or("PostgreSQL unavailable")?;
    let store = db.open_postgres(32).await?;
    Ok((db, store))
}

async fn audit_ok<S: Store>(store: &S) -> BoxResult<()> {
    let a = store.read(|tx| tx.ledger_audit()).await?;
    if !youying_server::api::wallet::audit_view(a.clone()).ok {
        return Err(format!("ledger audit failed: {a:?}").into());
    }
    Ok(())
}

/// `pgbench` TPC-B (scale 10, 16 clients, 15 s) on a scratch database of the same server.
fn pgbench() -> BoxResult<f64> {
    let admin = youying_store::testing::pg_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    let db = format!("yy_pgbench_{}", std::process::id());
    let run = |args: &[&str]| std::process::Command::new(args[0]).args(&args[1..]).output();
    run(&["psql", &admin, "-qc", &format!("CREATE DATABASE {db}")])?;
    let url = format!("{base}/{db}");
    let init = run(&["pgbench", "-q", "-i", "-s", "10", &url])?;
    if !init.status.success() {
        return Err(String::from_utf8_lossy(&init.stderr).into_owned().into());
    }
    let out = run(&["pgbench", "-c", "16", "-j", "2", "-T", "15", &url])?;
    let _ = run(&["psql", &admin, "-qc", &format!("DROP DATABASE {db}")]);
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = ").and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse().ok()))
        .ok_or_else(|| format!("no tps in pgbench output: {text}").into())
}

fn row(name: &str, s: &Sale) {
    println!(
        "| {name} | {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.1} | {:.2} |",
        s.orders,
        s.refused,
        s.errors,
        s.per_sec(),
        s.tenth_rate(false),
        s.tenth_rate(true),
        s.pct(0.5),
        s.pct(0.99),
        s.wall.as_secs_f64()
    );
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "?".into(), |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> BoxResult<()> {
    let args = Args::parse();
    let vault = Vault::from_key(KEY);
    let dir = tempfile_dir()?;
    println!("flash sale: {} keys, {} concurrent buyers, backend {:?}", args.keys, args.buyers, args.backend);
    println!("load average at start: {}", load_average());
    if args.only_instances {
        if args.backend != Backend::Postgres {
            return Err("--only-instances needs --backend postgres".into());
        }
        return multi::run(args.instances, args.keys, args.buyers).await;
    }
    let mut rows: Vec<(String, Sale)> = Vec::new();
    match args.backend {
        Backend::Sqlite => {
            let db = TestDb::sqlite();
            let store = db.open_sqlite()?;
            if !args.no_direct {
                let s = setup(&store, &vault, args.keys, args.buyers).await?;
                rows.push(("store, no HTTP".into(), direct(&store, &s).await?));
                audit_ok(&store).await?;
            }
            let db2 = TestDb::sqlite();
            let store2 = db2.open_sqlite()?;
            let s2 = setup(&store2, &vault, args.keys, args.buyers).await?;
            rows.push(("HTTP `POST /api/v1/orders`".into(), http(app(store2.clone(), &dir)?, &s2).await?));
            audit_ok(&store2).await?;
            let (keys, buyers) = (args.keys, args.buyers);
            let seq = tokio::task::spawn_blocking(move || bare::run(keys, buyers, 1)).await??;
            rows.push(("bare rusqlite, FULL, one order per transaction".into(), seq));
            let grouped = tokio::task::spawn_blocking(move || bare::run(keys, buyers, 128)).await??;
            rows.push(("bare rusqlite, FULL, group commit (128 per transaction)".into(), grouped));
        }
        Backend::Postgres => {
            if !args.no_direct {
                let (db, store) = fresh_pg().await?;
                let s = setup(&store, &vault, args.keys, args.buyers).await?;
                rows.push(("store, no HTTP".into(), direct(&store, &s).await?));
                audit_ok(&store).await?;
                drop(store);
                tokio::task::spawn_blocking(move || drop(db)).await?;
            }
            let (db2, store2) = fresh_pg().await?;
            let s2 = setup(&store2, &vault, args.keys, args.buyers).await?;
            rows.push(("HTTP `POST /api/v1/orders`".into(), http(app(store2.clone(), &dir)?, &s2).await?));
            audit_ok(&store2).await?;
            drop(store2);
            tokio::task::spawn_blocking(move || drop(db2)).await?;
        }
    }
    println!(
        "| run | orders | refused (sold out) | errors | orders/s | first tenth /s | last tenth /s | p50 ms | p99 ms | wall s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, sale) in &rows {
        row(name, sale);
    }
    let rate = |name: &str| rows.iter().find(|(n, _)| n.starts_with(name)).map(|(_, s)| s.per_sec());
    let http_rate = rate("HTTP").unwrap_or(0.0);
    if let Some(direct) = rate("store") {
        println!("HTTP ÷ store, no HTTP = {:.2}×", http_rate / direct);
    }
    if let (Some(seq), Some(grouped)) = (rate("bare rusqlite, FULL, one"), rate("bare rusqlite, FULL, group")) {
        println!(
            "HTTP ÷ bare sequential FULL = {:.2}×; HTTP ÷ bare group commit = {:.2}×",
            http_rate / seq,
            http_rate / grouped
        );
        if let Some(direct) = rate("store") {
            println!("store, no HTTP ÷ bare sequential FULL = {:.2}×", direct / seq);
        }
    }
    if args.backend == Backend::Postgres && !args.no_pgbench {
        let tps = tokio::task::spawn_blocking(pgbench).await??;
        println!(
            "pgbench TPC-B, 16 clients, scale 10, 15 s: {tps:.0} tps; HTTP orders/s ÷ pgbench tps = {:.2}×",
            http_rate / tps
        );
    }
    println!("load average at end: {}", load_average());
    if args.backend == Backend::Postgres && args.instances > 1 {
        multi::run(args.instances, args.keys, args.buyers).await?;
    }
    Ok(())
}

fn tempfile_dir() -> BoxResult<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("flash-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
