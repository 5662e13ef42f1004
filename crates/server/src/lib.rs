//! The youying server: startup, routing, and the pieces every request shares.

pub mod accounts;
pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod bot_cli;
pub mod catalog;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod egress;
pub mod error;
pub mod evidence;
pub mod failpoint;
pub mod fakepay;
pub mod fakesupplier;
pub mod fmt;
pub mod grades;
pub mod guard;
pub mod helpbot;
pub mod hub;
pub mod i18n;
pub mod mailer;
pub mod metrics;
pub mod openapi;
pub mod outbound;
pub mod pages;
pub mod paycheck;
pub mod push;
pub mod ratelimit;
pub mod scheduler;
pub mod security;
pub mod sourcing;
pub mod state;
pub mod supplier;
pub mod svg;
pub mod vault;
pub mod wake;
pub mod worker;
pub mod ws;

#[cfg(test)]
mod layering;

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use youying_core::ports::Store;

use crate::error::AppError;
use crate::state::App;

/// Requests larger than this are refused with 413 before they are read whole.
pub const BODY_LIMIT: usize = 1024 * 1024;

pub fn router<S: Store>(app: App<S>) -> Router {
    let mut routes =
        Router::new().merge(api::router::<S>()).merge(api::open::router::<S>(app.clone())).merge(pages::router::<S>());
    if app.config.demo {
        // The demo's fake 易支付 gateway, served by this binary (see demo::use_fake_gateway).
        routes = routes.nest_service(demo::FAKE_GATEWAY_PATH, fakepay::router(fakepay::FakeEpay::demo()));
        // …and the fake direct-top-up supplier (see demo::use_fake_supplier).
        routes =
            routes.nest_service(demo::FAKE_SUPPLIER_PATH, fakesupplier::router(fakesupplier::FakeSupplier::demo()));
    }
    routes
        .route("/healthz", get(healthz::<S>))
        .route("/metrics", get(metrics_text::<S>))
        .layer(middleware::from_fn(api_errors_as_json))
        .layer(middleware::from_fn(page_errors_as_html))
        .layer(middleware::from_fn(guard::reject_nul))
        .layer(middleware::from_fn(guard::no_store_when_personal))
        .layer(middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}

/// Alive and able to reach its database: `ok`, or 503
/// `{code: "unavailable", message, database: "down"}` (within the store's
/// bounded wait for a connection, never a hang).
async fn healthz<S: Store>(State(app): State<App<S>>) -> Response {
    match app.store.read(|tx| tx.next_due()).await {
        Ok(_) => "ok".into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            let down = AppError::from(youying_core::Error::Unavailable(e.to_string()));
            let body = serde_json::json!({ "code": down.code(), "message": down.message(), "database": "down" });
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}

/// The Prometheus text, for the bearer of `--metrics-token`, or without one
/// for a direct caller on this machine (no proxy header: a reverse proxy on
/// the same host must not make it public). Others see no such page.
async fn metrics_text<S: Store>(
    State(app): State<App<S>>,
    auth::ClientIp(peer): auth::ClientIp,
    headers: axum::http::HeaderMap,
) -> Response {
    let allowed = match &app.config.metrics_token {
        Some(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|sent| security::constant_time_eq(token, sent)),
        None => {
            let proxied = ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|h| headers.contains_key(*h));
            !proxied && peer.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
    };
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics::render()).into_response()
}

/// Under `/api`, any error the framework produced on its own (unknown route,
/// wrong method, unparsable path, oversized body) is re-said as `{code, message}`.
async fn api_errors_as_json(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json =
        resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !is_api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "invalid_input",
    };
    AppError::http(status, code).into_response()
}

/// Outside `/api`, a bare error the framework produced (an unparsable path, a
/// wrong method, an oversized form) becomes the Chinese error page.
async fn page_errors_as_html(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // Machine callers (upstream sites, suppliers) call `/dock/…` and read `{code, message}`.
    let is_page =
        !(path.starts_with("/api/") || path.starts_with("/dock/") || path == "/healthz" || path == "/metrics");
    let resp = next.run(req).await;
    let status = resp.status();
    let is_html = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !is_page || is_html || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        s if s.is_server_error() => "internal",
        _ => "invalid_input",
    };
    pages::layout::PageError::bare(AppError::http(status, code)).into_response()
}

async fn security_headers(req: Request, next: Next) -> Response<Body> {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    // A handler that set its own, stricter policy (an uploaded image) keeps it.
    h.entry("content-security-policy").or_insert(
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    resp
}

/// Serves until `shutdown` turns true. With `run_scheduler` the deadline loop
/// (and, when SMTP is configured, the mail loop) runs beside the server; tests
/// leave it off and step deadlines and mail themselves.
pub async fn serve<S: Store>(
    listener: TcpListener,
    app: App<S>,
    shutdown: watch::Receiver<bool>,
    run_scheduler: bool,
) -> std::io::Result<()> {
    let scheduler = run_scheduler.then(|| tokio::spawn(scheduler::run(app.clone(), shutdown.clone())));
    // Mail goes with the scheduler: tests that step deadlines step mail too.
    let mailer = if run_scheduler { mailer::start(&app, shutdown.clone()) } else { None };
    let anchoring = run_scheduler.then(|| tokio::spawn(evidence::run_anchoring(app.clone(), shutdown.clone())));
    let payment_checks = run_scheduler.then(|| tokio::spawn(paycheck::run(app.clone(), shutdown.clone())));
    let callbacks = run_scheduler.then(|| tokio::spawn(outbound::run(app.clone(), shutdown.clone())));
    let upstream = run_scheduler.then(|| tokio::spawn(sourcing::run(app.clone(), shutdown.clone())));
    let pushes = run_scheduler.then(|| tokio::spawn(push::run(app.clone(), shutdown.clone())));
    if let Err(e) = catalog::sync_search(&app).await {
        tracing::error!(error = %e, "initial search index build failed");
    }
    let search_sync = tokio::spawn(catalog::run_sync(app.clone(), shutdown.clone()));
    let mut stop = shutdown.clone();
    let result = axum::serve(listener, router(app).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await;
    if let Some(s) = scheduler {
        let _ = s.await;
    }
    if let Some(m) = mailer {
        let _ = m.await;
    }
    if let Some(a) = anchoring {
        let _ = a.await;
    }
    if let Some(p) = payment_checks {
        let _ = p.await;
    }
    if let Some(c) = callbacks {
        let _ = c.await;
    }
    if let Some(u) = upstream {
        let _ = u.await;
    }
    if let Some(p) = pushes {
        let _ = p.await;
    }
    let _ = search_sync.await;
    result
}
