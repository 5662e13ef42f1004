//! `deadline-bench`: a million pending deadlines fired by the real scheduler loop
//! as they fall due; reports lateness percentiles, memory and insert rate, with
//! a bare baseline beside it. A benchmark, not a test: run it in release mode.
//!
//! ```text
//! cargo build --release -p youying-bench
//! target/release/deadline-bench --count 1000000 --spread-secs 60 --baseline --json run1.json
//! target/release/deadline-bench --median run1.json run2.json run3.json
//! ```

// The report is the program's output.
#![allow(clippy::print_stdout)]

mod bare;
mod engine;
mod report;
mod timed;
mod util;

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// In what order rows are inserted relative to their due times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// Due times in random order: ids and due times unrelated (the default;
    /// the hardest case for the B-trees).
    Random,
    /// Due times rising with the id, as when every deadline is now + a fixed delay.
    Ascending,
}

/// Fire COUNT pending deadlines, due uniformly over SPREAD seconds, with the
/// server's scheduler loop; report lateness, memory and insert rate.
#[derive(Debug, Parser)]
#[command(name = "deadline-bench", version)]
pub struct Args {
    /// Deadlines to schedule.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: usize,
    /// Seconds over which the due times are spread.
    #[arg(long, default_value_t = 60)]
    pub spread_secs: u64,
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    pub backend: Backend,
    /// PostgreSQL database to use (it should be empty). Default: a fresh
    /// database created on `YOUYING_TEST_PG_URL` (or postgres@127.0.0.1:5432)
    /// and dropped afterwards.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also measure the bare baseline (rusqlite / postgres client, no layer),
    /// in a child process, and print both side by side.
    #[arg(long)]
    pub baseline: bool,
    /// Deadlines inserted per transaction.
    #[arg(long, default_value_t = 10_000)]
    pub chunk: usize,
    /// How often the watcher counts pending deadlines, in ms.
    #[arg(long, default_value_t = 500)]
    pub poll_ms: u64,
    /// Render the Prometheus metrics this often (ms), as a scraper would;
    /// 0: never. Unscraped, the lateness histogram keeps every sample.
    #[arg(long, default_value_t = 0)]
    pub scrape_ms: u64,
    /// Seconds from the start of the insert to the first due time. Default:
    /// 1.5 × the insert time extrapolated from one chunk into a throwaway
    /// database, plus 5 s.
    #[arg(long)]
    pub start_delay_secs: Option<u64>,
    #[arg(long, value_enum, default_value_t = Order::Random)]
    pub order: Order,
    /// Seed of the due-time sequence (the baseline uses the same one).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the measurements as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Also write the engine's firing transactions here, as CSV
    /// (`start_us,end_us,fired`), to see when it fell behind.
    #[arg(long)]
    pub dump_batches: Option<PathBuf>,
    /// Print the table of the medians of earlier `--json` files, and exit.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub median: Option<Vec<PathBuf>>,
    /// Internal: run only the baseline and print its JSON.
    #[arg(long, hide = true)]
    pub bare_only: bool,
    /// Internal: the baseline's delay to the first due time, in ms.
    #[arg(long, hide = true)]
    pub bare_delay_ms: Option<i64>,
}

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> ExitCode {
    let args = Args::parse();
    match real_main(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("deadline-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn real_main(args: &Args) -> BoxResult<()> {
    if let Some(files) = &args.median {
        let runs = files
            .iter()
            .map(|f| -> BoxResult<Value> { Ok(serde_json::from_str(&std::fs::read_to_string(f)?)?) })
            .collect::<BoxResult<Vec<_>>>()?;
        let mut med = report::median(&runs);
        // Say when each run was, not the first run's date alone.
        let dates: Vec<&str> = runs.iter().filter_map(|r| r.pointer("/meta/date").and_then(Value::as_str)).collect();
        if let Some(m) = med.get_mut("meta").and_then(Value::as_object_mut) {
            m.insert("date".into(), json!(dates.join(", ")));
        }
        println!("{}", report::table(&med, runs.len()));
        return Ok(());
    }
    if args.bare_only {
        let v = bare::run(args)?;
        println!("{v}");
        return Ok(());
    }

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let youying = rt.block_on(Box::pin(engine::run(args)))?;
    drop(rt);

    let bare = if args.baseline {
        #[allow(clippy::cast_possible_truncation)]
        let insert_ms = (youying.pointer("/insert/secs").and_then(Value::as_f64).unwrap_or(10.0) * 1000.0) as i64;
        Some(run_bare_child(args, insert_ms + 5000)?)
    } else {
        None
    };
    let run = json!({
        "meta": report::meta(args),
        "youying": youying,
        "bare": bare,
    });
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&run)?)?;
    }
    println!("{}", report::table(&run, 1));
    Ok(())
}

/// Runs the baseline in a child process, so its memory readings are its own.
fn run_bare_child(args: &Args, delay_ms: i64) -> BoxResult<Value> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .args(["--bare-only", "--backend", args.backend.as_str()])
        .args(["--count", &args.count.to_string(), "--spread-secs", &args.spread_secs.to_string()])
        .args(["--seed", &args.seed.to_string(), "--bare-delay-ms", &delay_ms.to_string()])
        .args(["--order", &format!("{:?}", args.order).to_lowercase()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    if !out.status.success() {
        return Err(format!("baseline failed: {}", out.status).into());
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}
