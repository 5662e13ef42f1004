//! The buyer's order pages on both backends: the key reveal answers with a
//! redirect to a page a reload shows again (and only to the buyer), account
//! orders speak of 账号信息 with the declared attributes, the deadlines show
//! the time left, 我的订单 has tabs, a search and pages that never show
//! someone else's orders, and the bot in a chat opened from an order quotes
//! the order's product.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::chat::say;
use youying_testkit::market::{bought, card_shop};
use youying_testkit::web::Web;
use youying_testkit::{TestApp, TestUser, http_test};

/// The order numbers listed on a page, in order.
fn listed(page: &str) -> Vec<String> {
    page.split("data-order-no=\"").skip(1).map(|r| r[..r.find('"').unwrap()].to_owned()).collect()
}

/// The order page's own words: from its heading to the rights links below it
/// (the site's tagline names every kind).
fn order_part(page: &str) -> &str {
    let start = page.find("<h1>订单详情").expect("an order page");
    let end = page.find("promise-links").unwrap_or(page.len());
    &page[start..end]
}

fn reveals(events: &[String]) -> usize {
    events.iter().filter(|k| *k == "order.key_revealed").count()
}

http_test!(the_reveal_lands_on_a_keys_page_that_reloads_and_stays_one_tap_away, |app| {
    let shop = card_shop(&app, "rl", 9_800, "RL-AAAA-BBBB-0001----RL-SECRET-9\n").await;
    let buyer = app.buyer("rl_buyer").await;
    app.credit(&buyer, 10_000).await;
    let no = bought(&app, &buyer, shop.product).await;
    let mut web = Web::new(&app, &buyer);
    let order = format!("/orders/{no}");
    let keys = format!("/orders/{no}/keys");

    // Before any reveal the keys page is only the way back to the order.
    let (s, _) = web.get(&keys).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&order).await;
    assert!(page.contains("reveal-form") && !page.contains("RL-AAAA-BBBB-0001"), "hidden until asked for");
    let (s, to, _) = web.post(&format!("{order}/reveal"), &[]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, format!("{keys}#keys").as_str()), "post/redirect/get");
    assert_eq!(reveals(&app.events_about(&format!("order:{no}")).await), 1, "the reveal is evidence");
    for _ in 0..2 {
        let (s, page) = web.get(&keys).await;
        assert_eq!(s, StatusCode::OK, "a reload shows the keys again");
        assert!(page.contains("RL-AAAA-BBBB-0001") && page.contains("RL-SECRET-9"));
        assert!(page.contains("class=\"copy") && page.contains("复制") && page.contains("key-box"));
        assert!(page.contains("/static/order.js"));
    }
    assert_eq!(reveals(&app.events_about(&format!("order:{no}")).await), 1, "reading again is not a new reveal");
    // Afterwards the order page links straight to the keys, without showing them.
    let (_, page) = web.get(&order).await;
    assert!(page.contains(&format!("href=\"{keys}#keys\"")) && !page.contains("RL-AAAA-BBBB-0001"));
    assert!(!page.contains("reveal-form"));

    // The shop's staff and strangers never get the keys.
    let mut staff = Web::new(&app, &shop.owner);
    let (s, to, _) = staff.post(&format!("{order}/reveal"), &[]).await;
    assert!(s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN, "{s} {to}");
    let (s, body) = staff.get(&keys).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(!body.contains("RL-AAAA-BBBB-0001"));
    let stranger = app.buyer("rl_stranger").await;
    let (s, body) = Web::new(&app, &stranger).get(&keys).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!body.contains("RL-AAAA-BBBB-0001"));
    assert_eq!(reveals(&app.events_about(&format!("order:{no}")).await), 1);
    // The order actions answer with redirects to the order page too.
    let (s, to, _) = web.post(&format!("{order}/confirm"), &[]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, order.as_str()));
    let (s, _) = web.get(&to).await;
    assert_eq!(s, StatusCode::OK);
    app.audit().await;
});

