//! `dock-bench`: orders per second through one 对接 hop (issue 14). Two real
//! servers on one machine, each on its own database: site B sells card keys;
//! site A docks B through the open API and sells B's product in its own shop.
//! A crowd of buyers on A buys the mapped product (every order placed on B
//! over HTTP, signed, before A delivers), against a baseline measured in the
//! same run with the same crowd, client and concurrency: the same number of
//! direct orders of an identical product on B. The goal is ≥ 50 % of direct.
//! Every hop order must deliver exactly one key, B must have sold exactly as
//! many keys, and both ledgers must audit clean, or the run fails.
//!
//! ```text
//! cargo run --release -p youying-bench --bin dock-bench
//! cargo run --release -p youying-bench --bin dock-bench -- --pg "$(bash scripts/ensure-postgres.sh)"
//! ```

// The report is the program's output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod node;

use std::time::Instant;

use clap::Parser;
use serde_json::{Value, json};

use youying_core::ports::Store;

use crate::node::{Node, Tokens};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Debug, Parser)]
#[command(name = "dock-bench", version)]
struct Args {
    /// A PostgreSQL server (admin URL) to create fresh databases on; SQLite when left out.
    #[arg(long)]
    pg: Option<String>,
    /// Orders in each phase.
    #[arg(long, default_value_t = 2_000)]
    orders: usize,
    /// Orders in flight at once (one buyer each).
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Also write the report here.
    #[arg(long)]
    json: Option<std::path::PathBuf>,
}

const PRICE_FEN: i64 = 1_000;

/// `n` orders of `product` on `node`, `concurrency` at a time, one buyer per
/// lane; returns (seconds, per-order latencies in ms, problems).
async fn run_orders<S: Store>(
    node: &Node<S>,
    buyers: &[String],
    product: i64,
    n: usize,
) -> BoxResult<(f64, Vec<f64>, Vec<String>)> {
    let client = node::client();
    let started = Instant::now();
    let mut lanes = Vec::new();
    for (lane, token) in buyers.iter().enumerate() {
        let mine = (lane..n).step_by(buyers.len()).count();
        let (client, url, token) = (client.clone(), node.url("/api/v1/orders"), token.clone());
        lanes.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(mine);
            let mut problems = Vec::new();
            for _ in 0..mine {
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "product_id": product, "quantity": 1 }))
                    .send()
                    .await;
                lat.push(t.elapsed().as_secs_f64() * 1e3);
                match r {
                    Ok(r) => {
                        let status = r.status();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        let units = body["units"].as_array().map_or(0, Vec::len);
                        if status != reqwest::StatusCode::CREATED || units != 1 {
                            problems.push(format!("{status} with {units} units: {body}"));
                        }
                    }
                    Err(e) => problems.push(e.to_string()),
                }
            }
            (lat, problems)
        }));
    }
    let (mut lat, mut problems) = (Vec::with_capacity(n), Vec::new());
    for l in lanes {
        let (a, b) = l.await?;
        lat.extend(a);
        problems.extend(b);
    }
    Ok((started.elapsed().as_secs_f64(), lat, problems))
}

