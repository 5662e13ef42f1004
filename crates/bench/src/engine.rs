//! The engine under test: the store adapters, `App`, and the server's real
//! scheduler loop on the system clock.

use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use youying_core::Timestamp;
use youying_core::deadline::{DeadlineKind, NewDeadline};
use youying_core::ports::Store;
use youying_server::clock::SystemClock;
use youying_server::config::Config;
use youying_server::scheduler;
use youying_server::state::App;
use youying_store::testing::TestDb;

use crate::timed::Timed;
use crate::util::{CommitMatcher, Dues, batch_stats, cpu, cpu_use, due_by, mem, now_ms, now_us, percentiles};
use crate::{Args, Backend};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Inserts `n` probe deadlines (rows `first..first + n`) in one transaction.
async fn insert_chunk<S: Store>(store: &S, first: usize, n: usize, start_ms: i64, dues: &mut Dues) -> BoxResult<()> {
    let due: Vec<i64> = (0..n).map(|_| start_ms + dues.next_offset()).collect();
    let created_at = Timestamp::from_millis(now_ms());
    store
        .write(move |tx| {
            for (k, due) in due.into_iter().enumerate() {
                tx.schedule(&NewDeadline {
                    kind: DeadlineKind::Probe,
                    subject: format!("probe:{}", first + k),
                    due_at: Timestamp::from_millis(due),
                    created_at,
                    payload: json!({}),
                })?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

/// Rows per second for one chunk into a throwaway database of the same
/// backend, due in a day (so nothing fires): how long the real insert will take.
/// The rate falls as the tables grow (about half by a million rows on SQLite),
/// hence the factor 2 on the estimate.
async fn calibrate(args: &Args) -> BoxResult<f64> {
    let n = args.chunk.min(args.count).max(1);
    let far = now_ms() + 86_400_000;
    let mut dues = Dues::new(args.seed ^ 0xCA11, 1000);
    match args.backend {
        Backend::Sqlite => {
            let db = TestDb::sqlite();
            let store = db.open_sqlite()?;
            let t = Instant::now();
            insert_chunk(&store, 0, n, far, &mut dues).await?;
            Ok(rate(n, t.elapsed()))
        }
        Backend::Postgres => {
            let db = tokio::task::spawn_blocking(TestDb::postgres).await?.ok_or("no PostgreSQL for calibration")?;
            let store = db.open_postgres(8).await?;
            let t = Instant::now();
            insert_chunk(&store, 0, n, far, &mut dues).await?;
            let r = rate(n, t.elapsed());
            drop(store);
            tokio::task::spawn_blocking(move || drop(db)).await?;
            Ok(r)
        }
    }
}

#[allow(clippy::cast_precision_loss)]
pub fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// The server's configuration, built the way its command line builds it (so
/// this crate keeps compiling as `Config` grows fields).
fn config(url: &str, data_dir: &std::path::Path) -> BoxResult<Config> {
    #[derive(clap::Parser)]
    struct Flags {
        #[command(flatten)]
        db: youying_server::cli::DbArgs,
    }
    let dir = data_dir.display().to_string();
    let flags = <Flags as clap::Parser>::try_parse_from([
        "deadline-bench",
        "--data-dir",
        &dir,
        "--database-url",
        url,
        "--pg-pool",
        "8",
    ])?;
    Ok(youying_server::cli::config(&flags.db, std::net::SocketAddr::from(([127, 0, 0, 1], 0)), false, true))
}

/// Runs the engine on the chosen backend; returns the measurements as JSON.
pub async fn run(args: &Args) -> BoxResult<Value> {
    let calib = calibrate(args).await?;
    eprintln!("calibration: {calib:.0} rows/s on a throwaway {:?} database", args.backend);
    match args.backend {
        Backend::Sqlite => {
            let db = TestDb::sqlite();
            let store = db.open_sqlite()?;
            let dir = db.sqlite_path().and_then(|p| p.parent().map(std::path::Path::to_path_buf)).unwrap_or_default();
            let out = measure(args, store, config(&db.url(), &dir)?, calib).await?;
            Ok(out)
        }
        Backend::Postgres => {
            let (db, store) = match &args.database_url {
                Some(url) => {
                    let u = url.clone();
                    let store =
                        tokio::task::spawn_blocking(move || youying_store::PgStore::open(&u, 8, now_ms())).await??;
                    (None, store)
                }
                None => {
                    let db = tokio::task::spawn_blocking(TestDb::postgres).await?.ok_or("PostgreSQL unavailable")?;
                    let store = db.open_postgres(8).await?;
                    (Some(db), store)
                }
            };
            let url = db.as_ref().map_or_else(|| args.database_url.clone().unwrap_or_default(), TestDb::url);
            let out = measure(args, store, config(&url, &std::env::temp_dir())?, calib).await;
            if let Some(db) = db {
                tokio::task::spawn_blocking(move || drop(db)).await?;
            }
            out
        }
    }
}

async fn measure<S: Store>(args: &Args, store: S, config: Config, calib_rate: f64) -> BoxResult<Value> {
    let count = args.count;
    let spread_ms = args.spread_secs * 1000;
    let spread_i = i64::try_from(spread_ms)?;
    let mem_start = mem();

    let pending_before = store.read(|tx| tx.pending_deadlines()).await?;
    if pending_before != 0 {
        eprintln!("warning: the database already holds {pending_before} pending deadlines");
    }
    let timed = Timed::new(store);
    let (vault, search) = youying_server::cli::vault_and_index(&config).map_err(|e| e.to_string())?;
    let app = App::new(timed.clone(), Arc::new(SystemClock), config, vault, search);

    // 1. Insert, due times in [start, start + spread).
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let delay_ms = match args.start_delay_secs {
        Some(s) => i64::try_from(s)? * 1000,
        None => (2.0 * (count as f64 / calib_rate) * 1000.0) as i64 + 5000,
    };
    let begin_ms = now_ms();
    let start_ms = begin_ms + delay_ms;
    eprintln!("inserting {count} deadlines, due from {delay_ms} ms after now over {} s", args.spread_secs);
    let mut dues = Dues::for_args(args);
    let cpu_insert = cpu();
    let t = Instant::now();
    let mut done = 0;
    let mut next_report = 100_000;
    while done < count {
        let n = args.chunk.min(count - done);
        insert_chunk(&app.store, done, n, start_ms, &mut dues).await?;
        done += n;
        if done >= next_report {
            eprintln!("  {done} inserted, {:.0} rows/s so far", crate::engine::rate(done, t.elapsed()));
            next_report += 100_000;
        }
    }
    let insert_time = t.elapsed();
    let insert_end_ms = now_ms();
    let insert_rate = rate(count, insert_time);
    let already_due = due_by(args, start_ms, insert_end_ms);
    let mem_inserted = mem();
    let cpu_inserted = cpu();
    eprintln!(
        "inserted in {:.2} s ({insert_rate:.0} rows/s); {} ms to the first due time; {already_due} already due",
        insert_time.as_secs_f64(),
        start_ms - insert_end_ms
    );

    // 2. The real scheduler loop, watched from outside.
    let (stop, stop_rx) = watch::channel(false);
    let loop_task = tokio::spawn(scheduler::run(app.clone(), stop_rx));
    let scraper = (args.scrape_ms > 0).then(|| {
        let every = Duration::from_millis(args.scrape_ms);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let _ = youying_server::metrics::render();
            }
        })
    });
    let last_due = start_ms + spread_i;
    let give_up = last_due + spread_i.max(120_000) * 2;
    let mut count_ms: Vec<f64> = Vec::new();
    let mut last_report = 0;
    let mut timed_out = false;
    loop {
        tokio::time::sleep(Duration::from_millis(args.poll_ms)).await;
        let q = Instant::now();
        let pending = app.store.read(|tx| tx.pending_deadlines()).await?;
        count_ms.push(q.elapsed().as_secs_f64() * 1000.0);
        let now = now_ms();
        if now - last_report >= 5000 {
            eprintln!("  t{:+.1} s: {pending} pending", (now - start_ms) as f64 / 1000.0);
            last_report = now;
        }
        if pending == 0 {
            break;
        }
        if now > give_up {
            eprintln!("giving up: {pending} still pending");
            timed_out = true;
            break;
        }
    }
    let _ = stop.send(true);
    let _ = loop_task.await;
    if let Some(s) = scraper {
        s.abort();
    }
    let mem_fired = mem();
    let cpu_fired = cpu();

    // 3. Read the lateness back from the `deadlines.fired` evidence events.
    let batches = timed.batches();
    if let Some(path) = &args.dump_batches {
        let mut csv = String::from("start_us,end_us,fired\n");
        for b in &batches {
            csv.push_str(&format!("{},{},{}\n", b.start_us, b.end_us, b.fired));
        }
        std::fs::write(path, csv)?;
    }
    let last_commit_us = batches.iter().filter(|b| b.fired > 0).map(|b| b.end_us).max().unwrap_or(0);
    let mut late = Vec::with_capacity(count);
    let mut commit_late = Vec::with_capacity(count);
    let mut matcher = CommitMatcher::new(&batches);
    let mut seq = 0;
    let mut inconsistent = 0usize;
    let mut max_due = i64::MIN;
    loop {
        let page = app.store.read(move |tx| tx.events_after(seq, 10_000)).await?;
        let Some(last) = page.last() else { break };
        seq = last.seq;
        for e in page {
            for r in youying_core::deadline::fired_records(&e.kind, &e.payload)? {
                max_due = max_due.max(r.due_at);
                if e.at.millis() - r.due_at != r.late_ms {
                    inconsistent += 1;
                }
                #[allow(clippy::cast_precision_loss)]
                late.push(r.late_ms as f64);
                if let Some(c) = matcher.next(r.due_at) {
                    commit_late.push(c);
                }
            }
        }
    }
    let drop_rss = mem();
    eprintln!(
        "read back {} fired events ({} unmatched to a commit, {inconsistent} inconsistent)",
        late.len(),
        matcher.unmatched
    );

    Ok(json!({
        "impl": "youying",
        "backend": app.store.backend(),
        "count": count,
        "spread_secs": args.spread_secs,
        "insert": {
            "secs": insert_time.as_secs_f64(),
            "rows_per_s": insert_rate,
            "calibration_rows_per_s": calib_rate,
            "start_delay_ms": delay_ms,
            "margin_ms": start_ms - insert_end_ms,
            "already_due": already_due,
        },
        "order": format!("{:?}", args.order).to_lowercase(),
        "cpu": { "insert": cpu_use(cpu_insert, cpu_inserted), "fire": cpu_use(cpu_inserted, cpu_fired) },
        "fired": late.len(),
        "timed_out": timed_out,
        "lateness_ms": percentiles(&mut late),
        "commit_lateness_ms": percentiles(&mut commit_late),
        "last_commit_after_last_due_ms": (last_commit_us as f64 / 1000.0) - max_due as f64,
        "batches": batch_stats(&batches, u32::try_from(scheduler::BATCH).unwrap_or(u32::MAX)),
        "pending_count_query_ms": percentiles(&mut count_ms),
        "mem_kib": {
            "start": mem_start.rss_kib,
            "after_insert": mem_inserted.rss_kib,
            "after_fire": mem_fired.rss_kib,
            "peak": mem_fired.hwm_kib,
            "after_readback": drop_rss.rss_kib,
        },
        "now_us": now_us(),
    }))
}
