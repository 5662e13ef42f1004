//! Accounts over HTTP on both backends: registration, sign-in, sessions,
//! tokens, throttling, and the ugly inputs.

use reqwest::{Method, StatusCode};
use serde_json::json;
use youying_core::ports::Store;
use youying_testkit::{PASSWORD, TestApp, http_test};

http_test!(register_then_login_and_me, |app| {
    let (s, body) = app.register("Alice_01", PASSWORD).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["role"], "buyer");
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "alice_01", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attr in ["yy_session=yys_", "HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    let body: serde_json::Value = resp.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    let (s, me) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!((s, me["username"].as_str()), (StatusCode::OK, Some("Alice_01")));
    let (s, _) = app.call(Method::POST, "/api/v1/auth/logout", Some(token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, err) = app.get("/api/v1/me", Some(token)).await;
    assert_eq!((s, err["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
});

http_test!(bad_registrations_are_refused_and_leave_nothing, |app| {
    app.buyer("taken").await;
    let cases = [
        (json!({"username": "TAKEN", "password": PASSWORD}), StatusCode::CONFLICT, "username_taken"),
        (json!({"username": "weakling", "password": "abc"}), StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
        (json!({"username": "weakling", "password": "weakling1"}), StatusCode::CREATED, ""),
        (json!({"username": "no", "password": PASSWORD}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        (json!({"username": "<script>x", "password": PASSWORD}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        (json!({"username": "nopass"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
        (json!({"username": 5, "password": PASSWORD}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
    ];
    for (body, status, code) in cases {
        let (s, resp) = app.post("/api/v1/auth/register", None, body.clone()).await;
        if status == StatusCode::CREATED {
            // "weakling1" contains the name but is not equal to it: accepted.
            assert_eq!(s, status, "{body} → {resp}");
            continue;
        }
        assert_eq!((s, resp["code"].as_str().unwrap()), (status, code), "{body} → {resp}");
        assert!(
            resp["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "message in Chinese: {resp}"
        );
    }
    let (_, weak) = app.register("weak2", "abc").await;
    assert!(weak["message"].as_str().unwrap().contains("8–128"), "the rule is stated: {weak}");
    let registered = app
        .app
        .store
        .read(|tx| Ok(tx.events_after(0, 1000)?.into_iter().filter(|e| e.kind == "user.registered").count()))
        .await
        .unwrap();
    assert_eq!(registered, 2, "only `taken` and `weakling` exist");
});

http_test!(malformed_and_oversized_bodies, |app| {
    let url = app.url("/api/v1/auth/register");
    let r =
        app.client.post(&url).header("content-type", "application/json").body("{\"username\": ").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "malformed_json");
    let r = app.client.post(&url).header("content-type", "text/plain").body("hello").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "unsupported_media_type");
    let huge = format!("{{\"username\": \"big\", \"password\": \"{}\"}}", "a1".repeat(600_000));
    let r = app.client.post(&url).header("content-type", "application/json").body(huge).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "payload_too_large");
    let (s, body) = app.get("/api/v1/tokens/notanumber", None).await;
    assert_eq!(s.as_u16() / 100, 4, "{body}");
    let (s, body) = app.call(Method::DELETE, "/api/v1/me", None, None).await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")));
    let (s, body) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (s, _) = app.login("big", "whatever1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the oversized registration created nothing");
});

http_test!(concurrent_double_submit_registers_once, |app| {
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let client = app.client.clone();
        let url = app.url("/api/v1/auth/register");
        tasks.push(tokio::spawn(async move {
            client.post(url).json(&json!({"username": "twin", "password": PASSWORD})).send().await.unwrap().status()
        }));
    }
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
});

http_test!(five_failures_throttle_the_account_from_that_address, |app| {
    app.buyer("victim").await;
    for _ in 0..5 {
        let (s, body) = app.login("victim", "wrong-pass1").await;
        assert_eq!((s, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("bad_credentials")));
    }
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "victim", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits");
    let retry: i64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(resp.json::<serde_json::Value>().await.unwrap()["code"], "too_many_attempts");
    let (s, _) = app.login("someone_else", "wrong-pass1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "other accounts are not locked");
    app.clock.advance_secs(901);
    let (s, _) = app.login("victim", PASSWORD).await;
    assert_eq!(s, StatusCode::OK, "the window passed");
    let kinds = app.events_about("user:1").await;
    assert_eq!(kinds.iter().filter(|k| *k == "auth.login_failed").count(), 5);
});

http_test!(api_tokens_are_shown_once_and_revocable_by_their_owner_only, |app| {
    let alice = app.buyer("alice").await;
    let bob = app.buyer("bob").await;
    let (s, t) = app.post("/api/v1/tokens", Some(&alice.token), json!({"name": "发货脚本"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let api_token = t["token"].as_str().unwrap().to_owned();
    assert!(api_token.starts_with("yyt_"));
    let (s, me) = app.get("/api/v1/me", Some(&api_token)).await;
    assert_eq!((s, me["username"].as_str()), (StatusCode::OK, Some("alice")));
    let (_, list) = app.get("/api/v1/tokens", Some(&alice.token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("token").is_none(), "never shown again");
    let id = t["id"].as_i64().unwrap();
    let (s, body) = app.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&bob.token), None).await;
    assert_eq!(
        (s, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "someone else's token is not found"
    );
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&alice.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get("/api/v1/me", Some(&api_token)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app.get("/api/v1/me", Some("yyt_forged")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

http_test!(cookie_sessions_need_the_csrf_header_for_unsafe_requests, |app| {
    app.buyer("cookie_user").await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "cookie_user", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    let cookie = format!("yy_session={}", body["token"].as_str().unwrap());
    let csrf = body["csrf_token"].as_str().unwrap();
    let r = app.client.get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "safe requests need no token");
    let r = app
        .client
        .post(app.url("/api/v1/shops"))
        .header("cookie", &cookie)
        .json(&json!({"name": "无令牌店"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "csrf");
    let r = app
        .client
        .post(app.url("/api/v1/shops"))
        .header("cookie", &cookie)
        .header("x-csrf-token", "forged")
        .json(&json!({"name": "伪造店"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .client
        .post(app.url("/api/v1/shops"))
        .header("cookie", &cookie)
        .header("x-csrf-token", csrf)
        .json(&json!({"name": "有令牌店"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // A websocket from another site's page would carry the cookie: refused.
    let ws = |origin: &str| {
        app.client
            .get(app.url("/api/v1/ws"))
            .header("cookie", &cookie)
            .header("origin", origin)
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
    };
    let r = ws("https://evil.example").await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["code"], "csrf");
    let r = ws(&app.url("")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SWITCHING_PROTOCOLS, "our own pages may");
    // Signing out with the cookie alone is a cross-site request too.
    let r = app.client.post(app.url("/api/v1/auth/logout")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.client.get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "still signed in");
    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = app.client.get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
});

#[tokio::test]
async fn a_sqlite_app_serves_health_metrics_and_openapi() {
    let db = youying_testkit::TestDb::sqlite();
    let app = TestApp::sqlite(&db).await;
    let (s, body) = app.get("/healthz", None).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, Some("ok")));
    let (s, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/shops",
        "/api/v1/admin/rules",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    let (s, page) = app.get("/api/docs", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("/api/v1/auth/login"));
    let (s, _) = app.get("/metrics", None).await;
    assert_eq!(s, StatusCode::OK, "a direct caller on this machine");
    // Through a reverse proxy on the same host it is not public.
    let r = app.client.get(app.url("/metrics")).header("x-forwarded-for", "203.0.113.9").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
