//! `bot-bench`: how fast the help bot answers, on one thread. Every labelled
//! question (train and held-back, 499) is answered in a realistic context — a
//! product with tiers and stock, three of the asker's orders, the platform FAQ,
//! a conversation with earlier questions — round after round, and each answer
//! is timed. The baseline, measured in the same run, is the part no answer can
//! skip: normalising and segmenting the same question with jieba.
//!
//! ```text
//! cargo build --release -p youying-bench --bin bot-bench
//! taskset -c 0 target/release/bot-bench --rounds 20 --runs 3
//! ```

// The report is the program's output.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use clap::Parser;
use youying_bot::{
    Bot, Context, ConversationState, Knowledge, OrderFacts, ProductFacts, ProductKind, RuleFacts, Tier, text,
};

#[derive(Debug, Parser)]
struct Args {
    /// Passes over every question per run.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Runs; the report gives each run and the median.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

const NOW: i64 = 1_795_600_000_000;

fn context() -> Context {
    let order = |n: i64, state: &str, kind| OrderFacts {
        no: format!("20261125{:010}", 1_000 + n),
        state: state.to_owned(),
        title: "腾讯Q币点卡 100元".to_owned(),
        kind,
        created_at: NOW - n * 3_600_000,
        protect_until: Some(NOW + 20 * 3_600_000),
        promise_due: None,
        next_step: None,
    };
    Context {
        now_ms: NOW,
        product: Some(ProductFacts {
            title: "Steam 钱包充值卡 $20（美区）".to_owned(),
            price_fen: 14_500,
            tiers: vec![Tier { min_qty: 10, price_fen: 14_000 }, Tier { min_qty: 50, price_fen: 13_600 }],
            stock: Some(37),
            kind: ProductKind::CardKey,
            delivery_secs: None,
            instructions: "登录 Steam → 账户明细 → 充值钱包 → 输入卡密。".to_owned(),
        }),
        orders: vec![
            order(1, "delivered", ProductKind::CardKey),
            order(2, "completed", ProductKind::CardKey),
            order(3, "awaiting_fulfilment", ProductKind::DirectTopup),
        ],
        rules: RuleFacts::default(),
        conversation: ConversationState {
            previous_questions: vec!["这个多少钱".to_owned(), "有货吗".to_owned()],
            bot_answers_in_row: 1,
            last_unhelpful: false,
        },
        knowledge: Knowledge::platform_default(),
    }
}

fn questions() -> Vec<String> {
    let mut all = youying_bot::parse_examples(include_str!("../../../bot/data/train.tsv")).0;
    all.extend(youying_bot::parse_examples(include_str!("../../../bot/data/test.tsv")).0);
    all.into_iter().map(|(_, t)| t).collect()
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    #[allow(clippy::cast_precision_loss)]
    let us = sorted[i.min(sorted.len() - 1)] as f64;
    us / 1000.0
}

/// Per-call nanoseconds of `f` over every question, `rounds` times; and the
/// calls per second of the whole pass.
fn measure(qs: &[String], rounds: usize, mut f: impl FnMut(&str)) -> (Vec<u64>, f64) {
    let mut ns = Vec::with_capacity(qs.len() * rounds);
    let start = Instant::now();
    for _ in 0..rounds {
        for q in qs {
            let t = Instant::now();
            f(q);
            ns.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let per_sec = ns.len() as f64 / start.elapsed().as_secs_f64();
    ns.sort_unstable();
    (ns, per_sec)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn main() {
    let args = Args::parse();
    let t = Instant::now();
    let bot = Bot::new();
    let ctx = context();
    let _ = bot.reply("多少钱", &ctx); // loads jieba's dictionary
    println!("bot built and warmed in {:.0} ms (training + dictionary)", t.elapsed().as_secs_f64() * 1000.0);
    let qs = questions();
    println!("{} questions × {} rounds × {} runs, one thread\n", qs.len(), args.rounds, args.runs);
    println!("| run | answers/s | p50 µs | p99 µs | max µs | baseline (segment only) p50 µs | p99 µs | p99 ratio |");
    println!("|---|---|---|---|---|---|---|---|");
    let (mut rates, mut p50s, mut p99s, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 1..=args.runs {
        let (base, _) = measure(&qs, args.rounds, |q| {
            std::hint::black_box(text::features(&text::normalise(q)));
        });
        let (ns, rate) = measure(&qs, args.rounds, |q| {
            std::hint::black_box(bot.reply(q, &ctx));
        });
        let (p50, p99) = (pct(&ns, 0.5), pct(&ns, 0.99));
        let ratio = p99 / pct(&base, 0.99).max(0.001);
        println!(
            "| {run} | {rate:.0} | {p50:.1} | {p99:.1} | {:.1} | {:.1} | {:.1} | {ratio:.1}× |",
            pct(&ns, 1.0),
            pct(&base, 0.5),
            pct(&base, 0.99)
        );
        rates.push(rate);
        p50s.push(p50);
        p99s.push(p99);
        ratios.push(ratio);
    }
    let p99 = median(p99s);
    println!(
        "\nmedian: {:.0} answers/s, p50 {:.1} µs, p99 {p99:.1} µs ({:.1}× the segmentation baseline); goal p99 ≤ 5 ms: {}",
        median(rates),
        median(p50s),
        median(ratios),
        if p99 <= 5_000.0 { "met" } else { "NOT met" }
    );
}
