//! Evidence bundles: everything recorded about one order — its snapshot and
//! every event about it, its after-sales cases or its conversation — with, for each event, the proof
//! that it sits in the published evidence chain. [`verify`] checks a bundle
//! offline and names exactly what does not match.

pub mod port;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::accounts::port::User;
use crate::anchor::AnchorRead;
use crate::anchor::{self, Anchor, Step};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::{ChainedEvent, NewEvent, canonical_event, chain_hash};
use crate::orders::{self, Order};
use crate::ports::Tx;
use crate::snapshot::Snapshot;
use crate::values::{Role, UserId};

/// The format bundles are written in: events carry `part` and `pseq`.
pub const FORMAT: &str = "youying-evidence/2";
/// Bundles of the single chain, before partitions: every event is of
/// partition 0 with `pseq = seq`. They still verify.
pub const FORMAT_V1: &str = "youying-evidence/1";

/// An event as it stands in the chain, with its proof when anchored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenEvent {
    /// The global number (第 N 条).
    pub seq: i64,
    /// The partition (absent in bundles of the single chain: 0).
    #[serde(default)]
    pub part: i64,
    /// The place within the partition (absent in bundles of the single chain: `seq`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseq: Option<i64>,
    pub at: i64,
    pub actor: Option<i64>,
    pub kind: String,
    pub subject: String,
    /// Canonical JSON, exactly as hashed.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
    /// `None` until the next hourly anchor covers the event.
    pub proof: Option<Proof>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    pub anchor_id: i64,
    /// The event's place among the anchor's leaves ([`Anchor::leaf_index`]).
    pub index: i64,
    pub path: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderFacts {
    pub no: String,
    pub shop_id: i64,
    pub shop_name: String,
    pub buyer: String,
    pub title: String,
    pub kind: String,
    pub quantity: i64,
    pub total_fen: i64,
    pub state: String,
    pub created_at: i64,
    pub protect_until: Option<i64>,
    pub promise_due: Option<i64>,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub generated_at: i64,
    pub order: OrderFacts,
    /// The listing as the buyer saw it, canonical JSON; its SHA-256 is in the
    /// `order.created` event.
    pub snapshot: String,
    pub events: Vec<ProvenEvent>,
    /// From the oldest anchor a proof needs to the newest, in order.
    pub anchors: Vec<Anchor>,
}

/// Who may export: the order's buyer, and platform staff (arbitration).
fn may_export(actor: &User, order: &Order) -> bool {
    order.buyer_id == actor.id || matches!(actor.role, Role::PlatformAgent | Role::Admin)
}

/// The bundle of order `no`, for `actor`; someone else's order is `NotFound`.
/// Recorded as an evidence event itself.
pub fn for_order(tx: &mut dyn Tx, now: Timestamp, actor: &User, no: &str) -> Result<Bundle> {
    let order = orders::load_for(tx, actor, no)?;
    if !may_export(actor, &order) {
        return Err(Error::NotFound);
    }
    let subject = format!("order:{}", order.no);
    let mut events = tx.events_of_subject(&subject)?;
    if let Some(c) = tx.conversation_of(order.buyer_id, order.shop_id)? {
        events.extend(tx.events_of_subject(&format!("conversation:{}", c.id))?);
    }
    for c in tx.cases_of_order(order.id)? {
        events.extend(tx.events_of_subject(&format!("case:{}", c.id))?);
    }
    // Breaches about this order are filed under the shop.
    let shop_events = tx.events_of_subject(&format!("shop:{}", order.shop_id))?;
    events.extend(shop_events.into_iter().filter(|e| mentions(e, &subject)));
    events.sort_by_key(|e| e.seq);
    events.dedup_by_key(|e| e.seq);
    let (events, anchors) = prove(tx, events)?;
    let shop_name = tx.shop(order.shop_id)?.map(|s| s.name).unwrap_or_default();
    let buyer = tx.user_by_id(order.buyer_id)?.map(|u| u.username).unwrap_or_default();
    let title = Snapshot::title_of(&order.snapshot);
    tx.append(NewEvent::new(
        now,
        Some(actor.id),
        "evidence.exported",
        &subject,
        serde_json::json!({ "by_role": actor.role.as_str(), "events": events.len() }),
    ))?;
    Ok(Bundle {
        format: FORMAT.to_owned(),
        generated_at: now.millis(),
        order: OrderFacts {
            no: order.no.clone(),
            shop_id: order.shop_id.0,
            shop_name,
            buyer,
            title,
            kind: order.kind.as_str().to_owned(),
            quantity: order.quantity,
            total_fen: order.total.get(),
            state: order.state.as_str().to_owned(),
            created_at: order.created_at.millis(),
            protect_until: order.protect_until.map(Timestamp::millis),
            promise_due: order.promise_due.map(Timestamp::millis),
            closed_at: order.closed_at.map(Timestamp::millis),
        },
        snapshot: order.snapshot,
        events,
        anchors,
    })
}

