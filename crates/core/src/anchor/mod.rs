//! Anchors: every hour the events appended since the last anchor are summed up
//! in a Merkle tree (RFC 6962 hashing), and the anchor — range, root, previous
//! anchor — is itself hashed into a chain of anchors. Since the chain has
//! partitions an anchor covers, per partition, the committed events after the
//! previous anchor's end in that partition (a [`Range`] with the head's hash);
//! the leaves are those events in `(part, pseq)` order. Its canonical form is
//! `{"at","from_seq","id","prev_hash","ranges":[{"from_pseq","head","part","to_pseq"}],"root","to_seq"}`;
//! an anchor of the single chain before partitions keeps its own form
//! `{"at","from_seq","id","prev_hash","root","to_seq"}` and counts as one
//! range of partition 0. The newest anchor's hash
//! is published; an evidence bundle proves each of its events with a short
//! Merkle path to an anchor and the anchors from there to the published one,
//! without revealing anyone else's events.

pub mod port;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::error::{Error, Result, StorageError};
use crate::evidence::{NewEvent, canonical_json, genesis_hex};
use crate::ports::Tx;

pub use self::port::{Anchor, AnchorRead, AnchorTx, Head, Range};

/// One partition's span in an anchor: `(part, from_pseq, to_pseq)`.
pub type Span = (i64, i64, i64);

impl Anchor {
    /// The hash an anchor with these fields must have.
    pub fn expected_hash(&self) -> String {
        let mut fields = json!({
            "id": self.id,
            "from_seq": self.from_seq,
            "to_seq": self.to_seq,
            "root": self.root,
            "prev_hash": self.prev_hash,
            "at": self.at.millis(),
        });
        if !self.ranges.is_empty() {
            fields["ranges"] = json!(self.ranges);
        }
        hex::encode(Sha256::digest(canonical_json(&fields).as_bytes()))
    }

    /// What the anchor covers, by partition; an anchor of the single chain is
    /// its events of partition 0.
    pub fn spans(&self) -> Vec<Span> {
        if self.ranges.is_empty() {
            return vec![(0, self.from_seq, self.to_seq)];
        }
        self.ranges.iter().map(|r| (r.part, r.from_pseq, r.to_pseq)).collect()
    }

