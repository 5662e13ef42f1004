//! Payment gateways: configured by an admin only, validated before anything is
//! stored, secrets sealed at rest and never echoed back.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use youying_core::ports::Store as _;
use youying_testkit::http_test;
use youying_testkit::web::Web;

/// Throw-away RSA keys of the epay crate's own tests.
const PRIVATE_PEM: &str = include_str!("../../../epay/tests/fixtures/rsa_private_pkcs8.pem");
const PUBLIC_PEM: &str = include_str!("../../../epay/tests/fixtures/rsa_public_spki.pem");
const MD5_KEY: &str = "k3yForV1gateway";

fn v1() -> Value {
    json!({"kind": "epay_v1", "base_url": "https://pay.example.com/", "pid": "1001", "key": MD5_KEY,
           "channels": ["wxpay", "alipay"], "enabled": true})
}

fn v2() -> Value {
    json!({"kind": "epay_v2", "base_url": "https://rsa.example.com", "pid": "2002",
           "merchant_private_key_pem": PRIVATE_PEM, "platform_public_key_pem": PUBLIC_PEM,
           "channels": ["alipay", "qqpay"], "enabled": false})
}

fn no_secret(body: &Value) {
    let text = body.to_string();
    for secret in [MD5_KEY, "PRIVATE KEY", "PUBLIC KEY"] {
        assert!(!text.contains(secret), "a secret in {text}");
    }
}

http_test!(admin_puts_and_lists_gateways_without_their_secrets, |app| {
    let admin = app.staff("root", "admin").await;
    let (s, body) = app.put("/api/v1/admin/gateways/main", Some(&admin.token), v1()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!((body["has_key"].as_bool(), body["base_url"].as_str()), (Some(true), Some("https://pay.example.com")));
    no_secret(&body);
    let (s, body) = app.put("/api/v1/admin/gateways/rsa-2", Some(&admin.token), v2()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["has_merchant_private_key"], true);
    assert_eq!(body["has_platform_public_key"], true);
    no_secret(&body);

    let (s, list) = app.get("/api/v1/admin/gateways", Some(&admin.token)).await;
    assert_eq!(s, StatusCode::OK);
    no_secret(&list);
    let names: Vec<_> = list.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["main", "rsa-2"]);
    assert_eq!(list[0]["channels"], json!(["alipay", "wxpay"]));
    assert_eq!((list[1]["kind"].as_str(), list[1]["enabled"].as_bool()), (Some("epay_v2"), Some(false)));
    assert_eq!(app.events_about("gateway:main").await, vec!["gateway.put"]);
});

http_test!(secrets_are_sealed_at_rest_and_kept_when_omitted, |app| {
    let admin = app.staff("root", "admin").await;
    app.put("/api/v1/admin/gateways/main", Some(&admin.token), v1()).await;
    let mut update = v1();
    update.as_object_mut().unwrap().remove("key");
    update["pid"] = json!("1002");
    let (s, body) = app.put("/api/v1/admin/gateways/main", Some(&admin.token), update).await;
    assert_eq!((s, body["has_key"].as_bool(), body["pid"].as_str()), (StatusCode::OK, Some(true), Some("1002")));

    let stored = app.app.store.read(|tx| tx.gateways()).await.unwrap();
    let sealed = stored[0].key.clone().expect("the key is kept");
    assert_ne!(sealed.as_str(), MD5_KEY, "never stored in the clear");
    assert!(!sealed.as_str().contains(MD5_KEY));
    assert_eq!(app.app.vault.open_secret(&sealed).unwrap(), MD5_KEY);
    assert_eq!(app.events_about("gateway:main").await, vec!["gateway.put", "gateway.put"]);
});

