//! A multinomial naive Bayes classifier over [`crate::text::features`], trained at start-up from
//! the embedded training split. Deterministic: no randomness, and ties break by intent order.

use std::collections::HashMap;

use crate::intent::Intent;

const N: usize = Intent::ALL.len();
/// Additive smoothing: small, because the training set is small and phrases are distinctive.
const ALPHA: f64 = 0.2;

#[derive(Debug)]
pub struct NaiveBayes {
    /// Feature → log P(feature | intent) per intent.
    log_lik: HashMap<String, [f64; N]>,
    log_prior: [f64; N],
}

/// A scored guess: the best intent and a calibrated probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub intent: Intent,
    pub confidence: f64,
}

impl NaiveBayes {
    /// Trains on (intent, feature list) examples.
    pub fn train(examples: &[(Intent, Vec<String>)]) -> Self {
        let mut counts: HashMap<String, [f64; N]> = HashMap::new();
        let mut totals = [0.0; N];
        let mut docs = [0.0; N];
        for (intent, feats) in examples {
            let k = intent.index();
            docs[k] += 1.0;
            for f in feats {
                counts.entry(f.clone()).or_insert([0.0; N])[k] += 1.0;
                totals[k] += 1.0;
            }
        }
        let vocab = counts.len() as f64;
        let log_lik = counts
            .into_iter()
            .map(|(f, c)| {
                let mut l = [0.0; N];
                for k in 0..N {
                    l[k] = ((c[k] + ALPHA) / (totals[k] + ALPHA * vocab)).ln();
                }
                (f, l)
            })
            .collect();
        let n_docs: f64 = docs.iter().sum();
        let log_prior = docs.map(|d| ((d + 1.0) / (n_docs + N as f64)).ln());
        Self { log_lik, log_prior }
    }

    /// The best intent for a message's features, or `None` when no feature was seen in training.
    ///
    /// Naive Bayes multiplies one likelihood per feature, so its raw posterior is near 0 or 1
    /// for any message of a few words. The log scores are divided by the square root of the
    /// number of known features before the softmax: long and short messages then get comparable
    /// confidences, and a threshold on them means something.
    pub fn predict(&self, feats: &[String]) -> Option<Scored> {
        let mut score = self.log_prior;
        let mut known = 0usize;
        for l in feats.iter().filter_map(|f| self.log_lik.get(f)) {
            known += 1;
            for k in 0..N {
                score[k] += l[k];
            }
        }
        if known == 0 {
            return None;
        }
        let scale = (known as f64).sqrt();
        let max = score.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exp = score.map(|s| ((s - max) / scale).exp());
        let sum: f64 = exp.iter().sum();
        let (best, p) = exp.iter().enumerate().fold((0, 0.0), |acc, (k, &e)| if e > acc.1 { (k, e) } else { acc });
        Some(Scored { intent: Intent::ALL[best], confidence: p / sum })
    }
}
