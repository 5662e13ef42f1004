//! The platform's own downtime is the platform's breach: a deadline that fell
//! due while no instance ran gives whoever owed it a fresh period from the
//! restart, and the lapse is ONE platform breach — never a shop breach,
//! warning or down-ranking. In-process on both backends with the fake clock
//! (heartbeat, clock moved with nothing running, the start's outage check),
//! then once with a real `youying serve` killed and restarted.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::Clock;
use youying_core::ports::Store;
use youying_server::scheduler::heartbeat;
use youying_testkit::chat::{breaches, conversation, say, setup};
use youying_testkit::site::{self, Site};
use youying_testkit::{T0, TestApp, TestDb, TestUser, http_test};

const BIN: &str = env!("CARGO_BIN_EXE_youying");

/// The default reply rule (2 minutes).
const REPLY_SECS: i64 = 120;

fn kinds(list: &[Value]) -> Vec<(String, String)> {
    list.iter().map(|b| (b["kind"].as_str().unwrap().to_owned(), b["party"].as_str().unwrap().to_owned())).collect()
}

/// The instance beats at `T0 + 10 s`, a buyer asks, then nothing runs for ten
/// minutes; the next start finds the gap. Returns (owner, buyer, conversation).
async fn asked_then_down<S: Store>(app: &TestApp<S>) -> (TestUser, TestUser, i64) {
    app.staff("root", "admin").await;
    let (owner, _shop, buyer, conv) = setup(app).await;
    assert_eq!(heartbeat(&app.app, true).await.unwrap(), None, "a fresh database has no gap");
    app.clock.advance_secs(10);
    heartbeat(&app.app, false).await.unwrap();
    say(app, &buyer, conv, "卡密无效，在吗？").await; // due at T0 + 130 s
    app.clock.advance_secs(600); // down: nothing runs, the deadline lapses unseen
    let restart = app.clock.now();
    let outage = heartbeat(&app.app, true).await.unwrap().expect("the gap is an outage");
    assert_eq!((outage.from, outage.to), (T0.plus_secs(10), restart));
    let out = app.advance(0).await;
    assert_eq!((out.graced, out.fired), (1, 1), "the reply deadline graced; its warning fired as a no-op");
    (owner, buyer, conv)
}

async fn graced_reply_state<S: Store>(app: &TestApp<S>, buyer: &TestUser, conv: i64) {
    let c = conversation(app, buyer, conv).await;
    let restart = T0.plus_secs(610);
    assert_eq!(c["owner"], "shop", "no takeover: the merchant was not given its time");
    assert_eq!(c["reply_due"].as_i64(), Some(restart.plus_secs(REPLY_SECS).millis()), "{c}");
    assert_eq!(kinds(&breaches(app).await), vec![("platform_outage".to_owned(), "platform".to_owned())]);
    assert!(app.events_about("platform").await.contains(&"platform.outage".to_owned()));
    let events = app.events_about(&format!("conversation:{conv}")).await;
    assert_eq!(events.iter().filter(|k| *k == "deadline.graced").count(), 1, "{events:?}");
}

