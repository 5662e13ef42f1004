//! The case pages on both backends, as a browser without JavaScript uses them:
//! 申请售后 from the order page (multipart, with a screenshot), the merchant's
//! 售后 list by deadline, the platform's 仲裁 queue and decision form, CSRF on
//! every form, and a bad screenshot re-shown with nothing written. A refused
//! form comes back (422) with the message beside its field, what was typed
//! kept and the true limit; a full refund asks first; staff see the disputed
//! units masked; each kind of goods gets its own words.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;
use youying_testkit::market::{self, Shop};
use youying_testkit::web::Web;
use youying_testkit::{TestApp, TestUser, http_test};

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

/// A card-key shop selling at ¥10.00 and a buyer who bought one (key `K-0001`).
async fn key_order<S: Store>(app: &TestApp<S>, name: &str) -> (Shop, TestUser, String) {
    let s = market::card_shop(app, name, 1_000, "K-0001\nK-0002\n").await;
    let buyer = app.buyer(&format!("{name}_buyer")).await;
    app.credit(&buyer, 10_000).await;
    let no = market::bought(app, &buyer, s.product).await;
    (s, buyer, no)
}

http_test!(an_empty_description_says_to_fill_it_in_and_keeps_the_form, |app| {
    let (_, buyer, no) = key_order(&app, "empty_desc").await;
    let mut b = Web::new(&app, &buyer);
    let (_, form) = b.get(&format!("/orders/{no}/cases")).await;
    assert!(form.contains("卡密已被使用") && !form.contains("account_mismatch"), "card-key words: {form}");
    let fields = [("type", "other"), ("description", "   ")];
    let (st, _, body) = b.multipart(&format!("/orders/{no}/cases"), &fields, &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("请填写问题描述") && !body.contains("10000"), "{body}");
    assert!(body.contains("value=\"other\" checked"), "the chosen type is kept: {body}");
    let long = "死".repeat(2_001);
    let (st, _, body) =
        b.multipart(&format!("/orders/{no}/cases"), &[("type", "key_invalid"), ("description", &long)], &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("问题描述不能超过 2000 字") && body.contains(&long), "the true limit, the text kept");
    let (_, list) = app.get(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token)).await;
    assert_eq!(list, json!([]), "nothing written");
});

