//! Reviews over HTTP on both backends: one per completed order (also under a
//! concurrent double submit), moderation (held → published or rejected with a
//! reason), the shop's one reply, no deletion, and the buyer anonymised in
//! every public answer.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::market::{self, Shop};
use youying_testkit::{PASSWORD, TestApp, TestDb, TestUser, http_test};

const PRICE: i64 = 2_500;

async fn shop<S: Store>(app: &TestApp<S>, name: &str) -> Shop {
    let keys: String = (0..8).map(|i| format!("{name}-KEY-{i:04}\n")).collect();
    market::card_shop(app, name, PRICE, &keys).await
}

/// A delivered order of `buyer`'s (not yet completed).
async fn order<S: Store>(app: &TestApp<S>, buyer: &TestUser, s: &Shop) -> String {
    market::bought(app, buyer, s.product).await
}

async fn completed<S: Store>(app: &TestApp<S>, buyer: &TestUser, s: &Shop) -> String {
    let no = order(app, buyer, s).await;
    let (st, o) = app.post(&format!("/api/v1/orders/{no}/confirm"), Some(&buyer.token), json!({})).await;
    assert_eq!((st, o["state"].as_str()), (StatusCode::OK, Some("completed")), "{o}");
    no
}

async fn buyer<S: Store>(app: &TestApp<S>, name: &str) -> TestUser {
    let b = app.buyer(name).await;
    app.credit(&b, 100_000).await;
    b
}

async fn review<S: Store>(app: &TestApp<S>, who: &TestUser, no: &str, stars: i64, text: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/orders/{no}/review"), Some(&who.token), json!({ "stars": stars, "text": text })).await
}

async fn public<S: Store>(app: &TestApp<S>, shop: i64) -> Value {
    let (st, p) = app.get(&format!("/api/v1/public/shops/{shop}/reviews"), None).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    p
}

async fn moderate<S: Store>(
    app: &TestApp<S>,
    who: &TestUser,
    id: i64,
    decision: &str,
    note: &str,
) -> (StatusCode, Value) {
    let body = json!({ "decision": decision, "note": note });
    app.post(&format!("/api/v1/platform/reviews/{id}/moderate"), Some(&who.token), body).await
}

http_test!(one_review_per_completed_order_by_its_buyer, |app| {
    let s = shop(&app, "one").await;
    let b = buyer(&app, "buyer_one").await;
    let other = buyer(&app, "buyer_other").await;
    let open = order(&app, &b, &s).await;
    let (st, e) = review(&app, &b, &open, 5, "好").await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("order_not_completed")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("完成"), "a clear message: {e}");

    let no = completed(&app, &b, &s).await;
    let (st, _) = review(&app, &other, &no, 5, "好").await;
    assert_eq!(st, StatusCode::NOT_FOUND, "someone else's order");
    for (stars, text) in [(0, "好"), (6, "好"), (5, &"长".repeat(501)[..])] {
        let (st, e) = review(&app, &b, &no, stars, text).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    }
    let (st, _) = app.get(&format!("/api/v1/orders/{no}/review"), Some(&b.token)).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "bad input wrote nothing");

    let (st, r) = review(&app, &b, &no, 4, "  卡密有效，发货快  ").await;
    assert_eq!(
        (st, r["state"].as_str(), r["text"].as_str()),
        (StatusCode::CREATED, Some("published"), Some("卡密有效，发货快"))
    );
    let (st, e) = review(&app, &b, &no, 1, "改成差评").await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("already_reviewed")), "{e}");
    let (_, mine) = app.get(&format!("/api/v1/orders/{no}/review"), Some(&b.token)).await;
    assert_eq!((mine["stars"].as_i64(), mine["text"].as_str()), (Some(4), Some("卡密有效，发货快")));
    let id = r["id"].as_i64().unwrap();
    assert_eq!(app.events_about(&format!("review:{id}")).await, vec!["review.written", "review.published"]);
    let p = public(&app, s.shop).await;
    assert_eq!(p["items"].as_array().unwrap().len(), 1);
    assert_eq!(p["items"][0]["stars"], 4);
});

http_test!(a_concurrent_double_submit_leaves_one_review, |app| {
    let s = shop(&app, "twice").await;
    let b = buyer(&app, "buyer_twice").await;
    let no = completed(&app, &b, &s).await;
    let (a, c) = tokio::join!(review(&app, &b, &no, 5, "第一次"), review(&app, &b, &no, 1, "第二次"));
    let mut statuses = vec![a.0, c.0];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::CREATED, StatusCode::CONFLICT], "{} / {}", a.1, c.1);
    let loser = if a.0 == StatusCode::CONFLICT { &a.1 } else { &c.1 };
    assert_eq!(loser["reason"], "already_reviewed", "{loser}");
    assert_eq!(public(&app, s.shop).await["items"].as_array().unwrap().len(), 1);
});

