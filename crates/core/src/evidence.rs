//! The tamper-evident evidence log: an append-only chain of events where each
//! event's hash covers the previous hash and the event's canonical form.
//!
//! `hash = SHA-256(prev_hash ‖ canonical_event)`, with a genesis `prev_hash` of
//! 32 zero bytes. The canonical form is JSON with keys sorted and no whitespace,
//! so anyone can recompute a hash offline with a few lines of any language.
//!
//! The chain is split into [`PARTITIONS`] partitions so that writers never
//! wait on one another: each has its own head, and a transaction links all its
//! events, consecutively, into whichever partition is free. An event is placed
//! by `(part, pseq)`: `pseq` counts 1, 2, 3… within its partition and
//! `prev_hash` is the hash of the event before it *in the same partition*.
//! `seq` is the global row number people see (第 N 条); it is not hashed and
//! may have gaps.
//!
//! The canonical form of an event in partition 0 is
//! `{"actor":A,"at":MS,"kind":K,"payload":P,"seq":PSEQ,"subject":S}` — the
//! form of the single chain before partitions, whose events are partition 0
//! with `pseq = seq`, so every old event and bundle still verifies. In any
//! other partition a `"part":N` key is added (keys stay sorted):
//! `{"actor":A,"at":MS,"kind":K,"part":N,"payload":P,"seq":PSEQ,"subject":S}`.

pub mod kinds;
pub mod words;

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::values::UserId;

pub const GENESIS: [u8; 32] = [0; 32];

/// How many partitions the chain has: at least twice the connections of two
/// instances at the default pool (2 × 16), so a free head is almost always
/// there without waiting.
pub const PARTITIONS: i64 = 64;

/// An event as a use case records it; the store gives it a place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub at: Timestamp,
    pub actor: Option<UserId>,
    pub kind: &'static str,
    /// What the event is about, as `type:id` (`user:7`, `shop:3`, `deadline:12`).
    pub subject: String,
    pub payload: Value,
}

impl NewEvent {
    pub fn new(
        at: Timestamp,
        actor: Option<UserId>,
        kind: &'static str,
        subject: impl Into<String>,
        payload: Value,
    ) -> Self {
        Self { at, actor, kind, subject: subject.into(), payload }
    }
}

/// An event as stored, with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEvent {
    /// The global row number (第 N 条), not hashed.
    pub seq: i64,
    /// The partition, `0..PARTITIONS`.
    pub part: i64,
    /// The place within the partition, from 1.
    pub pseq: i64,
    pub at: Timestamp,
    pub actor: Option<UserId>,
    pub kind: String,
    pub subject: String,
    /// The canonical JSON text of the payload, exactly as hashed.
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Sorted keys, no insignificant whitespace; numbers and strings as serde_json writes them.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The bytes an event's hash covers besides the previous hash (see the module
/// comment): `"part"` appears only outside partition 0.
pub fn canonical_event(
    part: i64,
    pseq: i64,
    at: Timestamp,
    actor: Option<UserId>,
    kind: &str,
    subject: &str,
    payload_canonical: &str,
) -> String {
    let actor = actor.map_or_else(|| "null".to_owned(), |a| a.0.to_string());
    let part = if part == 0 { String::new() } else { format!("\"part\":{part},") };
    format!(
        "{{\"actor\":{actor},\"at\":{},\"kind\":{},{part}\"payload\":{payload_canonical},\"seq\":{pseq},\"subject\":{}}}",
        at.millis(),
        Value::String(kind.to_owned()),
        Value::String(subject.to_owned()),
    )
}

impl ChainedEvent {
    /// What this event's hash must be, from its fields and `prev_hash`.
    pub fn expected_hash(&self) -> String {
        let canonical =
            canonical_event(self.part, self.pseq, self.at, self.actor, &self.kind, &self.subject, &self.payload);
        chain_hash(&self.prev_hash, &canonical)
    }
}

pub fn chain_hash(prev_hash_hex: &str, canonical: &str) -> String {
    let prev = hex::decode(prev_hash_hex).unwrap_or_else(|_| GENESIS.to_vec());
    let mut h = Sha256::new();
    h.update(&prev);
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

pub fn genesis_hex() -> String {
    hex::encode(GENESIS)
}

/// Links `event` as `pseq` of partition `part` after `prev_hash` (that
/// partition's head), producing what the store persists; `seq` is the global
/// number the store gives the row.
pub fn link(seq: i64, part: i64, pseq: i64, prev_hash: &str, event: &NewEvent) -> ChainedEvent {
    let payload = canonical_json(&event.payload);
    let canonical = canonical_event(part, pseq, event.at, event.actor, event.kind, &event.subject, &payload);
    ChainedEvent {
        seq,
        part,
        pseq,
        at: event.at,
        actor: event.actor,
        kind: event.kind.to_owned(),
        subject: event.subject.clone(),
        payload,
        prev_hash: prev_hash.to_owned(),
        hash: chain_hash(prev_hash, &canonical),
    }
}

/// Where a chain stopped being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The global number of the first event that does not hold; for
    /// `missing`, of the event that follows the gap.
    pub seq: i64,
    pub reason: &'static str,
}

/// Walks the chain, each partition on its own: within a partition `pseq`
/// counts on by one and each `prev_hash` is the hash before it. Events may
/// come in global `seq` order (partitions interleaved: within one partition
/// `seq` rises with `pseq`) or one partition after another; the state
/// carries over between pages so a large log is verified without loading it
/// whole.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    /// Each partition's last good `(pseq, hash)`.
    heads: BTreeMap<i64, (i64, String)>,
    last_seq: i64,
    pub checked: u64,
}

