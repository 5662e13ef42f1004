//! Platform administration: the rules in force, and a check of the evidence chain.

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing;
use youying_core::ports::Store;
use youying_core::rules::Rules;
use youying_core::{accounts, authz, rules};

use crate::app::evidence::{VerifyView, verify_chain};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

/// Name → value of every rule in force.
pub type RulesView = BTreeMap<String, i64>;

fn view(r: &Rules) -> RulesView {
    r.as_map().iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[utoipa::path(get, path = "/api/v1/admin/rules", tag = "admin", responses((status = 200, body = BTreeMap<String, i64>), (status = 403)))]
pub async fn get_rules<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<RulesView>> {
    authz::platform_staff(&v.user)?;
    let r = app.store.read(|tx| rules::in_force(tx)).await?;
    Ok(Json(view(&r)))
}

#[utoipa::path(put, path = "/api/v1/admin/rules", tag = "admin", request_body = BTreeMap<String, i64>,
    responses((status = 200, body = BTreeMap<String, i64>, description = "all rules after the change"), (status = 403), (status = 422, description = "unknown rule or value out of range; nothing changed")))]
pub async fn put_rules<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(changes): ApiJson<BTreeMap<String, i64>>,
) -> ApiResult<Json<RulesView>> {
    let now = app.now();
    let r = app.store.write(move |tx| accounts::change_rules(tx, now, &v.user, &changes)).await?;
    // A new deposit minimum may hide or show shops: search follows at once.
    crate::catalog::sync_search(&app).await?;
    Ok(Json(view(&r)))
}

#[utoipa::path(get, path = "/api/v1/admin/evidence/verify", tag = "admin", responses((status = 200, body = VerifyView), (status = 403)))]
pub async fn verify_evidence<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<VerifyView>> {
    authz::admin(&v.user)?;
    Ok(Json(app.store.read(verify_chain).await?))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/admin/rules", routing::get(get_rules::<S>).put(put_rules::<S>))
        .route("/api/v1/admin/evidence/verify", routing::get(verify_evidence::<S>))
}
