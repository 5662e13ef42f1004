//! The chat pages on both backends, as a browser without JavaScript uses them:
//! 联系商家 from a product or order page, sending by form, privacy, the
//! merchant console with its countdown, the takeover banner after the
//! deadline, the platform console (queue, claim, duty) and escaping.

use reqwest::StatusCode;
use serde_json::json;
use youying_testkit::images::PNG_3X2_HEX as PNG;
use youying_testkit::web::Web;
use youying_testkit::{T0, http_test};

/// Whether the element with `id` is rendered without the `hidden` attribute.
fn shown(page: &str, id: &str) -> bool {
    let at = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let tag_end = at + page[at..].find('>').unwrap();
    !page[at..tag_end].contains("hidden")
}

http_test!(a_buyer_asks_from_a_product_page_and_the_platform_steps_in, |app| {
    let agent = app.staff("kefu", "agent").await;
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let product = app.product(&owner, shop, json!({})).await;
    let buyer = app.buyer("xiaoming").await;

    // 联系商家 on the product page opens the conversation with the product attached.
    let mut web = Web::new(&app, &buyer);
    let (s, page) = web.get(&format!("/products/{product}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"contact-form\"") && page.contains("联系商家"));
    let (s, to, _) =
        web.post("/chat/open", &[("shop_id", &shop.to_string()), ("product_id", &product.to_string())]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let conv: i64 = to.strip_prefix("/chat/").unwrap().parse().unwrap();
    let (s, page) = web.get(&to).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("腾讯Q币点卡 100元") && page.contains("¥98.00"), "the product card");
    assert!(page.contains("商家</span>须在 2 分钟 内人工回复") && shown(&page, "idle-escalate"));
    assert!(!shown(&page, "awaiting") && !shown(&page, "takeover"));
    assert!(page.contains("src=\"/static/chat.js\"") && page.contains("name=\"csrf-token\""));

    // Without JS: the form posts and comes back; user text is escaped.
    let path = format!("/chat/{conv}/messages");
    let (s, back, _) = web.post(&path, &[("text", "卡密显示已使用 <script>alert(1)</script>")]).await;
    assert_eq!((s, back.as_str()), (StatusCode::SEE_OTHER, to.as_str()));
    let (_, page) = web.get(&to).await;
    assert!(page.contains("卡密显示已使用 &#60;script&#62;alert(1)&#60;/script&#62;"), "escaped");
    assert!(!page.contains("<script>alert"));
    let due = T0.millis() + 120_000;
    assert!(shown(&page, "awaiting") && page.contains(&format!("data-due=\"{due}\"")) && page.contains("02:00"));
    let (s, _, page) = web.post(&path, &[("text", "   ")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("消息须为 1–2000 个字符") && page.contains("id=\"chat-form\""), "shown again, in Chinese");

    // Someone else's conversation does not exist for them.
    let stranger = app.buyer("nosy").await;
    let mut other = Web::new(&app, &stranger);
    let (s, page) = other.get(&to).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(page.contains("页面不存在"));
    let (s, _, _) = other.post(&path, &[("text", "插话")]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The merchant console lists it, awaiting, with the countdown.
    let mut shop_web = Web::new(&app, &owner);
    let (_, nav) = shop_web.get("/merchant").await;
    assert!(nav.contains("data-nav=\"merchant-chat\"") && nav.contains("客服消息"));
    let (s, list) = shop_web.get("/merchant/chat").await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains(&format!("data-conversation-id=\"{conv}\"")) && list.contains("xiaoming"));
    assert!(
        list.contains(&format!("class=\"countdown\" data-due=\"{due}\""))
            && list.contains("未读 <b class=\"unread\">2</b>"),
        "the product card and the message, neither read yet: {list}"
    );
    let (s, view) = shop_web.get(&format!("/merchant/chat/{conv}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        view.contains("id=\"product-context\"") && view.contains("id=\"canned\"") && view.contains("&#60;script&#62;")
    );
    assert_eq!(shop_web.get(&to).await.0, StatusCode::SEE_OTHER, "/chat/{{id}} is the buyer's");

    // Nobody answers: at the deadline the buyer's page says the platform stepped in.
    app.advance(120).await;
    let (_, page) = web.get(&to).await;
    assert!(shown(&page, "takeover") && page.contains("平台客服已介入"));
    assert!(page.contains("平台客服</span>须在") && page.contains(&format!("data-due=\"{}\"", due + 120_000)));
    let (_, list) = shop_web.get("/merchant/chat").await;
    assert!(list.contains("平台已接管") && !list.contains("class=\"badge takeover-badge\" hidden"));
    let (_, view) = shop_web.get(&format!("/merchant/chat/{conv}")).await;
    assert!(shown(&view, "takeover") && !shown(&view, "claim-form"), "the platform's to claim now");

    // The platform agent finds it in the queue, goes on duty, claims and answers.
    let mut kefu = Web::new(&app, &agent);
    let (s, queue) = kefu.get("/platform/chat").await;
    assert_eq!(s, StatusCode::OK);
    assert!(queue.contains(&format!("data-conversation-id=\"{conv}\"")) && queue.contains("离岗"));
    let (s, to_queue, _) = kefu.post("/platform/duty", &[("on", "1")]).await;
    assert_eq!((s, to_queue.as_str()), (StatusCode::SEE_OTHER, "/platform/chat"));
    let (_, queue) = kefu.get("/platform/chat").await;
    assert!(queue.contains("在岗") && queue.contains("当前在岗 1 人"));
    let (s, at, _) = kefu.post(&format!("/chat/{conv}/assign"), &[]).await;
    assert_eq!((s, at.clone()), (StatusCode::SEE_OTHER, format!("/platform/chat/{conv}")));
    let (_, view) = kefu.get(&at).await;
    assert!(view.contains("处理人：kefu") && !shown(&view, "claim-form"), "claimed: no second claim");
    let (s, _, _) = kefu.post(&path, &[("text", "平台客服为您处理")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&to).await;
    assert!(page.contains("平台客服为您处理") && shown(&page, "idle") && !shown(&page, "awaiting"));

    // The shop may still answer after the takeover.
    let (s, back, _) = shop_web.post(&path, &[("text", "抱歉，已补发")]).await;
    assert_eq!((s, back), (StatusCode::SEE_OTHER, format!("/merchant/chat/{conv}")));
    let (_, page) = web.get("/chat").await;
    assert!(page.contains("星辰点卡") && page.contains("平台客服已介入"));
});

http_test!(a_buyer_asks_about_an_order_and_sees_its_card, |app| {
    let (owner, shop) = app.merchant("seller", "乙店").await;
    let product = app.product(&owner, shop, json!({ "title": "网易一卡通 <b>50元</b>" })).await;
    let (s, r) = app.import(&owner, product, "NE-1\n", false).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let buyer = app.buyer("orderer").await;
    app.credit(&buyer, 20_000).await;
    let (s, body) = app.buy(&buyer, product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let no = body["order"]["no"].as_str().unwrap().to_owned();

    let mut web = Web::new(&app, &buyer);
    let (_, page) = web.get(&format!("/orders/{no}")).await;
    assert!(page.contains("对订单有疑问") && page.contains(&format!("name=\"order_no\" value=\"{no}\"")));
    let (s, to, _) = web.post("/chat/open", &[("shop_id", &shop.to_string()), ("order_no", &no)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, page) = web.get(&to).await;
    assert!(page.contains("实付 <strong>¥98.00</strong> · 已发货·担保中") && page.contains(&format!("/orders/{no}")));
    assert!(page.contains("网易一卡通 &#60;b&#62;50元&#60;/b&#62;") && page.contains("data-nav=\"chat\""));

    // The shop's view has the order context, never the key.
    let mut shop_web = Web::new(&app, &owner);
    let conv = to.strip_prefix("/chat/").unwrap();
    let (s, view) = shop_web.get(&format!("/merchant/chat/{conv}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(view.contains("id=\"order-context\"") && view.contains(&format!("/orders/{no}/snapshot")));
    assert!(view.contains("已发货·担保中") && view.contains("自动发放 1 件") && !view.contains("NE-1"));

    // A shop owner does not get a button to chat with their own shop; a visitor signs in first.
    let (_, own) = shop_web.get(&format!("/products/{product}")).await;
    assert!(!own.contains("id=\"contact-form\""));
    let anon = app.client.get(app.url(&format!("/shops/{shop}"))).send().await.unwrap().text().await.unwrap();
    assert!(anon.contains(&format!("/login?next=/shops/{shop}")) && anon.contains("登录后联系商家"));
    let (s, _) = Web::new(&app, &buyer).get("/platform/chat").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
});

http_test!(pictures_and_read_receipts_without_javascript, |app| {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    let buyer = app.buyer("xiaoming").await;
    let mut web = Web::new(&app, &buyer);
    web.get(&format!("/shops/{shop}")).await;
    let (s, to, _) = web.post("/chat/open", &[("shop_id", &shop.to_string())]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let conv: i64 = to.strip_prefix("/chat/").unwrap().parse().unwrap();
    let (_, page) = web.get(&to).await;
    assert!(page.contains("id=\"image-form\"") && page.contains("enctype=\"multipart/form-data\""));
    assert!(page.contains("accept=\"image/png,image/jpeg,image/webp\""));

    // The file goes up by form and comes back as a thumbnail with its size.
    let images = format!("/chat/{conv}/images");
    let png = hex::decode(PNG).unwrap();
    let (s, back, _) = web.multipart(&images, &[], &[("image", "截图.png", "image/png", &png)]).await;
    assert_eq!((s, back.as_str()), (StatusCode::SEE_OTHER, to.as_str()));
    let (_, page) = web.get(&to).await;
    assert!(page.contains(&format!("<img src=\"/api/v1/conversations/{conv}/images/")), "{page}");
    assert!(page.contains("width=\"3\" height=\"2\"") && page.contains("<span class=\"receipt\">未读</span>"));

    // A text file named .png, a wrong token: refused, said in Chinese, nothing sent.
    let (s, _, page) = web.multipart(&images, &[], &[("image", "fake.png", "image/png", b"just some text")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("不是有效的图片") && page.contains("id=\"image-form\""));
    let (s, _, page) = web.multipart(&images, &[], &[("image", "photo.jpg", "image/jpeg", &png)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "a PNG named .jpg: {page}");
    let mut forged = Web::new(&app, &buyer);
    forged.csrf = "forged".into();
    assert_eq!(forged.multipart(&images, &[], &[("image", "a.png", "image/png", &png)]).await.0, StatusCode::FORBIDDEN);
    let stranger = app.buyer("nosy").await;
    let mut other = Web::new(&app, &stranger);
    other.get("/chat").await;
    assert_eq!(other.multipart(&images, &[], &[("image", "a.png", "image/png", &png)]).await.0, StatusCode::NOT_FOUND);
    let (_, page) = web.get(&to).await;
    assert_eq!(page.matches("<img src=").count(), 1);

    // The merchant's console counts it unread until someone of the shop opens it.
    let mut shop_web = Web::new(&app, &owner);
    let (_, list) = shop_web.get("/merchant/chat").await;
    assert!(list.contains("未读 <b class=\"unread\">1</b>"), "{list}");
    let view_path = format!("/merchant/chat/{conv}");
    let (_, view) = shop_web.get(&view_path).await;
    assert!(view.contains("<img src=") && view.contains("id=\"image-form\""));
    let (_, list) = shop_web.get("/merchant/chat").await;
    assert!(list.contains("<span class=\"badge unread-badge\" hidden>未读 <b class=\"unread\">0</b>"));
    let (_, page) = web.get(&to).await;
    assert!(
        page.contains("<span class=\"receipt read\">已读</span>") && !page.contains("未读"),
        "the shop has read it"
    );

    // The shop answers; the buyer has not looked yet, then does.
    let (s, _, _) = shop_web.post(&format!("/chat/{conv}/messages"), &[("text", "收到，马上处理")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, view) = shop_web.get(&view_path).await;
    assert!(view.contains("<span class=\"receipt\">未读</span>"));
    web.get(&to).await;
    let (_, view) = shop_web.get(&view_path).await;
    assert!(view.contains("<span class=\"receipt read\">已读</span>") && !view.contains("未读"));
    let kinds = app.events_about(&format!("conversation:{conv}")).await;
    assert!(kinds.contains(&"chat.read".to_owned()), "{kinds:?}");
});
