//! 货源对接, the downstream side, against a fake upstream Youying site
//! (`testkit::fakeupstream`): connecting with a signed ping, mapping with a
//! price rule, the sync that hides only what its source cannot sell, and
//! orders placed upstream — delivered, refused (buyer refunded), or unknown
//! and finished by the loop exactly once; top-ups completed by callback or by
//! polling. Every test ends with the ledger and evidence audit.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::Clock as _;
use youying_core::ports::Store;
use youying_testkit::fakeupstream::{CARD, FakeUpstream, KEY_ID, Remedy, SECRET, TOPUP};
use youying_testkit::{TestApp, TestUser, http_test};

async fn allow_private<S: Store>(app: &TestApp<S>, on: bool) {
    let admin = app.staff("root", "admin").await;
    let (s, b) =
        app.put("/api/v1/admin/rules", Some(&admin.token), json!({ "allow_private_addresses": i64::from(on) })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn connect<S: Store>(
    app: &TestApp<S>,
    owner: &TestUser,
    shop: i64,
    base: &str,
    secret: &str,
) -> (StatusCode, Value) {
    let body = json!({ "base_url": base, "key_id": KEY_ID, "secret": secret });
    app.post(&format!("/api/v1/shops/{shop}/upstreams"), Some(&owner.token), body).await
}

/// A merchant with a deposit, connected to a fresh fake upstream.
async fn docked<S: Store>(app: &TestApp<S>) -> (TestUser, i64, i64, FakeUpstream) {
    allow_private(app, true).await;
    let up = FakeUpstream::start(app.clock.clone()).await;
    let (owner, shop) = app.merchant("dock_owner", "对接小铺").await;
    let (s, c) = connect(app, &owner, shop, &up.base_url(), SECRET).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (owner, shop, c["id"].as_i64().unwrap(), up)
}

async fn map<S: Store>(app: &TestApp<S>, owner: &TestUser, shop: i64, uid: i64, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/shops/{shop}/upstreams/{uid}/mappings"), Some(&owner.token), body).await
}

/// Maps the card key at +10 % (cost ¥10.00 → ¥11.00), with `extra` fields; returns the product id.
async fn map_card<S: Store>(app: &TestApp<S>, owner: &TestUser, shop: i64, uid: i64, extra: Value) -> i64 {
    let mut body = json!({ "upstream_product_id": CARD, "rule": { "kind": "percent", "value": 1000 } });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (s, m) = map(app, owner, shop, uid, body).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m["product_id"].as_i64().unwrap()
}

async fn sync<S: Store>(app: &TestApp<S>, secs: i64) {
    app.clock.advance_secs(secs);
    youying_server::sourcing::run_syncs(&app.app).await.unwrap();
}

async fn steps<S: Store>(app: &TestApp<S>, secs: i64) -> usize {
    app.clock.advance_secs(secs);
    youying_server::sourcing::run_orders(&app.app, None).await.unwrap()
}

async fn escrow<S: Store>(app: &TestApp<S>) -> i64 {
    app.app.store.read(|tx| tx.balance(youying_core::money::Account::Escrow)).await.unwrap()
}

async fn order<S: Store>(app: &TestApp<S>, user: &TestUser, no: &str) -> Value {
    let (s, o) = app.get(&format!("/api/v1/orders/{no}"), Some(&user.token)).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    o
}

http_test!(connecting_checks_the_address_and_the_key, |app| {
    let up = FakeUpstream::start(app.clock.clone()).await;
    let (owner, shop) = app.merchant("dock_owner", "对接小铺").await;
    // The rule at 0: a loopback upstream is refused before any call.
    let (s, e) = connect(&app, &owner, shop, &up.base_url(), SECRET).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("private_address")), "{e}");
    allow_private(&app, true).await;
    let (s, e) = connect(&app, &owner, shop, &up.base_url(), "not-the-secret").await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_signature")), "{e}");
    let (s, e) = connect(&app, &owner, shop, "http://127.0.0.1:9", SECRET).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unreachable")), "{e}");
    let (_, list) = app.get(&format!("/api/v1/shops/{shop}/upstreams"), Some(&owner.token)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "nothing stored: {list}");

    let (s, c) = connect(&app, &owner, shop, &up.base_url(), SECRET).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!((c["site_name"].as_str(), c["level_name"].as_str()), (Some("上游卡盟"), Some("金牌代理")));
    assert_eq!((c["balance_fen"].as_i64(), c["health"].as_str()), (Some(500_000), Some("ok")));
    assert!(!c.to_string().contains(SECRET), "{c}");
    let uid = c["id"].as_i64().unwrap();
    let (s, _) = connect(&app, &owner, shop, &up.base_url(), SECRET).await;
    assert_eq!(s, StatusCode::CONFLICT, "the same key twice");

    let (other, other_shop) = app.merchant("other_owner", "别人的店").await;
    let (s, _) = app.get(&format!("/api/v1/shops/{shop}/upstreams/{uid}"), Some(&other.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/api/v1/shops/{other_shop}/upstreams/{uid}"), Some(&other.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another shop's connection id");
    let (s, _) = app
        .call(reqwest::Method::DELETE, &format!("/api/v1/shops/{shop}/upstreams/{uid}"), Some(&owner.token), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
});

http_test!(a_mapped_product_sells_at_the_rule_s_price_with_the_key_in_the_answer, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let (s, cat) = app.get(&format!("/api/v1/shops/{shop}/upstreams/{uid}/products"), Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK, "{cat}");
    let card = cat.as_array().unwrap().iter().find(|p| p["upstream_product_id"] == CARD).unwrap().clone();
    assert_eq!((card["cost_fen"].as_i64(), card["would_sell"]["percent"].as_i64()), (Some(1_000), Some(1_100)));
    // Below the cost only when said explicitly.
    let (s, e) = map(
        &app,
        &owner,
        shop,
        uid,
        json!({ "upstream_product_id": CARD, "rule": { "kind": "fixed_price", "value": 900 } }),
    )
    .await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rule")), "{e}");

    let product = map_card(&app, &owner, shop, uid, json!({})).await;
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(
        (p["price_fen"].as_i64(), p["on_sale"].as_bool(), p["kind"].as_str()),
        (Some(1_100), Some(true), Some("card_key"))
    );
    assert!(!p.to_string().contains("货源"), "buyers are never told: {p}");

    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    sync(&app, 0).await;
    let (s, o) = app.buy(&buyer, product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    let synced = youying_server::sourcing::run_syncs(&app.app).await.unwrap();
    assert_eq!(synced, 1, "an order makes its connection's sync due at once");
    assert_eq!(o["order"]["state"], "delivered");
    assert_eq!(o["units"][0]["code"].as_str(), Some(up.keys_of(&no)[0].as_str()));
    assert_eq!((app.balance(&buyer).await, escrow(&app).await), (3_900, 1_100));
    let (_, snap) = app.get(&format!("/api/v1/orders/{no}/snapshot"), Some(&buyer.token)).await;
    assert_eq!(snap["snapshot"]["shop"]["name"], "对接小铺");
    assert_eq!(snap["snapshot"]["paid"]["total_fen"], 1_100);
    let (s, revealed) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&buyer.token), json!({})).await;
    assert_eq!((s, revealed["units"][0]["code"].as_str()), (StatusCode::OK, Some("UPKEY-0001")));
    assert_eq!(up.orders_taken(), 1);
});

