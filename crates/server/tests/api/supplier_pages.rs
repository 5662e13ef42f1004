//! 直充货源 in the pages: a merchant adds the fake supplier from the shop's
//! 货源对接 page (errors beside the field, typed values kept, the secret never
//! typed back), binds a direct-top-up product from the console's link, a buyer's
//! top-up completes by itself, and the supplier cannot be removed while bound.

use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;
use youying_testkit::fakesupplier::SupplierServer;
use youying_testkit::web::Web;
use youying_testkit::{TestApp, http_test};

async fn allow_private<S: Store>(app: &TestApp<S>) {
    let admin = app.staff("root", "admin").await;
    let (s, b) = app.put("/api/v1/admin/rules", Some(&admin.token), json!({ "allow_private_addresses": 1 })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

http_test!(a_merchant_adds_a_supplier_and_binds_a_top_up_through_the_pages, |app| {
    allow_private(&app).await;
    let sup = SupplierServer::start(app.clock.clone()).await;
    let (owner, shop) = app.merchant("sup_owner", "直充小铺").await;
    let product = app
        .product(
            &owner,
            shop,
            json!({ "category": "topup", "kind": "direct_topup", "title": "QQ会员 1个月 直充", "price_fen": 1_450,
                    "topup_fields": [{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }] }),
        )
        .await;
    let mut web = Web::new(&app, &owner);
    let list = format!("/merchant/shops/{shop}/upstreams");
    let (s, body) = web.get(&list).await;
    assert!(s == StatusCode::OK && body.contains("直充货源") && body.contains("id=\"supplier-form\""), "{body}");

    let add = format!("/merchant/shops/{shop}/suppliers");
    let base = sup.base_url();
    let form =
        |secret: &'static str| [("name", "测试<直充>"), ("base_url", "x"), ("app_id", "sup-test"), ("secret", secret)];
    let (s, _, body) = web.post(&add, &form("whatever")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"name-error\"") && body.contains("测试&#60;直充&#62;"), "escaped, kept: {body}");
    let (s, _, body) = web
        .post(&add, &[("name", "测试直充"), ("base_url", &base), ("app_id", "sup-test"), ("secret", "wrong-secret")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"sup-secret-error\"") && body.contains(&base), "beside the field, URL kept: {body}");
    assert!(!body.contains("wrong-secret"), "the secret is never typed back");
    let (s, to, _) = web
        .post(&add, &[("name", "测试直充"), ("base_url", &base), ("app_id", "sup-test"), ("secret", &sup.secret)])
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{to}");
    let (_, page) = web.get(&to).await;
    assert!(page.contains("测试直充") && page.contains("data-supplier="), "{page}");
    assert!(!page.contains(&sup.secret));

    // The console links a direct-top-up product to its binding page.
    let (_, console) = web.get("/merchant").await;
    let bind = format!("/merchant/shops/{shop}/products/{product}/supplier");
    assert!(console.contains(&bind) && console.contains("绑定直充货源"), "{console}");
    let (s, page) = web.get(&bind).await;
    assert!(s == StatusCode::OK && page.contains("id=\"bind-form\"") && page.contains("QQ号"), "{page}");
    let sid = page.split("<option value=\"").nth(1).and_then(|t| t.split('"').next()).unwrap().to_owned();
    let (s, _, body) = web.post(&bind, &[("supplier_id", &sid), ("sku", ""), ("account_field", "qq")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"sku-error\""), "{body}");
    let (s, back, _) = web.post(&bind, &[("supplier_id", &sid), ("sku", "QQVIP-1M"), ("account_field", "qq")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&back).await;
    assert!(page.contains("data-sku>QQVIP-1M<") && page.contains("解除绑定"), "{page}");

    // Bound: the supplier stays until unbound.
    let remove = format!("/merchant/shops/{shop}/suppliers/{sid}/remove");
    let (s, _, body) = web.post(&remove, &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"remove-error\"") && body.contains("解除绑定"), "{body}");

    let buyer = app.buyer("sup_buyer").await;
    app.credit(&buyer, 5_000).await;
    let body = json!({ "product_id": product, "topup_target": { "qq": "123456" } });
    let (s, o) = app.post("/api/v1/orders", Some(&buyer.token), body).await;
    assert_eq!((s, o["order"]["state"].as_str()), (StatusCode::CREATED, Some("fulfilled")), "done by itself: {o}");
    assert_eq!(sup.fake.orders()[0].account, "123456");

    let (s, back, _) = web.post(&format!("{bind}/unbind"), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&back).await;
    assert!(page.contains("未绑定"), "{page}");
    let (s, to, _) = web.post(&remove, &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{to}");
    let (_, page) = web.get(&to).await;
    assert!(page.contains("还没有接入直充货源"), "{page}");
});
