//! A listing's stock page: import card keys (or account credentials) by paste or
//! by file upload, all or nothing, and read the report line by line.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;
use youying_core::Error;
use youying_core::authz::ShopAction;
use youying_core::ports::Store;
use youying_core::stock::ImportReport;
use youying_core::values::ProductId;

use super::layout::{Layout, Page, PageError, render, see_other};
use super::session::CsrfForm;
use crate::app::products::{ProductView, import_stock, priced_view};
use crate::app::stock_export::{export_stock, file_name};
use crate::error::AppError;
use crate::i18n;
use crate::state::App;

struct ReportView {
    imported: usize,
    lines: usize,
    rejected: bool,
    skipped: usize,
    bad: Vec<(usize, &'static str)>,
    dup_in_file: Vec<(usize, Option<usize>)>,
    dup_existing: Vec<usize>,
}

fn report_view(r: &ImportReport) -> ReportView {
    ReportView {
        imported: r.imported,
        lines: r.lines,
        rejected: r.rejected,
        skipped: r.skipped_duplicates,
        bad: r.bad_lines.iter().map(|b| (b.line, i18n::t(&format!("stock.reason.{}", b.reason)))).collect(),
        dup_in_file: r.duplicates_in_file.iter().map(|d| (d.line, d.same_as_line)).collect(),
        dup_existing: r.duplicates_existing.clone(),
    }
}

#[derive(Template)]
#[template(path = "stock.html")]
struct StockPage<'a> {
    page: &'a Layout,
    id: i64,
    title: String,
    kind: &'static str,
    shop_id: i64,
    stock: i64,
    skip_duplicates: bool,
    /// The pasted text of a rejected import, shown again so it can be fixed.
    text: String,
    report: Option<ReportView>,
    error: Option<String>,
}

/// The listing, if the viewer manages its shop (strangers get 404).
async fn product_for<S: Store>(app: &App<S>, page: &Page, id: i64) -> Result<ProductView, PageError> {
    let user = page.require_viewer()?.user.clone();
    app.store
        .read(move |tx| {
            let p = tx.product(ProductId(id))?.ok_or(Error::NotFound)?;
            let shop = youying_core::shops::load(tx, &user, p.shop_id, ShopAction::Manage)?;
            let n = tx.stock_count(p.id)?;
            let level = youying_core::levels::viewer_level(tx, Some(&user))?;
            priced_view(tx, &level, &p, shop.name, Some(n))
        })
        .await
        .map_err(|e| page.error(e.into()))
}

/// "第 2、5 行：…；第 3 行与第 1 行重复" — the lines to fix, named beside the textarea.
fn lines_named(r: &ImportReport) -> String {
    const SHOWN: usize = 10;
    let list = |lines: &mut dyn Iterator<Item = String>| {
        let all: Vec<String> = lines.collect();
        let more = if all.len() > SHOWN { format!(" 等 {} 行", all.len()) } else { String::new() };
        format!("第 {} 行{more}", all.into_iter().take(SHOWN).collect::<Vec<_>>().join("、"))
    };
    let mut parts = Vec::new();
    if !r.bad_lines.is_empty() {
        parts.push(format!("{}格式不对", list(&mut r.bad_lines.iter().map(|b| b.line.to_string()))));
    }
    if !r.duplicates_in_file.is_empty() {
        parts.push(format!("{}与前面的行重复", list(&mut r.duplicates_in_file.iter().map(|d| d.line.to_string()))));
    }
    if !r.duplicates_existing.is_empty() {
        parts.push(format!("{}与已有库存重复", list(&mut r.duplicates_existing.iter().map(ToString::to_string))));
    }
    parts.join("；")
}