impl Verifier {
    pub fn check(&mut self, e: &ChainedEvent) -> Result<(), Broken> {
        let (pseq, hash) = self.heads.get(&e.part).map_or((0, GENESIS_HEX), |(p, h)| (*p, h.as_str()));
        if !(0..PARTITIONS).contains(&e.part) || e.pseq != pseq + 1 {
            return Err(Broken { seq: e.seq, reason: "missing" });
        }
        if e.prev_hash != hash {
            return Err(Broken { seq: e.seq, reason: "prev_hash_mismatch" });
        }
        if e.expected_hash() != e.hash {
            return Err(Broken { seq: e.seq, reason: "hash_mismatch" });
        }
        self.heads.insert(e.part, (e.pseq, e.hash.clone()));
        self.last_seq = self.last_seq.max(e.seq);
        self.checked += 1;
        Ok(())
    }

    /// The largest global `seq` checked so far: where the next page starts.
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// Partition `part`'s last good `(pseq, hash)` (`(0, zeros)` if none yet).
    pub fn head(&self, part: i64) -> (i64, String) {
        self.heads.get(&part).cloned().unwrap_or_else(|| (0, genesis_hex()))
    }
}

const GENESIS_HEX: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(kind: &'static str, n: i64) -> NewEvent {
        NewEvent::new(
            Timestamp::from_millis(n),
            Some(UserId(1)),
            kind,
            "user:1",
            json!({"b": n, "a": [1, {"z": 1, "y": "两"}]}),
        )
    }

    #[test]
    fn canonical_sorts_keys_at_every_level() {
        assert_eq!(canonical_json(&json!({"b": 1, "a": {"d": 2, "c": "x"}})), r#"{"a":{"c":"x","d":2},"b":1}"#);
    }

    /// Links `parts` round-robin: event i goes to partition `parts[i % len]`.
    fn chain(n: i64, parts: &[i64]) -> Vec<ChainedEvent> {
        let mut v = Verifier::default();
        let mut out = Vec::new();
        for seq in 1..=n {
            let part = parts[usize::try_from(seq - 1).unwrap() % parts.len()];
            let (pseq, prev) = v.head(part);
            let e = link(seq, part, pseq + 1, &prev, &ev("user.registered", seq));
            v.check(&e).unwrap();
            out.push(e);
        }
        out
    }

    #[test]
    fn partition_zero_hashes_exactly_as_the_single_chain_did() {
        let c = canonical_event(0, 7, Timestamp::from_millis(5), Some(UserId(3)), "order.created", "order:Y1", "{}");
        assert_eq!(c, r#"{"actor":3,"at":5,"kind":"order.created","payload":{},"seq":7,"subject":"order:Y1"}"#);
        let c = canonical_event(9, 7, Timestamp::from_millis(5), None, "order.created", "order:Y1", "{}");
        assert_eq!(
            c,
            r#"{"actor":null,"at":5,"kind":"order.created","part":9,"payload":{},"seq":7,"subject":"order:Y1"}"#
        );
        // The same event in another partition is another hash.
        let e = ev("a", 1);
        assert_ne!(link(1, 0, 1, &genesis_hex(), &e).hash, link(1, 1, 1, &genesis_hex(), &e).hash);
    }

    #[test]
    fn chain_verifies_and_names_the_first_broken_event() {
        let mut chain = chain(5, &[0]);
        let mut v = Verifier::default();
        assert!(chain.iter().all(|e| v.check(e).is_ok()));

        chain[2].payload = r#"{"a":[1,{"y":"两","z":1}],"b":99}"#.to_owned();
        let mut v = Verifier::default();
        let err = chain.iter().find_map(|e| v.check(e).err()).unwrap();
        assert_eq!(err, Broken { seq: 3, reason: "hash_mismatch" });

        let mut gap = chain.clone();
        gap.remove(1);
        let mut v = Verifier::default();
        let err = gap.iter().find_map(|e| v.check(e).err()).unwrap();
        assert_eq!(err, Broken { seq: 3, reason: "missing" }, "the event after the gap");
    }

    #[test]
    fn partitions_verify_each_on_its_own() {
        let chain = chain(12, &[0, 5, 63]);
        let mut v = Verifier::default();
        assert!(chain.iter().all(|e| v.check(e).is_ok()));
        assert_eq!((v.head(5).0, v.head(1).0, v.last_seq()), (4, 0, 12));
        // One partition after another verifies as well as interleaved.
        let mut by_part = chain.clone();
        by_part.sort_by_key(|e| (e.part, e.pseq));
        let mut v = Verifier::default();
        assert!(by_part.iter().all(|e| v.check(e).is_ok()));

        // Moving an event to another partition, or renumbering it, is caught.
        for tamper in [|e: &mut ChainedEvent| e.part = 4, |e: &mut ChainedEvent| e.pseq += 1] {
            let mut bad = chain.clone();
            tamper(&mut bad[7]);
            let mut v = Verifier::default();
            let err = bad.iter().find_map(|e| v.check(e).err()).unwrap();
            assert_eq!(err.seq, 8);
        }
        // A link to another partition's event is caught even with a fresh hash.
        let mut bad = chain.clone();
        bad[4].prev_hash = bad[3].hash.clone();
        bad[4].hash = bad[4].expected_hash();
        let mut v = Verifier::default();
        assert_eq!(bad.iter().find_map(|e| v.check(e).err()), Some(Broken { seq: 5, reason: "prev_hash_mismatch" }));
        let mut v = Verifier::default();
        let mut outside = chain[0].clone();
        outside.part = PARTITIONS;
        assert!(v.check(&outside).is_err());
    }
}
