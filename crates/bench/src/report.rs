//! The markdown table, run metadata, and medians across runs.

use serde_json::{Map, Value, json};

use crate::Args;

pub fn meta(args: &Args) -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_default();
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    json!({
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "date": date,
        "cpus": std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        "cpu": cpu,
        "count": args.count,
        "spread_secs": args.spread_secs,
        "backend": args.backend.as_str(),
        "chunk": args.chunk,
        "seed": args.seed,
        "order": format!("{:?}", args.order).to_lowercase(),
        "poll_ms": args.poll_ms,
        "scrape_ms": args.scrape_ms,
    })
}

/// The per-leaf median of several runs of the same shape (numbers only; any
/// other leaf is taken from the first run).
pub fn median(runs: &[Value]) -> Value {
    let refs: Vec<&Value> = runs.iter().collect();
    median_of(&refs)
}

fn median_of(vs: &[&Value]) -> Value {
    let Some(first) = vs.first() else { return Value::Null };
    match first {
        Value::Object(m) => {
            let mut out = Map::new();
            for k in m.keys() {
                let sub: Vec<&Value> = vs.iter().filter_map(|v| v.get(k)).collect();
                out.insert(k.clone(), median_of(&sub));
            }
            Value::Object(out)
        }
        Value::Number(_) => {
            let mut nums: Vec<f64> = vs.iter().filter_map(|v| v.as_f64()).collect();
            nums.sort_by(f64::total_cmp);
            let n = nums.len();
            if n == 0 {
                return Value::Null;
            }
            let m = if n % 2 == 1 { nums[n / 2] } else { f64::midpoint(nums[n / 2 - 1], nums[n / 2]) };
            json!(m)
        }
        other => (*other).clone(),
    }
}

#[derive(Debug, Clone, Copy)]
enum Fmt {
    Int,
    Ms,
    Secs,
    MiB,
}

fn thousands(v: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let n = v.round() as i64;
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn show(v: Option<f64>, f: Fmt) -> String {
    let Some(v) = v else { return "—".into() };
    match f {
        Fmt::Int => thousands(v),
        Fmt::Ms if v.fract() == 0.0 => format!("{v:.0}"),
        Fmt::Ms if v.abs() < 10.0 => format!("{v:.2}"),
        Fmt::Ms => format!("{v:.1}"),
        Fmt::Secs => format!("{v:.2}"),
        Fmt::MiB => format!("{:.1}", v / 1024.0),
    }
}

pub fn table(run: &Value, runs: usize) -> String {
    let m = &run["meta"];
    let y = &run["youying"];
    let b = &run["bare"];
    let backend = m["backend"].as_str().unwrap_or("?");
    let bare_name = if backend == "postgres" { "bare `postgres` client" } else { "bare rusqlite" };
    let rows: &[(&str, &str, Fmt)] = &[
        ("insert rate (rows/s)", "/insert/rows_per_s", Fmt::Int),
        ("insert time (s)", "/insert/secs", Fmt::Secs),
        ("deadlines already due when the insert finished", "/insert/already_due", Fmt::Int),
        ("deadlines fired", "/fired", Fmt::Int),
        ("lateness p50 (ms, `fired_at − due_at`)", "/lateness_ms/p50", Fmt::Ms),
        ("lateness p90 (ms)", "/lateness_ms/p90", Fmt::Ms),
        ("lateness **p99** (ms)", "/lateness_ms/p99", Fmt::Ms),
        ("lateness p99.9 (ms)", "/lateness_ms/p99_9", Fmt::Ms),
        ("lateness max (ms)", "/lateness_ms/max", Fmt::Ms),
        ("lateness to commit p50 (ms)", "/commit_lateness_ms/p50", Fmt::Ms),
        ("lateness to commit p99 (ms)", "/commit_lateness_ms/p99", Fmt::Ms),
        ("lateness to commit max (ms)", "/commit_lateness_ms/max", Fmt::Ms),
        ("last commit after the last deadline's due time (ms)", "/last_commit_after_last_due_ms", Fmt::Ms),
        ("firing transactions", "/batches/transactions", Fmt::Int),
        ("mean deadlines per transaction", "/batches/mean_batch", Fmt::Ms),
        ("full (500) batches", "/batches/full_batches", Fmt::Int),
        ("firing transaction p50 (ms)", "/batches/txn_ms/p50", Fmt::Ms),
        ("firing transaction p99 (ms)", "/batches/txn_ms/p99", Fmt::Ms),
        ("firing transaction max (ms)", "/batches/txn_ms/max", Fmt::Ms),
        ("RSS after insert (MiB)", "/mem_kib/after_insert", Fmt::MiB),
        ("RSS after firing (MiB)", "/mem_kib/after_fire", Fmt::MiB),
        ("peak RSS (MiB)", "/mem_kib/peak", Fmt::MiB),
        ("CPUs used by the process while firing", "/cpu/fire/own_cpus", Fmt::Ms),
        ("CPUs used by other processes while firing", "/cpu/fire/other_cpus", Fmt::Ms),
        ("disk writes by the process while firing (MiB)", "/cpu/fire/own_disk_write_mib", Fmt::Int),
        ("disk writes by others while firing (MiB)", "/cpu/fire/other_disk_write_mib", Fmt::Int),
    ];
    let mut out = String::new();
    let what = if runs > 1 { format!("median of {runs} runs") } else { "one run".to_owned() };
    out.push_str(&format!(
        "{} deadlines due uniformly over {} s ({} order), {backend}, {what} ({}, {} CPUs):\n\n",
        thousands(m["count"].as_f64().unwrap_or(0.0)),
        thousands(m["spread_secs"].as_f64().unwrap_or(0.0)),
        m["order"].as_str().unwrap_or("random"),
        m["date"].as_str().unwrap_or(""),
        thousands(m["cpus"].as_f64().unwrap_or(0.0)),
    ));
    out.push_str(&format!("| | youying | {bare_name} | youying ÷ bare |\n|---|---:|---:|---:|\n"));
    for (label, path, f) in rows {
        let yv = y.pointer(path).and_then(Value::as_f64);
        let bv = b.pointer(path).and_then(Value::as_f64);
        let ratio = match (yv, bv) {
            (Some(a), Some(c)) if c > 0.0 && a >= 0.0 && !label.starts_with("deadlines") => format!("{:.2}×", a / c),
            _ => "—".to_owned(),
        };
        out.push_str(&format!("| {label} | {} | {} | {ratio} |\n", show(yv, *f), show(bv, *f)));
    }
    if let Some(q) = y.pointer("/pending_count_query_ms/max").and_then(Value::as_f64) {
        out.push_str(&format!(
            "\nWatcher: `pending_deadlines()` every {} ms on a read connection; slowest count took {} ms.\n",
            m.get("poll_ms").and_then(Value::as_u64).unwrap_or(500),
            show(Some(q), Fmt::Ms)
        ));
    }
    out
}
