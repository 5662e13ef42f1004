//! Whole runs: the SQLite run (Youying, then the bare baselines, on the same
//! cast and plan) or the cross-instance run on PostgreSQL; medians; output.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_store::testing::TestDb;

use crate::cast::{self, Cast, Shape};
use crate::clients::Dial;
use crate::load::{Plan, Target};
use crate::phase::{self, Phase};
use crate::procs::{self, Server};
use crate::{Args, BoxResult, stats};

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

fn shape(a: &Args, phases: usize) -> Shape {
    let per_phase = (a.takeover_rate * takeover_secs(a)).ceil().max(0.0) as usize;
    Shape {
        clients: a.clients,
        shops: a.shops,
        agents: a.agents,
        platform_agents: a.platform_agents,
        takeover_buyers: (per_phase + 5) * phases,
    }
}

/// Unanswered messages stop this long before the load does, so that each one's
/// deadline falls due (and its takeover is seen) while the load still runs.
fn takeover_secs(a: &Args) -> f64 {
    (a.secs - a.reply_secs as f64 - 3.0).max(0.0)
}

fn plan(a: &Args, takeovers: bool) -> Plan {
    Plan {
        rate: a.rate,
        secs: a.secs,
        takeover_rate: if takeovers && takeover_secs(a) > 0.0 { a.takeover_rate } else { 0.0 },
        takeover_secs: takeover_secs(a),
        reply_delay: Duration::from_millis(a.reply_delay_ms),
    }
}

fn youying_dials(cast: &Cast, s: &Server) -> Vec<Dial> {
    let url = format!("{}/api/v1/ws", s.ws());
    cast.members.iter().map(|m| Dial { url: url.clone(), bearer: Some(m.token.clone()), side: m.side }).collect()
}

fn bare_dials(cast: &Cast, s: &Server) -> Vec<Dial> {
    cast.members
        .iter()
        .map(|m| Dial { url: format!("{}/ws?user={}", s.ws(), m.user_id), bearer: None, side: m.side })
        .collect()
}

fn server_bin(a: &Args) -> BoxResult<PathBuf> {
    if let Some(b) = &a.server_bin {
        return Ok(b.clone());
    }
    let me = std::env::current_exe()?;
    Ok(me.parent().ok_or("no directory for this binary")?.join("youying"))
}

async fn set_reply_secs(http: &reqwest::Client, s: &Server, cast: &Cast, secs: i64) -> BoxResult<()> {
    let r = http
        .put(format!("{}/api/v1/admin/rules", s.http()))
        .bearer_auth(&cast.admin_token)
        .json(&json!({ "chat_reply_secs": secs }))
        .send()
        .await?;
    if !r.status().is_success() {
        return Err(format!("PUT /api/v1/admin/rules: {} {}", r.status(), r.text().await.unwrap_or_default()).into());
    }
    Ok(())
}

/// Lateness of every `chat_reply` firing, from the evidence the engine appends.
async fn evidence<S: Store>(store: &S) -> BoxResult<Value> {
    let (mut after, mut late, mut taken) = (0, Vec::new(), 0);
    loop {
        let page = store.read(move |tx| tx.events_after(after, 5_000)).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for e in &page {
            if e.kind == "chat.taken_over" {
                taken += 1;
            }
            // One event per firing step (`deadlines.fired`, a list) or, before
            // that, one `deadline.fired` per deadline.
            for r in youying_core::deadline::fired_records(&e.kind, &e.payload)? {
                if r.kind == "chat_reply" {
                    late.push(r.late_ms as f64);
                }
            }
            if e.kind == "deadline.fired" {
                let p: Value = serde_json::from_str(&e.payload)?;
                if p["kind"] == "chat_reply" {
                    late.push(p["late_ms"].as_f64().unwrap_or(0.0));
                }
            }
        }
    }
    Ok(json!({ "chat_taken_over_events": taken, "chat_reply_late_ms": stats::pcts(late) }))
}

fn http() -> BoxResult<reqwest::Client> {
    youying_server::state::tls_ready();
    Ok(reqwest::Client::builder().pool_max_idle_per_host(1_024).timeout(Duration::from_secs(30)).build()?)
}

async fn password_hash() -> BoxResult<String> {
    Ok(youying_server::security::hash_password("ws-bench-密码-2026".into()).await?)
}

