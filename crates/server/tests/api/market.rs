//! The marketplace over HTTP on both backends: listings, stock import, instant
//! checkout into escrow, idempotent retries, the crowd on the last keys,
//! snapshots, reveal, confirmation and release. Every test ends with the
//! ledger and evidence audit (`http_test!` runs it).

use reqwest::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};
use youying_testkit::http_test;

http_test!(buy_a_card_key_see_it_and_confirm, |app| {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let tiers = json!([{ "min_qty": 2, "unit_price_fen": 9_500 }]);
    let product = app
        .product(
            &owner,
            shop,
            json!({ "tiers": tiers, "promises": ["instant", "auto_delivery"], "description": "**官方** 正品" }),
        )
        .await;
    let (s, report) = app.import(&owner, product, "AAAA-0001\nBBBB-0002----pw2\nCCCC-0003,pw3\n", false).await;
    assert_eq!((s, report["imported"].as_i64()), (StatusCode::OK, Some(3)), "{report}");

    let buyer = app.buyer("xiaoming").await;
    app.credit(&buyer, 50_000).await;
    // A price sent by the client is ignored: the server prices from the tiers.
    let resp = app
        .client
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&buyer.token)
        .json(&json!({ "product_id": product, "quantity": 2, "price_fen": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["order"]["total_fen"], 19_000);
    let codes: Vec<&str> = body["units"].as_array().unwrap().iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["AAAA-0001", "BBBB-0002"]);
    assert_eq!(body["units"][1]["secret"], "pw2");
    assert_eq!(app.balance(&buyer).await, 50_000 - 19_000);
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(p["stock"], 1);

    let no = body["order"]["no"].as_str().unwrap().to_owned();
    let (_, snap) = app.get(&format!("/api/v1/orders/{no}/snapshot"), Some(&buyer.token)).await;
    assert_eq!(snap["snapshot"]["title"], "腾讯Q币点卡 100元");
    assert_eq!(snap["snapshot"]["shop"]["name"], "星辰点卡");
    assert_eq!(snap["snapshot"]["paid"]["total_fen"], 19_000);
    assert_eq!(snap["snapshot"]["promises"][0]["name"], "秒到账");
    let hash = hex::encode(Sha256::digest(snap["canonical"].as_str().unwrap().as_bytes()));
    assert_eq!(snap["sha256"].as_str().unwrap(), hash, "the snapshot hash is reproducible");

    let (s, revealed) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&buyer.token), json!({})).await;
    assert_eq!((s, revealed["units"][0]["code"].as_str()), (StatusCode::OK, Some("AAAA-0001")));
    let (s, order) = app.post(&format!("/api/v1/orders/{no}/confirm"), Some(&buyer.token), json!({})).await;
    assert_eq!((s, order["state"].as_str()), (StatusCode::OK, Some("completed")));
    let (_, w) = app.get(&format!("/api/v1/shops/{shop}/wallet"), Some(&owner.token)).await;
    assert_eq!(w["balance_fen"], 19_000 - 380, "2 % platform fee");
    let kinds = app.events_about(&format!("order:{no}")).await;
    assert_eq!(kinds, vec!["order.created", "order.delivered", "order.key_revealed", "order.completed"]);
    let (s, _) = app.post(&format!("/api/v1/orders/{no}/confirm"), Some(&buyer.token), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "only once");
});

http_test!(short_stock_and_short_balance_charge_nothing, |app| {
    let (owner, shop) = app.merchant("owner_s", "缺货店").await;
    let product = app.product(&owner, shop, json!({ "price_fen": 1_000 })).await;
    app.import(&owner, product, "K1\nK2\n", false).await;
    let buyer = app.buyer("poor").await;
    app.credit(&buyer, 1_500).await;
    let (s, e) = app.buy(&buyer, product, 3, None).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock")));
    assert_eq!(app.balance(&buyer).await, 1_500, "nothing charged");
    let (s, e) = app.buy(&buyer, product, 2, None).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("insufficient_balance")));
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(p["stock"], 2, "no unit taken");
    let (s, _) = app.buy(&buyer, product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = app.buy(&owner, product, 1, None).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")),
        "no buying from oneself"
    );
    let (s, _) = app.buy(&buyer, 9_999, 1, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.buy(&buyer, product, 0, None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
});

