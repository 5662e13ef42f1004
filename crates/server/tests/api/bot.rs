//! The help bot in conversations, on both backends: it answers first from live
//! data, hands over at once (asked for a person, a repeated question, two
//! answers without 已解决, a dispute), and the 2-minute human deadline starts at
//! the hand-off. Buttons, the shop's switch, FAQs, order ownership, the per-day
//! counts and `POST /api/v1/bot/ask`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::chat::{conversation, say};
use youying_testkit::{T0, TestApp, TestUser, http_test};

const REPLY_MS: i64 = 120_000;

struct Setup {
    owner: TestUser,
    shop: i64,
    product: i64,
    buyer: TestUser,
    conv: i64,
}

/// A shop selling a ¥98 card with 3 keys in stock; a buyer opened a chat about it.
async fn setup<S: Store>(app: &TestApp<S>) -> Setup {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let product = app.product(&owner, shop, json!({ "instructions": "登录官网 → 充值中心 → 输入卡密" })).await;
    let (s, r) = app.import(&owner, product, "KEY-AAAA-0001\nKEY-AAAA-0002\nKEY-AAAA-0003\n", false).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let buyer = app.buyer("xiaoming").await;
    let (s, c) =
        app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop, "product_id": product })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    Setup { owner, shop, product, buyer, conv: c["id"].as_i64().unwrap() }
}

async fn messages<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64) -> Vec<Value> {
    let (s, m) = app.get(&format!("/api/v1/conversations/{conv}/messages"), Some(&who.token)).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    m.as_array().unwrap().clone()
}

/// The bot's latest answer, parsed.
async fn last_bot<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64) -> Value {
    let m = messages(app, who, conv).await;
    let b = m.iter().rev().find(|m| m["kind"] == "bot").expect("a bot answer");
    assert_eq!((b["side"].as_str(), b["sender_id"].as_i64()), (Some("system"), None), "marked as the bot's");
    serde_json::from_str(b["body"].as_str().unwrap()).unwrap()
}

async fn press<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64, action: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/conversations/{conv}/bot"), Some(&who.token), json!({ "action": action })).await
}

async fn days<S: Store>(app: &TestApp<S>, s: &Setup) -> (i64, i64, i64) {
    let (st, v) = app.get(&format!("/api/v1/shops/{}/bot", s.shop), Some(&s.owner.token)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let sum = |k: &str| v["days"].as_array().unwrap().iter().map(|d| d[k].as_i64().unwrap()).sum::<i64>();
    (sum("answered"), sum("settled"), sum("handed_over"))
}

http_test!(the_bot_answers_first_from_live_data_and_opens_no_deadline, |app| {
    let s = setup(&app).await;
    say(&app, &s.buyer, s.conv, "这个多少钱").await;
    let a = last_bot(&app, &s.buyer, s.conv).await;
    assert_eq!(a["intent"], "price", "{a}");
    assert!(a["text"].as_str().unwrap().contains("¥98.00"), "the stored price: {a}");
    assert_eq!(a["buttons"], json!(["已解决", "转人工"]));
    assert_eq!(a["handoff"], false);
    let c = conversation(&app, &s.buyer, s.conv).await;
    assert_eq!(c["reply_due"], Value::Null, "a settled question owes nobody an answer");
    say(&app, &s.buyer, s.conv, "还有货吗").await;
    let a = last_bot(&app, &s.buyer, s.conv).await;
    assert!(a["text"].as_str().unwrap().contains('3'), "the stock count: {a}");
    // The answers are evidence like any message, marked as the bot's.
    let events = app.events_about(&format!("conversation:{}", s.conv)).await;
    assert_eq!(events.iter().filter(|k| *k == "chat.message").count(), 5, "card, 2 questions, 2 answers: {events:?}");
    assert_eq!(days(&app, &s).await, (2, 0, 0));
    // 已解决 counts once; pressing it again has nothing to settle.
    let (st, _) = press(&app, &s.buyer, s.conv, "settled").await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = press(&app, &s.buyer, s.conv, "settled").await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("nothing_to_settle")), "{e}");
    let (st, _) = press(&app, &s.owner, s.conv, "settled").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "only the buyer presses the buyer's buttons");
    let (st, _) = press(&app, &s.buyer, s.conv, "maybe").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(days(&app, &s).await, (2, 1, 0));
    app.audit().await;
});

