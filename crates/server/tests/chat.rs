//! The 2-minute rule on both backends: answered in time, taken over by the
//! platform at the deadline with a breach, platform misses measured too, a
//! restart in the middle, and live delivery over the websocket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use youying_core::FakeClock;
use youying_core::ports::Store;
use youying_testkit::{T0, TestApp, TestDb, TestUser, http_test};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn setup<S: Store>(app: &TestApp<S>) -> (TestUser, i64, TestUser, i64) {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let buyer = app.buyer("xiaoming").await;
    let (s, c) = app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (owner, shop, buyer, c["id"].as_i64().unwrap())
}

async fn say<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64, text: &str) -> Value {
    let (s, m) =
        app.post(&format!("/api/v1/conversations/{conv}/messages"), Some(&who.token), json!({ "text": text })).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m
}

async fn conversation<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64) -> Value {
    let (_, list) = app.get("/api/v1/conversations", Some(&who.token)).await;
    list.as_array().unwrap().iter().find(|c| c["id"] == conv).cloned().unwrap()
}

async fn breaches<S: Store>(app: &TestApp<S>) -> Vec<Value> {
    let admin = app.signed_in("root", youying_testkit::PASSWORD).await;
    let (_, b) = app.get("/api/v1/breaches", Some(&admin.token)).await;
    b.as_array().unwrap().clone()
}

http_test!(a_reply_in_time_clears_the_deadline, |app| {
    app.staff("root", "admin").await;
    let (owner, _, buyer, conv) = setup(&app).await;
    say(&app, &buyer, conv, "卡密显示已使用，怎么办？").await;
    let c = conversation(&app, &buyer, conv).await;
    assert_eq!((c["owner"].as_str(), c["reply_due"].as_i64()), (Some("shop"), Some(T0.millis() + 120_000)));
    say(&app, &buyer, conv, "在吗").await;
    assert_eq!(
        conversation(&app, &buyer, conv).await["reply_due"].as_i64(),
        Some(T0.millis() + 120_000),
        "the clock runs from the first unanswered message"
    );
    assert_eq!(app.advance(90).await.fired, 1, "the 30-second warning");
    app.clock.advance_secs(20);
    say(&app, &owner, conv, "您好，马上为您补发。").await;
    assert_eq!(app.advance(3_600).await.fired, 0, "answered: nothing fires");
    assert!(breaches(&app).await.is_empty());
    assert!(conversation(&app, &buyer, conv).await["reply_due"].is_null());
    let kinds = app.events_about(&format!("conversation:{conv}")).await;
    assert!(kinds.contains(&"chat.answered".to_owned()), "{kinds:?}");
});

http_test!(silence_moves_the_buyer_to_the_platform_within_the_deadline, |app| {
    app.staff("root", "admin").await;
    let agent = app.staff("kefu", "agent").await;
    let (owner, shop, buyer, conv) = setup(&app).await;
    say(&app, &buyer, conv, "充值没到账").await;
    assert_eq!(app.advance(119).await.fired, 1, "only the warning before the deadline");
    let out = app.advance(1).await;
    assert_eq!((out.fired, out.lateness_ms), (1, vec![0]), "at the deadline, not a second later");
    let c = conversation(&app, &buyer, conv).await;
    assert_eq!(c["owner"], "platform");
    assert_eq!(c["reply_due"].as_i64(), Some(T0.millis() + 240_000), "the platform owns a fresh 2 minutes");
    let b = breaches(&app).await;
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0]["kind"].as_str(), b[0]["party"].as_str(), b[0]["shop_id"].as_i64()),
        (Some("chat_reply"), Some("shop"), Some(shop))
    );
    let (_, msgs) = app.get(&format!("/api/v1/conversations/{conv}/messages"), Some(&buyer.token)).await;
    assert_eq!(msgs.as_array().unwrap().last().unwrap()["body"], "平台客服已介入，将在规定时间内为您处理。");
    let (_, queue) = app.get("/api/v1/conversations?queue=platform", Some(&agent.token)).await;
    assert_eq!(queue[0]["id"].as_i64(), Some(conv));

    // The platform is measured the same way.
    assert_eq!(app.advance(120).await.fired, 2);
    let b = breaches(&app).await;
    assert_eq!(
        (b.len(), b[0]["party"].as_str(), b[0]["kind"].as_str()),
        (2, Some("platform"), Some("platform_chat_reply"))
    );
    say(&app, &agent, conv, "平台客服为您处理，已联系商家。").await;
    say(&app, &owner, conv, "抱歉，已补发").await;
    assert_eq!(app.advance(600).await.fired, 0);
    assert_eq!(breaches(&app).await.len(), 2, "each miss recorded once");
});