http_test!(an_account_case_speaks_of_the_account_and_only_it_may_return_the_account, |app| {
    let (owner, shop) = app.merchant("acct_owner", "账号店").await;
    let product = app
        .product(
            &owner,
            shop,
            json!({ "kind": "account", "category": "game_account", "title": "账号", "price_fen": 5_000,
            "account_attrs": [{ "name": "等级", "value": "60" }] }),
        )
        .await;
    app.import(&owner, product, "player_login_42----pw1\n", false).await;
    let buyer = app.buyer("acct_buyer").await;
    app.credit(&buyer, 10_000).await;
    let no = market::bought(&app, &buyer, product).await;
    let mut b = Web::new(&app, &buyer);
    let (_, form) = b.get(&format!("/orders/{no}/cases")).await;
    let from = form.find("id=\"case-form\"").unwrap();
    let case_form = &form[from..from + form[from..].find("</form>").unwrap()];
    assert!(!case_form.contains("卡密") && case_form.contains("账号无法登录"), "account words: {case_form}");
    let fields = [("type", "other"), ("description", "登录提示密码错误")];
    let (st, to, _) = b.multipart(&format!("/orders/{no}/cases"), &fields, &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let mut m = Web::new(&app, &owner);
    m.get(&to).await;
    let (st, _, _) = m.multipart(&format!("{to}/actions"), &[("action", "contest"), ("reason", "登录正常")], &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let agent = app.staff("acct_agent", "agent").await;
    let mut a = Web::new(&app, &agent);
    let (_, page) = a.get(&to).await;
    assert!(page.contains("name=\"account_returned\""), "{page}");
    assert!(page.contains("id=\"units\"") && page.contains("pl***********42"), "the disputed account, masked: {page}");
    assert!(!page.contains("player_login_42"), "never in the clear for an agent");
    let decide = [("action", "decide"), ("decision", "refund"), ("reason", "无法登录")];
    let (st, _, _) = a.multipart(&format!("{to}/actions"), &decide, &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
});

http_test!(a_refused_arbitration_keeps_the_form_and_says_the_true_limit, |app| {
    let (s, buyer, no) = key_order(&app, "arb_limit").await;
    let (_, c) = app
        .post(
            &format!("/api/v1/orders/{no}/cases"),
            Some(&buyer.token),
            json!({ "type": "key_invalid", "description": "提示已被使用" }),
        )
        .await;
    let to = format!("/cases/{}", c["id"]);
    let mut m = Web::new(&app, &s.owner);
    let (_, page) = m.get(&to).await;
    assert!(page.contains("id=\"units\"") && page.contains("K****1") && !page.contains("K-0001"), "{page}");
    let (st, _, _) = m.multipart(&format!("{to}/actions"), &[("action", "contest"), ("reason", "卡密有效")], &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);

    let agent = app.staff("arb_agent", "agent").await;
    let mut a = Web::new(&app, &agent);
    let (_, page) = a.get(&to).await;
    assert!(!page.contains("account_returned") && !page.contains("K-0001"), "no 账号退回 on a card key: {page}");
    let typed = [("action", "decide"), ("decision", "partial_refund"), ("amount", ""), ("reason", "各退一步")];
    let (st, _, body) = a.multipart(&format!("{to}/actions"), &typed, &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"decide-form\"") && body.contains("id=\"decide-amount-error\""), "{body}");
    assert!(body.contains("请填写部分退款金额（本单最多可退 ¥10.00）"), "{body}");
    assert!(body.contains(">各退一步</textarea>") && body.contains("value=\"partial_refund\" checked"), "kept");
    assert!(!body.contains("10,000,000") && !body.contains("返回首页"), "{body}");
    let too_much = [("action", "decide"), ("decision", "partial_refund"), ("amount", "12.50"), ("reason", "各退一步")];
    let (st, _, body) = a.multipart(&format!("{to}/actions"), &too_much, &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("不能超过本单可退金额 ¥10.00") && body.contains("value=\"12.50\""), "{body}");
    let (st, _, body) = a.multipart(&format!("{to}/actions"), &[("action", "decide"), ("reason", "x")], &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "no decision ticked: nothing refunds by default");
    assert!(body.contains("id=\"decide-decision-error\""), "{body}");
    assert_eq!(app.balance(&buyer).await, 10_000 - 1_000, "nothing moved");
    let (_, c) = app.get(&to.replace("/cases", "/api/v1/cases"), Some(&agent.token)).await;
    assert_eq!(c["case"]["state"], "in_arbitration");

    let ok = [("action", "decide"), ("decision", "partial_refund"), ("amount", "4.00"), ("reason", "各退一步")];
    let (st, _, _) = a.multipart(&format!("{to}/actions"), &ok, &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(app.balance(&buyer).await, 10_000 - 1_000 + 400);
    let (st, _, body) = a.multipart(&format!("{to}/actions"), &ok, &[]).await;
    assert_eq!(st, StatusCode::CONFLICT, "decided once");
    assert!(body.contains("该售后已结束") && body.contains("id=\"timeline\""), "the case page says why: {body}");
});

http_test!(a_full_refund_names_the_amount_and_the_buyer_before_it_pays, |app| {
    let (s, buyer, no) = key_order(&app, "refund_ask").await;
    let (_, c) = app
        .post(
            &format!("/api/v1/orders/{no}/cases"),
            Some(&buyer.token),
            json!({ "type": "key_invalid", "description": "提示已被使用" }),
        )
        .await;
    let to = format!("/cases/{}", c["id"]);
    let mut m = Web::new(&app, &s.owner);
    let (_, page) = m.get(&to).await;
    assert!(page.contains("<details id=\"refund-confirm\">"), "folded until asked: {page}");
    assert!(page.contains("确认退款 <strong>¥10.00</strong> 给 买家 <strong>refund_ask_buyer</strong>"), "{page}");
    let (st, _, body) = m.multipart(&format!("{to}/actions"), &[("action", "refund")], &[]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "one tap does not refund");
    assert!(body.contains("<details id=\"refund-confirm\" open>") && body.contains("请再次确认"), "{body}");
    assert_eq!(app.balance(&buyer).await, 10_000 - 1_000);
    let (st, _, _) = m.multipart(&format!("{to}/actions"), &[("action", "refund"), ("confirm", "1000")], &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(app.balance(&buyer).await, 10_000);
});
