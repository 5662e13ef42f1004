//! The withdrawal pages: the shop's 货款 page with its 申请提现 form, the same
//! form on the buyer's wallet, and the platform's 提现审核 (CSRF, errors beside
//! the field with what was typed kept, post/redirect/get, the payee in full
//! only on the admin's decide page).

use reqwest::StatusCode;
use youying_core::Clock as _;
use youying_core::money::{Account, Entry, Fen};
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_testkit::web::Web;
use youying_testkit::{TestApp, http_test};

const ACCOUNT: &str = "6222020200112233";

async fn shop_with<S: Store>(app: &TestApp<S>, fen: i64) -> (youying_testkit::TestUser, i64) {
    let (owner, shop) = app.merchant_without_deposit("mer", "货款小铺").await;
    let now = app.clock.now();
    app.app
        .store
        .write(move |tx| {
            let to = Account::ShopWallet(ShopId(shop));
            tx.post(&Entry::transfer("test.sales", "test", "", Account::PlatformCash, to, Fen::new(fen)?)?, now)
        })
        .await
        .unwrap();
    (owner, shop)
}

fn form<'a>(amount: &'a str, account: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("amount", amount), ("method", "bank"), ("account", account), ("real_name", "张三")]
}

http_test!(a_merchant_requests_and_an_admin_pays_through_the_pages, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let admin = app.staff("root", "admin").await;
    let mut web = Web::new(&app, &owner);
    let (s, console) = web.get("/merchant").await;
    assert_eq!(s, StatusCode::OK);
    assert!(console.contains(&format!("/merchant/shops/{shop}/funds")), "货款 linked from the console");
    let funds = format!("/merchant/shops/{shop}/funds");
    let (s, body) = web.get(&funds).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("货款") && body.contains("¥300.00") && body.contains("申请提现"), "{body}");

    let post = format!("/merchant/shops/{shop}/withdrawals");
    let (s, _, body) = web.post(&post, &form("12.345", ACCOUNT)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("金额格式不对") && body.contains(ACCOUNT) && body.contains("12.345"), "typed kept: {body}");
    let (s, _, body) = web.post(&post, &form("300.01", ACCOUNT)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("可提现余额不足：最多可提现 ¥300.00"), "{body}");
    let (s, _, body) = web.post(&post, &form("5", ACCOUNT)).await;
    assert!(s == StatusCode::UNPROCESSABLE_ENTITY && body.contains("金额超出允许范围"), "{body}");
    let (s, _, _) = web
        .post(
            &post,
            &[("_csrf", "forged"), ("amount", "60"), ("method", "bank"), ("account", ACCOUNT), ("real_name", "张三")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, location, _) = web.post(&post, &form("60", ACCOUNT)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert!(location.starts_with(&format!("{funds}?requested=")), "{location}");
    let (_, body) = web.get(&location).await;
    assert!(body.contains("待审核") && body.contains("****2233") && !body.contains(ACCOUNT), "{body}");
    assert!(body.contains("提现申请已提交"), "{body}");

    let mut staff = Web::new(&app, &admin);
    let (_, console) = staff.get("/platform").await;
    assert!(console.contains("/platform/withdrawals"), "linked from the platform console");
    let (s, queue) = staff.get("/platform/withdrawals").await;
    assert!(s == StatusCode::OK && queue.contains("****2233") && !queue.contains(ACCOUNT), "{queue}");
    let (_, list) = app.get("/api/v1/platform/withdrawals", Some(&admin.token)).await;
    let id = list[0]["id"].as_i64().unwrap();
    let (s, detail) = staff.get(&format!("/platform/withdrawals/{id}")).await;
    assert!(s == StatusCode::OK && detail.contains(ACCOUNT) && detail.contains("张三"), "{detail}");
    let decide = format!("/platform/withdrawals/{id}/decide");
    let (s, _, body) = staff.post(&decide, &[("decision", "approve"), ("transfer_ref", " ")]).await;
    assert!(s == StatusCode::UNPROCESSABLE_ENTITY && body.contains("转账流水号"), "{body}");
    let (s, location, _) = staff.post(&decide, &[("decision", "approve"), ("transfer_ref", "BANK-0001")]).await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, format!("/platform/withdrawals?decided={id}").as_str()));
    let (s, _, _) = staff.post(&decide, &[("decision", "approve"), ("transfer_ref", "BANK-0002")]).await;
    assert_eq!(s, StatusCode::CONFLICT);

    let (_, body) = web.get(&funds).await;
    assert!(body.contains("已打款") && body.contains("BANK-0001"), "{body}");
});