http_test!(an_account_order_speaks_of_account_details_and_repeats_the_attributes, |app| {
    let (owner, shop) = app.merchant("acc_owner", "账号店").await;
    let attrs = json!([{ "name": "等级", "value": "60" }, { "name": "区服", "value": "天空岛" }]);
    let body = json!({ "kind": "account", "category": "game_account", "title": "原神 60级 账号", "price_fen": 20_000, "account_attrs": attrs });
    let product = app.product(&owner, shop, body).await;
    app.import(&owner, product, "acc-user-1----acc-pass-1\n", false).await;
    let buyer = app.buyer("acc_buyer").await;
    app.credit(&buyer, 30_000).await;
    let no = bought(&app, &buyer, product).await;
    let mut web = Web::new(&app, &buyer);
    let (_, page) = web.get(&format!("/orders/{no}")).await;
    assert!(page.contains("账号信息") && page.contains("查看账号信息"), "{page}");
    assert!(page.contains("天空岛") && page.contains("等级") && page.contains("account-attr"));
    assert!(!order_part(&page).contains("卡密"), "an account is not a card key");
    web.post(&format!("/orders/{no}/reveal"), &[]).await;
    let (s, page) = web.get(&format!("/orders/{no}/keys")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("acc-user-1") && page.contains("acc-pass-1") && page.contains(">账号<"));
    assert!(!order_part(&page).contains("卡密") && !order_part(&page).contains("卡号"));
    // The protection window: its end and the time left (72 h for an account).
    assert!(page.contains("售后保障至") && page.contains("还剩 3 天 0 小时"), "{page}");
    app.advance(71 * 3600 + 30 * 60).await;
    let (_, page) = web.get(&format!("/orders/{no}")).await;
    assert!(page.contains("还剩 30 分 0 秒") && page.contains("data-until="), "ticks from the server's clock");
    app.audit().await;
});

