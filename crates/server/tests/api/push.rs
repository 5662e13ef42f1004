//! Push channels against the testkit's fake of every service: the right
//! events, signed, exactly once (two instances on one database, and across a
//! restart), retried after a 500, never sent to a channel switched off; a
//! reply pushed to the buyer only if unread after a minute; the notification
//! centre for every role.

use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use youying_core::ports::Store;
use youying_core::push::DeliveryState;
use youying_core::values::UserId;
use youying_core::{Clock, FakeClock};
use youying_server::push::PushOutcome;
use youying_testkit::chat::{say, setup};
use youying_testkit::fakepush::FakePush;
use youying_testkit::{T0, TestApp, TestDb, TestUser, http_test};

const SECRET: &str = "whsec-0123456789abcdef";
const TOKEN: &str = "123456:AAF-bot_token";
const ROBOT: &str = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa";
const SENDKEY: &str = "SCT12345TabcDEF";

/// Lets webhooks reach the fake on 127.0.0.1 (an admin's rule).
async fn allow_loopback<S: Store>(app: &TestApp<S>) {
    let admin = app.staff("root", "admin").await;
    app.set_rule(&admin, "allow_private_addresses", 1).await;
}

fn all_channels(fake: &FakePush) -> Value {
    json!({ "channels": [
        { "kind": "webhook", "enabled": true, "url": format!("{}/hook/laowang", fake.url()), "signing_secret": SECRET },
        { "kind": "telegram", "enabled": true, "chat_id": "-100200300", "bot_token": TOKEN },
        { "kind": "wecom", "enabled": true, "robot_key": ROBOT },
        { "kind": "serverchan", "enabled": true, "sendkey": SENDKEY },
    ]})
}

async fn put_channels<S: Store>(app: &TestApp<S>, who: &TestUser, body: Value) -> (StatusCode, Value) {
    app.put("/api/v1/me/channels", Some(&who.token), body).await
}

