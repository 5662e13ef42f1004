//! `ws-bench`: live chat under 10,000 websockets (issue 4).
//!
//! The real server (`youying serve`, a child process, so its memory is its
//! own) on a fresh SQLite database; buyers each with a conversation and every
//! shop's staff connected over `/api/v1/ws`; messages at a steady rate through
//! the HTTP API, each timed from send start to its arrival on the other
//! party's socket; meanwhile a stream of unanswered buyer messages makes the
//! deadline engine hand conversations to the platform. The baseline, measured
//! in the same run with the same clients and rate, is a bare axum websocket
//! server doing only the delivery (see `bare.rs`). With `--cross-instance`,
//! two instances on one fresh PostgreSQL database: clients on A, messages
//! posted to A, then to B. A benchmark, not a test: build and run in release.
//!
//! ```text
//! cargo build --release -p youying-server --bin youying -p youying-bench --bin ws-bench
//! target/release/ws-bench --clients 10000 --rate 500 --secs 60 --runs 3
//! target/release/ws-bench --cross-instance --clients 1000 --shops 50 --rate 200 --secs 30
//! ```

// The report is the program's output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bare;
mod cast;
mod clients;
mod load;
mod phase;
mod procs;
mod run;
mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Wall-clock milliseconds since the Unix epoch (the server's clock).
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[derive(Debug, Parser)]
#[command(name = "ws-bench", version, about = "Live chat under many websockets: delivery latency, memory, takeovers")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    args: Args,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// (internal) The bare baseline server, run as a child process.
    #[command(hide = true)]
    BareServer {
        #[arg(long)]
        bind: SocketAddr,
        #[arg(long, value_enum)]
        mode: bare::Mode,
        #[arg(long)]
        nodelay: bool,
    },
}

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Websocket clients: every shop's staff, the rest buyers.
    #[arg(long, default_value_t = 10_000)]
    clients: usize,
    #[arg(long, default_value_t = 100)]
    shops: usize,
    /// Merchant agents per shop, besides the owner (all connected).
    #[arg(long, default_value_t = 4)]
    agents: usize,
    /// Platform agents answering taken-over conversations (over HTTP only).
    #[arg(long, default_value_t = 20)]
    platform_agents: usize,
    /// Messages per second, half buyer questions, half staff answers.
    #[arg(long, default_value_t = 500.0)]
    rate: f64,
    /// Seconds of load per phase.
    #[arg(long, default_value_t = 60.0)]
    secs: f64,
    /// Unanswered buyer messages per second (each ends in a platform takeover).
    #[arg(long, default_value_t = 5.0)]
    takeover_rate: f64,
    /// `chat_reply_secs`, set through `PUT /api/v1/admin/rules` (minimum 1).
    #[arg(long, default_value_t = 5)]
    reply_secs: i64,
    /// How long after a buyer's question the shop answers, ms.
    #[arg(long, default_value_t = 1_000)]
    reply_delay_ms: u64,
    /// Whole runs; the tables show the median of each figure.
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Two instances on one PostgreSQL database instead (`YOUYING_TEST_PG_URL`).
    #[arg(long)]
    cross_instance: bool,
    /// The server binary (default: `youying` beside this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Baselines to measure (none: `--baselines ''`).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "routed,broadcast")]
    baselines: Vec<bare::Mode>,
    /// Give the baseline server TCP_NODELAY (Youying's sockets have Nagle on).
    #[arg(long)]
    baseline_nodelay: bool,
    /// Websocket handshakes in flight while connecting. Kept under the
    /// listen backlog (128 for a tokio listener here): beyond it SYNs are
    /// dropped and retried after 1 s, which would time the kernel, not the server.
    #[arg(long, default_value_t = 100)]
    connect_concurrency: usize,
    /// Write every run and the medians as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::BareServer { bind, mode, nodelay }) => runtime.block_on(bare::serve(bind, mode, nodelay)),
        None => runtime.block_on(run::all(cli.args)),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