fn summary(secs: f64, n: usize, lat: &mut [f64]) -> Value {
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat.get(((lat.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0);
    json!({ "orders": n, "secs": (secs * 1000.0).round() / 1000.0, "orders_per_sec": (n as f64 / secs).round(),
            "p50_ms": pct(0.5).round(), "p99_ms": pct(0.99).round() })
}

async fn setup_b<S: Store>(b: &Node<S>, t: &Tokens, n: usize) -> BoxResult<(i64, i64, String, String)> {
    // One reseller key carries the whole docked shop: lift its rate limit (default 50/s).
    b.call(
        "PUT",
        "/api/v1/admin/rules",
        &t.admin,
        json!({ "allow_private_addresses": 1, "open_api_per_sec": 100_000 }),
    )
    .await?;
    let shop = b.shop(t, "货源站B").await?;
    let keys = |p: &str| (0..n).map(|i| format!("{p}-{i:07}")).collect::<Vec<_>>().join("\n");
    let hop = b.product(t, shop, "B 点卡（对接）", PRICE_FEN, &keys("HOP")).await?;
    let direct = b.product(t, shop, "B 点卡（直购）", PRICE_FEN, &keys("DIR")).await?;
    b.credit(t, "bench_reseller", PRICE_FEN * n as i64 * 2).await?;
    let key = b.call("POST", "/api/v1/api-keys", &t.reseller, json!({ "name": "dock-bench" })).await?;
    let (Some(id), Some(secret)) = (key["key_id"].as_str(), key["secret"].as_str()) else {
        return Err(format!("no key in {key}").into());
    };
    Ok((hop, direct, id.to_owned(), secret.to_owned()))
}

async fn setup_a<S: Store>(
    a: &Node<S>,
    t: &Tokens,
    b: &Node<S>,
    upstream: i64,
    key_id: &str,
    secret: &str,
) -> BoxResult<i64> {
    a.call("PUT", "/api/v1/admin/rules", &t.admin, json!({ "allow_private_addresses": 1 })).await?;
    let shop = a.shop(t, "下游站A").await?;
    let conn = a
        .call(
            "POST",
            &format!("/api/v1/shops/{shop}/upstreams"),
            &t.merchant,
            json!({ "base_url": b.url(""), "key_id": key_id, "secret": secret }),
        )
        .await?;
    let uid = conn["id"].as_i64().ok_or_else(|| format!("no connection in {conn}"))?;
    let m = a
        .call(
            "POST",
            &format!("/api/v1/shops/{shop}/upstreams/{uid}/mappings"),
            &t.merchant,
            json!({ "upstream_product_id": upstream, "rule": { "kind": "percent", "value": 1000 } }),
        )
        .await?;
    m["product_id"].as_i64().or_else(|| m["product"]["id"].as_i64()).ok_or_else(|| format!("no product in {m}").into())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> BoxResult<()> {
    let args = Args::parse();
    let dir = std::env::temp_dir().join(format!("dock-bench-{}", std::process::id()));
    let result = match args.pg.clone() {
        None => {
            let (a, b) = (node::sqlite(&dir.join("a"))?, node::sqlite(&dir.join("b"))?);
            bench(&args, &dir, a, b).await
        }
        Some(url) => {
            let (sa, sb) = tokio::task::spawn_blocking(move || -> BoxResult<_> {
                Ok((node::PgScratch::create(&url, "a")?, node::PgScratch::create(&url, "b")?))
            })
            .await??;
            let (a, b) = (node::postgres(&sa.url).await?, node::postgres(&sb.url).await?);
            let r = bench(&args, &dir, a, b).await;
            tokio::task::spawn_blocking(move || drop((sa, sb))).await?;
            r
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn bench<S: Store>(args: &Args, dir: &std::path::Path, store_a: S, store_b: S) -> BoxResult<()> {
    let (n, c) = (args.orders, args.concurrency.max(1));
    let b = Node::start(store_b, &dir.join("b")).await?;
    let a = Node::start(store_a, &dir.join("a")).await?;
    let tb = b.tokens(c).await?;
    let ta = a.tokens(c).await?;
    let (hop_b, direct_b, key_id, secret) = setup_b(&b, &tb, n).await?;
    let mapped = setup_a(&a, &ta, &b, hop_b, &key_id, &secret).await?;
    for name in tb.buyer_names.iter() {
        b.credit(&tb, name, PRICE_FEN * (n / c + 1) as i64).await?;
    }
    for name in ta.buyer_names.iter() {
        a.credit(&ta, name, 2 * PRICE_FEN * (n / c + 1) as i64).await?;
    }
    eprintln!(
        "dock-bench: {n} orders each phase, {c} in flight, {}",
        if args.pg.is_some() { "PostgreSQL" } else { "SQLite" }
    );

    let (secs_d, mut lat_d, mut problems) = run_orders(&b, &tb.buyers, direct_b, n).await?;
    let direct = summary(secs_d, n, &mut lat_d);
    let (secs_h, mut lat_h, hop_problems) = run_orders(&a, &ta.buyers, mapped, n).await?;
    let hop = summary(secs_h, n, &mut lat_h);
    problems.extend(hop_problems);
    let sold_on_b = n as i64 - b.unsold(hop_b).await?;
    if sold_on_b != n as i64 {
        problems.push(format!("B sold {sold_on_b} keys of the docked product for {n} hop orders"));
    }
    problems.extend(b.audit().await?);
    problems.extend(a.audit().await?);
    let ratio = hop["orders_per_sec"].as_f64().unwrap_or(0.0) / direct["orders_per_sec"].as_f64().unwrap_or(1.0);
    let report = json!({
        "bench": "dock-bench", "backend": if args.pg.is_some() { "postgres" } else { "sqlite" },
        "orders": n, "concurrency": c, "direct_on_b": direct, "one_hop_a_to_b": hop,
        "hop_share_of_direct": (ratio * 1000.0).round() / 1000.0, "goal": 0.5,
        "correct": problems.is_empty(), "problems": problems.iter().take(10).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    a.stop().await;
    b.stop().await;
    if !problems.is_empty() {
        return Err(format!("{} problems, first: {}", problems.len(), problems[0]).into());
    }
    Ok(())
}
