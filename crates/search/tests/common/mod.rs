//! Shared fixtures for the integration tests.

#![allow(dead_code)] // each test binary uses a different subset

use youying_search::{ProductDoc, SearchIndex, SearchQuery};

/// An on-sale card-key product at 10 元 with rank 0; tests override what they care about.
pub fn product(id: i64, title: &str) -> ProductDoc {
    ProductDoc {
        id,
        title: title.to_owned(),
        description: String::new(),
        category: "其他".to_owned(),
        shop_name: "测试小店".to_owned(),
        kind: "card_key".to_owned(),
        price_fen: 1000,
        on_sale: true,
        rank: 0,
    }
}

/// The ids of the first page for free text `q`.
pub fn ids(index: &SearchIndex, q: &str) -> Vec<i64> {
    search(index, SearchQuery::text(q)).ids
}

/// Runs a query, failing the test on error.
pub fn search(index: &SearchIndex, query: SearchQuery) -> youying_search::Hits {
    match index.search(&query) {
        Ok(hits) => hits,
        Err(error) => panic!("search {query:?} failed: {error}"),
    }
}

/// An in-memory index holding `docs`.
pub fn index_with(docs: &[ProductDoc]) -> SearchIndex {
    let index = SearchIndex::in_memory().expect("in-memory index");
    index.upsert_many(docs).expect("upsert_many");
    index
}
