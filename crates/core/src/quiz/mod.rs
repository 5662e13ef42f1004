//! Certified agents: the rules quiz. A merchant agent (or a shop owner, who
//! answers buyers too) draws [`QUESTIONS_PER_ATTEMPT`] questions at random from
//! the active bank, answers each once within [`ATTEMPT_SECS`], and passes at
//! [`PASS_PERCENT`] % or better; a pass grants (or renews) a certificate valid
//! for [`CERTIFICATE_SECS`]. The randomness is a seed the caller passes in, so
//! drawing and shuffling are pure and repeatable.

mod attempt;
mod bank;
pub mod port;

pub use attempt::{Outcome, certificate, certified_share, load, may_take, start, submit, valid_certificate};
pub use bank::{add, edit, retire};
pub use port::{QuizRead, QuizTx};

use serde::Serialize;

use crate::clock::Timestamp;
use crate::error::{Conflict, Error, Result};
use crate::values::UserId;

pub const QUESTIONS_PER_ATTEMPT: usize = 10;
pub const PASS_PERCENT: i64 = 90;
/// An attempt must be submitted within 30 minutes of its start.
pub const ATTEMPT_SECS: i64 = 30 * 60;
/// A certificate lasts 90 days from the pass.
pub const CERTIFICATE_SECS: i64 = 90 * 24 * 3600;
pub const MAX_TEXT: usize = 300;
pub const MAX_OPTION: usize = 100;
pub const MAX_EXPLANATION: usize = 500;
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 6;

/// A single-choice question of the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    pub id: i64,
    pub text: String,
    pub options: Vec<String>,
    /// Index of the correct option in `options`.
    pub correct: usize,
    pub explanation: Option<String>,
    pub active: bool,
    pub updated_at: Timestamp,
}

/// A question as written by the admin, checked: text and options non-empty
/// and bounded, 2–6 distinct options, the correct one among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionDraft {
    text: String,
    options: Vec<String>,
    correct: usize,
    explanation: Option<String>,
}

fn bounded(s: &str, max: usize, field: &'static str, reason: &'static str) -> Result<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > max {
        return Err(Error::Invalid { field, reason });
    }
    Ok(s.to_owned())
}

impl QuestionDraft {
    pub fn parse(text: &str, options: &[String], correct: usize, explanation: Option<&str>) -> Result<Self> {
        let text = bounded(text, MAX_TEXT, "question_text", "length_1_300")?;
        if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&options.len()) {
            return Err(Error::Invalid { field: "options", reason: "count_2_6" });
        }
        let options =
            options.iter().map(|o| bounded(o, MAX_OPTION, "options", "length_1_100")).collect::<Result<Vec<_>>>()?;
        if options.iter().enumerate().any(|(i, o)| options[..i].contains(o)) {
            return Err(Error::Invalid { field: "options", reason: "duplicate" });
        }
        if correct >= options.len() {
            return Err(Error::Invalid { field: "correct", reason: "not_an_option" });
        }
        let explanation = match explanation.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(bounded(e, MAX_EXPLANATION, "explanation", "length_0_500")?),
            None => None,
        };
        Ok(Self { text, options, correct, explanation })
    }

    pub fn text(&self) -> &str {
        &self.text
    }
    pub fn options(&self) -> &[String] {
        &self.options
    }
    pub fn correct(&self) -> usize {
        self.correct
    }
    pub fn explanation(&self) -> Option<&str> {
        self.explanation.as_deref()
    }
}

/// One question as an attempt drew it: a copy (later edits of the bank do not
/// change an attempt in progress), with the options in the order shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AttemptItem {
    pub question_id: i64,
    pub text: String,
    pub options: Vec<String>,
    /// Index of the correct option in this attempt's (shuffled) `options`.
    pub correct: usize,
    pub explanation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: i64,
    pub user_id: UserId,
    pub started_at: Timestamp,
    pub items: Vec<AttemptItem>,
    /// Set once, when submitted: the option chosen per item, in item order.
    pub answers: Option<Vec<usize>>,
    pub submitted_at: Option<Timestamp>,
    pub score: Option<i64>,
    pub passed: Option<bool>,
}

impl Attempt {
    pub fn expires_at(&self) -> Timestamp {
        self.started_at.plus_secs(ATTEMPT_SECS)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub user_id: UserId,
    pub passed_at: Timestamp,
    pub valid_until: Timestamp,
    pub attempt_id: i64,
}

impl Certificate {
    pub fn valid_at(&self, now: Timestamp) -> bool {
        now < self.valid_until
    }
}

/// A small deterministic generator (SplitMix64): the seed comes from the
/// caller, so the core never touches a source of randomness itself.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias worth speaking of for small n.
    fn below(&mut self, n: usize) -> usize {
        let n64 = n as u64;
        usize::try_from(((u128::from(self.next()) * u128::from(n64)) >> 64) as u64).unwrap_or(0)
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Draws `QUESTIONS_PER_ATTEMPT` distinct questions from the active bank and
/// shuffles each one's options; `Conflict(Conflict::QuizBankTooSmall)` below that.
pub fn draw(bank: &[Question], seed: u64) -> Result<Vec<AttemptItem>> {
    let active: Vec<&Question> = bank.iter().filter(|q| q.active).collect();
    if active.len() < QUESTIONS_PER_ATTEMPT {
        return Err(Error::Conflict(Conflict::QuizBankTooSmall));
    }
    let mut rng = Rng::new(seed);
    let mut picked = active;
    rng.shuffle(&mut picked);
    picked.truncate(QUESTIONS_PER_ATTEMPT);
    Ok(picked
        .into_iter()
        .map(|q| {
            let mut order: Vec<usize> = (0..q.options.len()).collect();
            rng.shuffle(&mut order);
            AttemptItem {
                question_id: q.id,
                text: q.text.clone(),
                options: order.iter().map(|&i| q.options[i].clone()).collect(),
                correct: order.iter().position(|&i| i == q.correct).unwrap_or(0),
                explanation: q.explanation.clone(),
            }
        })
        .collect())
}

/// Puts `(question_id, option)` answers in item order: every item answered
/// exactly once with one of its options, nothing else (all or nothing).
pub fn order_answers(items: &[AttemptItem], answers: &[(i64, usize)]) -> Result<Vec<usize>> {
    let bad = |reason| Error::Invalid { field: "answers", reason };
    if answers.len() != items.len() {
        return Err(bad("answer_each_question_once"));
    }
    items
        .iter()
        .map(|item| {
            let mut given = answers.iter().filter(|(q, _)| *q == item.question_id);
            match (given.next(), given.next()) {
                (Some(&(_, option)), None) if option < item.options.len() => Ok(option),
                (Some(_), None) => Err(bad("no_such_option")),
                _ => Err(bad("answer_each_question_once")),
            }
        })
        .collect()
}

/// Right answers, and whether they reach the pass mark.
pub fn score(items: &[AttemptItem], answers: &[usize]) -> (i64, bool) {
    let right = items.iter().zip(answers).filter(|(item, a)| item.correct == **a).count();
    let (right, total) = (i64::try_from(right).unwrap_or(0), i64::try_from(items.len()).unwrap_or(i64::MAX));
    (right, total > 0 && right * 100 >= total * PASS_PERCENT)
}

#[cfg(test)]
mod tests;
