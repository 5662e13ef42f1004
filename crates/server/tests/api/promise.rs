//! The public promise on both backends: `/rules` and `/api/v1/public/rules`
//! print the rules in force and every change; `/guide` and every public or
//! buyer-facing label that names a duration read the rules in force — case
//! pages, published cases, the shop page, the report, the grade formula, the
//! evidence printout — never the defaults.

use std::io::{Cursor, Read};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::images::PNG_1X1_BASE64 as PNG_1X1;
use youying_testkit::market;
use youying_testkit::web::Web;
use youying_testkit::{TestApp, http_test};

const HOUR: i64 = 3600;

async fn page<S: Store>(app: &TestApp<S>, path: &str) -> String {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

async fn change<S: Store>(app: &TestApp<S>, rules: Value) {
    let admin = app.staff("root_promise", "admin").await;
    let (s, body) = app.call(Method::PUT, "/api/v1/admin/rules", Some(&admin.token), Some(rules)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

/// Every sentence of the promise, one per line.
fn sentences(r: &Value) -> String {
    let mut out = Vec::new();
    for s in r["sections"].as_array().unwrap() {
        for l in s["lines"].as_array().unwrap() {
            out.push(format!("{}：{}", l["topic"].as_str().unwrap(), l["text"].as_str().unwrap()));
        }
    }
    out.join("\n")
}

fn rule<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["rules"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap()
}

http_test!(the_promise_shows_the_rules_in_force_and_every_change, |app| {
    let (s, before) = app.get("/api/v1/public/rules", None).await;
    assert_eq!(s, StatusCode::OK, "no login needed");
    assert_eq!(
        (rule(&before, "chat_reply_secs")["value"].as_i64(), rule(&before, "chat_reply_secs")["text"].as_str()),
        (Some(120), Some("2 分钟"))
    );
    assert_eq!(rule(&before, "platform_fee_bp")["unit"], "basis_points");
    let names: Vec<&str> = before["rules"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"penalty_fine_fen") && !names.contains(&"allow_private_addresses"), "{names:?}");
    let said = sentences(&before);
    assert!(said.contains("卡密失效：交付后 24 小时内可申请售后") && said.contains("平台 24 小时内处理完毕"), "{said}");
    assert_eq!(before["history"], json!([]));
    let (_, doc) = app.get("/api/openapi.json", None).await;
    assert!(
        doc["paths"]["/api/v1/public/rules"]["get"].is_object()
            && doc["components"]["schemas"]["PublicRules"].is_object()
    );
    let html = page(&app, "/rules").await;
    assert!(html.contains("2 分钟内必有真人回复") && html.contains("promise-history-empty"));

    change(&app, json!({ "case_merchant_secs": 6 * HOUR, "chat_reply_secs": 180 })).await;

    let (_, after) = app.get("/api/v1/public/rules", None).await;
    assert_eq!(
        (rule(&after, "chat_reply_secs")["value"].as_i64(), rule(&after, "chat_reply_secs")["text"].as_str()),
        (Some(180), Some("3 分钟"))
    );
    assert_eq!(rule(&after, "case_merchant_secs")["default"], 43_200);
    let said = sentences(&after);
    assert!(said.contains("商家 6 小时内补发新卡密或退款") && said.contains("3 分钟内必有真人回复"), "{said}");
    assert!(!said.contains("12 小时") && !said.contains("2 分钟"), "no sentence quotes the old values: {said}");
    let history = after["history"].as_array().unwrap();
    let changed: Vec<(&str, i64, i64)> = history
        .iter()
        .map(|h| (h["name"].as_str().unwrap(), h["old"].as_i64().unwrap(), h["new"].as_i64().unwrap()))
        .collect();
    assert_eq!(changed, vec![("chat_reply_secs", 120, 180), ("case_merchant_secs", 43_200, 21_600)], "newest first");
    let line = history[0]["text"].as_str().unwrap();
    assert!(line.ends_with(" 买家消息人工回复时限：2 分钟 → 3 分钟"), "{line}");
    assert!(line.starts_with("20") && line.chars().nth(4) == Some('-'), "dated: {line}");

    let html = page(&app, "/rules").await;
    for text in [
        "商家 6 小时内补发新卡密或退款",
        "3 分钟内必有真人回复",
        "买家消息人工回复时限：2 分钟 → 3 分钟",
        "商家处理售后时限：12 小时 → 6 小时",
    ] {
        assert!(html.contains(text), "/rules shows {text}");
    }
    assert!(!html.contains("promise-history-empty"));
    let guide = page(&app, "/guide").await;
    assert!(guide.contains("商家须在 6 小时内处理") && guide.contains("商家 3 分钟内不回复"), "{guide}");
    assert!(!guide.contains("12 小时") && !guide.contains("2 分钟"));
    let home = page(&app, "/").await;
    assert!(home.contains("<strong>3 分钟</strong>") && home.contains("<strong>6 小时</strong>"));
    for html in [&home, &guide] {
        assert!(html.contains("href=\"/rules\"") && html.contains("href=\"/guide\""), "the footer links both");
    }
});

fn entry(zip_bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

http_test!(case_labels_published_cases_and_the_report_follow_the_rules_in_force, |app| {
    let windows =
        json!({ "case_merchant_secs": 6 * HOUR, "case_resolve_secs": 20 * HOUR, "protect_card_key_secs": 48 * HOUR });
    change(&app, windows).await;
    let s = market::card_shop(&app, "promise", 9_800, "K-0001\nK-0002\nK-0003\n").await;
    let listing = page(&app, &format!("/products/{}", s.product)).await;
    assert!(listing.contains("担保期（交付后 2 天）内可申请售后"), "{listing}");
    let buyer = app.buyer("promise_buyer").await;
    app.credit(&buyer, 100_000).await;
    let silent = market::bought(&app, &buyer, s.product).await;
    let argued = market::bought(&app, &buyer, s.product).await;

    let mut b = Web::new(&app, &buyer);
    let (_, order) = b.get(&format!("/orders/{silent}")).await;
    assert!(order.contains("商家须在 6 小时内处理，平台保证 20 小时内处理完毕"), "{order}");
    assert!(order.contains("class=\"link-rules\"") && order.contains("class=\"link-guide\""), "linked from the order");
    let (_, form) = b.get(&format!("/orders/{silent}/cases")).await;
    assert!(form.contains("商家须在 6 小时内处理，平台保证 20 小时内处理完毕"), "{form}");

    // One case with a screenshot (refunded at the merchant's silence), one without (arbitration).
    let shot = json!([{ "name": "a.png", "content_base64": PNG_1X1 }]);
    let body = |shots: Value| json!({ "type": "key_invalid", "description": "提示已被使用", "screenshots": shots });
    let (st, refunded) = app.post(&format!("/api/v1/orders/{silent}/cases"), Some(&buyer.token), body(shot)).await;
    assert_eq!(st, StatusCode::CREATED, "{refunded}");
    let (st, escalated) =
        app.post(&format!("/api/v1/orders/{argued}/cases"), Some(&buyer.token), body(json!([]))).await;
    assert_eq!(st, StatusCode::CREATED, "{escalated}");
    app.advance(6 * HOUR + 60).await;

    let (_, list) = app.get(&format!("/api/v1/public/cases?shop_id={}&page=1", s.shop), None).await;
    let labels: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|c| c["stepped_in_label"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["商家 6 小时内未处理"], "only the closed one is published: {list}");
    let shop = page(&app, &format!("/shops/{}", s.shop)).await;
    assert!(shop.contains("商家 6 小时内未处理") && shop.contains("20 小时兜底"), "{shop}");
    assert!(!shop.contains("12 小时") && !shop.contains("24 小时"));

    let id = escalated["id"].as_i64().unwrap();
    let (_, case) = b.get(&format!("/cases/{id}")).await;
    assert!(case.contains("商家 6 小时内未处理，平台介入仲裁"), "{case}");
    assert!(case.contains("class=\"link-rules\"") && !case.contains("12 小时"));
    let r = app
        .client
        .get(app.url(&format!("/api/v1/orders/{argued}/evidence.zip")))
        .bearer_auth(&buyer.token)
        .send()
        .await;
    let printable = entry(&r.unwrap().bytes().await.unwrap(), "evidence.html");
    assert!(printable.contains("商家未在 6 小时内处理售后，平台介入"), "{printable}");
    assert!(!printable.contains("12 小时"));

    let report = page(&app, "/report").await;
    assert!(report.contains("仲裁按时裁决率（20 小时内）") && !report.contains("24 小时"), "{report}");
    let docs = page(&app, "/docs/open-api").await;
    assert!(docs.contains("商家 6 小时内处理，20 小时内必有结果") && !docs.contains("12 小时 / 24 小时"));
    let grades = page(&app, "/grades").await;
    assert!(grades.contains("商家 6 小时内处理的售后") && grades.contains("20 小时兜底退款"));
    assert!(!grades.contains("12 小时") && !grades.contains("24 小时"));
});
