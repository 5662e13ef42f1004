//! Market fixtures shared by the case, review, publication and grade tests: a
//! shop with one card-key listing in stock, and a bought order.

use reqwest::StatusCode;
use serde_json::json;
use youying_core::ports::Store;

use crate::{TestApp, TestUser};

/// A merchant's shop with one card-key listing.
#[derive(Debug)]
pub struct Shop {
    pub owner: TestUser,
    pub shop: i64,
    pub product: i64,
}

/// `{name}_owner` opens `{name}店` (holding the deposit) and lists a card key at
/// `price_fen` with `keys` (one per line) in stock.
pub async fn card_shop<S: Store>(app: &TestApp<S>, name: &str, price_fen: i64, keys: &str) -> Shop {
    let (owner, shop) = app.merchant(&format!("{name}_owner"), &format!("{name}店")).await;
    let product = app.product(&owner, shop, json!({ "price_fen": price_fen })).await;
    let (s, r) = app.import(&owner, product, keys, false).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    Shop { owner, shop, product }
}

/// `buyer` buys one of `product` (delivered, not yet confirmed); returns the order number.
pub async fn bought<S: Store>(app: &TestApp<S>, buyer: &TestUser, product: i64) -> String {
    let (s, o) = app.buy(buyer, product, 1, None).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    o["order"]["no"].as_str().unwrap().to_owned()
}
