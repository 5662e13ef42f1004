//! The JSON API under `/api/v1`. Handlers translate HTTP to use cases and back;
//! rules live in the core, SQL in the store.

mod admin;
pub mod bot;
pub mod cases;
pub mod chat;
pub mod orders;
pub mod products;
pub mod public;
pub mod publication;
pub mod quiz;
pub mod reviews;
pub mod wallet;
pub use admin::verify_chain;
mod auth;
pub mod enforcement;
pub mod openapi;
pub use shops::accept as accept_invite;
mod shops;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use youying_core::ports::Store;

use crate::state::App;

/// A stock file of 200,000 keys is a few MiB; everything else stays under 1 MiB.
pub const STOCK_BODY_LIMIT: usize = 32 * 1024 * 1024;

pub fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/auth/register", post(auth::register::<S>))
        .route("/api/v1/auth/login", post(auth::login::<S>))
        .route("/api/v1/auth/logout", post(auth::logout::<S>))
        .route("/api/v1/me", get(auth::me::<S>))
        .route("/api/v1/me/email", put(auth::put_email::<S>))
        .route("/api/v1/tokens", get(auth::list_tokens::<S>).post(auth::create_token::<S>))
        .route("/api/v1/tokens/{id}", delete(auth::revoke_token::<S>))
        .route("/api/v1/shops", post(shops::open::<S>))
        .route("/api/v1/shops/{id}", get(shops::get::<S>))
        .route("/api/v1/shops/{id}/agents", get(shops::agents::<S>))
        .route("/api/v1/shops/{id}/invites", get(shops::invites::<S>).post(shops::invite::<S>))
        .route("/api/v1/invites/{id}", delete(shops::revoke_invite::<S>))
        .route("/api/v1/invites/accept", post(shops::accept_invite::<S>))
        .route("/api/v1/admin/rules", get(admin::get_rules::<S>).put(admin::put_rules::<S>))
        .route("/api/v1/admin/evidence/verify", get(admin::verify_evidence::<S>))
        .route("/api/v1/products", get(products::search::<S>).post(products::create::<S>))
        .route("/api/v1/products/{id}", get(products::get::<S>).patch(products::patch::<S>))
        .route(
            "/api/v1/products/{id}/stock",
            post(products::import::<S>).delete(products::withdraw::<S>).layer(DefaultBodyLimit::max(STOCK_BODY_LIMIT)),
        )
        .route("/api/v1/shops/{id}/products", get(products::of_shop::<S>))
        .route("/api/v1/shops/{id}/wallet", get(wallet::of_shop::<S>))
        .route("/api/v1/shops/{id}/deposit", get(enforcement::get_deposit::<S>).post(enforcement::top_up::<S>))
        .route("/api/v1/shops/{id}/penalties", get(enforcement::of_shop::<S>))
        .route("/api/v1/admin/penalties", get(enforcement::list::<S>))
        .route("/api/v1/admin/penalties/{id}/lift", post(enforcement::lift::<S>))
        .route("/api/v1/orders", get(orders::list::<S>).post(orders::create::<S>))
        .route("/api/v1/orders/{no}", get(orders::get::<S>))
        .route("/api/v1/orders/{no}/snapshot", get(orders::snapshot::<S>))
        .route("/api/v1/orders/{no}/evidence.zip", get(crate::evidence::api_export::<S>))
        .route("/api/v1/public/chain-head", get(crate::evidence::chain_head::<S>))
        .route("/api/v1/public/shops/{id}", get(public::shop::<S>))
        .route("/api/v1/public/service-report", get(public::service_report::<S>))
        .route("/api/v1/orders/{no}/reveal", post(orders::reveal::<S>))
        .route("/api/v1/orders/{no}/confirm", post(orders::confirm::<S>))
        .route("/api/v1/orders/{no}/fulfil", post(orders::fulfil::<S>))
        .route("/api/v1/orders/{no}/cancel", post(orders::cancel::<S>))
        .route(
            "/api/v1/orders/{no}/cases",
            get(cases::of_order::<S>).post(cases::open::<S>).layer(DefaultBodyLimit::max(cases::CASE_BODY_LIMIT)),
        )
        .route("/api/v1/cases", get(cases::list::<S>))
        .route("/api/v1/cases/{id}", get(cases::get::<S>))
        .route("/api/v1/cases/{id}/actions", post(cases::act::<S>).layer(DefaultBodyLimit::max(cases::CASE_BODY_LIMIT)))
        .route("/api/v1/cases/{id}/evidence/{eid}", get(cases::evidence::<S>))
        .route("/api/v1/platform/arbitration", get(cases::arbitration::<S>))
        .route("/api/v1/cases/{id}/public-response", post(publication::respond::<S>))
        .route("/api/v1/public/cases", get(publication::list::<S>))
        .route("/api/v1/public/cases/{id}", get(publication::get::<S>))
        .route("/api/v1/orders/{no}/review", get(reviews::of_order::<S>).post(reviews::create::<S>))
        .route("/api/v1/reviews/{id}/reply", post(reviews::reply::<S>))
        .route("/api/v1/platform/reviews", get(reviews::queue::<S>))
        .route("/api/v1/platform/reviews/{id}/moderate", post(reviews::moderate::<S>))
        .route("/api/v1/public/shops/{id}/reviews", get(reviews::of_shop::<S>))
        .route("/api/v1/wallet", get(wallet::mine::<S>))
        .route("/api/v1/admin/wallets/{username}/credit", post(wallet::credit::<S>))
        .route("/api/v1/admin/ledger/audit", get(wallet::audit::<S>))
        .route("/api/v1/breaches", get(wallet::breaches::<S>))
        .route("/api/v1/demo/faucet", post(wallet::faucet::<S>))
        .route("/api/v1/conversations", get(chat::list::<S>).post(chat::open::<S>))
        .route("/api/v1/conversations/{id}/messages", get(chat::messages::<S>).post(chat::post::<S>))
        .route("/api/v1/conversations/{id}/assign", post(chat::assign::<S>))
        .route(
            "/api/v1/conversations/{id}/images",
            post(chat::upload_image::<S>).layer(DefaultBodyLimit::max(chat::IMAGE_BODY_LIMIT)),
        )
        .route("/api/v1/conversations/{id}/images/{image_id}", get(chat::image::<S>))
        .route("/api/v1/conversations/{id}/read", post(chat::read::<S>))
        .route("/api/v1/platform/duty", get(chat::get_duty::<S>).post(chat::set_duty::<S>))
        .route("/api/v1/notifications", get(chat::notifications::<S>))
        .route("/api/v1/conversations/{id}/bot", post(bot::feedback::<S>))
        .route("/api/v1/bot/ask", post(bot::ask::<S>))
        .route("/api/v1/shops/{id}/bot", get(bot::get_shop_bot::<S>).put(bot::put_shop_bot::<S>))
        .route("/api/v1/faq", get(bot::list_faq::<S>).post(bot::add_faq::<S>))
        .route("/api/v1/faq/{id}", put(bot::edit_faq::<S>).delete(bot::delete_faq::<S>))
        .route("/api/v1/quiz/attempts", post(quiz::start::<S>))
        .route("/api/v1/quiz/attempts/{id}/answers", post(quiz::submit::<S>))
        .route("/api/v1/quiz/certificate", get(quiz::certificate::<S>))
        .route("/api/v1/admin/quiz/questions", get(quiz::questions::<S>).post(quiz::add::<S>))
        .route("/api/v1/admin/quiz/questions/{id}", put(quiz::edit::<S>))
        .route("/api/v1/admin/quiz/questions/{id}/retire", post(quiz::retire::<S>))
        .route("/api/v1/ws", get(crate::ws::upgrade::<S>))
        .route("/api/openapi.json", get(openapi::json))
}
