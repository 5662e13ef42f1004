//! Conversation helpers shared by the chat, bot, mail, grades and picture tests.

use reqwest::StatusCode;
use serde_json::{Value, json};
use youying_core::ports::Store;

use crate::{PASSWORD, TestApp, TestUser};

/// A shop with its bot switched off: these tests are about the 2-minute rule for
/// messages that await a person (the bot tests cover the bot answering first).
/// Returns the owner, the shop, a buyer and the conversation they opened.
pub async fn setup<S: Store>(app: &TestApp<S>) -> (TestUser, i64, TestUser, i64) {
    let (owner, shop) = app.merchant("laowang", "星辰点卡").await;
    app.set_bot(&owner, shop, false).await;
    let buyer = app.buyer("xiaoming").await;
    let (s, c) = app.post("/api/v1/conversations", Some(&buyer.token), json!({ "shop_id": shop })).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (owner, shop, buyer, c["id"].as_i64().unwrap())
}

/// Posts a text message as `who`; returns the stored message.
pub async fn say<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64, text: &str) -> Value {
    let (s, m) =
        app.post(&format!("/api/v1/conversations/{conv}/messages"), Some(&who.token), json!({ "text": text })).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    m
}

/// The conversation as `who`'s list shows it.
pub async fn conversation<S: Store>(app: &TestApp<S>, who: &TestUser, conv: i64) -> Value {
    let (_, list) = app.get("/api/v1/conversations", Some(&who.token)).await;
    list.as_array().unwrap().iter().find(|c| c["id"] == conv).cloned().unwrap()
}

/// Every recorded breach, as an admin (`root`, created beforehand) sees them.
pub async fn breaches<S: Store>(app: &TestApp<S>) -> Vec<Value> {
    let admin = app.signed_in("root", PASSWORD).await;
    let (_, b) = app.get("/api/v1/breaches", Some(&admin.token)).await;
    b.as_array().unwrap().clone()
}