http_test!(an_idempotent_retry_returns_the_same_order, |app| {
    let (owner, shop) = app.merchant("owner_i", "幂等店").await;
    let product = app.product(&owner, shop, json!({ "price_fen": 500 })).await;
    app.import(&owner, product, "I1\nI2\nI3\n", false).await;
    let buyer = app.buyer("retrier").await;
    app.credit(&buyer, 10_000).await;
    let (s1, first) = app.buy(&buyer, product, 1, Some("pay-123")).await;
    let (s2, again) = app.buy(&buyer, product, 1, Some("pay-123")).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(first["order"]["no"], again["order"]["no"]);
    assert_eq!(first["units"], again["units"], "the same key, not a second one");
    assert_eq!(app.balance(&buyer).await, 9_500, "charged once");
    let (s, e) = app.buy(&buyer, product, 2, Some("pay-123")).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_mismatch")));

    // Concurrent twins with one key: one order.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, url, token) = (app.client.clone(), app.url("/api/v1/orders"), buyer.token.clone());
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", "twin")
                .json(&json!({ "product_id": product, "quantity": 1 }))
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<serde_json::Value>().await.unwrap()["order"]["no"].as_str().map(str::to_owned))
        }));
    }
    let mut nos = Vec::new();
    for t in tasks {
        let (status, no) = t.await.unwrap();
        assert!(status == StatusCode::CREATED || status == StatusCode::OK, "{status}");
        nos.push(no.unwrap());
    }
    nos.dedup();
    assert_eq!(nos.len(), 1, "{nos:?}");
    assert_eq!(app.balance(&buyer).await, 9_000);
});

http_test!(two_hundred_buyers_on_the_last_ten_keys, |app| {
    let (owner, shop) = app.merchant("owner_rush", "秒杀店").await;
    let product = app.product(&owner, shop, json!({ "price_fen": 100 })).await;
    let keys: String = (0..10).map(|i| format!("RUSH-{i:04}\n")).collect();
    app.import(&owner, product, &keys, false).await;
    let crowd = app.crowd("rush", 200).await;
    for b in &crowd {
        app.credit(b, 1_000).await;
    }
    let mut tasks = Vec::new();
    for b in crowd.clone() {
        let (client, url) = (app.client.clone(), app.url("/api/v1/orders"));
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(&b.token)
                .json(&json!({ "product_id": product, "quantity": 1 }))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body["units"][0]["code"].as_str().map(str::to_owned))
        }));
    }
    let (mut sold, mut refused) = (Vec::new(), 0);
    for t in tasks {
        match t.await.unwrap() {
            (StatusCode::CREATED, Some(code)) => sold.push(code),
            (StatusCode::CONFLICT, None) => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((sold.len(), refused), (10, 190));
    sold.sort();
    sold.dedup();
    assert_eq!(sold.len(), 10, "no key sold twice");
    let mut charged = 0;
    for b in &crowd {
        charged += 1_000 - app.balance(b).await;
    }
    assert_eq!(charged, 10 * 100, "only the ten buyers paid");
});

