//! A readable page of the API, rendered from the same OpenAPI description that
//! `/api/openapi.json` serves, so the two cannot disagree.

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use utoipa::OpenApi;
use youying_core::ports::Store;

use super::layout::{Layout, Page, render};
use crate::openapi::ApiDoc;
use crate::state::App;

struct Op {
    method: String,
    path: String,
    summary: String,
    responses: Vec<String>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage<'a> {
    page: &'a Layout,
    ops: Vec<Op>,
}

pub async fn page(page: Page) -> Response {
    let doc = ApiDoc::openapi();
    let mut ops = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ];
        for (method, op) in methods {
            let Some(op) = op else { continue };
            let summary = op.description.clone().or_else(|| op.summary.clone()).unwrap_or_default();
            let responses = op
                .responses
                .responses
                .iter()
                .map(|(code, r)| match r {
                    utoipa::openapi::RefOr::T(r) if !r.description.is_empty() => {
                        format!("{code} {}", r.description)
                    }
                    _ => code.clone(),
                })
                .collect();
            ops.push(Op { method: method.to_owned(), path: path.clone(), summary, responses });
        }
    }
    render(StatusCode::OK, &page.layout, &DocsPage { page: &page.layout, ops })
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/api/docs", routing::get(page))
}
