//! `notify-bench`: a payment notify storm (issue 13). N paid top-up attempts,
//! each notified `copies` times, every notify sent at once in a shuffled order
//! with bounded concurrency to the real server's `/pay/notify/{gateway}`;
//! exactly N credits must come of it, every wallet must hold exactly what its
//! owner paid and the ledger audit must be clean, or the run fails (non-zero
//! exit). Reports notifies/s and latency beside a baseline measured in the
//! same run with the same storm and client: a bare axum endpoint that checks
//! the notify with the same epay crate and credits once in one transaction
//! (`bare.rs`). A benchmark, not a test: build and run it in release mode.
//!
//! ```text
//! cargo run --release -p youying-bench --bin notify-bench
//! cargo run --release -p youying-bench --bin notify-bench -- --pg "$(bash scripts/ensure-postgres.sh)"
//! ```
//!
//! SQLite: a fresh file; `--pg URL`: fresh databases created through the
//! server at URL (one for Youying, one for the baseline), dropped after.

// The report is the program's output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bare;
mod ours;
mod storm;

use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use serde_json::{Value, json};
use youying_core::ports::Store;

use crate::ours::{Ours, Paid};
use crate::storm::{Storm, round};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Database connections, Youying's pool and the baseline's alike.
pub const POOL: usize = 32;

