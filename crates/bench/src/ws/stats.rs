//! Percentiles, the per-phase summary (JSON), medians across runs, and the
//! Markdown tables.

use serde_json::{Map, Value, json};

use crate::clients::{Ledger, Takeover};

/// Nearest-rank percentiles of `v` (sorted here), in the unit given.
pub fn pcts(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| -> Value {
        if v.is_empty() {
            return Value::Null;
        }
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        json!(round2(v[i]))
    };
    json!({ "n": v.len(), "p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": at(1.0) })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// What the sockets saw of one phase's messages.
pub fn deliveries(ledger: &Ledger, secs: f64) -> Value {
    let issued = ledger.issued();
    let (ok, refused, missing, dup) = ledger.tally(0..issued);
    let lat: Vec<f64> =
        ledger.deliveries.lock().map(|d| d.iter().map(|&(_, us)| f64::from(us) / 1000.0).collect()).unwrap_or_default();
    let posts: Vec<f64> =
        ledger.posts.lock().map(|d| d.iter().map(|&(_, us)| f64::from(us) / 1000.0).collect()).unwrap_or_default();
    let mut failures: Map<String, Value> = Map::new();
    if let Ok(fs) = ledger.failures.lock() {
        for f in fs.iter() {
            let n = failures.get(f).and_then(Value::as_u64).unwrap_or(0);
            failures.insert(f.clone(), json!(n + 1));
        }
    }
    json!({
        "accepted": ok,
        "accepted_per_s": round2(ok as f64 / secs),
        "refused": refused,
        "failures": failures,
        "deliveries": lat.len(),
        "missing": missing,
        "duplicated": dup,
        "lagged": ledger.lagged.load(std::sync::atomic::Ordering::Relaxed),
        "delivery_ms": pcts(lat),
        "post_ms": pcts(posts),
    })
}

/// Takeovers as the buyers' sockets saw them. Those of conversations not
/// left unanswered on purpose mean a shop's answer came after the deadline.
pub fn takeovers(ledger: &Ledger, sent: usize) -> Value {
    let list: Vec<Takeover> = ledger.takeovers.lock().map(|l| l.clone()).unwrap_or_default();
    let dues = ledger.dues.lock().map(|d| d.clone()).unwrap_or_default();
    let planned: Vec<(i64, &Takeover)> = list.iter().filter_map(|t| Some((*dues.get(&t.conv)?, t))).collect();
    let f = |g: &dyn Fn(i64, &Takeover) -> i64| pcts(planned.iter().map(|&(due, t)| g(due, t) as f64).collect());
    json!({
        "sent": sent,
        "seen": planned.len(),
        "unplanned": list.len() - planned.len(),
        "fire_late_ms": f(&|due, t| t.fired_ms - due),
        "due_to_socket_ms": f(&|due, t| t.received_ms - due),
        "fired_to_socket_ms": f(&|_, t| t.received_ms - t.fired_ms),
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
            json!(if n % 2 == 1 { nums[n / 2] } else { f64::midpoint(nums[n / 2 - 1], nums[n / 2]) })
        }
        other => (*other).clone(),
    }
}

fn cell(v: Option<&Value>) -> String {
    match v.and_then(Value::as_f64) {
        None => "—".into(),
        Some(x) if x.fract() == 0.0 && x.abs() >= 1000.0 => thousands(x),
        Some(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) if x.abs() < 10.0 => format!("{x:.2}"),
        Some(x) => format!("{x:.1}"),
    }
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

const ROWS: &[(&str, &str)] = &[
    ("websocket clients", "/clients"),
    ("connect: all clients upgraded and answered a ping (s)", "/connect_s"),
    ("messages accepted (201)", "/deliveries/accepted"),
    ("messages accepted per second", "/deliveries/accepted_per_s"),
    ("sends refused or failed", "/deliveries/refused"),
    ("deliveries to the other party", "/deliveries/deliveries"),
    ("deliveries still missing 20 s after the load (**lost**)", "/deliveries/missing"),
    ("deliveries duplicated", "/deliveries/duplicated"),
    ("`lagged` notices", "/deliveries/lagged"),
    ("delivery p50 (ms)", "/deliveries/delivery_ms/p50"),
    ("delivery p90 (ms)", "/deliveries/delivery_ms/p90"),
    ("delivery **p99** (ms)", "/deliveries/delivery_ms/p99"),
    ("delivery max (ms)", "/deliveries/delivery_ms/max"),
    ("POST p50 (ms)", "/deliveries/post_ms/p50"),
    ("POST p99 (ms)", "/deliveries/post_ms/p99"),
    ("server RSS before clients (MiB)", "/server/rss_idle_mib"),
    ("server RSS with clients, idle (MiB)", "/server/rss_clients_mib"),
    ("server RSS max during load (MiB)", "/server/rss_load_max_mib"),
    ("server peak RSS, VmHWM (MiB)", "/server/hwm_mib"),
    ("server CPU during load (cores)", "/server/cpu_cores"),
    ("bench process CPU during load (cores; clients + load)", "/bench_cpu_cores"),
    ("whole machine busy during load (cores of 2)", "/machine_busy_cores"),
];

/// Phases side by side, with the first column divided by the `ratio_to` column.
pub fn table(phases: &[(&str, &Value)], ratio_to: Option<usize>) -> String {
    let mut out = String::from("| |");
    for (name, _) in phases {
        out.push_str(&format!(" {name} |"));
    }
    if let Some(r) = ratio_to {
        out.push_str(&format!(" {} ÷ {} |", phases[0].0, phases[r].0));
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(phases.len() + usize::from(ratio_to.is_some())));
    out.push('\n');
    for (label, path) in ROWS {
        out.push_str(&format!("| {label} |"));
        for (_, v) in phases {
            out.push_str(&format!(" {} |", cell(v.pointer(path))));
        }
        if let Some(r) = ratio_to {
            let a = phases[0].1.pointer(path).and_then(Value::as_f64);
            let b = phases[r].1.pointer(path).and_then(Value::as_f64);
            let ratio = match (a, b) {
                (Some(a), Some(b)) if b > 0.0 && (label.contains("ms") || label.contains("MiB")) => {
                    format!("{:.2}×", a / b)
                }
                _ => String::new(),
            };
            out.push_str(&format!(" {ratio} |"));
        }
        out.push('\n');
    }
    out
}

/// The takeover rows of each phase that had a takeover stream.
pub fn takeover_table(phases: &[(&str, &Value)], evidence: &Value) -> String {
    let mut out = String::from(
        "| | sent | seen by the buyer's socket | p50 (ms) | p99 (ms) | max (ms) |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (name, v) in phases {
        let t = &v["takeover"];
        if t.is_null() {
            continue;
        }
        for (what, key) in [
            ("fire lateness (takeover message `created_at` − due)", "fire_late_ms"),
            ("due → takeover event on the buyer's socket", "due_to_socket_ms"),
        ] {
            let p = &t[key];
            out.push_str(&format!(
                "| {name}: {what} | {} | {} | {} | {} | {} |\n",
                cell(t.get("sent")),
                cell(t.get("seen")),
                cell(p.get("p50")),
                cell(p.get("p99")),
                cell(p.get("max"))
            ));
        }
    }
    let e = &evidence["chat_reply_late_ms"];
    out.push_str(&format!(
        "| evidence: `late_ms` of every `chat_reply` firing (`deadlines.fired`) | {} | — | {} | {} | {} |\n",
        cell(e.get("n")),
        cell(e.get("p50")),
        cell(e.get("p99")),
        cell(e.get("max"))
    ));
    out
}
