//! The market's server-rendered pages on both backends: the buy form and its
//! idempotency field, order pages and their access, the logged key reveal, the
//! stock page's all-or-nothing import report, and escaping of merchants' text.

use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;
use youying_testkit::web::Web;
use youying_testkit::{TestApp, TestUser, http_test};

/// The `value` of the input called `name` in a page.
fn input_value(body: &str, name: &str) -> String {
    let at = body.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no input {name}"));
    let rest = &body[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A shop with one card-key listing and `keys` in stock; returns (owner, shop, product).
async fn listing<S: Store>(app: &TestApp<S>, owner: &str, keys: &str) -> (TestUser, i64, i64) {
    let (owner, shop) = app.merchant(owner, &format!("{owner}的店")).await;
    let tiers = json!([{ "min_qty": 2, "unit_price_fen": 9_500 }]);
    let product = app.product(&owner, shop, json!({ "tiers": tiers, "promises": ["instant"] })).await;
    let (s, r) = app.import(&owner, product, keys, false).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    (owner, shop, product)
}

http_test!(the_buy_form_buys_once_on_a_double_submit, |app| {
    let (_, _, product) = listing(&app, "page_seller", "PK-1\nPK-2\nPK-3\n").await;
    let buyer = app.buyer("page_buyer").await;
    app.credit(&buyer, 20_000).await;
    let mut web = Web::new(&app, &buyer);
    let (s, page) = web.get(&format!("/products/{product}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("¥98.00") && page.contains("库存 3") && page.contains("秒到账") && page.contains("立即购买"));
    assert!(page.contains("≥ 2") && page.contains("¥95.00"), "the wholesale tiers");
    let idem = input_value(&page, "idem");
    assert_eq!(idem.len(), 64);

    let path = format!("/products/{product}/buy");
    let form = [("quantity", "1"), ("idem", idem.as_str())];
    let (s1, to1, _) = web.post(&path, &form).await;
    let (s2, to2, _) = web.post(&path, &form).await;
    assert_eq!((s1, s2), (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER));
    assert!(to1.starts_with("/orders/"), "{to1}");
    assert_eq!(to1, to2, "the same order, not a second one");
    assert_eq!(app.balance(&buyer).await, 20_000 - 9_800, "charged once");
    let (_, list) = app.get("/api/v1/orders", Some(&buyer.token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Errors come back on the product page, in Chinese, with their status; nothing charged.
    let (_, page) = web.get(&format!("/products/{product}")).await;
    assert_ne!(input_value(&page, "idem"), idem, "every rendering gets a fresh key");
    let fresh = input_value(&page, "idem");
    let (s, _, page) = web.post(&path, &[("quantity", "5"), ("idem", fresh.as_str())]).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(page.contains("库存不足") && page.contains("id=\"buy-form\"") && page.contains("value=\"5\""));
    let (s, _, page) = web.post(&path, &[("quantity", "2"), ("idem", fresh.as_str())]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a failed attempt leaves the key unused, the balance is short");
    assert!(page.contains("余额不足"));
    assert_eq!(app.balance(&buyer).await, 20_000 - 9_800);

    // Signed out: the buy button is a sign-in link that comes back here.
    let anon = app.client.get(app.url(&format!("/products/{product}"))).send().await.unwrap();
    let body = anon.text().await.unwrap();
    assert!(body.contains(&format!("/login?next=/products/{product}")));
});

http_test!(a_foreign_order_page_is_not_found, |app| {
    let (owner, shop, product) = listing(&app, "fo_seller", "FO-KEY-1\n").await;
    let buyer = app.buyer("fo_buyer").await;
    app.credit(&buyer, 10_000).await;
    let (s, body) = app.buy(&buyer, product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED);
    let no = body["order"]["no"].as_str().unwrap().to_owned();

    let stranger = app.buyer("fo_stranger").await;
    let mut web = Web::new(&app, &stranger);
    for path in [format!("/orders/{no}"), format!("/orders/{no}/snapshot")] {
        let (s, page) = web.get(&path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("页面不存在"));
    }
    web.get("/orders").await;
    let (s, _, _) = web.post(&format!("/orders/{no}/reveal"), &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The shop's owner sees the order, never the key.
    let mut staff = Web::new(&app, &owner);
    let (s, page) = staff.get(&format!("/orders/{no}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&no) && !page.contains("FO-KEY-1") && !page.contains("reveal-form"));
    let (s, page) = staff.get(&format!("/merchant/shops/{shop}/orders")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&no) && page.contains("已发货·担保中"));
    let (s, _) = web.get(&format!("/merchant/shops/{shop}/orders")).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another shop's orders");
});

http_test!(the_reveal_shows_the_key_and_is_evidence, |app| {
    let (_, _, product) = listing(&app, "rv_seller", "RV-CODE-1----RV-SECRET-1\n").await;
    let buyer = app.buyer("rv_buyer").await;
    app.credit(&buyer, 10_000).await;
    let mut web = Web::new(&app, &buyer);
    let (_, page) = web.get(&format!("/products/{product}")).await;
    let idem = input_value(&page, "idem");
    let (_, to, _) = web.post(&format!("/products/{product}/buy"), &[("quantity", "1"), ("idem", &idem)]).await;
    let no = to.trim_start_matches("/orders/").to_owned();

    let (s, page) = web.get(&to).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("查看卡密") && !page.contains("RV-CODE-1"), "keys hidden until asked for");
    assert!(page.contains("交易快照") && page.contains("确认收货"));
    assert!(!app.events_about(&format!("order:{no}")).await.contains(&"order.key_revealed".to_owned()));

    let (s, keys, _) = web.post(&format!("/orders/{no}/reveal"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(keys.trim_end_matches("#keys")).await;
    assert!(page.contains("RV-CODE-1") && page.contains("RV-SECRET-1"));
    assert!(app.events_about(&format!("order:{no}")).await.contains(&"order.key_revealed".to_owned()));

    let (s, snap) = web.get(&format!("/orders/{no}/snapshot")).await;
    assert_eq!(s, StatusCode::OK);
    let (_, api) = app.get(&format!("/api/v1/orders/{no}/snapshot"), Some(&buyer.token)).await;
    assert!(snap.contains(api["sha256"].as_str().unwrap()) && snap.contains("腾讯Q币点卡 100元"));
    assert!(snap.contains("<pre class=\"canonical\"") && snap.contains("秒到账"));

    let (s, to, _) = web.post(&format!("/orders/{no}/confirm"), &[]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, format!("/orders/{no}").as_str()));
    let (_, page) = web.get(&to).await;
    assert!(page.contains("已完成") && !page.contains("confirm-form"));
    let (_, wallet) = web.get("/wallet").await;
    assert!(wallet.contains("¥2.00") && wallet.contains("支付订单") && !wallet.contains("faucet-form"));
    let (s, _, _) = web.post("/wallet/faucet", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no faucet outside demo mode");
});

http_test!(the_stock_page_reports_a_bad_line_and_imports_nothing, |app| {
    let (owner, shop) = app.merchant("st_owner", "导入页店").await;
    let mut web = Web::new(&app, &owner);
    let (s, _) = web.get(&format!("/merchant/shops/{shop}/products/new")).await;
    assert_eq!(s, StatusCode::OK);
    let new_path = format!("/merchant/shops/{shop}/products/new");
    let mut form = vec![
        ("category", "game_card"),
        ("kind", "card_key"),
        ("title", "网易一卡通点卡 50元"),
        ("price", "12.3x"),
        ("promises", "instant"),
        ("promises", "auto_delivery"),
    ];
    let (s, _, page) = web.post(&new_path, &form).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("价格格式不对") && page.contains("value=\"网易一卡通点卡 50元\""),
        "the form keeps the input"
    );
    form[3] = ("price", "12.34");
    let (s, to, _) = web.post(&new_path, &form).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let product: i64 = to.trim_start_matches("/merchant/products/").trim_end_matches("/stock").parse().unwrap();
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!((p["price_fen"].as_i64(), p["promises"].clone()), (Some(1_234), json!(["instant", "auto_delivery"])));

    let (s, page) = web.get(&to).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("enctype=\"multipart/form-data\"") && page.contains("跳过重复"));
    let (s, _, page) = web.multipart(&to, &[("text", "GOOD-KEY-1\nBAD A B\nGOOD-KEY-1\n")], &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("未导入任何内容") && page.contains("第 2 行：分隔后超过两段") && page.contains("与第 1 行相同")
    );
    let report = &page[page.find("id=\"import-report\"").unwrap()..page.find("id=\"stock-form\"").unwrap()];
    assert!(!report.contains("GOOD-KEY-1"), "the report names lines, never keys");
    assert!(page.contains(">GOOD-KEY-1\nBAD A B\nGOOD-KEY-1\n</textarea>"), "the paste is kept to be fixed");
    let (_, p) = app.get(&format!("/api/v1/products/{product}"), None).await;
    assert_eq!(p["stock"], 0, "all or nothing");

    let (s, _, page) =
        web.multipart(&to, &[("text", "K-1\nK-2\n")], &[("file", "k.txt", "text/plain", b"K-3\n")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "paste or file, not both");
    assert!(page.contains("请只选一种方式"));

    // A file over the site-wide 1 MiB limit goes through this route.
    let big: String = (0..20_000).map(|i| format!("BIG-{i:08}----{}\n", "s".repeat(44))).collect();
    assert!(big.len() > 1024 * 1024);
    let (s, report, page) =
        web.multipart(&to, &[("skip_duplicates", "1")], &[("file", "keys.txt", "text/plain", big.as_bytes())]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "post/redirect/get: {}", &page[..page.len().min(500)]);
    assert!(report.starts_with(&format!("{to}?imported=20000")), "{report}");
    let (s, page) = web.get(&report).await;
    assert_eq!(s, StatusCode::OK, "a reload shows the report again and imports nothing");
    assert!(page.contains("id=\"imported-count\">20000<"));
    let (_, console) = web.get("/merchant").await;
    assert!(console.contains("网易一卡通点卡 50元") && console.contains(">20000<"));

    // Off sale: gone from search, back on sale: found again.
    let (s, _, _) = web.post(&format!("/merchant/products/{product}/sale"), &[("on_sale", "0")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, found) = web.get(&format!("/search?q={}", "%E7%82%B9%E5%8D%A1")).await;
    assert!(!found.contains("网易一卡通点卡 50元"));
    let (s, _, _) = web.post(&format!("/merchant/products/{product}/sale"), &[("on_sale", "1")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, found) = web.get("/search?q=%E7%82%B9%E5%8D%A1").await;
    assert!(found.contains("网易一卡通点卡 50元") && found.contains("¥12.34") && found.contains("库存 20000"));

    // An account listing declares its attributes as 名称=值 lines; buyers see a checklist.
    let account = [
        ("category", "game_account"),
        ("kind", "account"),
        ("title", "原神 60级 账号"),
        ("price", "268"),
        ("account_attrs", "等级=80\n区服＝天空岛\n\n"),
        ("field_name", "ignored_for_accounts"),
    ];
    let (s, to, _) = web.post(&new_path, &account).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "account goods have stock: {to}");
    let id = to.trim_start_matches("/merchant/products/").trim_end_matches("/stock");
    let (_, page) = web.get(&format!("/products/{id}")).await;
    assert!(
        page.contains("¥268.00")
            && page.contains("等级：<strong>80</strong>")
            && page.contains("区服：<strong>天空岛</strong>")
    );
    let (s, _, page) = web
        .post(
            &new_path,
            &[
                ("category", "game_account"),
                ("kind", "account"),
                ("title", "坏属性"),
                ("price", "1"),
                ("account_attrs", "没有等号"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("账号属性格式不对"));
});

http_test!(merchant_text_is_escaped, |app| {
    let (owner, shop) = app.merchant("esc_owner", "转义店").await;
    let description = "**正品** [x](javascript:alert(2))\n\n<script>alert(1)</script>";
    let product = app
        .product(
            &owner,
            shop,
            json!({ "title": "点卡 <b>加粗</b>", "description": description, "instructions": "<i>说明</i>" }),
        )
        .await;
    let resp = app.client.get(app.url(&format!("/products/{product}"))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let page = resp.text().await.unwrap();
    assert!(!page.contains("<script>alert") && page.contains("&lt;script&gt;"), "raw HTML is text");
    assert!(page.contains("<strong>正品</strong>"), "Markdown still renders");
    assert!(!page.contains("javascript:"));
    assert!(!page.contains("<b>加粗</b>") && !page.contains("<i>说明</i>"));
    let found = app.client.get(app.url("/search?q=%E7%82%B9%E5%8D%A1")).send().await.unwrap().text().await.unwrap();
    assert!(found.contains(&format!("data-product-id=\"{product}\"")) && !found.contains("<b>加粗</b>"));
    let home = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains(&format!("/products/{product}")) && home.contains("游戏点卡"), "the storefront lists it");
});

http_test!(a_topup_through_the_pages_is_fulfilled_or_cancelled_when_late, |app| {
    let (owner, shop) = app.merchant("tp_owner", "直充页店").await;
    let fields = json!([{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }]);
    let topup = app
        .product(
            &owner,
            shop,
            json!({ "kind": "direct_topup", "category": "topup", "title": "QQ会员直充 1个月",
            "price_fen": 1_500, "topup_promise_secs": 600, "topup_fields": fields }),
        )
        .await;
    let buyer = app.buyer("tp_buyer").await;
    app.credit(&buyer, 10_000).await;
    let mut web = Web::new(&app, &buyer);
    let (_, page) = web.get(&format!("/products/{topup}")).await;
    assert!(
        page.contains("name=\"t_qq\"") && page.contains("pattern=\"[1-9][0-9]{4,11}\"") && page.contains("10 分钟")
    );
    assert!(!page.contains("库存"), "a top-up has no stock");
    let path = format!("/products/{topup}/buy");
    let idem = input_value(&page, "idem");
    let (s, _, page) = web.post(&path, &[("quantity", "1"), ("idem", &idem), ("t_qq", "0abc")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("QQ号格式不对") && page.contains("value=\"0abc\""));
    let (s, late, _) = web.post(&path, &[("quantity", "1"), ("idem", &idem), ("t_qq", "12345678")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&format!("/products/{topup}")).await;
    let idem2 = input_value(&page, "idem");
    let (_, served, _) = web.post(&path, &[("quantity", "1"), ("idem", &idem2), ("t_qq", "87654321")]).await;
    assert_ne!(late, served);
    let (_, page) = web.get(&late).await;
    assert!(page.contains("待商家充值") && page.contains("QQ号") && page.contains("12345678"));
    assert!(!page.contains("cancel-form") && !page.contains("reveal-form"), "not overdue yet; nothing to reveal");

    // The merchant fulfils one from the shop's orders page.
    let mut staff = Web::new(&app, &owner);
    let (_, orders) = staff.get(&format!("/merchant/shops/{shop}/orders")).await;
    assert!(orders.contains("待充值的直充订单") && orders.contains("87654321") && orders.contains("标记已充值"));
    let served_no = served.trim_start_matches("/orders/");
    let (s, to, _) =
        staff.post(&format!("/merchant/orders/{served_no}/fulfil"), &[("note", "已充值，流水号 T-42")]).await;
    assert_eq!((s, to), (StatusCode::SEE_OTHER, format!("/merchant/shops/{shop}/orders")));
    let (_, page) = web.get(&served).await;
    assert!(page.contains("已充值·担保中") && page.contains("流水号 T-42") && page.contains("确认收货"));

    // The other passes its promised time: the buyer cancels for an instant refund.
    app.advance(601).await;
    let (_, page) = web.get(&late).await;
    assert!(page.contains("取消并退款") && page.contains("已超过承诺时间"));
    let late_no = late.trim_start_matches("/orders/");
    let (s, _, _) = web.post(&format!("/orders/{late_no}/cancel"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&late).await;
    assert!(page.contains("已退款"));
    assert_eq!(app.balance(&buyer).await, 10_000 - 1_500);
});
