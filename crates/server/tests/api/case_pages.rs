//! The case pages on both backends, as a browser without JavaScript uses them:
//! 申请售后 from the order page (multipart, with a screenshot), the merchant's
//! 售后 list by deadline, the platform's 仲裁 queue and decision form, CSRF on
//! every form, and a bad screenshot re-shown with nothing written.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;
use youying_testkit::http_test;
use youying_testkit::web::Web;

http_test!(a_case_through_the_pages_from_order_to_arbitration, |app| {
    let (owner, shop) = app.merchant("page_owner", "页面售后店").await;
    let product = app
        .product(
            &owner,
            shop,
            json!({ "kind": "account", "category": "game_account", "title": "账号 <b>60级</b>", "price_fen": 5_000,
            "account_attrs": [{ "name": "等级", "value": "60" }] }),
        )
        .await;
    app.import(&owner, product, "acc1----pw1\n", false).await;
    let buyer = app.buyer("page_buyer").await;
    app.credit(&buyer, 10_000).await;
    let (_, o) = app.buy(&buyer, product, 1, None).await;
    let no = o["order"]["no"].as_str().unwrap().to_owned();

    let mut b = Web::new(&app, &buyer);
    let (_, page) = b.get(&format!("/orders/{no}")).await;
    assert!(page.contains("id=\"open-case\"") && page.contains("申请售后"), "the order page offers 申请售后");
    let (st, form) = b.get(&format!("/orders/{no}/cases")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        form.contains("value=\"account_mismatch\"") && form.contains("value=\"等级\""),
        "the declared attributes to tick"
    );

    // A file that is not an image: the form comes back with the reason; nothing written.
    let fields = [("type", "account_mismatch"), ("description", "等级只有 40"), ("mismatched", "等级")];
    let (st, _, body) = b
        .multipart(
            &format!("/orders/{no}/cases"),
            &fields,
            &[("screenshots", "a.png", "image/png", b"GIF89a not allowed")],
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("截图须为 PNG、JPEG 或 WebP 图片"), "{body}");
    let (_, list) = app.get(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token)).await;
    assert_eq!(list, json!([]));
    let (st, _, _) = b
        .multipart(&format!("/orders/{no}/cases"), &[("_csrf", "forged"), ("type", "other"), ("description", "x")], &[])
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "CSRF");

    // A real 1×1 PNG: screenshots are checked by their content.
    let png = base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .unwrap();
    let (st, to, _) =
        b.multipart(&format!("/orders/{no}/cases"), &fields, &[("screenshots", "shot.png", "image/png", &png)]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, page) = b.get(&to).await;
    assert!(page.contains("商家需在") && page.contains("case-countdown") && page.contains("shot.png"), "{page}");

    // The merchant's 售后 list, then a contest.
    let mut m = Web::new(&app, &owner);
    let (_, list) = m.get("/merchant/cases").await;
    assert!(list.contains("data-nav=\"merchant-cases\"") && list.contains(&no) && list.contains("待商家处理"));
    let (_, page) = m.get(&to).await;
    assert!(
        page.contains("id=\"contest-form\"") && page.contains("id=\"reissue-form\""),
        "an account can be reissued from stock"
    );
    let (st, _, _) =
        m.multipart(&format!("{to}/actions"), &[("action", "contest"), ("reason", "发货时 60 级")], &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);

    // The platform's 仲裁 queue and decision form.
    let agent = app.staff("page_agent", "agent").await;
    let mut a = Web::new(&app, &agent);
    let (_, q) = a.get("/platform/cases").await;
    assert!(q.contains("data-nav=\"arbitration\"") && q.contains(&no) && q.contains("平台仲裁中"), "{q}");
    let (_, page) = a.get(&to).await;
    assert!(page.contains("id=\"decide-form\""));
    let decide = [
        ("action", "decide"),
        ("decision", "partial_refund"),
        ("amount", "20.00"),
        ("account_returned", "1"),
        ("reason", "等级不符，退一部分"),
    ];
    let (st, _, _) = a.multipart(&format!("{to}/actions"), &decide, &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, page) = b.get(&to).await;
    assert!(page.contains("已部分退款") && page.contains("平台裁决部分退款") && page.contains("¥20.00"), "{page}");
    assert_eq!(app.balance(&buyer).await, 10_000 - 5_000 + 2_000);
    let (st, _, _) = a.multipart(&format!("{to}/actions"), &decide, &[]).await;
    assert_eq!(st, StatusCode::CONFLICT, "decided once");

    let stranger = app.buyer("page_stranger").await;
    let (st, _) = Web::new(&app, &stranger).get(&to).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
});
