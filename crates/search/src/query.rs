//! Turning a [`SearchQuery`] into a tantivy query.
//!
//! User text is never parsed as query syntax (no `AND`, quotes or `field:` prefixes), so no input
//! is malformed. It is segmented into words and each becomes a clause: the word itself *or* all the
//! dictionary words inside it, in any searched field (title weighted most). A product matches when
//! it matches most words: all of them for up to two words, otherwise at least 60 %. Tantivy's own
//! query parser would instead turn a multi-word run into a phrase query, which is too strict here.

use std::ops::Bound;

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;

use crate::SearchQuery;
use crate::schema::Fields;
use crate::segment::{self, QueryWord};

/// Words of a query beyond this are ignored, which bounds the size of the query built.
const MAX_QUERY_WORDS: usize = 16;

/// The full query: free text (if any words) plus the on-sale, category, kind and price filters.
pub(crate) fn build(fields: &Fields, query: &SearchQuery) -> BooleanQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(text) = text_query(fields, &query.q) {
        clauses.push((Occur::Must, Box::new(text)));
    }
    clauses.push((Occur::Must, filter(Term::from_field_bool(fields.on_sale, true))));
    if let Some(category) = &query.category {
        clauses.push((Occur::Must, filter(Term::from_field_text(fields.category, category))));
    }
    if let Some(kind) = &query.kind {
        clauses.push((Occur::Must, filter(Term::from_field_text(fields.kind, kind))));
    }
    if query.min_price_fen.is_some() || query.max_price_fen.is_some() {
        let bound = |price: Option<i64>| match price {
            Some(fen) => Bound::Included(Term::from_field_i64(fields.price_fen, fen)),
            None => Bound::Unbounded,
        };
        let range = RangeQuery::new(bound(query.min_price_fen), bound(query.max_price_fen));
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(range), 0.0))));
    }
    BooleanQuery::new(clauses)
}

/// How many of `words` query words a product must match.
fn required_matches(words: usize) -> usize {
    if words <= 2 { words } else { (words * 3).div_ceil(5) }
}

/// The free-text part, or `None` when the text has no words (empty, or only punctuation).
fn text_query(fields: &Fields, text: &str) -> Option<BooleanQuery> {
    let words = segment::query_words(text, MAX_QUERY_WORDS);
    if words.is_empty() {
        return None;
    }
    let required = required_matches(words.len());
    let clauses = words.iter().map(|word| (Occur::Should, word_query(fields, word))).collect();
    Some(BooleanQuery::with_minimum_required_clauses(clauses, required))
}

/// One word: the word itself, or every dictionary word inside it (so 永久激活码 also finds
/// "激活码 永久", whose terms include 永久, 激活 and 激活码 but not 永久激活码).
fn word_query(fields: &Fields, word: &QueryWord) -> Box<dyn Query> {
    let whole = term_query(fields, &word.whole);
    if word.parts.is_empty() {
        return whole;
    }
    let parts = BooleanQuery::intersection(word.parts.iter().map(|part| term_query(fields, part)).collect());
    Box::new(BooleanQuery::union(vec![whole, Box::new(parts)]))
}

/// One term in any searched field, weighted by field.
fn term_query(fields: &Fields, text: &str) -> Box<dyn Query> {
    let per_field = fields
        .searched()
        .into_iter()
        .map(|(field, boost)| {
            let term = TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs);
            Box::new(BoostQuery::new(Box::new(term), boost)) as Box<dyn Query>
        })
        .collect();
    Box::new(BooleanQuery::union(per_field))
}

/// An exact-term filter that adds nothing to the score.
fn filter(term: Term) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(Box::new(TermQuery::new(term, IndexRecordOption::Basic)), 0.0))
}

#[cfg(test)]
mod tests {
    use super::required_matches;

    #[test]
    fn short_queries_need_every_word_longer_ones_most() {
        let required: Vec<usize> = (0..=6).map(required_matches).collect();
        assert_eq!(required, [0, 1, 2, 2, 3, 3, 4]);
    }
}