/// Stops the server first (its side then holds the closed connections), then
/// waits for the clients' readers to see the close.
async fn finish(server: Server, done: phase::Done) -> BoxResult<Value> {
    procs::stop(server).await?;
    for r in done.readers {
        if tokio::time::timeout(Duration::from_secs(10), r).await.is_err() {
            eprintln!("  a client reader did not end");
        }
    }
    Ok(done.summary)
}

/// Youying on SQLite, then each baseline, with the same cast and plan.
async fn sqlite_run(a: &Args) -> BoxResult<Value> {
    let http = http()?;
    let db = TestDb::sqlite();
    let path = db.sqlite_path().ok_or("no SQLite path")?;
    let dir = path.parent().ok_or("no data dir")?.to_owned();
    let store = db.open_sqlite()?;
    let started = Instant::now();
    let cast = Arc::new(cast::create(&store, &shape(a, 1), password_hash().await?).await?);
    drop(store);
    let setup_s = started.elapsed().as_secs_f64();
    eprintln!(
        "cast written in {setup_s:.1} s: {} members, {} conversations",
        cast.members.len(),
        cast.convs.len() + cast.takeover.len()
    );
    let mut server = procs::youying(&server_bin(a)?, "youying", &dir, None, ip(1))?;
    procs::ready(&http, &mut server).await?;
    set_reply_secs(&http, &server, &cast, a.reply_secs).await?;
    eprintln!("youying (pid {}) on {}", server.pid(), server.addr);
    let p = Phase {
        dials: youying_dials(&cast, &server),
        target: Target::Youying { base: server.http() },
        cast: cast.clone(),
        plan: plan(a, true),
        server: &server,
        other: None,
        reply_secs: a.reply_secs,
        concurrency: a.connect_concurrency,
    };
    let done = phase::run(p, &http).await?;
    let mut out = json!({ "setup_s": (setup_s * 10.0).round() / 10.0, "youying": finish(server, done).await? });
    out["evidence"] = evidence(&db.open_sqlite()?).await?;
    for (i, mode) in a.baselines.iter().enumerate() {
        let name = format!("bare_{}", mode.as_str());
        let mut s = procs::bare("bare", mode.as_str(), a.baseline_nodelay, &dir, ip(2 + i as u8))?;
        procs::ready(&http, &mut s).await?;
        eprintln!("{name} (pid {}) on {}", s.pid(), s.addr);
        let p = Phase {
            dials: bare_dials(&cast, &s),
            target: Target::Bare { base: s.http() },
            cast: cast.clone(),
            plan: plan(a, false),
            server: &s,
            other: None,
            reply_secs: a.reply_secs,
            concurrency: a.connect_concurrency,
        };
        let done = phase::run(p, &http).await?;
        out[name] = finish(s, done).await?;
    }
    Ok(out)
}

