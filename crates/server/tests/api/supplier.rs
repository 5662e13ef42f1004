//! 直充货源: the HTTP JSON supplier adapter against the fake supplier (every
//! outcome, and "unknown" is never mistaken for a failure), then the whole
//! order flow through the real server on both backends — a bound top-up
//! completed by the supplier's callback, by polling when the callback is lost,
//! refused or failed (buyer refunded), retried while the supplier is down;
//! forged, stale and misdirected callbacks changing nothing; and the API's
//! ugly cases. Every `http_test!` ends with the ledger and evidence audit.

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use youying_core::Clock as _;
use youying_core::FakeClock;
use youying_core::ports::Store;
use youying_dock::supplier::{Outcome, Supplier};
use youying_server::fakesupplier::Mode;
use youying_server::supplier::{HttpJsonSupplier, Refusal, Topup};
use youying_testkit::fakesupplier::SupplierServer;
use youying_testkit::{T0, TestApp, TestUser, http_test};

fn topup<'a>(no: &'a str, account: &'a str, notify_url: &'a str) -> Topup<'a> {
    Topup { out_order_no: no, sku: "QB100", quantity: 1, account, notify_url }
}

fn http() -> reqwest::Client {
    youying_server::state::tls_ready();
    reqwest::Client::new()
}

#[tokio::test]
async fn every_answer_of_the_fake_supplier_is_read_right() {
    let clock = FakeClock::at(T0);
    let sup = SupplierServer::start(clock.clone()).await;
    let a = HttpJsonSupplier::new(&sup.base_url(), &sup.app_id, &sup.secret);
    let (http, now) = (http(), T0.secs());

    let done = a.place(&http, &topup("T1", "123456", ""), now).await;
    assert!(matches!(done, Ok(Outcome::Success { ref proof, .. }) if proof.contains("S000001")), "{done:?}");
    // The same number again: the same order, not a second one.
    let again = a.place(&http, &topup("T1", "123456", ""), now).await;
    assert_eq!(again, done);
    assert_eq!(sup.fake.orders().len(), 1);
    assert_eq!(sup.fake.order("T1").map(|o| o.creates), Some(2));

    sup.fake.set_mode(Mode::Processing);
    assert_eq!(a.place(&http, &topup("T2", "123456", ""), now).await, Ok(Outcome::Unknown));
    assert_eq!(a.query(&http, "T2", now).await, Ok(Outcome::Unknown), "processing is asked again");
    sup.fake.complete("T2", "failed").await;
    assert!(matches!(a.query(&http, "T2", now).await, Ok(Outcome::Failed { .. })));
    assert_eq!(a.query(&http, "T404", now).await, Ok(Outcome::NotFound));

    sup.fake.set_mode(Mode::Refuse);
    assert_eq!(
        a.place(&http, &topup("T3", "123456", ""), now).await,
        Err(Refusal { code: 1001, message: "余额不足".into() })
    );
    assert!(sup.fake.order("T3").is_none(), "a refusal takes nothing");

    sup.fake.set_mode(Mode::TakeThenFail);
    assert_eq!(a.place(&http, &topup("T4", "123456", ""), now).await, Ok(Outcome::Unknown));
    assert!(sup.fake.order("T4").is_some(), "taken although the answer failed: unknown, not failed");

    sup.fake.set_mode(Mode::Down);
    assert_eq!(a.query(&http, "T4", now).await, Ok(Outcome::Unknown));
    let gone = HttpJsonSupplier::new("http://127.0.0.1:1", &sup.app_id, &sup.secret);
    assert_eq!(gone.place(&http, &topup("T5", "1", ""), now).await, Ok(Outcome::Unknown));

    // A request signed with another secret, or too old, is refused by the supplier.
    sup.fake.set_mode(Mode::Instant);
    let forged = HttpJsonSupplier::new(&sup.base_url(), &sup.app_id, "wrong-secret");
    assert!(matches!(forged.place(&http, &topup("T6", "1", ""), now).await, Err(Refusal { code: 401, .. })));
    assert!(matches!(a.place(&http, &topup("T7", "1", ""), now - 61).await, Err(Refusal { code: 401, .. })));
    assert!(sup.fake.order("T6").is_none() && sup.fake.order("T7").is_none());
}

