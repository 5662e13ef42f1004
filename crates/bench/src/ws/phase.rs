//! One measured phase: connect the clients to a running server, run the load,
//! wait for the last deliveries, and summarise what the sockets saw beside the
//! server's memory and CPU.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::BoxResult;
use crate::cast::Cast;
use crate::clients::{self, Dial, Ledger};
use crate::load::{Load, Plan, Target};
use crate::procs::{self, Server};
use crate::stats;

#[derive(Debug)]
pub struct Phase<'a> {
    pub dials: Vec<Dial>,
    pub target: Target,
    pub cast: Arc<Cast>,
    pub plan: Plan,
    /// The server the clients are connected to.
    pub server: &'a Server,
    /// Another instance whose memory and CPU are reported too.
    pub other: Option<&'a Server>,
    pub reply_secs: i64,
    pub concurrency: usize,
}

/// What a phase leaves running: the readers end when their server closes.
#[derive(Debug)]
pub struct Done {
    pub summary: Value,
    pub readers: Vec<JoinHandle<()>>,
}

fn mib(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

/// Keeps the highest RSS of `pid` seen every 250 ms until `stop`.
fn sample_rss(pid: String, stop: Arc<AtomicBool>, max: Arc<AtomicU64>) -> JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::Relaxed) {
            max.fetch_max(procs::mem(&pid).rss_kib, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

struct Cpu {
    server: u64,
    other: u64,
    me: u64,
    machine: (u64, u64),
    at: Instant,
}

impl Cpu {
    fn now(server: &str, other: &str) -> Self {
        Cpu {
            server: procs::cpu_ticks(server),
            other: procs::cpu_ticks(other),
            me: procs::cpu_ticks("self"),
            machine: procs::machine_ticks(),
            at: Instant::now(),
        }
    }
}

fn cores(ticks: u64, secs: f64) -> f64 {
    (ticks as f64 / procs::TICKS / secs * 100.0).round() / 100.0
}

pub async fn run(p: Phase<'_>, http: &reqwest::Client) -> BoxResult<Done> {
    let pid = p.server.pid().to_string();
    let other_pid = p.other.map_or_else(|| "0".to_owned(), |o| o.pid().to_string());
    let idle = procs::mem(&pid);
    let capacity = ((p.plan.rate + 3.0 * p.plan.takeover_rate) * (p.plan.secs + 30.0)) as usize + 10_000;
    let ledger = Arc::new(Ledger::new(capacity, p.reply_secs));
    let youying = matches!(p.target, Target::Youying { .. });
    let (taken_tx, taken_rx) = mpsc::unbounded_channel();
    let clients_n = p.dials.len();
    let (connect, readers) = clients::connect_all(p.dials, &ledger, youying.then_some(taken_tx), p.concurrency).await?;
    eprintln!("  {clients_n} clients connected in {:.2} s", connect.as_secs_f64());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let with_clients = procs::mem(&pid);
    let load = Arc::new(Load::new(p.target, p.cast.clone(), ledger.clone(), http.clone()));
    let responder = tokio::spawn(load.clone().platform_answers(taken_rx));
    let (stop, max_rss) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let sampler = sample_rss(pid.clone(), stop.clone(), max_rss.clone());
    let before = Cpu::now(&pid, &other_pid);
    load.run(p.plan).await;
    let after = Cpu::now(&pid, &other_pid);
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let takeovers_sent = load.takeover_next.load(Ordering::Relaxed).min(p.cast.takeover.len());
    drain(&ledger, takeovers_sent).await;
    responder.abort();
    let secs = after.at.duration_since(before.at).as_secs_f64();
    let (busy, total) = (after.machine.0 - before.machine.0, after.machine.1 - before.machine.1);
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as f64;
    let end = procs::mem(&pid);
    let mut summary = json!({
        "clients": clients_n,
        "connect_s": (connect.as_secs_f64() * 100.0).round() / 100.0,
        "deliveries": stats::deliveries(&ledger, p.plan.secs),
        "server": {
            "rss_idle_mib": mib(idle.rss_kib),
            "rss_clients_mib": mib(with_clients.rss_kib),
            "rss_load_max_mib": mib(max_rss.load(Ordering::Relaxed)),
            "hwm_mib": mib(end.hwm_kib),
            "cpu_cores": cores(after.server - before.server, secs),
        },
        "bench_cpu_cores": cores(after.me - before.me, secs),
        "machine_busy_cores": (busy as f64 / total.max(1) as f64 * cpus * 100.0).round() / 100.0,
    });
    if youying {
        summary["takeover"] = stats::takeovers(&ledger, takeovers_sent);
    }
    if p.other.is_some() {
        let m = procs::mem(&other_pid);
        summary["server_b"] = json!({
            "rss_mib": mib(m.rss_kib),
            "hwm_mib": mib(m.hwm_kib),
            "cpu_cores": cores(after.other - before.other, secs),
        });
    }
    Ok(Done { summary, readers })
}

/// Waits (up to 20 s) for every accepted message's deliveries and every
/// takeover the load set up to have been seen.
async fn drain(ledger: &Ledger, takeovers: usize) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        let seen = ledger.takeovers.lock().map(|t| t.len()).unwrap_or(0);
        if ledger.complete(0..ledger.issued()) && seen >= takeovers {
            // Takeovers answered just now may still have a platform reply in flight.
            tokio::time::sleep(Duration::from_millis(500)).await;
            if ledger.complete(0..ledger.issued()) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
