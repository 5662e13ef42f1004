//! The conversations half of the port, in the SQL both backends share.

use youying_core::Timestamp;
use youying_core::chat::bot::BotState;
use youying_core::chat::{ChatRead, ChatTx};
use youying_core::chat::{Conversation, Message, NewImage, NewMessage, Owner, Reads, Side, StoredImage, Unread};
use youying_core::error::{Error, Result, StorageError};
use youying_core::values::{ConversationId, DeadlineId, OrderId, ProductId, ShopId, UserId};

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const CONV_COLS: &str = "id, buyer_id, shop_id, order_id, product_id, owner, assignee_id, awaiting_since, reply_due, deadline_id, taken_over_at, created_at, last_message_id, buyer_read_id, shop_read_id, platform_read_id, bot_state, bot_answers_in_row, human_at";

fn conversation(r: &Row) -> Result<Conversation> {
    Ok(Conversation {
        id: ConversationId(r.int(0)?),
        buyer_id: UserId(r.int(1)?),
        shop_id: ShopId(r.int(2)?),
        order_id: r.opt_int(3)?.map(OrderId),
        product_id: r.opt_int(4)?.map(ProductId),
        owner: Owner::parse(&r.text(5)?).ok_or_else(|| Error::from(StorageError("bad conversation owner".into())))?,
        assignee_id: r.opt_int(6)?.map(UserId),
        awaiting_since: r.opt_time(7)?,
        reply_due: r.opt_time(8)?,
        deadline_id: r.opt_int(9)?.map(DeadlineId),
        taken_over_at: r.opt_time(10)?,
        created_at: r.time(11)?,
        last_message_id: r.int(12)?,
        read: Reads { buyer: r.int(13)?, shop: r.int(14)?, platform: r.int(15)? },
        bot: BotState {
            handed_over: r.text(16)? == "human",
            answers_in_row: u32::try_from(r.int(17)?).unwrap_or(u32::MAX),
            human_at: r.opt_time(18)?,
        },
    })
}

pub(crate) const MESSAGE_COLS: &str = "id, conversation_id, sender_id, side, kind, body, created_at";

/// The read-position column of a side; a fixed name, never user input.
fn read_column(side: Side) -> Option<&'static str> {
    match side {
        Side::Buyer => Some("buyer_read_id"),
        Side::Shop => Some("shop_read_id"),
        Side::Platform => Some("platform_read_id"),
        Side::System => None,
    }
}

pub(crate) fn message(r: &Row) -> Result<Message> {
    Ok(Message {
        id: r.int(0)?,
        conversation_id: ConversationId(r.int(1)?),
        sender_id: r.opt_int(2)?.map(UserId),
        side: Side::parse(&r.text(3)?).ok_or_else(|| Error::from(StorageError("bad message side".into())))?,
        kind: r.text(4)?,
        body: r.text(5)?,
        created_at: r.time(6)?,
    })
}

/// Awaiting an answer first (earliest deadline first), then most recent.
const QUEUE_ORDER: &str = "ORDER BY CASE WHEN reply_due IS NULL THEN 1 ELSE 0 END, reply_due, last_message_id DESC";