#[tokio::test]
async fn completion_is_called_back_signed_unless_lost() {
    let clock = FakeClock::at(T0);
    let sup = SupplierServer::start(clock.clone()).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<serde_json::Value>();
    let receiver = axum::Router::new().route(
        "/cb",
        axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(v);
                "success"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cb = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });

    sup.fake.set_mode(Mode::Processing);
    let a = HttpJsonSupplier::new(&sup.base_url(), &sup.app_id, &sup.secret);
    a.place(&http(), &topup("C1", "123456", &cb), T0.secs()).await.unwrap();
    assert_eq!(sup.fake.complete("C1", "success").await, Some(200));
    let body = rx.recv().await.unwrap();
    let ours = Supplier::new(&sup.app_id, &sup.secret);
    let (no, outcome) = ours.callback(&body, T0.secs()).unwrap();
    assert_eq!(no, "C1");
    assert!(matches!(outcome, Outcome::Success { .. }));
    assert!(Supplier::new(&sup.app_id, "other").callback(&body, T0.secs()).is_err(), "signed with the shared secret");

    sup.fake.lose_callbacks(true);
    a.place(&http(), &topup("C2", "123456", &cb), T0.secs()).await.unwrap();
    assert_eq!(sup.fake.complete("C2", "success").await, None);
    assert!(matches!(a.query(&http(), "C2", T0.secs()).await, Ok(Outcome::Success { .. })), "polling finds it");
}

