//! The quiz pages on both backends, as a browser without JavaScript uses them:
//! /quiz (start, radio buttons, the result with explanations), the 认证客服
//! badge in the merchant console's staff list, the certified share on the
//! shop page, and the admin's bank at /platform/quiz. CSRF on every form.

use std::collections::HashMap;

use reqwest::StatusCode;
use youying_testkit::http_test;
use youying_testkit::quiz::{agent, answer_key};
use youying_testkit::web::Web;

/// The form fields answering the attempt page `html` right: `q{id}` = index.
fn right_answers(html: &str, key: &HashMap<i64, String>) -> Vec<(String, String)> {
    html.split("data-question-id=\"")
        .skip(1)
        .map(|block| {
            let id: i64 = block[..block.find('"').unwrap()].parse().unwrap();
            let options: Vec<&str> = block
                .split("<label class=\"choice\">")
                .skip(1)
                .map(|l| l[l.find("> ").unwrap() + 2..l.find("</label>").unwrap()].trim())
                .collect();
            let right =
                options.iter().position(|o| *o == key[&id]).unwrap_or_else(|| panic!("{options:?} {}", key[&id]));
            (format!("q{id}"), right.to_string())
        })
        .collect()
}

http_test!(an_agent_takes_the_quiz_on_the_pages_and_wears_the_badge, |app| {
    let admin = app.staff("page_admin", "admin").await;
    let key = answer_key(&app, &admin).await;
    let (owner, shop) = app.merchant("page_owner", "页面小店").await;
    let kf = agent(&app, &owner, shop, "page_kf").await;

    let mut web = Web::new(&app, &kf);
    let (st, html) = web.get("/merchant").await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("href=\"/quiz\""), "linked from the console and the agent's nav");
    let (st, html) = web.get("/quiz").await;
    assert!(st == StatusCode::OK && html.contains("还没有证书"), "{html}");
    let (st, _, _) = web.post("/quiz", &[("_csrf", "forged")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, to, _) = web.post("/quiz", &[]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(to.starts_with("/quiz/attempts/"), "{to}");
    let (_, html) = web.get(&to).await;
    assert!(html.matches("type=\"radio\"").count() >= 20, "radio buttons: {html}");
    assert!(!html.contains("解析"), "no explanations before submitting");
    let answers = right_answers(&html, &key);
    assert_eq!(answers.len(), 10);

    let form: Vec<(&str, &str)> = answers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (st, _, body) = web.post(&to, &form[..9]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "one unanswered");
    assert!(body.contains("每道题都选择"), "{body}");
    let (st, back, _) = web.post(&to, &form).await;
    assert_eq!((st, back.as_str()), (StatusCode::SEE_OTHER, to.as_str()));
    let (_, html) = web.get(&to).await;
    assert!(html.contains("通过：10 / 10") && html.contains("认证客服") && html.contains("解析："), "{html}");
    let (st, _, body) = web.post(&to, &form).await;
    assert_eq!(st, StatusCode::CONFLICT, "submitted once");
    assert!(body.contains("不能重复提交"), "{body}");

    let (st, _) = Web::new(&app, &owner).get(&to).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "someone else's attempt");
    let (_, html) = Web::new(&app, &owner).get("/merchant").await;
    assert!(html.contains("page_kf <span class=\"badge ok certified\">认证客服</span>"), "{html}");
    let page = app.client.get(app.url(&format!("/shops/{shop}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("持证客服占比 50.00 %（1/2 人持证）"), "the shop page shows the share");

    let buyer = app.buyer("page_buyer").await;
    let (st, _) = Web::new(&app, &buyer).get("/quiz").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a buyer without a shop");
});

http_test!(the_admin_keeps_the_bank_on_the_platform_pages, |app| {
    let admin = app.staff("bank_page_admin", "admin").await;
    let (owner, shop) = app.merchant("bank_page_owner", "题库页面店").await;
    let kf = agent(&app, &owner, shop, "bank_page_kf").await;
    let (st, _) = Web::new(&app, &kf).get("/platform/quiz").await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let mut web = Web::new(&app, &admin);
    let (_, html) = web.get("/platform").await;
    assert!(html.contains("href=\"/platform/quiz\""), "linked from the platform console");
    let (st, html) = web.get("/platform/quiz").await;
    assert!(st == StatusCode::OK && html.contains("启用 17 题"), "{html}");
    let fields = [
        ("text", "<script>alert(1)</script>买家要微信？"),
        ("options", "拒绝\n同意"),
        ("correct", "1"),
        ("explanation", ""),
    ];
    let (st, _, _) = web.post("/platform/quiz", &[&fields[..], &[("_csrf", "forged")]].concat()).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, body) = web.post("/platform/quiz", &fields).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert!(body.contains("已添加题目") && body.contains("启用 18 题"), "{body}");
    assert!(!body.contains("<script>alert") && body.contains("&#60;script&#62;"), "escaped");
    let (st, _, body) = web.post("/platform/quiz", &[("text", "q"), ("options", "只有一个"), ("correct", "1")]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("选项需 2–6 个"), "{body}");
    let (_, bank) = app.get("/api/v1/admin/quiz/questions", Some(&admin.token)).await;
    let id = bank.as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
    let edit = [("text", "改过的题"), ("options", "甲\n乙"), ("correct", "2"), ("explanation", "因为乙")];
    let (st, _, body) = web.post(&format!("/platform/quiz/{id}"), &edit).await;
    assert!(st == StatusCode::OK && body.contains("改过的题"), "{body}");
    let (st, _, body) = web.post(&format!("/platform/quiz/{id}/retire"), &[]).await;
    assert!(st == StatusCode::OK && body.contains("启用 17 题") && body.contains("已停用"), "{body}");
});
