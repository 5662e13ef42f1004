//! What the catalogue needs from persistence: the product rows.

use super::ProductSpec;
use crate::clock::Timestamp;
use crate::error::Result;
use crate::grades::Grade;
use crate::values::{ProductId, ShopId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ProductId,
    pub shop_id: ShopId,
    pub spec: ProductSpec,
    pub on_sale: bool,
    /// Hidden by its source (货源对接: upstream down, sold out, above the cap),
    /// apart from the merchant's own `on_sale`.
    pub source_hidden: bool,
    /// Search and listing order; penalties lower it.
    pub rank: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl Product {
    /// Whether buyers see it and may buy it (the shop's own standing aside).
    pub fn listed(&self) -> bool {
        self.on_sale && !self.source_hidden
    }
}

/// What a product card shows beside the listing, so buyers choose where they
/// choose: units sold and the shop's published grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardFacts {
    pub product: ProductId,
    /// Units in the product's orders that were not refunded.
    pub sold: i64,
    /// The grade last published for the shop; [`Grade::New`] before the first.
    pub grade: Grade,
}

/// Looking products up.
pub trait CatalogueRead {
    fn product(&mut self, id: ProductId) -> Result<Option<Product>>;
    fn products_of_shop(&mut self, shop: ShopId) -> Result<Vec<Product>>;
    /// Products changed after `after` (ms), oldest change first: the search index follows these.
    fn products_changed_since(&mut self, after: Timestamp, limit: usize) -> Result<Vec<Product>>;
    /// [`CardFacts`] of `ids` (unknown ones left out), read together for a
    /// whole listing page rather than one query per card.
    fn card_facts(&mut self, ids: &[ProductId]) -> Result<Vec<CardFacts>>;
}

/// Listing and changing products.
pub trait CatalogueTx: CatalogueRead {
    fn insert_product(&mut self, shop: ShopId, spec: &ProductSpec, on_sale: bool, at: Timestamp) -> Result<ProductId>;
    /// Replaces a product's listing if its version is still `expected_version`.
    fn update_product(&mut self, p: &Product, expected_version: i64) -> Result<bool>;
}