http_test!(a_topup_shows_the_promise_with_the_time_left, |app| {
    let (owner, shop) = app.merchant("tp_owner", "直充店").await;
    let body = json!({ "kind": "direct_topup", "category": "topup", "title": "QQ会员直充", "price_fen": 1_500,
        "topup_promise_secs": 1800, "topup_fields": [{ "name": "qq", "label": "QQ号", "pattern": "[1-9][0-9]{4,11}" }] });
    let product = app.product(&owner, shop, body).await;
    let buyer = app.buyer("tp_buyer").await;
    app.credit(&buyer, 10_000).await;
    let (s, o) = app
        .post(
            "/api/v1/orders",
            Some(&buyer.token),
            json!({ "product_id": product, "topup_target": { "qq": "123456789" } }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let no = o["order"]["no"].as_str().unwrap().to_owned();
    app.advance(600).await;
    let mut web = Web::new(&app, &buyer);
    let (_, page) = web.get(&format!("/orders/{no}")).await;
    assert!(page.contains("承诺到账") && page.contains("还剩 20 分 0 秒"), "{page}");
    assert!(page.contains("QQ号") && page.contains("123456789") && !order_part(&page).contains("卡密"));
});

/// `n` orders of `product` for `buyer`, oldest first.
async fn orders<S: Store>(app: &TestApp<S>, buyer: &TestUser, product: i64, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(bought(app, buyer, product).await);
    }
    out
}

http_test!(my_orders_has_tabs_a_search_and_pages_and_only_mine, |app| {
    let keys: String = (0..30).map(|i| format!("PG-{i:04}\n")).collect();
    let card = card_shop(&app, "pg", 100, &keys).await;
    let gem = app.product(&card.owner, card.shop, json!({ "title": "原神 创世结晶 60", "price_fen": 600 })).await;
    app.import(&card.owner, gem, "GEM-1\nGEM-2\nGEM-3\n", false).await;
    let buyer = app.buyer("pg_buyer").await;
    app.credit(&buyer, 100_000).await;
    let mut cards = orders(&app, &buyer, card.product, 21).await;
    let gems = orders(&app, &buyer, gem, 2).await;
    let other = app.buyer("pg_other").await;
    app.credit(&other, 10_000).await;
    let theirs = orders(&app, &other, gem, 1).await;
    // One completed, one with a case.
    let (s, _) = app.post(&format!("/api/v1/orders/{}/confirm", cards[0]), Some(&buyer.token), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let case = json!({ "type": "key_invalid", "description": "提示卡密已被使用" });
    let (s, c) = app.post(&format!("/api/v1/orders/{}/cases", cards[1]), Some(&buyer.token), case).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");

    let mut web = Web::new(&app, &buyer);
    let (s, page) = web.get("/orders").await;
    assert_eq!(s, StatusCode::OK);
    assert!(["全部", "待处理", "担保中", "已完成", "售后"].iter().all(|t| page.contains(t)));
    let first = listed(&page);
    let mut newest: Vec<String> = cards.iter().chain(&gems).cloned().collect();
    newest.reverse();
    assert_eq!(first, newest[..20], "20 a page, newest first");
    assert!(page.contains("href=\"/orders?page=2\"") && page.contains("下一页") && !page.contains("上一页"));
    let (s, _) = web.get("/orders?q=a%00b").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a NUL in the search is refused at the edge, no 500 on PostgreSQL");
    let (s, page) = web.get("/orders?page=2").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(listed(&page), newest[20..], "the rest, none twice");
    assert!(page.contains("上一页") && !page.contains("id=\"next-page\""));

    let tab = |t: &str| format!("/orders?tab={t}");
    let (_, page) = web.get(&tab("done")).await;
    assert_eq!(listed(&page), vec![cards[0].clone()]);
    let (_, page) = web.get(&tab("after_sales")).await;
    assert_eq!(listed(&page), vec![cards[1].clone()]);
    let (_, page) = web.get(&tab("escrow")).await;
    assert_eq!(listed(&page).len(), 20, "21 delivered, not confirmed, no case: a full page");
    assert!(
        page.contains("id=\"next-page\"") && page.contains("tab=escrow&#38;page=2")
            || page.contains("tab=escrow&amp;page=2"),
        "下一页 keeps the tab"
    );
    let (_, page2) = web.get(&format!("{}&page=2", tab("escrow"))).await;
    let escrow: Vec<String> = listed(&page).into_iter().chain(listed(&page2)).collect();
    assert_eq!(escrow.len(), 21);
    assert!(!escrow.contains(&cards[0]) && !escrow.contains(&cards[1]));
    let (_, page) = web.get(&tab("pending")).await;
    assert!(listed(&page).is_empty() && page.contains("这里没有订单"));

    // Search by title (any case of Latin letters) and by order number, inside a tab.
    let (_, page) = web.get("/orders?q=%E5%88%9B%E4%B8%96%E7%BB%93%E6%99%B6").await;
    assert_eq!(listed(&page), gems.iter().rev().cloned().collect::<Vec<_>>(), "创世结晶");
    assert!(page.contains("value=\"创世结晶\""), "the search box keeps the words");
    let (_, page) = web.get(&format!("/orders?q={}", cards[5].to_lowercase())).await;
    assert_eq!(listed(&page), vec![cards[5].clone()]);
    let (_, page) = web.get(&format!("/orders?tab=done&q={}", cards[5])).await;
    assert!(listed(&page).is_empty() && page.contains("没有找到"));
    let (s, page) = web.get("/orders?q=%25&page=abc&tab=nonsense").await;
    assert_eq!(s, StatusCode::OK, "a typed % is literal, a bad page is page 1");
    assert!(listed(&page).is_empty());
    // Someone else's order never shows, even searched for by number.
    let (_, page) = web.get(&format!("/orders?q={}", theirs[0])).await;
    assert!(listed(&page).is_empty(), "the box echoes the number; no row shows it");
    let (_, page) = Web::new(&app, &other).get("/orders").await;
    assert_eq!(listed(&page), theirs);
    cards.clear();
    app.audit().await;
});

http_test!(the_bot_quotes_the_price_in_a_chat_opened_from_an_order, |app| {
    let shop = card_shop(&app, "bq", 9_800, "BQ-1\nBQ-2\n").await;
    let buyer = app.buyer("bq_buyer").await;
    app.credit(&buyer, 10_000).await;
    let no = bought(&app, &buyer, shop.product).await;
    let (s, c) =
        app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop.shop, "order_no": no })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let conv = c["id"].as_i64().unwrap();
    say(&app, &buyer, conv, "这个多少钱").await;
    let (_, m) = app.get(&format!("/api/v1/conversations/{conv}/messages"), Some(&buyer.token)).await;
    let bot = m.as_array().unwrap().iter().rev().find(|m| m["kind"] == "bot").expect("a bot answer").clone();
    let a: Value = serde_json::from_str(bot["body"].as_str().unwrap()).unwrap();
    assert_eq!(a["intent"], "price", "{a}");
    assert!(a["text"].as_str().unwrap().contains("¥98.00"), "the order's product is the chat's: {a}");
    // And asked outside a chat about one's own order.
    let (s, r) = app.post("/api/v1/bot/ask", Some(&buyer.token), json!({ "text": "多少钱", "order_no": no })).await;
    assert_eq!(s, StatusCode::OK);
    assert!(r["answer"].as_str().unwrap().contains("¥98.00"), "{r}");
    app.audit().await;
});
