//! The tamper-evident evidence log: an append-only chain of events where each
//! event's hash covers the previous hash and the event's canonical form.
//!
//! `hash = SHA-256(prev_hash ‖ canonical_event)`, with a genesis `prev_hash` of
//! 32 zero bytes. The canonical form is JSON with keys sorted and no whitespace,
//! so anyone can recompute a hash offline with a few lines of any language.

pub mod kinds;
pub mod words;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;
use crate::values::UserId;

pub const GENESIS: [u8; 32] = [0; 32];

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
    pub seq: i64,
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

/// The bytes an event's hash covers besides the previous hash.
pub fn canonical_event(
    seq: i64,
    at: Timestamp,
    actor: Option<UserId>,
    kind: &str,
    subject: &str,
    payload_canonical: &str,
) -> String {
    let actor = actor.map_or_else(|| "null".to_owned(), |a| a.0.to_string());
    format!(
        "{{\"actor\":{actor},\"at\":{},\"kind\":{},\"payload\":{payload_canonical},\"seq\":{seq},\"subject\":{}}}",
        at.millis(),
        Value::String(kind.to_owned()),
        Value::String(subject.to_owned()),
    )
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

/// Links `event` after `prev_hash`, producing what the store persists.
pub fn link(seq: i64, prev_hash: &str, event: &NewEvent) -> ChainedEvent {
    let payload = canonical_json(&event.payload);
    let canonical = canonical_event(seq, event.at, event.actor, event.kind, &event.subject, &payload);
    ChainedEvent {
        seq,
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
    pub seq: i64,
    pub reason: &'static str,
}

/// Walks the chain in sequence order. `state` carries the last good (seq, hash)
/// between pages so a large log can be verified without loading it whole.
#[derive(Debug, Clone)]
pub struct Verifier {
    last_seq: i64,
    last_hash: String,
    pub checked: u64,
}

impl Default for Verifier {
    fn default() -> Self {
        Self { last_seq: 0, last_hash: genesis_hex(), checked: 0 }
    }
}

impl Verifier {
    pub fn check(&mut self, e: &ChainedEvent) -> Result<(), Broken> {
        if e.seq != self.last_seq + 1 {
            return Err(Broken { seq: self.last_seq + 1, reason: "missing" });
        }
        if e.prev_hash != self.last_hash {
            return Err(Broken { seq: e.seq, reason: "prev_hash_mismatch" });
        }
        let canonical = canonical_event(e.seq, e.at, e.actor, &e.kind, &e.subject, &e.payload);
        if chain_hash(&e.prev_hash, &canonical) != e.hash {
            return Err(Broken { seq: e.seq, reason: "hash_mismatch" });
        }
        self.last_seq = e.seq;
        self.last_hash.clone_from(&e.hash);
        self.checked += 1;
        Ok(())
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }
}

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

    #[test]
    fn chain_verifies_and_names_the_first_broken_event() {
        let mut prev = genesis_hex();
        let mut chain = Vec::new();
        for seq in 1..=5 {
            let e = link(seq, &prev, &ev("user.registered", seq));
            prev.clone_from(&e.hash);
            chain.push(e);
        }
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
        assert_eq!(err.seq, 2);
    }
}
