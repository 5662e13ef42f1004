//! The evidence chain as the transports and the CLI use it: an order's bundle
//! as a zip for whoever may see the order, the walk that verifies the chain
//! and its anchors, and anchoring on demand.

use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::bundle;

use youying_core::anchor::{self, Anchor, Head};
use youying_core::error::Result;
use youying_core::evidence::{Broken, Verifier, genesis_hex};
use youying_core::ports::{ReadTx, Store};

use crate::error::ApiResult;
use crate::state::App;

/// An order's evidence bundle as zip bytes (`evidence.json` + `evidence.html`);
/// the export itself is logged in the chain.
pub async fn export<S: Store>(app: &App<S>, user: User, no: String) -> ApiResult<Vec<u8>> {
    let now = app.now();
    let b = app.store.write(move |tx| bundle::for_order(tx, now, &user, &no)).await?;
    let verifier = format!("{}/verify", app.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/'));
    crate::evidence::to_zip(&b, &verifier)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    pub ok: bool,
    /// Events verified (every partition).
    pub checked: u64,
    /// The first event that does not verify (its global number, 第 N 条);
    /// for an anchor that does not hold, the first event it covers.
    pub broken_seq: Option<i64>,
    pub reason: Option<String>,
    /// Anchors verified.
    pub anchors: u64,
}

/// Walks the whole chain, each partition page by page, then every anchor:
/// each continues every partition where the anchors before it ended, its
/// root is recomputed from the events and each range ends at the hash the
/// anchor names. The first broken event (lowest global number) is named.
pub fn verify_chain(tx: &mut dyn ReadTx) -> Result<VerifyView> {
    let heads = tx.chain_heads()?;
    let mut v = Verifier::default();
    let mut broken: Option<Broken> = None;
    for head in &heads {
        if let Some(b) = walk(tx, &mut v, head)? {
            broken = Some(broken.filter(|o| o.seq <= b.seq).unwrap_or(b));
        }
    }
    let (anchors, anchor_broken) = check_anchors(tx)?;
    let (broken_seq, reason) = match (broken, anchor_broken) {
        (Some(b), _) => (Some(b.seq), Some(b.reason.to_owned())),
        (None, Some((seq, why))) => (Some(seq), Some(why)),
        (None, None) => (None, None),
    };
    Ok(VerifyView { ok: broken_seq.is_none(), checked: v.checked, broken_seq, reason, anchors })
}

/// One partition, from its first event to its head.
fn walk(tx: &mut dyn ReadTx, v: &mut Verifier, head: &Head) -> Result<Option<Broken>> {
    let mut last_seq = 0;
    loop {
        let page = tx.partition_events(head.part, v.head(head.part).0, 1_000)?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            if let Err(b) = v.check(e) {
                return Ok(Some(b));
            }
            last_seq = e.seq;
        }
    }
    // Events cut off the end leave the head beyond the last one.
    let (pseq, hash) = v.head(head.part);
    Ok((pseq != head.pseq || hash != head.hash).then_some(Broken { seq: last_seq, reason: "head_mismatch" }))
}

/// Every anchor in order; the count, and the first that does not hold as
/// (the first global number it covers, why).
fn check_anchors(tx: &mut dyn ReadTx) -> Result<(u64, Option<(i64, String)>)> {
    let mut ends: HashMap<i64, i64> = HashMap::new();
    let (mut prev, mut count) = (None::<Anchor>, 0);
    for a in tx.anchors_from(1)? {
        let mut hashes = Vec::new();
        let mut why = None;
        for (part, from, to) in a.spans() {
            let events = tx.event_hashes(part, from, to)?;
            let head = a.ranges.iter().find(|r| r.part == part).map(|r| r.head.as_str());
            if from != ends.get(&part).copied().unwrap_or(0) + 1 {
                why = why.or(Some("does not continue the partition"));
            } else if usize::try_from(to - from + 1).ok() != Some(events.len()) {
                why = why.or(Some("covers events that are missing"));
            } else if head.is_some_and(|h| events.last().map(|(_, e)| e.as_str()) != Some(h)) {
                why = why.or(Some("its head is not the partition's event"));
            }
            ends.insert(part, to);
            hashes.extend(events.into_iter().map(|(_, h)| h));
        }
        if a.expected_hash() != a.hash {
            why = why.or(Some("its fields do not match its hash"));
        }
        if prev.as_ref().map_or((1, genesis_hex()), |p| (p.id + 1, p.hash.clone())) != (a.id, a.prev_hash.clone()) {
            why = why.or(Some("does not follow the anchor before it"));
        }
        if why.is_none() && anchor::merkle_root(&hashes)? != a.root {
            why = Some("its root does not match its events");
        }
        if let Some(why) = why {
            return Ok((count, Some((a.from_seq, format!("anchor #{}: {why}", a.id)))));
        }
        count += 1;
        prev = Some(a);
    }
    Ok((count, None))
}

/// Anchors the chain now (`youying evidence anchor`); `None` when nothing
/// was appended since the last anchor, or another instance just anchored it.
pub async fn anchor_now<S: Store>(app: &App<S>) -> ApiResult<Option<Anchor>> {
    let now = app.now();
    Ok(app.store.write(move |tx| anchor::anchor_now(tx, now)).await?)
}
