//! Products as everyone sees them, the market search, and stock import: what the
//! API, the pages, the CLI and the demo seeder share.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::accounts::User;
use youying_core::catalogue;
use youying_core::catalogue::{CardFacts, Product};
use youying_core::grades::Grade;
use youying_core::levels::{self, Level, PriceBasis, Quote};
use youying_core::ports::{ReadTx, Store};
use youying_core::values::ProductId;
use youying_core::{Error, deposit, stock};
use youying_search::SearchQuery;

use crate::error::{ApiResult, AppError};
use crate::state::App;

/// A stock file of 200,000 keys is a few MiB; everything else stays under 1 MiB.
pub const STOCK_BODY_LIMIT: usize = 32 * 1024 * 1024;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: i64,
    pub shop_id: i64,
    pub shop_name: String,
    pub category: String,
    pub category_name: String,
    /// `card_key`, `direct_topup` or `account`.
    pub kind: String,
    pub title: String,
    /// Markdown as the merchant wrote it.
    pub description: String,
    pub instructions: String,
    pub price_fen: i64,
    #[schema(value_type = Vec<Object>)]
    pub tiers: Vec<catalogue::Tier>,
    pub promises: Vec<String>,
    pub topup_promise_secs: Option<i64>,
    #[schema(value_type = Vec<Object>)]
    pub topup_fields: Vec<catalogue::TopupField>,
    #[schema(value_type = Vec<Object>)]
    pub account_attrs: Vec<catalogue::AccountAttr>,
    pub max_per_order: i64,
    pub on_sale: bool,
    /// Unsold units (card keys, accounts); absent for top-ups.
    pub stock: Option<i64>,
    pub version: i64,
    /// What the viewer pays for one unit: their level's price (anonymous
    /// viewers: the default level's), from `levels::quote`, as checkout charges.
    pub your_price_fen: i64,
    /// Why: `{kind: list}`, `{kind: tier, min_qty}`, `{kind: level_discount,
    /// level_id, level_name, discount_bp}` or `{kind: level_price, level_id, level_name}`.
    #[schema(value_type = Object)]
    pub your_price_basis: PriceBasis,
    /// 已售: units sold in orders not refunded.
    pub sold: i64,
    /// The shop's published grade: `A`…`D`, or `new` (新店: too few orders to judge yet).
    pub shop_grade: String,
}

/// A product as `level` sees it: the view with its one-unit quote.
pub fn priced_view(
    tx: &mut dyn ReadTx,
    level: &Level,
    p: &Product,
    shop_name: String,
    stock: Option<i64>,
) -> youying_core::error::Result<ProductView> {
    let quote = levels::quote_at(tx, level, p, 1)?;
    Ok(view(p, shop_name, stock, quote))
}

pub fn view(p: &Product, shop_name: String, stock: Option<i64>, price: Quote) -> ProductView {
    let s = &p.spec;
    ProductView {
        id: p.id.0,
        shop_id: p.shop_id.0,
        shop_name,
        category: s.category.clone(),
        category_name: catalogue::category_name(&s.category).unwrap_or_default().to_owned(),
        kind: s.kind.as_str().to_owned(),
        title: s.title.clone(),
        description: s.description.clone(),
        instructions: s.instructions.clone(),
        price_fen: s.price_fen,
        tiers: s.tiers.clone(),
        promises: s.promises.clone(),
        topup_promise_secs: s.topup_promise_secs,
        topup_fields: s.topup_fields.clone(),
        account_attrs: s.account_attrs.clone(),
        max_per_order: s.max_per_order,
        // Hidden by its source reads as off sale; that it is sourced is never shown to buyers.
        on_sale: p.listed(),
        stock: s.kind.has_stock().then_some(stock.unwrap_or(0)),
        version: p.version,
        your_price_fen: price.unit.get(),
        your_price_basis: price.basis,
        // Filled for whole lists at once by `with_card_facts`.
        sold: 0,
        shop_grade: Grade::New.as_str().to_owned(),
    }
}

/// Adds units sold and the shop's grade to `views`, in one query for them all.
pub fn with_card_facts(
    tx: &mut dyn ReadTx,
    mut views: Vec<ProductView>,
) -> youying_core::error::Result<Vec<ProductView>> {
    let ids: Vec<ProductId> = views.iter().map(|v| ProductId(v.id)).collect();
    let facts: std::collections::HashMap<i64, CardFacts> =
        tx.card_facts(&ids)?.into_iter().map(|f| (f.product.0, f)).collect();
    for v in &mut views {
        if let Some(f) = facts.get(&v.id) {
            v.sold = f.sold;
            v.shop_grade = f.grade.as_str().to_owned();
        }
    }
    Ok(views)
}