http_test!(above_the_cap_the_product_hides_and_nothing_is_charged, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let product = map_card(&app, &owner, shop, uid, json!({ "cap_fen": 1_200 })).await;
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    up.set_price(CARD, 1_300);
    sync(&app, 60).await;
    let (_, m) = app.get(&format!("/api/v1/shops/{shop}/upstreams/{uid}/mappings"), Some(&owner.token)).await;
    assert_eq!((m[0]["state"].as_str(), m[0]["hidden_reason"].as_str()), (Some("hidden"), Some("above_cap")), "{m}");
    let (s, e) = app.buy(&buyer, product, 1, None).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("source_unavailable")), "{e}");
    assert_eq!((app.balance(&buyer).await, up.orders_taken()), (5_000, 0));
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(p["on_sale"].as_bool(), Some(false));
    // The upstream comes back under the cap: shown again, at the rule's price.
    up.set_price(CARD, 1_100);
    sync(&app, 60).await;
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!((p["on_sale"].as_bool(), p["price_fen"].as_i64()), (Some(true), Some(1_210)));
});

http_test!(an_upstream_down_hides_its_products_and_the_shop_still_sells, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let mapped = map_card(&app, &owner, shop, uid, json!({})).await;
    let own = app.product(&owner, shop, json!({ "title": "自有点卡", "price_fen": 500 })).await;
    let (s, r) = app.import(&owner, own, "OWN-0001\nOWN-0002", false).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    up.faults(|f| f.down = true);
    sync(&app, 60).await;
    let (_, c) = app.get(&format!("/api/v1/shops/{shop}/upstreams/{uid}"), Some(&owner.token)).await;
    assert_eq!((c["health"].as_str(), c["failures"].as_i64()), (Some("failing"), Some(1)), "{c}");
    assert_eq!(c["mappings"][0]["hidden_reason"], "unreachable");
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    let (s, e) = app.buy(&buyer, mapped, 1, None).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("source_unavailable")), "{e}");
    let (s, o) = app.buy(&buyer, own, 1, None).await;
    assert_eq!((s, o["units"][0]["code"].as_str()), (StatusCode::CREATED, Some("OWN-0001")), "{o}");
    up.faults(|f| f.down = false);
    sync(&app, 60).await;
    let (s, o) = app.buy(&buyer, mapped, 1, None).await;
    assert_eq!(s, StatusCode::CREATED, "recovered: {o}");
});

