//! The Youying product search index.
//!
//! A small, self-contained full-text index over products: [tantivy] for the index, [jieba_rs] for
//! Chinese word segmentation with a dictionary of trade words (卡密, 点卡, 永久激活码, 直充, …) so
//! that those stay whole. The crate knows nothing about the rest of Youying: the server maps its
//! products to [`ProductDoc`] and calls [`SearchIndex::upsert`] when one changes.
//!
//! ```
//! # fn main() -> Result<(), youying_search::SearchError> {
//! use youying_search::{ProductDoc, SearchIndex, SearchQuery};
//!
//! let index = SearchIndex::in_memory()?;
//! index.upsert(&ProductDoc {
//!     id: 1,
//!     title: "Windows 11 专业版 永久激活码".into(),
//!     description: "自动发货，包售后".into(),
//!     category: "软件激活".into(),
//!     shop_name: "正版小铺".into(),
//!     kind: "card_key".into(),
//!     price_fen: 1990,
//!     on_sale: true,
//!     rank: 0,
//! })?;
//! let hits = index.search(&SearchQuery::text("激活码 永久"))?;
//! assert_eq!(hits.ids, vec![1]);
//! # Ok(())
//! # }
//! ```

mod error;
mod index;
mod model;
mod query;
mod ranking;
mod schema;
mod segment;

pub use error::SearchError;
pub use index::SearchIndex;
pub use model::{Hits, ProductDoc, SearchQuery};