fn mentions(e: &ChainedEvent, subject: &str) -> bool {
    serde_json::from_str::<Value>(&e.payload).is_ok_and(|p| p["subject"] == subject)
}

impl ProvenEvent {
    /// `(part, pseq)`, for old bundles too.
    pub fn place(&self) -> (i64, i64) {
        (self.part, self.pseq.unwrap_or(self.seq))
    }

    fn expected_hash(&self) -> String {
        let (part, pseq) = self.place();
        let at = Timestamp::from_millis(self.at);
        let canonical =
            canonical_event(part, pseq, at, self.actor.map(UserId), &self.kind, &self.subject, &self.payload);
        chain_hash(&self.prev_hash, &canonical)
    }
}

/// The hashes of an anchor's leaves, in order.
fn leaves_of(tx: &mut dyn AnchorRead, a: &Anchor) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (part, from, to) in a.spans() {
        out.extend(tx.event_hashes(part, from, to)?.into_iter().map(|(_, h)| h));
    }
    Ok(out)
}

/// Each event with its Merkle path to the anchor covering it, and the anchors
/// from the oldest one needed to the newest.
fn prove(tx: &mut dyn AnchorRead, events: Vec<ChainedEvent>) -> Result<(Vec<ProvenEvent>, Vec<Anchor>)> {
    let mut leaves: HashMap<i64, (Anchor, Vec<String>)> = HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    let mut oldest: Option<i64> = None;
    for e in events {
        let proof = match tx.anchor_covering(e.part, e.pseq)? {
            Some(a) => {
                let (a, hashes) = match leaves.entry(a.id) {
                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        let hashes = leaves_of(tx, &a)?;
                        v.insert((a, hashes))
                    }
                };
                let index = a.leaf_index(e.part, e.pseq).unwrap_or(i64::MAX);
                let path = anchor::merkle_path(hashes, usize::try_from(index).unwrap_or(usize::MAX))?;
                oldest = Some(oldest.map_or(a.id, |o| o.min(a.id)));
                Some(Proof { anchor_id: a.id, index, path })
            }
            None => None,
        };
        out.push(ProvenEvent {
            seq: e.seq,
            part: e.part,
            pseq: Some(e.pseq),
            at: e.at.millis(),
            actor: e.actor.map(|a| a.0),
            kind: e.kind,
            subject: e.subject,
            payload: e.payload,
            prev_hash: e.prev_hash,
            hash: e.hash,
            proof,
        });
    }
    let anchors = match oldest {
        Some(id) => tx.anchors_from(id)?,
        None => tx.last_anchor()?.into_iter().collect(),
    };
    Ok((out, anchors))
}

/// What an offline check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub events: usize,
    pub anchored: usize,
    /// The newest anchor's hash: compare it with the one the platform publishes.
    pub head: Option<String>,
    pub problems: Vec<String>,
    /// Each check on its own, for a verdict in words.
    pub checks: Checks,
    /// The first event whose content, link or proof does not hold: the one
    /// that was altered (its `seq`).
    pub broken: Option<i64>,
}

/// The checks a consumer reads, each passed or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Checks {
    /// The format is known and the order snapshot matches the hash recorded at payment.
    pub file: bool,
    /// Every event matches its hash, and consecutive events link to each other.
    pub chain: bool,
    /// Every proof leads to its anchor and the anchors follow one another.
    pub anchors: bool,
    /// The bundle's anchors are the ones the platform published; `None` when
    /// not compared.
    pub published: Option<bool>,
}

impl Default for Checks {
    fn default() -> Self {
        Checks { file: true, chain: true, anchors: true, published: None }
    }
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn broke(&mut self, seq: i64) {
        self.broken = Some(self.broken.map_or(seq, |b| b.min(seq)));
    }
}

/// Checks every event's hash and its link to the event before it, every
/// proof, the anchors' chain and the snapshot's hash. With `published`, the
/// newest anchor must be that one or lead to it.
pub fn verify(bundle: &Bundle, published: Option<&str>) -> Report {
    let mut r = Report { events: bundle.events.len(), ..Report::default() };
    if bundle.format != FORMAT && bundle.format != FORMAT_V1 {
        r.problems.push(format!("unknown format {:?}", bundle.format));
        r.checks.file = false;
    }
    check_anchors(&bundle.anchors, &mut r);
    let by_id: HashMap<i64, &Anchor> = bundle.anchors.iter().map(|a| (a.id, a)).collect();
    let mut before: HashMap<i64, &ProvenEvent> = HashMap::new();
    for e in &bundle.events {
        check_event(e, &by_id, &mut r);
        check_link(before.insert(e.part, e), e, &mut r);
    }
    check_snapshot(bundle, &mut r);
    r.head = bundle.anchors.last().map(|a| a.hash.clone());
    if let Some(p) = published {
        let found = bundle.anchors.iter().any(|a| a.hash == p);
        r.checks.published = Some(found);
        if !found {
            r.problems.push(format!("the published chain head {p} is not among the bundle's anchors"));
        }
    }
    r
}