http_test!(an_upstream_refusal_refunds_the_buyer, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let product = map_card(&app, &owner, shop, uid, json!({})).await;
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    up.faults(|f| f.refuse = true);
    let (s, e) = app.buy(&buyer, product, 1, None).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("source_refused")), "{e}");
    assert!(e["message"].as_str().unwrap_or("").contains("退回"), "{e}");
    assert_eq!((app.balance(&buyer).await, escrow(&app).await), (5_000, 0));
    let (_, list) = app.get("/api/v1/orders", Some(&buyer.token)).await;
    assert_eq!(list[0]["state"], "refunded", "{list}");
    // A price raise between sync and order: refused, refunded, and the product hidden.
    up.faults(|f| f.refuse = false);
    up.set_price(CARD, 1_050);
    let (s, e) = app.buy(&buyer, product, 1, None).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("source_refused")), "{e}");
    let (s, e) = app.buy(&buyer, product, 1, None).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("source_unavailable")), "{e}");
    assert_eq!((app.balance(&buyer).await, escrow(&app).await, up.orders_taken()), (5_000, 0, 0));
});

http_test!(a_lost_answer_is_asked_about_and_delivered_exactly_once, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let product = map_card(&app, &owner, shop, uid, json!({})).await;
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    up.faults(|f| f.fail_answer = true);
    let (s, o) = app.buy(&buyer, product, 1, None).await;
    assert_eq!(
        (s, o["order"]["state"].as_str()),
        (StatusCode::ACCEPTED, Some("sourcing")),
        "unknown is not failed: {o}"
    );
    assert_eq!(o["order"]["state_label"], "向货源下单中");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    assert_eq!((up.orders_taken(), escrow(&app).await, app.balance(&buyer).await), (1, 1_100, 3_900));
    // Not yet due: nothing asked.
    assert_eq!(steps(&app, 1).await, 0);
    up.faults(|f| f.fail_answer = false);
    assert_eq!(steps(&app, 30).await, 1);
    let o = order(&app, &buyer, &no).await;
    assert_eq!(o["state"], "delivered", "{o}");
    let (_, revealed) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&buyer.token), json!({})).await;
    assert_eq!(revealed["units"].as_array().map(Vec::len), Some(1));
    assert_eq!(revealed["units"][0]["code"].as_str(), Some(up.keys_of(&no)[0].as_str()));
    assert_eq!(steps(&app, 3_600).await, 0, "nothing owed any more");
    assert_eq!(up.orders_taken(), 1, "one upstream order, however often asked");
    assert_eq!(escrow(&app).await, 1_100);
});

/// A top-up mapped at cost, bought: the upstream takes it and awaits fulfilment.
async fn topup_bought<S: Store>(app: &TestApp<S>) -> (TestUser, String, FakeUpstream) {
    let (owner, shop, uid, up) = docked(app).await;
    let (s, m) = map(app, &owner, shop, uid, json!({ "upstream_product_id": TOPUP, "rule": { "kind": "same" } })).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    let body = json!({ "product_id": m["product_id"], "topup_target": { "qq": "123456" } });
    let (s, o) = app.post("/api/v1/orders", Some(&buyer.token), body).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::CREATED, Some("awaiting_fulfilment")), "{o}");
    (buyer, o["order"]["no"].as_str().unwrap().to_owned(), up)
}

