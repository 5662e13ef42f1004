//! 对接 between two real `youying serve` processes: site B offers its goods
//! through the open API, site A docks B and sells them under its own shop.
//! Every fault the issue names, on SQLite and on PostgreSQL, and both sites'
//! books audited afterwards.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_dock::Signer;
use youying_testkit::site::{self, Site};
use youying_testkit::{TestDb, TestUser};

const BIN: &str = env!("CARGO_BIN_EXE_youying");

/// The harness itself: a site survives SIGKILL with what it committed, on
/// the same address, and its database audits clean afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_survives_kill_9_on_the_same_address() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let mut b = Site::start(BIN, &db, dir.path());
    let buyer = b.buyer("kill9buyer").await;
    b.credit(&buyer, 5_000).await;
    let addr = b.addr.clone();
    b.restart();
    assert_eq!(b.addr, addr, "same port after a restart");
    let again = b.signed_in("kill9buyer").await;
    assert_eq!(b.balance(&again).await, 5_000);
    let (s, _) = b.get("/api/v1/wallet", Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::OK, "sessions are in the database");
    b.kill();
    site::audit(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docks_b_on_sqlite() {
    let (da, db) = (TestDb::sqlite(), TestDb::sqlite());
    two_sites(&da, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docks_b_on_postgres() {
    let Some(da) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    two_sites(&da, &db).await;
}

/// A signed open-API call, as a reseller's own program makes it.
async fn open_post(b: &Site, key: &Signer, path: &str, body: &Value) -> (StatusCode, Value) {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let bytes = serde_json::to_vec(body).unwrap();
    let signed = key.sign("POST", path, ts, &bytes);
    let mut req = reqwest::Client::new().post(b.url(path)).header("content-type", "application/json").body(bytes);
    for (k, v) in signed.headers() {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn stock(site: &Site, product: i64) -> i64 {
    let (s, p) = site.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p["stock"].as_i64().unwrap_or(-1)
}

async fn mapping_state(a: &Site, owner: &TestUser, shop: i64, uid: i64) -> (String, String) {
    let (_, m) = a.get(&format!("/api/v1/shops/{shop}/upstreams/{uid}/mappings"), Some(&owner.token)).await;
    let text = |k: &str| m[0][k].as_str().unwrap_or_default().to_owned();
    (text("state"), text("hidden_reason"))
}

/// The kinds of a shop's breaches, as its owner sees them.
async fn breaches(site: &Site, owner: &TestUser, shop: i64) -> Option<Vec<String>> {
    let (_, p) = site.get(&format!("/api/v1/shops/{shop}/penalties"), Some(&owner.token)).await;
    p["breaches"].as_array().map(|l| l.iter().map(|b| b["kind"].as_str().unwrap_or("").to_owned()).collect())
}

async fn buy(site: &Site, buyer: &TestUser, product: i64) -> (StatusCode, Value) {
    site.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": product, "quantity": 1 })).await
}

async fn two_sites(db_a: &TestDb, db_b: &TestDb) {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut b = Site::start(BIN, db_b, dir_b.path());
    let mut a = Site::start(BIN, db_a, dir_a.path());
    a.announce();
    // One machine: both sites may call 127.0.0.1; A re-reads B every second.
    for s in [&a, &b] {
        s.rules(json!({ "allow_private_addresses": 1, "upstream_sync_secs": 1 })).await;
    }

    // B: a supplier shop with keys; A's owner has an account on B with money and a key.
    let (bm, bshop) = b.merchant("bmerchant", "B货源店").await;
    let keys: String = (1..=6).map(|i| format!("BKEY-{i:04}\n")).collect();
    let bp = b.card_product(&bm, bshop, "B 点卡 10元", 1_000, &keys).await;
    let reseller = b.buyer("areseller").await;
    b.credit(&reseller, 10_000).await;
    let (s, k) = b.post("/api/v1/api-keys", Some(&reseller.token), json!({ "name": "A站对接" })).await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    let key = Signer::new(k["key_id"].as_str().unwrap(), k["secret"].as_str().unwrap());

    // A: a shop with goods of its own that docks B and maps B's key at +10 %, capped at ¥11.
    let (am, ashop) = a.merchant("amerchant", "A转售店").await;
    let own = a.card_product(&am, ashop, "A 自有点卡", 500, "AKEY-0001\nAKEY-0002\n").await;
    let connect = json!({ "base_url": b.url(""), "key_id": key.key_id(), "secret": k["secret"] });
    let (s, conn) = a.post(&format!("/api/v1/shops/{ashop}/upstreams"), Some(&am.token), connect).await;
    assert_eq!(s, StatusCode::CREATED, "{conn}");
    let uid = conn["id"].as_i64().unwrap();
    let map = json!({ "upstream_product_id": bp, "rule": { "kind": "percent", "value": 1000 }, "cap_fen": 1_100 });
    let (s, m) = a.post(&format!("/api/v1/shops/{ashop}/upstreams/{uid}/mappings"), Some(&am.token), map).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let ap = m["product_id"].as_i64().unwrap();

    // A buyer on A buys B's key: the key is in A's answer, B's stock falls,
    // both sides paid exactly, and A's snapshot says what A sold.
    let buyer = a.buyer("abuyer").await;
    a.credit(&buyer, 10_000).await;
    let (s, order) = buy(&a, &buyer, ap).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    assert!(order["units"][0]["code"].as_str().unwrap().starts_with("BKEY-"), "{order}");
    assert_eq!(a.balance(&buyer).await, 10_000 - 1_100);
    assert_eq!(b.balance(&reseller).await, 10_000 - 1_000);
    assert_eq!(stock(&b, bp).await, 5);
    let no = order["order"]["no"].as_str().unwrap().to_owned();
    let (_, o) = a.get(&format!("/api/v1/orders/{no}/snapshot"), Some(&buyer.token)).await;
    let snap = o.to_string();
    assert!(
        snap.contains("A转售店") && snap.contains("1100") && !snap.contains("B货源店"),
        "A's snapshot is A's listing: {o}"
    );

    // A reseller's retried downstream_order_no returns the same order; another body is refused.
    let body = json!({ "product_id": bp, "quantity": 1, "downstream_order_no": "R-1", "max_unit_price_fen": 1_000 });
    let (s1, first) = open_post(&b, &key, "/api/open/v1/orders", &body).await;
    let (s2, again) = open_post(&b, &key, "/api/open/v1/orders", &body).await;
    assert_eq!((s1.is_success(), s2.is_success()), (true, true), "{first} {again}");
    assert_eq!(first["order_no"], again["order_no"]);
    assert_eq!(first["units"], again["units"]);
    let other = json!({ "product_id": bp, "quantity": 2, "downstream_order_no": "R-1", "max_unit_price_fen": 1_000 });
    let (s, e) = open_post(&b, &key, "/api/open/v1/orders", &other).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_mismatch")), "{e}");
    assert_eq!(stock(&b, bp).await, 4);

    // A dies between B's answer and its own delivery: after the restart the
    // order is finished from B's record, exactly once.
    a.restart_with_failpoint(Some("sourcing.answered"));
    let died = a.try_post("/api/v1/orders", &buyer.token, json!({ "product_id": ap, "quantity": 1 })).await;
    assert!(died.is_err() || died.as_ref().is_ok_and(|(s, _)| !s.is_success()), "{died:?}");
    assert!(
        Site::eventually(10, || {
            let ex = a.exited();
            async move { ex }
        })
        .await,
        "the failpoint fired"
    );
    a.restart_with_failpoint(None);
    // The step's lease (30 s) runs out, then the loop asks B and delivers.
    let delivered = Site::eventually(75, || async {
        let (_, list) = a.get("/api/v1/orders", Some(&buyer.token)).await;
        list.as_array().is_some_and(|l| l.iter().filter(|o| o["state"] == "delivered").count() == 2)
    })
    .await;
    assert!(delivered, "the crashed order was finished after the restart: {}", a.log());
    assert_eq!(stock(&b, bp).await, 3, "one upstream order for it, not two");
    assert_eq!(b.balance(&reseller).await, 10_000 - 3 * 1_000);
    assert_eq!(a.balance(&buyer).await, 10_000 - 2 * 1_100);

    // B's price rises above A's cap: A hides the product and refuses its checkout, charging nothing.
    let (s, p) = b.patch(&format!("/api/v1/products/{bp}"), Some(&bm.token), json!({ "price_fen": 1_200 })).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let hidden = Site::eventually(15, || async { mapping_state(&a, &am, ashop, uid).await.1 == "above_cap" }).await;
    assert!(hidden, "{:?}", mapping_state(&a, &am, ashop, uid).await);
    let (s, e) = buy(&a, &buyer, ap).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("source_unavailable")), "{e}");
    assert_eq!(a.balance(&buyer).await, 10_000 - 2 * 1_100);
    let (s, _) = b.patch(&format!("/api/v1/products/{bp}"), Some(&bm.token), json!({ "price_fen": 1_000 })).await;
    assert_eq!(s, StatusCode::OK);
    assert!(Site::eventually(15, || async { mapping_state(&a, &am, ashop, uid).await.0 != "hidden" }).await);

    // A dead key: the buyer's case on A opens B's case by itself, screenshot and all.
    // B's merchant stays silent: at B's 12 h (two seconds here) B records its own
    // breach and refunds A's account there; the refund flows down and A's buyer
    // is refunded in full — A, whose upstream answered for it, has no breach.
    b.rules(json!({ "case_merchant_secs": 2, "case_resolve_secs": 120 })).await;
    let shot = json!({ "name": "死卡.png", "content_base64": youying_testkit::images::PNG_1X1_BASE64 });
    let body = json!({ "type": "key_invalid", "description": "卡密提示已被使用", "screenshots": [shot] });
    let (s, c) = a.post(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token), body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let case = format!("/api/v1/cases/{}", c["id"]);
    let refunded = Site::eventually(40, || async {
        a.get(&case, Some(&buyer.token)).await.1["case"]["state"] == "resolved_refunded"
    })
    .await;
    assert!(refunded, "{} {}", a.get(&case, Some(&am.token)).await.1, a.log());
    let (_, c) = a.get(&case, Some(&am.token)).await;
    assert_eq!(c["case"]["outcome"], "source_refunded", "{c}");
    assert_eq!(a.balance(&buyer).await, 10_000 - 1_100);
    assert_eq!(b.balance(&reseller).await, 10_000 - 2 * 1_000, "B refunded A's account");
    assert_eq!(breaches(&b, &bm, bshop).await, Some(vec!["case_silence".to_owned()]), "B's breach, on B");
    assert_eq!(breaches(&a, &am, ashop).await, Some(vec![]), "none on A");

    // B stops: within a sync interval A hides what it cannot source; its own goods still sell.
    b.kill();
    let gone = Site::eventually(15, || async { mapping_state(&a, &am, ashop, uid).await.1 == "unreachable" }).await;
    assert!(gone, "{:?}", mapping_state(&a, &am, ashop, uid).await);
    let (s, e) = buy(&a, &buyer, ap).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (s, o) = buy(&a, &buyer, own).await;
    assert_eq!(s, StatusCode::CREATED, "the rest of A's shop still sells: {o}");
    assert_eq!(a.balance(&buyer).await, 10_000 - 1_100 - 500);

    a.kill();
    site::audit(db_a).await;
    site::audit(db_b).await;
}
