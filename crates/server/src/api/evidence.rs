//! Evidence over HTTP: an order's bundle download and the published chain head.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing;
use serde::Serialize;
use utoipa::ToSchema;
use youying_core::anchor::Anchor;
use youying_core::ports::Store;

use crate::app::verify::{MAX_BYTES, NOT_A_BUNDLE, TOO_LARGE, Verdict, check};
use crate::auth::{ApiUser, ClientIp};
use crate::error::{ApiResult, AppError};
use crate::evidence::zip_response;
use crate::state::App;

#[utoipa::path(get, path = "/api/v1/orders/{no}/evidence.zip", tag = "evidence", params(("no" = String, Path)),
    responses((status = 200, content_type = "application/zip",
        description = "evidence.json (every event with its proof up to the published chain head) and evidence.html"),
        (status = 404, description = "not your order")))]
pub async fn api_export<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(no): Path<String>,
) -> Result<Response, AppError> {
    let zip = crate::app::evidence::export(&app, v.user, no.clone()).await?;
    Ok(zip_response(&no, zip))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainHead {
    /// The newest hourly anchor: compare its `hash` with a bundle's.
    #[schema(value_type = Option<Object>)]
    pub anchor: Option<Anchor>,
}

#[utoipa::path(get, path = "/api/v1/public/chain-head", tag = "evidence",
    responses((status = 200, body = ChainHead, description = "the evidence chain's newest anchor, published every hour")))]
pub async fn chain_head<S: Store>(State(app): State<App<S>>) -> ApiResult<Json<ChainHead>> {
    let anchor = app.store.read(|tx| tx.last_anchor()).await?;
    Ok(Json(ChainHead { anchor }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unverifiable {
    pub code: &'static str,
    pub message: &'static str,
}

/// For scripts: the bundle (the zip, or its `evidence.json`) as the raw body.
#[utoipa::path(post, path = "/api/v1/public/verify", tag = "evidence",
    request_body(description = "the exported evidence-….zip or its evidence.json, as the raw body (at most 8 MiB)",
        content(("application/zip"), ("application/json"))),
    responses((status = 200, body = Verdict, description = "each check in words; `broken` names the altered event"),
        (status = 413, body = Unverifiable), (status = 429, body = Unverifiable, description = "more than 30 checks an hour from one address"), (status = 422, body = Unverifiable, description = "not an evidence bundle")))]
pub async fn verify<S: Store>(
    State(app): State<App<S>>,
    ClientIp(ip): ClientIp,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let result = match body {
        Ok(bytes) => match crate::app::verify::throttle(&app, &ip) {
            Ok(()) => check(&app, &bytes).await?,
            Err(r) => Err(r),
        },
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(TOO_LARGE),
        Err(_) => Err(NOT_A_BUNDLE),
    };
    Ok(match result {
        Ok(v) => Json(v).into_response(),
        Err(r) => (
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            Json(Unverifiable { code: r.code, message: r.message }),
        )
            .into_response(),
    })
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/orders/{no}/evidence.zip", routing::get(api_export::<S>))
        .route("/api/v1/public/chain-head", routing::get(chain_head::<S>))
        .route("/api/v1/public/verify", routing::post(verify::<S>).layer(DefaultBodyLimit::max(MAX_BYTES)))
}