http_test!(an_upstream_top_up_completes_by_its_signed_callback, |app| {
    let (buyer, no, up) = topup_bought(&app).await;
    let (url, body) = up.order_json(&no).unwrap();
    let url = url.expect("a callback URL is given upstream");
    // Forged (another secret): 401, nothing changes.
    let mut forged = body.clone();
    forged["state"] = json!("refunded");
    let cb = serde_json::to_vec(&json!({ "event": "order.updated", "order": forged })).unwrap();
    assert_eq!(up.signed_post(&url, &cb, "forged-secret").await, 401);
    assert_eq!(order(&app, &buyer, &no).await["state"], "awaiting_fulfilment");
    assert_eq!(up.fulfil(&no, "已充值到 QQ 123456").await, Some(200));
    let o = order(&app, &buyer, &no).await;
    assert_eq!(
        (o["state"].as_str(), o["fulfil_note"].as_str()),
        (Some("fulfilled"), Some("已充值到 QQ 123456")),
        "{o}"
    );
    // The same callback again changes nothing.
    assert_eq!(up.fulfil(&no, "已充值到 QQ 123456").await, Some(200));
    assert_eq!((escrow(&app).await, app.balance(&buyer).await), (2_000, 3_000));
});

http_test!(an_upstream_top_up_completes_by_polling_when_the_callback_is_lost, |app| {
    let (buyer, no, up) = topup_bought(&app).await;
    // Asked while the upstream is still at it: nothing changes, and it is asked again later.
    assert_eq!(steps(&app, 61).await, 1);
    assert_eq!(order(&app, &buyer, &no).await["state"], "awaiting_fulfilment");
    up.faults(|f| f.lose_callbacks = true);
    assert_eq!(up.fulfil(&no, "已充值").await, None);
    assert_eq!(order(&app, &buyer, &no).await["state"], "awaiting_fulfilment");
    assert_eq!(steps(&app, 61).await, 1);
    let o = order(&app, &buyer, &no).await;
    assert_eq!((o["state"].as_str(), o["fulfil_note"].as_str()), (Some("fulfilled"), Some("已充值")), "{o}");
    assert_eq!(up.orders_taken(), 1);
});

http_test!(a_step_claimed_by_a_crashed_instance_is_finished_after_its_lease, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let product = map_card(&app, &owner, shop, uid, json!({})).await;
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    up.faults(|f| f.down = true);
    let (s, o) = app.buy(&buyer, product, 1, None).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::ACCEPTED, Some("sourcing")), "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    up.faults(|f| f.down = false);
    // Another instance claims the step and dies before asking.
    app.clock.advance_secs(10);
    let now = app.clock.now();
    let claimed =
        app.app.store.write(move |tx| tx.claim_upstream_orders(now, now.plus_secs(120), None, 10)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(steps(&app, 60).await, 0, "leased: not asked twice at once");
    // The lease runs out: asked first (404, never taken), then placed once.
    assert_eq!(steps(&app, 61).await, 1);
    assert_eq!(order(&app, &buyer, &no).await["state"], "delivered");
    assert_eq!((up.orders_taken(), escrow(&app).await), (1, 1_100));
});

