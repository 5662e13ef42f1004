//! Catalogue flows that need more than one transaction or more than the core:
//! keeping the search index in step with the products table, and rendering
//! merchants' Markdown safely.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::Ordering;

use pulldown_cmark::{Event, Options, Parser, Tag};
use youying_core::Timestamp;
use youying_core::catalogue;
use youying_core::catalogue::Product;
use youying_core::deposit::{self, Standing};
use youying_core::error::{Result, StorageError};
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_search::ProductDoc;

use crate::state::App;

/// Changes committed this long before the cursor are read again, so a slow
/// transaction that committed late (possibly on another instance) is not missed.
const OVERLAP_MS: i64 = 5_000;
const PAGE: usize = 1_000;

/// Brings the search index up to date with every product change since the
/// last call. Called after local changes (so they are searchable at once) and
/// every few seconds by the sync loop (for changes made by other instances).
pub async fn sync_search<S: Store>(app: &App<S>) -> Result<usize> {
    let mut total = 0;
    loop {
        let cursor = app.search_cursor.load(Ordering::Acquire);
        let after = Timestamp::from_millis(cursor.saturating_sub(OVERLAP_MS));
        let now = app.now();
        let page = app
            .store
            .read(move |tx| {
                let products = tx.products_changed_since(after, PAGE)?;
                let mut docs = Vec::with_capacity(products.len());
                let mut shops: HashMap<ShopId, (String, Standing)> = HashMap::new();
                for p in products {
                    let (name, standing) = match shops.entry(p.shop_id) {
                        Entry::Occupied(e) => e.into_mut(),
                        Entry::Vacant(e) => {
                            let name = tx.shop(p.shop_id)?.map(|s| s.name).unwrap_or_default();
                            e.insert((name, deposit::standing(tx, now, p.shop_id)?))
                        }
                    };
                    docs.push((p.updated_at, doc(&p, name.clone(), standing)));
                }
                Ok(docs)
            })
            .await?;
        let newest = page.iter().map(|(t, _)| t.millis()).max();
        let docs: Vec<ProductDoc> = page.into_iter().map(|(_, d)| d).collect();
        app.search.upsert_many(&docs).map_err(|e| StorageError(format!("search: {e}")))?;
        total += docs.len();
        match newest {
            Some(t) if t > cursor => app.search_cursor.store(t, Ordering::Release),
            _ => return Ok(total),
        }
        if docs.len() < PAGE {
            return Ok(total);
        }
    }
}

/// The product as search sees it: hidden when its shop is (deposit short,
/// suspended), ranked lower while the shop is down-ranked.
pub fn doc(p: &Product, shop_name: String, standing: &Standing) -> ProductDoc {
    ProductDoc {
        id: p.id.0,
        title: p.spec.title.clone(),
        description: p.spec.description.clone(),
        category: catalogue::category_name(&p.spec.category).unwrap_or_default().to_owned(),
        shop_name,
        kind: p.spec.kind.as_str().to_owned(),
        price_fen: p.spec.price_fen,
        on_sale: p.listed() && standing.listed(),
        rank: p.rank.saturating_add(standing.rank_offset()),
    }
}

/// The search loop: follows other instances' changes.
pub async fn run_sync<S: Store>(app: App<S>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = sync_search(&app).await {
            tracing::error!(error = %e, "search sync failed");
        }
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Markdown to HTML with raw HTML shown as text and only safe link targets.
pub fn render_markdown(src: &str) -> String {
    let parser = Parser::new_ext(src, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|ev| match ev {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) if !safe_url(&dest_url) => {
            Event::Start(Tag::Link { link_type, dest_url: "#".into(), title, id })
        }
        Event::Start(Tag::Image { dest_url, .. }) => Event::Text(dest_url),
        Event::End(pulldown_cmark::TagEnd::Image) => Event::Text("".into()),
        other => other,
    });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, parser);
    out
}

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || (lower.starts_with('/') && !lower.starts_with("//"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_never_passes_html_or_script_links() {
        let html = render_markdown(
            "**粗体** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.example) <img src=x onerror=y>",
        );
        assert!(html.contains("<strong>粗体</strong>"));
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(!html.contains("javascript:"));
        assert!(html.contains("href=\"https://a.example\""));
        assert!(!html.contains("<img"));
    }
}
