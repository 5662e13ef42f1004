//! The values that cross the crate boundary: what is indexed, what is asked, what comes back.

/// One product as the index sees it. The server builds it from its own product record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDoc {
    /// The product id; [`SearchIndex::upsert`](crate::SearchIndex::upsert) replaces by it.
    pub id: i64,
    /// Searched with the highest weight.
    pub title: String,
    /// Searched.
    pub description: String,
    /// Searched, and filterable by exact value.
    pub category: String,
    /// Searched.
    pub shop_name: String,
    /// `card_key`, `direct_topup` or `account`; filterable by exact value.
    pub kind: String,
    /// Price in fen (1/100 yuan); filterable by an inclusive range.
    pub price_fen: i64,
    /// Only products on sale are ever returned.
    pub on_sale: bool,
    /// Higher sorts first among equally relevant products; 0 by default, penalties lower it.
    pub rank: i64,
}

/// A search: free text plus optional filters and a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Free text; segmented into words, never parsed as query syntax. Empty lists by rank.
    pub q: String,
    /// Exact category.
    pub category: Option<String>,
    /// Exact kind (`card_key`, `direct_topup`, `account`).
    pub kind: Option<String>,
    /// Inclusive lower price bound in fen.
    pub min_price_fen: Option<i64>,
    /// Inclusive upper price bound in fen.
    pub max_price_fen: Option<i64>,
    /// 1-based page number; 0 is read as 1.
    pub page: usize,
    /// Page size, clamped to `1..=100`.
    pub per_page: usize,
}

impl SearchQuery {
    /// The default page size.
    pub const DEFAULT_PER_PAGE: usize = 20;
    /// The largest page size; larger requests are clamped to it.
    pub const MAX_PER_PAGE: usize = 100;

    /// A free-text query for the first page, without filters.
    #[must_use]
    pub fn text(q: impl Into<String>) -> Self {
        Self { q: q.into(), ..Self::default() }
    }
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            q: String::new(),
            category: None,
            kind: None,
            min_price_fen: None,
            max_price_fen: None,
            page: 1,
            per_page: Self::DEFAULT_PER_PAGE,
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hits {
    /// Product ids of this page, best first.
    pub ids: Vec<i64>,
    /// How many products match in all (every page).
    pub total: usize,
}
