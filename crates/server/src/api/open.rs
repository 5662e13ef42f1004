//! The open API under `/api/open/v1` (DOCKING.md): signed requests from
//! resellers. A middleware buffers the body (64 KB at most), checks the
//! signature against the app's clock and the per-key rate, and hands the
//! handlers the [`Caller`]. Every answer is a `youying_dock::wire` value;
//! every error a `wire::ErrorBody`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router, routing};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use youying_core::ports::Store;
use youying_dock::sign::{HEADER_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use youying_dock::wire;

use crate::app::open::{self, BODY_LIMIT, CASE_BODY_LIMIT, Caller, SignedHeaders};
use crate::app::open_wire::OpenError;
use crate::state::App;

/// An open-API error as a response.
#[derive(Debug)]
pub struct OpenReply(pub OpenError);

impl From<OpenError> for OpenReply {
    fn from(e: OpenError) -> Self {
        Self(e)
    }
}

impl IntoResponse for OpenReply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, Json(*self.0.body)).into_response();
        if let Some(v) = self.0.retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

type OpenResult<T> = Result<T, OpenReply>;

fn header_text(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Buffers the body, authenticates the request, and passes the caller on.
async fn signed<S: Store>(State(app): State<App<S>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let limit = if parts.uri.path().ends_with("/cases") { CASE_BODY_LIMIT } else { BODY_LIMIT };
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return OpenReply(OpenError::too_large()).into_response();
    };
    let h = SignedHeaders {
        key_id: header_text(&parts.headers, HEADER_KEY),
        timestamp: header_text(&parts.headers, HEADER_TIMESTAMP),
        signature: header_text(&parts.headers, HEADER_SIGNATURE),
    };
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    match open::authenticate(&app, parts.method.as_str(), &path, &h, &bytes).await {
        Ok(caller) => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, Body::from(bytes))).await
        }
        Err(e) => OpenReply(e).into_response(),
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> OpenResult<T> {
    serde_json::from_slice(body).map_err(|_| OpenReply(OpenError::invalid("body", "json")))
}

#[utoipa::path(get, path = "/api/open/v1/ping", tag = "open", security(("open_signature" = [])),
    responses((status = 200, description = "`wire::Ping`: the account, its level, its wallet balance, the server time"),
        (status = 401, description = "`unauthorized`, `stale_timestamp` or `bad_signature`")))]
pub async fn ping<S: Store>(
    State(app): State<App<S>>,
    Extension(c): Extension<Caller>,
) -> OpenResult<Json<wire::Ping>> {
    Ok(Json(open::ping(&app, &c).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ProductParams {
    /// Milliseconds since the epoch: only products changed after, off-sale ones included.
    pub updated_since: Option<i64>,
    /// At most this many (1–500, default 100).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/open/v1/products", tag = "open", security(("open_signature" = [])), params(ProductParams),
    responses((status = 200, description = "`wire::ProductList`, oldest change first; page on with `updated_since` = the last `updated_at`")))]
pub async fn products<S: Store>(
    State(app): State<App<S>>,
    Extension(c): Extension<Caller>,
    Query(p): Query<ProductParams>,
) -> OpenResult<Json<wire::ProductList>> {
    Ok(Json(open::products(&app, &c, p.updated_since, p.limit).await?))
}

#[utoipa::path(get, path = "/api/open/v1/products/{id}", tag = "open", security(("open_signature" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "`wire::Product` at the caller's price"), (status = 404)))]
pub async fn product<S: Store>(
    State(app): State<App<S>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
) -> OpenResult<Json<wire::Product>> {
    Ok(Json(open::product(&app, &c, id).await?))
}

#[utoipa::path(post, path = "/api/open/v1/orders", tag = "open", security(("open_signature" = [])),
    request_body(content = Object, description = "`wire::PlaceOrder`: product_id, quantity, downstream_order_no, max_unit_price_fen, topup_target?, callback_url?"),
    responses((status = 201, description = "`wire::Order`, card keys and accounts in `units`"),
        (status = 200, description = "the same body again: the same order and units"),
        (status = 409, description = "`price_changed` (with `current_unit_price_fen`), `out_of_stock`, `shop_unavailable`; nothing charged"),
        (status = 422, description = "`idempotency_mismatch`, `insufficient_funds`, `invalid` (e.g. `callback_url` `private_address`)"),
        (status = 403, description = "the account may not buy")))]
pub async fn place<S: Store>(
    State(app): State<App<S>>,
    Extension(c): Extension<Caller>,
    body: Bytes,
) -> OpenResult<Response> {
    let req: wire::PlaceOrder = parse(&body)?;
    let (replay, order) = open::place(&app, &c, &req).await?;
    let status = if replay { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(order)).into_response())
}

#[utoipa::path(get, path = "/api/open/v1/orders/{downstream_order_no}", tag = "open", security(("open_signature" = [])),
    params(("downstream_order_no" = String, Path)),
    responses((status = 200, description = "`wire::Order`"), (status = 404, description = "unknown here, or placed with another key")))]
pub async fn order<S: Store>(
    State(app): State<App<S>>,
    Extension(c): Extension<Caller>,
    Path(no): Path<String>,
) -> OpenResult<Json<wire::Order>> {
    Ok(Json(open::order(&app, &c, &no).await?))
}

#[utoipa::path(post, path = "/api/open/v1/orders/{downstream_order_no}/cases", tag = "open", security(("open_signature" = [])),
    params(("downstream_order_no" = String, Path)),
    request_body(content = Object, description = "`wire::NewCase`: type, description, screenshots (data: URLs)"),
    responses((status = 201, description = "`wire::Case`, under the same 12 h / 24 h clocks as any case"),
        (status = 404), (status = 409, description = "`conflict` with a `reason` (a case already open, the window closed …)")))]
pub async fn open_case<S: Store>(
    State(app): State<App<S>>,
    Extension(c): Extension<Caller>,
    Path(no): Path<String>,
    body: Bytes,
) -> OpenResult<(StatusCode, Json<wire::Case>)> {
    let req: wire::NewCase = parse(&body)?;
    Ok((StatusCode::CREATED, Json(open::open_case(&app, &c, &no, &req).await?)))
}

#[utoipa::path(get, path = "/api/open/v1/cases/{id}", tag = "open", security(("open_signature" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "`wire::Case`"), (status = 404)))]
pub async fn case<S: Store>(
    State(app): State<App<S>>,
    Extension(c): Extension<Caller>,
    Path(id): Path<i64>,
) -> OpenResult<Json<wire::Case>> {
    Ok(Json(open::case_of(&app, &c, id).await?))
}

/// Anything else under the prefix: the open API's own 404.
async fn unknown() -> OpenReply {
    OpenReply(OpenError::new(404, "not_found"))
}

/// The open API's routes, each behind the signature check.
pub(crate) fn router<S: Store>(app: App<S>) -> Router<App<S>> {
    Router::new()
        .route("/api/open/v1/ping", routing::get(ping::<S>))
        .route("/api/open/v1/products", routing::get(products::<S>))
        .route("/api/open/v1/products/{id}", routing::get(product::<S>))
        .route("/api/open/v1/orders", routing::post(place::<S>))
        .route("/api/open/v1/orders/{no}", routing::get(order::<S>))
        .route("/api/open/v1/orders/{no}/cases", routing::post(open_case::<S>))
        .route("/api/open/v1/cases/{id}", routing::get(case::<S>))
        .route_layer(middleware::from_fn_with_state(app, signed::<S>))
        .route("/api/open/v1/{*rest}", routing::any(unknown))
}
