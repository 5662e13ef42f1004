//! API keys for the open API (`/api/open/v1`): create, list, revoke, and the
//! callbacks recently sent with them.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing;
use serde::Deserialize;
use utoipa::ToSchema;
use youying_core::ports::Store;

use crate::app::apikeys::{self, ApiKeyView, CallbackView, CreatedKey};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApiKey {
    /// What the key is for, 1–40 characters (e.g. the reselling site's name).
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/api-keys", tag = "open", request_body = NewApiKey,
    responses((status = 201, body = CreatedKey, description = "the secret is in this answer only"),
        (status = 422, description = "bad name, or already 10 active keys (`reason: at_most_10_active`)")))]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(n): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedKey>)> {
    Ok((StatusCode::CREATED, Json(apikeys::create(&app, v.user, &n.name).await?)))
}

#[utoipa::path(get, path = "/api/v1/api-keys", tag = "open", responses((status = 200, body = Vec<ApiKeyView>, description = "newest first, revoked ones included; never a secret")))]
pub async fn list<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Vec<ApiKeyView>>> {
    Ok(Json(apikeys::list(&app, &v.user).await?))
}

#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "open", params(("id" = i64, Path)),
    responses((status = 200, body = ApiKeyView, description = "revoked: requests signed with it answer 401 from now on"),
        (status = 404, description = "not your key, or already revoked (revoking twice answers 404)")))]
pub async fn revoke<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ApiKeyView>> {
    Ok(Json(apikeys::revoke(&app, v.user, id).await?))
}

#[utoipa::path(get, path = "/api/v1/api-keys/callbacks", tag = "open",
    responses((status = 200, body = Vec<CallbackView>, description = "the 50 latest callbacks of your keys, newest first")))]
pub async fn callbacks<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Vec<CallbackView>>> {
    Ok(Json(apikeys::callbacks(&app, &v.user, 50).await?))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/api-keys", routing::get(list::<S>).post(create::<S>))
        .route("/api/v1/api-keys/callbacks", routing::get(callbacks::<S>))
        .route("/api/v1/api-keys/{id}", routing::delete(revoke::<S>))
}