fn stock_page(
    page: &Page,
    p: &ProductView,
    (skip_duplicates, text): (bool, String),
    report: Option<&ImportReport>,
    error: Option<&AppError>,
) -> Response {
    let status = match (report, error) {
        (_, Some(e)) => e.status(),
        (Some(r), None) if r.rejected => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let t = StockPage {
        page: &page.layout,
        id: p.id,
        title: p.title.clone(),
        kind: super::labels::kind_label(&p.kind),
        shop_id: p.shop_id,
        stock: p.stock.unwrap_or(0),
        skip_duplicates,
        text,
        report: report.map(report_view),
        error: error.map(AppError::message).or_else(|| {
            report.filter(|r| r.rejected).map(|r| {
                let key = if r.lines == 0
                    || (r.bad_lines.is_empty() && r.duplicates_in_file.is_empty() && r.duplicates_existing.is_empty())
                {
                    "stock.nothing_to_import"
                } else {
                    "stock_rejected"
                };
                let named = lines_named(r);
                if named.is_empty() { i18n::t(key).to_owned() } else { format!("{named}。{}", i18n::t(key)) }
            })
        }),
    };
    let mut resp = render(status, &page.layout, &t);
    if !t.text.is_empty() {
        // The page repeats keys the merchant pasted: keep it out of every cache.
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

pub async fn show<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = product_for(&app, &page, id).await?;
    // What a successful import redirected with, shown as its report (junk in
    // the address shows no report rather than an error).
    let count = |name: &str| super::forms::field(&q, name).parse::<usize>().ok();
    let report = count("imported").map(|imported| ImportReport {
        lines: count("lines").unwrap_or(imported),
        imported,
        skipped_duplicates: count("skipped").unwrap_or(0),
        ..ImportReport::default()
    });
    Ok(stock_page(&page, &p, (false, String::new()), report.as_ref(), None))
}

/// What the multipart form carried.
#[derive(Default)]
struct Upload {
    csrf: String,
    text: String,
    file: Vec<u8>,
    skip_duplicates: bool,
}

async fn read_upload(mut m: Multipart) -> Result<Upload, AppError> {
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::http(StatusCode::PAYLOAD_TOO_LARGE, "stock_too_large")
        } else {
            AppError::http(StatusCode::BAD_REQUEST, "invalid_input")
        }
    };
    let mut u = Upload::default();
    while let Some(field) = m.next_field().await.map_err(too_large)? {
        match field.name().unwrap_or_default() {
            "_csrf" => u.csrf = field.text().await.map_err(too_large)?,
            "text" => u.text = field.text().await.map_err(too_large)?,
            "skip_duplicates" => u.skip_duplicates = !field.text().await.map_err(too_large)?.is_empty(),
            "file" => u.file = field.bytes().await.map_err(too_large)?.to_vec(),
            _ => {}
        }
    }
    Ok(u)
}

/// Imports the paste or the file (one of the two), all or nothing.
pub async fn import<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let u = read_upload(multipart).await.map_err(|e| page.error(e))?;
    page.check_csrf(&u.csrf)?;
    let user = page.require_viewer()?.user.clone();
    let p = product_for(&app, &page, id).await?;
    // A rejected paste comes back in the textarea so one bad line does not cost
    // the whole paste; an uploaded file is not echoed (it is still on the
    // merchant's disk, and may be 32 MiB).
    let form = (u.skip_duplicates, u.text.clone());
    let text = match (u.text.trim().is_empty(), u.file.is_empty()) {
        (true, false) => match String::from_utf8(u.file) {
            Ok(t) => t,
            Err(_) => {
                let e = AppError::from(Error::Invalid { field: "stock", reason: "not_utf8" });
                return Ok(stock_page(&page, &p, form, None, Some(&e)));
            }
        },
        (false, true) => u.text,
        (both_empty, _) => {
            let code = if both_empty { "stock.nothing_to_import" } else { "stock.one_source" };
            let e = AppError::http(StatusCode::UNPROCESSABLE_ENTITY, code);
            return Ok(stock_page(&page, &p, form, None, Some(&e)));
        }
    };
    match import_stock(&app, user, ProductId(id), &text, u.skip_duplicates).await {
        // Imported: post/redirect/get, the counts in the address (a reload
        // shows the same report and imports nothing).
        Ok(r) if !r.rejected => Ok(see_other(&format!(
            "/merchant/products/{id}/stock?imported={}&lines={}&skipped={}",
            r.imported, r.lines, r.skipped_duplicates
        ))),
        Ok(report) => Ok(stock_page(&page, &p, form, Some(&report), None)),
        Err(e) => Ok(stock_page(&page, &p, form, None, Some(&e))),
    }
}

/// 导出未售卡密: the unsold keys as a text file. A POST (with CSRF) because
/// reading keys is an evidence event; its answer is the download itself, not a
/// redirect — the browser saves it and stays on the stock page, so there is no
/// result page to reload.
pub async fn export<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let user = page.require_viewer()?.user.clone();
    let text = export_stock(&app, user, ProductId(id)).await.map_err(|e| page.error(e))?;
    let mut resp = text.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file_name(ProductId(id)))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(resp)
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route(
            "/merchant/products/{id}/stock",
            routing::get(show::<S>)
                .post(import::<S>)
                .layer(DefaultBodyLimit::max(crate::app::products::STOCK_BODY_LIMIT)),
        )
        .route("/merchant/products/{id}/stock/export", routing::post(export::<S>))
}
