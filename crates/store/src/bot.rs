//! The help bot's half of the port: each shop's switch, the per-day tallies,
//! recent messages for the loop guard, and the FAQs the bot quotes.

use youying_core::Timestamp;
use youying_core::chat::Message;
use youying_core::chat::bot::{BotDay, BotRead, BotTx, Tally};
use youying_core::error::Result;
use youying_core::faq::{FaqItem, FaqRead, FaqTx};
use youying_core::values::{ConversationId, ShopId, UserId};

use crate::sql::{Conn, Row, params};
use crate::sqltx::SqlTx;

impl<C: Conn> BotTx for SqlTx<'_, C> {
    fn set_bot_enabled(&mut self, shop: ShopId, on: bool) -> Result<()> {
        self.exec("UPDATE shops SET bot_enabled = $2 WHERE id = $1", params![shop.0, on])?;
        Ok(())
    }

    fn tally_bot(&mut self, day: i64, shop: ShopId, tally: Tally) -> Result<()> {
        let (a, s, h) = match tally {
            Tally::Answered => (1_i64, 0_i64, 0_i64),
            Tally::Settled => (0, 1, 0),
            Tally::HandedOver => (0, 0, 1),
        };
        self.exec(
            "INSERT INTO bot_days (day, shop_id, answered, settled, handed_over) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (day, shop_id) DO UPDATE SET answered = bot_days.answered + excluded.answered, \
             settled = bot_days.settled + excluded.settled, handed_over = bot_days.handed_over + excluded.handed_over",
            params![day, shop.0, a, s, h],
        )?;
        Ok(())
    }
}

impl<C: Conn> BotRead for SqlTx<'_, C> {
    fn bot_enabled(&mut self, shop: ShopId) -> Result<bool> {
        let row = self.one("SELECT bot_enabled FROM shops WHERE id = $1", params![shop.0])?;
        Ok(row.map(|r| r.int(0)).transpose()?.unwrap_or(0) != 0)
    }

    fn bot_days(&mut self, shop: Option<ShopId>, from_day: i64, to_day: i64) -> Result<Vec<BotDay>> {
        let sql = "SELECT day, shop_id, answered, settled, handed_over FROM bot_days \
                   WHERE day >= $1 AND day <= $2 AND (CAST($3 AS BIGINT) = 0 OR shop_id = $3) ORDER BY day, shop_id";
        let rows = self.query(sql, params![from_day, to_day, shop.map_or(0, |s| s.0)])?;
        rows.iter()
            .map(|r| {
                Ok(BotDay {
                    day: r.int(0)?,
                    shop_id: r.int(1)?,
                    answered: r.int(2)?,
                    settled: r.int(3)?,
                    handed_over: r.int(4)?,
                })
            })
            .collect()
    }

    fn recent_messages(&mut self, c: ConversationId, limit: usize) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {} FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2",
            crate::chat::MESSAGE_COLS
        );
        let rows = self.query(&sql, params![c.0, i64::try_from(limit).unwrap_or(i64::MAX)])?;
        rows.iter().map(crate::chat::message).collect()
    }
}

const FAQ_COLS: &str = "id, shop_id, question, answer, updated_by, updated_at";

fn faq_item(r: &Row) -> Result<FaqItem> {
    Ok(FaqItem {
        id: r.int(0)?,
        shop_id: r.opt_int(1)?.map(ShopId),
        question: r.text(2)?,
        answer: r.text(3)?,
        updated_by: r.opt_int(4)?.map(UserId),
        updated_at: r.time(5)?,
    })
}

impl<C: Conn> FaqTx for SqlTx<'_, C> {
    fn insert_faq(&mut self, shop: Option<ShopId>, q: &str, a: &str, by: UserId, at: Timestamp) -> Result<i64> {
        self.insert_id(
            "INSERT INTO faq_entries (shop_id, question, answer, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            params![shop.map(|s| s.0), q, a, by.0, at],
        )
    }

    fn update_faq(&mut self, id: i64, q: &str, a: &str, by: UserId, at: Timestamp) -> Result<()> {
        self.exec(
            "UPDATE faq_entries SET question = $2, answer = $3, updated_by = $4, updated_at = $5 WHERE id = $1",
            params![id, q, a, by.0, at],
        )?;
        Ok(())
    }

    fn delete_faq(&mut self, id: i64) -> Result<()> {
        self.exec("DELETE FROM faq_entries WHERE id = $1", params![id])?;
        Ok(())
    }
}

impl<C: Conn> FaqRead for SqlTx<'_, C> {
    fn faq(&mut self, shop: Option<ShopId>) -> Result<Vec<FaqItem>> {
        let rows = match shop {
            Some(s) => {
                self.query(&format!("SELECT {FAQ_COLS} FROM faq_entries WHERE shop_id = $1 ORDER BY id"), params![s.0])?
            }
            None => {
                self.query(&format!("SELECT {FAQ_COLS} FROM faq_entries WHERE shop_id IS NULL ORDER BY id"), params![])?
            }
        };
        rows.iter().map(faq_item).collect()
    }

    fn faq_item(&mut self, id: i64) -> Result<Option<FaqItem>> {
        self.one(&format!("SELECT {FAQ_COLS} FROM faq_entries WHERE id = $1"), params![id])?
            .as_ref()
            .map(faq_item)
            .transpose()
    }
}
