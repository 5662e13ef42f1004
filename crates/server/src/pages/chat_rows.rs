//! One message as a conversation page shows it: the order or product card, a
//! picture's thumbnail, the bot's answer, who wrote it as the viewer's side says
//! it, and the 已读 / 未读 receipt under the viewer's own messages.

use serde_json::Value;
use youying_core::chat::{ImageRef, Message, Side};
use youying_core::orders::OrderState;

use crate::fmt::{fmt_fen, fmt_time};

/// The order or product a conversation was opened about, from an `order_card` body.
pub struct Card {
    pub label: &'static str,
    pub title: String,
    pub href: String,
    pub amount_label: &'static str,
    pub amount: String,
    pub state: Option<&'static str>,
}

impl Card {
    fn parse(body: &str) -> Option<Self> {
        let v: Value = serde_json::from_str(body).ok()?;
        let title = v["title"].as_str().unwrap_or_default().to_owned();
        if let Some(no) = v["order_no"].as_str() {
            return Some(Card {
                label: "订单",
                title,
                href: format!("/orders/{no}"),
                amount_label: "实付",
                amount: fmt_fen(v["total_fen"].as_i64().unwrap_or_default()),
                state: v["state"].as_str().and_then(OrderState::parse).map(OrderState::label),
            });
        }
        let id = v["product_id"].as_i64()?;
        Some(Card {
            label: "商品",
            title,
            href: format!("/products/{id}"),
            amount_label: "价格",
            amount: fmt_fen(v["price_fen"].as_i64().unwrap_or_default()),
            state: None,
        })
    }
}

/// A picture in the thread: a thumbnail that fits a 240-pixel box, linking to the full size.
pub struct Thumb {
    pub src: String,
    pub width: u32,
    pub height: u32,
}

/// The largest side of a thumbnail, in CSS pixels (chat.js uses the same).
const THUMB: u32 = 240;

impl Thumb {
    fn of(m: &Message) -> Option<Self> {
        let r = ImageRef::parse(&m.body)?;
        let (w, h) = (r.width.max(1), r.height.max(1));
        let scale = |side: u32, other: u32| {
            u32::try_from(u64::from(side) * u64::from(THUMB) / u64::from(other)).unwrap_or(THUMB).max(1)
        };
        let (width, height) = match (w.max(h) <= THUMB, w >= h) {
            (true, _) => (w, h),
            (false, true) => (THUMB, scale(h, w)),
            (false, false) => (scale(w, h), THUMB),
        };
        Some(Thumb { src: crate::app::chat_view::image_url(m.conversation_id.0, r.image_id), width, height })
    }
}

pub struct MessageRow {
    pub id: i64,
    pub side: &'static str,
    pub who: &'static str,
    pub mine: bool,
    pub body: String,
    pub time: String,
    pub card: Option<Card>,
    pub image: Option<Thumb>,
    pub bot: Option<super::bot::BotBubble>,
    /// Under the viewer's own messages: 已读 / 未读 by the other side; empty under others'.
    pub receipt: &'static str,
    pub read: bool,
}

/// Who wrote a message, as the viewer's side says it (chat.js says it the same way).
fn who(viewer: Side, sender: Side) -> &'static str {
    match (viewer, sender) {
        (Side::Buyer, Side::Buyer) => "我",
        (_, Side::Buyer) => "买家",
        (Side::Shop, Side::Shop) => "本店",
        (_, Side::Shop) => "商家",
        (_, Side::Platform) => "平台客服",
        (_, Side::System) => "系统",
    }
}

/// 已读 or 未读, said under a message the viewer's side wrote; nothing under others'.
pub fn receipt(m: &Message, viewer: Side, peer_read: i64) -> &'static str {
    match (m.side == viewer && viewer != Side::System, m.id <= peer_read) {
        (false, _) => "",
        (true, true) => "已读",
        (true, false) => "未读",
    }
}

impl MessageRow {
    pub fn of(m: &Message, viewer: Side, peer_read: i64) -> Self {
        Self {
            id: m.id,
            side: m.side.as_str(),
            who: if m.kind == "bot" { "智能助手" } else { who(viewer, m.side) },
            mine: m.side == viewer,
            body: m.body.clone(),
            time: fmt_time(m.created_at),
            card: if m.kind == "order_card" { Card::parse(&m.body) } else { None },
            image: if m.kind == "image" { Thumb::of(m) } else { None },
            bot: if m.kind == "bot" { super::bot::BotBubble::parse(m) } else { None },
            receipt: receipt(m, viewer, peer_read),
            read: m.id <= peer_read,
        }
    }
}

#[cfg(test)]
mod tests {
    use youying_core::Timestamp;
    use youying_core::values::ConversationId;

    use super::super::thread::mmss;
    use super::*;

    #[test]
    fn countdowns_and_cards_read_naturally() {
        assert_eq!(mmss(120_000), "02:00");
        assert_eq!(mmss(29_001), "00:30");
        assert_eq!(mmss(-5), "00:00");
        let c = Card::parse(r#"{"order_no":"2026","title":"Q币","total_fen":1234,"state":"completed"}"#).unwrap();
        assert_eq!((c.href.as_str(), c.amount.as_str(), c.state), ("/orders/2026", "¥12.34", Some("已完成")));
        let p = Card::parse(r#"{"product_id":7,"title":"点卡","price_fen":500}"#).unwrap();
        assert_eq!((p.href.as_str(), p.amount.as_str()), ("/products/7", "¥5.00"));
        assert!(Card::parse("not json").is_none());
        assert_eq!(who(Side::Buyer, Side::Buyer), "我");
        assert_eq!(who(Side::Shop, Side::Buyer), "买家");
    }

    fn image_message(width: u32, height: u32) -> Message {
        let body =
            format!(r#"{{"image_id":9,"mime":"image/png","width":{width},"height":{height},"size":10,"sha256":"ab"}}"#);
        Message {
            id: 5,
            conversation_id: ConversationId(3),
            sender_id: None,
            side: Side::Shop,
            kind: "image".into(),
            body,
            created_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn thumbnails_fit_a_box_and_receipts_follow_the_peer() {
        let t = Thumb::of(&image_message(1200, 600)).unwrap();
        assert_eq!((t.src.as_str(), t.width, t.height), ("/api/v1/conversations/3/images/9", 240, 120));
        let t = Thumb::of(&image_message(30, 4000)).unwrap();
        assert_eq!((t.width, t.height), (1, 240));
        let t = Thumb::of(&image_message(100, 80)).unwrap();
        assert_eq!((t.width, t.height), (100, 80), "small pictures keep their size");
        let m = image_message(1, 1);
        assert_eq!(receipt(&m, Side::Shop, 4), "未读");
        assert_eq!(receipt(&m, Side::Shop, 5), "已读");
        assert_eq!(receipt(&m, Side::Buyer, 5), "", "only under the viewer's own messages");
    }
}
