//! Admin rules: read, change all-or-nothing, recorded as evidence, applied to
//! deadlines scheduled after the change only.

use reqwest::{Method, StatusCode};
use serde_json::json;
use youying_testkit::http_test;

http_test!(rules_are_admin_only_validated_and_recorded, |app| {
    let admin = app.staff("root", "admin").await;
    let agent = app.staff("kefu", "agent").await;
    let buyer = app.buyer("buyer_r").await;
    // Setting the rules is the admin's (PRODUCT.md); everyone reads the rules
    // in force at /api/v1/public/rules, so the admin's endpoint is admin-only.
    let (s, _) = app.get("/api/v1/admin/rules", Some(&agent.token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "agents read the public rules, not the admin's endpoint");
    let (s, rules) = app.get("/api/v1/admin/rules", Some(&admin.token)).await;
    assert_eq!((s, rules["chat_reply_secs"].as_i64()), (StatusCode::OK, Some(120)));
    let (s, _) = app.get("/api/v1/admin/rules", Some(&buyer.token)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) =
        app.call(Method::PUT, "/api/v1/admin/rules", Some(&agent.token), Some(json!({"chat_reply_secs": 2}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only admins change rules");

    let (s, body) = app
        .call(Method::PUT, "/api/v1/admin/rules", Some(&admin.token), Some(json!({"chat_reply_secs": 2, "bogus": 1})))
        .await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_rule")));
    let (s, body) = app
        .call(
            Method::PUT,
            "/api/v1/admin/rules",
            Some(&admin.token),
            Some(json!({"chat_reply_secs": 2, "login_max_failures": 0})),
        )
        .await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rule_out_of_range")));
    let (_, rules) = app.get("/api/v1/admin/rules", Some(&admin.token)).await;
    assert_eq!(rules["chat_reply_secs"], 120, "a refused change set changes nothing");

    let (s, rules) =
        app.call(Method::PUT, "/api/v1/admin/rules", Some(&admin.token), Some(json!({"chat_reply_secs": 2}))).await;
    assert_eq!((s, rules["chat_reply_secs"].as_i64()), (StatusCode::OK, Some(2)));
    assert_eq!(app.events_about("rule:chat_reply_secs").await, vec!["rule.changed"]);
});

http_test!(a_rule_change_applies_to_deadlines_scheduled_after_it, |app| {
    let admin = app.staff("root", "admin").await;
    let (owner, shop) = app.merchant("owner_r", "规则店").await;
    let path = format!("/api/v1/shops/{shop}/invites");
    let (_, before) = app.post(&path, Some(&owner.token), json!({})).await;
    let (s, _) =
        app.call(Method::PUT, "/api/v1/admin/rules", Some(&admin.token), Some(json!({"invite_ttl_secs": 60}))).await;
    assert_eq!(s, StatusCode::OK);
    let (_, after) = app.post(&path, Some(&owner.token), json!({})).await;
    let created = after["created_at"].as_i64().unwrap();
    assert_eq!(after["expires_at"].as_i64().unwrap() - created, 60_000);
    assert_eq!(before["expires_at"].as_i64().unwrap() - created, 7 * 86_400_000, "the earlier invite keeps its time");
    assert_eq!(app.advance(60).await.fired, 1);
    let (_, list) = app.get(&path, Some(&owner.token)).await;
    let states: Vec<_> = list.as_array().unwrap().iter().map(|i| i["state"].as_str().unwrap().to_owned()).collect();
    assert_eq!(states, vec!["expired", "pending"]);
});

http_test!(admin_can_verify_the_evidence_chain, |app| {
    let admin = app.staff("root", "admin").await;
    app.buyer("someone").await;
    let (s, v) = app.get("/api/v1/admin/evidence/verify", Some(&admin.token)).await;
    assert_eq!((s, v["ok"].as_bool()), (StatusCode::OK, Some(true)));
    assert!(v["checked"].as_i64().unwrap() >= 4, "{v}");
});
