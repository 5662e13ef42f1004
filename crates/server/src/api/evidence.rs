//! Evidence over HTTP: an order's bundle download and the published chain head.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing;
use serde::Serialize;
use utoipa::ToSchema;
use youying_core::anchor::Anchor;
use youying_core::ports::Store;

use crate::auth::ApiUser;
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

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/orders/{no}/evidence.zip", routing::get(api_export::<S>))
        .route("/api/v1/public/chain-head", routing::get(chain_head::<S>))
}
