//! The help bot wired to live data: its facts (the product in context, the
//! asker's own orders, the rules in force, the platform's and the shop's FAQ)
//! are read in the caller's transaction, so every number it says is the stored
//! one. Chat turns reach it through the core's [`Responder`]; `POST /api/v1/bot/ask`
//! and `youying bot ask` ask it directly.

use std::sync::OnceLock;

use youying_bot::{
    Bot, Context, ConversationState, FaqEntry, Knowledge, OrderFacts, ProductFacts, ProductKind, Reply, RuleFacts, Tier,
};
use youying_core::Timestamp;
use youying_core::accounts::User;
use youying_core::catalogue::{self, ProductKind as CoreKind};
use youying_core::chat::bot::{BotAnswer, CaseOffer, Responder, Turn};
use youying_core::error::Result;
use youying_core::orders::Order;
use youying_core::ports::{ReadTx, Tx};
use youying_core::rules::{Rule, Rules};
use youying_core::snapshot::Snapshot;
use youying_core::values::{ProductId, ShopId};

/// The trained bot, built once per process (training takes milliseconds; the
/// first answer also loads jieba's dictionary, so the server warms it at start).
pub fn bot() -> &'static Bot {
    static BOT: OnceLock<Bot> = OnceLock::new();
    BOT.get_or_init(Bot::new)
}

/// The platform FAQ shipped with the bot, parsed once: used until an admin edits it.
pub fn builtin_faq() -> &'static [FaqEntry] {
    static FAQ: OnceLock<Vec<FaqEntry>> = OnceLock::new();
    FAQ.get_or_init(|| Knowledge::platform_default().platform)
}

/// How many of the asker's recent orders the bot may look at.
const RECENT_ORDERS: usize = 20;

/// The chat's bot: answers a turn from the conversation's product, the buyer's
/// orders with this shop, the rules and the FAQs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatBot;

impl Responder for ChatBot {
    fn answer(&self, tx: &mut dyn Tx, turn: &Turn<'_>) -> Result<BotAnswer> {
        let c = turn.conversation;
        let rules = youying_core::rules::in_force(tx)?;
        // A chat opened from an order is about that order's product.
        let product = match (c.product_id, c.order_id) {
            (Some(p), _) => Some(p),
            (None, Some(o)) => tx.product_of_order(o)?,
            (None, None) => None,
        };
        let product = match product {
            Some(p) => tx.product(p)?.map(|p| product_facts(tx, p, &rules)).transpose()?,
            None => None,
        };
        let ctx = Context {
            now_ms: turn.now.millis(),
            product,
            orders: order_facts(tx, turn.buyer, Some(c.shop_id), turn.text, None)?,
            rules: rule_facts(&rules),
            conversation: ConversationState {
                previous_questions: turn.previous_questions.clone(),
                bot_answers_in_row: turn.answers_in_row,
                last_unhelpful: false,
            },
            knowledge: knowledge(tx, Some(c.shop_id))?,
        };
        Ok(into_answer(bot().reply(turn.text, &ctx)))
    }
}

fn into_answer(r: Reply) -> BotAnswer {
    BotAnswer {
        intent: r.intent.as_str().to_owned(),
        confidence: r.confidence,
        text: r.answer,
        handoff_reason: r
            .handoff_reason
            .map(|h| serde_json::to_value(h).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()),
        suggestions: r.suggestions,
        case_offer: r.case_offer.map(|o| CaseOffer { order_no: o.order_no, case_type: o.case_type }),
    }
}

/// A one-off question outside a conversation: about a product, and about the
/// asker's own orders (an order number of someone else's is unknown here).
pub fn ask(
    tx: &mut dyn ReadTx,
    now: Timestamp,
    asker: Option<&User>,
    text: &str,
    product: Option<ProductId>,
    order_no: Option<&str>,
) -> Result<Reply> {
    let rules = youying_core::rules::in_force(tx)?;
    let orders = match asker {
        Some(u) => order_facts(tx, u, None, text, order_no)?,
        None if order_no.is_some() => return Err(youying_core::Error::NotFound),
        None => Vec::new(),
    };
    // Asked about one's own order (checked just above): its product is the one in question.
    let product = match (product, order_no) {
        (Some(id), _) => Some(tx.product(id)?.ok_or(youying_core::Error::NotFound)?),
        (None, Some(no)) => match tx.order_by_no(no)? {
            Some(o) => tx.product(o.product_id)?,
            None => None,
        },
        (None, None) => None,
    };
    let product = product.map(|p| product_facts(tx, p, &rules)).transpose()?;
    let ctx = Context {
        now_ms: now.millis(),
        product,
        orders,
        rules: rule_facts(&rules),
        conversation: ConversationState::default(),
        knowledge: knowledge(tx, None)?,
    };
    Ok(bot().reply(text, &ctx))
}

