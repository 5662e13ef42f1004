//! The merchant's tools as pages, on both backends: editing a listing (past
//! orders keep their snapshot), bulk 上架/下架/改价 all or nothing, exporting
//! unsold keys, a rejected import keeping the paste, and the 待办 dashboard.

use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;
use youying_testkit::chat::say;
use youying_testkit::web::Web;
use youying_testkit::{TestApp, TestUser, http_test};

/// A shop with a card-key listing (a 10-unit tier at ¥95.00) and `keys` in stock.
async fn listing<S: Store>(app: &TestApp<S>, owner: &str, keys: &str) -> (TestUser, i64, i64) {
    let (owner, shop) = app.merchant(owner, &format!("{owner}的店")).await;
    let tiers = json!([{ "min_qty": 10, "unit_price_fen": 9_500 }]);
    let product = app.product(&owner, shop, json!({ "tiers": tiers, "instructions": "官网兑换" })).await;
    if !keys.is_empty() {
        let (s, r) = app.import(&owner, product, keys, false).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    (owner, shop, product)
}

http_test!(editing_a_listing_leaves_past_orders_as_they_were, |app| {
    let (owner, _, product) = listing(&app, "ed_owner", "E-1\nE-2\n").await;
    let buyer = app.buyer("ed_buyer").await;
    app.credit(&buyer, 20_000).await;
    let (s, o) = app.buy(&buyer, product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();

    let mut web = Web::new(&app, &owner);
    let path = format!("/merchant/products/{product}/edit");
    let (s, page) = web.get(&path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("value=\"98.00\"") && page.contains("10=95.00") && page.contains("官网兑换"), "{page}");
    let version = page.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let mut form = vec![
        ("category", "game_card"),
        ("title", "腾讯Q币点卡 100元（新）"),
        ("price", "0.5"),
        ("tiers", "10=95.00"),
        ("instructions", "登录 → 充值中心"),
        ("version", version.as_str()),
    ];
    let (s, _, page) = web.post(&path, &form).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a price below the tier");
    assert!(page.contains("data-error-for=\"tiers\"") && page.contains("value=\"腾讯Q币点卡 100元（新）\""), "{page}");
    form[2] = ("price", "99.00");
    let (s, to, _) = web.post(&path, &form).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, format!("{path}?saved=1").as_str()));
    let (s, page) = web.get(&to).await;
    assert!(s == StatusCode::OK && page.contains("已保存"), "the result page reloads");
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!((p["price_fen"].as_i64(), p["title"].as_str()), (Some(9_900), Some("腾讯Q币点卡 100元（新）")));
    assert_eq!(p["instructions"], "登录 → 充值中心");
    let (_, snap) = app.get(&format!("/api/v1/orders/{no}/snapshot"), Some(&buyer.token)).await;
    assert_eq!(snap["snapshot"]["title"], "腾讯Q币点卡 100元", "the order keeps what was sold: {snap}");
    assert_eq!(snap["snapshot"]["paid"]["total_fen"], 9_800);
    assert!(app.events_about(&format!("product:{product}")).await.contains(&"product.updated".to_owned()));

    let (stranger, _) = app.merchant("ed_other", "别人的店").await;
    let mut other = Web::new(&app, &stranger);
    assert_eq!(other.get(&path).await.0, StatusCode::NOT_FOUND);
    form[1] = ("title", "被人改了");
    assert_eq!(other.post(&path, &form).await.0, StatusCode::NOT_FOUND);
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(p["title"], "腾讯Q币点卡 100元（新）", "nothing changed");
});

