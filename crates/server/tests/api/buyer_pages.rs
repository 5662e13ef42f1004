//! The buyer's tools on both backends: product cards with the shop's grade and
//! the units sold (pages and API), buying with post/redirect/get and a refused
//! purchase shown beside its field, a new API token or invitation link shown
//! exactly once across a redirect, and 修改密码 (page and API).

use reqwest::StatusCode;
use serde_json::json;
use youying_core::grades::port::StoredGrade;
use youying_core::grades::{Figures, Grade};
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_testkit::web::Web;
use youying_testkit::{PASSWORD, TestApp, TestUser, http_test};

/// Publishes `grade` for `shop` as the grading job would.
async fn publish_grade<S: Store>(app: &TestApp<S>, shop: i64, grade: Grade) {
    let at = app.app.now();
    let g = StoredGrade { shop_id: ShopId(shop), grade, points: 90, figures: Figures::default(), computed_at: at };
    app.app.store.write(move |tx| tx.put_grade(&g)).await.unwrap();
}

/// The `data-product-id` card's HTML in a listing page.
fn card(page: &str, product: i64) -> &str {
    let at = page.find(&format!("data-product-id=\"{product}\"")).unwrap_or_else(|| panic!("no card {product}"));
    let rest = &page[at..];
    &rest[..rest.find("</li>").unwrap()]
}