http_test!(conversations_are_private_and_messages_checked, |app| {
    let (_, shop, buyer, conv) = setup(&app).await;
    let other = app.buyer("nosy").await;
    let (s, _) = app.get(&format!("/api/v1/conversations/{conv}/messages"), Some(&other.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(&format!("/api/v1/conversations/{conv}/messages"), Some(&other.token), json!({ "text": "插话" }))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, other_shop) = app.merchant("owner_b", "乙店").await;
    let (s, _) = app
        .get(
            &format!("/api/v1/conversations?shop_id={shop}"),
            Some(&app.signed_in("owner_b", youying_testkit::PASSWORD).await.token),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another shop's owner: {other_shop}");
    for bad in ["", "   ", &"字".repeat(2_001)] {
        let (s, _) = app
            .post(&format!("/api/v1/conversations/{conv}/messages"), Some(&buyer.token), json!({ "text": bad }))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let m = say(&app, &buyer, conv, "<script>alert(1)</script>").await;
    assert_eq!(m["body"], "<script>alert(1)</script>", "stored as written; escaped where shown");
    let mut last = StatusCode::CREATED;
    for i in 0..12 {
        last = app
            .post(
                &format!("/api/v1/conversations/{conv}/messages"),
                Some(&buyer.token),
                json!({ "text": format!("第{i}条") }),
            )
            .await
            .0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS, "a burst is limited");
    let (s, _) = app
        .post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop, "order_no": "202611250000000001" }))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "someone else's (or no) order");
});

async fn connect(addr: std::net::SocketAddr, token: &str) -> Socket {
    let mut req = format!("ws://{addr}/api/v1/ws").into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The next event of `kind`, waiting at most five seconds.
async fn next_event(ws: &mut Socket, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next()).await.expect("event in time").unwrap().unwrap();
        if let Ws::Text(t) = frame {
            let v: Value = serde_json::from_str(&t).unwrap();
            if v["type"] == kind {
                return v;
            }
        }
    }
}

