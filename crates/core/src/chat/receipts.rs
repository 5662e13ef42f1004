//! Read receipts: how far each side of a conversation has read, moved only
//! forward, told live to the other side.

use serde_json::json;

use super::{Side, load};
use crate::accounts::port::User;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::NewEvent;
use crate::ports::Tx;
use crate::publish::Change;
use crate::values::ConversationId;

/// The viewer's side has read up to `message_id` (a message of this
/// conversation). Moving backwards changes nothing; moving forward is recorded
/// as evidence ("read, no reply" is a complaint buyers make) and told to the
/// other side live. Returns the side and its read position now.
pub fn mark_read(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    id: ConversationId,
    message_id: i64,
) -> Result<(Side, i64)> {
    let (c, side) = load(tx, actor, id)?;
    if tx.message(c.id, message_id)?.is_none() {
        return Err(Error::Invalid { field: "message_id", reason: "not_in_conversation" });
    }
    if !advance_read(tx, c.id, side, message_id)? {
        return Ok((side, c.read.of(side).max(message_id)));
    }
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "chat.read",
        format!("conversation:{}", c.id),
        json!({ "side": side.as_str(), "message_id": message_id }),
    ))?;
    Ok((side, message_id))
}

/// Moves `side`'s read position forward and tells live connections; false
/// when it was already there or further.
pub(super) fn advance_read(tx: &mut dyn Tx, id: ConversationId, side: Side, message_id: i64) -> Result<bool> {
    if side == Side::System || !tx.advance_read(id, side, message_id)? {
        return Ok(false);
    }
    tx.publish(&Change::Read { conversation_id: id, side, message_id })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::model::Reads;

    #[test]
    fn read_positions_are_per_side_and_the_buyer_sees_either_team() {
        let r = Reads { buyer: 3, shop: 5, platform: 7 };
        assert_eq!((r.of(Side::Buyer), r.of(Side::Shop), r.of(Side::Platform), r.of(Side::System)), (3, 5, 7, 0));
        assert_eq!(r.by_peer_of(Side::Buyer), 7, "whichever team read further");
        assert_eq!((r.by_peer_of(Side::Shop), r.by_peer_of(Side::Platform)), (3, 3));
    }
}
