//! What chat needs from persistence: conversations, messages, pictures, read
//! positions, reply measurements, duty intervals and notifications.

use super::model::{Conversation, Message, NewImage, NewMessage, Side, StoredImage, Unread};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::values::{ConversationId, OrderId, ProductId, ShopId, UserId};

/// An in-app notice: (id, kind, subject, body, at).
pub type Notice = (i64, String, String, String, Timestamp);

/// Reading conversations and what hangs off them.
pub trait ChatRead {
    /// Locks the conversation for the rest of a read-write transaction.
    fn conversation(&mut self, id: ConversationId) -> Result<Option<Conversation>>;
    fn conversation_of(&mut self, buyer: UserId, shop: ShopId) -> Result<Option<Conversation>>;
    fn conversations_of_buyer(&mut self, buyer: UserId, limit: usize) -> Result<Vec<Conversation>>;
    /// A shop's conversations, those awaiting an answer first, earliest deadline first.
    fn conversations_of_shop(&mut self, shop: ShopId, limit: usize) -> Result<Vec<Conversation>>;
    /// The platform's queue: conversations it owns, earliest deadline first.
    fn platform_queue(&mut self, limit: usize) -> Result<Vec<Conversation>>;
    fn messages_after(&mut self, c: ConversationId, after: i64, limit: usize) -> Result<Vec<Message>>;
    fn message(&mut self, c: ConversationId, id: i64) -> Result<Option<Message>>;
    /// A picture of conversation `c`; `None` when it belongs to another one.
    fn image(&mut self, c: ConversationId, id: i64) -> Result<Option<StoredImage>>;
    /// Buyer messages past each team's read position.
    fn unread(&mut self, c: &Conversation) -> Result<Unread>;
    /// Duty intervals overlapping `[from, to)`: (start, end or still open).
    fn duty_intervals(&mut self, from: Timestamp, to: Timestamp) -> Result<Vec<(Timestamp, Option<Timestamp>)>>;
    fn on_duty_now(&mut self) -> Result<Vec<UserId>>;
    /// Recent notices for a shop's team (`audience` = `shop`) or the platform.
    fn notifications(&mut self, shop: Option<ShopId>, audience: &str, limit: usize) -> Result<Vec<Notice>>;
}

/// Saying things, measuring replies, and moving conversations along.
pub trait ChatTx: ChatRead {
    fn insert_conversation(&mut self, buyer: UserId, shop: ShopId, at: Timestamp) -> Result<ConversationId>;
    fn set_conversation_context(
        &mut self,
        id: ConversationId,
        order: Option<OrderId>,
        product: Option<ProductId>,
    ) -> Result<()>;
    fn update_conversation(&mut self, c: &Conversation) -> Result<()>;
    fn insert_message(&mut self, m: &NewMessage) -> Result<i64>;
    fn insert_image(&mut self, image: &NewImage) -> Result<i64>;
    /// Moves `side`'s read position to `message_id` if that is further; true when it moved.
    fn advance_read(&mut self, c: ConversationId, side: Side, message_id: i64) -> Result<bool>;
    /// Cancels every pending deadline about `subject`; returns how many.
    fn cancel_deadlines_of(&mut self, subject: &str, at: Timestamp) -> Result<u64>;
    #[allow(clippy::too_many_arguments)]
    fn insert_reply_measure(
        &mut self,
        c: ConversationId,
        shop: ShopId,
        side: &str,
        asked: Timestamp,
        answered: Timestamp,
        by: UserId,
        in_time: bool,
    ) -> Result<()>;
    /// An in-app notice for a shop's team (`audience` = `shop`) or the platform's.
    fn insert_notification(
        &mut self,
        shop: ShopId,
        audience: &str,
        kind: &str,
        subject: &str,
        body: &str,
        at: Timestamp,
    ) -> Result<i64>;
    /// Opens a duty interval unless one is open; true when it opened one.
    fn start_duty(&mut self, agent: UserId, at: Timestamp) -> Result<bool>;
    /// Closes the agent's open duty interval; true when there was one.
    fn end_duty(&mut self, agent: UserId, at: Timestamp) -> Result<bool>;
}
