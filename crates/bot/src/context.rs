//! What the bot knows when it answers: plain data the server fills from live records. The bot
//! never fetches anything itself, so every number it says comes from here.

use serde::{Deserialize, Serialize};

/// How a product is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    CardKey,
    DirectTopup,
    Account,
}

/// A wholesale tier: from `min_qty` units, each costs `price_fen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub min_qty: i64,
    pub price_fen: i64,
}

/// The product the conversation is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductFacts {
    pub title: String,
    pub price_fen: i64,
    pub tiers: Vec<Tier>,
    /// Units in stock; `None` when the product has no stock (direct top-ups).
    pub stock: Option<i64>,
    pub kind: ProductKind,
    /// The promised fulfilment time of a direct top-up; `None` for instant delivery from stock.
    pub delivery_secs: Option<i64>,
    /// The merchant's redemption instructions, as listed.
    pub instructions: String,
}

/// One of the buyer's own orders (the server passes only the asker's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    /// The 18-digit order number.
    pub no: String,
    /// `delivered`, `awaiting_fulfilment`, `fulfilled`, `completed` or `refunded`.
    pub state: String,
    pub title: String,
    pub kind: ProductKind,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// End of the protection window (ms), while escrow is held.
    pub protect_until: Option<i64>,
    /// When a direct top-up is due (ms), while it waits for the merchant.
    pub promise_due: Option<i64>,
    /// What happens next, in the server's words; the bot derives one from the state otherwise.
    pub next_step: Option<String>,
}

/// The rules in force, in seconds. The default is the published service promise; the server
/// passes the configured values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFacts {
    pub protect_card_key_secs: i64,
    pub protect_topup_secs: i64,
    pub protect_account_secs: i64,
    pub case_merchant_secs: i64,
    pub case_resolve_secs: i64,
    pub chat_reply_secs: i64,
}

impl Default for RuleFacts {
    fn default() -> Self {
        Self {
            protect_card_key_secs: 86_400,
            protect_topup_secs: 86_400,
            protect_account_secs: 259_200,
            case_merchant_secs: 43_200,
            case_resolve_secs: 86_400,
            chat_reply_secs: 120,
        }
    }
}

/// Where the conversation stands, for the loop guard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationState {
    /// The buyer's earlier questions in this conversation, oldest first.
    pub previous_questions: Vec<String>,
    /// Bot answers since the buyer last pressed 已解决 (or since a human last replied).
    pub bot_answers_in_row: u32,
    /// The buyer pressed "did not help" on the last answer.
    pub last_unhelpful: bool,
}

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaqEntry {
    pub question: String,
    pub answer: String,
}

/// What the bot may quote: the platform FAQ and the shop's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Knowledge {
    pub platform: Vec<FaqEntry>,
    pub shop: Vec<FaqEntry>,
}

impl Knowledge {
    /// The platform FAQ shipped with the bot (no shop entries).
    pub fn platform_default() -> Self {
        let platform = include_str!("../data/platform_faq.tsv")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .map(|(q, a)| FaqEntry { question: q.trim().to_owned(), answer: a.trim().to_owned() })
            .collect();
        Self { platform, shop: Vec::new() }
    }
}

/// Everything one answer may use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// Now, in milliseconds since the Unix epoch (from the server's clock, never read here).
    pub now_ms: i64,
    pub product: Option<ProductFacts>,
    pub orders: Vec<OrderFacts>,
    pub rules: RuleFacts,
    pub conversation: ConversationState,
    pub knowledge: Knowledge,
}
