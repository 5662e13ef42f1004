//! Paying at checkout through a gateway, and a V2 (RSA) gateway end to end, on
//! both backends: the order is placed in the transaction that credits the
//! money, or — goods gone — the money stays in the wallet with a plain reason.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_testkit::fakepay::FakeGateway;
use youying_testkit::market::card_shop;
use youying_testkit::web::Web;
use youying_testkit::{TestApp, TestUser, http_test};

const PRICE: i64 = 1_234;

async fn pay_for<S: youying_core::ports::Store>(
    app: &TestApp<S>,
    buyer: &TestUser,
    product: i64,
) -> (StatusCode, Value) {
    app.post(
        "/api/v1/orders",
        Some(&buyer.token),
        json!({"product_id": product, "quantity": 1, "pay": {"channel": "alipay"}}),
    )
    .await
}

async fn open_cashier<S: youying_core::ports::Store>(app: &TestApp<S>, p: &Value) {
    let url = p["payment"]["pay_url"].as_str().unwrap();
    assert_eq!(app.client.get(url).send().await.unwrap().status(), StatusCode::OK);
}

http_test!(a_short_wallet_pays_the_difference_and_gets_its_key, |app| {
    let gw = FakeGateway::start_v1().await;
    let admin = app.staff("root", "admin").await;
    app.use_gateway(&admin, "main", &gw).await;
    let shop = card_shop(&app, "pay", PRICE, "KEY-PAID-0001\n").await;
    let buyer = app.buyer("short").await;
    app.credit(&buyer, 500).await;

    // Without a way to pay, a short wallet is refused as before; with one, a payment is due.
    let (s, e) = app.buy(&buyer, shop.product, 1, None).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_balance")));
    let (s, due) = pay_for(&app, &buyer, shop.product).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{due}");
    assert_eq!(due["payment"]["amount_fen"], PRICE - 500, "the difference only");
    assert_eq!(due["payment"]["purpose"], "checkout");
    open_cashier(&app, &due).await;

    let out = due["payment"]["out_trade_no"].as_str().unwrap();
    assert_eq!(gw.fake.pay(out).await[0].body, "success");
    let p = app.top_up(&buyer, &due["payment"]).await;
    assert_eq!(p["state"], "paid");
    let no = p["order_no"].as_str().expect("the order placed").to_owned();
    assert_eq!(app.balance(&buyer).await, 0, "the wallet and the payment bought it");
    let (s, units) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&buyer.token), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{units}");
    assert!(units.to_string().contains("KEY-PAID-0001"), "{units}");
    let events = app.events_about(&format!("payment:{out}")).await;
    assert!(events.ends_with(&["payment.credited".to_owned(), "payment.order_placed".to_owned()]), "{events:?}");
});

http_test!(paid_after_the_last_key_sold_the_money_stays_in_the_wallet, |app| {
    let gw = FakeGateway::start_v1().await;
    let admin = app.staff("root", "admin").await;
    app.use_gateway(&admin, "main", &gw).await;
    let shop = card_shop(&app, "last", PRICE, "ONLY-ONE-KEY\n").await;
    let (first, second) = (app.buyer("first").await, app.buyer("second").await);
    let (_, a) = pay_for(&app, &first, shop.product).await;
    let (_, b) = pay_for(&app, &second, shop.product).await;
    open_cashier(&app, &a).await;
    open_cashier(&app, &b).await;
    gw.fake.pay(a["payment"]["out_trade_no"].as_str().unwrap()).await;
    gw.fake.pay(b["payment"]["out_trade_no"].as_str().unwrap()).await;

    assert!(app.top_up(&first, &a["payment"]).await["order_no"].is_string());
    let late = app.top_up(&second, &b["payment"]).await;
    assert_eq!((late["state"].as_str(), late["order_no"].as_str()), (Some("paid"), None));
    assert_eq!(late["order_error"], "out_of_stock");
    assert_eq!(app.balance(&second).await, PRICE, "every fen paid is in the wallet");
    let (_, orders) = app.get("/api/v1/orders", Some(&second.token)).await;
    assert_eq!(orders.as_array().map(Vec::len), Some(0), "{orders}");

    // The page says so plainly.
    let (s, page) = Web::new(&app, &second).get(&format!("/wallet/topups/{}", late["id"])).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("已售罄") && page.contains("已全部存入余额"), "{page}");
});

http_test!(a_v2_gateway_signs_and_verifies_both_ways, |app| {
    let gw = FakeGateway::start_v2().await;
    gw.fake.set_clock(app.clock.clone());
    let admin = app.staff("root", "admin").await;
    app.use_gateway(&admin, "rsa", &gw).await;
    let buyer = app.buyer("rsa_payer").await;
    let p = app.start_top_up(&buyer, 2_000).await;
    assert!(p["pay_url"].as_str().unwrap().contains("sign_type=RSA"), "{p}");
    let out = p["out_trade_no"].as_str().unwrap();
    assert_eq!(gw.fake.pay(out).await[0].body, "success");
    assert_eq!(app.top_up(&buyer, &p).await["state"], "paid");
    assert_eq!(app.balance(&buyer).await, 2_000);
    // A V2 notify signed with any other key is refused.
    assert_eq!(app.send_notify("rsa", &gw.fake.forged_notify(out, &[], &[]).unwrap()).await, "fail");
});