impl<C: Conn> ChatTx for SqlTx<'_, C> {
    fn insert_conversation(&mut self, buyer: UserId, shop: ShopId, at: Timestamp) -> Result<ConversationId> {
        self.insert_id(
            "INSERT INTO conversations (buyer_id, shop_id, owner, created_at, last_message_id) VALUES ($1, $2, 'shop', $3, 0) RETURNING id",
            params![buyer.0, shop.0, at],
        )
        .map(ConversationId)
    }

    fn set_conversation_context(
        &mut self,
        id: ConversationId,
        order: Option<OrderId>,
        product: Option<ProductId>,
    ) -> Result<()> {
        self.exec(
            "UPDATE conversations SET order_id = $2, product_id = $3 WHERE id = $1",
            params![id.0, order.map(|o| o.0), product.map(|p| p.0)],
        )?;
        Ok(())
    }

    fn update_conversation(&mut self, c: &Conversation) -> Result<()> {
        let sql = "UPDATE conversations SET owner = $2, assignee_id = $3, awaiting_since = $4, reply_due = $5, deadline_id = $6, \
                   taken_over_at = $7, last_message_id = $8, bot_state = $9, bot_answers_in_row = $10, human_at = $11 WHERE id = $1";
        let p = params![
            c.id.0,
            c.owner.as_str(),
            c.assignee_id.map(|u| u.0),
            c.awaiting_since,
            c.reply_due,
            c.deadline_id.map(|d| d.0),
            c.taken_over_at,
            c.last_message_id,
            if c.bot.handed_over { "human" } else { "bot" },
            i64::from(c.bot.answers_in_row),
            c.bot.human_at
        ];
        self.exec(sql, p)?;
        Ok(())
    }

    fn insert_message(&mut self, m: &NewMessage) -> Result<i64> {
        self.insert_id(
            "INSERT INTO messages (conversation_id, sender_id, side, kind, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![m.conversation_id.0, m.sender_id.map(|u| u.0), m.side.as_str(), m.kind, &m.body, m.created_at],
        )
    }

    fn insert_image(&mut self, i: &NewImage) -> Result<i64> {
        let size = i64::try_from(i.bytes.len()).unwrap_or(i64::MAX);
        self.insert_id(
            "INSERT INTO chat_images (conversation_id, uploader_id, sha256, mime, width, height, size, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            params![
                i.conversation_id.0,
                i.uploader_id.0,
                &i.sha256,
                i.mime,
                i64::from(i.width),
                i64::from(i.height),
                size,
                i.bytes.as_slice(),
                i.created_at
            ],
        )
    }

    fn advance_read(&mut self, c: ConversationId, side: Side, message_id: i64) -> Result<bool> {
        let Some(col) = read_column(side) else { return Ok(false) };
        let sql = format!("UPDATE conversations SET {col} = $2 WHERE id = $1 AND {col} < $2");
        Ok(self.exec(&sql, params![c.0, message_id])? > 0)
    }

    fn cancel_deadlines_of(&mut self, subject: &str, at: Timestamp) -> Result<u64> {
        self.exec(
            "UPDATE deadlines SET state = 'cancelled', fired_at = $2 WHERE subject = $1 AND state = 'pending'",
            params![subject, at],
        )
    }

    fn insert_reply_measure(
        &mut self,
        c: ConversationId,
        shop: ShopId,
        side: &str,
        asked: Timestamp,
        answered: Timestamp,
        by: UserId,
        in_time: bool,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO reply_measures (conversation_id, shop_id, side, asked_at, answered_at, answered_by, in_time) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![c.0, shop.0, side, asked, answered, by.0, in_time],
        )?;
        Ok(())
    }

    fn insert_notification(
        &mut self,
        shop: ShopId,
        audience: &str,
        kind: &str,
        subject: &str,
        body: &str,
        at: Timestamp,
    ) -> Result<i64> {
        self.insert_id(
            "INSERT INTO notifications (shop_id, audience, kind, subject, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            params![shop.0, audience, kind, subject, body, at],
        )
    }

    fn start_duty(&mut self, agent: UserId, at: Timestamp) -> Result<bool> {
        let open =
            self.one("SELECT id FROM duty_intervals WHERE user_id = $1 AND ended_at IS NULL", params![agent.0])?;
        if open.is_some() {
            return Ok(false);
        }
        self.exec("INSERT INTO duty_intervals (user_id, started_at) VALUES ($1, $2)", params![agent.0, at])?;
        Ok(true)
    }

    fn end_duty(&mut self, agent: UserId, at: Timestamp) -> Result<bool> {
        Ok(self.exec(
            "UPDATE duty_intervals SET ended_at = $2 WHERE user_id = $1 AND ended_at IS NULL",
            params![agent.0, at],
        )? > 0)
    }
}

