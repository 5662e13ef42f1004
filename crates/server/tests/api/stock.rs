//! Stock import reports and the card keys' encryption at rest, and direct
//! top-ups against their promised time, on both backends.

use reqwest::StatusCode;
use serde_json::json;
use youying_testkit::{TestApp, TestDb, http_test};

http_test!(an_import_with_bad_or_duplicate_lines_imports_nothing, |app| {
    let (owner, shop) = app.merchant("owner_imp", "导入店").await;
    let product = app.product(&owner, shop, json!({})).await;
    let other_product = app.product(&owner, shop, json!({ "title": "另一款点卡" })).await;
    let (s, r) = app.import(&owner, other_product, "OLD-1\nOLD-2\n", false).await;
    assert_eq!((s, r["imported"].as_i64()), (StatusCode::OK, Some(2)));

    let file = "NEW-1\nNEW-2 pw\nA B C\nNEW-1\nOLD-2\n\nNEW-3----pw3\n";
    let (s, r) = app.import(&owner, product, file, false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["code"], "stock_rejected");
    assert_eq!((r["rejected"].as_bool(), r["imported"].as_i64()), (Some(true), Some(0)));
    assert_eq!(r["bad_lines"], json!([{ "line": 3, "reason": "too_many_parts" }]));
    assert_eq!(r["duplicates_in_file"], json!([{ "line": 4, "same_as_line": 1 }]));
    assert_eq!(r["duplicates_existing"], json!([5]), "a key already in this shop's stock");
    assert!(!r.to_string().contains("NEW-") && !r.to_string().contains("OLD-"), "the report never repeats a key");
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(p["stock"], 0, "all or nothing");

    let (s, r) = app.import(&owner, product, file, true).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "skipping duplicates does not excuse a malformed line: {r}");
    let fixed = "NEW-1\nNEW-2 pw\nNEW-1\nOLD-2\n\nNEW-3----pw3\n";
    let (s, r) = app.import(&owner, product, fixed, true).await;
    assert_eq!(
        (s, r["imported"].as_i64(), r["skipped_duplicates"].as_i64()),
        (StatusCode::OK, Some(3), Some(2)),
        "{r}"
    );
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(p["stock"], 3);

    let stranger = app.buyer("stranger_imp").await;
    let (s, _) = app.import(&stranger, product, "X-1\n", false).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "someone else's product");
    let (s, r) = app.import(&owner, product, "", false).await;
    assert_eq!(
        (s, r["rejected"].as_bool()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(true)),
        "an empty file imports nothing"
    );
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/products/{product}/stock")))
        .bearer_auth(&owner.token)
        .body(vec![0xff, 0xfe, 0x00])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "not UTF-8");

    let (s, w) =
        app.call(reqwest::Method::DELETE, &format!("/api/v1/products/{product}/stock"), Some(&owner.token), None).await;
    assert_eq!((s, w["withdrawn"].as_i64()), (StatusCode::OK, Some(3)));
    let (s, r) = app.import(&owner, product, "NEW-1\n", false).await;
    assert_eq!(s, StatusCode::OK, "a withdrawn, unsold key may come back: {r}");
});

http_test!(a_sold_key_cannot_be_imported_again, |app| {
    let (owner, shop) = app.merchant("owner_resell", "转卖店").await;
    let product = app.product(&owner, shop, json!({})).await;
    app.import(&owner, product, "ONCE-ONLY\n", false).await;
    let buyer = app.buyer("buyer_resell").await;
    app.credit(&buyer, 20_000).await;
    assert_eq!(app.buy(&buyer, product, 1, None).await.0, StatusCode::CREATED);
    let (s, r) = app.import(&owner, product, "ONCE-ONLY\n", false).await;
    assert_eq!(
        (s, r["duplicates_existing"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!([1])),
        "never sold twice"
    );
});

http_test!(a_large_import_is_all_or_nothing_and_quick, |app| {
    let (owner, shop) = app.merchant("owner_big", "大批量店").await;
    let product = app.product(&owner, shop, json!({})).await;
    let mut file: String = (0..20_000).map(|i| format!("BULK-{i:06}----S{i}\n")).collect();
    let (s, r) = app.import(&owner, product, &file, false).await;
    assert_eq!((s, r["imported"].as_i64()), (StatusCode::OK, Some(20_000)));
    file.push_str("BULK-000001\n");
    let (s, r) = app.import(&owner, product, &file, false).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r["duplicates_existing"].as_array().unwrap().len(), 20_000);
    assert_eq!(r["duplicates_in_file"], json!([{ "line": 20_001, "same_as_line": 2 }]));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_plaintext_in_the_database_file() {
    let db = TestDb::sqlite();
    let app = TestApp::sqlite(&db).await;
    let (owner, shop) = app.merchant("owner_scan", "扫描店").await;
    let product = app.product(&owner, shop, json!({})).await;
    let keys: String = (0..500).map(|i| format!("PLAINTEXT-CANARY-{i:04}----SECRET-CANARY-{i:04}\n")).collect();
    app.import(&owner, product, &keys, false).await;
    let buyer = app.buyer("buyer_scan").await;
    app.credit(&buyer, 100_000).await;
    let (_, o) = app.buy(&buyer, product, 2, None).await;
    app.post(&format!("/api/v1/orders/{}/reveal", o["order"]["no"].as_str().unwrap()), Some(&buyer.token), json!({}))
        .await;
    app.audit().await;
    let dir = db.sqlite_path().unwrap().parent().unwrap().to_owned();
    app.stop().await;
    let mut scanned = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        scanned += bytes.len();
        for needle in [&b"PLAINTEXT-CANARY"[..], &b"SECRET-CANARY"[..]] {
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "a key in the clear on disk");
        }
    }
    assert!(scanned > 100_000, "the database and its WAL were scanned ({scanned} bytes)");
}

