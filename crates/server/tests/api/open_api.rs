//! The open API (`/api/open/v1`): API keys, signed requests, orders through
//! the ordinary checkout with per-key idempotency and a price ceiling, cases
//! on the caller's behalf, and signed callbacks through the durable outbox.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use youying_core::Clock as _;
use youying_core::ports::Store;
use youying_dock::Signer;
use youying_testkit::market::card_shop;
use youying_testkit::open::{Receiver, TestKey};
use youying_testkit::{TestApp, TestUser, http_test};

const KEYS: &str = "KEY-A1\nKEY-A2\nKEY-A3\nKEY-A4\nKEY-A5\n";

fn order(product: i64, no: &str, max: i64) -> Value {
    json!({ "product_id": product, "quantity": 1, "downstream_order_no": no, "max_unit_price_fen": max })
}

/// A card shop at ¥9.50 with five keys, and a funded reseller with a key.
async fn setup<S: Store>(app: &TestApp<S>) -> (i64, TestUser, TestKey) {
    let shop = card_shop(app, "up", 950, KEYS).await;
    let reseller = app.buyer("reseller").await;
    app.credit(&reseller, 10_000).await;
    let key = app.api_key(&reseller, "下游站").await;
    (shop.product, reseller, key)
}

async fn stock<S: Store>(app: &TestApp<S>, key: &TestKey, product: i64) -> i64 {
    let (s, p) = app.open_get(key, &format!("/api/open/v1/products/{product}")).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    p["stock"]["count"].as_i64().unwrap()
}

http_test!(keys_are_created_listed_and_revoked_by_their_owner_only, |app| {
    let owner = app.buyer("keyowner").await;
    let other = app.buyer("stranger").await;
    let (s, created) = app.post("/api/v1/api-keys", Some(&owner.token), json!({ "name": "我的站" })).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let key_id = created["key_id"].as_str().unwrap();
    assert!(key_id.starts_with("yk_") && key_id.len() == 27, "{key_id}");
    assert!(created["secret"].as_str().unwrap().len() >= 40);
    let (_, list) = app.get("/api/v1/api-keys", Some(&owner.token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("secret").is_none(), "a list never shows a secret");
    let id = created["id"].as_i64().unwrap();
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/api-keys/{id}"), Some(&other.token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "someone else's key");
    let (s, k) = app.call(Method::DELETE, &format!("/api/v1/api-keys/{id}"), Some(&owner.token), None).await;
    assert_eq!((s, k["active"].as_bool()), (StatusCode::OK, Some(false)));
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/api-keys/{id}"), Some(&owner.token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "revoking twice");
    for i in 0..10 {
        app.api_key(&owner, &format!("k{i}")).await;
    }
    let (s, e) = app.post("/api/v1/api-keys", Some(&owner.token), json!({ "name": "第十一" })).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("at_most_10_active")));
    let events = app.events_about(&format!("user:{}", owner.id)).await;
    assert!(events.contains(&"api_key.created".to_owned()) && events.contains(&"api_key.revoked".to_owned()));
});

