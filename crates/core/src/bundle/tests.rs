use serde_json::json;

use super::*;
use crate::anchor::Range;
use crate::evidence::{Verifier, genesis_hex, link};

fn facts() -> OrderFacts {
    OrderFacts {
        no: "Y1".into(),
        shop_id: 1,
        shop_name: "店".into(),
        buyer: "b".into(),
        title: "月卡".into(),
        kind: "card_key".into(),
        quantity: 1,
        total_fen: 1234,
        state: "delivered".into(),
        created_at: 1000,
        protect_until: None,
        promise_due: None,
        closed_at: None,
    }
}

fn proven(e: ChainedEvent) -> ProvenEvent {
    let ChainedEvent { seq, part, pseq, at, actor, kind, subject, payload, prev_hash, hash } = e;
    let actor = actor.map(|a| a.0);
    ProvenEvent {
        seq,
        part,
        pseq: Some(pseq),
        at: at.millis(),
        actor,
        kind,
        subject,
        payload,
        prev_hash,
        hash,
        proof: None,
    }
}

/// The order's events, linked into the partitions `parts` names (one per
/// event), with one foreign event in partition 0 between them.
fn chain(parts: [i64; 3]) -> (String, Vec<ChainedEvent>) {
    let snapshot = r#"{"title":"月卡"}"#.to_owned();
    let sha = hex::encode(Sha256::digest(snapshot.as_bytes()));
    let mut v = Verifier::default();
    let mut events = Vec::new();
    let others = NewEvent::new(Timestamp::from_millis(500), None, "user.registered", "user:9", json!({}));
    for (i, (kind, payload)) in [
        ("user.registered", json!({})),
        ("order.created", json!({ "snapshot_sha256": sha, "total_fen": 1234 })),
        ("chat.message", json!({ "side": "buyer", "kind": "text", "body": "卡密无效" })),
        ("case.opened", json!({ "type": "key_invalid" })),
    ]
    .into_iter()
    .enumerate()
    {
        let (part, subject) = if i == 0 { (0, "user:9") } else { (parts[i - 1], "order:Y1") };
        let seq = i64::try_from(i).unwrap() + 1;
        let ev = if i == 0 {
            others.clone()
        } else {
            // A literal, not `NewEvent::new`: the kinds test reads call sites.
            NewEvent { at: Timestamp::from_millis(seq * 1000), actor: None, kind, subject: subject.into(), payload }
        };
        let (pseq, prev) = v.head(part);
        let e = link(seq, part, pseq + 1, &prev, &ev);
        v.check(&e).unwrap();
        events.push(e);
    }
    (snapshot, events)
}

fn bundle_of(snapshot: String, events: Vec<ChainedEvent>, anchors: Vec<Anchor>) -> Bundle {
    let mut order = Vec::new();
    for e in events.into_iter().filter(|e| e.subject == "order:Y1") {
        order.push(proven(e));
    }
    Bundle { format: FORMAT.into(), generated_at: 5000, order: facts(), snapshot, events: order, anchors }
}

fn bundle() -> Bundle {
    let (snapshot, events) = chain([0, 0, 0]);
    bundle_of(snapshot, events, Vec::new())
}

/// One anchor over `events` as [`anchor::anchor_now`] builds it, and the
/// order's events proved against it.
fn anchored(parts: [i64; 3]) -> Bundle {
    let (snapshot, events) = chain(parts);
    let mut sorted = events.clone();
    sorted.sort_by_key(|e| (e.part, e.pseq));
    let mut ranges: Vec<Range> = Vec::new();
    for e in &sorted {
        match ranges.last_mut() {
            Some(r) if r.part == e.part => (r.to_pseq, r.head) = (e.pseq, e.hash.clone()),
            _ => ranges.push(Range { part: e.part, from_pseq: e.pseq, to_pseq: e.pseq, head: e.hash.clone() }),
        }
    }
    let hashes: Vec<String> = sorted.iter().map(|e| e.hash.clone()).collect();
    let mut a = Anchor {
        id: 1,
        from_seq: 1,
        to_seq: 4,
        root: anchor::merkle_root(&hashes).unwrap(),
        prev_hash: genesis_hex(),
        hash: String::new(),
        at: Timestamp::from_millis(4000),
        ranges,
    };
    a.hash = a.expected_hash();
    let mut b = bundle_of(snapshot, events, vec![a.clone()]);
    for e in &mut b.events {
        let (part, pseq) = e.place();
        let index = a.leaf_index(part, pseq).unwrap();
        let path = anchor::merkle_path(&hashes, usize::try_from(index).unwrap()).unwrap();
        e.proof = Some(Proof { anchor_id: 1, index, path });
    }
    b
}