http_test!(a_reply_deadline_inside_an_outage_is_the_platforms_and_the_merchant_gets_a_fresh_period, |app| {
    let (owner, buyer, conv) = asked_then_down(&app).await;
    graced_reply_state(&app, &buyer, conv).await;
    // The merchant is told it has a fresh period and that the lapse is not its own.
    let shop = conversation(&app, &buyer, conv).await["shop_id"].as_i64().unwrap();
    let (_, notices) = app.get(&format!("/api/v1/notifications?shop_id={shop}"), Some(&owner.token)).await;
    let graced = notices.as_array().unwrap().iter().find(|n| n["kind"] == "deadline_graced").cloned();
    assert!(graced.is_some_and(|n| n["body"].as_str().unwrap().contains("不计为您的违约")), "{notices}");
    // … in the owner's own centre too (and so through its push channels), in words.
    let (_, mine) = app.get("/api/v1/notifications", Some(&owner.token)).await;
    let fresh =
        mine["items"].as_array().unwrap().iter().find(|n| n["text"].as_str().unwrap().contains("期限顺延")).cloned();
    let fresh = fresh.unwrap_or_else(|| panic!("{mine}"));
    assert_eq!(fresh["event"], "chat.waiting", "{fresh}");
    assert!(fresh["text"].as_str().unwrap().contains("请在平台恢复后 2 分钟 内处理"), "{fresh}");
    // The merchant answers within its fresh period: answered, in time, no shop breach.
    app.advance(100).await;
    say(&app, &owner, conv, "您好，马上为您补发。").await;
    app.advance(3 * REPLY_SECS).await;
    let c = conversation(&app, &buyer, conv).await;
    assert_eq!((c["owner"].as_str(), c["reply_due"].as_i64()), (Some("shop"), None), "{c}");
    assert_eq!(kinds(&breaches(&app).await), vec![("platform_outage".to_owned(), "platform".to_owned())]);
    let events = app.events_about(&format!("conversation:{conv}")).await;
    assert!(events.contains(&"chat.answered".to_owned()) && !events.contains(&"chat.taken_over".to_owned()));
    // Its grade is not charged with the outage: asked at T0 + 10 s, answered at
    // T0 + 710 s, 600 s of it the platform's downtime → a 100 s wait, in time.
    youying_server::grades::refresh(&app.app).await.unwrap();
    let (_, v) = app.get(&format!("/api/v1/public/shops/{}", c["shop_id"]), None).await;
    let f = &v["figures"];
    assert_eq!(
        (f["reply_p90_ms"].as_i64(), f["deadlines_met"].as_i64(), f["deadlines_missed"].as_i64()),
        (Some(100_000), Some(1), Some(0)),
        "{v}"
    );
    // No warning, no down-ranking: the shop has no penalty at all.
    let (s, p) = app.get("/api/v1/admin/penalties", Some(&app.staff("pen_admin", "admin").await.token)).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p.as_array().map(Vec::len), Some(0), "{p}");
});

http_test!(a_merchant_silent_after_its_fresh_period_is_taken_over_as_usual, |app| {
    let (_owner, buyer, conv) = asked_then_down(&app).await;
    graced_reply_state(&app, &buyer, conv).await;
    app.advance(REPLY_SECS).await; // the fresh period ends in silence
    let c = conversation(&app, &buyer, conv).await;
    assert_eq!(c["owner"], "platform", "{c}");
    let mut got = kinds(&breaches(&app).await);
    got.sort();
    assert_eq!(
        got,
        vec![("chat_reply".to_owned(), "shop".to_owned()), ("platform_outage".to_owned(), "platform".to_owned())],
        "the ordinary takeover after the grace, one platform breach for the outage"
    );
});