/// Two instances on one fresh PostgreSQL database: clients on A; messages to
/// A (same instance), then to B (relayed by LISTEN/NOTIFY).
async fn cross_run(a: &Args) -> BoxResult<Value> {
    let http = http()?;
    let db = tokio::task::spawn_blocking(TestDb::postgres).await?.ok_or("PostgreSQL unavailable")?;
    let store = db.open_postgres(8).await?;
    let started = Instant::now();
    let full = cast::create(&store, &shape(a, 2), password_hash().await?).await?;
    drop(store);
    let setup_s = started.elapsed().as_secs_f64();
    let dir = scratch_dir()?;
    let (bin, url) = (server_bin(a)?, db.url());
    let mut sa = procs::youying(&bin, "youying-a", &dir, Some(&url), ip(1))?;
    let mut sb = procs::youying(&bin, "youying-b", &dir, Some(&url), ip(1))?;
    procs::ready(&http, &mut sa).await?;
    procs::ready(&http, &mut sb).await?;
    set_reply_secs(&http, &sb, &full, a.reply_secs).await?;
    let half = full.takeover.len() / 2;
    let mut out = json!({ "setup_s": (setup_s * 10.0).round() / 10.0 });
    for (key, to, range) in [("same_instance", &sa, 0..half), ("cross_instance", &sb, half..full.takeover.len())] {
        eprintln!("{key}: clients on A ({}), messages to {}", sa.addr, to.addr);
        let mut cast = full.clone();
        cast.takeover = full.takeover[range].to_vec();
        let cast = Arc::new(cast);
        let p = Phase {
            dials: youying_dials(&cast, &sa),
            target: Target::Youying { base: to.http() },
            cast: cast.clone(),
            plan: plan(a, true),
            server: &sa,
            other: Some(&sb),
            reply_secs: a.reply_secs,
            concurrency: a.connect_concurrency,
        };
        let done = phase::run(p, &http).await?;
        for r in &done.readers {
            r.abort(); // the next phase connects afresh
        }
        out[key] = done.summary;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    procs::stop(sa).await?;
    procs::stop(sb).await?;
    let store = db.open_postgres(2).await?;
    out["evidence"] = evidence(&store).await?;
    drop(store);
    tokio::task::spawn_blocking(move || drop(db)).await?;
    Ok(out)
}

fn scratch_dir() -> BoxResult<PathBuf> {
    let d = std::env::temp_dir().join(format!("ws-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

fn meta(a: &Args) -> Value {
    let sh = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_default();
    json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "date": sh("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        "git": sh("git", &["rev-parse", "--short", "HEAD"]),
        "cpu": cpu,
        "cpus": std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        "args": format!("{a:?}"),
    })
}

/// The server allows each sender about one message a second (a burst of 10):
/// refuse a plan that would have the limiter, not the chat, decide the result.
fn check_rates(a: &Args) -> BoxResult<()> {
    let phases = if a.cross_instance { 2 } else { 1 };
    let s = shape(a, phases);
    let staff = (s.shops * s.staff_per_shop()) as f64;
    let convs = s.buyers().saturating_sub(s.takeover_buyers) as f64;
    let per = [
        ("staff member", a.rate / 2.0 / staff),
        ("buyer", a.rate / 2.0 / convs.max(1.0)),
        ("platform agent", a.takeover_rate / a.platform_agents.max(1) as f64),
    ];
    for (who, r) in per {
        if r > 0.8 {
            return Err(format!(
                "each {who} would send {r:.2} messages/s; the server allows 1/s: add people or lower the rate"
            )
            .into());
        }
    }
    Ok(())
}

pub async fn all(a: Args) -> BoxResult<()> {
    check_rates(&a)?;
    // Each side of every socket is a file: the clients here, the servers in children.
    let limit = procs::raise_nofile(a.clients as u64 + 2_000)?;
    eprintln!("open files allowed: {limit}");
    let mut runs = Vec::new();
    for r in 0..a.runs.max(1) {
        eprintln!("run {} of {}", r + 1, a.runs.max(1));
        let v = if a.cross_instance { cross_run(&a).await? } else { sqlite_run(&a).await? };
        println!("{}", serde_json::to_string(&v)?);
        runs.push(v);
    }
    let m = stats::median(&runs);
    print_tables(&a, &m, runs.len());
    if let Some(path) = &a.json {
        write_json(path, &json!({ "meta": meta(&a), "runs": runs, "median": m }))?;
    }
    Ok(())
}

fn write_json(path: &Path, v: &Value) -> BoxResult<()> {
    std::fs::write(path, serde_json::to_string_pretty(v)?)?;
    Ok(())
}

fn print_tables(a: &Args, m: &Value, runs: usize) {
    let meta = meta(a);
    let what = if runs > 1 { format!("median of {runs} runs") } else { "one run".to_owned() };
    println!(
        "\n{} clients ({} shops × {} staff, the rest buyers), {} msg/s for {} s, {} unanswered/s, chat_reply_secs = {}; {what}; {}, {} × {}",
        a.clients,
        a.shops,
        a.agents + 1,
        a.rate,
        a.secs,
        a.takeover_rate,
        a.reply_secs,
        meta["date"].as_str().unwrap_or(""),
        meta["cpus"],
        meta["cpu"].as_str().unwrap_or("")
    );
    println!("setup (rows written through the core): {} s\n", stats_cell(&m["setup_s"]));
    let phases: Vec<(&str, &Value)> = if a.cross_instance {
        vec![("cross-instance (A ← B)", &m["cross_instance"]), ("same instance (A ← A)", &m["same_instance"])]
    } else {
        let mut p = vec![("youying", &m["youying"])];
        for mode in &a.baselines {
            let key = format!("bare_{}", mode.as_str());
            if m.get(&key).is_some() {
                p.push((
                    if *mode == crate::bare::Mode::Routed { "bare routed" } else { "bare broadcast" },
                    &m[key.as_str()],
                ));
            }
        }
        p
    };
    let ratio = (phases.len() > 1).then_some(1);
    println!("{}", stats::table(&phases, ratio));
    println!("{}", stats::takeover_table(&phases, &m["evidence"]));
}

fn stats_cell(v: &Value) -> String {
    v.as_f64().map_or_else(|| "—".into(), |x| format!("{x:.1}"))
}
