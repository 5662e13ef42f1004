//! The JSON API under `/api/v1`. Handlers translate HTTP to use cases and back;
//! rules live in the core, SQL in the store.

mod admin;
pub use admin::verify_chain;
mod auth;
pub mod openapi;
pub use shops::accept as accept_invite;
mod shops;

use axum::Router;
use axum::routing::{delete, get, post};
use youying_core::ports::Store;

use crate::state::App;

pub fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/auth/register", post(auth::register::<S>))
        .route("/api/v1/auth/login", post(auth::login::<S>))
        .route("/api/v1/auth/logout", post(auth::logout::<S>))
        .route("/api/v1/me", get(auth::me::<S>))
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
        .route("/api/openapi.json", get(openapi::json))
}