impl<C: Conn> ChatRead for SqlTx<'_, C> {
    fn conversation(&mut self, id: ConversationId) -> Result<Option<Conversation>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {CONV_COLS} FROM conversations WHERE id = $1{lock}"), params![id.0])?
            .as_ref()
            .map(conversation)
            .transpose()
    }

    fn conversation_of(&mut self, buyer: UserId, shop: ShopId) -> Result<Option<Conversation>> {
        let lock = self.row_lock();
        let sql = format!("SELECT {CONV_COLS} FROM conversations WHERE buyer_id = $1 AND shop_id = $2{lock}");
        self.one(&sql, params![buyer.0, shop.0])?.as_ref().map(conversation).transpose()
    }

    fn conversations_of_buyer(&mut self, buyer: UserId, limit: usize) -> Result<Vec<Conversation>> {
        let sql =
            format!("SELECT {CONV_COLS} FROM conversations WHERE buyer_id = $1 ORDER BY last_message_id DESC LIMIT $2");
        self.query(&sql, params![buyer.0, lim(limit)])?.iter().map(conversation).collect()
    }

    fn conversations_of_shop(&mut self, shop: ShopId, limit: usize) -> Result<Vec<Conversation>> {
        let sql = format!("SELECT {CONV_COLS} FROM conversations WHERE shop_id = $1 {QUEUE_ORDER} LIMIT $2");
        self.query(&sql, params![shop.0, lim(limit)])?.iter().map(conversation).collect()
    }

    fn platform_queue(&mut self, limit: usize) -> Result<Vec<Conversation>> {
        let sql = format!("SELECT {CONV_COLS} FROM conversations WHERE owner = 'platform' {QUEUE_ORDER} LIMIT $1");
        self.query(&sql, params![lim(limit)])?.iter().map(conversation).collect()
    }

    fn messages_after(&mut self, c: ConversationId, after: i64, limit: usize) -> Result<Vec<Message>> {
        let sql =
            format!("SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = $1 AND id > $2 ORDER BY id LIMIT $3");
        self.query(&sql, params![c.0, after, lim(limit)])?.iter().map(message).collect()
    }

    fn message(&mut self, c: ConversationId, id: i64) -> Result<Option<Message>> {
        let sql = format!("SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = $1 AND id = $2");
        self.one(&sql, params![c.0, id])?.as_ref().map(message).transpose()
    }

    fn image(&mut self, c: ConversationId, id: i64) -> Result<Option<StoredImage>> {
        let sql =
            "SELECT id, conversation_id, mime, sha256, bytes FROM chat_images WHERE conversation_id = $1 AND id = $2";
        let Some(mut r) = self.one(sql, params![c.0, id])? else { return Ok(None) };
        Ok(Some(StoredImage {
            id: r.int(0)?,
            conversation_id: ConversationId(r.int(1)?),
            mime: r.text(2)?,
            sha256: r.text(3)?,
            bytes: r.take_bytes(4)?,
        }))
    }

    fn unread(&mut self, c: &Conversation) -> Result<Unread> {
        let (shop, platform) = (c.read.shop, c.read.platform);
        let row = self.one(
            "SELECT COUNT(CASE WHEN id > $2 THEN 1 END), COUNT(CASE WHEN id > $3 THEN 1 END) FROM messages \
             WHERE conversation_id = $1 AND side = 'buyer' AND id > $4",
            params![c.id.0, shop, platform, shop.min(platform)],
        )?;
        match row {
            Some(r) => Ok(Unread { shop: r.int(0)?, platform: r.int(1)? }),
            None => Ok(Unread::default()),
        }
    }

    fn duty_intervals(&mut self, from: Timestamp, to: Timestamp) -> Result<Vec<(Timestamp, Option<Timestamp>)>> {
        let rows = self.query("SELECT started_at, ended_at FROM duty_intervals WHERE started_at < $2 AND (ended_at IS NULL OR ended_at > $1)", params![from, to])?;
        rows.iter().map(|r| Ok((r.time(0)?, r.opt_time(1)?))).collect()
    }

    fn on_duty_now(&mut self) -> Result<Vec<UserId>> {
        self.query("SELECT user_id FROM duty_intervals WHERE ended_at IS NULL ORDER BY user_id", &[])?
            .iter()
            .map(|r| Ok(UserId(r.int(0)?)))
            .collect()
    }

    fn notifications(
        &mut self,
        shop: Option<ShopId>,
        audience: &str,
        limit: usize,
    ) -> Result<Vec<(i64, String, String, String, Timestamp)>> {
        let rows = match shop {
            Some(s) => self.query(
                "SELECT id, kind, subject, body, created_at FROM notifications WHERE shop_id = $1 AND audience = $2 ORDER BY id DESC LIMIT $3",
                params![s.0, audience, lim(limit)],
            )?,
            None => self.query("SELECT id, kind, subject, body, created_at FROM notifications WHERE audience = $1 ORDER BY id DESC LIMIT $2", params![audience, lim(limit)])?,
        };
        rows.iter().map(|r| Ok((r.int(0)?, r.text(1)?, r.text(2)?, r.text(3)?, r.time(4)?))).collect()
    }
}