    /// Where event `pseq` of partition `part` sits among the leaves, if covered.
    pub fn leaf_index(&self, part: i64, pseq: i64) -> Option<i64> {
        let mut offset = 0;
        for (p, from, to) in self.spans() {
            if p == part && (from..=to).contains(&pseq) {
                return Some(offset + pseq - from);
            }
            offset += to - from + 1;
        }
        None
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

/// Anchors, per partition, every committed event after the previous anchor's
/// end there, if any. Called by the hourly deadline and on demand; two
/// instances at once take turns, and the second finds nothing new or only
/// what came since.
pub fn anchor_now(tx: &mut dyn Tx, now: Timestamp) -> Result<Option<Anchor>> {
    tx.lock_anchoring()?;
    let last = tx.last_anchor()?;
    let ends: std::collections::HashMap<i64, i64> = tx.anchored_ends()?.into_iter().collect();
    let (mut ranges, mut hashes, mut lo, mut hi) = (Vec::new(), Vec::new(), i64::MAX, i64::MIN);
    for head in tx.chain_heads()? {
        let from = ends.get(&head.part).copied().unwrap_or(0) + 1;
        if head.pseq < from {
            continue;
        }
        let events = tx.event_hashes(head.part, from, head.pseq)?;
        let whole = usize::try_from(head.pseq - from + 1).is_ok_and(|n| n == events.len());
        if !whole || events.last().map(|(_, h)| h) != Some(&head.hash) {
            return Err(StorageError(format!("partition {} does not end at its head", head.part)).into());
        }
        for (seq, hash) in events {
            (lo, hi) = (lo.min(seq), hi.max(seq));
            hashes.push(hash);
        }
        ranges.push(Range { part: head.part, from_pseq: from, to_pseq: head.pseq, head: head.hash });
    }
    if ranges.is_empty() {
        return Ok(None);
    }
    let mut anchor = Anchor {
        id: last.as_ref().map_or(1, |a| a.id + 1),
        from_seq: lo,
        to_seq: hi,
        root: merkle_root(&hashes)?,
        prev_hash: last.map_or_else(genesis_hex, |a| a.hash),
        hash: String::new(),
        at: now,
        ranges,
    };
    anchor.hash = anchor.expected_hash();
    tx.insert_anchor(&anchor)?;
    tx.append(NewEvent::new(
        now,
        None,
        "chain.anchored",
        format!("anchor:{}", anchor.id),
        json!({
            "from_seq": anchor.from_seq,
            "to_seq": anchor.to_seq,
            "events": hashes.len(),
            "parts": anchor.ranges.len(),
            "root": anchor.root,
            "hash": anchor.hash,
        }),
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

    fn ranged(ranges: Vec<Range>) -> Anchor {
        let mut a = Anchor {
            id: 2,
            from_seq: 3,
            to_seq: 40,
            root: merkle_root(&hashes(9)).unwrap(),
            prev_hash: genesis_hex(),
            hash: String::new(),
            at: Timestamp::from_millis(5),
            ranges,
        };
        a.hash = a.expected_hash();
        a
    }

    fn range(part: i64, from_pseq: i64, to_pseq: i64) -> Range {
        Range { part, from_pseq, to_pseq, head: hashes(1).remove(0) }
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
            ranges: Vec::new(),
        };
        a.hash = a.expected_hash();
        // The single chain's anchors keep their form.
        let old = r#"{"at":5,"from_seq":1,"id":1,"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","root":"ROOT","to_seq":9}"#;
        assert_eq!(a.hash, hex::encode(Sha256::digest(old.replace("ROOT", &a.root).as_bytes())));
        let mut b = a.clone();
        b.to_seq = 8;
        assert_ne!(b.expected_hash(), a.hash);

        let a = ranged(vec![range(0, 3, 5), range(7, 1, 6)]);
        let changes: [fn(&mut Anchor); 11] = [
            |a| a.id += 1,
            |a| a.from_seq += 1,
            |a| a.to_seq += 1,
            |a| a.root = genesis_hex(),
            |a| a.prev_hash = a.root.clone(),
            |a| a.at = Timestamp::from_millis(6),
            |a| a.ranges[1].part = 8,
            |a| a.ranges[1].from_pseq = 2,
            |a| a.ranges[0].to_pseq = 4,
            |a| a.ranges[0].head = genesis_hex(),
            |a| a.ranges.truncate(1),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut b = a.clone();
            change(&mut b);
            assert_ne!(b.expected_hash(), a.hash, "change {i}");
        }
    }

    #[test]
    fn leaves_of_several_partitions_prove_their_place() {
        let a = ranged(vec![range(0, 3, 5), range(7, 1, 6)]);
        assert_eq!(a.spans(), [(0, 3, 5), (7, 1, 6)]);
        let at = |p, s| a.leaf_index(p, s);
        assert_eq!((at(0, 3), at(0, 5), at(7, 1), at(7, 6)), (Some(0), Some(2), Some(3), Some(8)));
        assert_eq!((at(0, 6), at(7, 0), at(1, 3)), (None, None, None));
        let hs = hashes(9);
        let root = merkle_root(&hs).unwrap();
        for (p, s) in [(0, 4), (7, 1), (7, 6)] {
            let i = usize::try_from(at(p, s).unwrap()).unwrap();
            assert!(path_leads_to(&hs[i], &merkle_path(&hs, i).unwrap(), &root));
        }
        let old = Anchor { ranges: Vec::new(), from_seq: 10, to_seq: 12, ..a };
        assert_eq!((old.spans(), old.leaf_index(0, 11), old.leaf_index(1, 11)), (vec![(0, 10, 12)], Some(1), None));
    }
}
