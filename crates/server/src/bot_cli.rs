//! `youying bot ask` and `youying bot eval`: the help bot from the command line. With
//! `--product`, the product's live facts and the rules in force are read from the database in a
//! read-only snapshot; without it, the bot answers with no product and the default rules.

// A command line tool reports on standard output by design.
#![allow(clippy::print_stdout)]

use std::path::Path;

use youying_bot::{Bot, Context, Knowledge, ProductFacts, ProductKind, RuleFacts, Tier};
use youying_core::Clock;
use youying_core::catalogue::{self, ProductKind as CoreKind};
use youying_core::ports::Store;
use youying_core::rules::Rules;
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

/// Prints the bot's reply to one message as JSON.
pub async fn ask(message: &str, product: Option<i64>, db: &DbArgs) -> CliResult<bool> {
    let mut ctx =
        Context { now_ms: SystemClock.now().millis(), knowledge: Knowledge::platform_default(), ..Context::default() };
    if let Some(id) = product {
        let cfg = crate::cli::config(db, "127.0.0.1:0".parse()?, false, true);
        let (facts, rules) = match crate::cli::open(&cfg).await? {
            Opened::Sqlite(store) => product_facts(&store, id).await?,
            Opened::Postgres(store) => product_facts(&store, id).await?,
        };
        ctx.product = Some(facts);
        ctx.rules = rules;
    }
    let reply = Bot::new().reply(message, &ctx);
    println!("{}", serde_json::to_string_pretty(&reply)?);
    Ok(true)
}

/// A product's facts and the rules in force, as the bot sees them.
async fn product_facts<S: Store>(store: &S, id: i64) -> CliResult<(ProductFacts, RuleFacts)> {
    let pid = ProductId(id);
    let (product, stock, rules) = store
        .read(move |tx| {
            let product = tx.product(pid)?.ok_or(youying_core::Error::NotFound)?;
            let stock = tx.stock_count(pid)?;
            Ok((product, stock, youying_core::accounts::rules(tx)?))
        })
        .await
        .map_err(|e| format!("product {id}: {e}"))?;
    let spec = product.spec;
    let kind = match spec.kind {
        CoreKind::CardKey => ProductKind::CardKey,
        CoreKind::DirectTopup => ProductKind::DirectTopup,
        CoreKind::Account => ProductKind::Account,
    };
    let delivery_secs = (spec.kind == CoreKind::DirectTopup)
        .then(|| catalogue::topup_promise_secs(&spec.promises, spec.topup_promise_secs, &rules));
    let facts = ProductFacts {
        title: spec.title,
        price_fen: spec.price_fen,
        tiers: spec.tiers.iter().map(|t| Tier { min_qty: t.min_qty, price_fen: t.unit_price_fen }).collect(),
        stock: spec.kind.has_stock().then_some(stock),
        kind,
        delivery_secs,
        instructions: spec.instructions,
    };
    Ok((facts, rule_facts(&rules)))
}

/// The rules the bot quotes, from the configured values.
pub fn rule_facts(rules: &Rules) -> RuleFacts {
    RuleFacts {
        protect_card_key_secs: rules.get("protect_card_key_secs"),
        protect_topup_secs: rules.get("protect_topup_secs"),
        protect_account_secs: rules.get("protect_account_secs"),
        case_merchant_secs: rules.get("case_merchant_secs"),
        case_resolve_secs: rules.get("case_resolve_secs"),
        chat_reply_secs: rules.chat_reply_secs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bot's own defaults (used when no database is at hand) are the published rules.
    #[test]
    fn the_bots_default_rules_are_the_platforms() {
        assert_eq!(rule_facts(&Rules::default()), RuleFacts::default());
    }
}