// Two hops: a reseller's program orders a mapped product through this site's
// open API; when the upstream delivers, the reseller is called back with the keys.
http_test!(a_resold_order_of_a_mapped_product_calls_its_caller_back_when_delivered, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let product = map_card(&app, &owner, shop, uid, json!({})).await;
    let reseller = app.buyer("chain_reseller").await;
    app.credit(&reseller, 10_000).await;
    let key = app.api_key(&reseller, "下游站C").await;
    let rx = youying_testkit::open::Receiver::start().await;
    up.faults(|f| f.down = true);
    let body = json!({ "product_id": product, "quantity": 1, "downstream_order_no": "C-1",
                       "max_unit_price_fen": 100_000, "callback_url": rx.url("/cb") });
    let (s, o) = app.open_post(&key, "/api/open/v1/orders", &body).await;
    assert_eq!((s.is_success(), o["state"].as_str()), (true, Some("sourcing")), "{o}");
    up.faults(|f| f.down = false);
    assert_eq!(steps(&app, 60).await, 1);
    app.outbound_step().await;
    assert!(rx.wait_for(1, 10).await, "a callback arrived");
    let last = rx.hits().last().unwrap().json();
    assert_eq!(last["order"]["state"], "delivered", "{last}");
    assert_eq!(last["order"]["units"].as_array().map(Vec::len), Some(1), "{last}");
    // With the upstream answering, the caller gets the key in its own answer, as a buyer here does.
    let body =
        json!({ "product_id": product, "quantity": 1, "downstream_order_no": "C-2", "max_unit_price_fen": 100_000 });
    let (s, o) = app.open_post(&key, "/api/open/v1/orders", &body).await;
    assert_eq!((s, o["state"].as_str()), (StatusCode::CREATED, Some("delivered")), "{o}");
    assert_eq!(o["units"][0]["code"].as_str(), Some(up.keys_of(o["order_no"].as_str().unwrap())[0].as_str()));
});

// ── Cases on sourced orders, relayed upstream (the promise end to end) ──

/// A card key bought through the upstream, and a dead-key case opened on it here.
async fn sourced_case<S: Store>(app: &TestApp<S>) -> (TestUser, TestUser, String, i64, FakeUpstream) {
    let (owner, shop, uid, up) = docked(app).await;
    let product = map_card(app, &owner, shop, uid, json!({})).await;
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    let (s, o) = app.buy(&buyer, product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    let shot = json!({ "name": "死卡.png", "content_base64": youying_testkit::images::PNG_1X1_BASE64 });
    let body = json!({ "type": "key_invalid", "description": "提示卡密已被使用", "screenshots": [shot] });
    let (s, c) = app.post(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token), body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (owner, buyer, no, c["id"].as_i64().unwrap(), up)
}

async fn relay<S: Store>(app: &TestApp<S>, secs: i64) -> usize {
    app.clock.advance_secs(secs);
    youying_server::sourcing::cases::run_cases(&app.app).await.unwrap()
}

async fn case<S: Store>(app: &TestApp<S>, who: &TestUser, id: i64) -> Value {
    let (s, c) = app.get(&format!("/api/v1/cases/{id}"), Some(&who.token)).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c
}

fn kinds(c: &Value) -> Vec<String> {
    c["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap().to_owned()).collect()
}

http_test!(a_case_on_a_sourced_key_opens_upstream_and_the_reissue_flows_down, |app| {
    let (owner, buyer, no, id, up) = sourced_case(&app).await;
    assert_eq!(relay(&app, 0).await, 1);
    let (asked, upcase) = up.case_of(&no).expect("the case was opened upstream");
    assert_eq!((asked.kind.as_str(), asked.description.as_str()), ("key_invalid", "提示卡密已被使用"));
    assert_eq!(asked.screenshots.len(), 1, "the buyer's screenshot goes along");
    let mine = case(&app, &owner, id).await;
    assert!(kinds(&mine).contains(&"case.upstream_opened".to_owned()), "{mine}");
    assert!(!kinds(&case(&app, &buyer, id).await).iter().any(|k| k.contains("upstream")), "buyers are never told");
    // The upstream merchant reissues; its callback brings the fresh key down at once.
    assert_eq!(up.case_remedy(&no, Remedy::Reissue).await, Some(200));
    let c = case(&app, &buyer, id).await;
    assert_eq!((c["case"]["state"].as_str(), c["case"]["remedy"].as_str()), (Some("awaiting_buyer"), Some("reissue")));
    let (_, revealed) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&buyer.token), json!({})).await;
    assert_eq!(revealed["units"][0]["code"].as_str(), Some(up.keys_of(&no)[0].as_str()));
    assert_ne!(up.keys_of(&no)[0], "UPKEY-0001");
    // The same callback again, and a poll: nothing more happens.
    assert_eq!(relay(&app, 61).await, 1);
    let (url, _) = up.order_json(&no).unwrap();
    let cb = json!({ "event": "case.updated", "case": upcase });
    let forged = serde_json::to_vec(&cb).unwrap();
    assert_eq!(up.signed_post(&url.unwrap(), &forged, "forged-secret").await, 401);
    // The buyer accepts: closed here, no breach for anyone.
    let (s, _) =
        app.post(&format!("/api/v1/cases/{id}/actions"), Some(&buyer.token), json!({ "action": "accept" })).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(case(&app, &buyer, id).await["case"]["state"], "resolved_reissued");
});

