//! The anchors' port: the stored anchor rows and the event hashes they sum up.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::Result;
use crate::evidence::ChainedEvent;

/// What anchoring and evidence bundles read and write.
pub trait AnchorTx: AnchorRead {
    fn insert_anchor(&mut self, anchor: &Anchor) -> Result<()>;
}

/// The query half of [`AnchorTx`], for read-only transactions.
pub trait AnchorRead {
    fn last_anchor(&mut self) -> Result<Option<Anchor>>;
    /// Anchors with `id >= from_id`, oldest first.
    fn anchors_from(&mut self, from_id: i64) -> Result<Vec<Anchor>>;
    /// The anchor whose range holds event `seq`, if it has been anchored.
    fn anchor_covering(&mut self, seq: i64) -> Result<Option<Anchor>>;
    /// Hashes of the committed events `from_seq..=to_seq` (to the end with `None`), in order.
    fn event_hashes(&mut self, from_seq: i64, to_seq: Option<i64>) -> Result<Vec<String>>;
    /// Every event about `subject`, in chain order.
    fn events_of_subject(&mut self, subject: &str) -> Result<Vec<ChainedEvent>>;
}

/// An hour's (or any range's) summary of the evidence chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    pub id: i64,
    /// Events `from_seq..=to_seq` are the tree's leaves, in order.
    pub from_seq: i64,
    pub to_seq: i64,
    /// The Merkle root of those events' hashes, hex.
    pub root: String,
    /// The previous anchor's hash (zeros for the first).
    pub prev_hash: String,
    /// SHA-256 of this anchor's canonical form, hex.
    pub hash: String,
    pub at: Timestamp,
}
