//! 客服认证 on the pages: the rules quiz for merchant agents and shop owners
//! (start, answer with radio buttons, the result with explanations) and the
//! admin's question bank under the platform console.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::accounts::User;
use youying_core::ports::Store;
use youying_core::quiz::{self, Certificate, Question, QuestionDraft};
use youying_core::{Error, authz};

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::quiz::{AttemptView, ResultView, attempt_view, result_view, start_as, submit_as};
use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_time};
use crate::state::App;

#[derive(Template)]
#[template(path = "quiz.html")]
struct HomePage<'a> {
    page: &'a Layout,
    /// (valid now, passed at, valid until)
    certificate: Option<(bool, String, String)>,
    /// The quiz's terms, from the core's constants.
    terms: String,
    certificate_term: String,
    error: Option<String>,
}

/// How the quiz works, said from the numbers the core enforces.
fn terms() -> String {
    let n = quiz::QUESTIONS_PER_ATTEMPT;
    let need = (n * usize::try_from(quiz::PASS_PERCENT).unwrap_or(100)).div_ceil(100);
    format!(
        "从平台题库随机抽取 {n} 道单选题（人工回复时限与平台接管、售后时限、保护期、处罚阶梯、保证金、买家隐私、禁止平台外付款等），\
         须在 {} 内交卷；答对 {need} 道及以上（{} 分）通过，证书 {} 有效。交卷后可查看每道题的解析。",
        fmt_duration(quiz::ATTEMPT_SECS),
        quiz::PASS_PERCENT,
        fmt_duration(quiz::CERTIFICATE_SECS),
    )
}

fn cert_line(c: Option<&Certificate>, now: youying_core::Timestamp) -> Option<(bool, String, String)> {
    c.map(|c| (c.valid_at(now), fmt_time(c.passed_at), fmt_time(c.valid_until)))
}

async fn home_page<S: Store>(app: &App<S>, page: &Page, error: Option<&AppError>) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let c = app
        .store
        .read(move |tx| {
            quiz::may_take(tx, &user)?;
            quiz::certificate(tx, user.id)
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = HomePage {
        page: &page.layout,
        certificate: cert_line(c.as_ref(), now),
        terms: terms(),
        certificate_term: fmt_duration(quiz::CERTIFICATE_SECS),
        error: error.map(AppError::message),
    };
    Ok(render(error.map_or(StatusCode::OK, AppError::status), &page.layout, &t))
}

pub async fn home<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    home_page(&app, &page, None).await
}

pub async fn start<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    match start_as(&app, user).await {
        Ok(a) => Ok(see_other(&format!("/quiz/attempts/{}", a.id))),
        Err(e @ AppError::Core(Error::Conflict(_))) => home_page(&app, &page, Some(&e)).await,
        Err(e) => Err(page.error(e)),
    }
}

#[derive(Template)]
#[template(path = "quiz_attempt.html")]
struct AttemptPage<'a> {
    page: &'a Layout,
    attempt: AttemptView,
    expires: String,
    result: Option<ResultView>,
    valid_until: Option<String>,
    error: Option<String>,
}

async fn attempt_page<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    error: Option<&AppError>,
) -> Result<Response, PageError> {
    let user: User = page.require_viewer()?.user.clone();
    let (a, c) = app
        .store
        .read(move |tx| Ok((quiz::load(tx, &user, id)?, quiz::certificate(tx, user.id)?)))
        .await
        .map_err(|e| page.error(e.into()))?;
    let result = result_view(&a, c.as_ref());
    let t = AttemptPage {
        page: &page.layout,
        expires: fmt_time(a.expires_at()),
        valid_until: result
            .as_ref()
            .and_then(|r| r.valid_until)
            .map(|ms| fmt_time(youying_core::Timestamp::from_millis(ms))),
        attempt: attempt_view(&a),
        result,
        error: error.map(AppError::message),
    };
    Ok(render(error.map_or(StatusCode::OK, AppError::status), &page.layout, &t))
}

pub async fn show<S: Store>(State(app): State<App<S>>, page: Page, Path(id): Path<i64>) -> Result<Response, PageError> {
    attempt_page(&app, &page, id, None).await
}

