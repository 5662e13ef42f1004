//! The review and publication pages on both backends, as a browser without
//! JavaScript uses them: the buyer's form on the order page (held shown as
//! 待审核), the platform's moderation queue, the shop's reply form, and the
//! case page's 导出证据 link and one public response. CSRF on every form.

use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;
use youying_testkit::market::{self, Shop};
use youying_testkit::web::Web;
use youying_testkit::{TestApp, TestUser, http_test};

async fn shop<S: Store>(app: &TestApp<S>, name: &str) -> Shop {
    market::card_shop(app, name, 1_000, "K-0001\nK-0002\nK-0003\nK-0004\n").await
}

async fn bought<S: Store>(app: &TestApp<S>, buyer: &TestUser, s: &Shop) -> String {
    market::bought(app, buyer, s.product).await
}

http_test!(the_buyer_reviews_on_the_order_page_and_sees_a_held_review_as_pending, |app| {
    let s = shop(&app, "page").await;
    let buyer = app.buyer("buyer_page").await;
    app.credit(&buyer, 10_000).await;
    let no = bought(&app, &buyer, &s).await;
    let mut web = Web::new(&app, &buyer);
    let (_, html) = web.get(&format!("/orders/{no}")).await;
    assert!(!html.contains("review-form"), "not completed yet");
    let (st, _, _) = web.post(&format!("/orders/{no}/confirm"), &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = web.get(&format!("/orders/{no}")).await;
    assert!(html.contains("id=\"review-form\""), "{html}");

    let path = format!("/orders/{no}/review");
    let (st, _, _) = web.post(&path, &[("_csrf", "forged"), ("stars", "1"), ("text", "店主傻逼")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, body) = web.post(&path, &[("stars", "9"), ("text", "x")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("1–5 星"), "{body}");
    let (st, to, _) = web.post(&path, &[("stars", "1"), ("text", "店主傻逼")]).await;
    assert_eq!((st, to.as_str()), (StatusCode::SEE_OTHER, format!("/orders/{no}#review").as_str()));
    let (_, html) = web.get(&format!("/orders/{no}")).await;
    assert!(html.contains("待审核") && !html.contains("review-form"), "{html}");
    let (st, _, _) = web.post(&path, &[("stars", "5"), ("text", "改好评")]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let page = app.client.get(app.url(&format!("/shops/{}", s.shop))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("店主傻逼") && page.contains("还没有评价"), "a held review is not public");
});

http_test!(the_platform_moderates_and_the_shop_replies_on_their_pages, |app| {
    let s = shop(&app, "modp").await;
    let rival = shop(&app, "rivalp").await;
    let buyer = app.buyer("buyer_modp").await;
    app.credit(&buyer, 10_000).await;
    let no = bought(&app, &buyer, &s).await;
    app.post(&format!("/api/v1/orders/{no}/confirm"), Some(&buyer.token), json!({})).await;
    let (_, r) = app
        .post(&format!("/api/v1/orders/{no}/review"), Some(&buyer.token), json!({ "stars": 2, "text": "你等着瞧" }))
        .await;
    let id = r["id"].as_i64().unwrap();

    let (st, _) = Web::new(&app, &buyer).get("/platform/reviews").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let agent = app.staff("agent_modp", "agent").await;
    let mut web = Web::new(&app, &agent);
    let (_, console) = web.get("/platform").await;
    assert!(console.contains("href=\"/platform/reviews\""));
    let (st, html) = web.get("/platform/reviews").await;
    assert!(st == StatusCode::OK && html.contains("你等着瞧") && html.contains("疑似威胁"), "{html}");
    let path = format!("/platform/reviews/{id}/moderate");
    let (st, _, body) = web.post(&path, &[("decision", "reject"), ("note", "")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (st, to, _) = web.post(&path, &[("decision", "publish"), ("note", "")]).await;
    assert_eq!((st, to.as_str()), (StatusCode::SEE_OTHER, "/platform/reviews"));
    let (_, html) = web.get("/platform/reviews").await;
    assert!(html.contains("没有待审核的评价"));

    let mut shop_web = Web::new(&app, &s.owner);
    let (_, console) = shop_web.get("/merchant").await;
    assert!(console.contains(&format!("href=\"/merchant/shops/{}/reviews\"", s.shop)));
    let (st, html) = shop_web.get(&format!("/merchant/shops/{}/reviews", s.shop)).await;
    assert!(st == StatusCode::OK && html.contains("reply-form") && html.contains("匿名买家"), "{html}");
    assert!(!html.contains("buyer_modp"));
    let (st, _) = Web::new(&app, &rival.owner).get(&format!("/merchant/shops/{}/reviews", s.shop)).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, _) = shop_web.post(&format!("/merchant/reviews/{id}/reply"), &[("text", "请联系平台客服处理")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = shop_web.get(&format!("/merchant/shops/{}/reviews", s.shop)).await;
    assert!(html.contains("请联系平台客服处理") && !html.contains("reply-form"));
    let page = app.client.get(app.url(&format!("/shops/{}", s.shop))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("你等着瞧") && page.contains("请联系平台客服处理") && page.contains("★★☆☆☆"));
});

http_test!(the_case_page_links_the_evidence_and_takes_one_public_response, |app| {
    let s = shop(&app, "casep").await;
    let buyer = app.buyer("buyer_casep").await;
    app.credit(&buyer, 10_000).await;
    let agent = app.staff("agent_casep", "agent").await;
    let no = bought(&app, &buyer, &s).await;
    let (_, c) = app
        .post(
            &format!("/api/v1/orders/{no}/cases"),
            Some(&buyer.token),
            json!({ "type": "key_invalid", "description": "无效" }),
        )
        .await;
    let id = c["id"].as_i64().unwrap();
    let act = |who: &TestUser, body: serde_json::Value| {
        let (app, token) = (&app, who.token.clone());
        async move { app.post(&format!("/api/v1/cases/{id}/actions"), Some(&token), body).await }
    };
    assert_eq!(act(&s.owner, json!({ "action": "contest", "reason": "卡密有效" })).await.0, StatusCode::OK);
    let decide = json!({ "action": "decide", "decision": "reject", "reason": "卡密已被买家使用" });
    assert_eq!(act(&agent, decide).await.0, StatusCode::OK);

    let link = format!("href=\"/orders/{no}/evidence.zip\" id=\"case-evidence-link\"");
    for who in [&buyer, &agent] {
        let (_, html) = Web::new(&app, who).get(&format!("/cases/{id}")).await;
        assert!(html.contains(&link), "{html}");
    }
    let mut web = Web::new(&app, &s.owner);
    let (_, html) = web.get(&format!("/cases/{id}")).await;
    assert!(html.contains("public-response-form") && !html.contains("case-evidence-link"), "{html}");
    let path = format!("/cases/{id}/public-response");
    let (st, _, _) = web.post(&path, &[("_csrf", "forged"), ("text", "x")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = web.post(&path, &[("text", "感谢平台公正裁决")]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = web.get(&format!("/cases/{id}")).await;
    assert!(html.contains("感谢平台公正裁决") && !html.contains("public-response-form"));
    let (st, _, _) = web.post(&path, &[("text", "再说一次")]).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let page = app.client.get(app.url(&format!("/shops/{}", s.shop))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("感谢平台公正裁决") && page.contains("平台驳回申请") && !page.contains("buyer_casep"));
});

http_test!(a_rejected_review_is_edited_along_the_reason_and_moderated_again_twice_at_most, |app| {
    let s = shop(&app, "resub").await;
    let buyer = app.buyer("buyer_resub").await;
    app.credit(&buyer, 10_000).await;
    let no = bought(&app, &buyer, &s).await;
    app.post(&format!("/api/v1/orders/{no}/confirm"), Some(&buyer.token), json!({})).await;
    let api = format!("/api/v1/orders/{no}/review");
    let (_, r) = app.post(&api, Some(&buyer.token), json!({ "stars": 1, "text": "你等着瞧" })).await;
    let id = r["id"].as_i64().unwrap();
    let agent = app.staff("agent_resub", "agent").await;
    let reject = |note: &'static str| {
        let (app, token) = (&app, agent.token.clone());
        async move {
            let body = json!({ "decision": "reject", "note": note });
            app.post(&format!("/api/v1/platform/reviews/{id}/moderate"), Some(&token), body).await
        }
    };
    assert_eq!(reject("请删除威胁的话").await.0, StatusCode::OK);

    let mut web = Web::new(&app, &buyer);
    let (_, html) = web.get(&format!("/orders/{no}")).await;
    assert!(html.contains("未通过审核，理由：请删除威胁的话") && html.contains("id=\"review-edit-form\""), "{html}");
    let edit = format!("/orders/{no}/review/edit");
    let (st, _, _) = web.post(&edit, &[("_csrf", "forged"), ("stars", "3"), ("text", "发货慢")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, body) = web.post(&edit, &[("stars", "9"), ("text", "发货慢，客服态度一般")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("1–5 星") && body.contains(">发货慢，客服态度一般</textarea>"), "kept: {body}");
    let (st, to, _) = web.post(&edit, &[("stars", "3"), ("text", "发货慢")]).await;
    assert_eq!((st, to.as_str()), (StatusCode::SEE_OTHER, format!("/orders/{no}#review").as_str()));
    let (st, html) = web.get(&format!("/orders/{no}")).await;
    assert!(st == StatusCode::OK && html.contains("待审核") && html.contains("id=\"review-resubmitted\""), "{html}");
    let (_, queue) = Web::new(&app, &agent).get("/platform/reviews").await;
    assert!(
        queue.contains("发货慢") && queue.contains("第 1 次重新提交") && queue.contains("请删除威胁的话"),
        "{queue}"
    );
    let (_, v) = app.get(&api, Some(&buyer.token)).await;
    assert_eq!(
        (v["state"].as_str(), v["stars"].as_i64(), v["can_resubmit"].as_bool()),
        (Some("held"), Some(3), Some(false))
    );
    let (st, e) = app.put(&api, Some(&buyer.token), json!({ "stars": 2, "text": "再改" })).await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("already_reviewed")), "held: not editable");

    // A second rejection, a second edit (over the API), a third rejection: that is the last word.
    assert_eq!(reject("仍含不当内容").await.0, StatusCode::OK);
    let (st, v) = app.put(&api, Some(&buyer.token), json!({ "stars": 2, "text": "发货很慢" })).await;
    assert_eq!((st, v["state"].as_str(), v["resubmissions"].as_i64()), (StatusCode::OK, Some("held"), Some(2)));
    assert_eq!(reject("请不要重复提交").await.0, StatusCode::OK);
    let (st, e) = app.put(&api, Some(&buyer.token), json!({ "stars": 2, "text": "最后一次" })).await;
    assert_eq!((st, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("review_resubmit")));
    let (_, html) = web.get(&format!("/orders/{no}")).await;
    assert!(html.contains("不能再修改") && !html.contains("review-edit-form"), "{html}");
    let stranger = app.buyer("stranger_resub").await;
    let (st, _) = app.put(&api, Some(&stranger.token), json!({ "stars": 5, "text": "" })).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
});