http_test!(someone_elses_order_is_not_found, |app| {
    let (owner, shop) = app.merchant("owner_f", "隐私店").await;
    let product = app.product(&owner, shop, json!({})).await;
    app.import(&owner, product, "SECRET-KEY-1\n", false).await;
    let buyer = app.buyer("buyer_f").await;
    let other = app.buyer("nosy").await;
    app.credit(&buyer, 20_000).await;
    let (_, o) = app.buy(&buyer, product, 1, None).await;
    let no = o["order"]["no"].as_str().unwrap();
    for (m, path) in [
        (Method::GET, format!("/api/v1/orders/{no}")),
        (Method::GET, format!("/api/v1/orders/{no}/snapshot")),
        (Method::POST, format!("/api/v1/orders/{no}/reveal")),
        (Method::POST, format!("/api/v1/orders/{no}/confirm")),
    ] {
        let (s, body) = app.call(m.clone(), &path, Some(&other.token), Some(json!({}))).await;
        assert_eq!((s, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{m} {path}");
    }
    let (s, seen) = app.get(&format!("/api/v1/orders/{no}"), Some(&owner.token)).await;
    assert_eq!(s, StatusCode::OK, "the shop sees its order");
    assert!(!seen.to_string().contains("SECRET-KEY-1"), "but never the key");
    let (s, _) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, list) = app.get(&format!("/api/v1/orders?shop_id={shop}"), Some(&other.token)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{list}");
});

http_test!(the_protection_window_releases_escrow_by_itself, |app| {
    let (owner, shop) = app.merchant("owner_w", "担保店").await;
    let card = app.product(&owner, shop, json!({ "price_fen": 10_000 })).await;
    let account = app
        .product(
            &owner,
            shop,
            json!({ "kind": "account", "category": "game_account", "title": "原神 60级 账号", "price_fen": 20_000,
        "account_attrs": [{ "name": "等级", "value": "60" }, { "name": "区服", "value": "天空岛" }] }),
        )
        .await;
    app.import(&owner, card, "W1\n", false).await;
    app.import(&owner, account, "acc1----pass1\n", false).await;
    let buyer = app.buyer("buyer_w").await;
    app.credit(&buyer, 30_000).await;
    let (_, c) = app.buy(&buyer, card, 1, None).await;
    let (_, a) = app.buy(&buyer, account, 1, None).await;
    assert_eq!(
        a["order"]["protect_until"].as_i64().unwrap() - a["order"]["created_at"].as_i64().unwrap(),
        72 * 3_600_000
    );
    assert_eq!(app.advance(24 * 3600 - 1).await.fired, 0);
    assert_eq!(app.advance(1).await.fired, 1, "the card key's 24 h");
    let (_, c) = app.get(&format!("/api/v1/orders/{}", c["order"]["no"].as_str().unwrap()), Some(&buyer.token)).await;
    assert_eq!(c["state"], "completed");
    assert_eq!(app.advance(48 * 3600).await.fired, 1, "the account's 72 h");
    let (_, w) = app.get(&format!("/api/v1/shops/{shop}/wallet"), Some(&owner.token)).await;
    assert_eq!(w["balance_fen"], 30_000 - 600);
    let (_, snap) =
        app.get(&format!("/api/v1/orders/{}/snapshot", a["order"]["no"].as_str().unwrap()), Some(&buyer.token)).await;
    assert_eq!(snap["snapshot"]["account_attrs"][0]["value"], "60", "declared attributes are in the snapshot");
});

http_test!(listings_are_validated_and_owned, |app| {
    let (owner, shop) = app.merchant("owner_l", "校验店").await;
    let other = app.buyer("other_l").await;
    let cases = [
        json!({ "shop_id": shop, "category": "nope", "kind": "card_key", "title": "x标题", "price_fen": 100 }),
        json!({ "shop_id": shop, "category": "game_card", "kind": "card_key", "title": "标题", "price_fen": -5 }),
        json!({ "shop_id": shop, "category": "game_card", "kind": "card_key", "title": "标题", "price_fen": 100, "promises": ["free_money"] }),
        json!({ "shop_id": shop, "category": "topup", "kind": "direct_topup", "title": "无字段直充", "price_fen": 100 }),
    ];
    for c in cases {
        let (s, e) = app.post("/api/v1/products", Some(&owner.token), c.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{c} → {e}");
    }
    let (s, _) = app.post("/api/v1/products", Some(&other.token), json!({ "shop_id": shop, "category": "game_card", "kind": "card_key", "title": "别人的店", "price_fen": 100 })).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let id = app.product(&owner, shop, json!({})).await;
    let (s, _) = app
        .call(Method::PATCH, &format!("/api/v1/products/{id}"), Some(&other.token), Some(json!({ "price_fen": 1 })))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&owner.token),
            Some(json!({ "price_fen": 8_800, "version": 1 })),
        )
        .await;
    assert_eq!((s, p["price_fen"].as_i64(), p["version"].as_i64()), (StatusCode::OK, Some(8_800), Some(2)));
    let (s, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/products/{id}"),
            Some(&owner.token),
            Some(json!({ "price_fen": 7_700, "version": 1 })),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "a stale version is refused");
    let (s, _) = app
        .call(Method::PATCH, &format!("/api/v1/products/{id}"), Some(&owner.token), Some(json!({ "kind": "account" })))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "the kind never changes");
});

