//! The 2-minute rule on both backends: answered in time, taken over by the
//! platform at the deadline with a breach, platform misses measured too, a
//! restart in the middle, and live delivery over the websocket.

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

use youying_testkit::chat::{breaches, conversation, say, setup};

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
    youying_server::state::tls_ready();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_on_one_instance_shows_to_a_buyer_on_another() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let clock = FakeClock::at(T0);
    let a = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), false).await;
    let b = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), false).await;
    let (owner, _, buyer, conv) = setup(&a).await;
    let mut buyer_ws = connect(a.addr, &buyer.token).await;
    let mut owner_ws = connect(b.addr, &owner.token).await;
    // Listeners connect in the background: retry until one typing frame crosses.
    let mut seen = None;
    for _ in 0..20 {
        let frame = json!({ "type": "typing", "conversation_id": conv }).to_string();
        owner_ws.send(Ws::Text(frame.into())).await.unwrap();
        if let Ok(e) = tokio::time::timeout(Duration::from_millis(500), next_event(&mut buyer_ws, "typing")).await {
            seen = Some(e);
            break;
        }
    }
    let e = seen.expect("the merchant's typing on instance B reached the buyer on instance A");
    assert_eq!((e["side"].as_str(), e["conversation"]["id"].as_i64()), (Some("shop"), Some(conv)));
    a.audit().await;
}