http_test!(an_upstream_refund_refunds_the_buyer_here_or_is_recorded_as_recovery, |app| {
    let (owner, buyer, no, id, up) = sourced_case(&app).await;
    // The answer to the upstream POST is lost: the retry finds the case it opened, not a second one.
    up.faults(|f| f.fail_answer = true);
    assert_eq!(relay(&app, 0).await, 1);
    up.faults(|f| f.fail_answer = false);
    assert_eq!(relay(&app, 11).await, 1);
    assert!(kinds(&case(&app, &owner, id).await).contains(&"case.upstream_opened".to_owned()));
    // The upstream refunds, its callback lost: the poll brings it down.
    up.faults(|f| f.lose_callbacks = true);
    assert_eq!(up.case_remedy(&no, Remedy::Refund).await, None);
    assert_eq!(relay(&app, 61).await, 1);
    let c = case(&app, &buyer, id).await;
    assert_eq!(
        (c["case"]["state"].as_str(), c["case"]["outcome"].as_str()),
        (Some("resolved_refunded"), Some("source_refunded"))
    );
    assert_eq!((app.balance(&buyer).await, escrow(&app).await), (5_000, 0));
    assert_eq!(relay(&app, 3_600).await, 0, "closed upstream: asked no more");

    // A second order: the shop refunds its buyer itself first; the upstream's later refund is its recovery.
    let product = order(&app, &buyer, &no).await["product_id"].as_i64().unwrap();
    let (_, o) = app.buy(&buyer, product, 1, None).await;
    let no2 = o["order"]["no"].as_str().unwrap().to_owned();
    let body = json!({ "type": "key_invalid", "description": "又是死卡", "screenshots": [] });
    let (_, c2) = app.post(&format!("/api/v1/orders/{no2}/cases"), Some(&buyer.token), body).await;
    let id2 = c2["id"].as_i64().unwrap();
    assert_eq!(relay(&app, 0).await, 1);
    let (s, _) =
        app.post(&format!("/api/v1/cases/{id2}/actions"), Some(&owner.token), json!({ "action": "refund" })).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.balance(&buyer).await, 5_000);
    up.faults(|f| f.lose_callbacks = false);
    assert_eq!(up.case_remedy(&no2, Remedy::Refund).await, Some(200));
    let c2 = case(&app, &owner, id2).await;
    assert_eq!(
        (c2["case"]["outcome"].as_str(), c2["case"]["refund_fen"].as_i64()),
        (Some("merchant_refunded"), Some(1_100))
    );
    assert!(kinds(&c2).contains(&"case.upstream_recovered".to_owned()), "{c2}");
    assert_eq!(app.balance(&buyer).await, 5_000, "the buyer is not refunded twice");
});

http_test!(an_upstream_that_will_not_take_the_case_leaves_it_to_the_shop, |app| {
    let (owner, buyer, no, id, up) = sourced_case(&app).await;
    // Unreachable: retried with backoff, the case here runs on its own clocks meanwhile.
    up.faults(|f| f.down = true);
    assert_eq!(relay(&app, 0).await, 1);
    assert_eq!(relay(&app, 5).await, 0, "backing off");
    up.faults(|f| f.down = false);
    assert_eq!(relay(&app, 11).await, 1);
    assert_eq!(up.case_of(&no).map(|c| c.1.state), Some("awaiting_merchant".to_owned()));
    // Rejected upstream: recorded for the shop; the case here stays with its merchant.
    assert_eq!(up.case_remedy(&no, Remedy::Reject).await, Some(200));
    let c = case(&app, &owner, id).await;
    assert_eq!(c["case"]["state"], "awaiting_merchant");
    assert!(kinds(&c).contains(&"case.upstream_changed".to_owned()), "{c}");
    // The shop's 12 h pass in silence: its own breach here, and the buyer refunded from escrow.
    app.advance(43_200).await;
    let c = case(&app, &buyer, id).await;
    assert_eq!(c["case"]["outcome"], "auto_refund_merchant_silent");
    assert_eq!(app.balance(&buyer).await, 5_000);
});

