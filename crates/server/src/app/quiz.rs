//! The rules quiz as agents take it: starting and submitting an attempt and
//! the views of an attempt and its result, shared by the API and the quiz page.

use serde::Serialize;
use utoipa::ToSchema;
use youying_core::StorageError;
use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::quiz::{self, Attempt, Certificate, Outcome};

use crate::error::ApiResult;
use crate::state::App;

#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptQuestion {
    pub question_id: i64,
    pub text: String,
    /// In this attempt's (shuffled) order; answer with the index into this list.
    pub options: Vec<String>,
}

/// An attempt as its taker sees it before submitting: no answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: i64,
    pub started_at: i64,
    /// Submit before this (30 minutes after the start).
    pub expires_at: i64,
    pub questions: Vec<AttemptQuestion>,
}

pub fn attempt_view(a: &Attempt) -> AttemptView {
    AttemptView {
        id: a.id,
        started_at: a.started_at.millis(),
        expires_at: a.expires_at().millis(),
        questions: a
            .items
            .iter()
            .map(|i| AttemptQuestion { question_id: i.question_id, text: i.text.clone(), options: i.options.clone() })
            .collect(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionResult {
    pub question_id: i64,
    pub text: String,
    pub options: Vec<String>,
    pub chosen: usize,
    pub correct_option: usize,
    pub right: bool,
    pub explanation: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    pub attempt_id: i64,
    /// Right answers.
    pub score: i64,
    pub total: usize,
    pub percent: i64,
    /// 90 % or better.
    pub passed: bool,
    /// The certificate's end when this attempt passed (90 days from now).
    pub valid_until: Option<i64>,
    pub results: Vec<QuestionResult>,
}

/// The result of a submitted attempt (None before submission).
pub fn result_view(a: &Attempt, certificate: Option<&Certificate>) -> Option<ResultView> {
    let answers = a.answers.as_ref()?;
    let score = a.score?;
    let total = a.items.len();
    let results = a
        .items
        .iter()
        .zip(answers)
        .map(|(i, &chosen)| QuestionResult {
            question_id: i.question_id,
            text: i.text.clone(),
            options: i.options.clone(),
            chosen,
            correct_option: i.correct,
            right: chosen == i.correct,
            explanation: i.explanation.clone(),
        })
        .collect();
    Some(ResultView {
        attempt_id: a.id,
        score,
        total,
        percent: score * 100 / i64::try_from(total.max(1)).unwrap_or(1),
        passed: a.passed.unwrap_or(false),
        valid_until: certificate.filter(|c| c.attempt_id == a.id).map(|c| c.valid_until.millis()),
        results,
    })
}

fn seed() -> Result<u64, StorageError> {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).map_err(|e| StorageError(format!("random: {e}")))?;
    Ok(u64::from_le_bytes(b))
}

/// Starting an attempt, shared by the API and the quiz page.
pub async fn start_as<S: Store>(app: &App<S>, user: User) -> ApiResult<Attempt> {
    let (now, seed) = (app.now(), seed()?);
    Ok(app.store.write(move |tx| quiz::start(tx, now, &user, seed)).await?)
}

/// Submitting, shared by the API and the quiz page.
pub async fn submit_as<S: Store>(app: &App<S>, user: User, id: i64, answers: Vec<(i64, usize)>) -> ApiResult<Outcome> {
    let now = app.now();
    Ok(app.store.write(move |tx| quiz::submit(tx, now, &user, id, &answers)).await?)
}
