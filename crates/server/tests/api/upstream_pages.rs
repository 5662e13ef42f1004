//! 货源对接 in the pages: a merchant connects the fake upstream from the
//! shop's 货源对接 page (errors beside the field, the secret never typed
//! back), maps a product at +10 %, and sees it marked 货源对接 in the console.

use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;
use youying_testkit::fakeupstream::{CARD, FakeUpstream, KEY_ID, SECRET};
use youying_testkit::web::Web;
use youying_testkit::{TestApp, http_test};

async fn allow_private<S: Store>(app: &TestApp<S>) {
    let admin = app.staff("root", "admin").await;
    let (s, b) = app.put("/api/v1/admin/rules", Some(&admin.token), json!({ "allow_private_addresses": 1 })).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

http_test!(a_merchant_connects_and_maps_through_the_pages, |app| {
    allow_private(&app).await;
    let up = FakeUpstream::start(app.clock.clone()).await;
    let (owner, shop) = app.merchant("dock_owner", "对接小铺").await;
    let mut web = Web::new(&app, &owner);
    let (_, console) = web.get("/merchant").await;
    let list = format!("/merchant/shops/{shop}/upstreams");
    assert!(console.contains(&list), "linked from the shop's navigation");
    let (s, body) = web.get(&list).await;
    assert!(s == StatusCode::OK && body.contains("接入新货源"), "{body}");

    let base = up.base_url();
    let (s, _, body) = web.post(&list, &[("base_url", &base), ("key_id", KEY_ID), ("secret", "wrong-secret")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"secret-error\"") && body.contains(&base), "beside the field, URL kept: {body}");
    assert!(!body.contains("wrong-secret"), "the secret is never typed back");
    let (s, to, _) = web.post(&list, &[("base_url", &base), ("key_id", KEY_ID), ("secret", SECRET)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, page) = web.get(&to).await;
    assert!(s == StatusCode::OK && page.contains("上游卡盟") && page.contains("¥10.00"), "{page}");

    let action = format!("{}/mappings", to.split('?').next().unwrap_or(""));
    let card = CARD.to_string();
    let (s, _, body) =
        web.post(&action, &[("upstream_product_id", &card), ("rule", "fixed_price"), ("value", "9")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"map-error\"") && body.contains("不能低于进价"), "{body}");
    let (s, back, _) = web.post(&action, &[("upstream_product_id", &card), ("rule", "percent"), ("value", "10")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&back).await;
    assert!(page.contains("¥11.00") && page.contains("正常"), "{page}");
    let (_, console) = web.get("/merchant").await;
    assert!(console.contains("data-sourced") && console.contains("¥11.00"), "{console}");
});