http_test!(an_order_the_upstream_never_took_is_cancelled_by_its_buyer_and_never_placed_after, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let product = map_card(&app, &owner, shop, uid, json!({})).await;
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    up.faults(|f| f.down = true);
    let (s, o) = app.buy(&buyer, product, 1, None).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::ACCEPTED, Some("sourcing")), "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    let cancel = format!("/api/v1/orders/{no}/cancel");
    let (s, e) = app.post(&cancel, Some(&buyer.token), json!({})).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("order_not_cancellable")), "{e}");
    assert!(!order(&app, &buyer, &no).await["cancellable"].as_bool().unwrap());
    // Ten minutes of an unreachable upstream: the buyer may take the money back.
    app.clock.advance_secs(600);
    assert!(order(&app, &buyer, &no).await["cancellable"].as_bool().unwrap());
    let (s, c) = app.post(&cancel, Some(&buyer.token), json!({})).await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("refunded")), "{c}");
    assert_eq!((app.balance(&buyer).await, escrow(&app).await), (5_000, 0));
    // The upstream comes back: it is asked about the order, never sent it again.
    up.faults(|f| f.down = false);
    assert_eq!(steps(&app, 601).await, 1);
    assert_eq!(steps(&app, 61).await, 1);
    assert_eq!(up.orders_taken(), 0, "a cancelled order is never placed upstream");
    assert_eq!(steps(&app, 86_400).await, 1);
    assert_eq!(steps(&app, 86_400).await, 0, "given up after a day");
    assert_eq!(order(&app, &buyer, &no).await["state"], "refunded");
});

http_test!(a_top_up_stuck_upstream_misses_its_promise_like_any_other, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let (s, m) =
        map(&app, &owner, shop, uid, json!({ "upstream_product_id": TOPUP, "rule": { "kind": "same" } })).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let buyer = app.buyer("dock_buyer").await;
    app.credit(&buyer, 5_000).await;
    up.faults(|f| f.down = true);
    let body = json!({ "product_id": m["product_id"], "topup_target": { "qq": "123456" } });
    let (s, o) = app.post("/api/v1/orders", Some(&buyer.token), body).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::ACCEPTED, Some("sourcing")), "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    // The promised 30 minutes pass with the upstream down: late, the shop's breach, the buyer may cancel.
    app.advance(1_800).await;
    let o = order(&app, &buyer, &no).await;
    assert_eq!((o["topup_overdue"].as_bool(), o["cancellable"].as_bool()), (Some(true), Some(true)), "{o}");
    let (_, p) = app.get(&format!("/api/v1/shops/{shop}/penalties"), Some(&owner.token)).await;
    assert_eq!(p["breaches"][0]["kind"], "topup_late", "{p}");
    let (s, _) = app.post(&format!("/api/v1/orders/{no}/cancel"), Some(&buyer.token), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.balance(&buyer).await, 5_000);
});

http_test!(a_removed_upstream_can_be_connected_again, |app| {
    let (owner, shop, uid, up) = docked(&app).await;
    let (s, e) = connect(&app, &owner, shop, &up.base_url(), SECRET).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("duplicate")), "{e}");
    let path = format!("/api/v1/shops/{shop}/upstreams/{uid}");
    let (s, _) = app.call(reqwest::Method::DELETE, &path, Some(&owner.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, c) = connect(&app, &owner, shop, &up.base_url(), SECRET).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_ne!(c["id"].as_i64(), Some(uid));
});

http_test!(an_upstream_silent_for_two_days_is_given_up_on_and_the_case_here_ends_on_its_own_clocks, |app| {
    let (owner, buyer, _no, id, up) = sourced_case(&app).await;
    up.faults(|f| f.down = true);
    assert_eq!(relay(&app, 0).await, 1);
    // The case here ends on its own clocks: the silent shop's breach and the buyer refunded at 12 h.
    app.advance(43_200).await;
    assert_eq!(case(&app, &buyer, id).await["case"]["outcome"], "auto_refund_merchant_silent");
    assert_eq!(app.balance(&buyer).await, 5_000);
    let mut asked = 0;
    while relay(&app, 3_600).await == 1 {
        asked += 1;
        assert!(asked < 60, "never given up");
    }
    let c = case(&app, &owner, id).await;
    assert!(kinds(&c).contains(&"case.upstream_refused".to_owned()), "{c}");
    assert_eq!(relay(&app, 86_400).await, 0, "asked no more");
});
