//! The anchors' port: the stored anchor rows, the partition heads they read,
//! and the event hashes they sum up.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::Result;
use crate::evidence::ChainedEvent;

/// What anchoring and evidence bundles read and write.
pub trait AnchorTx: AnchorRead {
    /// Holds anchoring to this transaction until it ends, so two instances
    /// anchoring at once take turns and the second sees the first's anchor
    /// (PostgreSQL: a transaction-level advisory lock; SQLite has one writer).
    fn lock_anchoring(&mut self) -> Result<()>;
    fn insert_anchor(&mut self, anchor: &Anchor) -> Result<()>;
}

/// The query half of [`AnchorTx`], for read-only transactions.
pub trait AnchorRead {
    fn last_anchor(&mut self) -> Result<Option<Anchor>>;
    /// Anchors with `id >= from_id`, oldest first.
    fn anchors_from(&mut self, from_id: i64) -> Result<Vec<Anchor>>;
    /// The anchor whose ranges hold event `pseq` of partition `part`, if it has been anchored.
    fn anchor_covering(&mut self, part: i64, pseq: i64) -> Result<Option<Anchor>>;
    /// `(seq, hash)` of partition `part`'s events `from_pseq..=to_pseq`, in `pseq` order.
    fn event_hashes(&mut self, part: i64, from_pseq: i64, to_pseq: i64) -> Result<Vec<(i64, String)>>;
    /// Up to `limit` events of partition `part` after `after_pseq`, in `pseq` order.
    fn partition_events(&mut self, part: i64, after_pseq: i64, limit: usize) -> Result<Vec<ChainedEvent>>;
    /// Every partition's committed head, by partition. Read without locks: the
    /// events up to each head are committed.
    fn chain_heads(&mut self) -> Result<Vec<Head>>;
    /// Per partition that any anchor covers, the last `pseq` covered.
    fn anchored_ends(&mut self) -> Result<Vec<(i64, i64)>>;
    /// Every event about `subject`, in chain order.
    fn events_of_subject(&mut self, subject: &str) -> Result<Vec<ChainedEvent>>;
}

/// A partition's head: its last event's `pseq` and hash (0 and zeros when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub part: i64,
    pub pseq: i64,
    pub hash: String,
}

/// The events of one partition an anchor covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub part: i64,
    pub from_pseq: i64,
    pub to_pseq: i64,
    /// The hash of event `to_pseq`: the partition's head when anchored.
    pub head: String,
}

/// An hour's (or any range's) summary of the evidence chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub id: i64,
    /// Anchors of the single chain (before partitions; `ranges` empty): events
    /// `from_seq..=to_seq` are the tree's leaves, in order. Later anchors: the
    /// lowest and highest global `seq` among the leaves, for people to read.
    pub from_seq: i64,
    pub to_seq: i64,
    /// The Merkle root of those events' hashes, hex.
    pub root: String,
    /// The previous anchor's hash (zeros for the first).
    pub prev_hash: String,
    /// SHA-256 of this anchor's canonical form, hex.
    pub hash: String,
    pub at: Timestamp,
    /// Per partition, the events since the previous anchor, by partition;
    /// the leaves are these ranges' events in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
}
