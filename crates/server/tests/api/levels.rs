//! Buyer levels (会员等级): an admin makes 代理 95折 and puts a buyer on it;
//! the buyer sees and pays the level price, and the snapshot says why; a
//! shop's fixed level price wins; only admins change levels, only the shop
//! sets its prices.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_testkit::market::card_shop;
use youying_testkit::{TestApp, TestUser, http_test};

async fn agent_level<S: youying_core::ports::Store>(app: &TestApp<S>, admin: &TestUser) -> i64 {
    let (s, l) = app
        .post("/api/v1/admin/levels", Some(&admin.token), json!({ "name": "代理", "position": 2, "discount_bp": 500 }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{l}");
    assert_eq!((l["zhe"].as_str(), l["is_default"].as_bool()), (Some("95折"), Some(false)));
    l["id"].as_i64().unwrap()
}

async fn assign<S: youying_core::ports::Store>(
    app: &TestApp<S>,
    admin: &TestUser,
    user: &TestUser,
    level: i64,
) -> (StatusCode, Value) {
    app.put(&format!("/api/v1/admin/users/{}/level", user.id), Some(&admin.token), json!({ "level_id": level })).await
}

http_test!(an_agent_sees_and_pays_the_level_price_and_the_snapshot_says_why, |app| {
    let admin = app.staff("root", "admin").await;
    let shop = card_shop(&app, "lv", 1_000, "K1\nK2\nK3").await;
    let level = agent_level(&app, &admin).await;
    let buyer = app.buyer("daili").await;
    let plain = app.buyer("putong").await;
    let (s, me) = app.get("/api/v1/me", Some(&buyer.token)).await;
    assert_eq!((s, me["level"]["name"].as_str()), (StatusCode::OK, Some("普通会员")), "{me}");
    let (s, body) = assign(&app, &admin, &buyer, level).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, me) = app.get("/api/v1/me", Some(&buyer.token)).await;
    assert_eq!(me["level"]["name"], "代理");

    let path = format!("/api/v1/products/{}", shop.product);
    let (_, seen) = app.get(&path, Some(&buyer.token)).await;
    assert_eq!((seen["price_fen"].as_i64(), seen["your_price_fen"].as_i64()), (Some(1_000), Some(950)), "{seen}");
    assert_eq!(
        seen["your_price_basis"],
        json!({ "kind": "level_discount", "level_id": level, "level_name": "代理", "discount_bp": 500 })
    );
    let (_, anon) = app.get(&path, None).await;
    assert_eq!(
        (anon["your_price_fen"].as_i64(), anon["your_price_basis"]["kind"].as_str()),
        (Some(1_000), Some("list"))
    );
    let (_, list) = app.get(&format!("/api/v1/shops/{}/products", shop.shop), Some(&buyer.token)).await;
    assert_eq!(list[0]["your_price_fen"].as_i64(), Some(950), "{list}");

    app.credit(&buyer, 950).await;
    let (s, o) = app.buy(&buyer, shop.product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!((o["order"]["total_fen"].as_i64(), app.balance(&buyer).await), (Some(950), 0));
    let no = o["order"]["no"].as_str().unwrap();
    let (_, snap) = app.get(&format!("/api/v1/orders/{no}/snapshot"), Some(&buyer.token)).await;
    assert_eq!(snap["snapshot"]["paid"]["unit_price_fen"].as_i64(), Some(950), "{snap}");
    assert_eq!(snap["snapshot"]["paid"]["basis"]["kind"], "level_discount");

    // A buyer without a level pays the list price; the snapshot records no basis.
    app.credit(&plain, 1_000).await;
    let (s, o) = app.buy(&plain, shop.product, 1, None).await;
    assert_eq!((s, o["order"]["total_fen"].as_i64()), (StatusCode::CREATED, Some(1_000)), "{o}");
    let no = o["order"]["no"].as_str().unwrap();
    let (_, snap) = app.get(&format!("/api/v1/orders/{no}/snapshot"), Some(&plain.token)).await;
    assert!(snap["snapshot"]["paid"].get("basis").is_none(), "{snap}");
    assert!(app.events_about(&format!("user:{}", buyer.id)).await.contains(&"level.assigned".to_owned()));
});

http_test!(the_shops_fixed_level_price_wins_and_never_raises_the_price, |app| {
    let admin = app.staff("root", "admin").await;
    let shop = card_shop(&app, "fx", 1_000, "K1\nK2").await;
    let level = agent_level(&app, &admin).await;
    let buyer = app.buyer("zongdai").await;
    assign(&app, &admin, &buyer, level).await;
    let url = format!("/api/v1/shops/{}/products/{}/level-prices", shop.shop, shop.product);
    let (s, prices) = app
        .put(&url, Some(&shop.owner.token), json!({ "prices": [{ "level_id": level, "unit_price_fen": 980 }] }))
        .await;
    assert_eq!(s, StatusCode::OK, "{prices}");
    let (_, got) = app.get(&url, Some(&shop.owner.token)).await;
    let row = got.as_array().unwrap().iter().find(|r| r["level_id"].as_i64() == Some(level)).unwrap().clone();
    assert_eq!(row["unit_price_fen"].as_i64(), Some(980), "{got}");
    let path = format!("/api/v1/products/{}", shop.product);
    let (_, seen) = app.get(&path, Some(&buyer.token)).await;
    assert_eq!(
        (seen["your_price_fen"].as_i64(), seen["your_price_basis"]["kind"].as_str()),
        (Some(980), Some("level_price"))
    );
    app.credit(&buyer, 980).await;
    let (s, o) = app.buy(&buyer, shop.product, 1, None).await;
    assert_eq!((s, o["order"]["total_fen"].as_i64()), (StatusCode::CREATED, Some(980)), "{o}");

    // Above the list price: the list price stands.
    app.put(&url, Some(&shop.owner.token), json!({ "prices": [{ "level_id": level, "unit_price_fen": 1_500 }] })).await;
    let (_, seen) = app.get(&path, Some(&buyer.token)).await;
    assert_eq!(
        (seen["your_price_fen"].as_i64(), seen["your_price_basis"]["kind"].as_str()),
        (Some(1_000), Some("list"))
    );
    // Cleared: the level's discount again.
    app.put(&url, Some(&shop.owner.token), json!({ "prices": [{ "level_id": level, "unit_price_fen": null }] })).await;
    let (_, seen) = app.get(&path, Some(&buyer.token)).await;
    assert_eq!(seen["your_price_fen"].as_i64(), Some(950));
    let (s, e) =
        app.put(&url, Some(&shop.owner.token), json!({ "prices": [{ "level_id": level, "unit_price_fen": 0 }] })).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")), "{e}");
});

http_test!(only_the_shop_sets_its_level_prices_and_only_admins_change_levels, |app| {
    let admin = app.staff("root", "admin").await;
    let shop = card_shop(&app, "own", 1_000, "K1").await;
    let other = card_shop(&app, "rival", 2_000, "R1").await;
    let level = agent_level(&app, &admin).await;
    let body = json!({ "prices": [{ "level_id": level, "unit_price_fen": 1 }] });
    // The rival's owner, on this shop's product: through this shop or through their own.
    for sid in [shop.shop, other.shop] {
        let url = format!("/api/v1/shops/{sid}/products/{}/level-prices", shop.product);
        let (s, e) = app.put(&url, Some(&other.owner.token), body.clone()).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{e}");
        assert_eq!(app.get(&url, Some(&other.owner.token)).await.0, StatusCode::NOT_FOUND);
    }
    let buyer = app.buyer("nobody").await;
    let (s, e) =
        app.post("/api/v1/admin/levels", Some(&buyer.token), json!({ "name": "总代", "discount_bp": 800 })).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    assert_eq!(assign(&app, &buyer, &buyer, level).await.0, StatusCode::FORBIDDEN);
    let support = app.staff("kefu", "agent").await;
    assert_eq!(
        app.put(&format!("/api/v1/admin/levels/{level}"), Some(&support.token), json!({ "discount_bp": 0 })).await.0,
        StatusCode::FORBIDDEN
    );

    for bp in [9_000, -1, 5_001] {
        let (s, e) =
            app.post("/api/v1/admin/levels", Some(&admin.token), json!({ "name": "错折", "discount_bp": bp })).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bp}: {e}");
        assert!(e["code"].is_string() && e["message"].is_string(), "{e}");
    }
    let (s, e) =
        app.put(&format!("/api/v1/admin/levels/{level}"), Some(&admin.token), json!({ "discount_bp": 9_000 })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, l) = app
        .put(
            &format!("/api/v1/admin/levels/{level}"),
            Some(&admin.token),
            json!({ "discount_bp": 800, "name": "总代" }),
        )
        .await;
    assert_eq!((s, l["zhe"].as_str(), l["name"].as_str()), (StatusCode::OK, Some("92折"), Some("总代")), "{l}");
    let (s, list) = app.get("/api/v1/levels", None).await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = list.as_array().unwrap().iter().filter_map(|l| l["name"].as_str()).collect();
    assert_eq!(names, ["普通会员", "总代"]);
    assert!(app.events_about(&format!("level:{level}")).await.contains(&"level.updated".to_owned()));
    // Making 总代 the default moves every account without a level onto it.
    let (s, _) =
        app.put(&format!("/api/v1/admin/levels/{level}"), Some(&admin.token), json!({ "is_default": true })).await;
    assert_eq!(s, StatusCode::OK);
    let (_, seen) = app.get(&format!("/api/v1/products/{}", shop.product), None).await;
    assert_eq!(seen["your_price_fen"].as_i64(), Some(920), "{seen}");
    let (_, list) = app.get("/api/v1/levels", None).await;
    assert_eq!(list.as_array().unwrap().iter().filter(|l| l["is_default"] == true).count(), 1, "{list}");
});

http_test!(a_short_wallet_pays_the_difference_to_the_level_price_through_a_gateway, |app| {
    let gw = youying_testkit::fakepay::FakeGateway::start_v1().await;
    let admin = app.staff("root", "admin").await;
    app.use_gateway(&admin, "main", &gw).await;
    let shop = card_shop(&app, "gw", 2_000, "KEY-LEVEL-1\n").await;
    let level = agent_level(&app, &admin).await;
    let buyer = app.buyer("daili_gw").await;
    assign(&app, &admin, &buyer, level).await;
    app.credit(&buyer, 500).await;
    let body = json!({ "product_id": shop.product, "quantity": 1, "pay": { "channel": "alipay" } });
    let (s, due) = app.post("/api/v1/orders", Some(&buyer.token), body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{due}");
    assert_eq!(due["payment"]["amount_fen"].as_i64(), Some(1_900 - 500), "the level price, less the wallet: {due}");
    let url = due["payment"]["pay_url"].as_str().unwrap();
    assert_eq!(app.client.get(url).send().await.unwrap().status(), StatusCode::OK);
    gw.fake.pay(due["payment"]["out_trade_no"].as_str().unwrap()).await;
    let p = app.top_up(&buyer, &due["payment"]).await;
    let no = p["order_no"].as_str().expect("the order placed").to_owned();
    let (_, o) = app.get(&format!("/api/v1/orders/{no}"), Some(&buyer.token)).await;
    assert_eq!((o["total_fen"].as_i64(), app.balance(&buyer).await), (Some(1_900), 0), "{o}");
});
