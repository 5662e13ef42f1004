//! The publication of cases on both backends: a case the platform stepped
//! into is public open data once closed — anonymised, with the shop's one
//! response — and a case the merchant settled itself is not.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::images::PNG_1X1_BASE64 as PNG_1X1;
use youying_testkit::market::{self, Shop};
use youying_testkit::{TestApp, TestUser, http_test};

const HOUR: i64 = 3600;
const PRICE: i64 = 9_800;
/// What the buyer writes may hold personal data: it must never be published.
const PRIVATE: &str = "我叫李四，手机 13900001111，卡密 DEAD-0001 提示已被使用";

async fn card_shop<S: Store>(app: &TestApp<S>, name: &str) -> Shop {
    market::card_shop(app, name, PRICE, "DEAD-0001\nGOOD-0002\nGOOD-0003\n").await
}

/// A buyer with a delivered order and a `key_invalid` case on it.
async fn case<S: Store>(app: &TestApp<S>, name: &str, s: &Shop, shots: bool) -> (TestUser, i64) {
    let buyer = app.buyer(name).await;
    app.credit(&buyer, 100_000).await;
    let no = market::bought(app, &buyer, s.product).await;
    let shots = if shots { json!([{ "name": "李四的截图.png", "content_base64": PNG_1X1 }]) } else { json!([]) };
    let body = json!({ "type": "key_invalid", "description": PRIVATE, "screenshots": shots });
    let (st, c) = app.post(&format!("/api/v1/orders/{no}/cases"), Some(&buyer.token), body).await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    (buyer, c["id"].as_i64().unwrap())
}

async fn act<S: Store>(app: &TestApp<S>, who: &TestUser, case: i64, body: Value) -> Value {
    let (st, c) = app.post(&format!("/api/v1/cases/{case}/actions"), Some(&who.token), body).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    c
}

async fn respond<S: Store>(app: &TestApp<S>, who: &TestUser, case: i64, text: &str) -> (StatusCode, Value) {
    app.post(&format!("/api/v1/cases/{case}/public-response"), Some(&who.token), json!({ "text": text })).await
}

async fn published<S: Store>(app: &TestApp<S>, shop: i64) -> Vec<Value> {
    let (st, p) = app.get(&format!("/api/v1/public/cases?shop_id={shop}&page=1"), None).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    p["items"].as_array().unwrap().clone()
}

http_test!(a_case_the_platform_decided_is_published_anonymised_with_one_response, |app| {
    let s = card_shop(&app, "pub").await;
    let rival = card_shop(&app, "rival").await;
    let agent = app.staff("agent_pub", "agent").await;
    let (buyer, id) = case(&app, "lisi_buyer", &s, false).await;
    act(&app, &s.owner, id, json!({ "action": "contest", "reason": "买家李四在撒谎，卡密我们测过" })).await;
    let (st, _) = app.get(&format!("/api/v1/public/cases/{id}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "published once closed, not while in arbitration");
    assert_eq!(respond(&app, &s.owner, id, "我们有话说").await.1["reason"], "case_not_published");
    act(&app, &agent, id, json!({ "action": "decide", "decision": "refund", "reason": "李四提供的证据充分" })).await;

    let list = published(&app, s.shop).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!(
        (c["id"].as_i64(), c["type"].as_str(), c["stepped_in"].as_str()),
        (Some(id), Some("key_invalid"), Some("contested"))
    );
    assert_eq!((c["outcome"].as_str(), c["refund_fen"].as_i64()), (Some("platform_refunded"), Some(PRICE)));
    let actors: Vec<&str> = c["timeline"].as_array().unwrap().iter().map(|t| t["actor"].as_str().unwrap()).collect();
    assert_eq!(actors, vec!["买家", "商家", "平台"], "{c}");
    let (st, one) = app.get(&format!("/api/v1/public/cases/{id}"), None).await;
    assert_eq!((st, &one), (StatusCode::OK, c));
    let text = c.to_string();
    for secret in ["李四", "13900001111", "DEAD-0001", "lisi_buyer", "撒谎", "证据充分", "截图", "sha256", "order_no"]
    {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(published(&app, rival.shop).await.is_empty());

    assert_eq!(respond(&app, &buyer, id, "我是买家").await.0, StatusCode::NOT_FOUND);
    assert_eq!(respond(&app, &rival.owner, id, "别家").await.0, StatusCode::NOT_FOUND);
    assert_eq!(respond(&app, &s.owner, id, "QQ 12345678 联系我们").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, c) = respond(&app, &s.owner, id, "已改进卡密检测流程").await;
    assert_eq!((st, c["public_response"].as_str()), (StatusCode::OK, Some("已改进卡密检测流程")), "{c}");
    let (st, e) = respond(&app, &s.owner, id, "再补充一句").await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("already_responded")));
    assert_eq!(published(&app, s.shop).await[0]["public_response"], "已改进卡密检测流程");
    assert!(app.events_about(&format!("case:{id}")).await.contains(&"case.public_response".to_owned()));

    let html = app.client.get(app.url(&format!("/shops/{}", s.shop))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("公示案例") && html.contains("已改进卡密检测流程") && html.contains("平台裁决全额退款"));
    assert!(!html.contains("李四") && !html.contains("lisi_buyer"));
});

http_test!(a_case_the_merchant_settled_is_not_published, |app| {
    let s = card_shop(&app, "settled").await;
    let (_, id) = case(&app, "buyer_settled", &s, true).await;
    act(&app, &s.owner, id, json!({ "action": "refund" })).await;
    assert!(published(&app, s.shop).await.is_empty());
    let (st, _) = app.get(&format!("/api/v1/public/cases/{id}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, e) = respond(&app, &s.owner, id, "我们退款了").await;
    assert_eq!((st, e["reason"].as_str()), (StatusCode::CONFLICT, Some("case_not_published")));
    let (_, all) = app.get("/api/v1/public/cases", None).await;
    assert!(all["items"].as_array().unwrap().is_empty(), "{all}");
});

http_test!(the_silent_merchants_auto_refund_is_published_as_a_missed_deadline, |app| {
    let s = card_shop(&app, "silent").await;
    let (_, id) = case(&app, "buyer_silent", &s, true).await;
    app.advance(12 * HOUR + 60).await;
    let list = published(&app, s.shop).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let c = &list[0];
    assert_eq!((c["id"].as_i64(), c["stepped_in"].as_str()), (Some(id), Some("merchant_silent")));
    assert_eq!(c["stepped_in_label"], "商家 12 小时内未处理");
    assert_eq!(c["outcome"], "auto_refund_merchant_silent");
    let last = c["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "系统", "{c}");
    let (_, all) = app.get("/api/v1/public/cases?page=1", None).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let (_, none) = app.get("/api/v1/public/cases?page=2", None).await;
    assert!(none["items"].as_array().unwrap().is_empty());
});