http_test!(search_finds_what_a_buyer_means, |app| {
    let (owner, shop) = app.merchant("owner_q", "正版小铺").await;
    let win = app
        .product(
            &owner,
            shop,
            json!({ "category": "software_key", "title": "Windows 11 专业版 永久激活码", "price_fen": 1_990 }),
        )
        .await;
    let qb = app.product(&owner, shop, json!({ "title": "腾讯Q币点卡 100元", "price_fen": 9_800 })).await;
    let (_, r) = app.get("/api/v1/products?q=%E7%82%B9%E5%8D%A1", None).await;
    assert_eq!(r["items"][0]["id"].as_i64(), Some(qb), "点卡: {r}");
    let (_, r) = app.get("/api/v1/products?q=%E6%B0%B8%E4%B9%85%E6%BF%80%E6%B4%BB%E7%A0%81", None).await;
    assert_eq!(r["items"][0]["id"].as_i64(), Some(win), "永久激活码: {r}");
    let (_, r) = app.get("/api/v1/products?category=software_key", None).await;
    assert_eq!(r["total"], 1);
    let (_, r) = app.get("/api/v1/products?max_price_fen=5000", None).await;
    assert_eq!((r["total"].as_u64(), r["items"][0]["id"].as_i64()), (Some(1), Some(win)));
    app.call(Method::PATCH, &format!("/api/v1/products/{win}"), Some(&owner.token), Some(json!({ "on_sale": false })))
        .await;
    let (_, r) = app.get("/api/v1/products?q=%E6%BF%80%E6%B4%BB%E7%A0%81", None).await;
    assert_eq!(r["total"], 0, "off sale is not found: {r}");
});

http_test!(wallets_and_admin_credits, |app| {
    let admin = app.staff("root", "admin").await;
    let buyer = app.buyer("wallet_user").await;
    let (s, _) = app
        .post(
            "/api/v1/admin/wallets/wallet_user/credit",
            Some(&buyer.token),
            json!({ "amount_fen": 100, "reason": "自己给自己" }),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, e) = app
        .post(
            "/api/v1/admin/wallets/wallet_user/credit",
            Some(&admin.token),
            json!({ "amount_fen": -100, "reason": "负数" }),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, _) = app
        .post("/api/v1/admin/wallets/nobody/credit", Some(&admin.token), json!({ "amount_fen": 100, "reason": "x" }))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = app
        .post(
            "/api/v1/admin/wallets/wallet_user/credit",
            Some(&admin.token),
            json!({ "amount_fen": 12_345, "reason": "线下充值" }),
        )
        .await;
    assert_eq!((s, b["balance_fen"].as_i64()), (StatusCode::OK, Some(12_345)));
    let (_, w) = app.get("/api/v1/wallet", Some(&buyer.token)).await;
    assert_eq!(
        (w["lines"][0]["amount_fen"].as_i64(), w["lines"][0]["memo"].as_str()),
        (Some(12_345), Some("线下充值"))
    );
    let (s, _) = app.post("/api/v1/demo/faucet", Some(&buyer.token), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no faucet outside demo mode");
    let (s, a) = app.get("/api/v1/admin/ledger/audit", Some(&admin.token)).await;
    assert_eq!((s, a["ok"].as_bool()), (StatusCode::OK, Some(true)));
});
