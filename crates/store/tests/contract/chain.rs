//! The evidence chain in partitions: appends spread over the heads, anchors
//! cover every partition, a held head never makes a writer wait, and an old
//! single-chain database migrates with its bundles still valid.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;
use youying_core::anchor::{self, Anchor};
use youying_core::bundle::{self, Bundle, OrderFacts, Proof, ProvenEvent};
use youying_core::evidence::{NewEvent, PARTITIONS, chain_hash, genesis_hex};
use youying_core::ports::Store;
use youying_core::values::Role;
use youying_store::store_test;
use youying_store::testing::TestDb;

use super::{T0, user, verify_chain};

/// Every anchor continues every partition, matches its hash and its root, and
/// together they cover every committed event; returns how many anchors.
async fn verify_anchors<S: Store>(store: &S) -> usize {
    store
        .read(|tx| {
            let mut ends: HashMap<i64, i64> = HashMap::new();
            let mut prev_hash = genesis_hex();
            let all = tx.anchors_from(1)?;
            for a in &all {
                assert_eq!((a.expected_hash(), &a.prev_hash), (a.hash.clone(), &prev_hash), "anchor #{}", a.id);
                let mut hashes = Vec::new();
                for (part, from, to) in a.spans() {
                    assert_eq!(from, ends.get(&part).copied().unwrap_or(0) + 1, "anchor #{} part {part}", a.id);
                    let hs = tx.event_hashes(part, from, to)?;
                    assert_eq!(i64::try_from(hs.len()).unwrap(), to - from + 1);
                    hashes.extend(hs.into_iter().map(|(_, h)| h));
                    ends.insert(part, to);
                }
                assert_eq!(anchor::merkle_root(&hashes)?, a.root, "anchor #{} root", a.id);
                prev_hash.clone_from(&a.hash);
            }
            Ok(all.len())
        })
        .await
        .unwrap()
}

async fn anchor_now<S: Store>(store: &S) -> Option<Anchor> {
    store.write(|tx| anchor::anchor_now(tx, T0)).await.unwrap()
}

/// The proof a bundle carries for event `(part, pseq)`, checked against its anchor.
async fn proves<S: Store>(store: &S, part: i64, pseq: i64) -> bool {
    store
        .read(move |tx| {
            let a = tx.anchor_covering(part, pseq)?.expect("anchored");
            let mut hashes = Vec::new();
            for (p, from, to) in a.spans() {
                hashes.extend(tx.event_hashes(p, from, to)?.into_iter().map(|(_, h)| h));
            }
            let index = usize::try_from(a.leaf_index(part, pseq).unwrap()).unwrap();
            let own = tx.event_hashes(part, pseq, pseq)?.remove(0).1;
            Ok(anchor::path_leads_to(&own, &anchor::merkle_path(&hashes, index)?, &a.root))
        })
        .await
        .unwrap()
}

