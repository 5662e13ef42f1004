//! The help bot: jieba segmentation, intent classification, FAQ retrieval, and answers built
//! only from the live facts the server passes in a [`Context`]. No web, no SQL, no network, no
//! model file: the classifier is trained at start-up from the embedded training split.
//!
//! Order of decisions in [`Bot::reply`]: a request for a person always hands over (rules first);
//! then dispute rules; then the loop guard (a repeated question, "that did not help", or two bot
//! answers in a row without 已解决); then the statistical model, whose low confidence means
//! `other`, which an FAQ hit may answer and otherwise hands over.

mod answer;
pub mod context;
mod cues;
pub mod eval;
mod faq;
pub mod format;
mod intent;
mod model;
pub mod text;

use serde::{Deserialize, Serialize};

pub use context::{
    Context, ConversationState, FaqEntry, Knowledge, OrderFacts, ProductFacts, ProductKind, RuleFacts, Tier,
};
pub use intent::Intent;

/// The training split, compiled in. The held-back split (`data/test.tsv`) is never read here.
const TRAIN: &str = include_str!("../data/train.tsv");

/// Below this model confidence a message counts as `other`. Chosen by leave-one-out on the
/// training split only.
pub const MIN_CONFIDENCE: f64 = 0.45;

/// Two bot answers in a row without 已解决: the next message goes to a person.
const MAX_ANSWERS_IN_ROW: u32 = 2;

/// Every bot answer carries these two buttons.
pub const BUTTONS: [&str; 2] = ["已解决", "转人工"];

/// Why the bot handed the buyer over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffReason {
    AskedForHuman,
    RepeatedQuestion,
    NotHelpful,
    TooManyAnswers,
    Dispute,
    NotUnderstood,
}

/// An after-sales case the buyer can open in one tap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseOffer {
    pub order_no: String,
    /// The dispute intent's name: `key_invalid`, `topup_missing`, `account_mismatch`, `complaint`.
    pub case_type: String,
}

/// The bot's answer to one buyer message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub intent: Intent,
    pub confidence: f64,
    pub answer: String,
    pub handoff: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handoff_reason: Option<HandoffReason>,
    pub suggestions: Vec<String>,
    pub buttons: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_offer: Option<CaseOffer>,
}

/// A classified message.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Classified {
    pub intent: Intent,
    pub confidence: f64,
    /// Decided by a phrase rule rather than the model.
    pub by_rule: bool,
}

/// The trained bot. Build once and share: training costs milliseconds, but the first use also
/// loads jieba's dictionary.
#[derive(Debug)]
pub struct Bot {
    model: model::NaiveBayes,
    min_confidence: f64,
}

impl Default for Bot {
    fn default() -> Self {
        Self::new()
    }
}

impl Bot {
    /// Trains on the embedded training split.
    pub fn new() -> Self {
        Self::train(&parse_examples(TRAIN).0)
    }

    fn train(examples: &[(Intent, String)]) -> Self {
        let feats: Vec<(Intent, Vec<String>)> =
            examples.iter().map(|(i, t)| (*i, text::features(&text::normalise(t)))).collect();
        Self { model: model::NaiveBayes::train(&feats), min_confidence: MIN_CONFIDENCE }
    }

    /// The intent of a message on its own, without conversation state.
    pub fn classify(&self, message: &str) -> Classified {
        let norm = text::normalise(message);
        if cues::asks_for_human(&norm) {
            return Classified { intent: Intent::Human, confidence: 1.0, by_rule: true };
        }
        if let Some(intent) = cues::dispute(&norm) {
            return Classified { intent, confidence: 0.95, by_rule: true };
        }
        match self.model.predict(&text::features(&norm)) {
            Some(s) if s.confidence >= self.min_confidence => {
                Classified { intent: s.intent, confidence: s.confidence, by_rule: false }
            }
            Some(s) => Classified { intent: Intent::Other, confidence: s.confidence, by_rule: false },
            None => Classified { intent: Intent::Other, confidence: 0.0, by_rule: false },
        }
    }

    /// The answer to a buyer message in its context.
    pub fn reply(&self, message: &str, ctx: &Context) -> Reply {
        let c = self.classify(message);
        let norm = text::normalise(message);
        // A rule's human request or dispute keeps its own reason (and a dispute its case offer).
        let guard = if c.by_rule { None } else { loop_guard(&norm, &ctx.conversation) };
        let a = match guard {
            Some(reason) => answer::hand_over(ctx, reason, "看来我没能帮上忙。"),
            None => answer::compose(c.intent, message, ctx),
        };
        Reply {
            intent: c.intent,
            confidence: (c.confidence * 1000.0).round() / 1000.0,
            answer: a.text,
            handoff: a.handoff.is_some(),
            handoff_reason: a.handoff,
            suggestions: a.suggestions,
            buttons: BUTTONS.iter().map(|b| (*b).to_owned()).collect(),
            case_offer: a.case_offer,
        }
    }
}

/// Whether the conversation must go to a person regardless of what was asked.
fn loop_guard(norm: &str, state: &ConversationState) -> Option<HandoffReason> {
    let words = text::words(norm);
    let repeated = state.previous_questions.iter().any(|q| {
        let prev = text::normalise(q);
        prev.trim() == norm.trim() || similar(&text::words(&prev), &words)
    });
    if repeated {
        return Some(HandoffReason::RepeatedQuestion);
    }
    let answered_before = state.bot_answers_in_row > 0 || state.last_unhelpful;
    if state.last_unhelpful || (cues::says_unhelpful(norm) && (answered_before || norm.chars().count() <= 8)) {
        return Some(HandoffReason::NotHelpful);
    }
    (state.bot_answers_in_row >= MAX_ANSWERS_IN_ROW).then_some(HandoffReason::TooManyAnswers)
}

/// Two questions with mostly the same words (Jaccard ≥ 0.75) are one question asked again.
fn similar(a: &[String], b: &[String]) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let inter = a.iter().filter(|w| b.contains(w)).count() as f64;
    let union = (a.len() + b.len()) as f64 - inter;
    inter / union >= 0.75
}

/// `intent<TAB>text` lines (blank lines and `#` comments skipped), and the bad lines' numbers.
pub fn parse_examples(tsv: &str) -> (Vec<(Intent, String)>, Vec<usize>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in tsv.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        match line.split_once('\t').and_then(|(i, t)| Some((Intent::parse(i)?, t.trim()))) {
            Some((intent, text)) if !text.is_empty() => good.push((intent, text.to_owned())),
            _ => bad.push(n + 1),
        }
    }
    (good, bad)
}

#[cfg(test)]
mod tests;
