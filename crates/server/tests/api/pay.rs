//! Money in through a 易支付 gateway (the fake one the tests start), on both
//! backends: credited exactly once, and only on the gateway's query saying paid
//! for the amount asked, whatever the notifies say or how often they come.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store as _;
use youying_testkit::fakepay::{FakeGateway, QueryFault};
use youying_testkit::{TestApp, TestUser, http_test};

const FEN: i64 = 1_250;

async fn setup<S: youying_core::ports::Store>(app: &TestApp<S>) -> (FakeGateway, TestUser, TestUser) {
    let gw = FakeGateway::start_v1().await;
    let admin = app.staff("root", "admin").await;
    app.use_gateway(&admin, "main", &gw).await;
    (gw, admin, app.buyer("payer").await)
}

fn out(p: &Value) -> &str {
    p["out_trade_no"].as_str().unwrap()
}

http_test!(a_paid_top_up_is_credited_once_and_replays_change_nothing, |app| {
    let (gw, _, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    assert_eq!((p["state"].as_str(), p["amount_fen"].as_i64()), (Some("pending"), Some(FEN)));
    assert!(p["pay_url"].as_str().unwrap().contains("/submit.php?"), "{p}");
    assert!(p["out_trade_no"].as_str().unwrap().len() <= 32);

    let deliveries = gw.fake.pay(out(&p)).await;
    assert_eq!(deliveries.iter().map(|d| d.body.as_str()).collect::<Vec<_>>(), ["success"]);
    let now = app.top_up(&buyer, &p).await;
    assert_eq!((now["state"].as_str(), now["settled_by"].as_str()), (Some("paid"), Some("query")));
    assert_eq!(now["pay_url"], Value::Null);
    assert_eq!(app.balance(&buyer).await, FEN);

    // The same notify again (the gateway retries, or someone replays it).
    let replay = gw.fake.notify_query(out(&p)).unwrap();
    assert_eq!(app.send_notify("main", &replay).await, "success");
    assert_eq!(app.balance(&buyer).await, FEN);
    let subject = format!("payment:{}", out(&p));
    assert_eq!(
        app.events_about(&subject).await,
        ["payment.created", "payment.notified", "payment.queried", "payment.credited"]
    );
    // The public service report shows the money in, by day.
    let (s, report) = app.get("/api/v1/public/service-report", None).await;
    assert_eq!(s, StatusCode::OK);
    let days = &report["windows"][0]["money_by_day"];
    assert_eq!((days[0]["paid_in_fen"].as_i64(), days[0]["paid_out_fen"].as_i64()), (Some(FEN), Some(0)), "{days}");
});

http_test!(twenty_identical_notifies_at_once_credit_once, |app| {
    let (gw, _, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    gw.fake.mark_paid(out(&p));
    let query = gw.fake.notify_query(out(&p)).unwrap();
    let answers = futures_util::future::join_all((0..20).map(|_| app.send_notify("main", &query))).await;
    assert!(answers.iter().all(|a| a == "success"), "{answers:?}");
    assert_eq!(app.balance(&buyer).await, FEN);
    assert_eq!(app.top_up(&buyer, &p).await["state"], "paid");
});

http_test!(notifies_that_fail_a_check_credit_nothing, |app| {
    let (gw, _, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    gw.fake.mark_paid(out(&p));
    let o = out(&p);
    let bad = [
        gw.fake.forged_notify(o, &[], &[]).unwrap(),
        gw.fake.signed_notify(o, &[("pid", "9999")], &[]).unwrap(),
        gw.fake.signed_notify(o, &[], &["trade_status"]).unwrap(),
        gw.fake.signed_notify(o, &[("trade_status", "TRADE_CLOSED")], &[]).unwrap(),
        gw.fake.signed_notify(o, &[("money", "12.51")], &[]).unwrap(),
        gw.fake.signed_notify(o, &[("out_trade_no", "Y000unknown")], &[]).unwrap(),
        "pid=1&sign=x&out_trade_no=%00%00".to_owned(),
        format!("{}&x=", "a".repeat(9_000)),
    ];
    for q in &bad {
        assert_eq!(app.send_notify("main", q).await, "fail", "{q}");
    }
    assert_eq!(app.send_notify("nosuch", &gw.fake.notify_query(o).unwrap()).await, "fail");
    assert_eq!(app.balance(&buyer).await, 0);
    assert_eq!(app.top_up(&buyer, &p).await["state"], "pending");
    // Every one is kept, verified or not.
    let id = p["id"].as_i64().unwrap();
    let kept = app.app.store.read(move |tx| tx.notifies_of(id)).await.unwrap();
    assert!(kept.len() >= 5 && kept.iter().all(|n| !n.verified), "{kept:?}");

    // A field the gateway added, signed with the rest, is fine.
    let extra = gw.fake.signed_notify(o, &[("buyer", "2088xxx")], &[]).unwrap();
    assert_eq!(app.send_notify("main", &extra).await, "success");
    assert_eq!(app.balance(&buyer).await, FEN);
});

http_test!(a_signed_notify_the_query_calls_unpaid_credits_nothing_until_it_says_paid, |app| {
    let (gw, _, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    gw.fake.set_query_fault(QueryFault::SaysUnpaid);
    gw.fake.pay(out(&p)).await;
    assert_eq!(app.balance(&buyer).await, 0);
    assert_eq!(app.top_up(&buyer, &p).await["state"], "pending");
    gw.fake.set_query_fault(QueryFault::None);
    app.clock.advance_secs(60);
    assert_eq!(app.pay_step().await.credited, 1);
    assert_eq!(app.balance(&buyer).await, FEN);
});

http_test!(an_unreachable_gateway_is_asked_again_later_never_credited_blind, |app| {
    let (gw, _, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    gw.fake.set_query_fault(QueryFault::Unreachable);
    assert_eq!(gw.fake.pay(out(&p)).await[0].body, "success", "the notify is kept; the query is owed");
    assert_eq!(app.balance(&buyer).await, 0);
    assert_eq!(app.pay_step().await.credited, 0, "not due yet: backoff");
    app.clock.advance_secs(20);
    let step = app.pay_step().await;
    assert_eq!((step.asked, step.retried, step.credited), (1, 1, 0));
    gw.fake.set_query_fault(QueryFault::None);
    app.clock.advance_secs(60);
    assert_eq!(app.pay_step().await.credited, 1);
    assert_eq!(app.balance(&buyer).await, FEN);
});

http_test!(a_query_for_another_amount_credits_nothing, |app| {
    let (gw, _, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    gw.fake.set_query_fault(QueryFault::WrongMoney(FEN + 1));
    gw.fake.pay(out(&p)).await;
    assert_eq!(app.balance(&buyer).await, 0);
});

http_test!(a_payment_notified_after_expiry_is_still_credited, |app| {
    let (gw, _, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    app.advance(901).await;
    assert_eq!(app.top_up(&buyer, &p).await["state"], "expired");
    assert_eq!(app.pay_step().await.asked, 1, "an expired attempt is asked about once more");
    gw.fake.pay(out(&p)).await;
    assert_eq!(app.top_up(&buyer, &p).await["state"], "paid");
    assert_eq!(app.balance(&buyer).await, FEN);
});

http_test!(reconciliation_finds_a_payment_never_notified, |app| {
    let (gw, _, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    gw.fake.mark_paid(out(&p));
    assert_eq!(app.pay_step().await.asked, 0, "too young to ask about");
    app.clock.advance_secs(121);
    assert_eq!(app.pay_step().await.credited, 1);
    assert_eq!(app.balance(&buyer).await, FEN);
    let subject = format!("payment:{}", out(&p));
    assert!(!app.events_about(&subject).await.contains(&"payment.notified".to_owned()));
});

http_test!(an_admin_confirms_a_payment_by_hand_once, |app| {
    let (_gw, admin, buyer) = setup(&app).await;
    let p = app.start_top_up(&buyer, FEN).await;
    let path = format!("/api/v1/admin/topups/{}/confirm", p["id"]);
    let body = json!({"trade_no": "2026120700001", "reason": "网关后台已核实到账，通知丢失"});
    let (s, _) = app.post(&path, Some(&buyer.token), body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app.post(&path, Some(&admin.token), json!({"trade_no": "1", "reason": " "})).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (s, done) = app.post(&path, Some(&admin.token), body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!((done["state"].as_str(), done["settled_by"].as_str()), (Some("paid"), Some("hand")));
    let (s, again) = app.post(&path, Some(&admin.token), body).await;
    assert_eq!((s, again["reason"].as_str()), (StatusCode::CONFLICT, Some("payment_settled")));
    assert_eq!(app.balance(&buyer).await, FEN);
    let events = app.events_about(&format!("payment:{}", out(&p))).await;
    assert!(events.ends_with(&["payment.credited".to_owned(), "payment.confirmed".to_owned()]), "{events:?}");
});

http_test!(top_ups_keep_to_the_rules_and_to_their_payer, |app| {
    let (_gw, admin, buyer) = setup(&app).await;
    let start = |fen: i64, channel: &'static str| {
        app.post("/api/v1/wallet/topups", Some(&buyer.token), json!({"amount_fen": fen, "channel": channel}))
    };
    let (s, e) = start(99, "alipay").await;
    assert_eq!(
        (s, e["code"].as_str(), e["min_fen"].as_i64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("amount_out_of_range"), Some(100))
    );
    let (s, e) = start(500_001, "alipay").await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount_out_of_range")));
    let (s, e) = start(1_000, "qqpay").await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")));
    let (s, e) = start(1_000, "unionpay").await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("channel")));
    for _ in 0..4 {
        assert_eq!(start(500_000, "wxpay").await.0, StatusCode::CREATED);
    }
    let (s, e) = start(100, "alipay").await;
    assert_eq!(
        (s, e["code"].as_str(), e["left_fen"].as_i64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("daily_limit"), Some(0))
    );
    let (_, mine) = app.get("/api/v1/wallet/topups", Some(&buyer.token)).await;
    assert_eq!(mine.as_array().unwrap().len(), 4);

    let other = app.buyer("other").await;
    let path = format!("/api/v1/wallet/topups/{}", mine[0]["id"]);
    assert_eq!(app.get(&path, Some(&other.token)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&path, Some(&admin.token)).await.0, StatusCode::OK);
    assert_eq!(app.get("/api/v1/wallet/topups/999999", Some(&buyer.token)).await.0, StatusCode::NOT_FOUND);
});
