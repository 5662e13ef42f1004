//! What a client sees of a conversation and its messages: the views the hub
//! pushes over websockets and the API, the pages and the bot answer with.

use serde::Serialize;
use youying_core::chat::{Conversation, ImageRef, Message, Unread};
use youying_core::values::UserId;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConversationView {
    pub id: i64,
    pub buyer_id: i64,
    pub shop_id: i64,
    pub shop_name: String,
    pub buyer_name: String,
    pub order_id: Option<i64>,
    pub product_id: Option<i64>,
    /// `shop` or `platform`: who must answer now.
    pub owner: String,
    pub assignee_id: Option<i64>,
    /// The first unanswered buyer message, ms.
    pub awaiting_since: Option<i64>,
    /// When the current owner's reply deadline falls, ms.
    pub reply_due: Option<i64>,
    pub taken_over_at: Option<i64>,
    pub last_message_id: i64,
    /// The last message id each side has seen (0: none yet).
    pub buyer_read_id: i64,
    pub shop_read_id: i64,
    pub platform_read_id: i64,
    /// Buyer messages the shop's team, and the platform's, have not read yet.
    pub unread_by_shop: i64,
    pub unread_by_platform: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub conversation_id: i64,
    pub sender_id: Option<i64>,
    /// `buyer`, `shop`, `platform` or `system`.
    pub side: String,
    /// `text`, `order_card`, `image` or `system`.
    pub kind: String,
    pub body: String,
    pub created_at: i64,
    /// For `image`: where to fetch it and its size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImageView {
    pub id: i64,
    /// `GET` it (as a participant) for the picture itself.
    pub url: String,
    /// `image/png`, `image/jpeg` or `image/webp`, as read from the bytes.
    pub mime: String,
    pub width: u32,
    pub height: u32,
    /// Bytes.
    pub size: usize,
    /// SHA-256 of the bytes, hex: what the evidence chain records.
    pub sha256: String,
}

pub fn image_url(conversation_id: i64, image_id: i64) -> String {
    format!("/api/v1/conversations/{conversation_id}/images/{image_id}")
}

fn image_view(m: &Message) -> Option<ImageView> {
    if m.kind != "image" {
        return None;
    }
    let r = ImageRef::parse(&m.body)?;
    Some(ImageView {
        id: r.image_id,
        url: image_url(m.conversation_id.0, r.image_id),
        mime: r.mime,
        width: r.width,
        height: r.height,
        size: r.size,
        sha256: r.sha256,
    })
}

pub fn conversation_view(c: &Conversation, shop_name: String, buyer_name: String, unread: Unread) -> ConversationView {
    ConversationView {
        id: c.id.0,
        buyer_id: c.buyer_id.0,
        shop_id: c.shop_id.0,
        shop_name,
        buyer_name,
        order_id: c.order_id.map(|o| o.0),
        product_id: c.product_id.map(|p| p.0),
        owner: c.owner.as_str().to_owned(),
        assignee_id: c.assignee_id.map(|u| u.0),
        awaiting_since: c.awaiting_since.map(|t| t.millis()),
        reply_due: c.reply_due.map(|t| t.millis()),
        taken_over_at: c.taken_over_at.map(|t| t.millis()),
        last_message_id: c.last_message_id,
        buyer_read_id: c.read.buyer,
        shop_read_id: c.read.shop,
        platform_read_id: c.read.platform,
        unread_by_shop: unread.shop,
        unread_by_platform: unread.platform,
    }
}

pub fn message_view(m: &Message) -> MessageView {
    MessageView {
        id: m.id,
        conversation_id: m.conversation_id.0,
        sender_id: m.sender_id.map(|u| u.0),
        side: m.side.as_str().to_owned(),
        kind: m.kind.clone(),
        body: m.body.clone(),
        created_at: m.created_at.millis(),
        image: image_view(m),
    }
}

/// The conversation with its display names and unread counts, read in the
/// caller's transaction.
pub fn load_view(
    tx: &mut dyn youying_core::ports::ReadTx,
    c: &Conversation,
) -> youying_core::error::Result<(ConversationView, UserId)> {
    let shop = tx.shop(c.shop_id)?;
    let buyer = tx.user_by_id(c.buyer_id)?.map(|u| u.username).unwrap_or_default();
    let owner = shop.as_ref().map_or(UserId(0), |s| s.owner_id);
    let unread = tx.unread(c)?;
    Ok((conversation_view(c, shop.map(|s| s.name).unwrap_or_default(), buyer, unread), owner))
}
