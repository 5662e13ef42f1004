//! Evidence bundles as files (`evidence.json` + a printable Chinese
//! `evidence.html` in one zip), how they and case evidence files download,
//! and the hourly anchoring loop. The handlers are in `api::evidence` and
//! `pages::orders`; the bundle for an order is `app::evidence::export`.

use std::io::{Cursor, Read, Write};
use std::time::Duration;

use askama::Template;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use youying_core::Timestamp;
use youying_core::anchor;
use youying_core::bundle::{Bundle, ProvenEvent};
use youying_core::evidence::words::{self, Card, Facts};
use youying_core::ports::Store;
use youying_core::snapshot::Snapshot;

use crate::error::AppError;
use crate::fmt::{fmt_duration, fmt_fen, fmt_time};
use crate::state::App;

fn internal(e: impl std::fmt::Display) -> AppError {
    youying_core::StorageError(format!("evidence bundle: {e}")).into()
}

/// The bundle as a zip: `evidence.json` and `evidence.html`, whose 如何核验
/// points at the web verifier at `verifier`.
pub fn to_zip(b: &Bundle, verifier: &str) -> Result<Vec<u8>, AppError> {
    let json = serde_json::to_vec_pretty(b).map_err(internal)?;
    let html = Printable::of(b, verifier).render().map_err(internal)?;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in [("evidence.json", json.as_slice()), ("evidence.html", html.as_bytes())] {
        zip.start_file(name, opts).map_err(internal)?;
        zip.write_all(bytes).map_err(internal)?;
    }
    let out = zip.finish().map_err(internal)?;
    Ok(out.into_inner())
}

/// Reads `evidence.json` back out of a bundle zip.
pub fn from_zip(bytes: &[u8]) -> Result<Bundle, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a zip file: {e}"))?;
    let mut file = zip.by_name("evidence.json").map_err(|_| "the zip holds no evidence.json".to_owned())?;
    let mut json = String::new();
    file.read_to_string(&mut json).map_err(|e| format!("evidence.json unreadable: {e}"))?;
    serde_json::from_str(&json).map_err(|e| format!("evidence.json is not a bundle: {e}"))
}

/// An evidence bundle zip as a private download named after the order.
pub fn zip_response(no: &str, bytes: Vec<u8>) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"evidence-{no}.zip\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    resp
}

/// A stored case evidence file, served with the type it was sniffed as (never
/// HTML), inline: the same for the API and the case pages.
pub fn file_response(content_type: String, body: Vec<u8>) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::CONTENT_DISPOSITION, "inline".to_owned()),
    ];
    (headers, body).into_response()
}

/// How often the chain is anchored.
pub const ANCHOR_EVERY: Duration = Duration::from_secs(3_600);