http_test!(the_buyer_sees_replies_and_the_takeover_live, |app| {
    let (owner, _, buyer, conv) = setup(&app).await;
    let mut ws = connect(app.addr, &buyer.token).await;
    let r = reqwest::Client::new().get(app.url("/api/v1/ws")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no credentials, no socket");
    say(&app, &buyer, conv, "有人吗").await;
    let e = next_event(&mut ws, "message").await;
    assert_eq!(e["message"]["body"], "有人吗");
    app.advance(120).await;
    let e = next_event(&mut ws, "message").await;
    assert_eq!(
        (e["message"]["side"].as_str(), e["conversation"]["owner"].as_str()),
        (Some("system"), Some("platform")),
        "平台客服已介入, live"
    );
    say(&app, &owner, conv, "来了来了").await;
    let e = next_event(&mut ws, "message").await;
    assert_eq!(e["message"]["body"], "来了来了");
    ws.send(Ws::Text(json!({ "type": "resume", "conversation_id": conv, "after": 0 }).to_string().into()))
        .await
        .unwrap();
    let first = next_event(&mut ws, "message").await;
    assert_eq!(first["message"]["body"], "有人吗", "a reconnecting client gets what it missed");
    let mut stranger = connect(app.addr, &app.buyer("stranger").await.token).await;
    say(&app, &buyer, conv, "私密消息").await;
    assert!(tokio::time::timeout(Duration::from_millis(500), stranger.next()).await.is_err(), "others see nothing");
});

async fn restart_case<S: Store>(first: S, second: S) {
    let clock = FakeClock::at(T0);
    let before = TestApp::start(first, clock.clone(), false).await;
    let (_, _, buyer, conv) = setup(&before).await;
    say(&before, &buyer, conv, "在吗？").await;
    before.stop().await;
    clock.advance_secs(180);
    let after = TestApp::start(second, clock, true).await;
    for _ in 0..200 {
        if conversation(&after, &buyer, conv).await["owner"] == "platform" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(conversation(&after, &buyer, conv).await["owner"], "platform");
    let kinds = after.events_about(&format!("conversation:{conv}")).await;
    assert_eq!(kinds.iter().filter(|k| *k == "chat.taken_over").count(), 1, "{kinds:?}");
    after.audit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_still_takes_over_once_sqlite() {
    let db = TestDb::sqlite();
    restart_case(db.open_sqlite().unwrap(), db.open_sqlite().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_still_takes_over_once_postgres() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    restart_case(db.open_postgres(4).await.unwrap(), db.open_postgres(4).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_posted_to_one_instance_reaches_a_buyer_on_another() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let clock = FakeClock::at(T0);
    let a = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), false).await;
    let b = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), false).await;
    let (owner, _, buyer, conv) = setup(&a).await;
    let mut ws = connect(a.addr, &buyer.token).await;
    let owner_on_b = b.signed_in(&owner.username, youying_testkit::PASSWORD).await;
    // The instances' listeners connect in the background: until both listen, a
    // notification can pass unseen, so retry until one arrives (never a fixed sleep).
    let mut delivered = None;
    for attempt in 0..20 {
        let text = format!("从另一台实例回复 {attempt}");
        let sent = std::time::Instant::now();
        say(&b, &owner_on_b, conv, &text).await;
        let got = tokio::time::timeout(Duration::from_millis(500), async {
            loop {
                let e = next_event(&mut ws, "message").await;
                if e["message"]["body"] == text.as_str() {
                    return sent.elapsed();
                }
            }
        })
        .await;
        if let Ok(latency) = got {
            delivered = Some(latency);
            break;
        }
    }
    let latency = delivered.expect("a reply posted on instance B reached the buyer on instance A");
    eprintln!("cross-instance delivery: {latency:?}");
    a.audit().await;
}

http_test!(claims_warnings_and_platform_duty, |app| {
    let agent = app.staff("kefu", "agent").await;
    let (owner, shop, buyer, conv) = setup(&app).await;
    let (s, c) = app.post(&format!("/api/v1/conversations/{conv}/assign"), Some(&owner.token), json!({})).await;
    assert_eq!((s, c["assignee_id"].as_i64()), (StatusCode::OK, Some(owner.id)));
    let (s, _) = app
        .post(&format!("/api/v1/conversations/{conv}/assign"), Some(&owner.token), json!({ "user_id": buyer.id }))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only a colleague on the same side");
    say(&app, &buyer, conv, "请尽快处理").await;
    app.advance(90).await;
    let (_, notices) = app.get(&format!("/api/v1/notifications?shop_id={shop}"), Some(&owner.token)).await;
    assert_eq!(notices[0]["kind"], "chat_due_soon", "{notices}");
    let (s, _) = app.get("/api/v1/notifications", Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, d) = app.post("/api/v1/platform/duty", Some(&agent.token), json!({ "on": true })).await;
    assert_eq!((s, d["on_duty"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    app.clock.advance_secs(30 * 60);
    let (_, d) = app.post("/api/v1/platform/duty", Some(&agent.token), json!({ "on": false })).await;
    assert_eq!((d["minutes_covered"].as_i64(), d["on_duty"].as_array().map(Vec::len)), (Some(30), Some(0)));
    assert!(d["minutes_elapsed"].as_i64().unwrap() >= 30);
    let (s, _) = app.post("/api/v1/platform/duty", Some(&buyer.token), json!({ "on": true })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});
