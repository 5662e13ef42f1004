//! `youying bot ask` and `youying bot eval`: the help bot from the command line.

// A command line tool reports on standard output by design.
#![allow(clippy::print_stdout)]

use std::path::Path;

use youying_bot::{Bot, Context, Knowledge};
use youying_core::Clock;
use youying_core::ports::Store;
use youying_core::values::ProductId;

use crate::cli::{CliResult, DbArgs, Opened};
use crate::clock::SystemClock;

/// Prints the evaluation report of a labelled `intent<TAB>text` file.
pub fn eval(file: &Path) -> CliResult<bool> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let report = youying_bot::eval::evaluate(&Bot::new(), &text);
    if report.total() == 0 {
        return Err(format!("{}: no `intent<TAB>text` lines", file.display()).into());
    }
    println!("{}", report.render());
    Ok(true)
}

/// Prints the bot's reply to one message as JSON. With `--product`, the
/// product's live facts, the rules in force and the FAQs are read from the
/// database in a read-only snapshot; without it, the defaults.
pub async fn ask(message: &str, product: Option<i64>, db: &DbArgs) -> CliResult<bool> {
    let now = SystemClock.now();
    let reply = match product {
        Some(id) => {
            let cfg = crate::cli::config(db, "127.0.0.1:0".parse()?, false, true);
            let text = message.to_owned();
            let asked = move |tx: &mut dyn youying_core::ports::ReadTx| {
                crate::helpbot::ask(tx, now, None, &text, Some(ProductId(id)), None)
            };
            match crate::cli::open(&cfg).await? {
                Opened::Sqlite(store) => store.read(asked).await,
                Opened::Postgres(store) => store.read(asked).await,
            }
            .map_err(|e| format!("product {id}: {e}"))?
        }
        None => {
            let ctx = Context { now_ms: now.millis(), knowledge: Knowledge::platform_default(), ..Context::default() };
            crate::helpbot::bot().reply(message, &ctx)
        }
    };
    println!("{}", serde_json::to_string_pretty(&reply)?);
    Ok(true)
}