/// The asker's own orders the bot may speak about: recent ones (with `shop`,
/// only that shop's) and any named in the text or asked for that are theirs.
/// `explicit`, an order asked about by number, must be the asker's: else 404.
fn order_facts(
    tx: &mut dyn ReadTx,
    asker: &User,
    shop: Option<ShopId>,
    text: &str,
    explicit: Option<&str>,
) -> Result<Vec<OrderFacts>> {
    let mut orders: Vec<Order> = tx
        .orders_of_buyer(asker.id, RECENT_ORDERS)?
        .into_iter()
        .filter(|o| shop.is_none_or(|s| o.shop_id == s))
        .collect();
    let named = youying_bot::text::order_numbers(text);
    for no in explicit.into_iter().map(str::to_owned).chain(named) {
        if orders.iter().any(|o| o.no == no) {
            continue;
        }
        match tx.order_by_no(&no)?.filter(|o| o.buyer_id == asker.id) {
            Some(o) => orders.push(o),
            None if explicit == Some(no.as_str()) => return Err(youying_core::Error::NotFound),
            None => {}
        }
    }
    Ok(orders.iter().map(order_fact).collect())
}

fn order_fact(o: &Order) -> OrderFacts {
    let title = Snapshot::title_of(&o.snapshot);
    let state = o.state.as_str().to_owned();
    OrderFacts {
        no: o.no.clone(),
        next_step: (state == "disputed").then(|| "售后处理中，进度见订单页的售后记录；担保金已冻结。".to_owned()),
        state,
        title,
        kind: kind(o.kind),
        created_at: o.created_at.millis(),
        protect_until: o.protect_until.map(Timestamp::millis),
        promise_due: o.promise_due.map(Timestamp::millis),
    }
}

fn kind(k: CoreKind) -> ProductKind {
    match k {
        CoreKind::CardKey => ProductKind::CardKey,
        CoreKind::DirectTopup => ProductKind::DirectTopup,
        CoreKind::Account => ProductKind::Account,
    }
}

/// A product's live facts: price and tiers, stock, promised delivery, instructions.
pub fn product_facts(
    tx: &mut dyn ReadTx,
    product: youying_core::catalogue::Product,
    rules: &Rules,
) -> Result<ProductFacts> {
    let stock = tx.stock_count(product.id)?;
    let spec = product.spec;
    let delivery_secs = (spec.kind == CoreKind::DirectTopup)
        .then(|| catalogue::topup_promise_secs(&spec.promises, spec.topup_promise_secs, rules));
    Ok(ProductFacts {
        title: spec.title,
        price_fen: spec.price_fen,
        tiers: spec.tiers.iter().map(|t| Tier { min_qty: t.min_qty, price_fen: t.unit_price_fen }).collect(),
        stock: spec.kind.has_stock().then_some(stock),
        kind: kind(spec.kind),
        delivery_secs,
        instructions: spec.instructions,
    })
}

/// The rules the bot quotes, from the configured values.
pub fn rule_facts(rules: &Rules) -> RuleFacts {
    RuleFacts {
        protect_card_key_secs: rules.get(Rule::ProtectCardKeySecs),
        protect_topup_secs: rules.get(Rule::ProtectTopupSecs),
        protect_account_secs: rules.get(Rule::ProtectAccountSecs),
        case_merchant_secs: rules.get(Rule::CaseMerchantSecs),
        case_resolve_secs: rules.get(Rule::CaseResolveSecs),
        chat_reply_secs: rules.chat_reply_secs(),
    }
}

/// The platform's FAQ as edited (the built-in one until an admin adds any) and
/// the shop's own.
pub fn knowledge(tx: &mut dyn ReadTx, shop: Option<ShopId>) -> Result<Knowledge> {
    let entry = |i: youying_core::faq::FaqItem| FaqEntry { question: i.question, answer: i.answer };
    let platform: Vec<FaqEntry> = tx.faq(None)?.into_iter().map(entry).collect();
    let platform = if platform.is_empty() { builtin_faq().to_vec() } else { platform };
    let shop = match shop {
        Some(s) => tx.faq(Some(s))?.into_iter().map(entry).collect(),
        None => Vec::new(),
    };
    Ok(Knowledge { platform, shop })
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