/// Loads a product with its shop name, stock count and the viewer's price.
pub async fn load_view<S: Store>(app: &App<S>, viewer: Option<&User>, id: ProductId) -> ApiResult<ProductView> {
    let viewer = viewer.cloned();
    Ok(app
        .store
        .read(move |tx| {
            let p = tx.product(id)?.ok_or(Error::NotFound)?;
            let shop = tx.shop(p.shop_id)?.map(|s| s.name).unwrap_or_default();
            let stock = tx.stock_count(p.id)?;
            let level = levels::viewer_level(tx, viewer.as_ref())?;
            let v = priced_view(tx, &level, &p, shop, Some(stock))?;
            with_card_facts(tx, vec![v])?.pop().ok_or(Error::NotFound)
        })
        .await?)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words to look for (Chinese is segmented).
    pub q: Option<String>,
    pub category: Option<String>,
    pub kind: Option<String>,
    pub min_price_fen: Option<i64>,
    pub max_price_fen: Option<i64>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchView {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<ProductView>,
}

/// Runs a search and loads the hits in order, priced for the viewer.
pub async fn search_products<S: Store>(app: &App<S>, viewer: Option<&User>, p: &SearchParams) -> ApiResult<SearchView> {
    let viewer = viewer.cloned();
    let q = SearchQuery {
        q: p.q.clone().unwrap_or_default(),
        // The index holds the category's Chinese name (so words like 点卡 find it).
        category: p
            .category
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| catalogue::category_name(c).unwrap_or(c).to_owned()),
        kind: p.kind.clone().filter(|k| !k.is_empty()),
        min_price_fen: p.min_price_fen,
        max_price_fen: p.max_price_fen,
        page: p.page.unwrap_or(1).max(1),
        per_page: p.per_page.unwrap_or(20).clamp(1, 100),
    };
    let hits = app.search.search(&q).map_err(|e| AppError::from(youying_core::StorageError(format!("search: {e}"))))?;
    let ids = hits.ids.clone();
    let now = app.now();
    let rows = app
        .store
        .read(move |tx| {
            let level = levels::viewer_level(tx, viewer.as_ref())?;
            let mut out = Vec::new();
            for id in ids {
                if let Some(p) = tx.product(ProductId(id))? {
                    // The index follows visibility a moment late; the store decides.
                    if !deposit::standing(tx, now, p.shop_id)?.listed() {
                        continue;
                    }
                    let shop = tx.shop(p.shop_id)?.map(|s| s.name).unwrap_or_default();
                    // Off sale, or hidden because its upstream cannot sell it now.
                    if !p.listed() {
                        continue;
                    }
                    let stock = tx.stock_count(p.id)?;
                    out.push(priced_view(tx, &level, &p, shop, Some(stock))?);
                }
            }
            with_card_facts(tx, out)
        })
        .await?;
    let items = rows;
    Ok(SearchView { total: hits.total, page: q.page, per_page: q.per_page, items })
}

/// Parses, seals and imports a stock file: shared by the API, the page and the CLI.
pub async fn import_stock<S: Store>(
    app: &App<S>,
    user: youying_core::accounts::User,
    product: ProductId,
    text: &str,
    skip_duplicates: bool,
) -> ApiResult<stock::ImportReport> {
    import_stock_with_progress(app, user, product, text, skip_duplicates, |_| {}).await
}

/// [`import_stock`], reporting how many units are sealed as it goes (for the CLI's bar).
pub async fn import_stock_with_progress<S: Store>(
    app: &App<S>,
    user: youying_core::accounts::User,
    product: ProductId,
    text: &str,
    skip_duplicates: bool,
    progress: impl Fn(usize) + Send + 'static,
) -> ApiResult<stock::ImportReport> {
    let parsed = stock::parse(text)?;
    let vault = std::sync::Arc::clone(&app.vault);
    let (parsed, sealed) = tokio::task::spawn_blocking(move || {
        let mut sealed = Vec::with_capacity(parsed.units.len());
        for (i, u) in parsed.units.iter().enumerate() {
            if i % 1_000 == 0 {
                progress(i);
            }
            match vault.seal(u) {
                Ok(s) => sealed.push(s),
                Err(e) => return (parsed, Err(e)),
            }
        }
        progress(parsed.units.len());
        (parsed, Ok(sealed))
    })
    .await
    .map_err(|e| youying_core::StorageError(format!("seal task: {e}")))?;
    let sealed = sealed?;
    let now = app.now();
    Ok(app.store.write(move |tx| stock::import(tx, now, &user, product, &parsed, sealed, skip_duplicates)).await?)
}
