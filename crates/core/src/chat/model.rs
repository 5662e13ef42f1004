//! The conversation's rows and words: who owns it, which side wrote, the
//! messages and pictures, read positions and the bot's standing. Plain data:
//! the ports store it, the use cases beside this file move it.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::values::{ConversationId, DeadlineId, OrderId, ProductId, ShopId, UserId};

/// Who must answer the buyer now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Owner {
    Shop,
    Platform,
}

impl Owner {
    pub fn as_str(self) -> &'static str {
        match self {
            Owner::Shop => "shop",
            Owner::Platform => "platform",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "shop" => Some(Owner::Shop),
            "platform" => Some(Owner::Platform),
            _ => None,
        }
    }
}

/// Which side a message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Buyer,
    Shop,
    Platform,
    System,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buyer => "buyer",
            Side::Shop => "shop",
            Side::Platform => "platform",
            Side::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "buyer" => Side::Buyer,
            "shop" => Side::Shop,
            "platform" => Side::Platform,
            "system" => Side::System,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub buyer_id: UserId,
    pub shop_id: ShopId,
    pub order_id: Option<OrderId>,
    pub product_id: Option<ProductId>,
    pub owner: Owner,
    pub assignee_id: Option<UserId>,
    /// The first buyer message still without a human answer.
    pub awaiting_since: Option<Timestamp>,
    pub reply_due: Option<Timestamp>,
    pub deadline_id: Option<DeadlineId>,
    pub taken_over_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub last_message_id: i64,
    pub read: Reads,
    pub bot: BotState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub sender_id: Option<UserId>,
    pub side: Side,
    /// `text`, `order_card`, `image` (the body is [`ImageRef`](super::ImageRef) as JSON) or `system`.
    pub kind: String,
    pub body: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub conversation_id: ConversationId,
    pub sender_id: Option<UserId>,
    pub side: Side,
    pub kind: &'static str,
    pub body: String,
    pub created_at: Timestamp,
}

/// How far each side has read: the last message id it has seen (0: none).
/// Positions only move forward.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Reads {
    pub buyer: i64,
    pub shop: i64,
    pub platform: i64,
}

impl Reads {
    pub fn of(&self, side: Side) -> i64 {
        match side {
            Side::Buyer => self.buyer,
            Side::Shop => self.shop,
            Side::Platform => self.platform,
            Side::System => 0,
        }
    }

    /// What the other side of `viewer` has read of the viewer's messages: the
    /// buyer's for staff; for the buyer, whichever team (shop or platform) read further.
    pub fn by_peer_of(&self, viewer: Side) -> i64 {
        match viewer {
            Side::Buyer => self.shop.max(self.platform),
            Side::Shop | Side::Platform => self.buyer,
            Side::System => 0,
        }
    }
}

/// Buyer messages each team has not read yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Unread {
    pub shop: i64,
    pub platform: i64,
}

/// A picture sent in a conversation, as stored: the bytes live in the database
/// (backed up with it, shared by every instance), never in evidence events.
#[derive(Clone, PartialEq, Eq)]
pub struct NewImage {
    pub conversation_id: ConversationId,
    pub uploader_id: UserId,
    pub sha256: String,
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for NewImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewImage")
            .field("sha256", &self.sha256)
            .field("size", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// A stored picture, as served back.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredImage {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub mime: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for StoredImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredImage").field("id", &self.id).field("size", &self.bytes.len()).finish_non_exhaustive()
    }
}

/// The bot's standing in one conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BotState {
    /// The bot handed the buyer to a person (until it next answers).
    pub handed_over: bool,
    /// Bot answers since the buyer last pressed 已解决 or was handed over.
    pub answers_in_row: u32,
    /// When a person last wrote in the conversation.
    pub human_at: Option<Timestamp>,
}