/// Two servers with their schedulers running on one PostgreSQL database race
/// for the same reply deadlines: every silent conversation is taken over once,
/// with one breach, and a buyer connected to either instance sees it live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_take_each_silent_conversation_over_exactly_once() {
    const BUYERS: usize = 12;
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let clock = FakeClock::at(T0);
    let a = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), true).await;
    let b = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), true).await;
    a.staff("root", "admin").await;
    let (owner, shop) = a.merchant("laowang", "星辰点卡").await;
    a.set_bot(&owner, shop, false).await;
    let mut convs = Vec::new();
    for i in 0..BUYERS {
        // Half the buyers live on each instance.
        let app = if i % 2 == 0 { &a } else { &b };
        let buyer = app.buyer(&format!("buyer{i}")).await;
        let (s, c) = app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let conv = c["id"].as_i64().unwrap();
        say(app, &buyer, conv, "在吗？卡密用不了").await;
        let ws = connect(app.addr, &buyer.token).await;
        convs.push((conv, buyer, ws));
    }
    clock.advance_secs(121);
    // Both schedulers wake within a second; every buyer sees the takeover live.
    for (conv, _, ws) in &mut convs {
        let e = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                let e = next_event(ws, "message").await;
                if e["message"]["side"] == "system" {
                    return e;
                }
            }
        })
        .await
        .expect("takeover seen live");
        assert_eq!(
            (e["conversation"]["id"].as_i64(), e["conversation"]["owner"].as_str()),
            (Some(*conv), Some("platform"))
        );
    }
    for (conv, buyer, _) in &convs {
        let kinds = a.events_about(&format!("conversation:{conv}")).await;
        assert_eq!(kinds.iter().filter(|k| *k == "chat.taken_over").count(), 1, "conversation {conv}: {kinds:?}");
        let (_, msgs) = b.get(&format!("/api/v1/conversations/{conv}/messages"), Some(&buyer.token)).await;
        let notices = msgs.as_array().unwrap().iter().filter(|m| m["side"] == "system").count();
        assert_eq!(notices, 1, "one 平台客服已介入 notice in conversation {conv}");
    }
    let shop_breaches = breaches(&a).await.into_iter().filter(|b| b["kind"] == "chat_reply").count();
    assert_eq!(shop_breaches, BUYERS, "one breach per silent conversation, not one per instance");
    a.stop().await;
    b.audit().await;
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
    let (s, _) = app.get("/api/v1/notifications?scope=platform", Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the platform's list is staff's");

    let (s, d) = app.post("/api/v1/platform/duty", Some(&agent.token), json!({ "on": true })).await;
    assert_eq!((s, d["on_duty"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    app.clock.advance_secs(30 * 60);
    let (_, d) = app.post("/api/v1/platform/duty", Some(&agent.token), json!({ "on": false })).await;
    assert_eq!((d["minutes_covered"].as_i64(), d["on_duty"].as_array().map(Vec::len)), (Some(30), Some(0)));
    assert!(d["minutes_elapsed"].as_i64().unwrap() >= 30);
    let (s, _) = app.post("/api/v1/platform/duty", Some(&buyer.token), json!({ "on": true })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

// ---- pictures ------------------------------------------------------------------

// ---- read receipts ---------------------------------------------------------------

/// The next `read` event from `side`, skipping others (each sender's own
/// messages move its own side's position too).
async fn next_read(ws: &mut Socket, side: &str) -> Value {
    loop {
        let e = next_event(ws, "read").await;
        if e["side"] == side {
            return e;
        }
    }
}

async fn mark<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64, message_id: i64) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/conversations/{conv}/read"), Some(&who.token), json!({ "message_id": message_id })).await
}

http_test!(read_receipts_reach_the_other_side, |app| {
    let (owner, shop, buyer, conv) = setup(&app).await;
    let mut buyer_ws = connect(app.addr, &buyer.token).await;
    let mut owner_ws = connect(app.addr, &owner.token).await;
    let first = say(&app, &buyer, conv, "卡密无效").await["id"].as_i64().unwrap();
    let second = say(&app, &buyer, conv, "请看截图").await["id"].as_i64().unwrap();
    let (_, list) = app.get(&format!("/api/v1/conversations?shop_id={shop}"), Some(&owner.token)).await;
    assert_eq!((list[0]["unread_by_shop"].as_i64(), list[0]["shop_read_id"].as_i64()), (Some(2), Some(0)));

    let (s, r) = mark(&app, &owner, conv, first).await;
    assert_eq!((s, r["side"].as_str(), r["message_id"].as_i64()), (StatusCode::OK, Some("shop"), Some(first)));
    let e = next_read(&mut buyer_ws, "shop").await;
    assert_eq!(e["read_id"].as_i64(), Some(first));
    assert_eq!(
        (e["conversation"]["shop_read_id"].as_i64(), e["conversation"]["unread_by_shop"].as_i64()),
        (Some(first), Some(1))
    );
    let (_, r) = mark(&app, &owner, conv, second).await;
    assert_eq!(r["message_id"].as_i64(), Some(second));
    let (s, r) = mark(&app, &owner, conv, first).await;
    assert_eq!((s, r["message_id"].as_i64()), (StatusCode::OK, Some(second)), "backwards is ignored");
    assert_eq!(conversation(&app, &buyer, conv).await["shop_read_id"].as_i64(), Some(second));
    let kinds = app.events_about(&format!("conversation:{conv}")).await;
    assert_eq!(kinds.iter().filter(|k| *k == "chat.read").count(), 2, "each step forward once: {kinds:?}");

    // Only participants, and only this conversation's messages.
    let stranger = app.buyer("nosy").await;
    let (s, e) = mark(&app, &stranger, conv, second).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (_, other_shop) = app.merchant("owner_b", "乙店").await;
    let (_, own) = app.post("/api/v1/conversations", Some(&stranger.token), json!({ "shop_id": other_shop })).await;
    let theirs = say(&app, &stranger, own["id"].as_i64().unwrap(), "别处的消息").await["id"].as_i64().unwrap();
    let (s, e) = mark(&app, &owner, conv, theirs).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("message_id")));
    let (s, _) = mark(&app, &owner, conv, 999_999).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // The shop answers (and so has read); the buyer's tab reads it over the websocket.
    let reply = say(&app, &owner, conv, "马上处理").await["id"].as_i64().unwrap();
    buyer_ws
        .send(Ws::Text(json!({ "type": "read", "conversation_id": conv, "message_id": reply }).to_string().into()))
        .await
        .unwrap();
    let mut e = next_read(&mut owner_ws, "buyer").await;
    while e["read_id"].as_i64() != Some(reply) {
        e = next_read(&mut owner_ws, "buyer").await; // the buyer's own messages came first
    }
    assert_eq!(e["conversation"]["buyer_read_id"].as_i64(), Some(reply));
    // A stranger's socket asking to mark it gets an error, and changes nothing.
    let mut nosy_ws = connect(app.addr, &stranger.token).await;
    nosy_ws
        .send(Ws::Text(json!({ "type": "read", "conversation_id": conv, "message_id": reply }).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_event(&mut nosy_ws, "error").await["code"], "not_found");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_on_one_instance_reaches_a_buyer_on_another() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    let clock = FakeClock::at(T0);
    let a = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), false).await;
    let b = TestApp::start(db.open_postgres(4).await.unwrap(), clock.clone(), false).await;
    let (owner, _, buyer, conv) = setup(&a).await;
    let mut ws = connect(a.addr, &buyer.token).await;
    let owner_on_b = b.signed_in(&owner.username, youying_testkit::PASSWORD).await;
    // As for messages: retry until both listeners are up (never a fixed sleep).
    let mut seen = false;
    for attempt in 0..20 {
        a.clock.advance_secs(2); // the buyer's message allowance refills
        let id = say(&a, &buyer, conv, &format!("第{attempt}次")).await["id"].as_i64().unwrap();
        let (s, _) = mark(&b, &owner_on_b, conv, id).await;
        assert_eq!(s, StatusCode::OK);
        let got = tokio::time::timeout(Duration::from_millis(500), async {
            loop {
                if next_read(&mut ws, "shop").await["read_id"].as_i64() == Some(id) {
                    return;
                }
            }
        })
        .await;
        if got.is_ok() {
            seen = true;
            break;
        }
    }
    assert!(seen, "a read on instance B reached the buyer on instance A");
    a.audit().await;
}
