//! Guest orders on both backends: a visitor buys without registering, pays
//! through the fake gateway, reads the key, chats, opens a case and exports
//! the evidence like any buyer; finds the order again with the query password
//! (every failure answers the same, throttled like a login); and becomes a
//! full account. The pages: 游客购买, 订单查询 and 设置用户名和密码.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::fakepay::FakeGateway;
use youying_testkit::market::card_shop;
use youying_testkit::web::Web;
use youying_testkit::{TestApp, TestUser, http_test};

const PRICE: i64 = 990;
const PHONE: &str = "13800138000";
const QUERY_PW: &str = "chaxun66";

async fn with_gateway<S: Store>(app: &TestApp<S>) -> FakeGateway {
    let gw = FakeGateway::start_v1().await;
    let admin = app.staff("root", "admin").await;
    app.use_gateway(&admin, "main", &gw).await;
    gw
}

async fn guest_buys<S: Store>(app: &TestApp<S>, product: i64, contact: &str, pw: &str) -> (StatusCode, Value) {
    let body = json!({"product_id": product, "contact": contact, "query_password": pw, "pay": {"channel": "alipay"}});
    app.post("/api/v1/guest/orders", None, body).await
}

fn as_user(v: &Value) -> TestUser {
    TestUser {
        id: v["user_id"].as_i64().unwrap(),
        username: v["username"].as_str().unwrap().to_owned(),
        token: v["token"].as_str().unwrap().to_owned(),
    }
}