/// The radio buttons arrive as `q{question_id}` = option index.
pub async fn submit<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let answers: Vec<(i64, usize)> =
        f.iter().filter_map(|(k, v)| Some((k.strip_prefix('q')?.parse().ok()?, v.parse().ok()?))).collect();
    match submit_as(&app, user, id, answers).await {
        Ok(_) => Ok(see_other(&format!("/quiz/attempts/{id}"))),
        Err(e @ AppError::Core(Error::Invalid { .. } | Error::Conflict(_))) => {
            e.log();
            attempt_page(&app, &page, id, Some(&e)).await
        }
        Err(e) => Err(page.error(e)),
    }
}

struct BankRow {
    id: i64,
    text: String,
    options: Vec<String>,
    /// 1-based, as the form shows it.
    correct: usize,
    options_text: String,
    explanation: String,
    active: bool,
    updated: String,
}

fn bank_row(q: &Question) -> BankRow {
    BankRow {
        id: q.id,
        text: q.text.clone(),
        options: q.options.clone(),
        correct: q.correct + 1,
        options_text: q.options.join("\n"),
        explanation: q.explanation.clone().unwrap_or_default(),
        active: q.active,
        updated: fmt_time(q.updated_at),
    }
}

#[derive(Template)]
#[template(path = "quiz_bank.html")]
struct BankPage<'a> {
    page: &'a Layout,
    rows: Vec<BankRow>,
    active: usize,
    error: Option<String>,
}

async fn bank_page<S: Store>(app: &App<S>, page: &Page, error: Option<&AppError>) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    authz::admin(&user).map_err(|e| page.error(e.into()))?;
    let list = app.store.read(|tx| tx.quiz_questions(true)).await.map_err(|e| page.error(e.into()))?;
    let t = BankPage {
        page: &page.layout,
        active: list.iter().filter(|q| q.active).count(),
        rows: list.iter().map(bank_row).collect(),
        error: error.map(AppError::message),
    };
    Ok(render(error.map_or(StatusCode::OK, AppError::status), &page.layout, &t))
}

pub async fn bank<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    bank_page(&app, &page, None).await
}

/// Options one per line; the correct one by its number (from 1).
fn draft(f: &[(String, String)]) -> Result<QuestionDraft, Error> {
    let options: Vec<String> =
        field(f, "options").lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    let correct = field(f, "correct")
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .ok_or(Error::Invalid { field: "correct", reason: "not_an_option" })?;
    QuestionDraft::parse(field(f, "text"), &options, correct, Some(field(f, "explanation")))
}

async fn bank_done<S: Store>(
    app: &App<S>,
    page: &Page,
    r: Result<Question, Error>,
    flash: &str,
) -> Result<Response, PageError> {
    match r.map_err(AppError::from) {
        Ok(_) => {
            let page = Page { layout: page.layout.clone().with_flash(flash), ..page.clone() };
            bank_page(app, &page, None).await
        }
        Err(e @ AppError::Core(Error::NotFound | Error::Forbidden)) => Err(page.error(e)),
        Err(e) => bank_page(app, page, Some(&e)).await,
    }
}

pub async fn add<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let d = draft(&f);
    let r = app.store.write(move |tx| quiz::add(tx, now, &user, &d?)).await;
    bank_done(&app, &page, r, "已添加题目。").await
}

pub async fn edit<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let d = draft(&f);
    let r = app.store.write(move |tx| quiz::edit(tx, now, &user, id, &d?)).await;
    bank_done(&app, &page, r, "已保存题目，进行中的答题不受影响。").await
}

pub async fn retire<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let now = app.now();
    let r = app.store.write(move |tx| quiz::retire(tx, now, &user, id)).await;
    bank_done(&app, &page, r, "已停用题目，不再抽到。").await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/quiz", routing::get(home::<S>).post(start::<S>))
        .route("/quiz/attempts/{id}", routing::get(show::<S>).post(submit::<S>))
        .route("/platform/quiz", routing::get(bank::<S>).post(add::<S>))
        .route("/platform/quiz/{id}", routing::post(edit::<S>))
        .route("/platform/quiz/{id}/retire", routing::post(retire::<S>))
}