http_test!(a_direct_topup_is_fulfilled_or_refunded_when_late, |app| {
    let (owner, shop) = app.merchant("owner_top", "直充店").await;
    let topup = app
        .product(&owner, shop, json!({ "kind": "direct_topup", "category": "topup", "title": "QQ会员直充 1个月", "price_fen": 1_500, "topup_promise_secs": 600,
            "topup_fields": [{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }] }))
        .await;
    let buyer = app.buyer("buyer_top").await;
    app.credit(&buyer, 10_000).await;
    let order = |target: serde_json::Value| {
        let (client, url, token) = (app.client.clone(), app.url("/api/v1/orders"), buyer.token.clone());
        async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "product_id": topup, "topup_target": target }))
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (s, e) = order(json!({ "qq": "abc" })).await;
    assert_eq!((s, e["reason"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("pattern_mismatch")));
    let (s, first) = order(json!({ "qq": "123456789" })).await;
    assert_eq!((s, first["order"]["state"].as_str()), (StatusCode::CREATED, Some("awaiting_fulfilment")));
    assert_eq!(first["order"]["topup_target"], json!({ "qq": "123456789" }));
    let (_, second) = order(json!({ "qq": "987654321" })).await;
    let (no1, no2) =
        (first["order"]["no"].as_str().unwrap().to_owned(), second["order"]["no"].as_str().unwrap().to_owned());

    let (s, _) = app.post(&format!("/api/v1/orders/{no1}/cancel"), Some(&buyer.token), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "not before the promised time");
    let (s, o) = app
        .post(&format!("/api/v1/orders/{no1}/fulfil"), Some(&owner.token), json!({ "note": "已充值，流水号 8842" }))
        .await;
    assert_eq!((s, o["state"].as_str()), (StatusCode::OK, Some("fulfilled")));
    let (s, _) = app
        .post(&format!("/api/v1/orders/{no2}/fulfil"), Some(&buyer.token), json!({ "note": "买家自己说充了" }))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only the shop fulfils");

    assert_eq!(app.advance(600).await.fired, 1, "the second order's promise lapses");
    let admin = app.staff("root", "admin").await;
    let (_, breaches) = app.get(&format!("/api/v1/breaches?shop_id={shop}"), Some(&admin.token)).await;
    assert_eq!(breaches.as_array().unwrap().len(), 1);
    assert_eq!(
        (breaches[0]["kind"].as_str(), breaches[0]["subject"].as_str()),
        (Some("topup_late"), Some(format!("order:{no2}").as_str()))
    );
    let (_, o2) = app.get(&format!("/api/v1/orders/{no2}"), Some(&buyer.token)).await;
    assert_eq!((o2["topup_overdue"].as_bool(), o2["cancellable"].as_bool()), (Some(true), Some(true)));
    let (s, o2) = app.post(&format!("/api/v1/orders/{no2}/cancel"), Some(&buyer.token), json!({})).await;
    assert_eq!((s, o2["state"].as_str()), (StatusCode::OK, Some("refunded")));
    assert_eq!(app.balance(&buyer).await, 10_000 - 1_500, "the late one refunded in full");
    let (s, _) = app.post(&format!("/api/v1/orders/{no2}/fulfil"), Some(&owner.token), json!({ "note": "晚了" })).await;
    assert_eq!(s, StatusCode::CONFLICT, "too late to fulfil a refunded order");
    assert_eq!(app.advance(24 * 3600).await.fired, 1, "the fulfilled one's window ends");
    let (_, o1) = app.get(&format!("/api/v1/orders/{no1}"), Some(&buyer.token)).await;
    assert_eq!(o1["state"], "completed");
    assert_eq!(app.events_about(&format!("shop:{shop}")).await.iter().filter(|k| *k == "breach.recorded").count(), 1);
});