/// [`verify`], then the bundle's anchors compared with the platform's own
/// (`platform`: its anchors from the bundle's oldest one on). A bundle
/// exported before later anchors still matches.
pub fn verify_against(bundle: &Bundle, platform: &[Anchor]) -> Report {
    let mut r = verify(bundle, None);
    if bundle.anchors.is_empty() {
        return r;
    }
    let theirs: HashMap<i64, &str> = platform.iter().map(|a| (a.id, a.hash.as_str())).collect();
    let stray = bundle.anchors.iter().find(|a| theirs.get(&a.id) != Some(&a.hash.as_str()));
    r.checks.published = Some(stray.is_none());
    if let Some(a) = stray {
        r.problems.push(format!("anchor #{} is not the one the platform published", a.id));
    }
    r
}

/// Two events next to each other in a partition must link: the later one's
/// `prev_hash` is the earlier one's hash.
fn check_link(before: Option<&ProvenEvent>, e: &ProvenEvent, r: &mut Report) {
    if let Some(b) = before
        && b.place().1 + 1 == e.place().1
        && e.prev_hash != b.hash
    {
        r.problems.push(format!("event #{}: does not follow event #{}", e.seq, b.seq));
        r.checks.chain = false;
        r.broke(b.seq);
    }
}

/// Each anchor matches its hash, names the one before it, and, in every
/// partition, starts where the anchors before it in the bundle ended.
fn check_anchors(anchors: &[Anchor], r: &mut Report) {
    let mut ends: HashMap<i64, i64> = HashMap::new();
    for (i, a) in anchors.iter().enumerate() {
        if a.expected_hash() != a.hash {
            r.problems.push(format!("anchor #{}: its fields do not match its hash (altered)", a.id));
            r.checks.anchors = false;
        }
        let spans = a.spans();
        let gap = spans.iter().any(|&(part, from, to)| from > to || ends.get(&part).is_some_and(|end| from != end + 1));
        let unordered = spans.windows(2).any(|w| w[0].0 >= w[1].0);
        let unlinked = i.checked_sub(1).map(|j| &anchors[j]).is_some_and(|p| a.prev_hash != p.hash || a.id != p.id + 1);
        if gap || unordered || unlinked {
            let prev = i.checked_sub(1).map_or(a.id - 1, |j| anchors[j].id);
            r.problems.push(format!("anchor #{}: does not follow anchor #{prev}", a.id));
            r.checks.anchors = false;
        }
        ends.extend(spans.iter().map(|&(part, _, to)| (part, to)));
    }
}

fn check_event(e: &ProvenEvent, anchors: &HashMap<i64, &Anchor>, r: &mut Report) {
    if e.expected_hash() != e.hash {
        r.problems.push(format!("event #{} ({}): its content does not match its hash (altered)", e.seq, e.kind));
        r.checks.chain = false;
        r.broke(e.seq);
        return;
    }
    let Some(p) = &e.proof else { return };
    let Some(a) = anchors.get(&p.anchor_id) else {
        r.problems.push(format!("event #{}: its anchor #{} is missing", e.seq, p.anchor_id));
        r.checks.anchors = false;
        r.broke(e.seq);
        return;
    };
    let (part, pseq) = e.place();
    if a.leaf_index(part, pseq) != Some(p.index) {
        r.problems.push(format!("event #{}: outside the range of anchor #{}", e.seq, a.id));
        r.checks.anchors = false;
        r.broke(e.seq);
    } else if !anchor::path_leads_to(&e.hash, &p.path, &a.root) {
        // A rewritten event with a recomputed hash ends here.
        r.problems.push(format!("event #{}: its proof does not lead to anchor #{}", e.seq, a.id));
        r.checks.anchors = false;
        r.broke(e.seq);
    } else {
        r.anchored += 1;
    }
}

fn check_snapshot(bundle: &Bundle, r: &mut Report) {
    let created = bundle.events.iter().find(|e| e.kind == "order.created");
    let claimed = created
        .and_then(|e| serde_json::from_str::<Value>(&e.payload).ok())
        .and_then(|p| p["snapshot_sha256"].as_str().map(str::to_owned));
    let actual = hex::encode(Sha256::digest(bundle.snapshot.as_bytes()));
    match claimed {
        Some(c) if c == actual => {}
        Some(_) => {
            r.problems.push("snapshot: does not match the SHA-256 recorded when the order was paid".into());
            r.checks.file = false;
        }
        None => {
            r.problems.push("snapshot: no order.created event records its SHA-256".into());
            r.checks.file = false;
        }
    }
}

#[cfg(test)]
mod tests;