http_test!(held_reviews_are_published_or_rejected_with_a_reason, |app| {
    let s = shop(&app, "mod").await;
    let b = buyer(&app, "buyer_mod").await;
    let agent = app.staff("agent_mod", "agent").await;
    let (no1, no2) = (completed(&app, &b, &s).await, completed(&app, &b, &s).await);
    let (st, r1) = review(&app, &b, &no1, 1, "店主傻 逼，卡密无效").await;
    assert_eq!(
        (st, r1["state"].as_str(), r1["hold_reason"].as_str()),
        (StatusCode::CREATED, Some("held"), Some("insult"))
    );
    let (_, r2) = review(&app, &b, &no2, 1, "加我微信 kami12345 退款").await;
    assert_eq!((r2["state"].as_str(), r2["hold_reason"].as_str()), (Some("held"), Some("contact")));
    assert!(public(&app, s.shop).await["items"].as_array().unwrap().is_empty(), "held reviews are not public");

    let (st, _) = app.get("/api/v1/platform/reviews?state=held", Some(&b.token)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, q) = app.get("/api/v1/platform/reviews?state=held", Some(&agent.token)).await;
    assert_eq!((st, q.as_array().unwrap().len()), (StatusCode::OK, 2), "{q}");
    let (id1, id2) = (r1["id"].as_i64().unwrap(), r2["id"].as_i64().unwrap());
    assert_eq!(moderate(&app, &b, id1, "publish", "").await.0, StatusCode::FORBIDDEN);
    assert_eq!(moderate(&app, &s.owner, id1, "publish", "").await.0, StatusCode::FORBIDDEN);
    let (st, e) = moderate(&app, &agent, id2, "reject", "  ").await;
    assert_eq!((st, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("moderation_note")), "{e}");
    let (st, r) = moderate(&app, &agent, id2, "reject", "含联系方式，引导站外交易").await;
    assert_eq!((st, r["state"].as_str()), (StatusCode::OK, Some("rejected")), "{r}");
    let (st, r) = moderate(&app, &agent, id1, "publish", "批评商家，不算人身攻击").await;
    assert_eq!((st, r["state"].as_str()), (StatusCode::OK, Some("published")), "{r}");
    let (st, e) = moderate(&app, &agent, id1, "reject", "改主意").await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("review_already_moderated")));
    let (st, _) = moderate(&app, &agent, 999_999, "publish", "").await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let (_, mine) = app.get(&format!("/api/v1/orders/{no2}/review"), Some(&b.token)).await;
    assert_eq!(
        (mine["state"].as_str(), mine["moderation_note"].as_str()),
        (Some("rejected"), Some("含联系方式，引导站外交易"))
    );
    let p = public(&app, s.shop).await;
    let ids: Vec<i64> = p["items"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![id1]);
    assert_eq!(
        app.events_about(&format!("review:{id1}")).await,
        vec!["review.written", "review.held", "review.published"]
    );
    assert_eq!(
        app.events_about(&format!("review:{id2}")).await,
        vec!["review.written", "review.held", "review.rejected"]
    );
    let (_, q) = app.get("/api/v1/platform/reviews", Some(&agent.token)).await;
    assert!(q.as_array().unwrap().is_empty(), "the queue is empty: {q}");
});

http_test!(the_shop_replies_once_and_only_to_its_own_reviews, |app| {
    let s = shop(&app, "reply").await;
    let rival = shop(&app, "rival").await;
    let b = buyer(&app, "buyer_reply").await;
    let (no, held_no) = (completed(&app, &b, &s).await, completed(&app, &b, &s).await);
    let (_, r) = review(&app, &b, &no, 2, "骗子店铺，卡密无效还不退款").await;
    assert_eq!(r["state"], "published", "harsh criticism is published: {r}");
    let (_, held) = review(&app, &b, &held_no, 1, "等着瞧").await;
    let (id, held_id) = (r["id"].as_i64().unwrap(), held["id"].as_i64().unwrap());
    let reply = |who: &TestUser, id: i64, text: &str| {
        let (token, text) = (who.token.clone(), text.to_owned());
        let app = &app;
        async move { app.post(&format!("/api/v1/reviews/{id}/reply"), Some(&token), json!({ "text": text })).await }
    };
    assert_eq!(reply(&rival.owner, id, "不是我们").await.0, StatusCode::NOT_FOUND, "another shop's review");
    assert_eq!(reply(&b, id, "自问自答").await.0, StatusCode::NOT_FOUND, "the buyer is not the shop");
    assert_eq!(reply(&s.owner, held_id, "请冷静").await.0, StatusCode::NOT_FOUND, "held reviews are not the shop's");
    let (st, e) = reply(&s.owner, id, "有问题加微信 shop8888 联系").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["message"].as_str().unwrap().contains("联系方式"), "{e}");
    let (st, e) = reply(&s.owner, id, "你个傻逼").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(reply(&s.owner, id, "   ").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    // The shop's agent replies for the shop; the owner cannot add a second one.
    let (_, inv) = app.post(&format!("/api/v1/shops/{}/invites", s.shop), Some(&s.owner.token), json!({})).await;
    let accept = json!({ "token": inv["token"], "username": "reply_kf", "password": PASSWORD });
    assert_eq!(app.post("/api/v1/invites/accept", None, accept).await.0, StatusCode::CREATED);
    let kf = app.signed_in("reply_kf", PASSWORD).await;
    let (st, r) = reply(&kf, id, "已为您补发，抱歉").await;
    assert_eq!((st, r["reply"].as_str()), (StatusCode::OK, Some("已为您补发，抱歉")), "{r}");
    let (st, e) = reply(&s.owner, id, "再说一次").await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("already_replied")));
    let p = public(&app, s.shop).await;
    assert_eq!(p["items"][0]["reply"], "已为您补发，抱歉");
    assert_eq!(app.events_about(&format!("review:{id}")).await.last().map(String::as_str), Some("review.replied"));
});

