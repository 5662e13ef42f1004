//! Pictures in a conversation: checked by their content, stored in the
//! database, sent as an `image` message whose body (and evidence) describes the
//! picture without its bytes.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Message, NewImage, NewMessage, Side, StoredImage, after_buyer_message, after_staff_message, insert, load};
use crate::accounts::port::User;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::image::{self, Claim, Refused};
use crate::ports::{ReadTx, Tx};
use crate::values::ConversationId;

/// The body of an `image` message, and what its evidence event records: the
/// picture's hash, type, size and dimensions, never its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ImageRef {
    pub image_id: i64,
    pub mime: String,
    pub width: u32,
    pub height: u32,
    pub size: usize,
    pub sha256: String,
}

impl ImageRef {
    pub fn parse(body: &str) -> Option<Self> {
        serde_json::from_str(body).ok()
    }
}

/// A picture from whoever the actor is in this conversation, checked by its
/// content (see [`image::check`]) before anything is written. It is a message
/// like a text: a buyer's starts the reply clock, staff's answers it.
pub fn send_image(
    tx: &mut dyn Tx,
    now: Timestamp,
    actor: &User,
    id: ConversationId,
    bytes: Vec<u8>,
    claim: Claim<'_>,
) -> Result<Message> {
    let (c, side) = load(tx, actor, id)?;
    let info = image::check(&bytes, claim).map_err(|r| Error::Invalid { field: "image", reason: refusal_code(r) })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len();
    let new = NewImage {
        conversation_id: c.id,
        uploader_id: actor.id,
        sha256: sha256.clone(),
        mime: info.kind.mime(),
        width: info.width,
        height: info.height,
        bytes,
        created_at: now,
    };
    let image_id = tx.insert_image(&new)?;
    let body = ImageRef { image_id, mime: new.mime.to_owned(), width: info.width, height: info.height, size, sha256 };
    let body = serde_json::to_string(&body).map_err(|e| crate::StorageError(format!("image body: {e}")))?;
    let m = insert(
        tx,
        NewMessage { conversation_id: c.id, sender_id: Some(actor.id), side, kind: "image", body, created_at: now },
    )?;
    match side {
        Side::Buyer => after_buyer_message(tx, now, c, &m)?,
        _ => after_staff_message(tx, now, actor, (c, side), &m)?,
    }
    Ok(m)
}

/// The API's error code for a refused picture.
fn refusal_code(r: Refused) -> &'static str {
    match r {
        Refused::TooLarge => "image_too_large",
        Refused::TooManyPixels => "image_too_many_pixels",
        Refused::Unknown | Refused::Malformed | Refused::Truncated | Refused::Mismatch => "not_an_image",
    }
}

/// A picture of this conversation, for someone who may read it; 404 otherwise.
pub fn image_of(tx: &mut dyn ReadTx, actor: &User, id: ConversationId, image_id: i64) -> Result<StoredImage> {
    let (c, _) = load(tx, actor, id)?;
    tx.image(c.id, image_id)?.ok_or(Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_pictures_are_refused_with_api_codes_and_described_without_bytes() {
        assert_eq!(refusal_code(Refused::TooLarge), "image_too_large");
        assert_eq!(refusal_code(Refused::TooManyPixels), "image_too_many_pixels");
        for r in [Refused::Unknown, Refused::Malformed, Refused::Truncated, Refused::Mismatch] {
            assert_eq!(refusal_code(r), "not_an_image");
        }
        let body =
            ImageRef { image_id: 4, mime: "image/png".into(), width: 3, height: 2, size: 73, sha256: "ab".repeat(32) };
        let text = serde_json::to_string(&body).unwrap_or_default();
        assert_eq!(ImageRef::parse(&text), Some(body));
        assert!(ImageRef::parse("{\"order_no\":\"1\"}").is_none());
    }
}