/// Anchors the chain every hour until `shutdown`. With several instances the
/// anchor's unique id lets one of them win; the others' attempts fail harmlessly.
pub async fn run_anchoring<S: Store>(app: App<S>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let now = app.now();
        if let Err(e) = app.store.write(move |tx| anchor::anchor_now(tx, now)).await {
            tracing::warn!(error = %e, "anchoring the evidence chain failed; next hour retries");
        }
        tokio::select! {
            () = tokio::time::sleep(ANCHOR_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// One event as the evidence file and the verifier show it: when, who, what,
/// and an order card or bot answer as a card.
#[derive(Debug)]
pub struct Line {
    pub seq: i64,
    pub at: String,
    pub who: String,
    pub what: String,
    pub card: Option<Card>,
    pub anchored: bool,
}

/// The facts the sentences need: the buyer is whoever placed the order.
fn facts(b: &Bundle) -> Facts<'_> {
    Facts {
        buyer_id: b.events.iter().find(|e| e.kind == "order.created").and_then(|e| e.actor),
        shop: &b.order.shop_name,
        order_no: &b.order.no,
        title: &b.order.title,
        quantity: b.order.quantity,
    }
}

/// Event `e` of bundle `b` in plain Chinese, with Beijing time.
pub fn line(b: &Bundle, e: &ProvenEvent) -> Line {
    let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
    let f = facts(b);
    let said = words::describe(&e.kind, e.actor, &payload, &f);
    let at = fmt_time(Timestamp::from_millis(e.at));
    let card = said.card.map(|mut c| {
        if c.heading == "订单卡片" {
            c.rows.push(("时间", at.clone()));
        }
        c
    });
    Line { seq: e.seq, who: said.who.label(f.shop), what: said.what, card, at, anchored: e.proof.is_some() }
}

/// What the buyer needs in front of a complaint office, in Chinese.
#[derive(Template)]
#[template(path = "evidence.html")]
struct Printable {
    no: String,
    shop: String,
    shop_id: i64,
    buyer: String,
    title: String,
    total: String,
    quantity: i64,
    state: String,
    created: String,
    protect_until: Option<String>,
    promise_due: Option<String>,
    promises: Vec<String>,
    silences: Vec<String>,
    lines: Vec<Line>,
    head: Option<String>,
    generated: String,
    /// Where the web verifier is.
    verifier: String,
}

impl Printable {
    fn of(b: &Bundle, verifier: &str) -> Self {
        let promises = Snapshot::parse(&b.snapshot)
            .map(|s| s.promises.into_iter().filter_map(|p| p.name).collect())
            .unwrap_or_default();
        let t = |ms: i64| fmt_time(Timestamp::from_millis(ms));
        Printable {
            no: b.order.no.clone(),
            shop: b.order.shop_name.clone(),
            shop_id: b.order.shop_id,
            buyer: b.order.buyer.clone(),
            title: b.order.title.clone(),
            total: fmt_fen(b.order.total_fen),
            quantity: b.order.quantity,
            state: youying_core::orders::OrderState::parse(&b.order.state).map_or("", |s| s.label()).to_owned(),
            created: t(b.order.created_at),
            protect_until: b.order.protect_until.map(t),
            promise_due: b.order.promise_due.map(t),
            promises,
            silences: b.events.iter().filter_map(|e| silence(e, &b.events)).collect(),
            lines: b.events.iter().map(|e| line(b, e)).collect(),
            head: b.anchors.last().map(|a| a.hash.clone()),
            generated: t(b.generated_at),
            verifier: verifier.to_owned(),
        }
    }
}

fn payload(e: &ProvenEvent) -> serde_json::Value {
    serde_json::from_str(&e.payload).unwrap_or_default()
}

/// Who was silent, as the events record it.
fn silence(e: &ProvenEvent, all: &[ProvenEvent]) -> Option<String> {
    match e.kind.as_str() {
        "chat.taken_over" => Some("商家未在规定时限内回复买家消息，平台客服接管会话（商家记违约一次）".to_owned()),
        "order.topup_overdue" => Some("商家未在承诺时间内完成直充（商家记违约一次）".to_owned()),
        // A contested case goes to arbitration too; only the merchant's silence is one.
        "case.escalated" if payload(e)["reason"] == "merchant_silent" => {
            Some(format!("商家未在{}内处理售后，平台介入（商家记违约一次）", merchant_window(e, all)))
        }
        "case.closed" if payload(e)["outcome"] == "auto_refund_merchant_silent" => {
            Some(format!("商家未在{}内处理售后，平台自动全额退款（商家记违约一次）", merchant_window(e, all)))
        }
        _ => None,
    }
}

/// The merchant's window the case opened with (`merchant_due` of its
/// `case.opened` event), in words; ` 规定时限` when the bundle lacks it.
fn merchant_window(e: &ProvenEvent, all: &[ProvenEvent]) -> String {
    all.iter()
        .find(|o| o.kind == "case.opened" && o.subject == e.subject)
        .and_then(|o| payload(o)["merchant_due"].as_i64().map(|due| (due - o.at) / 1000))
        .map_or_else(|| "规定时限".to_owned(), |secs| format!(" {}", fmt_duration(secs)))
}