/// A guest's paid order: buys, pays on the cashier, and reads its order number.
async fn paid_guest<S: Store>(app: &TestApp<S>, gw: &FakeGateway, product: i64, contact: &str) -> (TestUser, String) {
    let (s, due) = guest_buys(app, product, contact, QUERY_PW).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{due}");
    let cashier = app.client.get(due["payment"]["pay_url"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(cashier.status(), StatusCode::OK);
    assert_eq!(gw.fake.pay(due["payment"]["out_trade_no"].as_str().unwrap()).await[0].body, "success");
    let guest = as_user(&due);
    let p = app.top_up(&guest, &due["payment"]).await;
    assert_eq!(p["state"], "paid", "{p}");
    (guest, p["order_no"].as_str().expect("the order placed").to_owned())
}

async fn lookup<S: Store>(app: &TestApp<S>, query: &str, pw: &str) -> (StatusCode, Value) {
    app.post("/api/v1/orders/lookup", None, json!({"query": query, "query_password": pw})).await
}

http_test!(a_guest_buys_reads_the_key_chats_opens_a_case_and_exports_evidence, |app| {
    let gw = with_gateway(&app).await;
    let shop = card_shop(&app, "guest", PRICE, "GUEST-KEY-0001\n").await;
    let (s, due) = guest_buys(&app, shop.product, " +86 138-0013-8000 ", QUERY_PW).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{due}");
    assert_eq!(due["payment"]["amount_fen"], PRICE, "a guest has no wallet: the whole price");
    assert!(due["username"].as_str().unwrap().starts_with("guest_"), "{due}");
    let out = due["payment"]["out_trade_no"].as_str().unwrap().to_owned();
    app.client.get(due["payment"]["pay_url"].as_str().unwrap()).send().await.unwrap();
    gw.fake.pay(&out).await;
    let guest = as_user(&due);
    let no = app.top_up(&guest, &due["payment"]).await["order_no"].as_str().unwrap().to_owned();

    // The key, as any buyer reads it.
    let (s, units) = app.post(&format!("/api/v1/orders/{no}/reveal"), Some(&guest.token), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{units}");
    assert!(units.to_string().contains("GUEST-KEY-0001"), "{units}");

    // Later, on another device: the order number and the query password.
    let (s, found) = lookup(&app, &no, QUERY_PW).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!((found["order_no"].as_str(), found["user_id"].as_i64()), (Some(no.as_str()), Some(guest.id)));
    let again = as_user(&found);
    let (s, order) = app.get(&format!("/api/v1/orders/{no}"), Some(&again.token)).await;
    assert_eq!(s, StatusCode::OK, "{order}");
    // Or the contact, written another way.
    let (s, by_contact) = lookup(&app, "138 0013 8000", QUERY_PW).await;
    assert_eq!((s, by_contact["order_no"].is_null()), (StatusCode::OK, true), "{by_contact}");

    // Chat with the shop, open a case, export the evidence: a buyer's guarantees.
    let (s, c) =
        app.post("/api/v1/conversations", Some(&again.token), json!({"shop_id": shop.shop, "order_no": no})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let conv = c["id"].as_i64().unwrap();
    let (s, m) = app
        .post(&format!("/api/v1/conversations/{conv}/messages"), Some(&again.token), json!({"text": "卡密无效"}))
        .await;
    assert!(s.is_success(), "{m}");
    let (s, case) = app
        .post(
            &format!("/api/v1/orders/{no}/cases"),
            Some(&again.token),
            json!({"type": "key_invalid", "description": "提示卡密已被使用"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let zip = app.client.get(app.url(&format!("/api/v1/orders/{no}/evidence.zip"))).bearer_auth(&again.token);
    let zip = zip.send().await.unwrap();
    assert_eq!(zip.status(), StatusCode::OK);
    assert_eq!(zip.headers()["content-type"], "application/zip");

    // A guest trades no further than buying.
    let (_, me) = app.get("/api/v1/me", Some(&guest.token)).await;
    assert_eq!(me["guest"], true, "{me}");
    let (s, _) = app.post("/api/v1/shops", Some(&guest.token), json!({"name": "游客的店"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a guest cannot open a shop");
    let (s, _) = app.post("/api/v1/tokens", Some(&guest.token), json!({"name": "bot"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "nor make API tokens");
    let events = app.events_about(&format!("user:{}", guest.id)).await;
    assert_eq!(events.first().map(String::as_str), Some("user.guest_created"), "{events:?}");
    assert!(!format!("{:?}", app.events_about(&format!("user:{}", guest.id)).await).contains(PHONE));
});

http_test!(a_wrong_password_and_someone_elses_order_answer_like_not_found, |app| {
    let gw = with_gateway(&app).await;
    let shop = card_shop(&app, "same", PRICE, "K-1\nK-2\nK-3\n").await;
    let (_, guest_no) = paid_guest(&app, &gw, shop.product, PHONE).await;
    let (_, other_no) = paid_guest(&app, &gw, shop.product, "other@qq.com").await;
    let member = app.buyer("member").await;
    app.credit(&member, PRICE).await;
    let (s, placed) = app.buy(&member, shop.product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED, "{placed}");
    let member_no = placed["order"]["no"].as_str().unwrap().to_owned();

    let (s, none) = lookup(&app, "209912310000000001", QUERY_PW).await;
    assert_eq!((s, none["code"].as_str()), (StatusCode::NOT_FOUND, Some("guest_not_found")), "{none}");
    for (query, pw) in [
        (guest_no.as_str(), "wrong-pw"),
        (other_no.as_str(), "wrong-pw"),
        (member_no.as_str(), youying_testkit::PASSWORD),
        (member_no.as_str(), QUERY_PW),
        ("13900139000", QUERY_PW),
        (PHONE, "wrong-pw"),
        ("no such thing", QUERY_PW),
    ] {
        assert_eq!(lookup(&app, query, pw).await, (s, none.clone()), "{query} / {pw}: the same answer as not found");
    }

    // Throttled like a login: after the allowed failures, even the right password waits.
    for _ in 0..4 {
        assert_eq!(lookup(&app, &guest_no, "wrong-pw").await.0, StatusCode::NOT_FOUND);
    }
    let (s, e) = lookup(&app, &guest_no, QUERY_PW).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")), "{e}");
    app.advance(16 * 60).await;
    assert_eq!(lookup(&app, &guest_no, QUERY_PW).await.0, StatusCode::OK, "the window reopens");
});

http_test!(a_contact_buys_again_with_its_query_password_only, |app| {
    let _gw = with_gateway(&app).await;
    let shop = card_shop(&app, "again", PRICE, "A-1\nA-2\n").await;
    let (s, first) = guest_buys(&app, shop.product, "Li@QQ.com", QUERY_PW).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{first}");
    let (s, second) = guest_buys(&app, shop.product, "li@qq.com", QUERY_PW).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{second}");
    assert_eq!(second["user_id"], first["user_id"], "the same guest, not a second account");
    let (s, e) = guest_buys(&app, shop.product, "li@qq.com", "another-pw").await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("guest_contact_taken")), "{e}");

    for (contact, pw, field) in
        [("12800138000", QUERY_PW, "contact"), ("li@", QUERY_PW, "contact"), ("13900139000", "12345", "query_password")]
    {
        let (s, e) = guest_buys(&app, shop.product, contact, pw).await;
        assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{contact}: {e}");
    }
    // A refused order leaves no guest behind: the contact is still free.
    let (s, _) = guest_buys(&app, 999_999, "13900139000", QUERY_PW).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, fresh) = guest_buys(&app, shop.product, "13900139000", "yet-another").await;
    assert_eq!(s, StatusCode::ACCEPTED, "{fresh}");
});

http_test!(a_guest_becomes_a_full_account_and_keeps_its_orders, |app| {
    let gw = with_gateway(&app).await;
    let shop = card_shop(&app, "claim", PRICE, "C-1\n").await;
    let (guest, no) = paid_guest(&app, &gw, shop.product, PHONE).await;
    let claim = |u: &str, p: &str| json!({"username": u, "password": p});
    let (s, e) = app.post("/api/v1/account/claim", Some(&guest.token), claim("xiaoli", "short")).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password")));
    let (s, done) = app.post("/api/v1/account/claim", Some(&guest.token), claim("xiaoli", "xiaoli-pw-2026")).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!((done["id"].as_i64(), done["username"].as_str()), (Some(guest.id), Some("xiaoli")));

    let me = app.signed_in("xiaoli", "xiaoli-pw-2026").await;
    let (_, orders) = app.get("/api/v1/orders", Some(&me.token)).await;
    assert_eq!(orders[0]["no"].as_str(), Some(no.as_str()), "{orders}");
    let (s, _) = app.post("/api/v1/account/claim", Some(&me.token), claim("again", "again-pw-2026")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a full account is never a guest");
    assert_eq!(lookup(&app, &no, QUERY_PW).await.0, StatusCode::NOT_FOUND, "no longer looked up as a guest");
    let (s, shop) = app.post("/api/v1/shops", Some(&me.token), json!({"name": "小李的店"})).await;
    assert_eq!(s, StatusCode::CREATED, "{shop}");
});

/// An anonymous browser: the double-submit CSRF cookie, then the session once signed in.
async fn anon_post<S: Store>(app: &TestApp<S>, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut fields = form.to_vec();
    fields.push(("_csrf", "anon-token"));
    let req = app.client.post(app.url(path)).header("cookie", "yy_csrf=anon-token").form(&fields);
    req.send().await.unwrap()
}

fn session_of(r: &reqwest::Response) -> Option<String> {
    let c = r.headers().get_all("set-cookie").iter().find_map(|v| v.to_str().ok()?.strip_prefix("yy_session="))?;
    Some(c.split(';').next()?.to_owned())
}

http_test!(the_pages_take_a_guest_from_the_product_to_its_order, |app| {
    let gw = with_gateway(&app).await;
    let shop = card_shop(&app, "pages", PRICE, "PAGE-KEY-1\n").await;
    let page = app.client.get(app.url(&format!("/products/{}", shop.product))).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("游客购买") && html.contains("guest-pay-alipay") && html.contains("至少 6 位"), "{html}");

    let buy = format!("/products/{}/guest-buy", shop.product);
    let bad =
        [("quantity", "1"), ("contact", "not-a-phone"), ("query_password", "secret-typed"), ("pay_channel", "alipay")];
    let r = anon_post(&app, &buy, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"contact-error\"") && html.contains("11 位大陆手机号"), "{html}");
    assert!(html.contains("value=\"not-a-phone\"") && !html.contains("secret-typed"), "typed kept, password not");
    let r = anon_post(&app, &buy, &[("quantity", "1"), ("contact", PHONE), ("query_password", QUERY_PW)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "no way to pay chosen");
    assert!(session_of(&r).is_none(), "and no guest made");
    assert!(r.text().await.unwrap().contains("id=\"guest-error\""));
    let form = [("quantity", "1"), ("contact", PHONE), ("query_password", QUERY_PW), ("pay_channel", "alipay")];
    let r = app.client.post(app.url(&buy)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF pair, no purchase");

    let good = [("quantity", "1"), ("contact", PHONE), ("query_password", QUERY_PW), ("pay_channel", "alipay")];
    let r = anon_post(&app, &buy, &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/wallet/topups/") && to.ends_with("?go=1"), "{to}");
    let guest = TestUser { id: 0, username: String::new(), token: session_of(&r).expect("signed in as the guest") };
    let id = to.trim_start_matches("/wallet/topups/").trim_end_matches("?go=1");
    let (_, p) = app.get(&format!("/api/v1/wallet/topups/{id}"), Some(&guest.token)).await;
    app.client.get(p["pay_url"].as_str().unwrap()).send().await.unwrap();
    gw.fake.pay(p["out_trade_no"].as_str().unwrap()).await;
    let no = app.top_up(&guest, &p).await["order_no"].as_str().unwrap().to_owned();

    let (s, to, _) = Web::new(&app, &guest).post(&buy, &good).await;
    assert_eq!((s, to.as_str()), (StatusCode::FORBIDDEN, ""), "the session's own CSRF token is needed");
    let mut signed = Web::new(&app, &guest);
    signed.get(&format!("/products/{}", shop.product)).await;
    let (s, to, _) = signed.post(&buy, &good).await;
    assert_eq!((s, to), (StatusCode::SEE_OTHER, format!("/products/{}", shop.product)), "signed in: no second guest");

    // 订单查询 from another browser.
    let r = anon_post(&app, "/orders/lookup", &[("query", &no), ("query_password", "wrong-pw")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("没有找到订单"));
    let r = anon_post(&app, "/orders/lookup", &[("query", &no), ("query_password", QUERY_PW)]).await;
    assert_eq!(
        (r.status(), r.headers()["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, &*format!("/orders/{no}"))
    );
    let found = TestUser { id: 0, username: String::new(), token: session_of(&r).unwrap() };
    let mut web = Web::new(&app, &found);
    let (s, order) = web.get(&format!("/orders/{no}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(order.contains("data-nav=\"claim\""), "a guest is offered the claim");

    // 设置用户名和密码.
    let (_, account) = web.get("/account").await;
    assert!(account.contains("id=\"claim-link\"") && !account.contains("创建令牌"), "{account}");
    let (s, form) = web.get("/account/claim").await;
    assert!(s == StatusCode::OK && form.contains("138****8000"), "{form}");
    let (s, to, _) = web.post("/account/claim", &[("username", "guest_buyer"), ("password", "guest-pw-2026")]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, "/orders"));
    let (_, again) = web.get("/account/claim").await;
    assert!(!again.contains("claim-form"), "a full account is sent on");
    app.signed_in("guest_buyer", "guest-pw-2026").await;
});
