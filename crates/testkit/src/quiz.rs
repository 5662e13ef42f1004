//! Fixtures for the rules-quiz tests: merchant agents to take it, and the
//! right answers as the admin sees the bank.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;

use crate::{PASSWORD, TestApp, TestUser};

/// A merchant agent of `shop`, invited by its owner and signed in as `name`.
pub async fn agent<S: Store>(app: &TestApp<S>, owner: &TestUser, shop: i64, name: &str) -> TestUser {
    let (s, inv) = app.post(&format!("/api/v1/shops/{shop}/invites"), Some(&owner.token), json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{inv}");
    let body = json!({ "token": inv["token"], "username": name, "password": PASSWORD });
    let (s, a) = app.post("/api/v1/invites/accept", None, body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    app.signed_in(name, PASSWORD).await
}

/// Question id → the text of its correct option, as the admin sees the bank
/// (the seeded bank: at least 15 questions).
pub async fn answer_key<S: Store>(app: &TestApp<S>, admin: &TestUser) -> HashMap<i64, String> {
    let (s, bank) = app.get("/api/v1/admin/quiz/questions", Some(&admin.token)).await;
    assert_eq!(s, StatusCode::OK, "{bank}");
    let bank = bank.as_array().unwrap();
    assert!(bank.len() >= 15, "the seed bank: {}", bank.len());
    bank.iter()
        .map(|q| {
            (q["id"].as_i64().unwrap(), q["options"][q["correct"].as_u64().unwrap() as usize].as_str().unwrap().into())
        })
        .collect()
}
