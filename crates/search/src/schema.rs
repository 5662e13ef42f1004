//! The index layout and the mapping from [`ProductDoc`] to a tantivy document.
//!
//! Nothing is stored: a search answers product ids, read from the `id` fast field, and the server
//! loads the products themselves.

use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Score, TantivyDocument};

use crate::ProductDoc;

/// Name under which [`crate::segment::JiebaTokenizer`] is registered on every index.
pub(crate) const TOKENIZER: &str = "youying_jieba";
/// Fast field holding the product id.
pub(crate) const ID: &str = "id";
/// Fast field holding the product rank.
pub(crate) const RANK: &str = "rank";

/// Handles to the fields of the schema built by [`Fields::schema`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub(crate) id: Field,
    pub(crate) title: Field,
    pub(crate) description: Field,
    /// The category, segmented for free-text search.
    pub(crate) category_text: Field,
    pub(crate) shop_name: Field,
    /// The category verbatim, for the exact filter.
    pub(crate) category: Field,
    pub(crate) kind: Field,
    pub(crate) price_fen: Field,
    pub(crate) on_sale: Field,
    pub(crate) rank: Field,
}

impl Fields {
    /// Builds the schema. An on-disk index must have been created with the same one; tantivy
    /// refuses to open it otherwise, and the caller rebuilds it from the products.
    pub(crate) fn schema() -> (Schema, Fields) {
        // Frequencies feed BM25; positions would only serve phrase queries, which are never built.
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs),
        );
        let mut builder = Schema::builder();
        let fields = Fields {
            id: builder.add_i64_field(ID, INDEXED | FAST),
            title: builder.add_text_field("title", text.clone()),
            description: builder.add_text_field("description", text.clone()),
            category_text: builder.add_text_field("category_text", text.clone()),
            shop_name: builder.add_text_field("shop_name", text),
            category: builder.add_text_field("category", STRING),
            kind: builder.add_text_field("kind", STRING),
            price_fen: builder.add_i64_field("price_fen", INDEXED | FAST),
            on_sale: builder.add_bool_field("on_sale", INDEXED),
            rank: builder.add_i64_field(RANK, FAST),
        };
        (builder.build(), fields)
    }

    /// The free-text fields and their weights: a word in the title counts most.
    pub(crate) fn searched(&self) -> [(Field, Score); 4] {
        [(self.title, 3.0), (self.category_text, 1.5), (self.shop_name, 1.0), (self.description, 1.0)]
    }

    /// The tantivy document for a product.
    pub(crate) fn document(&self, product: &ProductDoc) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_i64(self.id, product.id);
        doc.add_text(self.title, &product.title);
        doc.add_text(self.description, &product.description);
        doc.add_text(self.category_text, &product.category);
        doc.add_text(self.shop_name, &product.shop_name);
        doc.add_text(self.category, &product.category);
        doc.add_text(self.kind, &product.kind);
        doc.add_i64(self.price_fen, product.price_fen);
        doc.add_bool(self.on_sale, product.on_sale);
        doc.add_i64(self.rank, product.rank);
        doc
    }
}
