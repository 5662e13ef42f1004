//! Evidence bundles on both backends: exported by the buyer (and arbitration,
//! nobody else), proven against the hourly anchor, verified offline by the
//! CLI, and refused — naming the event — once one byte of one event changes.
use std::io::{Cursor, Read, Write};

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::anchor;
use youying_core::bundle::{self, Bundle};
use youying_core::ports::Store;
use youying_server::evidence::from_zip;
use youying_testkit::{TestApp, TestUser, http_test};

const BIN: &str = env!("CARGO_BIN_EXE_youying");

/// A paid card-key order with a short conversation about it.
async fn bought<S: Store>(app: &TestApp<S>) -> (TestUser, TestUser, String) {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let product = app.product(&owner, shop, json!({ "promises": ["instant"] })).await;
    app.import(&owner, product, "AAAA-0001\nBBBB-0002\n", false).await;
    let buyer = app.buyer("xiaoming").await;
    app.credit(&buyer, 50_000).await;
    let (s, body) = app.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": product })).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let no = body["order"]["no"].as_str().unwrap().to_owned();
    let (_, c) =
        app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop, "order_no": no })).await;
    let conv = c["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/conversations/{conv}/messages"),
        Some(&buyer.token),
        json!({ "text": "卡密显示已使用" }),
    )
    .await;
    (owner, buyer, no)
}

async fn export<S: Store>(app: &TestApp<S>, who: &TestUser, no: &str) -> (StatusCode, Vec<u8>) {
    let r = app.client.get(app.url(&format!("/api/v1/orders/{no}/evidence.zip"))).bearer_auth(&who.token).send().await;
    let r = r.unwrap();
    let status = r.status();
    if status == StatusCode::OK {
        assert_eq!(r.headers()["content-type"], "application/zip");
    }
    (status, r.bytes().await.unwrap().to_vec())
}

fn entry(zip_bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The same zip with `evidence.json` replaced.
fn with_json(json: &str) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("evidence.json", zip::write::SimpleFileOptions::default()).unwrap();
    z.write_all(json.as_bytes()).unwrap();
    z.finish().unwrap().into_inner()
}

fn cli_verify(zip_bytes: &[u8], head: Option<&str>) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evidence.zip");
    std::fs::write(&path, zip_bytes).unwrap();
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(["evidence", "verify"]).arg(&path);
    if let Some(h) = head {
        cmd.args(["--head", h]);
    }
    let out = cmd.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

http_test!(a_bundle_proves_the_order_against_the_published_head, |app| {
    let (owner, buyer, no) = bought(&app).await;
    // Before any anchor: every event is checked by its own hash, none anchored yet.
    let (s, early) = export(&app, &buyer, &no).await;
    assert_eq!(s, StatusCode::OK);
    let b = from_zip(&early).unwrap();
    let r = bundle::verify(&b, None);
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.anchored, 0);
    let kinds: Vec<&str> = b.events.iter().map(|e| e.kind.as_str()).collect();
    for k in ["order.created", "order.delivered", "chat.message"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert!(!entry(&early, "evidence.json").contains("AAAA-0001"), "never a key's plaintext");

    // The hourly anchor, then the published head.
    let now = app.app.now();
    app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap().expect("an anchor");
    let (_, head) = app.get("/api/v1/public/chain-head", None).await;
    let head = head["anchor"]["hash"].as_str().unwrap().to_owned();
    let (_, zipped) = export(&app, &buyer, &no).await;
    let b = from_zip(&zipped).unwrap();
    let r = bundle::verify(&b, Some(&head));
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.anchored, r.events, "every event in it is anchored: {r:?}");
    let html = entry(&zipped, "evidence.html");
    for text in ["订单证据材料", "星辰点卡", &no, "卡密显示已使用", &head] {
        assert!(html.contains(text), "evidence.html shows {text}");
    }
    let (ok, out) = cli_verify(&zipped, Some(&head));
    assert!(ok, "{out}");
    assert!(out.contains("evidence bundle OK"), "{out}");

    // One byte of one event changed: the CLI names that event.
    let json = entry(&zipped, "evidence.json");
    let mut v: Bundle = serde_json::from_str(&json).unwrap();
    let created = v.events.iter().position(|e| e.kind == "order.created").unwrap();
    let seq = v.events[created].seq;
    let altered = v.events[created].payload.replacen("\"quantity\":1", "\"quantity\":2", 1);
    assert_ne!(altered, v.events[created].payload);
    v.events[created].payload = altered;
    let (ok, out) = cli_verify(&with_json(&serde_json::to_string(&v).unwrap()), None);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("event #{seq} (order.created)")), "{out}");

    // An altered anchor, a head the bundle does not reach, and junk.
    let mut v: Bundle = serde_json::from_str(&json).unwrap();
    v.anchors[0].to_seq += 1;
    assert!(bundle::verify(&v, None).problems.iter().any(|p| p.contains("anchor #1")));
    let v: Bundle = serde_json::from_str(&json).unwrap();
    assert!(!bundle::verify(&v, Some(&"0".repeat(64))).ok());
    let (ok, out) = cli_verify(b"not a zip", None);
    assert!(!ok, "{out}");

    // Someone else's order, or the shop: 404. Arbitration may export.
    let stranger = app.buyer("stranger").await;
    assert_eq!(export(&app, &stranger, &no).await.0, StatusCode::NOT_FOUND);
    assert_eq!(export(&app, &owner, &no).await.0, StatusCode::NOT_FOUND);
    let agent = app.staff("kefu", "agent").await;
    assert_eq!(export(&app, &agent, &no).await.0, StatusCode::OK);
    let exports = app.events_about(&format!("order:{no}")).await;
    assert_eq!(exports.iter().filter(|k| *k == "evidence.exported").count(), 3, "every export is recorded");
});

http_test!(anchors_chain_hour_after_hour, |app| {
    let (_, buyer, no) = bought(&app).await;
    let now = app.app.now();
    let first = app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap().unwrap();
    app.post(&format!("/api/v1/orders/{no}/confirm"), Some(&buyer.token), json!({})).await;
    app.clock.advance_secs(3_600);
    let now = app.app.now();
    let second = app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap().unwrap();
    assert_eq!((second.id, second.prev_hash.as_str(), second.from_seq), (2, first.hash.as_str(), first.to_seq + 1));
    let none = app.app.store.write(move |tx| anchor::anchor_now(tx, now)).await.unwrap();
    assert!(none.is_some_and(|a| a.from_seq == a.to_seq), "only the anchoring event itself since");
    let (_, zipped) = export(&app, &buyer, &no).await;
    let b = from_zip(&zipped).unwrap();
    let r = bundle::verify(&b, None);
    assert!(r.ok(), "{:?}", r.problems);
    assert!(b.anchors.len() >= 2, "from the anchor of the oldest event to the newest");
    let order_json: Value = serde_json::from_str(&entry(&zipped, "evidence.json")).unwrap();
    assert_eq!(order_json["order"]["state"], "completed");
});