http_test!(ping_and_products_at_the_callers_price, |app| {
    let (product, reseller, key) = setup(&app).await;
    let (s, p) = app.open_get(&key, "/api/open/v1/ping").await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!((p["account"]["id"].as_i64(), p["balance_fen"].as_i64()), (Some(reseller.id), Some(10_000)));
    assert_eq!(p["level"]["name"], "普通会员");
    assert_eq!(p["server_time"].as_i64(), Some(app.clock.now().secs()));
    let (s, list) = app.open_get(&key, "/api/open/v1/products").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let item = list["products"].as_array().unwrap().iter().find(|x| x["id"] == product).cloned().unwrap();
    assert_eq!((item["unit_price_fen"].as_i64(), item["stock"]["count"].as_i64()), (Some(950), Some(5)));
    assert_eq!((item["kind"].as_str(), item["on_sale"].as_bool()), (Some("card_key"), Some(true)));
    assert_eq!(item["shop"]["grade"], "new");
    assert!(item["protect_secs"].as_i64().unwrap() > 0);
    let later = item["updated_at"].as_i64().unwrap();
    let (_, none) = app.open_get(&key, &format!("/api/open/v1/products?updated_since={later}")).await;
    assert!(none["products"].as_array().unwrap().is_empty(), "nothing changed since");
    let (s, _) = app.open_get(&key, "/api/open/v1/products/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

http_test!(an_order_delivers_keys_and_a_retry_answers_the_same_order, |app| {
    let (product, reseller, key) = setup(&app).await;
    let (s, o) = app.open_post(&key, "/api/open/v1/orders", &order(product, "D-1", 950)).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!((o["state"].as_str(), o["downstream_order_no"].as_str()), (Some("delivered"), Some("D-1")));
    let code = o["units"][0]["code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("KEY-A"), "{code}");
    assert_eq!(app.balance(&reseller).await, 10_000 - 950);
    assert_eq!(stock(&app, &key, product).await, 4);
    let (s, again) = app.open_post(&key, "/api/open/v1/orders", &order(product, "D-1", 950)).await;
    assert_eq!(
        (s, &again["order_no"], &again["units"][0]["code"]),
        (StatusCode::OK, &o["order_no"], &o["units"][0]["code"])
    );
    let (s, e) = app.open_post(&key, "/api/open/v1/orders", &order(product, "D-1", 999)).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_mismatch")));
    assert_eq!(app.balance(&reseller).await, 10_000 - 950, "charged once");
    let (s, got) = app.open_get(&key, "/api/open/v1/orders/D-1").await;
    assert_eq!((s, &got["units"][0]["code"]), (StatusCode::OK, &o["units"][0]["code"]));
    // Another key (even the same account's) has its own numbers.
    let other = app.api_key(&reseller, "另一个站").await;
    let (s, _) = app.open_get(&other, "/api/open/v1/orders/D-1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

http_test!(ten_identical_requests_at_once_make_one_order, |app| {
    let (product, reseller, key) = setup(&app).await;
    let body = order(product, "SAME", 950);
    let answers =
        futures_util::future::join_all((0..10).map(|_| app.open_post(&key, "/api/open/v1/orders", &body))).await;
    let created = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    let replays = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!((created, replays), (1, 9), "{answers:?}");
    assert!(answers.iter().all(|(_, o)| o["order_no"] == answers[0].1["order_no"]));
    assert_eq!(app.balance(&reseller).await, 10_000 - 950);
    assert_eq!(stock(&app, &key, product).await, 4);
});

http_test!(a_price_above_the_ceiling_is_refused_and_nothing_changes, |app| {
    let (product, reseller, key) = setup(&app).await;
    let (s, e) = app.open_post(&key, "/api/open/v1/orders", &order(product, "CHEAP", 900)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!((e["code"].as_str(), e["current_unit_price_fen"].as_i64()), (Some("price_changed"), Some(950)));
    assert_eq!(app.balance(&reseller).await, 10_000);
    assert_eq!(stock(&app, &key, product).await, 5);
    let (s, _) = app.open_get(&key, "/api/open/v1/orders/CHEAP").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nothing written");
    // The same number may then be used at the price that stands.
    let (s, _) = app.open_post(&key, "/api/open/v1/orders", &order(product, "CHEAP", 950)).await;
    assert_eq!(s, StatusCode::CREATED);
});

http_test!(bad_signatures_are_refused_with_the_right_code, |app| {
    let (product, reseller, key) = setup(&app).await;
    let ping = "/api/open/v1/ping";
    let wrong = Signer::new(key.key_id(), "not-the-secret");
    let (s, e, _) = app.open_raw(&wrong, Method::GET, ping, Vec::new(), 0).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_signature")));
    for skew in [61, -61] {
        let (s, e, _) = app.open_raw(&key.signer, Method::GET, ping, Vec::new(), skew).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("stale_timestamp")), "{skew}");
    }
    let (s, _, _) = app.open_raw(&key.signer, Method::GET, ping, Vec::new(), 60).await;
    assert_eq!(s, StatusCode::OK, "60 s off is still fine");
    let unknown = Signer::new("yk_000000000000000000000000", "x");
    let (s, e, _) = app.open_raw(&unknown, Method::GET, ping, Vec::new(), 0).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    // A captured signature replayed over another body does not verify.
    let body = order(product, "R-1", 950).to_string();
    let ts = app.clock.now().secs();
    let signed = key.signer.sign("POST", "/api/open/v1/orders", ts, body.as_bytes());
    let mut req = app.client.post(app.url("/api/open/v1/orders")).body(order(product, "R-2", 950).to_string());
    for (k, v) in signed.headers() {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let e: Value = resp.json().await.unwrap();
    assert_eq!((status, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_signature")));
    assert_eq!(app.balance(&reseller).await, 10_000);
    // A revoked key stops working at once.
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/api-keys/{}", key.id), Some(&reseller.token), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e, _) = app.open_raw(&key.signer, Method::GET, ping, Vec::new(), 0).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
});

http_test!(odd_input_gets_a_clear_4xx, |app| {
    let (product, _reseller, key) = setup(&app).await;
    let (s, e) = app.open_post(&key, "/api/open/v1/orders", &order(product, "A\u{0}B", 950)).await;
    assert_eq!(
        (s, e["code"].as_str(), e["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("nul_character"), Some("downstream_order_no")),
        "{e}"
    );
    let big = vec![b' '; 65 * 1024];
    let (s, e, _) = app.open_raw(&key.signer, Method::POST, "/api/open/v1/orders", big, 0).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
    let (s, e, _) = app.open_raw(&key.signer, Method::POST, "/api/open/v1/orders", b"{not json".to_vec(), 0).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid")));
    let admin = app.staff("rateadmin", "admin").await;
    app.set_rule(&admin, "open_api_per_sec", 10).await;
    let mut hits = 0;
    for _ in 0..70 {
        let (s, _, h) = app.open_raw(&key.signer, Method::GET, "/api/open/v1/ping", Vec::new(), 0).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert!(h.get("retry-after").is_some());
            hits += 1;
        }
    }
    assert!(hits > 0, "the per-key rate limit answers 429");
});

http_test!(only_a_buyer_account_may_order, |app| {
    let (product, _reseller, _key) = setup(&app).await;
    let staff = app.staff("kefu", "agent").await;
    let key = app.api_key(&staff, "平台客服").await;
    let (s, p) = app.open_get(&key, "/api/open/v1/ping").await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let (s, e) = app.open_post(&key, "/api/open/v1/orders", &order(product, "S-1", 950)).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
});

http_test!(private_callback_urls_are_refused_unless_the_rule_allows, |app| {
    let (product, _reseller, key) = setup(&app).await;
    let mut body = order(product, "CB-1", 950);
    body["callback_url"] = json!("http://127.0.0.1:9/cb");
    let (s, e) = app.open_post(&key, "/api/open/v1/orders", &body).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("private_address")), "{e}");
    body["callback_url"] = json!("ftp://example.com/cb");
    let (s, e) = app.open_post(&key, "/api/open/v1/orders", &body).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("callback_url")), "{e}");
    let admin = app.staff("root", "admin").await;
    app.set_rule(&admin, "allow_private_addresses", 1).await;
    body["callback_url"] = json!("http://127.0.0.1:9/cb");
    let (s, e) = app.open_post(&key, "/api/open/v1/orders", &body).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
});

/// A top-up listing and a reseller whose callbacks reach `rx` (private addresses allowed).
async fn topup_order<S: Store>(app: &TestApp<S>, rx: &Receiver) -> (TestUser, TestKey, String) {
    let (owner, shop) = app.merchant("top_owner", "直充对接店").await;
    let topup = app
        .product(
            &owner,
            shop,
            json!({ "kind": "direct_topup", "category": "topup", "title": "QQ会员直充", "price_fen": 1_500,
            "topup_fields": [{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }] }),
        )
        .await;
    let admin = app.staff("root", "admin").await;
    app.set_rule(&admin, "allow_private_addresses", 1).await;
    let reseller = app.buyer("reseller").await;
    app.credit(&reseller, 10_000).await;
    let key = app.api_key(&reseller, "下游站").await;
    let body = json!({ "product_id": topup, "quantity": 1, "downstream_order_no": "T-1", "max_unit_price_fen": 1_500,
                       "topup_target": { "qq": "123456789" }, "callback_url": rx.url("/hook?site=1") });
    let (s, o) = app.open_post(&key, "/api/open/v1/orders", &body).await;
    assert_eq!((s, o["state"].as_str()), (StatusCode::CREATED, Some("awaiting_fulfilment")), "{o}");
    let no = o["order_no"].as_str().unwrap().to_owned();
    let (s, f) =
        app.post(&format!("/api/v1/orders/{no}/fulfil"), Some(&owner.token), json!({ "note": "已充值" })).await;
    assert_eq!(s, StatusCode::OK, "{f}");
    (reseller, key, no)
}

http_test!(a_fulfilled_topup_calls_back_signed, |app| {
    let rx = Receiver::start().await;
    let (reseller, key, _no) = topup_order(&app, &rx).await;
    let out = app.outbound_step().await;
    assert_eq!(out.sent, 1, "{out:?}");
    let hits = rx.hits();
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit.path_and_query, "/hook?site=1");
    let verified = key.signer.verify(
        "POST",
        &hit.path_and_query,
        &hit.header("x-youying-timestamp"),
        &hit.header("x-youying-signature"),
        &hit.body,
        app.clock.now().secs(),
    );
    assert_eq!(verified, Ok(()), "the callback is signed with the caller's secret");
    assert_eq!(hit.header("x-youying-key"), key.key_id());
    let cb = hit.json();
    assert_eq!((cb["event"].as_str(), cb["order"]["state"].as_str()), (Some("order.updated"), Some("fulfilled")));
    assert_eq!(cb["order"]["fulfilment"]["note"], "已充值");
    assert_eq!(app.outbound_step().await.sent, 0, "sent once");
    let (_, list) = app.get("/api/v1/api-keys/callbacks", Some(&reseller.token)).await;
    assert_eq!((list[0]["state"].as_str(), list[0]["attempts"].as_i64()), (Some("sent"), Some(1)));
    // A case opened through the open API calls back too: the case, and the order now disputed.
    let case = json!({ "type": "topup_missing", "description": "没到账" });
    let (s, c) = app.open_post(&key, "/api/open/v1/orders/T-1/cases", &case).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(app.outbound_step().await.sent, 2);
    let events: Vec<Value> = rx.hits()[1..].iter().map(|h| h.json()).collect();
    let case_cb = events.iter().find(|e| e["event"] == "case.updated").unwrap();
    assert_eq!(
        (case_cb["case"]["id"].as_i64(), case_cb["case"]["state"].as_str()),
        (c["id"].as_i64(), Some("awaiting_merchant"))
    );
    assert!(events.iter().any(|e| e["event"] == "order.updated" && e["order"]["state"] == "disputed"), "{events:?}");
});

http_test!(a_receiver_that_is_down_gets_the_callback_after_the_backoff, |app| {
    let rx = Receiver::start().await;
    rx.set_down(true);
    let (reseller, _key, _no) = topup_order(&app, &rx).await;
    let out = app.outbound_step().await;
    assert_eq!((out.sent, out.retried), (0, 1));
    assert_eq!(app.outbound_step().await.retried, 0, "not again before the backoff");
    let (_, list) = app.get("/api/v1/api-keys/callbacks", Some(&reseller.token)).await;
    assert_eq!((list[0]["state"].as_str(), list[0]["last_status"].as_i64()), (Some("pending"), Some(503)));
    rx.set_down(false);
    app.clock.advance_secs(15);
    assert_eq!(app.outbound_step().await.sent, 1);
    app.clock.advance_secs(3_600);
    assert_eq!(app.outbound_step().await.sent, 0);
    assert_eq!(rx.hits().len(), 1, "delivered exactly once");
    let (_, list) = app.get("/api/v1/api-keys/callbacks", Some(&reseller.token)).await;
    assert_eq!((list[0]["state"].as_str(), list[0]["attempts"].as_i64()), (Some("sent"), Some(2)));
});

http_test!(a_case_opened_through_the_open_api, |app| {
    let shop = card_shop(&app, "up", 950, KEYS).await;
    let reseller = app.buyer("reseller").await;
    app.credit(&reseller, 10_000).await;
    let key = app.api_key(&reseller, "下游站").await;
    let (s, _) = app.open_post(&key, "/api/open/v1/orders", &order(shop.product, "C-1", 950)).await;
    assert_eq!(s, StatusCode::CREATED);
    let nul = json!({ "type": "key_invalid", "description": "卡密\u{0}无效", "screenshots": [] });
    let (s, e) = app.open_post(&key, "/api/open/v1/orders/C-1/cases", &nul).await;
    // A NUL is refused at the edge, naming the field (guard.rs).
    assert_eq!(
        (s, e["code"].as_str(), e["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("nul_character"), Some("description")),
        "{e}"
    );
    let case = json!({ "type": "key_invalid", "description": "卡密无效，提示已使用", "screenshots": [] });
    let (s, c) = app.open_post(&key, "/api/open/v1/orders/C-1/cases", &case).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!((c["state"].as_str(), c["downstream_order_no"].as_str()), (Some("awaiting_merchant"), Some("C-1")));
    assert_eq!(c["merchant_due_at"].as_i64().unwrap() - c["opened_at"].as_i64().unwrap(), 12 * 3_600_000);
    let (s, again) = app.open_get(&key, &format!("/api/open/v1/cases/{}", c["id"])).await;
    assert_eq!((s, &again["id"]), (StatusCode::OK, &c["id"]));
    let (_, o) = app.open_get(&key, "/api/open/v1/orders/C-1").await;
    assert_eq!(
        (&o["state"], &o["open_case_id"]),
        (&json!("disputed"), &c["id"]),
        "a caller that lost the answer finds its case"
    );
    let (s, e) = app.open_post(&key, "/api/open/v1/orders/C-1/cases", &case).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("case_already_open")));
    // The merchant reissues: the caller sees the remedy and the fresh key, in the clear.
    let (s, r) = app
        .post(&format!("/api/v1/cases/{}/actions", c["id"]), Some(&shop.owner.token), json!({ "action": "reissue" }))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, c2) = app.open_get(&key, &format!("/api/open/v1/cases/{}", c["id"])).await;
    assert_eq!((c2["state"].as_str(), c2["remedy"].as_str()), (Some("awaiting_buyer"), Some("reissue")), "{c2}");
    let (_, o) = app.open_get(&key, "/api/open/v1/orders/C-1").await;
    assert_eq!(c2["reissued"], o["units"]);
    assert_ne!(c2["reissued"][0]["code"], json!(null));
    let other = app.api_key(&app.buyer("someone").await, "别人").await;
    let (s, _) = app.open_get(&other, &format!("/api/open/v1/cases/{}", c["id"])).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another key's case");
});

http_test!(a_callback_nobody_takes_is_given_up_after_a_day, |app| {
    let rx = Receiver::start().await;
    rx.set_down(true);
    let (reseller, _key, _no) = topup_order(&app, &rx).await;
    let (mut retried, mut failed) = (0, 0);
    for _ in 0..30 {
        let out = app.outbound_step().await;
        (retried, failed) = (retried + out.retried, failed + out.failed);
        app.clock.advance_secs(3_600);
    }
    // 15 s, 1 min, 5 min, 15 min, then hourly: given up once 24 h have passed.
    assert_eq!(failed, 1, "after {retried} retries");
    assert!((20..=26).contains(&retried), "{retried}");
    let (_, list) = app.get("/api/v1/api-keys/callbacks", Some(&reseller.token)).await;
    assert_eq!((list[0]["state"].as_str(), list[0]["last_error"].as_str()), (Some("failed"), Some("HTTP 503")));
    assert!(rx.hits().is_empty());
});

http_test!(a_revoked_keys_callbacks_are_not_sent, |app| {
    let rx = Receiver::start().await;
    let (reseller, key, _no) = topup_order(&app, &rx).await;
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/api-keys/{}", key.id), Some(&reseller.token), None).await;
    assert_eq!(s, StatusCode::OK);
    let out = app.outbound_step().await;
    assert_eq!((out.sent, out.failed), (0, 1));
    assert!(rx.hits().is_empty());
    let (_, list) = app.get("/api/v1/api-keys/callbacks", Some(&reseller.token)).await;
    assert_eq!((list[0]["state"].as_str(), list[0]["last_error"].as_str()), (Some("failed"), Some("API 密钥已停用")));
});

/// With the loops running (as `serve` starts them), a queued callback wakes the
/// sender at once: it arrives well before the loop's 30 s idle pass.
async fn a_callback_leaves_at_once<S: Store>(store: S) {
    let app = TestApp::start(store, youying_core::FakeClock::at(youying_testkit::T0), true).await;
    let rx = Receiver::start().await;
    let _ = topup_order(&app, &rx).await;
    assert!(rx.wait_for(1, 5).await, "the callback did not leave within 5 s");
    assert_eq!(rx.hits()[0].json()["order"]["state"], "fulfilled");
    app.audit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_leaves_at_once_sqlite() {
    let db = youying_testkit::TestDb::sqlite();
    a_callback_leaves_at_once(db.open_sqlite().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_leaves_at_once_postgres() {
    let Some(db) = tokio::task::spawn_blocking(youying_testkit::TestDb::postgres).await.unwrap() else { return };
    a_callback_leaves_at_once(db.open_postgres(4).await.unwrap()).await;
}

http_test!(a_resellers_level_prices_what_the_open_api_shows_and_charges, |app| {
    let (product, reseller, key) = setup(&app).await;
    let admin = app.staff("lvadmin", "admin").await;
    let (s, l) = app
        .post("/api/v1/admin/levels", Some(&admin.token), json!({ "name": "代理", "position": 2, "discount_bp": 500 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    let level = l["id"].as_i64().unwrap();
    let (s, b) = app
        .put(&format!("/api/v1/admin/users/{}/level", reseller.id), Some(&admin.token), json!({ "level_id": level }))
        .await;
    assert!(s.is_success(), "{b}");
    let (_, p) = app.open_get(&key, "/api/open/v1/ping").await;
    assert_eq!((p["level"]["name"].as_str(), p["level"]["discount_bp"].as_i64()), (Some("代理"), Some(500)), "{p}");
    let (_, item) = app.open_get(&key, &format!("/api/open/v1/products/{product}")).await;
    // ¥9.50 at 95折 = ¥9.025, rounded down in the buyer's favour.
    assert_eq!((item["list_price_fen"].as_i64(), item["unit_price_fen"].as_i64()), (Some(950), Some(902)), "{item}");
    let (s, e) = app.open_post(&key, "/api/open/v1/orders", &order(product, "LV-1", 901)).await;
    assert_eq!((s, e["current_unit_price_fen"].as_i64()), (StatusCode::CONFLICT, Some(902)), "{e}");
    let (s, o) = app.open_post(&key, "/api/open/v1/orders", &order(product, "LV-2", 902)).await;
    assert!(s.is_success(), "{o}");
    assert_eq!((o["unit_price_fen"].as_i64(), o["total_fen"].as_i64()), (Some(902), Some(902)));
    assert_eq!(app.balance(&reseller).await, 10_000 - 902);
});