async fn allow_private<S: Store>(app: &TestApp<S>, on: bool) {
    let admin = app.staff("root", "admin").await;
    let (s, b) =
        app.put("/api/v1/admin/rules", Some(&admin.token), json!({ "allow_private_addresses": i64::from(on) })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn add_supplier<S: Store>(
    app: &TestApp<S>,
    owner: &TestUser,
    shop: i64,
    base: &str,
    secret: &str,
) -> (StatusCode, Value) {
    let body = json!({ "name": "测试直充", "base_url": base, "app_id": "sup-test", "secret": secret });
    app.post(&format!("/api/v1/shops/{shop}/suppliers"), Some(owner.token.as_str()), body).await
}

fn topup_listing() -> Value {
    json!({ "category": "topup", "kind": "direct_topup", "title": "QQ会员 1个月 直充", "price_fen": 1_450,
            "topup_fields": [{ "name": "zone", "label": "区服" }, { "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }] })
}

/// A shop with a fake supplier added and a top-up bound to its SKU (account: the `qq` field).
struct Bound {
    owner: TestUser,
    shop: i64,
    sid: i64,
    product: i64,
    sup: SupplierServer,
    buyer: TestUser,
}

async fn bound<S: Store>(app: &TestApp<S>) -> Bound {
    allow_private(app, true).await;
    let sup = SupplierServer::start(app.clock.clone()).await;
    let (owner, shop) = app.merchant("sup_owner", "直充小铺").await;
    let (s, c) = add_supplier(app, &owner, shop, &sup.base_url(), &sup.secret).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let sid = c["id"].as_i64().unwrap();
    let product = app.product(&owner, shop, topup_listing()).await;
    let body = json!({ "supplier_id": sid, "sku": "QQVIP-1M", "account_field": "qq" });
    let (s, b) = app.put(&format!("/api/v1/shops/{shop}/products/{product}/supplier"), Some(&owner.token), body).await;
    assert_eq!((s, b["sku"].as_str()), (StatusCode::OK, Some("QQVIP-1M")), "{b}");
    let buyer = app.buyer("sup_buyer").await;
    app.credit(&buyer, 5_000).await;
    Bound { owner, shop, sid, product, sup, buyer }
}

async fn buy<S: Store>(app: &TestApp<S>, b: &Bound) -> (StatusCode, Value) {
    let body = json!({ "product_id": b.product, "topup_target": { "zone": "一区", "qq": "123456" } });
    app.post("/api/v1/orders", Some(&b.buyer.token), body).await
}

async fn state<S: Store>(app: &TestApp<S>, b: &Bound, no: &str) -> Value {
    let (s, o) = app.get(&format!("/api/v1/orders/{no}"), Some(&b.buyer.token)).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    o
}

async fn steps<S: Store>(app: &TestApp<S>, secs: i64) -> usize {
    app.clock.advance_secs(secs);
    youying_server::sourcing::run_orders(&app.app, None).await.unwrap()
}

async fn escrow<S: Store>(app: &TestApp<S>) -> i64 {
    app.app.store.read(|tx| tx.balance(youying_core::money::Account::Escrow)).await.unwrap()
}

/// A callback about `no` signed with `secret` at `at_secs`.
fn callback(b: &Bound, secret: &str, no: &str, status: &str, at_secs: i64) -> Vec<u8> {
    let mut f = Map::new();
    f.insert("out_order_no".into(), no.into());
    f.insert("order_no".into(), "S000001".into());
    f.insert("status".into(), status.into());
    f.insert("proof".into(), "伪造".into());
    serde_json::to_vec(&Supplier::new(&b.sup.app_id, secret).seal(f, at_secs)).unwrap()
}

async fn post_raw<S: Store>(app: &TestApp<S>, path: &str, body: Vec<u8>) -> (StatusCode, String) {
    let resp =
        app.client.post(app.url(path)).header("content-type", "application/json").body(body).send().await.unwrap();
    let status = resp.status();
    (status, resp.text().await.unwrap_or_default())
}

http_test!(a_bound_top_up_completes_by_the_supplier_s_callback, |app| {
    let b = bound(&app).await;
    b.sup.fake.set_mode(Mode::Processing);
    let (s, o) = buy(&app, &b).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::CREATED, Some("awaiting_fulfilment")), "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    let taken = b.sup.fake.orders();
    assert_eq!(taken.len(), 1, "exactly one supplier order");
    assert_eq!((taken[0].account.as_str(), taken[0].sku.as_str(), taken[0].creates), ("123456", "QQVIP-1M", 1));
    let path = format!("/dock/supplier/{}", b.sid);
    assert!(taken[0].notify_url.ends_with(&path), "{}", taken[0].notify_url);

    // Forged, stale, not JSON, NUL bytes: 401 and nothing changes.
    let now = app.clock.now().secs();
    for (body, why) in [
        (callback(&b, "wrong-secret", &no, "refunded", now), "forged"),
        (callback(&b, &b.sup.secret, &no, "refunded", now - 61), "stale"),
        (b"{not json".to_vec(), "malformed"),
        (b"{\"out_order_no\":\"\0\"}".to_vec(), "NUL bytes"),
        (br#"{"out_order_no":"x","status":"success"}"#.to_vec(), "unsigned"),
    ] {
        let (s, text) = post_raw(&app, &path, body).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{why}: {text}");
        assert!(text.contains("\"code\""), "{why}: {text}");
    }
    // Signed right, but sent for another supplier's connection: not its order.
    let other = SupplierServer::start(app.clock.clone()).await;
    let (s, c) = add_supplier(&app, &b.owner, b.shop, &other.base_url(), &other.secret).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let elsewhere = format!("/dock/supplier/{}", c["id"]);
    let (s, _) = post_raw(&app, &elsewhere, callback(&b, &b.sup.secret, &no, "refunded", now)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = post_raw(&app, &path, callback(&b, &b.sup.secret, "20261125NOSUCH", "refunded", now)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(state(&app, &b, &no).await["state"], "awaiting_fulfilment");
    assert_eq!((escrow(&app).await, app.balance(&b.buyer).await), (1_450, 3_550));

    assert_eq!(b.sup.fake.complete(&no, "success").await, Some(200));
    let o = state(&app, &b, &no).await;
    assert_eq!(
        (o["state"].as_str(), o["fulfil_note"].as_str()),
        (Some("fulfilled"), Some("供货商流水 S000001")),
        "{o}"
    );
    let protect = o["protect_until"].as_i64().unwrap();
    assert!(protect > app.clock.now().millis(), "the protection window started: {o}");
    // The same callback again, and a late "refunded" one: no second effect.
    assert_eq!(b.sup.fake.complete(&no, "success").await, Some(200));
    let (s, text) = post_raw(&app, &path, callback(&b, &b.sup.secret, &no, "refunded", now)).await;
    assert_eq!((s, text.as_str()), (StatusCode::OK, "success"));
    let o = state(&app, &b, &no).await;
    assert_eq!((o["state"].as_str(), o["protect_until"].as_i64()), (Some("fulfilled"), Some(protect)), "{o}");
    assert_eq!((escrow(&app).await, app.balance(&b.buyer).await), (1_450, 3_550));
    let events = app.events_about(&format!("order:{no}")).await;
    assert_eq!(events.iter().filter(|e| *e == "order.fulfilled").count(), 1, "{events:?}");
    assert_eq!(steps(&app, 3_600).await, 0, "nothing owed any more");
    assert_eq!(b.sup.fake.orders().len(), 1);
});

http_test!(a_bound_top_up_completes_by_polling_when_the_callback_is_lost, |app| {
    let b = bound(&app).await;
    b.sup.fake.set_mode(Mode::Processing);
    b.sup.fake.lose_callbacks(true);
    let (s, o) = buy(&app, &b).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::CREATED, Some("awaiting_fulfilment")), "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    // "processing", asked many times, is never a refund.
    for _ in 0..5 {
        assert_eq!(steps(&app, youying_core::sourcing::order::POLL_SECS).await, 1);
        assert_eq!(state(&app, &b, &no).await["state"], "awaiting_fulfilment");
    }
    assert_eq!(b.sup.fake.complete(&no, "success").await, None, "the callback is lost");
    assert_eq!(state(&app, &b, &no).await["state"], "awaiting_fulfilment");
    assert_eq!(steps(&app, youying_core::sourcing::order::POLL_SECS).await, 1);
    let o = state(&app, &b, &no).await;
    assert_eq!(
        (o["state"].as_str(), o["fulfil_note"].as_str()),
        (Some("fulfilled"), Some("供货商流水 S000001")),
        "{o}"
    );
    assert_eq!(steps(&app, 3_600).await, 0);
    assert_eq!((b.sup.fake.orders().len(), b.sup.fake.order(&no).map(|o| o.creates)), (1, Some(1)));
    assert_eq!((escrow(&app).await, app.balance(&b.buyer).await), (1_450, 3_550));
    let (_, list) = app.get(&format!("/api/v1/shops/{}/suppliers", b.shop), Some(&b.owner.token)).await;
    assert_eq!(list[0]["health"], "ok", "{list}");
});

http_test!(a_refused_or_failed_top_up_refunds_the_buyer_in_full, |app| {
    let b = bound(&app).await;
    b.sup.fake.set_mode(Mode::Refuse);
    let (s, e) = buy(&app, &b).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("source_refused")), "{e}");
    assert!(b.sup.fake.orders().is_empty(), "nothing taken");
    assert_eq!((escrow(&app).await, app.balance(&b.buyer).await), (0, 5_000));

    b.sup.fake.set_mode(Mode::Processing);
    let (s, o) = buy(&app, &b).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    assert_eq!(b.sup.fake.complete(&no, "failed").await, Some(200));
    assert_eq!(state(&app, &b, &no).await["state"], "refunded");
    assert_eq!((escrow(&app).await, app.balance(&b.buyer).await), (0, 5_000));
    assert_eq!(steps(&app, 3_600).await, 0);
});

http_test!(a_supplier_that_is_down_is_retried_and_places_one_order, |app| {
    let b = bound(&app).await;
    b.sup.fake.set_mode(Mode::Down);
    let (s, o) = buy(&app, &b).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::ACCEPTED, Some("sourcing")), "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    assert_eq!(steps(&app, 11).await, 1, "retried");
    assert_eq!(state(&app, &b, &no).await["state"], "sourcing", "never failed for silence");
    let (_, list) = app.get(&format!("/api/v1/shops/{}/suppliers", b.shop), Some(&b.owner.token)).await;
    assert_eq!((list[0]["health"].as_str(), list[0]["failures"].as_i64()), (Some("failing"), Some(2)), "{list}");
    // Up again: asked first (never taken), then placed once, done at once.
    b.sup.fake.set_mode(Mode::Instant);
    assert_eq!(steps(&app, 21).await, 1);
    assert_eq!(state(&app, &b, &no).await["state"], "fulfilled");
    assert_eq!((b.sup.fake.orders().len(), b.sup.fake.order(&no).map(|o| o.creates)), (1, Some(1)));

    // Taken, then a 500: unknown; the next ask finds it, and one order stays one.
    b.sup.fake.set_mode(Mode::TakeThenFail);
    let (s, o) = buy(&app, &b).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::ACCEPTED, Some("sourcing")), "{o}");
    let no2 = o["order"]["no"].as_str().unwrap().to_owned();
    b.sup.fake.set_mode(Mode::Processing);
    assert_eq!(steps(&app, 11).await, 1);
    assert_eq!(state(&app, &b, &no2).await["state"], "awaiting_fulfilment");
    assert_eq!(b.sup.fake.complete(&no2, "success").await, Some(200));
    assert_eq!(state(&app, &b, &no2).await["state"], "fulfilled");
    assert_eq!((b.sup.fake.orders().len(), b.sup.fake.order(&no2).map(|o| o.creates)), (2, Some(1)));
    assert_eq!((escrow(&app).await, app.balance(&b.buyer).await), (2_900, 2_100));
});

http_test!(suppliers_and_bindings_refuse_what_is_not_the_merchant_s, |app| {
    let sup = SupplierServer::start(app.clock.clone()).await;
    let (owner, shop) = app.merchant("sup_owner", "直充小铺").await;
    // The rule at 0: a loopback supplier is refused before any call.
    let (s, e) = add_supplier(&app, &owner, shop, &sup.base_url(), &sup.secret).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("private_address")), "{e}");
    allow_private(&app, true).await;
    let (s, e) = add_supplier(&app, &owner, shop, &sup.base_url(), "not-the-secret").await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("supplier_refused")), "{e}");
    assert!(e["code"].is_string() && e["message"].is_string(), "{e}");
    let (s, e) = add_supplier(&app, &owner, shop, "http://127.0.0.1:9", &sup.secret).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unreachable")), "{e}");
    let (s, c) = add_supplier(&app, &owner, shop, &sup.base_url(), &sup.secret).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert!(!c.to_string().contains(&sup.secret), "{c}");
    let sid = c["id"].as_i64().unwrap();
    // A supplier is not an upstream: never listed, synced or mapped as one.
    let (_, ups) = app.get(&format!("/api/v1/shops/{shop}/upstreams"), Some(&owner.token)).await;
    assert_eq!(ups.as_array().map(Vec::len), Some(0), "{ups}");
    let (s, _) = app.get(&format!("/api/v1/shops/{shop}/upstreams/{sid}"), Some(&owner.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(youying_server::sourcing::run_syncs(&app.app).await.unwrap(), 0);

    let topup = app.product(&owner, shop, topup_listing()).await;
    let card = app.product(&owner, shop, json!({})).await;
    let bind = |pid: i64, body: Value| {
        let (app, owner) = (&app, &owner);
        async move { app.put(&format!("/api/v1/shops/{shop}/products/{pid}/supplier"), Some(&owner.token), body).await }
    };
    let (s, e) = bind(card, json!({ "supplier_id": sid, "sku": "X" })).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("topup_product")), "{e}");
    let (s, e) = bind(topup, json!({ "supplier_id": sid, "sku": " " })).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sku")), "{e}");
    let (s, e) = bind(topup, json!({ "supplier_id": sid, "sku": "X", "account_field": "nope" })).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("account_field")), "{e}");
    let (s, b) = bind(topup, json!({ "supplier_id": sid, "sku": "QQVIP-1M" })).await;
    assert_eq!((s, b["account_field"].as_str()), (StatusCode::OK, Some("zone")), "the first field by default: {b}");

    // Another owner: their shop with this supplier or product, or this shop: 404.
    let (other, other_shop) = app.merchant("other_owner", "别人的店").await;
    let theirs = app.product(&other, other_shop, topup_listing()).await;
    for (method, path, body) in [
        (reqwest::Method::GET, format!("/api/v1/shops/{shop}/suppliers"), None),
        (reqwest::Method::DELETE, format!("/api/v1/shops/{shop}/suppliers/{sid}"), None),
        (reqwest::Method::DELETE, format!("/api/v1/shops/{other_shop}/suppliers/{sid}"), None),
        (
            reqwest::Method::PUT,
            format!("/api/v1/shops/{shop}/products/{topup}/supplier"),
            Some(json!({ "supplier_id": sid, "sku": "Y" })),
        ),
        (
            reqwest::Method::PUT,
            format!("/api/v1/shops/{other_shop}/products/{theirs}/supplier"),
            Some(json!({ "supplier_id": sid, "sku": "Y" })),
        ),
        (
            reqwest::Method::PUT,
            format!("/api/v1/shops/{other_shop}/products/{topup}/supplier"),
            Some(json!({ "supplier_id": sid, "sku": "Y" })),
        ),
        (reqwest::Method::DELETE, format!("/api/v1/shops/{shop}/products/{topup}/supplier"), None),
    ] {
        let (s, e) = app.call(method.clone(), &path, Some(&other.token), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {e}");
    }
    let (s, b) = app.get(&format!("/api/v1/shops/{shop}/products/{topup}/supplier"), Some(&owner.token)).await;
    assert_eq!((s, b["sku"].as_str()), (StatusCode::OK, Some("QQVIP-1M")), "untouched: {b}");

    // Removal waits for the unbinding.
    let del = |path: String| {
        let (app, owner) = (&app, &owner);
        async move { app.call(reqwest::Method::DELETE, &path, Some(&owner.token), None).await }
    };
    let (s, e) = del(format!("/api/v1/shops/{shop}/suppliers/{sid}")).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::CONFLICT, Some("supplier_in_use")), "{e}");
    assert_eq!(del(format!("/api/v1/shops/{shop}/products/{topup}/supplier")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(del(format!("/api/v1/shops/{shop}/suppliers/{sid}")).await.0, StatusCode::NO_CONTENT);
    let (_, list) = app.get(&format!("/api/v1/shops/{shop}/suppliers"), Some(&owner.token)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
});
