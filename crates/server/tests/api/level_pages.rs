//! The 会员等级 pages: the admin's form (an error beside its field, what was
//! typed kept; PRG on success; assign by username), the shop's 等级价 form,
//! and the buyer's price on the product page, the account page and the snapshot.

use reqwest::StatusCode;
use youying_testkit::http_test;
use youying_testkit::market::card_shop;
use youying_testkit::web::Web;

http_test!(an_admin_makes_a_level_and_the_buyer_sees_and_pays_its_price_on_the_pages, |app| {
    let admin = app.staff("root", "admin").await;
    let shop = card_shop(&app, "pg", 1_000, "K1\nK2").await;
    let buyer = app.buyer("daili_pg").await;
    let mut web = Web::new(&app, &admin);
    let (s, html) = web.get("/platform/levels").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("普通会员") && html.contains("默认等级"), "{html}");

    let (s, _, html) =
        web.post("/platform/levels", &[("name", "代理"), ("position", "2"), ("discount_bp", "9000")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"new-level-error\"") && html.contains("0–5000 基点"), "{html}");
    assert!(html.contains("value=\"代理\"") && html.contains("value=\"9000\""), "what was typed is kept: {html}");
    let (s, to, _) = web.post("/platform/levels", &[("name", "代理"), ("position", "2"), ("discount_bp", "500")]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/platform/levels?done=created"));
    let (_, html) = web.get("/platform/levels?done=created").await;
    assert!(html.contains("等级已创建") && html.contains("95折"), "{html}");
    let (_, levels) = app.get("/api/v1/levels", None).await;
    let level = levels.as_array().unwrap().iter().find(|l| l["name"] == "代理").unwrap()["id"].as_i64().unwrap();

    let (s, _, html) =
        web.post("/platform/levels/assign", &[("username", "nobody_here"), ("level_id", &level.to_string())]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("没有这个用户名的账号") && html.contains("value=\"nobody_here\""), "{html}");
    let (s, to, _) =
        web.post("/platform/levels/assign", &[("username", "daili_pg"), ("level_id", &level.to_string())]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/platform/levels?done=assigned"));

    let mut me = Web::new(&app, &buyer);
    assert_eq!(me.get("/platform/levels").await.0, StatusCode::FORBIDDEN);
    let (_, html) = me.get("/account").await;
    assert!(html.contains("会员等级：<strong>代理</strong>"), "{html}");
    let (s, html) = me.get(&format!("/products/{}", shop.product)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<del class=\"muted\" id=\"list-price\">¥10.00</del>"), "{html}");
    assert!(html.contains("你的价格（代理）<strong class=\"price big\">¥9.50</strong>"), "{html}");

    app.credit(&buyer, 950).await;
    let (s, to, _) = me.post(&format!("/products/{}/buy", shop.product), &[("quantity", "1"), ("idem", "lv-1")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, html) = me.get(&format!("{to}/snapshot")).await;
    assert!(html.contains("代理价 ¥9.50（95折）"), "{html}");
    assert_eq!(app.balance(&buyer).await, 0);
});

http_test!(a_shop_sets_level_prices_on_its_product_page_and_a_rival_cannot, |app| {
    let admin = app.staff("root", "admin").await;
    let shop = card_shop(&app, "sp", 1_000, "K1").await;
    let rival = card_shop(&app, "rv", 1_000, "R1").await;
    let (_, l) = app
        .post("/api/v1/admin/levels", Some(&admin.token), serde_json::json!({ "name": "总代", "discount_bp": 800 }))
        .await;
    let level = l["id"].as_i64().unwrap();
    let path = format!("/merchant/shops/{}/products/{}/levels", shop.shop, shop.product);
    let mut web = Web::new(&app, &shop.owner);
    let (_, html) = web.get("/merchant").await;
    assert!(html.contains(&path), "the console links to 等级价: {html}");
    let (s, html) = web.get(&path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("总代（平台 92折）"), "{html}");
    let field = format!("level_{level}");
    let (s, _, html) = web.post(&path, &[(field.as_str(), "9.8x")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("value=\"9.8x\"") && html.contains("error-msg"), "{html}");
    let (s, to, _) = web.post(&path, &[(field.as_str(), "9.80")]).await;
    assert_eq!((s, to), (StatusCode::SEE_OTHER, format!("{path}?saved=1")));
    let (_, html) = web.get(&path).await;
    assert!(html.contains("value=\"9.80\""), "{html}");
    let (_, prices) = app
        .get(&format!("/api/v1/shops/{}/products/{}/level-prices", shop.shop, shop.product), Some(&shop.owner.token))
        .await;
    assert!(prices.as_array().unwrap().iter().any(|p| p["unit_price_fen"] == 980), "{prices}");

    let mut other = Web::new(&app, &rival.owner);
    assert_eq!(other.get(&path).await.0, StatusCode::NOT_FOUND);
    other.get("/merchant").await; // a page with this session's CSRF token
    let (s, _, _) = other.post(&path, &[(field.as_str(), "0.01")]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
});
