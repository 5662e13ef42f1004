//! 我的订单: the buyer's orders under tabs (全部/待处理/担保中/已完成/售后), a
//! search by order number or product title, and pages of [`PAGE_SIZE`]. All of
//! it is in the GET query, so a tab, a search or a page can be bookmarked and
//! reloaded. What each tab holds is said once, in `youying_core::orders::OrderTab`.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use youying_core::orders::{OrderQuery, OrderTab};
use youying_core::ports::Store;

use super::forms::{field, urlencode};
use super::layout::{Layout, Page, PageError, render};
use super::orders::OrderRow;
use crate::state::App;

/// Orders per page: a phone screen or two.
pub const PAGE_SIZE: i64 = 20;
/// Deeper than anyone pages by hand; keeps the offset small for the database.
const MAX_PAGE: i64 = 500;
/// Longer than any order number or title worth typing.
const MAX_SEARCH_CHARS: usize = 50;

/// A tab link, keeping the search.
pub struct TabLink {
    pub code: &'static str,
    pub label: &'static str,
    pub href: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct ListPage<'a> {
    page: &'a Layout,
    orders: Vec<OrderRow>,
    tabs: Vec<TabLink>,
    tab: &'static str,
    q: String,
    page_no: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
}

/// `/orders?tab=…&q=…&page=…`, leaving out what is the default.
fn href(tab: OrderTab, q: &str, page_no: i64) -> String {
    let mut parts = Vec::new();
    if tab != OrderTab::All {
        parts.push(format!("tab={}", tab.as_str()));
    }
    if !q.is_empty() {
        parts.push(format!("q={}", urlencode(q)));
    }
    if page_no > 1 {
        parts.push(format!("page={page_no}"));
    }
    if parts.is_empty() { "/orders".to_owned() } else { format!("/orders?{}", parts.join("&")) }
}

pub async fn list<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let buyer = page.require_viewer()?.user.id;
    let tab = OrderTab::parse(field(&params, "tab"));
    let q: String = field(&params, "q").trim().chars().take(MAX_SEARCH_CHARS).collect();
    let page_no = field(&params, "page").trim().parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE);
    // One more than a page: whether a 下一页 exists, without counting.
    let query = OrderQuery { buyer, tab, text: q.clone(), offset: (page_no - 1) * PAGE_SIZE, limit: PAGE_SIZE + 1 };
    let mut found = app.store.read(move |tx| tx.buyer_orders(&query)).await.map_err(|e| page.error(e.into()))?;
    let more = found.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    found.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let t = ListPage {
        page: &page.layout,
        orders: found.iter().map(OrderRow::of).collect(),
        tabs: OrderTab::ALL
            .into_iter()
            .map(|t| TabLink { code: t.as_str(), label: t.label(), href: href(t, &q, 1), active: t == tab })
            .collect(),
        tab: tab.as_str(),
        page_no,
        prev_href: (page_no > 1).then(|| href(tab, &q, page_no - 1)),
        next_href: more.then(|| href(tab, &q, page_no + 1)),
        q,
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> axum::Router<App<S>> {
    axum::Router::new().route("/orders", axum::routing::get(list::<S>))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_search_and_leave_out_defaults() {
        assert_eq!(href(OrderTab::All, "", 1), "/orders");
        assert_eq!(href(OrderTab::Escrow, "Q币 100", 2), "/orders?tab=escrow&q=Q%E5%B8%81%20100&page=2");
    }
}