fn sign(body: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn sent(n: usize) -> PushOutcome {
    PushOutcome { sent: n, ..PushOutcome::default() }
}

async fn deliveries<S: Store>(app: &TestApp<S>, user: &TestUser) -> Vec<youying_core::push::Delivery> {
    let id = UserId(user.id);
    app.app.store.read(move |tx| tx.push_deliveries_of(id, 100)).await.unwrap()
}

http_test!(every_channel_gets_the_waiting_buyer_signed_and_once, |app| {
    let fake = FakePush::start().await;
    allow_loopback(&app).await;
    let (owner, _, buyer, conv) = setup(&app).await;
    let (s, got) = put_channels(&app, &owner, all_channels(&fake)).await;
    assert_eq!(s, StatusCode::OK, "{got}");
    let shown = got.to_string();
    assert!(!shown.contains(SECRET) && !shown.contains(TOKEN) && !shown.contains(ROBOT) && !shown.contains(SENDKEY));
    assert_eq!(got["channels"][0]["hint"], "••••cdef", "{got}");
    assert_eq!(got["channels"][4]["kind"], "email");

    say(&app, &buyer, conv, "充值没到账").await;
    assert_eq!(app.push_step(&fake.url()).await, sent(4));
    let hook = &fake.of_kind("webhook")[0];
    let body = hook.json();
    assert_eq!(hook.path, "/hook/laowang");
    assert_eq!(hook.signature.as_deref(), Some(sign(&hook.body).as_str()), "signed with the secret");
    assert_eq!(
        (body["event"].as_str(), body["subject"].as_str()),
        (Some("chat.waiting"), Some(&*format!("conversation:{conv}")))
    );
    assert_eq!(body["at"], T0.millis());
    assert_eq!(body["url"], app.url(&format!("/chat/{conv}")));
    let tg = &fake.of_kind("telegram")[0];
    assert_eq!(tg.path, format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(tg.json()["chat_id"], "-100200300");
    assert!(tg.json()["text"].as_str().unwrap().contains("买家等待人工"), "{}", tg.body);
    let wecom = &fake.of_kind("wecom")[0];
    assert_eq!((wecom.query.as_str(), wecom.json()["msgtype"].as_str()), (&*format!("key={ROBOT}"), Some("text")));
    let sc = &fake.of_kind("serverchan")[0];
    assert_eq!(sc.path, format!("/{SENDKEY}.send"));
    assert_eq!(sc.form("title").as_deref(), Some("【有应】买家等待人工"), "{}", sc.body);

    assert_eq!(app.push_step(&fake.url()).await, PushOutcome::default(), "nothing twice");
    // The 30-second warning and the takeover reach the same channels.
    app.advance(90).await;
    app.advance(30).await;
    app.push_step(&fake.url()).await;
    let events: Vec<String> =
        fake.of_kind("webhook").iter().map(|p| p.json()["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["chat.waiting", "chat.warning", "breach", "chat.taken_over"], "{events:?}");
    assert_eq!(fake.received().len(), 16);
});

http_test!(a_500_is_retried_and_a_channel_switched_off_gets_nothing, |app| {
    let fake = FakePush::start().await;
    let (owner, _, buyer, conv) = setup(&app).await;
    let only = |kind: &str, on: bool| json!({ "channels": [{ "kind": kind, "enabled": on, "sendkey": SENDKEY }] });
    let (s, b) = put_channels(&app, &owner, only("serverchan", true)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    fake.fail_next(1);
    say(&app, &buyer, conv, "在吗").await;
    assert_eq!(app.push_step(&fake.url()).await, PushOutcome { retried: 1, ..PushOutcome::default() });
    assert_eq!(app.push_step(&fake.url()).await, PushOutcome::default(), "not before the backoff");
    app.clock.advance_secs(15);
    assert_eq!(app.push_step(&fake.url()).await, sent(1));
    assert_eq!(fake.received().len(), 2, "one 500, one delivery");
    let d = &deliveries(&app, &owner).await[0];
    assert_eq!((d.state, d.attempts, d.last_status), (DeliveryState::Sent, 2, Some(200)));

    // Queued while on, switched off before it went: skipped.
    app.advance(90).await;
    let (s, _) = put_channels(&app, &owner, only("serverchan", false)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.push_step(&fake.url()).await, PushOutcome { skipped: 1, ..PushOutcome::default() });
    // Off: nothing is even queued.
    app.advance(30).await;
    assert_eq!(app.push_step(&fake.url()).await, PushOutcome::default());
    assert_eq!(fake.received().len(), 2);
    let (_, inbox) = app.get("/api/v1/notifications", Some(&owner.token)).await;
    // The owner's deposit money came in first (money.credited), then the chat's four.
    assert_eq!(inbox["unread"], 5, "the centre has every notice whatever the channels: {inbox}");
});

http_test!(a_reply_is_pushed_to_the_buyer_only_if_unread_after_a_minute, |app| {
    let fake = FakePush::start().await;
    let (owner, _, buyer, conv) = setup(&app).await;
    let (s, b) = put_channels(&app, &buyer, json!({ "channels": [
        { "kind": "telegram", "enabled": true, "chat_id": "@xiaoming_tg", "bot_token": TOKEN, "events": ["chat.reply"] }
    ]}))
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    say(&app, &buyer, conv, "卡密无效").await;
    say(&app, &owner, conv, "您好，马上为您补发").await;
    assert_eq!(app.push_step(&fake.url()).await, PushOutcome::default(), "the buyer may still be looking");
    app.clock.advance_secs(61);
    assert_eq!(app.push_step(&fake.url()).await, sent(1));
    assert!(fake.of_kind("telegram")[0].json()["text"].as_str().unwrap().contains("马上为您补发"));

    let m = say(&app, &owner, conv, "已补发，请查收").await;
    let (s, _) = app
        .post(&format!("/api/v1/conversations/{conv}/read"), Some(&buyer.token), json!({ "message_id": m["id"] }))
        .await;
    assert_eq!(s, StatusCode::OK);
    app.clock.advance_secs(61);
    assert_eq!(app.push_step(&fake.url()).await, PushOutcome { skipped: 1, ..PushOutcome::default() }, "read in time");
    assert_eq!(fake.received().len(), 1);
});

http_test!(the_notification_centre_serves_every_role, |app| {
    let (owner, shop, buyer, conv) = setup(&app).await;
    let (s, empty) = app.get("/api/v1/notifications", Some(&buyer.token)).await;
    assert_eq!(
        (s, empty["unread"].as_i64(), empty["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0), Some(0))
    );
    say(&app, &buyer, conv, "在吗").await;
    say(&app, &owner, conv, "在的").await;
    say(&app, &owner, conv, "请讲").await;
    let (_, inbox) = app.get("/api/v1/notifications", Some(&buyer.token)).await;
    assert_eq!(inbox["unread"], 2, "{inbox}");
    assert_eq!(inbox["items"][0]["event"], "chat.reply");
    assert_eq!(inbox["items"][0]["url"], format!("/chat/{conv}"));
    let first = inbox["items"][1]["id"].as_i64().unwrap();
    let (s, r) = app.post("/api/v1/notifications/read", Some(&buyer.token), json!({ "ids": [first] })).await;
    assert_eq!((s, r["marked"].as_i64(), r["unread"].as_i64()), (StatusCode::OK, Some(1), Some(1)));
    let (_, mine) = app.get("/api/v1/notifications", Some(&owner.token)).await;
    // The deposit's money.credited, then the waiting buyer.
    assert_eq!((mine["unread"].as_i64(), mine["items"][0]["event"].as_str()), (Some(2), Some("chat.waiting")));
    // Somebody else's ids mark nothing.
    let theirs = mine["items"][0]["id"].as_i64().unwrap();
    let (_, r) = app.post("/api/v1/notifications/read", Some(&buyer.token), json!({ "ids": [theirs] })).await;
    assert_eq!(r["marked"], 0);
    let (_, r) = app.post("/api/v1/notifications/read", Some(&buyer.token), json!({})).await;
    assert_eq!((r["marked"].as_i64(), r["unread"].as_i64()), (Some(1), Some(0)));
    // The shop team's older list still answers for the console.
    let (s, legacy) = app.get(&format!("/api/v1/notifications?shop_id={shop}"), Some(&owner.token)).await;
    assert!(s == StatusCode::OK && legacy.is_array(), "{legacy}");
});

http_test!(channels_are_checked_all_or_nothing_and_tested_one_by_one, |app| {
    let fake = FakePush::start().await;
    let owner = app.buyer("laowang").await;
    let hook =
        json!({ "kind": "webhook", "enabled": true, "url": format!("{}/hook", fake.url()), "signing_secret": SECRET });
    let (s, e) = put_channels(&app, &owner, json!({ "channels": [hook] })).await;
    assert_eq!(
        (s, e["code"].as_str(), e["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input"), Some("url")),
        "{e}"
    );
    let bad_tg = json!({ "kind": "telegram", "enabled": true, "chat_id": "not a chat", "bot_token": TOKEN });
    let good_sc = json!({ "kind": "serverchan", "enabled": true, "sendkey": SENDKEY });
    let (s, e) = put_channels(&app, &owner, json!({ "channels": [good_sc, bad_tg] })).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("chat_id")), "{e}");
    let (_, got) = app.get("/api/v1/me/channels", Some(&owner.token)).await;
    assert!(got["channels"].as_array().unwrap().iter().all(|c| c["enabled"] == false), "nothing stored: {got}");
    let (s, e) = put_channels(&app, &owner, json!({ "channels": [{ "kind": "wecom", "enabled": true }] })).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("robot_key")), "on needs a key");

    let (s, e) = app.post("/api/v1/me/channels/serverchan/test", Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "off: {e}");
    let (s, _) = put_channels(
        &app,
        &owner,
        json!({ "channels": [good_sc, { "kind": "wecom", "enabled": true, "robot_key": ROBOT }] }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, q) = app.post("/api/v1/me/channels/serverchan/test", Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{q}");
    assert_eq!(app.push_step(&fake.url()).await, sent(1), "that channel only");
    assert_eq!(fake.of_kind("serverchan")[0].form("title").as_deref(), Some("【有应】测试"));
    // A secret left out keeps the stored one.
    let (s, got) = put_channels(&app, &owner, json!({ "channels": [{ "kind": "wecom", "enabled": true }] })).await;
    assert_eq!((s, got["channels"][2]["hint"].as_str()), (StatusCode::OK, Some("••••5aaa")), "{got}");
    let (s, _) = app.post("/api/v1/me/channels/nope/test", Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});

/// Two instances on one database step their senders at the same moment; a
/// third then claims a row and "dies" mid-lease; a fourth after the lease
/// sends it: every notice reaches each channel exactly once.
async fn two_instances_then_a_restart<S: Store>(first: S, second: S, third: S) {
    let clock = FakeClock::at(T0);
    let a = TestApp::start(first, clock.clone(), false).await;
    let b = TestApp::start(second, clock.clone(), false).await;
    let fake = FakePush::start().await;
    let (owner, shop, buyer, conv) = setup(&a).await;
    let (s, body) = put_channels(
        &a,
        &owner,
        json!({ "channels": [
            { "kind": "serverchan", "enabled": true, "sendkey": SENDKEY },
            { "kind": "wecom", "enabled": true, "robot_key": ROBOT },
        ]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    say(&a, &buyer, conv, "在吗").await;
    for i in 1..6 {
        let other = a.buyer(&format!("buyer_{i}")).await;
        let (_, c) = a.post("/api/v1/conversations", Some(&other.token), json!({ "shop_id": shop })).await;
        say(&a, &other, c["id"].as_i64().unwrap(), "卡密无效").await;
    }
    let url = fake.url();
    let (x, y) = tokio::join!(a.push_step(&url), b.push_step(&url));
    assert_eq!(x.sent + y.sent, 12, "{x:?} {y:?}");
    assert_eq!(fake.received().len(), 12);

    // An instance claims the next notice's deliveries, then stops before sending.
    a.advance(90).await;
    let now = clock.now();
    let lease = youying_server::push::LEASE_SECS;
    let claimed = a.app.store.write(move |tx| tx.claim_push(now, now.plus_secs(lease), 100)).await.unwrap();
    assert_eq!(claimed.len(), 12, "six warnings, two channels each");
    a.stop().await;
    assert_eq!(b.push_step(&fake.url()).await, PushOutcome::default(), "leased to the stopped instance");
    b.stop().await;
    clock.advance_secs(lease);
    let c = TestApp::start(third, clock, false).await;
    assert_eq!(c.push_step(&fake.url()).await, sent(12), "after the lease, sent once");
    assert_eq!(c.push_step(&fake.url()).await, PushOutcome::default());
    assert_eq!(fake.received().len(), 24);
    c.audit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_then_a_restart_push_each_notice_once_sqlite() {
    let db = TestDb::sqlite();
    two_instances_then_a_restart(db.open_sqlite().unwrap(), db.open_sqlite().unwrap(), db.open_sqlite().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_then_a_restart_push_each_notice_once_postgres() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let open = || db.open_postgres(4);
    two_instances_then_a_restart(open().await.unwrap(), open().await.unwrap(), open().await.unwrap()).await;
}

async fn events_of<S: Store>(app: &TestApp<S>, who: &TestUser) -> Vec<String> {
    let (_, inbox) = app.get("/api/v1/notifications", Some(&who.token)).await;
    inbox["items"].as_array().unwrap().iter().rev().map(|n| n["event"].as_str().unwrap().to_owned()).collect()
}

http_test!(low_stock_is_told_once_per_crossing_and_a_topup_to_fulfil_at_once, |app| {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let other = app.buyer("stranger").await;
    let (s, _) =
        app.put(&format!("/api/v1/shops/{shop}/low-stock"), Some(&other.token), json!({ "threshold": 2 })).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only its owner");
    let (s, e) =
        app.put(&format!("/api/v1/shops/{shop}/low-stock"), Some(&owner.token), json!({ "threshold": -1 })).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("low_stock_threshold")));
    let (s, _) =
        app.put(&format!("/api/v1/shops/{shop}/low-stock"), Some(&owner.token), json!({ "threshold": 2 })).await;
    assert_eq!(s, StatusCode::OK);
    let product = app.product(&owner, shop, json!({})).await;
    app.import(&owner, product, "KEY-LOW-0001\nKEY-LOW-0002\nKEY-LOW-0003\n", false).await;
    let buyer = app.buyer("maijia").await;
    app.credit(&buyer, 100_000).await;
    for _ in 0..3 {
        let (s, o) = app.buy(&buyer, product, 1, None).await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
    }
    assert_eq!(
        events_of(&app, &owner).await,
        ["money.credited", "stock.low"],
        "3 → 2 is not below, 2 → 1 crosses, 1 → 0 does not again"
    );

    let topup = app
        .product(
            &owner,
            shop,
            json!({ "kind": "direct_topup", "category": "topup", "title": "王者荣耀点券直充",
            "price_fen": 1_000, "topup_fields": [{ "name": "uid", "label": "游戏ID" }] }),
        )
        .await;
    let (s, o) = app
        .post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": topup, "topup_target": { "uid": "88001" } }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(events_of(&app, &owner).await, ["money.credited", "stock.low", "topup.to_fulfil"]);
});

http_test!(a_case_tells_the_team_when_opened_and_2_hours_before_and_the_buyer_of_the_outcome, |app| {
    let s = youying_testkit::market::card_shop(&app, "anli", 9_800, "DEAD-0001\nGOOD-0002\n").await;
    let buyer = app.buyer("maijia").await;
    app.credit(&buyer, 100_000).await;
    let no = youying_testkit::market::bought(&app, &buyer, s.product).await;
    let (st, c) = app
        .post(
            &format!("/api/v1/orders/{no}/cases"),
            Some(&buyer.token),
            json!({ "type": "key_invalid", "description": "提示卡密已被使用" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    let case = c["id"].as_i64().unwrap();
    assert_eq!(events_of(&app, &s.owner).await, ["money.credited", "case.opened"]);
    app.advance(10 * 3_600 - 1).await;
    assert_eq!(events_of(&app, &s.owner).await, ["money.credited", "case.opened"], "not before 2 h are left");
    app.advance(1).await;
    assert_eq!(events_of(&app, &s.owner).await, ["money.credited", "case.opened", "case.due_soon"]);
    let (st, c) =
        app.post(&format!("/api/v1/cases/{case}/actions"), Some(&s.owner.token), json!({ "action": "reissue" })).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    let (st, _) =
        app.post(&format!("/api/v1/cases/{case}/actions"), Some(&buyer.token), json!({ "action": "accept" })).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(events_of(&app, &buyer).await, ["money.credited", "key.reissued", "case.decided"]);
});

http_test!(a_decided_withdrawal_is_told_to_its_requester_through_the_webhook, |app| {
    let fake = FakePush::start().await;
    allow_loopback(&app).await;
    let admin = app.signed_in("root", youying_testkit::PASSWORD).await;
    let buyer = app.buyer("maijia").await;
    let hook = json!({ "kind": "webhook", "enabled": true, "url": format!("{}/hook/maijia", fake.url()),
        "signing_secret": SECRET, "events": ["withdrawal.decided"] });
    let (s, b) = put_channels(&app, &buyer, json!({ "channels": [hook] })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    app.credit(&buyer, 10_000).await;
    let ask = json!({ "amount_fen": 5_000, "method": "alipay", "account": "maijia@example.com", "real_name": "李四" });
    let (s, w) = app.post("/api/v1/wallet/withdrawals", Some(&buyer.token), ask).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let id = w["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/platform/withdrawals/{id}/decide"),
            Some(&admin.token),
            json!({ "decision": "reject", "reason": "户名与实名不符" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.push_step(&fake.url()).await, sent(1));
    let body = fake.of_kind("webhook")[0].json();
    assert_eq!(body["event"], "withdrawal.decided");
    assert!(body["text"].as_str().unwrap().contains("户名与实名不符"), "{body}");
    assert_eq!(events_of(&app, &buyer).await, ["money.credited", "withdrawal.decided"]);
});

/// How many `chat.waiting` notices about `conv` are in `who`'s centre.
async fn waiting_about<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64) -> usize {
    let (_, inbox) = app.get("/api/v1/notifications", Some(&who.token)).await;
    let about = format!("conversation:{conv}");
    inbox["items"].as_array().unwrap().iter().filter(|n| n["event"] == "chat.waiting" && n["subject"] == about).count()
}

http_test!(the_platform_tells_its_agents_on_duty_and_everyone_when_nobody_is, |app| {
    let (_, shop, buyer, conv) = setup(&app).await;
    let on = app.staff("kefu_on", "platform_agent").await;
    let off = app.staff("kefu_off", "platform_agent").await;
    let admin = app.staff("root", "admin").await;
    let (s, _) = app.post("/api/v1/platform/duty", Some(&on.token), json!({ "on": true })).await;
    assert_eq!(s, StatusCode::OK);
    // The shop lets the buyer wait: the platform takes over and its agent on duty is told.
    say(&app, &buyer, conv, "在吗").await;
    app.advance(121).await;
    assert_eq!(waiting_about(&app, &on, conv).await, 1, "the agent on duty");
    assert_eq!(waiting_about(&app, &off, conv).await, 0, "an agent off duty is not woken");
    assert_eq!(waiting_about(&app, &admin, conv).await, 0, "nor the admin");
    // With nobody on duty, every agent and admin hears of the next one.
    let (s, _) = app.post("/api/v1/platform/duty", Some(&on.token), json!({ "on": false })).await;
    assert_eq!(s, StatusCode::OK);
    let other = app.buyer("xiaohong").await;
    let (s, c) = app.post("/api/v1/conversations", Some(&other.token), json!({ "shop_id": shop })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let conv2 = c["id"].as_i64().unwrap();
    say(&app, &other, conv2, "在吗").await;
    app.advance(121).await;
    for who in [&on, &off, &admin] {
        assert_eq!(waiting_about(&app, who, conv2).await, 1, "user {}", who.id);
    }
});

http_test!(money_credited_by_the_platform_reaches_the_buyer, |app| {
    let fake = FakePush::start().await;
    allow_loopback(&app).await;
    let buyer = app.buyer("xiaoming").await;
    let hook = json!({ "channels": [
        { "kind": "webhook", "enabled": true, "url": format!("{}/hook/xiaoming", fake.url()), "signing_secret": SECRET },
    ]});
    assert_eq!(put_channels(&app, &buyer, hook).await.0, StatusCode::OK);
    app.credit(&buyer, 12_345).await;
    let (_, inbox) = app.get("/api/v1/notifications", Some(&buyer.token)).await;
    assert_eq!(inbox["items"][0]["event"], "money.credited", "{inbox}");
    assert!(inbox["items"][0]["text"].as_str().unwrap().contains("¥123.45"), "{inbox}");
    assert_eq!(app.push_step(&fake.url()).await, sent(1));
    let got = fake.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].body.contains("money.credited") && got[0].body.contains("¥123.45"), "{:?}", got[0].body);
});