http_test!(asking_for_a_person_starts_the_two_minute_deadline_at_the_hand_off, |app| {
    let s = setup(&app).await;
    app.advance(30).await;
    say(&app, &s.buyer, s.conv, "转人工").await;
    let a = last_bot(&app, &s.buyer, s.conv).await;
    assert_eq!((a["handoff"].as_bool(), a["handoff_reason"].as_str()), (Some(true), Some("asked_for_human")), "{a}");
    let c = conversation(&app, &s.buyer, s.conv).await;
    assert_eq!(c["reply_due"].as_i64(), Some(T0.millis() + 30_000 + REPLY_MS), "the deadline starts at the hand-off");
    let events = app.events_about(&format!("conversation:{}", s.conv)).await;
    assert!(events.contains(&"chat.handed_over".to_owned()), "{events:?}");
    // While a person owes the answer, the bot stays out of the way.
    say(&app, &s.buyer, s.conv, "多少钱").await;
    assert_eq!(messages(&app, &s.buyer, s.conv).await.iter().filter(|m| m["kind"] == "bot").count(), 1);
    // Silence: the platform takes over at the deadline, as for any message.
    app.advance(120).await;
    let c = conversation(&app, &s.buyer, s.conv).await;
    assert_eq!(c["owner"], "platform", "{c}");
    assert_eq!(days(&app, &s).await, (0, 0, 1));
    app.audit().await;
});

http_test!(the_hand_off_button_and_the_loop_guard, |app| {
    let s = setup(&app).await;
    // Two answers in a row without 已解决: the third question goes to a person.
    say(&app, &s.buyer, s.conv, "多少钱").await;
    say(&app, &s.buyer, s.conv, "有货吗").await;
    say(&app, &s.buyer, s.conv, "怎么用").await;
    let a = last_bot(&app, &s.buyer, s.conv).await;
    assert_eq!(a["handoff_reason"], "too_many_answers", "{a}");
    let p2 = app.buyer("buyer_b").await;
    let (_, c) = app.post("/api/v1/conversations", Some(&p2.token), json!({ "shop_id": s.shop })).await;
    let conv = c["id"].as_i64().unwrap();
    // The same question again: a person, not the same answer twice.
    say(&app, &p2, conv, "怎么退款").await;
    say(&app, &p2, conv, "怎么退款？").await;
    assert_eq!(last_bot(&app, &p2, conv).await["handoff_reason"], "repeated_question");
    // 转人工 button: the deadline starts when it is pressed; pressing again changes nothing.
    let p3 = app.buyer("buyer_c").await;
    let (_, c3) = app.post("/api/v1/conversations", Some(&p3.token), json!({ "shop_id": s.shop })).await;
    let conv3 = c3["id"].as_i64().unwrap();
    say(&app, &p3, conv3, "支持什么付款方式").await;
    app.advance(10).await;
    let (st, v) = press(&app, &p3, conv3, "human").await;
    assert_eq!((st, v["reply_due"].as_i64()), (StatusCode::OK, Some(T0.millis() + 10_000 + REPLY_MS)), "{v}");
    let (st, v) = press(&app, &p3, conv3, "human").await;
    assert_eq!((st, v["reply_due"].as_i64()), (StatusCode::OK, Some(T0.millis() + 10_000 + REPLY_MS)));
    let notes: Vec<String> = messages(&app, &p3, conv3)
        .await
        .iter()
        .filter(|m| m["kind"] == "feedback" || m["kind"] == "system")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(notes.len(), 2, "one 转人工 note and one notice: {notes:?}");
    assert!(notes[1].contains("2 分钟"), "{notes:?}");
    app.audit().await;
});

http_test!(with_the_bot_off_or_a_person_talking_every_message_awaits_a_person, |app| {
    let s = setup(&app).await;
    app.set_bot(&s.owner, s.shop, false).await;
    let (_, v) = app.get(&format!("/api/v1/shops/{}/bot", s.shop), Some(&s.owner.token)).await;
    assert_eq!(v["enabled"], false);
    say(&app, &s.buyer, s.conv, "多少钱").await;
    assert!(messages(&app, &s.buyer, s.conv).await.iter().all(|m| m["kind"] != "bot"));
    assert_eq!(conversation(&app, &s.buyer, s.conv).await["reply_due"].as_i64(), Some(T0.millis() + REPLY_MS));
    // Someone else's shop cannot flip the switch.
    let (other, _) = app.merchant("owner_b", "乙店").await;
    let (st, _) =
        app.put(&format!("/api/v1/shops/{}/bot", s.shop), Some(&other.token), json!({ "enabled": true })).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // Back on: a person just answered, so the next question within 30 minutes still goes to people.
    app.set_bot(&s.owner, s.shop, true).await;
    say(&app, &s.owner, s.conv, "您好，¥98，现货").await;
    say(&app, &s.buyer, s.conv, "有货吗").await;
    assert!(messages(&app, &s.buyer, s.conv).await.iter().all(|m| m["kind"] != "bot"));
    say(&app, &s.owner, s.conv, "有的").await;
    app.advance(31 * 60).await;
    say(&app, &s.buyer, s.conv, "有货吗").await;
    assert_eq!(last_bot(&app, &s.buyer, s.conv).await["intent"], "stock", "half an hour later the bot is back");
    app.audit().await;
});

