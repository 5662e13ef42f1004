//! `--instances N` on PostgreSQL: N real `youying serve` processes (the release
//! binary beside this one) on one database, each selling its own product of
//! its own shop to its own buyers; beside it, in the same run, one process
//! selling one product the same way. While a sale runs, `pg_stat_activity` is
//! sampled every 50 ms: what each busy backend waits on, and the statement.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use youying_server::vault::Vault;
use youying_store::testing::TestDb;

use super::{BoxResult, KEY, Sale, Setup, sale_over_http, setup_named};

/// One `youying serve` child; killed (by its own id) when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn youying_binary() -> BoxResult<std::path::PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("youying");
    if !bin.exists() {
        return Err(format!("{} missing: cargo build --release -p youying-server", bin.display()).into());
    }
    Ok(bin)
}

fn free_port() -> BoxResult<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn start(url: &str, dir: &std::path::Path) -> BoxResult<(Serve, String)> {
    let port = free_port()?;
    let key: String = KEY.iter().map(|b| format!("{b:02x}")).collect();
    let child = Command::new(youying_binary()?)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", url, "--master-key", &key])
        .args(["--pg-pool", "32", "--data-dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let serve = Serve(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return Ok((serve, base));
        }
        if Instant::now() > deadline {
            return Err(format!("youying serve on {base} did not answer").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Counts of `(wait_event_type, wait_event, statement)` over the samples.
type Waits = BTreeMap<(String, String, String), usize>;

fn sample(url: String, stop: Arc<AtomicBool>) -> BoxResult<(usize, Waits)> {
    let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
    let (mut samples, mut waits) = (0, Waits::new());
    while !stop.load(Ordering::Relaxed) {
        let rows = client.query(
            "SELECT COALESCE(wait_event_type, 'CPU'), COALESCE(wait_event, '-'), left(regexp_replace(query, '\\s+', ' ', 'g'), 70) \
             FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()",
            &[],
        )?;
        for r in rows {
            *waits.entry((r.get(0), r.get(1), r.get(2))).or_default() += 1;
        }
        samples += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((samples, waits))
}

/// A sale across `servers`, instance i selling `setups[i]`; the waits seen meanwhile.
async fn sale(url: &str, bases: &[String], setups: &[Setup]) -> BoxResult<(Vec<Sale>, Duration, usize, Waits)> {
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (url, stop) = (url.to_owned(), Arc::clone(&stop));
        std::thread::spawn(move || sample(url, stop))
    };
    let start = Instant::now();
    let mut runs = Vec::new();
    for (base, s) in bases.iter().zip(setups) {
        let (url, s) = (format!("{base}/api/v1/orders"), s.clone());
        runs.push(tokio::spawn(async move { sale_over_http(url, &s).await }));
    }
    let mut sales = Vec::new();
    for r in runs {
        sales.push(r.await??);
    }
    let wall = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (samples, waits) = sampler.join().map_err(|_| "sampler panicked")??;
    Ok((sales, wall, samples, waits))
}

fn report(label: &str, sales: &[Sale], wall: Duration, samples: usize, waits: &Waits) -> f64 {
    let orders: usize = sales.iter().map(|s| s.orders).sum();
    let errors: usize = sales.iter().map(|s| s.errors).sum();
    let rate = orders as f64 / wall.as_secs_f64();
    println!("\n{label}: {orders} orders, {errors} errors in {:.2} s = **{rate:.0} orders/s**", wall.as_secs_f64());
    for (i, s) in sales.iter().enumerate() {
        println!(
            "  instance {}: {} orders, {:.0}/s, p50 {:.1} ms, p99 {:.1} ms; first tenth {:.0}/s, last tenth {:.0}/s",
            i + 1,
            s.orders,
            s.per_sec(),
            s.pct(0.5),
            s.pct(0.99),
            s.tenth_rate(false),
            s.tenth_rate(true)
        );
    }
    println!("  pg_stat_activity, {samples} samples every 50 ms (busy backends of this database):");
    println!("  | wait type | wait event | statement | samples |");
    println!("  |---|---|---|---|");
    let mut top: Vec<_> = waits.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    for ((t, e, q), n) in top.into_iter().take(14) {
        println!("  | {t} | {e} | `{q}` | {n} |");
    }
    let locks: usize = waits.iter().filter(|((t, _, _), _)| t == "Lock").map(|(_, n)| n).sum();
    println!("  lock waits (wait type Lock): {locks}");
    rate
}

/// One instance selling one product, then `n` instances each selling its own.
pub(super) async fn run(n: usize, keys: usize, buyers: usize) -> BoxResult<()> {
    let vault = Vault::from_key(KEY);
    let dir = super::tempfile_dir()?;
    let mut rates = Vec::new();
    for instances in [1, n] {
        let db = tokio::task::spawn_blocking(TestDb::postgres).await?.ok_or("PostgreSQL unavailable")?;
        let url = db.url();
        let store = db.open_postgres(8).await?;
        let mut setups = Vec::new();
        for i in 0..instances {
            setups.push(setup_named(&store, &vault, keys, buyers, &format!("i{i}")).await?);
        }
        drop(store);
        let mut servers = Vec::new();
        let mut bases = Vec::new();
        for i in 0..instances {
            let (s, base) = start(&url, &dir.join(format!("inst{instances}-{i}"))).await?;
            servers.push(s);
            bases.push(base);
        }
        let (sales, wall, samples, waits) = sale(&url, &bases, &setups).await?;
        drop(servers);
        let label = format!("{instances} × `youying serve` (release), one PostgreSQL database, {keys} keys each");
        rates.push(report(&label, &sales, wall, samples, &waits));
        let store = db.open_postgres(2).await?;
        super::audit_ok(&store).await?;
        drop(store);
        tokio::task::spawn_blocking(move || drop(db)).await?;
    }
    if let [one, many] = rates[..] {
        println!("\n{n} instances ÷ 1 instance = {:.2}×", many / one);
    }
    Ok(())
}
