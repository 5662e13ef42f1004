//! Shops, merchant agents and ownership checks over HTTP on both backends.

use reqwest::{Method, StatusCode};
use serde_json::json;
use youying_testkit::{PASSWORD, http_test};

http_test!(a_buyer_opens_a_shop_and_invites_an_agent, |app| {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let (_, me) = app.get("/api/v1/me", Some(&owner.token)).await;
    assert_eq!(me["shops"][0]["name"], "星辰点卡");
    let (s, inv) = app.post(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let token = inv["token"].as_str().unwrap();
    let (s, agent) = app
        .post("/api/v1/invites/accept", None, json!({"token": token, "username": "xingchen_kf", "password": PASSWORD}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{agent}");
    assert_eq!((agent["role"].as_str(), agent["shop_id"].as_i64()), (Some("merchant_agent"), Some(shop)));
    let (s, again) = app
        .post("/api/v1/invites/accept", None, json!({"token": token, "username": "second_kf", "password": PASSWORD}))
        .await;
    assert_eq!((s, again["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "one use only");
    let (_, agents) = app.get(&format!("/api/v1/shops/{shop}/agents"), Some(&owner.token)).await;
    assert_eq!(agents.as_array().unwrap().len(), 1);

    let kf = app.signed_in("xingchen_kf", PASSWORD).await;
    let (s, _) = app.post("/api/v1/shops", Some(&kf.token), json!({"name": "子账号的店"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a sub-account cannot open shops");
    let (s, _) = app.get(&format!("/api/v1/shops/{shop}/agents"), Some(&kf.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "agents do not manage the shop");
    assert_eq!(
        app.events_about(&format!("shop:{shop}")).await,
        vec!["shop.opened", "deposit.topped_up", "shop.invite_created", "shop.agent_joined"]
    );
});

http_test!(someone_elses_shop_answers_404, |app| {
    let (_, shop) = app.merchant("owner_a", "甲店").await;
    let stranger = app.buyer("stranger").await;
    for (method, path) in [
        (Method::GET, format!("/api/v1/shops/{shop}/agents")),
        (Method::GET, format!("/api/v1/shops/{shop}/invites")),
        (Method::POST, format!("/api/v1/shops/{shop}/invites")),
        (Method::GET, "/api/v1/shops/99999/agents".to_owned()),
    ] {
        let (s, body) = app.call(method.clone(), &path, Some(&stranger.token), Some(json!({}))).await;
        assert_eq!((s, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{method} {path}");
    }
    let (s, public) = app.get(&format!("/api/v1/shops/{shop}"), None).await;
    assert_eq!((s, public["name"].as_str()), (StatusCode::OK, Some("甲店")), "the shop itself is public");
    let (s, body) = app.post("/api/v1/shops", Some(&stranger.token), json!({"name": "甲店"})).await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::CONFLICT, Some("shop_name_taken")));
    let (s, _) = app.post("/api/v1/shops", None, json!({"name": "匿名店"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

http_test!(an_unused_invite_expires_through_the_deadline_engine, |app| {
    let (owner, shop) = app.merchant("owner_b", "乙店").await;
    let (_, inv) = app.post(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token), json!({})).await;
    let token = inv["token"].as_str().unwrap().to_owned();
    assert_eq!(app.advance(7 * 86_400 - 1).await.fired, 0, "not before its time");
    let out = app.advance(1).await;
    assert_eq!((out.fired, out.lateness_ms), (1, vec![0]));
    assert_eq!(app.advance(3600).await.fired, 0, "exactly once");
    let (_, list) = app.get(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token)).await;
    assert_eq!(list[0]["state"], "expired");
    let (s, _) = app
        .post("/api/v1/invites/accept", None, json!({"token": token, "username": "late_kf", "password": PASSWORD}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .post(
            "/api/v1/invites/accept",
            None,
            json!({"token": "yyi_unknown", "username": "late_kf", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, metrics) = app.get("/metrics", None).await;
    assert!(metrics.as_str().unwrap().contains("youying_deadline_lateness_seconds"), "lateness histogram exported");
});

http_test!(a_revoked_invite_cancels_its_deadline, |app| {
    let (owner, shop) = app.merchant("owner_c", "丙店").await;
    let other = app.buyer("other_c").await;
    let (_, inv) = app.post(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token), json!({})).await;
    let id = inv["id"].as_i64().unwrap();
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/invites/{id}"), Some(&other.token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/invites/{id}"), Some(&owner.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.advance(8 * 86_400).await.fired, 0, "the cancelled deadline never fires");
});