http_test!(only_an_admin_configures_gateways, |app| {
    let agent = app.staff("kefu", "agent").await;
    let buyer = app.buyer("buyer_g").await;
    for token in [&agent.token, &buyer.token] {
        let (s, _) = app.put("/api/v1/admin/gateways/main", Some(token), v1()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.get("/api/v1/admin/gateways", Some(token)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, _) = app.put("/api/v1/admin/gateways/main", None, v1()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
});

http_test!(bad_input_is_refused_and_nothing_is_stored, |app| {
    let admin = app.staff("root", "admin").await;
    let cases: [(&str, Value, &str); 7] = [
        ("kind", json!("epay_v3"), "gateway_kind"),
        ("base_url", json!("ftp://pay.example.com"), "base_url"),
        ("pid", json!("10\u{0}01"), "pid"),
        ("channels", json!(["alipay", "unionpay"]), "channels"),
        ("channels", json!([]), "channels"),
        ("key", json!(""), "key"),
        ("key", json!("with space"), "key"),
    ];
    for (field, value, reported) in cases {
        let nul = value.as_str().is_some_and(|v| v.contains('\0'));
        let mut body = v1();
        body[field] = value;
        let (s, err) = app.put("/api/v1/admin/gateways/main", Some(&admin.token), body).await;
        // A NUL is refused at the edge (400 `nul_character`), still naming the field.
        let status = if nul { StatusCode::BAD_REQUEST } else { StatusCode::UNPROCESSABLE_ENTITY };
        assert_eq!((s, err["field"].as_str()), (status, Some(reported)), "{field}: {err}");
        assert!(err["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    }
    let mut bad_pem = v2();
    bad_pem["merchant_private_key_pem"] = json!("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n");
    let (s, err) = app.put("/api/v1/admin/gateways/rsa", Some(&admin.token), bad_pem).await;
    assert_eq!((s, err["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("merchant_private_key_pem")));
    let mut half = v2();
    half.as_object_mut().unwrap().remove("platform_public_key_pem");
    let (s, err) = app.put("/api/v1/admin/gateways/rsa", Some(&admin.token), half).await;
    assert_eq!((s, err["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("platform_public_key_pem")));
    let (s, _) = app.call(Method::PUT, "/api/v1/admin/gateways/Bad%20Name", Some(&admin.token), Some(v1())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (_, list) = app.get("/api/v1/admin/gateways", Some(&admin.token)).await;
    assert_eq!(list, json!([]), "nothing stored");
});

http_test!(the_admin_page_lists_and_saves_gateways, |app| {
    let admin = app.staff("root", "admin").await;
    let mut web = Web::new(&app, &admin);
    let (s, html) = web.get("/platform").await;
    assert!(s == StatusCode::OK && html.contains("href=\"/platform/gateways\""), "linked from the console");
    let (s, html) = web.get("/platform/gateways").await;
    assert!(s == StatusCode::OK && html.contains("还没有网关"), "{html}");

    let form = [
        ("name", "main"),
        ("kind", "epay_v1"),
        ("base_url", "https://pay.example.com"),
        ("pid", "1001"),
        ("key", MD5_KEY),
        ("channels", "alipay"),
        ("channels", "wxpay"),
        ("enabled", "on"),
    ];
    let (s, _, _) = web.post("/platform/gateways", &[("_csrf", "forged"), ("name", "main")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut bad = form.to_vec();
    bad[2] = ("base_url", "pay.example.com");
    let (s, _, html) = web.post("/platform/gateways", &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("网关地址须以") && html.contains("value=\"pay.example.com\""), "{html}");
    assert!(!html.contains(MD5_KEY), "a typed secret is not written back");

    let (s, to, _) = web.post("/platform/gateways", &form).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/platform/gateways?saved=main"));
    let (s, html) = web.get(&to).await;
    assert!(s == StatusCode::OK && html.contains("id=\"gateway-main\"") && html.contains("已保存"), "{html}");
    assert!(html.contains("MD5 密钥已设置") && !html.contains(MD5_KEY));

    let buyer = app.buyer("buyer_p").await;
    let (s, _) = Web::new(&app, &buyer).get("/platform/gateways").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});
