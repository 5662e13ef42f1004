//! What a case carries as proof: the buyer's screenshots (sniffed by their
//! first bytes, never trusted by name or declared type) and the records the
//! platform attaches by itself when the case opens.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::ports::Tx;
use crate::values::{CaseId, UserId};

/// Per screenshot; a phone screenshot is well under this.
pub const MAX_SCREENSHOT_BYTES: usize = 4 * 1024 * 1024;
pub const MAX_SCREENSHOTS: usize = 6;

/// An uploaded file as the HTTP layer decoded it.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment").field("name", &self.name).field("len", &self.bytes.len()).finish()
    }
}

/// A whole PNG, JPEG or WebP file, checked by its content (header parsed, not
/// only the magic bytes); anything else is not a screenshot.
pub fn sniff_image(b: &[u8]) -> Option<&'static str> {
    crate::image::sniff(b).ok().map(|info| info.kind.mime())
}

/// Checks every attachment before anything is written: all or nothing.
pub(crate) fn check_screenshots(files: &[Attachment]) -> Result<Vec<&'static str>> {
    if files.len() > MAX_SCREENSHOTS {
        return Err(Error::Invalid { field: "screenshots", reason: "too_many" });
    }
    files
        .iter()
        .map(|f| {
            if f.bytes.is_empty() || f.bytes.len() > MAX_SCREENSHOT_BYTES {
                return Err(Error::Invalid { field: "screenshots", reason: "size" });
            }
            sniff_image(&f.bytes).ok_or(Error::Invalid { field: "screenshots", reason: "not_an_image" })
        })
        .collect()
}

fn clean_name(name: &str, fallback: &str) -> String {
    let n: String = name.chars().filter(|c| !c.is_control() && *c != '/' && *c != '\\').take(80).collect();
    if n.trim().is_empty() { fallback.to_owned() } else { n }
}

/// Stores checked screenshots as evidence of `kind`.
pub(crate) fn store_screenshots(
    tx: &mut dyn Tx,
    now: Timestamp,
    case: CaseId,
    by: UserId,
    kind: &str,
    files: &[Attachment],
    types: &[&'static str],
) -> Result<Vec<String>> {
    let mut hashes = Vec::new();
    for (f, ct) in files.iter().zip(types) {
        let sha = hex::encode(Sha256::digest(&f.bytes));
        tx.insert_case_evidence(case, kind, &clean_name(&f.name, "screenshot"), ct, &sha, &f.bytes, Some(by), now)?;
        hashes.push(sha);
    }
    Ok(hashes)
}

/// Stores a JSON record the platform attaches itself; returns its SHA-256.
pub(crate) fn store_record(
    tx: &mut dyn Tx,
    now: Timestamp,
    case: CaseId,
    kind: &str,
    name: &str,
    body: &str,
) -> Result<String> {
    let sha = hex::encode(Sha256::digest(body.as_bytes()));
    tx.insert_case_evidence(case, kind, name, "application/json", &sha, body.as_bytes(), None, now)?;
    Ok(sha)
}

/// The order's snapshot, delivery log, key-view log and the buyer–shop
/// conversation, captured as they stand when the case opens.
pub(crate) fn attach_records(
    tx: &mut dyn Tx,
    now: Timestamp,
    case: CaseId,
    order: &crate::orders::Order,
) -> Result<serde_json::Value> {
    let subject = format!("order:{}", order.no);
    let events = tx.events_about(&subject, 1_000)?;
    let pick = |kinds: &[&str]| -> String {
        let list: Vec<_> = events
            .iter()
            .filter(|e| kinds.contains(&e.kind.as_str()))
            .map(|e| json!({ "seq": e.seq, "at": e.at.millis(), "kind": e.kind, "actor": e.actor.map(|a| a.0), "payload": e.payload, "hash": e.hash }))
            .collect();
        serde_json::Value::Array(list).to_string()
    };
    let delivery = pick(&["order.created", "order.delivered", "order.fulfilled", "case.reissued"]);
    let views = pick(&["order.key_revealed"]);
    let transcript = match tx.conversation_of(order.buyer_id, order.shop_id)? {
        Some(c) => {
            let msgs = tx.messages_after(c.id, 0, 2_000)?;
            let list: Vec<_> = msgs
                .iter()
                .map(|m| json!({ "id": m.id, "at": m.created_at.millis(), "side": m.side.as_str(), "kind": m.kind, "body": m.body }))
                .collect();
            serde_json::Value::Array(list).to_string()
        }
        None => "[]".to_owned(),
    };
    Ok(json!({
        "snapshot": store_record(tx, now, case, "snapshot", "交易快照", &order.snapshot)?,
        "delivery_log": store_record(tx, now, case, "delivery_log", "发货记录", &delivery)?,
        "key_views": store_record(tx, now, case, "key_views", "卡密查看记录", &views)?,
        "transcript": store_record(tx, now, case, "transcript", "聊天记录", &transcript)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screenshots_are_known_by_their_bytes() {
        assert_eq!(sniff_image(&crate::image::fixtures::png(3, 2)), Some("image/png"));
        assert_eq!(sniff_image(&crate::image::fixtures::jpeg(3, 2)), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), None, "magic bytes alone are not a picture");
        assert_eq!(sniff_image(b"<svg xmlns=...>"), None);
        let bad = [Attachment { name: "a.png".into(), bytes: b"MZ\x90\0".to_vec() }];
        assert!(matches!(check_screenshots(&bad), Err(Error::Invalid { reason: "not_an_image", .. })));
    }
}
