//! 核验证据 (`/verify`): anyone, signed in or not, uploads an evidence bundle;
//! the result (never the file) is kept and the browser goes to its 核验报告
//! (`/verify/{id}`), a page that can be reloaded and shared for 30 days. A
//! file that is not a bundle re-renders the form with the message beside it.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::ports::Store;

use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::verify::{self, MAX_BYTES, Rejected, TOO_LARGE, Verdict};
use crate::auth::ClientIp;
use crate::fmt::fmt_time;
use crate::state::App;

#[derive(askama::Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    page: &'a Layout,
    /// The message beside the file field.
    error: Option<&'static str>,
    /// The report shown, with when it was checked.
    report: Option<(Verdict, String)>,
    keep_days: i64,
}

fn status_of(r: Rejected) -> StatusCode {
    StatusCode::from_u16(r.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

fn form(page: &Page, status: StatusCode, error: Option<&'static str>) -> Response {
    let t = VerifyPage { page: &page.layout, error, report: None, keep_days: verify::KEEP_DAYS };
    render(status, &page.layout, &t)
}

pub async fn show(page: Page) -> Response {
    form(&page, StatusCode::OK, None)
}

/// The posted form: the token and the file.
#[derive(Default)]
struct Upload {
    csrf: String,
    file: Vec<u8>,
}

/// Reads the form; a body over the limit is [`TOO_LARGE`], a broken one
/// is not a bundle.
async fn read_upload(mut m: Multipart) -> Result<Upload, Rejected> {
    let fail = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { TOO_LARGE } else { verify::NOT_A_BUNDLE }
    };
    let mut u = Upload::default();
    while let Some(field) = m.next_field().await.map_err(fail)? {
        match field.name().unwrap_or_default() {
            "_csrf" => u.csrf = field.text().await.map_err(fail)?,
            "bundle" => u.file = field.bytes().await.map_err(fail)?.to_vec(),
            _ => {}
        }
    }
    Ok(u)
}

/// Checks the upload, keeps the result and redirects to its report.
pub async fn check<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    ClientIp(ip): ClientIp,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    let Ok(multipart) = multipart else {
        return Ok(form(&page, StatusCode::UNPROCESSABLE_ENTITY, Some(verify::NOT_A_BUNDLE.message)));
    };
    let u = match read_upload(multipart).await {
        Ok(u) => u,
        Err(r) => return Ok(form(&page, status_of(r), Some(r.message))),
    };
    page.check_csrf(&u.csrf)?;
    if let Err(r) = verify::throttle(&app, &ip) {
        return Ok(form(&page, status_of(r), Some(r.message)));
    }
    let verdict = match verify::check(&app, &u.file).await.map_err(|e| page.error(e))? {
        Ok(v) => v,
        Err(r) => return Ok(form(&page, status_of(r), Some(r.message))),
    };
    let id = verify::keep(&app, &verdict).await.map_err(|e| page.error(e))?;
    Ok(see_other(&format!("/verify/{id}")))
}

/// A kept report; unknown or older than 30 days: 404.
pub async fn report<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let found = if id.len() <= 128 { verify::load(&app, id).await.map_err(|e| page.error(e))? } else { None };
    let Some((v, at)) = found else {
        return Err(page.error(Error::NotFound.into()));
    };
    let t =
        VerifyPage { page: &page.layout, error: None, report: Some((v, fmt_time(at))), keep_days: verify::KEEP_DAYS };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    // Room for the multipart framing around the largest accepted file.
    Router::new()
        .route("/verify", routing::get(show).post(check::<S>).layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)))
        .route("/verify/{id}", routing::get(report::<S>))
}
