//! `/docs/open-api`: the open API explained for resellers, in Chinese. The
//! error table is rendered from `youying_dock::wire::ERROR_CODES`, the list the
//! server answers from, so the page cannot drift from it.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::ports::Store;
use youying_core::rules::{self, Rule};
use youying_dock::wire::{ERROR_CODES, PREFIX};

use super::layout::{Layout, Page, PageError, render};
use crate::fmt::fmt_duration;
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
    /// The rule in force: requests a second per key.
    per_sec: i64,
    /// The after-sales windows in force, in words: (merchant's, resolution's).
    case_windows: (String, String),
}

pub async fn page<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    let codes = ERROR_CODES.iter().map(|&(code, status, meaning)| Code { code, status, meaning }).collect();
    let r = app.store.read(|tx| rules::in_force(tx)).await.map_err(|e| page.error(e.into()))?;
    let case_windows = (fmt_duration(r.get(Rule::CaseMerchantSecs)), fmt_duration(r.get(Rule::CaseResolveSecs)));
    let per_sec = r.get(Rule::OpenApiPerSec);
    let t = OpenDocs { page: &page.layout, prefix: PREFIX, codes, per_sec, case_windows };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/docs/open-api", routing::get(page::<S>))
}
