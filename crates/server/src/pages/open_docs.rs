//! `/docs/open-api`: the open API explained for resellers, in Chinese. The
//! error table is rendered from `youying_dock::wire::ERROR_CODES`, the list the
//! server answers from, so the page cannot drift from it.

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::ports::Store;
use youying_dock::wire::{ERROR_CODES, PREFIX};

use super::layout::{Layout, Page, render};
use crate::state::App;

struct Code {
    code: &'static str,
    status: u16,
    meaning: &'static str,
}

#[derive(Template)]
#[template(path = "open_api_docs.html")]
struct OpenDocs<'a> {
    page: &'a Layout,
    prefix: &'static str,
    codes: Vec<Code>,
}

pub async fn page(page: Page) -> Response {
    let codes = ERROR_CODES.iter().map(|&(code, status, meaning)| Code { code, status, meaning }).collect();
    render(StatusCode::OK, &page.layout, &OpenDocs { page: &page.layout, prefix: PREFIX, codes })
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/docs/open-api", routing::get(page))
}
