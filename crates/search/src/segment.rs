//! Chinese word segmentation, shared by indexing and querying so that both cut text alike.
//!
//! jieba runs with its HMM on (without it 卡密 splits into 卡 / 密) and a small dictionary of
//! trade words ([`USER_DICT`]). Documents are cut in jieba's *search mode*: every word plus the
//! dictionary words inside it (永久激活码 → 永久, 激活, 激活码, 永久激活码), so a query for any of
//! those finds it. Terms are lowercased, and full-width ASCII is folded to half-width first.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Trade words jieba must keep whole; one per line, `#` starts a comment line.
const USER_DICT: &str = include_str!("user_dict.txt");

/// One segmenter per process. Loading jieba's dictionary costs ~150 ms in a release build (far more
/// in a debug one) and ~20 MB; every index cuts text the same way, and the value is never mutated
/// after construction, so sharing it is safe. It also keeps the tantivy tokenizer zero-sized:
/// tantivy clones a field's tokenizer for every segment it writes, and a tokenizer owning a `Jieba`
/// (as `tantivy_jieba::JiebaTokenizer::with_jieba` does) would copy the whole dictionary each time.
static JIEBA: LazyLock<Jieba> = LazyLock::new(build_jieba);

fn build_jieba() -> Jieba {
    let mut jieba = Jieba::new();
    let words = USER_DICT.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#'));
    for word in words {
        jieba.add_word(word, None, None);
        // Terms are lowercased only after cutting, so "q币" in a query must cut like "Q币".
        let lower = word.to_lowercase();
        if lower != word {
            jieba.add_word(&lower, None, None);
        }
    }
    jieba
}

/// Folds full-width ASCII (Ｓｔｅａｍ１００) and the ideographic space to their plain forms.
fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A cut word as an index term: lowercased, or `None` for whitespace and punctuation.
fn term(word: &str) -> Option<String> {
    word.chars().any(char::is_alphanumeric).then(|| word.to_lowercase())
}

/// The terms the index stores for `text`, in order (duplicates kept: they count as frequency).
pub(crate) fn index_terms(text: &str) -> Vec<String> {
    let text = normalise(text);
    JIEBA.cut_for_search(&text, true).into_iter().filter_map(|token| term(token.word)).collect()
}

/// One word of a query, with the dictionary words inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryWord {
    /// The word as cut from the query (永久激活码).
    pub(crate) whole: String,
    /// The smaller dictionary words search mode finds inside it (永久, 激活, 激活码); empty for
    /// words that have none.
    pub(crate) parts: Vec<String>,
}

/// Query text past this many characters is ignored, bounding the work a pasted essay costs.
const MAX_QUERY_CHARS: usize = 256;

/// The distinct words of a query, at most `max` of them, in the order they appear.
pub(crate) fn query_words(q: &str, max: usize) -> Vec<QueryWord> {
    let end = q.char_indices().nth(MAX_QUERY_CHARS).map_or(q.len(), |(at, _)| at);
    let text = normalise(&q[..end]);
    let mut seen = HashSet::new();
    let mut words = Vec::new();
    for token in JIEBA.cut(&text, true) {
        if words.len() == max {
            break;
        }
        let Some(whole) = term(token.word) else { continue };
        if !seen.insert(whole.clone()) {
            continue;
        }
        let mut parts: Vec<String> =
            JIEBA.cut_for_search(token.word, true).into_iter().filter_map(|part| term(part.word)).collect();
        parts.retain(|part| *part != whole);
        parts.dedup();
        words.push(QueryWord { whole, parts });
    }
    words
}

/// The tantivy side of [`index_terms`]. Zero-sized: the dictionary lives in [`JIEBA`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JiebaTokenizer;

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = TermStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermStream {
        TermStream { terms: index_terms(text).into_iter(), token: Token::default(), position: 0 }
    }
}

/// Tokens over already-cut terms. Offsets stay 0: the index stores no text to highlight, and
/// positions are only ordinal because fields are indexed without positions.
#[derive(Debug)]
pub(crate) struct TermStream {
    terms: std::vec::IntoIter<String>,
    token: Token,
    position: usize,
}

impl TokenStream for TermStream {
    fn advance(&mut self) -> bool {
        let Some(text) = self.terms.next() else { return false };
        self.token.text = text;
        self.token.position = self.position;
        self.position += 1;
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_ascii_folds_to_half_width() {
        assert_eq!(normalise("Ｓｔｅａｍ　１００元"), "Steam 100元");
    }

    #[test]
    fn punctuation_and_spaces_are_not_terms() {
        assert_eq!(index_terms("秒到账，包售后！"), ["到账", "秒到账", "售后", "包售后"]);
    }

    #[test]
    fn query_words_carry_their_inner_words() {
        let words = query_words("永久激活码 点卡", 16);
        assert_eq!(words.len(), 2);
        assert_eq!(words[0].whole, "永久激活码");
        assert_eq!(words[0].parts, ["永久", "激活", "激活码"]);
        assert_eq!(words[1], QueryWord { whole: "点卡".into(), parts: vec![] });
    }

    #[test]
    fn query_words_are_distinct_and_capped() {
        let words = query_words("点卡 点卡 Steam steam 原神 月卡", 3);
        let wholes: Vec<_> = words.iter().map(|w| w.whole.as_str()).collect();
        assert_eq!(wholes, ["点卡", "steam", "原神"]);
    }

    #[test]
    fn mixed_case_dictionary_words_cut_alike() {
        assert_eq!(index_terms("腾讯q币"), index_terms("腾讯Q币"));
        assert!(index_terms("腾讯Q币点卡").contains(&"q币".to_string()));
    }
}
