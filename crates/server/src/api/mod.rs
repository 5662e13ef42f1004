//! The JSON API under `/api/v1`. Handlers translate HTTP to use cases and back;
//! rules live in the core, SQL in the store.

pub(crate) mod admin;
pub mod apikeys;
pub mod bot;
pub mod cases;
pub mod chat;
pub mod guest;
pub mod levels;
pub mod open;
pub mod orders;
pub mod pay;
pub mod payments;
pub mod products;
pub mod public;
pub mod publication;
pub mod push;
pub mod quiz;
pub mod reviews;
pub mod sourcing;
pub mod suppliers;
pub mod wallet;
pub mod withdrawals;
pub use crate::app::evidence::verify_chain;
pub(crate) mod auth;
pub mod enforcement;
pub(crate) mod evidence;
pub(crate) mod shops;

use axum::Router;
use axum::routing::get;
use youying_core::ports::Store;

use crate::state::App;

pub fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .merge(admin::router::<S>())
        .merge(apikeys::router::<S>())
        .merge(pay::router::<S>())
        .merge(payments::router::<S>())
        .merge(auth::router::<S>())
        .merge(bot::router::<S>())
        .merge(cases::router::<S>())
        .merge(chat::router::<S>())
        .merge(enforcement::router::<S>())
        .merge(evidence::router::<S>())
        .merge(guest::router::<S>())
        .merge(levels::router::<S>())
        .merge(orders::router::<S>())
        .merge(products::router::<S>())
        .merge(public::router::<S>())
        .merge(publication::router::<S>())
        .merge(quiz::router::<S>())
        .merge(reviews::router::<S>())
        .merge(shops::router::<S>())
        .merge(wallet::router::<S>())
        .merge(withdrawals::router::<S>())
        .merge(sourcing::router::<S>())
        .merge(suppliers::router::<S>())
        .merge(push::router::<S>())
        .route("/api/v1/ws", get(crate::ws::upgrade::<S>))
        .route("/api/openapi.json", get(crate::openapi::json))
}
