//! The bot's port: the shop's switch, the per-day tallies, recent messages.

use serde::Serialize;

use crate::chat::model::Message;
use crate::error::Result;
use crate::values::{ConversationId, ShopId};

/// What the bot did on one day for one shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    Answered,
    Settled,
    HandedOver,
}

/// Bot outcomes of one shop on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BotDay {
    /// Days since 1970-01-01 in China time.
    pub day: i64,
    pub shop_id: i64,
    pub answered: i64,
    pub settled: i64,
    pub handed_over: i64,
}

/// The bot's persistence: the shop's switch and the per-day tallies.
pub trait BotTx: BotRead {
    fn set_bot_enabled(&mut self, shop: ShopId, on: bool) -> Result<()>;
    fn tally_bot(&mut self, day: i64, shop: ShopId, tally: Tally) -> Result<()>;
}

/// The query half of [`BotTx`], for read-only transactions.
pub trait BotRead {
    fn bot_enabled(&mut self, shop: ShopId) -> Result<bool>;
    /// Per-day outcomes in `[from_day, to_day]`, of one shop or of all.
    fn bot_days(&mut self, shop: Option<ShopId>, from_day: i64, to_day: i64) -> Result<Vec<BotDay>>;
    /// The newest `limit` messages of a conversation, newest first.
    fn recent_messages(&mut self, c: ConversationId, limit: usize) -> Result<Vec<Message>>;
}