http_test!(orders_are_only_their_buyers_and_faqs_are_quoted, |app| {
    let s = setup(&app).await;
    app.credit(&s.buyer, 100_000).await;
    let (st, order) = app.buy(&s.buyer, s.product, 1, None).await;
    assert_eq!(st, StatusCode::CREATED, "{order}");
    let no = order["order"]["no"].as_str().unwrap().to_owned();
    say(&app, &s.buyer, s.conv, &format!("订单 {no} 到哪了")).await;
    let a = last_bot(&app, &s.buyer, s.conv).await;
    assert!(a["text"].as_str().unwrap().contains("腾讯Q币点卡"), "the buyer's own order: {a}");
    // Someone else types the number: nothing about the order.
    let stranger = app.buyer("stranger").await;
    let (_, c) = app.post("/api/v1/conversations", Some(&stranger.token), json!({ "shop_id": s.shop })).await;
    let conv = c["id"].as_i64().unwrap();
    say(&app, &stranger, conv, &format!("订单 {no} 到哪了")).await;
    let a = last_bot(&app, &stranger, conv).await;
    assert!(!a["text"].as_str().unwrap().contains("腾讯Q币点卡"), "{a}");
    let ask = |token: Option<String>, body: Value| {
        let app = &app;
        async move { app.call(Method::POST, "/api/v1/bot/ask", token.as_deref(), Some(body)).await }
    };
    let (st, _) = ask(Some(stranger.token.clone()), json!({ "text": "我的订单到哪了", "order_no": no })).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "someone else's order");
    let (st, _) = ask(None, json!({ "text": "我的订单到哪了", "order_no": no })).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "no order without signing in");
    let (st, r) = ask(Some(s.buyer.token.clone()), json!({ "text": "我的订单到哪了", "order_no": no })).await;
    assert_eq!((st, r["intent"].as_str()), (StatusCode::OK, Some("order_status")), "{r}");
    let (st, r) = ask(None, json!({ "text": "多少钱", "product_id": s.product })).await;
    assert_eq!(st, StatusCode::OK);
    assert!(r["answer"].as_str().unwrap().contains("¥98.00"), "{r}");
    assert!(r.get("confidence").is_some() && r["suggestions"].is_array());
    let (st, _) = ask(None, json!({ "text": "  " })).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = ask(None, json!({ "text": "多少钱", "product_id": 999_999 })).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The shop's FAQ: its owner edits it; the bot quotes it.
    let faq = json!({ "shop_id": s.shop, "question": "可以开发票吗", "answer": "本店可开电子发票，下单后联系客服提供抬头。" });
    let (st, _) = app.post("/api/v1/faq", Some(&stranger.token), faq.clone()).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "not the stranger's shop");
    let (st, item) = app.post("/api/v1/faq", Some(&s.owner.token), faq).await;
    assert_eq!(st, StatusCode::CREATED, "{item}");
    let (st, _) =
        app.post("/api/v1/faq", Some(&s.owner.token), json!({ "question": "平台问题", "answer": "只有管理员" })).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the platform FAQ is the admin's");
    let (st, _) = app
        .post("/api/v1/faq", Some(&s.owner.token), json!({ "shop_id": s.shop, "question": "", "answer": "x" }))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    app.advance(60).await;
    let third = app.buyer("third").await;
    let (_, c) = app.post("/api/v1/conversations", Some(&third.token), json!({ "shop_id": s.shop })).await;
    say(&app, &third, c["id"].as_i64().unwrap(), "能开发票吗").await;
    let a = last_bot(&app, &third, c["id"].as_i64().unwrap()).await;
    assert!(a["text"].as_str().unwrap().contains("电子发票"), "{a}");
    let id = item["id"].as_i64().unwrap();
    let (st, _) =
        app.put(&format!("/api/v1/faq/{id}"), Some(&stranger.token), json!({ "question": "x", "answer": "y" })).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = app.call(Method::DELETE, &format!("/api/v1/faq/{id}"), Some(&s.owner.token), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, list) = app.get(&format!("/api/v1/faq?shop_id={}", s.shop), None).await;
    assert_eq!(list, json!([]));
    app.audit().await;
});
