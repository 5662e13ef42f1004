//! Helpers shared by the conversation tests (each test file uses some of them).
#![allow(dead_code, clippy::unwrap_used)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store;
use youying_testkit::{TestApp, TestUser};

/// A shop with its bot switched off: these tests are about the 2-minute rule for
/// messages that await a person (tests/bot.rs covers the bot answering first).
pub async fn setup<S: Store>(app: &TestApp<S>) -> (TestUser, i64, TestUser, i64) {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    app.set_bot(&owner, shop, false).await;
    let buyer = app.buyer("xiaoming").await;
    let (s, c) = app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (owner, shop, buyer, c["id"].as_i64().unwrap())
}

pub async fn say<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64, text: &str) -> Value {
    let (s, m) =
        app.post(&format!("/api/v1/conversations/{conv}/messages"), Some(&who.token), json!({ "text": text })).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m
}

pub async fn conversation<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64) -> Value {
    let (_, list) = app.get("/api/v1/conversations", Some(&who.token)).await;
    list.as_array().unwrap().iter().find(|c| c["id"] == conv).cloned().unwrap()
}

pub async fn breaches<S: Store>(app: &TestApp<S>) -> Vec<Value> {
    let admin = app.signed_in("root", youying_testkit::PASSWORD).await;
    let (_, b) = app.get("/api/v1/breaches", Some(&admin.token)).await;
    b.as_array().unwrap().clone()
}