// A card-key case opened at T0 + 1 min; nothing runs from 11 h 59 min to
// 12 h 59 min, across the merchant's 12 h.
http_test!(a_case_merchant_window_inside_an_outage_is_graced, |app| {
    app.staff("root", "admin").await;
    let shop = youying_testkit::market::card_shop(&app, "outage", 5_000, "KEY-0001\nKEY-0002\n").await;
    let buyer = app.buyer("case_buyer").await;
    app.credit(&buyer, 5_000).await;
    let order = youying_testkit::market::bought(&app, &buyer, shop.product).await;
    app.advance(60).await;
    let (s, c) = app
        .post(
            &format!("/api/v1/orders/{order}/cases"),
            Some(&buyer.token),
            json!({ "type": "other", "description": "登录不上" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let case = c["id"].as_i64().unwrap();
    app.advance(11 * 3600 + 58 * 60).await; // T0 + 11 h 59 min: the last beat
    heartbeat(&app.app, true).await.unwrap();
    app.clock.advance_secs(3600);
    let restart = app.clock.now();
    assert!(heartbeat(&app.app, true).await.unwrap().is_some());
    assert_eq!(app.advance(0).await.graced, 1);
    let (_, d) = app.get(&format!("/api/v1/cases/{case}"), Some(&buyer.token)).await;
    assert_eq!(d["case"]["state"], "awaiting_merchant", "{d}");
    // min(12 h, 2 h) from the restart.
    assert_eq!(d["case"]["merchant_due"].as_i64(), Some(restart.plus_secs(2 * 3600).millis()), "{d}");
    assert_eq!(kinds(&breaches(&app).await), vec![("platform_outage".to_owned(), "platform".to_owned())]);
    // The merchant refunds within its fresh period: in time, no breach.
    app.advance(3600).await;
    let (s, c) = app
        .post(&format!("/api/v1/cases/{case}/actions"), Some(&shop.owner.token), json!({ "action": "refund" }))
        .await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("resolved_refunded")), "{c}");
    app.advance(2 * 3600).await;
    assert_eq!(kinds(&breaches(&app).await), vec![("platform_outage".to_owned(), "platform".to_owned())]);
    youying_server::grades::refresh(&app.app).await.unwrap();
    let (_, v) = app.get(&format!("/api/v1/public/shops/{}", shop.shop), None).await;
    let f = &v["figures"];
    assert_eq!((f["deadlines_met"].as_i64(), f["deadlines_missed"].as_i64()), (Some(1), Some(0)), "acted in time: {v}");
    let events = app.events_about(&format!("case:{case}")).await;
    assert_eq!(events.iter().filter(|k| *k == "deadline.graced").count(), 1, "{events:?}");
});

/// A real process, SIGKILLed while a buyer waits on a 3-second reply rule and
/// a case waits on a 5-second merchant window, started again after the outage
/// threshold: the merchant is given its 3 and 5 seconds again, answers and
/// refunds in them, and both lapses are the platform's.
async fn killed_while_a_buyer_waits(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let mut site = Site::start(BIN, db, dir.path());
    site.rules(
        json!({ "chat_reply_secs": 3, "warn_before_secs": 1, "case_merchant_secs": 5, "case_resolve_secs": 600 }),
    )
    .await;
    let (owner, shop) = site.merchant("outage_owner", "停机测试店").await;
    let (s, b) = site.put(&format!("/api/v1/shops/{shop}/bot"), Some(&owner.token), json!({ "enabled": false })).await;
    assert!(s.is_success(), "{b}");
    let buyer = site.buyer("outage_buyer").await;
    let (s, c) = site.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let conv = c["id"].as_i64().unwrap();
    let (s, m) = site
        .post(&format!("/api/v1/conversations/{conv}/messages"), Some(&buyer.token), json!({ "text": "在吗" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    // And a case on a key the shop sold, its 5 seconds running too.
    let product = site.card_product(&owner, shop, "停机测试卡", 1_000, "OUT-0001\nOUT-0002\n").await;
    site.credit(&buyer, 1_000).await;
    let (s, o) = site.post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": product })).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    let (s, c) = site
        .post(
            &format!("/api/v1/orders/{no}/cases"),
            Some(&buyer.token),
            json!({ "type": "other", "description": "登录不上" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let case = c["id"].as_i64().unwrap();
    // Signed in before the kill (sessions live in the database): after the
    // restart the merchant has only its fresh 3 seconds.
    let admin = site.admin().await;
    site.kill();
    let killed = std::time::Instant::now();
    // The outage needs the heartbeat to be older than the threshold: wait that
    // long (and no longer) before starting again.
    let threshold = std::time::Duration::from_millis(
        u64::try_from(youying_core::deadline::heartbeat::OUTAGE_AFTER_MS + 1_500).unwrap(),
    );
    tokio::time::sleep(threshold.saturating_sub(killed.elapsed())).await;
    site.restart();
    let mut all = Value::Null;
    for _ in 0..100 {
        all = site.get("/api/v1/breaches", Some(&admin.token)).await.1;
        if all.as_array().is_some_and(|a| a.len() >= 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let outage = ("platform_outage".to_owned(), "platform".to_owned());
    assert_eq!(kinds(all.as_array().unwrap()), vec![outage.clone(), outage.clone()], "{all} {}", site.log());
    // The merchant answers in its fresh 3 seconds: answered, nobody else charged.
    let (s, m) = site
        .post(&format!("/api/v1/conversations/{conv}/messages"), Some(&owner.token), json!({ "text": "您好" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (_, convs) = site.get("/api/v1/conversations", Some(&buyer.token)).await;
    let c = convs.as_array().unwrap().iter().find(|c| c["id"] == conv).cloned().unwrap();
    assert_eq!((c["owner"].as_str(), c["reply_due"].as_i64()), (Some("shop"), None), "{c}");
    // The merchant refunds the case in its fresh 5 seconds: resolved, in time.
    let (s, c) =
        site.post(&format!("/api/v1/cases/{case}/actions"), Some(&owner.token), json!({ "action": "refund" })).await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("resolved_refunded")), "{c}");
    let all = site.get("/api/v1/breaches", Some(&admin.token)).await.1;
    assert_eq!(kinds(all.as_array().unwrap()), vec![outage.clone(), outage], "only the platform's: {all}");
    site.kill();
    site::audit(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarted_after_an_outage_charges_the_platform_sqlite() {
    killed_while_a_buyer_waits(&TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarted_after_an_outage_charges_the_platform_postgres() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    killed_while_a_buyer_waits(&db).await;
}

// A direct top-up promised in 10 minutes; nothing runs from T0 to T0 + 15 min.
http_test!(a_topup_promise_inside_an_outage_is_graced, |app| {
    let admin = app.staff("root", "admin").await;
    let (owner, shop) = app.merchant("outage_top", "停机直充店").await;
    let topup = app
        .product(
            &owner,
            shop,
            json!({ "kind": "direct_topup", "category": "topup", "title": "QQ会员直充 1个月",
            "price_fen": 1_500, "topup_promise_secs": 600,
            "topup_fields": [{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }] }),
        )
        .await;
    let buyer = app.buyer("outage_top_buyer").await;
    app.credit(&buyer, 1_500).await;
    heartbeat(&app.app, true).await.unwrap();
    let (s, o) = app
        .post(
            "/api/v1/orders",
            Some(&buyer.token),
            json!({ "product_id": topup, "topup_target": { "qq": "123456789" } }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    app.clock.advance_secs(900);
    let restart = app.clock.now();
    assert!(heartbeat(&app.app, true).await.unwrap().is_some());
    assert_eq!(app.advance(0).await.graced, 1);
    let (_, o) = app.get(&format!("/api/v1/orders/{no}"), Some(&buyer.token)).await;
    assert_eq!(o["promise_due"].as_i64(), Some(restart.plus_secs(600).millis()), "its own 10 minutes again: {o}");
    // Not late yet: the buyer cannot cancel as if it were, the shop fulfils in time.
    let (s, _) = app.post(&format!("/api/v1/orders/{no}/cancel"), Some(&buyer.token), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.advance(300).await;
    let (s, o) =
        app.post(&format!("/api/v1/orders/{no}/fulfil"), Some(&owner.token), json!({ "note": "已充值" })).await;
    assert_eq!((s, o["state"].as_str()), (StatusCode::OK, Some("fulfilled")), "{o}");
    app.advance(600).await;
    let (_, b) = app.get(&format!("/api/v1/breaches?shop_id={shop}"), Some(&admin.token)).await;
    assert_eq!(kinds(b.as_array().unwrap()), vec![("platform_outage".to_owned(), "platform".to_owned())], "{b}");
});
