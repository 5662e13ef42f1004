//! Anchors: every hour the events appended since the last anchor are summed up
//! in a Merkle tree (RFC 6962 hashing), and the anchor — range, root, previous
//! anchor — is itself hashed into a chain of anchors. The newest anchor's hash
//! is published; an evidence bundle proves each of its events with a short
//! Merkle path to an anchor and the anchors from there to the published one,
//! without revealing anyone else's events.

pub mod port;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::evidence::{NewEvent, canonical_json, genesis_hex};
use crate::ports::Tx;

pub use self::port::{Anchor, AnchorRead, AnchorTx};

impl Anchor {
    /// The hash an anchor with these fields must have.
    pub fn expected_hash(&self) -> String {
        let canonical = canonical_json(&json!({
            "id": self.id,
            "from_seq": self.from_seq,
            "to_seq": self.to_seq,
            "root": self.root,
            "prev_hash": self.prev_hash,
            "at": self.at.millis(),
        }));
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }
}

/// One step of a Merkle audit path: the sibling's hash, and whether it sits
/// on the left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub left: bool,
    pub hash: String,
}

fn leaf_hash(event_hash: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(event_hash);
    h.finalize().into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (n ≥ 2): where RFC 6962 splits.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn root_of(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

fn decode(hex_hash: &str) -> Result<Vec<u8>> {
    hex::decode(hex_hash).map_err(|_| Error::Invalid { field: "hash", reason: "not_hex" })
}

fn leaves(event_hashes: &[String]) -> Result<Vec<[u8; 32]>> {
    event_hashes.iter().map(|h| decode(h).map(|b| leaf_hash(&b))).collect()
}

/// The Merkle root over events' hashes (hex), hex.
pub fn merkle_root(event_hashes: &[String]) -> Result<String> {
    Ok(hex::encode(root_of(&leaves(event_hashes)?)))
}

/// The audit path of leaf `index`, from the leaf up.
pub fn merkle_path(event_hashes: &[String], index: usize) -> Result<Vec<Step>> {
    fn walk(leaves: &[[u8; 32]], index: usize, out: &mut Vec<Step>) {
        if leaves.len() <= 1 {
            return;
        }
        let k = split(leaves.len());
        if index < k {
            walk(&leaves[..k], index, out);
            out.push(Step { left: false, hash: hex::encode(root_of(&leaves[k..])) });
        } else {
            walk(&leaves[k..], index - k, out);
            out.push(Step { left: true, hash: hex::encode(root_of(&leaves[..k])) });
        }
    }
    let leaves = leaves(event_hashes)?;
    if index >= leaves.len() {
        return Err(Error::Invalid { field: "index", reason: "out_of_range" });
    }
    let mut out = Vec::new();
    walk(&leaves, index, &mut out);
    Ok(out)
}

/// Whether `event_hash` with this path leads to `root`.
pub fn path_leads_to(event_hash: &str, path: &[Step], root: &str) -> bool {
    let Ok(bytes) = decode(event_hash) else { return false };
    let mut acc = leaf_hash(&bytes);
    for step in path {
        let Ok(sibling) = decode(&step.hash) else { return false };
        let Ok(sibling) = <[u8; 32]>::try_from(sibling.as_slice()) else { return false };
        acc = if step.left { node_hash(&sibling, &acc) } else { node_hash(&acc, &sibling) };
    }
    hex::encode(acc) == root
}

/// Anchors every event appended since the last anchor, if any. Called by the
/// hourly deadline; returns the new anchor.
pub fn anchor_now(tx: &mut dyn Tx, now: Timestamp) -> Result<Option<Anchor>> {
    let last = tx.last_anchor()?;
    let from = last.as_ref().map_or(1, |a| a.to_seq + 1);
    let hashes = tx.event_hashes(from, None)?;
    if hashes.is_empty() {
        return Ok(None);
    }
    let to =
        from + i64::try_from(hashes.len()).map_err(|_| Error::Invalid { field: "events", reason: "too_many" })? - 1;
    let mut anchor = Anchor {
        id: last.as_ref().map_or(1, |a| a.id + 1),
        from_seq: from,
        to_seq: to,
        root: merkle_root(&hashes)?,
        prev_hash: last.map_or_else(genesis_hex, |a| a.hash),
        hash: String::new(),
        at: now,
    };
    anchor.hash = anchor.expected_hash();
    tx.insert_anchor(&anchor)?;
    tx.append(NewEvent::new(
        now,
        None,
        "chain.anchored",
        format!("anchor:{}", anchor.id),
        json!({ "from_seq": from, "to_seq": to, "root": anchor.root, "hash": anchor.hash }),
    ))?;
    Ok(Some(anchor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(n: usize) -> Vec<String> {
        (0..n).map(|i| hex::encode(Sha256::digest(format!("event {i}").as_bytes()))).collect()
    }

    #[test]
    fn every_leaf_proves_its_place_and_nothing_else_does() {
        for n in 1..=33 {
            let hs = hashes(n);
            let root = merkle_root(&hs).unwrap();
            for (i, h) in hs.iter().enumerate() {
                let path = merkle_path(&hs, i).unwrap();
                assert!(path_leads_to(h, &path, &root), "n={n} i={i}");
                let other = hex::encode(Sha256::digest(b"forged"));
                assert!(!path_leads_to(&other, &path, &root), "a forged event fails, n={n} i={i}");
            }
        }
    }

    #[test]
    fn a_changed_sibling_or_side_breaks_the_path() {
        let hs = hashes(7);
        let root = merkle_root(&hs).unwrap();
        let mut path = merkle_path(&hs, 3).unwrap();
        path[0].left = !path[0].left;
        assert!(!path_leads_to(&hs[3], &path, &root));
        assert!(merkle_path(&hs, 7).is_err());
    }

    #[test]
    fn anchors_hash_every_field() {
        let mut a = Anchor {
            id: 1,
            from_seq: 1,
            to_seq: 9,
            root: merkle_root(&hashes(9)).unwrap(),
            prev_hash: genesis_hex(),
            hash: String::new(),
            at: Timestamp::from_millis(5),
        };
        a.hash = a.expected_hash();
        let mut b = a.clone();
        b.to_seq = 8;
        assert_ne!(b.expected_hash(), a.hash);
    }
}