http_test!(cards_show_the_shops_grade_and_units_sold, |app| {
    let (owner, shop) = app.merchant("gs_owner", "评级小铺").await;
    let sold = app.product(&owner, shop, json!({ "title": "网易一卡通 50元", "price_fen": 500 })).await;
    app.import(&owner, sold, "GS-1\nGS-2\nGS-3\nGS-4\n", false).await;
    let (other_owner, other_shop) = app.merchant("gs_new", "新开小铺").await;
    let fresh = app.product(&other_owner, other_shop, json!({ "title": "网易一卡通 30元", "price_fen": 300 })).await;
    publish_grade(&app, shop, Grade::A).await;
    let buyer = app.buyer("gs_buyer").await;
    app.credit(&buyer, 10_000).await;
    assert_eq!(app.buy(&buyer, sold, 2, None).await.0, StatusCode::CREATED);
    assert_eq!(app.buy(&buyer, sold, 1, None).await.0, StatusCode::CREATED);

    // The API's lists and the product itself carry both.
    let (_, found) = app.get("/api/v1/products?q=%E4%B8%80%E5%8D%A1%E9%80%9A", None).await;
    let items = found["items"].as_array().unwrap();
    let of = |id: i64| items.iter().find(|p| p["id"] == id).unwrap().clone();
    assert_eq!((of(sold)["sold"].as_i64(), of(sold)["shop_grade"].as_str()), (Some(3), Some("A")), "{found}");
    assert_eq!((of(fresh)["sold"].as_i64(), of(fresh)["shop_grade"].as_str()), (Some(0), Some("new")));
    let (_, one) = app.get(&format!("/api/v1/products/{sold}"), None).await;
    assert_eq!((one["sold"].as_i64(), one["shop_grade"].as_str()), (Some(3), Some("A")), "{one}");
    let (_, listed) = app.get(&format!("/api/v1/shops/{shop}/products"), None).await;
    assert_eq!(listed[0]["sold"].as_i64(), Some(3), "{listed}");

    // Every page a buyer chooses on shows them on each card.
    let mut web = Web::new(&app, &buyer);
    for path in ["/".to_owned(), "/search?q=%E4%B8%80%E5%8D%A1%E9%80%9A".to_owned(), format!("/shops/{shop}")] {
        let (s, page) = web.get(&path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let c = card(&page, sold);
        assert!(c.contains("grade-badge grade-A") && c.contains(">A<") && c.contains("已售 3"), "{path}: {c}");
    }
    let (_, page) = web.get("/").await;
    let c = card(&page, fresh);
    assert!(c.contains("grade-new") && c.contains("新店") && c.contains("已售 0"), "{c}");
    let (_, page) = web.get(&format!("/products/{sold}")).await;
    assert!(page.contains("id=\"product-grade\">A<") && page.contains("id=\"product-sold\">已售 3<"), "{page}");
    // The shop's page says the same grade.
    let (_, page) = web.get(&format!("/shops/{shop}")).await;
    assert!(page.contains("data-grade=\"A\""));
});

/// The `value` of the input called `name` in a page.
fn input_value(body: &str, name: &str) -> String {
    let at = body.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no input {name}"));
    let rest = &body[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

http_test!(a_purchase_lands_on_a_page_that_reloads_and_a_refusal_sits_beside_its_field, |app| {
    let (owner, shop) = app.merchant("rl_owner", "重载小铺").await;
    let card_p = app.product(&owner, shop, json!({ "max_per_order": 5 })).await;
    app.import(&owner, card_p, "RL-1\nRL-2\n", false).await;
    let fields = json!([{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }]);
    let topup = app
        .product(&owner, shop, json!({ "kind": "direct_topup", "title": "QQ会员 直充", "topup_fields": fields }))
        .await;
    let buyer = app.buyer("rl_buyer").await;
    app.credit(&buyer, 9_800).await;
    let mut web = Web::new(&app, &buyer);

    // A refused quantity: beside the quantity, with this listing's true limit, typed value kept.
    let (_, page) = web.get(&format!("/products/{card_p}")).await;
    let idem = input_value(&page, "idem");
    let path = format!("/products/{card_p}/buy");
    let (s, _, page) = web.post(&path, &[("quantity", "9"), ("idem", &idem)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"quantity-error\">购买数量须为 1–5 的整数。<") && page.contains("value=\"9\""),
        "{page}"
    );
    // Reloading the refused page's address (a GET) is the product page, not 405.
    let (s, to, _) = web.post(&path, &[("quantity", "x"), ("idem", &idem)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{to}");
    let get = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::SEE_OTHER);
    assert_eq!(get.headers()["location"], format!("/products/{card_p}").as_str());

    // Bought: 303 to the order page, which reloads as often as one likes and buys nothing more.
    let (s, to, _) = web.post(&path, &[("quantity", "1"), ("idem", &idem)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(to.starts_with("/orders/"), "{to}");
    for _ in 0..2 {
        let (s, page) = web.get(&to).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("RL-") || page.contains("卡密"), "the order page");
    }
    assert_eq!(app.balance(&buyer).await, 0, "charged once");

    // A top-up field left empty, then typed wrong: the message beside that field, the rest kept.
    let (_, page) = web.get(&format!("/products/{topup}")).await;
    let idem = input_value(&page, "idem");
    let path = format!("/products/{topup}/buy");
    let (s, _, page) = web.post(&path, &[("t_qq", ""), ("quantity", "1"), ("idem", &idem)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"t-qq-error\">请填写QQ号。<"), "{page}");
    let (s, _, page) = web.post(&path, &[("t_qq", "abc"), ("quantity", "1"), ("idem", &idem)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"t-qq-error\">QQ号格式不对") && page.contains("value=\"abc\""), "{page}");
    // The balance is short: said at the top of the form, nothing charged, the QQ kept.
    let (s, _, page) = web.post(&path, &[("t_qq", "123456"), ("quantity", "1"), ("idem", &idem)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("余额不足") && page.contains("value=\"123456\"") && !page.contains("t-qq-error"));
    let (_, list) = app.get("/api/v1/orders", Some(&buyer.token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
});

/// A GET with these cookies; returns the status, the `Set-Cookie` lines and the body.
async fn get_with<S: Store>(app: &TestApp<S>, path: &str, cookies: &str) -> (StatusCode, Vec<String>, String) {
    let resp = app.client.get(app.url(path)).header("cookie", cookies).send().await.unwrap();
    let set = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    (resp.status(), set, resp.text().await.unwrap())
}

/// A form POST with these cookies; returns the status, `Location`, the `Set-Cookie` lines and the body.
async fn post_with<S: Store>(
    app: &TestApp<S>,
    path: &str,
    cookies: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, Vec<String>, String) {
    let resp = app.client.post(app.url(path)).header("cookie", cookies).form(form).send().await.unwrap();
    let to = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    let set = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    (resp.status(), to, set, resp.text().await.unwrap())
}

/// The `name=value` part of the `Set-Cookie` line for `name`.
fn set_cookie<'a>(set: &'a [String], name: &str) -> &'a str {
    let line = set.iter().find(|c| c.starts_with(&format!("{name}="))).unwrap_or_else(|| panic!("{name}: {set:?}"));
    line.split(';').next().unwrap()
}

/// The session cookie and CSRF token of a fresh sign-in.
async fn session<S: Store>(app: &TestApp<S>, username: &str, password: &str) -> (String, String) {
    let (s, login) = app.login(username, password).await;
    assert_eq!(s, StatusCode::OK, "{login}");
    (format!("yy_session={}", login["token"].as_str().unwrap()), login["csrf_token"].as_str().unwrap().to_owned())
}

http_test!(a_new_api_token_is_shown_once_across_the_redirect, |app| {
    let user = app.buyer("tk_user").await;
    let (cookie, csrf) = session(&app, "tk_user", PASSWORD).await;
    let (s, _, _, page) = post_with(&app, "/account/tokens", &cookie, &[("name", ""), ("_csrf", &csrf)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"token-name-error\">令牌名称须为 1–60 个字符。<"), "{page}");

    let (s, to, set, _) = post_with(&app, "/account/tokens", &cookie, &[("name", "脚本"), ("_csrf", &csrf)]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/account#tokens"));
    let line = set.iter().find(|c| c.starts_with("yy_new_token=")).unwrap();
    assert!(line.contains("HttpOnly") && line.contains("Path=/account") && line.contains("Max-Age=120"), "{line}");
    let flash = set_cookie(&set, "yy_new_token");
    let token = flash.split_once('-').unwrap().1.to_owned();
    assert!(token.starts_with("yyt_"), "{flash}");

    // Another account signed in on the same browser does not see it.
    app.buyer("tk_other").await;
    let (other, _) = session(&app, "tk_other", PASSWORD).await;
    let (_, _, page) = get_with(&app, "/account", &format!("{other}; {flash}")).await;
    assert!(!page.contains(&token));

    let (s, set, page) = get_with(&app, "/account", &format!("{cookie}; {flash}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("id=\"new-token\">{token}<")), "shown once");
    assert!(set.iter().any(|c| c.starts_with("yy_new_token=;") && c.contains("Max-Age=0")), "{set:?}");
    // The reload (the browser has dropped the cookie): not shown, not made again.
    let (_, _, page) = get_with(&app, "/account", &cookie).await;
    assert!(!page.contains(&token) && !page.contains("id=\"new-token\""));
    let (_, list) = app.get("/api/v1/tokens", Some(&user.token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.0, StatusCode::OK, "the token works");
    // A GET of the form's address lands on the account page.
    let (s, _, _) = get_with(&app, "/account/tokens", &cookie).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
});

http_test!(an_invitation_link_is_shown_once_across_the_redirect, |app| {
    let (owner, shop) = app.merchant("iv_owner", "邀请小铺").await;
    let (cookie, csrf) = session(&app, &owner.username, PASSWORD).await;
    let path = format!("/merchant/shops/{shop}/invites");
    let (s, to, set, _) = post_with(&app, &path, &cookie, &[("_csrf", &csrf)]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/merchant"));
    let flash = set_cookie(&set, "yy_new_invite");
    let (_, set, page) = get_with(&app, "/merchant", &format!("{cookie}; {flash}")).await;
    assert!(page.contains("id=\"invite-link\"") && page.contains("/invite/yyi_"), "{page}");
    assert!(set.iter().any(|c| c.starts_with("yy_new_invite=;")), "{set:?}");
    let (_, _, page) = get_with(&app, "/merchant", &cookie).await;
    assert!(!page.contains("id=\"invite-link\""), "a reload shows it no more");
    let (_, list) = app.get(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "and makes no second one: {list}");
});

/// Whether `token`'s session still signs its holder in.
async fn signed_in<S: Store>(app: &TestApp<S>, token: &str) -> bool {
    app.get("/api/v1/me", Some(token)).await.0 == StatusCode::OK
}

http_test!(changing_the_password_on_the_account_page_ends_the_other_sessions, |app| {
    let user: TestUser = app.buyer("pw_user").await;
    let (cookie, csrf) = session(&app, "pw_user", PASSWORD).await;
    let post = |current: &'static str, new: &'static str, again: &'static str| {
        let form = [("current_password", current), ("new_password", new), ("new_password2", again), ("_csrf", &csrf)];
        let (app, cookie) = (&app, cookie.clone());
        async move { post_with(app, "/account/password", &cookie, &form).await }
    };
    let (s, _, _, page) = post("wrong-pass1", "newpass123", "newpass123").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"current-password-error\">当前密码不正确。<"), "{page}");
    assert!(app.events_about(&format!("user:{}", user.id)).await.contains(&"auth.login_failed".to_owned()));
    let (s, _, _, page) = post(PASSWORD, "newpass123", "newpass124").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"new-password2-error\">两次输入的新密码不一致。<"), "{page}");
    let (s, _, _, page) = post(PASSWORD, "short", "short").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"new-password-error\">密码太弱"), "{page}");
    assert!(!page.contains(PASSWORD), "a password is never written back into the page");
    assert!(signed_in(&app, &user.token).await, "nothing changed yet");

    let (s, to, _, _) = post(PASSWORD, "newpass123", "newpass123").await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/account?saved=password"));
    let (s, _, page) = get_with(&app, &to, &cookie).await;
    assert_eq!(s, StatusCode::OK, "this session stays");
    assert!(page.contains("密码已修改"));
    assert!(!signed_in(&app, &user.token).await, "the other session ended");
    assert_eq!(app.login("pw_user", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login("pw_user", "newpass123").await.0, StatusCode::OK);
    assert!(app.events_about(&format!("user:{}", user.id)).await.contains(&"auth.password_changed".to_owned()));
    let (s, _, _) = get_with(&app, "/account/password", &cookie).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "a GET of the form's address lands on the account page");
});

http_test!(changing_the_password_through_the_api, |app| {
    let user = app.buyer("pwapi_user").await;
    let other = app.signed_in("pwapi_user", PASSWORD).await;
    let path = "/api/v1/me/password";
    let (s, e) = app
        .post(path, Some(&user.token), json!({ "current_password": "nope-1234", "new_password": "apipass123" }))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) =
        app.post(path, Some(&user.token), json!({ "current_password": PASSWORD, "new_password": "weak" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(signed_in(&app, &other.token).await);
    let (s, e) =
        app.post(path, Some(&user.token), json!({ "current_password": PASSWORD, "new_password": "apipass123" })).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    assert!(signed_in(&app, &user.token).await, "the session that asked stays");
    assert!(!signed_in(&app, &other.token).await, "the other one ended");
    assert_eq!(app.login("pwapi_user", "apipass123").await.0, StatusCode::OK);
    assert_eq!(
        app.post(path, None, json!({ "current_password": "x", "new_password": "y" })).await.0,
        StatusCode::UNAUTHORIZED
    );
});
