//! The rules quiz over HTTP: merchant agents and shop owners take it (ten
//! questions, 30 minutes, pass at 90 %) for a 90-day certificate; the admin
//! keeps the question bank. An attempt never shows its answers before it is
//! submitted; someone else's attempt is 404.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::ports::Store;
use youying_core::quiz::{self, Certificate, Question, QuestionDraft};
use youying_core::{StorageError, Timestamp};

use crate::app::quiz::{AttemptView, ResultView, attempt_view, result_view, start_as, submit_as};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Deserialize, ToSchema)]
pub struct Answer {
    pub question_id: i64,
    /// Index (from 0) into the attempt's `options` of that question.
    pub option: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Answers {
    /// Every question of the attempt exactly once.
    pub answers: Vec<Answer>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateView {
    /// Holds a certificate valid now.
    pub certified: bool,
    pub passed_at: Option<i64>,
    pub valid_until: Option<i64>,
}

pub fn certificate_view(c: Option<&Certificate>, now: Timestamp) -> CertificateView {
    CertificateView {
        certified: c.is_some_and(|c| c.valid_at(now)),
        passed_at: c.map(|c| c.passed_at.millis()),
        valid_until: c.map(|c| c.valid_until.millis()),
    }
}

#[utoipa::path(post, path = "/api/v1/quiz/attempts", tag = "quiz",
    responses((status = 201, body = AttemptView, description = "ten questions drawn from the active bank, options shuffled, no answers"),
        (status = 403, description = "neither a merchant agent nor a shop owner"),
        (status = 409, description = "`quiz_bank_too_small`: fewer than 10 active questions")))]
pub async fn start<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
) -> ApiResult<(StatusCode, Json<AttemptView>)> {
    let a = start_as(&app, v.user).await?;
    Ok((StatusCode::CREATED, Json(attempt_view(&a))))
}

#[utoipa::path(post, path = "/api/v1/quiz/attempts/{id}/answers", tag = "quiz", params(("id" = i64, Path)), request_body = Answers,
    responses((status = 200, body = ResultView, description = "score, pass (≥ 90 %), the certificate's end on a pass, and each question with its explanation"),
        (status = 404, description = "not your attempt"),
        (status = 409, description = "`attempt_finished` (submitted already) or `attempt_expired` (30 minutes passed)"),
        (status = 422, description = "not every question answered exactly once, or no such option")))]
pub async fn submit<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<Answers>,
) -> ApiResult<Json<ResultView>> {
    let answers = b.answers.iter().map(|a| (a.question_id, a.option)).collect();
    let o = submit_as(&app, v.user, id, answers).await?;
    let view = result_view(&o.attempt, o.certificate.as_ref()).ok_or_else(|| StorageError("unfinished".into()))?;
    Ok(Json(view))
}

#[utoipa::path(get, path = "/api/v1/quiz/certificate", tag = "quiz",
    responses((status = 200, body = CertificateView, description = "my certificate, if any, and whether it is valid now")))]
pub async fn certificate<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<CertificateView>> {
    let now = app.now();
    let c = app.store.read(move |tx| quiz::certificate(tx, v.user.id)).await?;
    Ok(Json(certificate_view(c.as_ref(), now)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: i64,
    pub text: String,
    pub options: Vec<String>,
    /// Index (from 0) of the correct option.
    pub correct: usize,
    pub explanation: Option<String>,
    /// False once retired: no longer drawn, kept for the attempts that drew it.
    pub active: bool,
    pub updated_at: i64,
}

fn question_view(q: &Question) -> QuestionView {
    QuestionView {
        id: q.id,
        text: q.text.clone(),
        options: q.options.clone(),
        correct: q.correct,
        explanation: q.explanation.clone(),
        active: q.active,
        updated_at: q.updated_at.millis(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuestionBody {
    /// 1–300 characters.
    pub text: String,
    /// 2–6 distinct options of 1–100 characters.
    pub options: Vec<String>,
    /// Index (from 0) of the correct option.
    pub correct: usize,
    /// Up to 500 characters, shown after the answer.
    #[serde(default)]
    pub explanation: Option<String>,
}

impl QuestionBody {
    pub fn draft(&self) -> youying_core::error::Result<QuestionDraft> {
        QuestionDraft::parse(&self.text, &self.options, self.correct, self.explanation.as_deref())
    }
}

#[utoipa::path(get, path = "/api/v1/admin/quiz/questions", tag = "quiz",
    responses((status = 200, body = Vec<QuestionView>, description = "the whole bank with the answers, retired questions included"), (status = 403)))]
pub async fn questions<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Vec<QuestionView>>> {
    let list = app
        .store
        .read(move |tx| {
            youying_core::authz::admin(&v.user)?;
            tx.quiz_questions(true)
        })
        .await?;
    Ok(Json(list.iter().map(question_view).collect()))
}

#[utoipa::path(post, path = "/api/v1/admin/quiz/questions", tag = "quiz", request_body = QuestionBody,
    responses((status = 201, body = QuestionView), (status = 403, description = "not an admin"), (status = 422)))]
pub async fn add<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(b): ApiJson<QuestionBody>,
) -> ApiResult<(StatusCode, Json<QuestionView>)> {
    let now = app.now();
    let q = app.store.write(move |tx| quiz::add(tx, now, &v.user, &b.draft()?)).await?;
    Ok((StatusCode::CREATED, Json(question_view(&q))))
}

#[utoipa::path(put, path = "/api/v1/admin/quiz/questions/{id}", tag = "quiz", params(("id" = i64, Path)), request_body = QuestionBody,
    responses((status = 200, body = QuestionView, description = "changed; attempts already drawn keep their copy"), (status = 403), (status = 404), (status = 422)))]
pub async fn edit<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<QuestionBody>,
) -> ApiResult<Json<QuestionView>> {
    let now = app.now();
    let q = app.store.write(move |tx| quiz::edit(tx, now, &v.user, id, &b.draft()?)).await?;
    Ok(Json(question_view(&q)))
}

#[utoipa::path(post, path = "/api/v1/admin/quiz/questions/{id}/retire", tag = "quiz", params(("id" = i64, Path)),
    responses((status = 200, body = QuestionView, description = "no longer drawn; never deleted"), (status = 403), (status = 404),
        (status = 409, description = "`question_retired` already")))]
pub async fn retire<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<QuestionView>> {
    let now = app.now();
    let q = app.store.write(move |tx| quiz::retire(tx, now, &v.user, id)).await?;
    Ok(Json(question_view(&q)))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/quiz/attempts", routing::post(start::<S>))
        .route("/api/v1/quiz/attempts/{id}/answers", routing::post(submit::<S>))
        .route("/api/v1/quiz/certificate", routing::get(certificate::<S>))
        .route("/api/v1/admin/quiz/questions", routing::get(questions::<S>).post(add::<S>))
        .route("/api/v1/admin/quiz/questions/{id}", routing::put(edit::<S>))
        .route("/api/v1/admin/quiz/questions/{id}/retire", routing::post(retire::<S>))
}