http_test!(a_topup_listing_takes_several_buyer_fields, |app| {
    let (owner, shop) = app.merchant("tf_owner", "直充编辑店").await;
    let topup = app
        .product(
            &owner,
            shop,
            json!({ "kind": "direct_topup", "category": "topup", "title": "王者荣耀点券直充", "price_fen": 1_000,
            "topup_fields": [{ "name": "qq", "label": "QQ号" }] }),
        )
        .await;
    let mut web = Web::new(&app, &owner);
    let path = format!("/merchant/products/{topup}/edit");
    let (_, page) = web.get(&path).await;
    assert!(page.contains("value=\"QQ号\"") && page.matches("name=\"field_name\"").count() == 2, "{page}");
    let form = [
        ("category", "topup"),
        ("title", "王者荣耀点券直充"),
        ("price", "10.00"),
        ("topup_minutes", "30"),
        ("field_name", "qq"),
        ("field_label", "QQ号"),
        ("field_pattern", "[1-9][0-9]{4,11}"),
        ("field_required", "1"),
        ("field_name", "zone"),
        ("field_label", "区服"),
        ("field_pattern", ""),
        ("field_required", "0"),
        ("field_name", ""),
        ("field_label", ""),
        ("field_pattern", ""),
        ("field_required", "1"),
    ];
    let (s, _, page) = web.post(&path, &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{page}");
    let (_, p) = app.get(&format!("/api/v1/products/{topup}"), None).await;
    assert_eq!(
        p["topup_fields"],
        json!([{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }, { "name": "zone", "label": "区服", "pattern": null, "required": false }])
    );
    assert_eq!(p["topup_promise_secs"], 1_800);
    let buyer = app.buyer("tf_buyer").await;
    app.credit(&buyer, 5_000).await;
    let mut shopper = Web::new(&app, &buyer);
    let (_, page) = shopper.get(&format!("/products/{topup}")).await;
    assert!(
        page.contains("name=\"t_zone\" value=\"\" placeholder=\"选填\"")
            && page.contains("name=\"t_qq\" value=\"\" required"),
        "{page}"
    );
    let (s, o) = app
        .post("/api/v1/orders", Some(&buyer.token), json!({ "product_id": topup, "topup_target": { "qq": "123456" } }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "区服 is optional: {o}");
    assert_eq!(o["order"]["topup_target"], json!({ "qq": "123456" }));
    let bad = [
        ("category", "topup"),
        ("title", "王者荣耀点券直充"),
        ("price", "10.00"),
        ("field_name", "q q"),
        ("field_label", "QQ号"),
    ];
    let (s, _, page) = web.post(&path, &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("data-error-for=\"topup_fields\"") && page.contains("value=\"q q\""), "{page}");
});

http_test!(bulk_changes_all_listings_or_none, |app| {
    let (owner, shop, a) = listing(&app, "bk_owner", "").await;
    let b = app.product(&owner, shop, json!({ "title": "网易一卡通 50元", "price_fen": 5_000 })).await;
    let (_, _, theirs) = listing(&app, "bk_other", "").await;
    let mut web = Web::new(&app, &owner);
    let (_, console) = web.get("/merchant").await;
    assert!(console.contains(&format!("name=\"ids\" value=\"{a}\" form=\"bulk-{shop}\"")), "{console}");

    let bulk = format!("/merchant/shops/{shop}/products/bulk");
    let (s, page) = web.get(&format!("{bulk}?op=off&ids={a}&ids={b}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("将对以下 <strong>2</strong> 个商品下架") && page.contains("网易一卡通 50元"), "{page}");
    assert_eq!(web.get(&format!("{bulk}?op=off&ids={a}&ids={theirs}")).await.0, StatusCode::NOT_FOUND);

    let (a_s, b_s, t_s) = (a.to_string(), b.to_string(), theirs.to_string());
    let smuggled = [("op", "off"), ("ids", a_s.as_str()), ("ids", t_s.as_str())];
    assert_eq!(web.post(&bulk, &smuggled).await.0, StatusCode::NOT_FOUND, "another shop's id");
    let on_sale = |id: i64| {
        let app = &app;
        async move { app.get(&format!("/api/v1/products/{id}"), None).await.1["on_sale"].as_bool().unwrap() }
    };
    assert!(on_sale(a).await && on_sale(theirs).await, "nothing changed");

    let (s, _, page) = web.post(&bulk, &[("op", "price"), ("price", "90.00"), ("ids", &a_s), ("ids", &b_s)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("全部商品都未修改") && page.contains("新价格须高于批发价 ¥95.00（10 件起）"), "{page}");
    let price = |id: i64| {
        let app = &app;
        async move { app.get(&format!("/api/v1/products/{id}"), None).await.1["price_fen"].as_i64().unwrap() }
    };
    assert_eq!((price(a).await, price(b).await), (9_800, 5_000), "all or nothing");

    let (s, _, _) = web.post(&bulk, &[("op", "price"), ("percent", "-1"), ("ids", &a_s), ("ids", &b_s)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!((price(a).await, price(b).await), (9_702, 4_950));
    let (s, to, _) = web.post(&bulk, &[("op", "off"), ("ids", &a_s), ("ids", &b_s)]).await;
    assert_eq!((s, to), (StatusCode::SEE_OTHER, format!("/merchant#shop-{shop}")));
    assert!(!on_sale(a).await && !on_sale(b).await && on_sale(theirs).await);
});

http_test!(unsold_keys_export_to_their_owner_only_and_are_recorded, |app| {
    let (owner, _, product) = listing(&app, "ex_owner", "X-1\nX-2 pw2\nX-3----密码3\n").await;
    let buyer = app.buyer("ex_buyer").await;
    app.credit(&buyer, 20_000).await;
    assert_eq!(app.buy(&buyer, product, 1, None).await.0, StatusCode::CREATED);
    let mut web = Web::new(&app, &owner);
    let (_, page) = web.get(&format!("/merchant/products/{product}/stock")).await;
    assert!(page.contains("导出未售卡密"), "{page}");
    let path = format!("/merchant/products/{product}/stock/export");
    let post = |cookie: String, csrf: String| {
        let req = app.client.post(app.url(&path)).header("cookie", cookie).form(&[("_csrf", csrf)]);
        async move { req.send().await.unwrap() }
    };
    let cookie = format!("yy_session={}", owner.token);
    assert_eq!(post(cookie.clone(), String::new()).await.status(), StatusCode::FORBIDDEN, "CSRF");
    let r = post(cookie, web.csrf.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-disposition"], format!("attachment; filename=\"stock-{product}.txt\"").as_str());
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(r.text().await.unwrap(), "X-2----pw2\nX-3----密码3\n", "the sold X-1 is not there");
    let events = app.events_about(&format!("product:{product}")).await;
    assert_eq!(events.iter().filter(|e| *e == "stock.exported").count(), 1);

    let (stranger, _) = app.merchant("ex_other", "偷看店").await;
    let mut other = Web::new(&app, &stranger);
    other.get("/merchant").await;
    let r = post(format!("yy_session={}", stranger.token), other.csrf.clone()).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!r.text().await.unwrap().contains("X-2"));
    let api = |who: &TestUser| {
        let req = app.client.post(app.url(&format!("/api/v1/products/{product}/stock/export"))).bearer_auth(&who.token);
        async move { req.send().await.unwrap() }
    };
    assert_eq!(api(&stranger).await.status(), StatusCode::NOT_FOUND);
    let r = api(&owner).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "X-2----pw2\nX-3----密码3\n");
    assert_eq!(
        app.events_about(&format!("product:{product}")).await.iter().filter(|e| *e == "stock.exported").count(),
        2
    );
});

http_test!(a_rejected_import_keeps_the_paste_and_names_the_lines, |app| {
    let (owner, _, product) = listing(&app, "ik_owner", "OLD-1\n").await;
    let mut web = Web::new(&app, &owner);
    let to = format!("/merchant/products/{product}/stock");
    web.get(&to).await;
    let paste = "NEW-1\nBAD A B\nOLD-1\nNUL\u{0}KEY\n";
    let (s, _, page) = web.multipart(&to, &[("text", paste)], &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains(">NEW-1\nBAD A B\nOLD-1\n"), "the paste is back in the textarea: {page}");
    assert!(
        page.contains("id=\"stock-error\"")
            && page.contains("第 2、4 行格式不对")
            && page.contains("第 3 行与已有库存重复"),
        "{page}"
    );
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(p["stock"], 1, "nothing imported");
});

http_test!(the_dashboard_lists_due_work_soonest_first, |app| {
    let (owner, shop) = app.merchant("db_owner", "待办店").await;
    app.set_bot(&owner, shop, false).await;
    let mut web = Web::new(&app, &owner);
    let (_, page) = web.get("/merchant").await;
    assert!(page.contains(&format!("id=\"due-{shop}\"")) && page.contains("暂无待办"), "{page}");

    let product = app.product(&owner, shop, json!({ "title": "快卖完的点卡" })).await;
    assert_eq!(app.import(&owner, product, "L-1\n", false).await.0, StatusCode::OK);
    let mut convs = Vec::new();
    for name in ["db_first", "db_second"] {
        let buyer = app.buyer(name).await;
        let (s, c) = app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let conv = c["id"].as_i64().unwrap();
        say(&app, &buyer, conv, "在吗").await;
        convs.push(conv);
        app.advance(30).await;
    }
    let (_, page) = web.get("/merchant").await;
    let first = page.find(&format!("href=\"/merchant/chat/{}\"", convs[0])).expect("first chat listed");
    let second = page.find(&format!("href=\"/merchant/chat/{}\"", convs[1])).expect("second chat listed");
    assert!(first < second, "the earlier deadline first");
    assert!(page.contains("剩余 ") && page.contains("前回复"), "{page}");
    assert!(
        page.contains("快卖完的点卡") && page.contains(&format!("/merchant/products/{product}/stock")),
        "low stock"
    );
    assert!(page.contains("售后（0）") && page.contains("暂无"), "{page}");
});
