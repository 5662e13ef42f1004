//! Server-rendered pages in Chinese. Each page gets a [`Layout`](layout::Layout) with the
//! navigation for the viewer's role and the CSRF token its forms must carry
//! ([`layout`]); each feature file has its pages and their `router()`.

mod account;
mod admin_shared;
mod admin_shops;
mod admin_users;
mod apikeys;
mod bot;
mod buy;
mod cases;
mod channels;
mod chat;
mod chat_console;
mod chat_rows;
mod docs;
mod due;
mod enforcement;
mod flash;
pub(crate) mod forms;
mod gateways;
pub(crate) mod grade;
mod guest;
mod labels;
pub mod layout;
mod levels;
mod market;
mod merchant;
mod notices;
mod open_docs;
mod order_list;
mod order_snapshot;
mod order_view;
mod orders;
mod pay;
mod platform;
mod product_bulk;
mod product_edit;
pub(crate) mod product_form;
mod promise;
mod quiz;
pub mod reviews;
mod rules_form;
mod session;
mod shop;
mod sourcing;
mod statement;
mod stock;
mod suppliers;
mod thread;
mod thread_page;
mod verify;
mod wallet;
mod withdrawals;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use youying_core::ports::Store;

use self::layout::{Page, PageError};
use crate::state::App;

pub fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .merge(account::router::<S>())
        .merge(admin_users::router::<S>())
        .merge(admin_shops::router::<S>())
        .merge(apikeys::router::<S>())
        .merge(open_docs::router::<S>())
        .merge(bot::router::<S>())
        .merge(cases::router::<S>())
        .merge(chat::router::<S>())
        .merge(chat_console::router::<S>())
        .merge(docs::router::<S>())
        .merge(enforcement::router::<S>())
        .merge(grade::router::<S>())
        .merge(levels::router::<S>())
        .merge(market::router::<S>())
        .merge(merchant::router::<S>())
        .merge(product_edit::router::<S>())
        .merge(product_bulk::router::<S>())
        .merge(notices::router::<S>())
        .merge(channels::router::<S>())
        .merge(orders::router::<S>())
        .merge(order_list::router::<S>())
        .merge(order_snapshot::router::<S>())
        .merge(buy::router::<S>())
        .merge(platform::router::<S>())
        .merge(promise::router::<S>())
        .merge(gateways::router::<S>())
        .merge(guest::router::<S>())
        .merge(pay::router::<S>())
        .merge(quiz::router::<S>())
        .merge(reviews::router::<S>())
        .merge(session::router::<S>())
        .merge(shop::router::<S>())
        .merge(stock::router::<S>())
        .merge(wallet::router::<S>())
        .merge(withdrawals::router::<S>())
        .merge(sourcing::router::<S>())
        .merge(suppliers::router::<S>())
        .merge(verify::router::<S>())
        .route("/favicon.ico", get(layout::favicon))
        .route("/static/app.css", get(css))
        .route("/static/chat.js", get(chat_js))
        .route("/static/cases.js", get(cases_js))
        .route("/static/notices.js", get(notices::script))
        .fallback(not_found)
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
}

/// Live chat for the conversation pages and consoles; no build step, no inline script (CSP).
async fn chat_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/chat.js"),
    )
}

/// Live countdowns on the case pages.
async fn cases_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/cases.js"),
    )
}

async fn not_found(page: Page) -> PageError {
    page.error(youying_core::Error::NotFound.into())
}