http_test!(the_buyer_is_anonymous_in_public_json_and_on_the_shop_page, |app| {
    let s = shop(&app, "anon").await;
    let b = buyer(&app, "zhangsan_private").await;
    let (st, e) = app
        .call(Method::PUT, "/api/v1/me/email", Some(&b.token), Some(json!({ "email": "zhangsan@example.org" })))
        .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    let no = completed(&app, &b, &s).await;
    let (_, r) = review(&app, &b, &no, 5, "<script>alert(1)</script> 很好").await;
    assert_eq!(r["state"], "published");
    let (st, _) = app
        .post(&format!("/api/v1/reviews/{}/reply", r["id"]), Some(&s.owner.token), json!({ "text": "谢谢<b>支持</b>" }))
        .await;
    assert_eq!(st, StatusCode::OK);
    let json_text = public(&app, s.shop).await.to_string();
    let html = app.client.get(app.url(&format!("/shops/{}", s.shop))).send().await.unwrap().text().await.unwrap();
    for text in [&json_text, &html] {
        assert!(text.contains("匿名买家"), "{text}");
        assert!(!text.contains("zhangsan"), "the buyer's name or e-mail leaked");
        assert!(!text.contains(&no), "the order number leaked");
    }
    assert!(!json_text.contains("buyer_id"));
    let at = html.find("alert(1)").unwrap();
    assert!(!html.contains("<script>alert"), "review text escaped: {}", &html[at - 40..at + 40]);
    assert!(html.contains("谢谢") && !html.contains("<b>支持"), "reply escaped");
    assert!(html.contains("★★★★★"));
    let (st, _) = app.get("/api/v1/public/shops/999999/reviews", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, doc) = app.get("/api/openapi.json", None).await;
    for path in [
        "/api/v1/orders/{no}/review",
        "/api/v1/reviews/{id}/reply",
        "/api/v1/platform/reviews",
        "/api/v1/platform/reviews/{id}/moderate",
        "/api/v1/public/shops/{id}/reviews",
        "/api/v1/public/cases",
        "/api/v1/public/cases/{id}",
        "/api/v1/cases/{id}/public-response",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
});

/// Nobody deletes a review: there is no endpoint, and the database refuses.
async fn delete_is_refused<S: Store>(app: TestApp<S>, db: &TestDb) {
    let s = shop(&app, "del").await;
    let b = buyer(&app, "buyer_del").await;
    let no = completed(&app, &b, &s).await;
    let (_, r) = review(&app, &b, &no, 3, "一般").await;
    let id = r["id"].as_i64().unwrap();
    let (st, _) = app.call(Method::DELETE, &format!("/api/v1/reviews/{id}"), Some(&b.token), None).await;
    assert!(st == StatusCode::METHOD_NOT_ALLOWED || st == StatusCode::NOT_FOUND, "{st}");
    let (url, path) = (db.url(), db.sqlite_path());
    let refused = tokio::task::spawn_blocking(move || match path {
        Some(p) => {
            rusqlite::Connection::open(p).unwrap().execute_batch("DELETE FROM reviews").map_err(|e| e.to_string())
        }
        None => postgres::Client::connect(&url, postgres::NoTls)
            .unwrap()
            .batch_execute("DELETE FROM reviews")
            .map_err(|e| e.to_string()),
    })
    .await
    .unwrap();
    assert!(refused.is_err(), "a DELETE went through");
    assert_eq!(public(&app, s.shop).await["items"].as_array().unwrap().len(), 1);
    app.audit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_are_never_deleted_sqlite() {
    let db = TestDb::sqlite();
    delete_is_refused(TestApp::sqlite(&db).await, &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reviews_are_never_deleted_postgres() {
    let Some(db) = tokio::task::spawn_blocking(TestDb::postgres).await.unwrap() else { return };
    delete_is_refused(TestApp::postgres(&db).await, &db).await;
}
