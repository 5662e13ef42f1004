//! Retrieval over the knowledge base: TF-IDF cosine between the buyer's message and each FAQ
//! question, over the same words and character bigrams the classifier uses. The shop's own
//! entries come first on a tie: they know their goods better than the platform does.

use std::collections::HashMap;

use crate::context::{FaqEntry, Knowledge};
use crate::text::{features, normalise};

/// Below this similarity an FAQ entry is not an answer. Chosen on the training split's
/// `other` questions against the platform FAQ (see `crate::tests`).
pub const MIN_SCORE: f64 = 0.30;

/// The best entry for a message and its similarity in [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    pub entry: &'a FaqEntry,
    pub score: f64,
    pub from_shop: bool,
}

/// The most similar entry, if any shares a feature with the message.
pub fn best<'a>(knowledge: &'a Knowledge, message: &str) -> Option<Hit<'a>> {
    let entries: Vec<(&FaqEntry, bool)> =
        knowledge.shop.iter().map(|e| (e, true)).chain(knowledge.platform.iter().map(|e| (e, false))).collect();
    if entries.is_empty() {
        return None;
    }
    let docs: Vec<Vec<String>> = entries.iter().map(|(e, _)| features(&normalise(&e.question))).collect();
    let mut df: HashMap<&str, f64> = HashMap::new();
    for doc in &docs {
        let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for f in seen {
            *df.entry(f).or_default() += 1.0;
        }
    }
    let n = docs.len() as f64;
    let idf = |f: &str| ((n + 1.0) / (df.get(f).copied().unwrap_or(0.0) + 1.0)).ln() + 1.0;
    let vector = |feats: &[String]| {
        let mut v: HashMap<String, f64> = HashMap::new();
        for f in feats {
            *v.entry(f.clone()).or_default() += idf(f);
        }
        v
    };
    let query = vector(&features(&normalise(message)));
    let mut best: Option<Hit<'a>> = None;
    for ((entry, from_shop), doc) in entries.into_iter().zip(&docs) {
        let score = cosine(&query, &vector(doc));
        if score > 0.0 && best.as_ref().is_none_or(|b| score > b.score) {
            best = Some(Hit { entry, score, from_shop });
        }
    }
    best
}

fn cosine(a: &HashMap<String, f64>, b: &HashMap<String, f64>) -> f64 {
    let dot: f64 = a.iter().filter_map(|(k, x)| b.get(k).map(|y| x * y)).sum();
    let norm = |v: &HashMap<String, f64>| v.values().map(|x| x * x).sum::<f64>().sqrt();
    let d = norm(a) * norm(b);
    if d == 0.0 { 0.0 } else { dot / d }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_entries_are_found_and_win_ties() {
        let entry = |q: &str, a: &str| FaqEntry { question: q.into(), answer: a.into() };
        let k = Knowledge {
            platform: vec![entry("怎么开发票", "平台说法")],
            shop: vec![entry("怎么开发票", "本店说法"), entry("支持哪些区服", "全区全服")],
        };
        let hit = best(&k, "能开发票吗").expect("a hit");
        assert_eq!(hit.entry.answer, "本店说法");
        assert!(hit.score >= MIN_SCORE, "{}", hit.score);
        let hit = best(&k, "支持什么区服").expect("a hit");
        assert_eq!(hit.entry.answer, "全区全服");
        assert!(best(&Knowledge::default(), "发票").is_none());
    }
}
