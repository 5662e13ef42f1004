//! The help bot on the pages, as a browser without JavaScript uses them, on both
//! backends: its answer in the thread with 已解决 / 转人工, the buttons as
//! forms, the shop's FAQ page with the switch, the platform's FAQ page (admins
//! only), and escaping of FAQ text the bot quotes.

use reqwest::StatusCode;
use serde_json::json;
use youying_testkit::http_test;
use youying_testkit::web::Web;

http_test!(the_bot_answers_in_the_thread_and_its_buttons_work_without_js, |app| {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let product = app.product(&owner, shop, json!({})).await;
    let buyer = app.buyer("xiaoming").await;
    let (_, c) =
        app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop, "product_id": product })).await;
    let conv = c["id"].as_i64().unwrap();
    let mut web = Web::new(&app, &buyer);
    let (s, page) = web.get(&format!("/chat/{conv}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("智能助手先为您解答常见问题") && page.contains("id=\"handoff-form\""), "{page}");
    let (s, to, _) = web.post(&format!("/chat/{conv}/messages"), &[("text", "多少钱")]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, format!("/chat/{conv}").as_str()));
    let (_, page) = web.get(&format!("/chat/{conv}")).await;
    assert!(page.contains("bot-msg") && page.contains("¥98.00"), "the bot's answer with the real price");
    assert!(page.contains("value=\"settled\"") && page.contains("value=\"human\""), "已解决 / 转人工 under it");
    let (s, to, _) = web.post(&format!("/chat/{conv}/bot"), &[("action", "settled")]).await;
    assert_eq!((s, to.as_str()), (StatusCode::SEE_OTHER, format!("/chat/{conv}").as_str()));
    let (_, page) = web.get(&format!("/chat/{conv}")).await;
    assert!(!page.contains("value=\"settled\""), "settled: no buttons until the next answer");
    // A forged form changes nothing.
    let (s, _, _) = web.post(&format!("/chat/{conv}/bot"), &[("action", "human"), ("_csrf", "forged")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = web.post(&format!("/chat/{conv}/bot"), &[("action", "human")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&format!("/chat/{conv}")).await;
    assert!(page.contains("已为您转接人工客服"), "the hand-off notice");
    let due = page.split("data-due=\"").nth(1).unwrap().split('"').next().unwrap().parse::<i64>().unwrap();
    assert!(due > 0, "the countdown runs from the hand-off");
    // The merchant console shows the conversation with its countdown.
    let mut m = Web::new(&app, &owner);
    let (_, console) = m.get("/merchant/chat").await;
    assert!(console.contains(&format!("data-due=\"{due}\"")), "{console}");
    // Someone else's conversation: 404, nothing pressed.
    let stranger = app.buyer("stranger").await;
    let mut other = Web::new(&app, &stranger);
    other.get("/").await;
    let (s, _, _) = other.post(&format!("/chat/{conv}/bot"), &[("action", "settled")]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.audit().await;
});

http_test!(faq_pages_for_the_shop_and_the_platform, |app| {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let mut web = Web::new(&app, &owner);
    let (s, page) = web.get("/merchant").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&format!("/merchant/shops/{shop}/faq")));
    let path = format!("/merchant/shops/{shop}/faq");
    let (s, page) = web.get(&path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("关闭智能助手") && page.contains("还没有问答"));
    let evil = "<script>alert(1)</script>请联系客服";
    let (s, _, page) = web.post(&path, &[("question", "可以开发票吗"), ("answer", evil)]).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("&#60;script&#62;") && !page.contains(evil), "FAQ text is escaped on the page");
    let (s, _, page) = web.post(&path, &[("question", ""), ("answer", "x")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("role=\"alert\""));
    // The bot quotes the entry; the thread escapes it too.
    let buyer = app.buyer("xiaoming").await;
    let (_, c) = app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
    let conv = c["id"].as_i64().unwrap();
    let mut b = Web::new(&app, &buyer);
    b.get(&format!("/chat/{conv}")).await;
    b.post(&format!("/chat/{conv}/messages"), &[("text", "能开发票吗")]).await;
    let (_, thread) = b.get(&format!("/chat/{conv}")).await;
    assert!(thread.contains("&#60;script&#62;alert(1)&#60;/script&#62;请联系客服"), "{thread}");
    assert!(!thread.contains("<script>alert(1)"));
    // Switched off, the buyer's page no longer offers the bot.
    web.get(&path).await;
    let (s, _, page) = web.post(&format!("/merchant/shops/{shop}/bot"), &[("enabled", "0")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("开启智能助手"));
    let (_, thread) = b.get(&format!("/chat/{conv}")).await;
    assert!(!thread.contains("智能助手先为您解答"));
    // Not the buyer's shop; the platform FAQ is the admin's.
    let (s, _) = b.get(&path).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = b.get("/platform/faq").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let admin = app.staff("root", "admin").await;
    let mut a = Web::new(&app, &admin);
    let (s, page) = a.get("/platform/faq").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"faq-builtin\""), "the built-in FAQ until edited");
    let (s, _, page) = a.post("/platform/faq", &[("defaults", "1")]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.contains("id=\"faq-builtin\"") && page.contains("data-faq-id"), "loaded for editing");
    let (_, list) = app.get("/api/v1/faq", None).await;
    let first = list[0]["id"].as_i64().unwrap();
    let (s, _, _) = a.post(&format!("/faq/{first}"), &[("question", "改过的问题"), ("answer", "改过的回答")]).await;
    assert_eq!(s, StatusCode::OK);
    let (_, list) = app.get("/api/v1/faq", None).await;
    assert_eq!(list[0]["question"], "改过的问题");
    let (s, _, _) = web.post(&format!("/faq/{first}"), &[("delete", "1")]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a merchant cannot touch the platform FAQ");
    app.audit().await;
});