#[derive(Debug, Parser)]
#[command(name = "notify-bench", version)]
struct Args {
    /// A PostgreSQL server (admin URL) to create fresh databases on; SQLite when left out.
    #[arg(long)]
    pg: Option<String>,
    /// Paid attempts.
    #[arg(long, default_value_t = 1_000)]
    attempts: usize,
    /// Identical notifies per attempt.
    #[arg(long, default_value_t = 10)]
    copies: usize,
    /// Notifies in flight at once.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// Buyers the attempts are shared among.
    #[arg(long, default_value_t = 10)]
    buyers: usize,
    /// The storm's order.
    #[arg(long, default_value_t = 13)]
    seed: u64,
    /// Also write the report here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

/// A fresh PostgreSQL database, dropped with this value.
struct PgScratch {
    admin_url: String,
    name: String,
    url: String,
}

impl PgScratch {
    /// Call from a blocking context.
    fn create(admin_url: &str, what: &str) -> BoxResult<Self> {
        let name = format!("yy_notify_{what}_{}", std::process::id());
        let mut c = postgres::Client::connect(admin_url, postgres::NoTls)?;
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        c.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let base = admin_url.rsplit_once('/').map_or(admin_url, |(b, _)| b);
        Ok(Self { admin_url: admin_url.to_owned(), url: format!("{base}/{name}"), name })
    }
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // The sync client must not run on an async worker thread.
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin_url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// One side's verdict: what it measured, and whether it is correct.
fn side(storm: &Storm, credits: usize, n: usize, problems: Vec<String>, extra: Value) -> (Value, Vec<String>) {
    let mut problems = problems;
    if !storm.all_success() {
        problems.push(format!(
            "{} of {} notifies not answered `success` ({} other, {} no answer): {:?}",
            storm.sent - storm.success,
            storm.sent,
            storm.other,
            storm.failed,
            storm.other_samples
        ));
    }
    if credits != n {
        problems.push(format!("{credits} credits for {n} paid attempts"));
    }
    let mut v = storm.json();
    v["credits"] = json!(credits);
    v["duplicate_answers"] = json!(storm.success.saturating_sub(credits));
    v["correct"] = json!(problems.is_empty());
    v["problems"] = json!(problems);
    v["checks"] = extra;
    (v, problems)
}

/// Youying's storm, then the baseline's, on the given stores.
async fn run<S: Store>(args: &Args, store: S, bare_backend: bare::Backend, backend: &str) -> BoxResult<Value> {
    let dir = std::env::temp_dir().join(format!("notify-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let client = storm::client(args.concurrency)?;
    let n = args.attempts;

    let ours = Ours::start(store, &dir).await?;
    let (admin, buyers) = ours.users(args.buyers.max(n.div_ceil(1_000))).await?;
    ours.configure(&client, &admin).await?;
    let t = Instant::now();
    let paid = Arc::new(ours.paid_attempts(&client, &buyers, n).await?);
    let setup_s = t.elapsed().as_secs_f64();
    eprintln!("{backend}: {n} attempts started, opened and paid at the fake in {setup_s:.1} s");

    // One order for both sides: attempt index × copy, shuffled.
    let mut order: Vec<usize> = (0..n * args.copies).map(|k| k % n).collect();
    storm::shuffle(&mut order, args.seed);
    let urls = |url: &dyn Fn(&Paid) -> String| Arc::new(order.iter().map(|&i| url(&paid[i])).collect::<Vec<_>>());

    let ours_storm = storm::run(&client, urls(&|p| ours.notify_url(&p.query)), args.concurrency).await;
    eprintln!("{backend}: Youying's storm took {:.2} s", ours_storm.wall.as_secs_f64());
    let counts = ours.count(&paid).await?;
    let paid_fen: i64 = paid.iter().map(|p| p.amount_fen).sum();
    let mut problems = Vec::new();
    if counts.pay_in_entries != counts.paid_attempts {
        problems.push(format!("{} pay_in entries for {} paid attempts", counts.pay_in_entries, counts.paid_attempts));
    }
    if counts.wallets_fen != paid_fen || counts.clearing_fen != -paid_fen || !counts.wallet_mismatches.is_empty() {
        problems.push(format!(
            "wallets hold {} fen, clearing {} fen, paid {paid_fen} fen: {:?}",
            counts.wallets_fen, counts.clearing_fen, counts.wallet_mismatches
        ));
    }
    if counts.notifies_kept != n * args.copies {
        problems.push(format!("{} notifies kept of {} sent", counts.notifies_kept, n * args.copies));
    }
    if !counts.audit_ok {
        problems.push(format!("ledger audit: {}", counts.audit));
    }
    let (ours_json, ours_problems) = side(&ours_storm, counts.paid_attempts, n, problems, counts.json());
    ours.stop().await;

    let server = bare::Server::start(bare_backend, Arc::clone(&paid)).await?;
    let bare_storm = storm::run(&client, urls(&|p| server.notify_url(&p.query)), args.concurrency).await;
    eprintln!("{backend}: the baseline's storm took {:.2} s", bare_storm.wall.as_secs_f64());
    let (bare_paid, bare_wrong) = server.count(Arc::clone(&paid)).await?;
    server.stop().await;
    let wrong = if bare_wrong.is_empty() { Vec::new() } else { vec![format!("wallets: {bare_wrong:?}")] };
    let (bare_json, bare_problems) = side(&bare_storm, bare_paid, n, wrong, json!({ "wallet_mismatches": bare_wrong }));
    let _ = std::fs::remove_dir_all(&dir);

    let report = json!({
        "bench": "notify-storm",
        "backend": backend,
        "attempts": n,
        "copies": args.copies,
        "notifies": n * args.copies,
        "concurrency": args.concurrency,
        "buyers": buyers.len(),
        "seed": args.seed,
        "setup_s": round(setup_s, 2),
        "youying": ours_json,
        "bare": bare_json,
        "youying_per_s_over_bare": round(ours_storm.per_sec() / bare_storm.per_sec(), 3),
    });
    if !ours_problems.is_empty() || !bare_problems.is_empty() {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Err(format!("the storm was not handled correctly: {ours_problems:?} {bare_problems:?}").into());
    }
    Ok(report)
}

fn table(r: &Value) {
    println!(
        "notify storm, {}: {} attempts × {} copies = {} notifies, {} at a time",
        r["backend"].as_str().unwrap_or("?"),
        r["attempts"],
        r["copies"],
        r["notifies"],
        r["concurrency"]
    );
    println!("| | notifies/s | p50 ms | p99 ms | max ms | wall s | credits | duplicate answers |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, key) in [("Youying", "youying"), ("bare axum + epay check + one UPDATE", "bare")] {
        let s = &r[key];
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            s["notifies_per_s"],
            s["p50_ms"],
            s["p99_ms"],
            s["max_ms"],
            s["wall_s"],
            s["credits"],
            s["duplicate_answers"]
        );
    }
    println!("Youying ÷ bare (notifies/s) = {}", r["youying_per_s_over_bare"]);
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> BoxResult<()> {
    let args = Args::parse();
    let report = match &args.pg {
        None => {
            let db = youying_store::testing::TestDb::sqlite();
            let store = db.open_sqlite()?;
            let path = db.sqlite_path().ok_or("no SQLite path")?.with_file_name("bare.db");
            run(&args, store, bare::Backend::Sqlite(path), "sqlite").await?
        }
        Some(admin) => {
            let admin = admin.clone();
            let (ours_db, bare_db) = tokio::task::spawn_blocking(move || -> BoxResult<_> {
                Ok((PgScratch::create(&admin, "ours")?, PgScratch::create(&admin, "bare")?))
            })
            .await??;
            let url = ours_db.url.clone();
            let store = tokio::task::spawn_blocking(move || youying_store::PgStore::open(&url, POOL, 0)).await??;
            let bare_backend = bare::Backend::Postgres { url: bare_db.url.clone(), pool: POOL };
            let report = run(&args, store, bare_backend, "postgres").await;
            tokio::task::spawn_blocking(move || drop((ours_db, bare_db))).await?;
            report?
        }
    };
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    table(&report);
    if let Some(path) = &args.json {
        std::fs::write(path, text)?;
    }
    Ok(())
}
