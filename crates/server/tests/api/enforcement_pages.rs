//! The deposit and penalty pages on both backends: the merchant's 保证金与违规
//! page with its top-up form, and the admin's penalty overview whose lift form
//! refuses an empty reason.

use reqwest::StatusCode;
use serde_json::json;
use youying_core::Clock;
use youying_core::enforcement;
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_testkit::web::Web;
use youying_testkit::{DEPOSIT_MIN_FEN, http_test};

http_test!(the_merchant_tops_up_on_the_deposit_page, |app| {
    let (owner, shop) = app.merchant_without_deposit("laozhou", "老周点卡").await;
    app.credit(&owner, DEPOSIT_MIN_FEN).await;
    let mut web = Web::new(&app, &owner);
    let (s, html) = web.get("/merchant").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("保证金低于下限") && html.contains(&format!("/merchant/shops/{shop}/enforcement")));
    let path = format!("/merchant/shops/{shop}/enforcement");
    let (s, html) = web.get(&path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("¥0.00") && html.contains("¥1000.00") && html.contains("listing-hidden"), "{html}");
    assert!(
        html.contains("30 天 内违规次数：第 1 次警告，第 3 次降权 7 天，第 5 次从保证金罚款 ¥50.00，第 10 次"),
        "{html}"
    );
    let form = format!("/merchant/shops/{shop}/deposit");
    let (s, _, html) = web.post(&form, &[("amount", "2000"), ("from", "wallet")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "more than the wallet holds");
    assert!(html.contains("error-msg"));
    let (s, to, _) = web.post(&form, &[("amount", "1000.00"), ("from", "wallet")]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, path.as_str()));
    let (_, html) = web.get(&path).await;
    assert!(html.contains("listing-ok") && html.contains("¥1000.00"));
    let (s, _, _) = Web::new(&app, &owner).post(&form, &[("amount", "1")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no CSRF token, no top-up");
});

http_test!(the_admin_lifts_a_penalty_from_the_overview_with_a_reason, |app| {
    let (owner, shop) = app.merchant("laowu", "老吴点卡").await;
    for i in 0..3 {
        app.clock.advance_secs(1);
        let now = app.clock.now();
        app.app
            .store
            .write(move |tx| {
                enforcement::record_breach(
                    tx,
                    now,
                    ShopId(shop),
                    enforcement::BreachKind::ChatReply,
                    &format!("conversation:{i}"),
                    &json!({}),
                )
            })
            .await
            .unwrap();
    }
    let mut merchant = Web::new(&app, &owner);
    let (_, html) = merchant.get(&format!("/merchant/shops/{shop}/enforcement")).await;
    assert!(html.contains("降权") && html.contains("超时未回复买家") && html.contains("/merchant/chat/2"), "{html}");
    assert!(
        app.client
            .get(app.url(&format!("/shops/{shop}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("shop-downranked")
    );

    let admin = app.staff("admin1", "admin").await;
    let mut web = Web::new(&app, &admin);
    let (s, html) = web.get("/platform/penalties").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("老吴点卡") && html.contains("lift-form"));
    let (_, list) = app.get(&format!("/api/v1/shops/{shop}/penalties"), Some(&owner.token)).await;
    let down = list["penalties"][0]["id"].as_i64().unwrap();
    let lift = format!("/admin/penalties/{down}/lift");
    let (s, _, html) = web.post(&lift, &[("reason", "  ")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    assert!(html.contains("请填写原因"));
    let (s, _, html) = web.post(&lift, &[("reason", "平台故障导致超时")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("处罚已撤销") && html.contains("平台故障导致超时"));
    let (_, html) = merchant.get(&format!("/merchant/shops/{shop}/enforcement")).await;
    assert!(html.contains("已撤销") && html.contains("平台故障导致超时") && !html.contains("id=\"downranked\""));
    let (s, _, _) = merchant.post(&lift, &[("reason", "我自己撤销")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "merchants cannot lift");
});
