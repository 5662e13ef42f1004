//! The reviews half of the port, in the SQL both backends share. There is no
//! delete: the `reviews_no_delete` trigger refuses one anyway.

use youying_core::error::{Error, Result, StorageError};
use youying_core::reviews::port::{NewReview, ReviewRead, ReviewTx};
use youying_core::reviews::{HoldReason, Review, ReviewState};
use youying_core::values::{OrderId, ReviewId, ShopId, UserId};

use crate::sql::{Conn, Row, lim, params};
use crate::sqltx::SqlTx;

const COLS: &str = "id, order_id, shop_id, buyer_id, stars, body, state, hold_reason, moderated_by, moderation_note, \
     moderated_at, reply, replied_by, replied_at, created_at, resubmissions";

fn review(r: &Row) -> Result<Review> {
    let bad = |what: &str| Error::from(StorageError(format!("bad review {what}")));
    Ok(Review {
        id: ReviewId(r.int(0)?),
        order_id: OrderId(r.int(1)?),
        shop_id: ShopId(r.int(2)?),
        buyer_id: UserId(r.int(3)?),
        stars: r.int(4)?,
        body: r.text(5)?,
        state: ReviewState::parse(&r.text(6)?).ok_or_else(|| bad("state"))?,
        hold_reason: r.opt_text(7)?.map(|h| HoldReason::parse(&h).ok_or_else(|| bad("hold_reason"))).transpose()?,
        moderated_by: r.opt_int(8)?.map(UserId),
        moderation_note: r.opt_text(9)?,
        moderated_at: r.opt_time(10)?,
        reply: r.opt_text(11)?,
        replied_by: r.opt_int(12)?.map(UserId),
        replied_at: r.opt_time(13)?,
        created_at: r.time(14)?,
        resubmissions: r.int(15)?,
    })
}

impl<C: Conn> SqlTx<'_, C> {
    fn reviews_where(&mut self, cond: &str, p: &[crate::sql::Val]) -> Result<Vec<Review>> {
        self.query(&format!("SELECT {COLS} FROM reviews WHERE {cond}"), p)?.iter().map(review).collect()
    }
}

impl<C: Conn> ReviewTx for SqlTx<'_, C> {
    fn insert_review(&mut self, r: &NewReview) -> Result<ReviewId> {
        let sql = "INSERT INTO reviews (order_id, shop_id, buyer_id, stars, body, state, hold_reason, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        let p = params![
            r.order_id.0,
            r.shop_id.0,
            r.buyer_id.0,
            r.stars,
            &r.body,
            r.state.as_str(),
            r.hold_reason.map(HoldReason::as_str),
            r.created_at
        ];
        self.insert_id(sql, p).map(ReviewId)
    }

    fn update_review(&mut self, r: &Review) -> Result<()> {
        let sql = "UPDATE reviews SET state = $2, moderated_by = $3, moderation_note = $4, moderated_at = $5, reply = $6, \
                   replied_by = $7, replied_at = $8, stars = $9, body = $10, hold_reason = $11, resubmissions = $12 \
                   WHERE id = $1";
        let p = params![
            r.id.0,
            r.state.as_str(),
            r.moderated_by.map(|u| u.0),
            r.moderation_note.clone(),
            r.moderated_at,
            r.reply.clone(),
            r.replied_by.map(|u| u.0),
            r.replied_at,
            r.stars,
            &r.body,
            r.hold_reason.map(HoldReason::as_str),
            r.resubmissions
        ];
        self.exec(sql, p)?;
        Ok(())
    }
}

impl<C: Conn> ReviewRead for SqlTx<'_, C> {
    fn review(&mut self, id: ReviewId) -> Result<Option<Review>> {
        let lock = self.row_lock();
        self.one(&format!("SELECT {COLS} FROM reviews WHERE id = $1{lock}"), params![id.0])?
            .as_ref()
            .map(review)
            .transpose()
    }

    fn review_of_order(&mut self, order: OrderId) -> Result<Option<Review>> {
        Ok(self.reviews_where("order_id = $1", params![order.0])?.into_iter().next())
    }

    fn reviews_of_shop(
        &mut self,
        shop: ShopId,
        state: Option<ReviewState>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Review>> {
        self.reviews_where(
            "shop_id = $1 AND ($2 = '' OR state = $2) ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
            params![shop.0, state.map_or("", ReviewState::as_str), lim(limit), lim(offset)],
        )
    }

    fn reviews_in_state(&mut self, state: ReviewState, limit: usize) -> Result<Vec<Review>> {
        self.reviews_where("state = $1 ORDER BY created_at, id LIMIT $2", params![state.as_str(), lim(limit)])
    }
}