#[test]
fn a_good_bundle_passes_every_check() {
    let r = verify(&bundle(), None);
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!((r.checks, r.broken), (Checks::default(), None));
}

#[test]
fn an_altered_event_is_named() {
    let mut b = bundle();
    b.events[1].payload = b.events[1].payload.replace("卡密无效", "卡密有效");
    let r = verify(&b, None);
    assert_eq!((r.checks.chain, r.checks.file, r.broken), (false, true, Some(3)));

    // Recomputing its hash breaks the link to the next event instead.
    b.events[1].hash = b.events[1].expected_hash();
    let r = verify(&b, None);
    assert_eq!((r.checks.chain, r.broken), (false, Some(3)));
}

#[test]
fn another_snapshot_fails_the_file_check() {
    let mut b = bundle();
    b.snapshot = r#"{"title":"年卡"}"#.into();
    let r = verify(&b, None);
    assert_eq!((r.checks.file, r.checks.chain, r.broken), (false, true, None));
}

#[test]
fn events_of_several_partitions_prove_their_place_in_one_anchor() {
    let b = anchored([3, 0, 3]);
    let r = verify(&b, Some(&b.anchors[0].hash));
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!((r.anchored, r.checks.published), (3, Some(true)));

    // An event of partition 3 altered, even with its hash recomputed, is named.
    let mut bad = b.clone();
    bad.events[2].payload = bad.events[2].payload.replace("key_invalid", "wrong_item");
    assert_eq!(verify(&bad, None).broken, Some(4));
    bad.events[2].hash = bad.events[2].expected_hash();
    let r = verify(&bad, None);
    assert_eq!((r.checks.chain, r.checks.anchors, r.broken), (true, false, Some(4)));

    // Claiming another partition breaks the event's own hash.
    let mut moved = b.clone();
    moved.events[0].part = 4;
    assert_eq!(verify(&moved, None).broken, Some(2));
}

#[test]
fn a_bundle_of_the_single_chain_still_verifies() {
    // As exported before partitions: format 1, no `part` or `pseq`, an old anchor.
    let (snapshot, events) = chain([0, 0, 0]);
    let hashes: Vec<String> = events.iter().map(|e| e.hash.clone()).collect();
    let mut a = Anchor {
        id: 1,
        from_seq: 1,
        to_seq: 4,
        root: anchor::merkle_root(&hashes).unwrap(),
        prev_hash: genesis_hex(),
        hash: String::new(),
        at: Timestamp::from_millis(4000),
        ranges: Vec::new(),
    };
    a.hash = a.expected_hash();
    let mut b = bundle_of(snapshot, events, vec![a]);
    b.format = FORMAT_V1.into();
    for e in &mut b.events {
        let index = e.seq - 1;
        let path = anchor::merkle_path(&hashes, usize::try_from(index).unwrap()).unwrap();
        e.proof = Some(Proof { anchor_id: 1, index, path });
    }
    let mut json = serde_json::to_value(&b).unwrap();
    for e in json["events"].as_array_mut().unwrap() {
        let e = e.as_object_mut().unwrap();
        e.remove("part");
        e.remove("pseq");
    }
    assert!(json["anchors"][0].get("ranges").is_none());
    let old: Bundle = serde_json::from_value(json).unwrap();
    let r = verify(&old, None);
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.anchored, 3);
}

#[test]
fn anchors_must_continue_each_partition() {
    let b = anchored([3, 0, 3]);
    let first = b.anchors[0].clone();
    let mut next = Anchor {
        id: 2,
        prev_hash: first.hash.clone(),
        ranges: vec![Range { part: 3, from_pseq: 3, to_pseq: 3, head: genesis_hex() }],
        ..first.clone()
    };
    next.hash = next.expected_hash();
    let mut good = b.clone();
    good.anchors.push(next.clone());
    assert!(verify(&good, Some(&next.hash)).ok());

    // Skipping pseq 3 of partition 3, or repeating it, leaves a gap or an overlap.
    for from in [4, 2] {
        let mut bad = b.clone();
        let mut a = next.clone();
        a.ranges[0].from_pseq = from;
        a.ranges[0].to_pseq = from;
        a.hash = a.expected_hash();
        bad.anchors.push(a);
        let r = verify(&bad, None);
        assert!(!r.checks.anchors, "from {from}");
    }
}