store_test!(appends_spread_over_partitions_and_anchors_cover_them_all, |store, _db| {
    for i in 0..40 {
        user(&store, &format!("part{i}"), Role::Buyer).await;
    }
    // One transaction's events go to one partition, consecutively.
    store
        .write(|tx| {
            for i in 0..3 {
                tx.append(NewEvent::new(T0, None, "test", format!("batch:{i}"), json!({ "i": i })))?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let first = anchor_now(&store).await.expect("an anchor");
    assert!(first.ranges.len() >= 10, "spread over {} partitions", first.ranges.len());
    for i in 40..60 {
        user(&store, &format!("part{i}"), Role::Buyer).await;
    }
    let second = anchor_now(&store).await.expect("a second anchor");
    assert_eq!(second.prev_hash, first.hash);
    assert_eq!(verify_chain(&store).await, 40 + 3 + 1 + 20 + 1, "users, the batch, two chain.anchored");
    assert_eq!(verify_anchors(&store).await, 2);

    let events = store.read(|tx| tx.events_after(0, 1_000)).await.unwrap();
    let batch: Vec<_> = events.iter().filter(|e| e.subject.starts_with("batch:")).collect();
    assert!(batch.windows(2).all(|w| w[0].part == w[1].part && w[0].pseq + 1 == w[1].pseq), "{batch:?}");
    let parts: BTreeSet<i64> = events.iter().map(|e| e.part).collect();
    assert!(parts.len() >= 20 && parts.iter().all(|p| (0..PARTITIONS).contains(p)), "{parts:?}");
    for e in events.iter().filter(|e| e.kind == "user.registered" && e.part != 0).take(5) {
        assert!(proves(&store, e.part, e.pseq).await, "event {} of partition {}", e.pseq, e.part);
    }
});

store_test!(an_append_takes_a_free_head_while_the_others_are_held, |store, db| {
    let Some(url) = db.sqlite_path().is_none().then(|| db.url()) else {
        // SQLite has one writer: nothing else can hold a head.
        user(&store, "solo", Role::Buyer).await;
        return;
    };
    // A second connection holds every head but 17, open, until told to stop.
    let (locked_tx, locked) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let mut t = c.transaction().unwrap();
        let held = t.query("SELECT part FROM chain_heads WHERE part <> 17 FOR UPDATE", &[]).unwrap().len();
        locked_tx.send(held).unwrap();
        released.recv().unwrap();
        t.rollback().unwrap();
    });
    let held = tokio::task::spawn_blocking(move || locked.recv().unwrap()).await.unwrap();
    assert_eq!(held, usize::try_from(PARTITIONS - 1).unwrap());
    // Would wait forever on a held head; commits into the free one.
    let u = user(&store, "free", Role::Buyer).await;
    release.send(()).unwrap();
    tokio::task::spawn_blocking(move || holder.join().unwrap()).await.unwrap();
    let subject = format!("user:{}", u.id.0);
    let mine = store.read(move |tx| tx.events_of_subject(&subject)).await.unwrap();
    assert_eq!(mine.iter().map(|e| e.part).collect::<Vec<_>>(), [17]);
    verify_chain(&store).await;
});

/// The hash the single chain gave event `seq`, written out by hand.
fn old_hash(prev: &str, seq: i64, subject: &str) -> String {
    let canonical = format!(
        r#"{{"actor":null,"at":{},"kind":"test","payload":{{"n":{seq}}},"seq":{seq},"subject":"{subject}"}}"#,
        T0.millis() + seq
    );
    chain_hash(prev, &canonical)
}

/// Five events and an anchor over the first three, inserted as the code
/// before partitions did, into a database migrated up to then.
fn write_old_chain(db: &TestDb) -> Vec<(i64, String, String)> {
    db.migrate_before(31);
    let mut rows = Vec::new();
    let mut prev = genesis_hex();
    let mut sql = String::from("BEGIN;");
    for seq in 1..=5 {
        let subject = if seq == 2 { "order:Y1".to_owned() } else { format!("user:{seq}") };
        let hash = old_hash(&prev, seq, &subject);
        sql.push_str(&format!(
            "INSERT INTO events (seq, at, actor, kind, subject, payload, prev_hash, hash) VALUES ({seq}, {}, NULL, 'test', '{subject}', '{{\"n\":{seq}}}', '{prev}', '{hash}');",
            T0.millis() + seq
        ));
        rows.push((seq, subject, hash.clone()));
        prev = hash;
    }
    sql.push_str(&format!("UPDATE chain_head SET seq = 5, hash = '{prev}' WHERE id = 1;"));
    let hashes: Vec<String> = rows[..3].iter().map(|r| r.2.clone()).collect();
    let mut a = Anchor {
        id: 1,
        from_seq: 1,
        to_seq: 3,
        root: anchor::merkle_root(&hashes).unwrap(),
        prev_hash: genesis_hex(),
        hash: String::new(),
        at: T0,
        ranges: Vec::new(),
    };
    a.hash = a.expected_hash();
    sql.push_str(&format!(
        "INSERT INTO anchors (id, from_seq, to_seq, root, prev_hash, hash, at) VALUES (1, 1, 3, '{}', '{}', '{}', {}); COMMIT;",
        a.root,
        a.prev_hash,
        a.hash,
        T0.millis()
    ));
    match db.sqlite_path() {
        Some(p) => rusqlite::Connection::open(p).unwrap().execute_batch(&sql).unwrap(),
        None => {
            let url = db.url();
            std::thread::spawn(move || {
                postgres::Client::connect(&url, postgres::NoTls).unwrap().batch_execute(&sql).unwrap()
            })
            .join()
            .unwrap();
        }
    }
    rows
}

/// Event 2's bundle as the code before partitions exported it (format 1, no
/// `part` or `pseq`, proved against anchor #1).
fn old_bundle(rows: &[(i64, String, String)], anchor: Anchor) -> Bundle {
    let hashes: Vec<String> = rows[..3].iter().map(|r| r.2.clone()).collect();
    let event = ProvenEvent {
        seq: 2,
        part: 0,
        pseq: None,
        at: T0.millis() + 2,
        actor: None,
        kind: "test".into(),
        subject: rows[1].1.clone(),
        payload: r#"{"n":2}"#.into(),
        prev_hash: rows[0].2.clone(),
        hash: rows[1].2.clone(),
        proof: Some(Proof { anchor_id: 1, index: 1, path: anchor::merkle_path(&hashes, 1).unwrap() }),
    };
    let snapshot = "{}".to_owned();
    let order = OrderFacts {
        no: "Y1".into(),
        shop_id: 1,
        shop_name: String::new(),
        buyer: String::new(),
        title: String::new(),
        kind: "card_key".into(),
        quantity: 1,
        total_fen: 1,
        state: "paid".into(),
        created_at: 0,
        protect_until: None,
        promise_due: None,
        closed_at: None,
    };
    let mut json = serde_json::to_value(Bundle {
        format: bundle::FORMAT_V1.into(),
        generated_at: 0,
        order,
        snapshot,
        events: vec![event],
        anchors: vec![anchor],
    })
    .unwrap();
    json["events"][0].as_object_mut().unwrap().remove("part");
    serde_json::from_value(json).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_sqlite_database_migrates_and_its_bundles_verify() {
    let db = TestDb::sqlite();
    let rows = write_old_chain(&db);
    let store = db.open_sqlite().unwrap();
    old_database_verifies(&store, &rows).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_postgres_database_migrates_and_its_bundles_verify() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    // Its blocking work runs on threads of its own.
    let rows = write_old_chain(&db);
    let store = db.open_postgres(4).await.unwrap();
    old_database_verifies(&store, &rows).await;
}

async fn old_database_verifies<S: Store>(store: &S, rows: &[(i64, String, String)]) {
    let heads = store.read(|tx| tx.chain_heads()).await.unwrap();
    assert_eq!((heads.len(), heads[0].pseq, heads[0].hash.as_str()), (64, 5, rows[4].2.as_str()));
    assert_eq!(verify_chain(store).await, 5);
    let old = store.read(|tx| tx.last_anchor()).await.unwrap().unwrap();
    let bundle = old_bundle(rows, old.clone());
    let r = bundle::verify(&bundle, Some(&old.hash));
    assert_eq!((r.checks.chain, r.checks.anchors, r.checks.published, r.anchored), (true, true, Some(true), 1));

    // The chain goes on in partitions; the next anchor continues partition 0 at 4.
    for i in 0..8 {
        user(store, &format!("new{i}"), Role::Buyer).await;
    }
    let next = anchor_now(store).await.expect("an anchor");
    assert_eq!(next.prev_hash, old.hash);
    assert!(next.ranges.iter().any(|r| r.part == 0 && r.from_pseq == 4), "{:?}", next.ranges);
    assert_eq!(verify_anchors(store).await, 2);
    assert_eq!(verify_chain(store).await, 5 + 8 + 1);
    assert!(proves(store, 0, 2).await && proves(store, 0, 5).await);
    // The old bundle still matches the platform's anchors from #1 on.
    let platform = store.read(|tx| tx.anchors_from(1)).await.unwrap();
    let r = bundle::verify_against(&bundle, &platform);
    assert!(r.checks.chain && r.checks.anchors && r.checks.published == Some(true), "{:?}", r.problems);
}