http_test!(only_the_owner_sees_the_funds_page_and_only_admins_the_queue, |app| {
    let (owner, shop) = shop_with(&app, 30_000).await;
    let agent = youying_testkit::quiz::agent(&app, &owner, shop, "kefu1").await;
    let stranger = app.buyer("stranger").await;
    let support = app.staff("helper", "agent").await;
    let funds = format!("/merchant/shops/{shop}/funds");
    assert_eq!(Web::new(&app, &agent).get(&funds).await.0, StatusCode::FORBIDDEN);
    assert_eq!(Web::new(&app, &stranger).get(&funds).await.0, StatusCode::NOT_FOUND);
    assert_eq!(Web::new(&app, &support).get("/platform/withdrawals").await.0, StatusCode::FORBIDDEN);
});

http_test!(a_buyer_withdraws_from_the_wallet_page_and_markup_is_escaped, |app| {
    let buyer = app.buyer("maijia").await;
    let admin = app.staff("root", "admin").await;
    app.credit(&buyer, 10_000).await;
    let mut web = Web::new(&app, &buyer);
    let (s, body) = web.get("/wallet").await;
    assert!(s == StatusCode::OK && body.contains("withdraw-form"), "{body}");
    let (s, location, _) = web
        .post(
            "/wallet/withdrawals",
            &[("amount", "50.00"), ("method", "alipay"), ("account", "<b>x</b>@example.com"), ("real_name", "李<i>四")],
        )
        .await;
    assert_eq!((s, location.as_str()), (StatusCode::SEE_OTHER, "/wallet?requested=1"));
    let (_, body) = web.get("/wallet").await;
    assert!(body.contains("待审核") && body.contains("¥50.00"), "{body}");
    assert_eq!(app.balance(&buyer).await, 5_000);
    let (_, list) = app.get("/api/v1/platform/withdrawals", Some(&admin.token)).await;
    let id = list[0]["id"].as_i64().unwrap();
    let (_, detail) = Web::new(&app, &admin).get(&format!("/platform/withdrawals/{id}")).await;
    assert!(detail.contains("&#60;b&#62;x&#60;/b&#62;@example.com") && !detail.contains("<b>x</b>"), "{detail}");
    assert!(detail.contains("李&#60;i&#62;四") && !detail.contains("李<i>"), "{detail}");
});

http_test!(the_funds_page_adds_up_released_sales_and_escrow, |app| {
    let shop = youying_testkit::market::card_shop(&app, "huokuan", 10_000, "KEY-A\nKEY-B").await;
    let buyer = app.buyer("maijia").await;
    app.credit(&buyer, 20_000).await;
    let done = youying_testkit::market::bought(&app, &buyer, shop.product).await;
    youying_testkit::market::bought(&app, &buyer, shop.product).await;
    let (s, body) =
        app.post(&format!("/api/v1/orders/{done}/confirm"), Some(&buyer.token), serde_json::json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, page) = Web::new(&app, &shop.owner).get(&format!("/merchant/shops/{}/funds", shop.shop)).await;
    assert_eq!(s, StatusCode::OK);
    let fund = |key: &str| {
        let at = page.find(&format!("data-fund=\"{key}\">")).unwrap_or_else(|| panic!("{key} in {page}"));
        let rest = &page[at..];
        rest[rest.find('>').unwrap() + 1..rest.find("</dd>").unwrap()].to_owned()
    };
    // ¥100 sold and released, 2 % platform fee (part of it to the fund), the other order still in escrow.
    assert_eq!((fund("sales"), fund("income"), fund("escrow")), ("¥100.00".into(), "¥98.00".into(), "¥100.00".into()));
    assert_eq!(fund("withdrawable"), "¥98.00");
    let (fee, fund_share) = (fund("fee"), fund("fund"));
    let fen = |s: &str| s.trim_start_matches('¥').replace('.', "").parse::<i64>().unwrap();
    assert_eq!(fen(&fee) + fen(&fund_share), 200, "{fee} + {fund_share}");
});
