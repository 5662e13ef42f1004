//! Platform administration: the rules in force, a check of the evidence chain,
//! and the operator's directory of users and shops with its actions.

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing;
use youying_core::ports::Store;
use youying_core::rules::Rules;
use youying_core::values::ShopId;
use youying_core::{Error, accounts, authz, rules};

use crate::app::admin;
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
    authz::admin(&v.user)?;
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
        .route("/api/v1/admin/users", routing::get(users::<S>))
        .route("/api/v1/admin/users/{id}/{action}", routing::post(freeze_user::<S>))
        .route("/api/v1/admin/shops", routing::get(shops::<S>))
        .route("/api/v1/admin/shops/{id}/deposit", routing::post(adjust_deposit::<S>))
        .route("/api/v1/admin/shops/{id}/{action}", routing::post(freeze_shop::<S>))
}

// ---- The operator's directory: users and shops (see `app::admin`). ----

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct DirectoryParams {
    /// A name (or part of one) or an id; empty lists everyone.
    #[serde(default)]
    pub q: String,
    /// The page, from 0 (20 rows a page).
    #[serde(default)]
    pub page: usize,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AdminUserView {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub created_at: i64,
    pub frozen: bool,
    pub guest: bool,
}

impl AdminUserView {
    fn of(u: &youying_core::accounts::User) -> Self {
        Self {
            id: u.id.0,
            username: u.username.clone(),
            role: u.role.as_str().to_owned(),
            created_at: u.created_at.millis(),
            frozen: u.disabled,
            guest: u.guest,
        }
    }
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UserPage {
    pub users: Vec<AdminUserView>,
    /// Whether another page follows.
    pub more: bool,
}

#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(DirectoryParams),
    responses((status = 200, body = UserPage), (status = 403)))]
pub async fn users<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<DirectoryParams>,
) -> ApiResult<Json<UserPage>> {
    let found = admin::search_users(&app, &v.user, &p.q, p.page).await?;
    Ok(Json(UserPage { users: found.rows.iter().map(AdminUserView::of).collect(), more: found.more }))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct ReasonBody {
    /// Why (1–200 characters), kept in the evidence chain.
    pub reason: String,
}

fn frozen_arg(action: &str) -> ApiResult<bool> {
    match action {
        "freeze" => Ok(true),
        "unfreeze" => Ok(false),
        _ => Err(Error::NotFound.into()),
    }
}

#[utoipa::path(post, path = "/api/v1/admin/users/{id}/{action}", tag = "admin",
    params(("id" = i64, Path), ("action" = String, Path, description = "freeze or unfreeze")), request_body = ReasonBody,
    responses((status = 200, body = AdminUserView), (status = 403, description = "not an admin, or freezing an admin"), (status = 404), (status = 422, description = "reason missing or too long")))]
pub async fn freeze_user<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, action)): Path<(i64, String)>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> ApiResult<Json<AdminUserView>> {
    let u = admin::set_user_frozen(&app, &v.user, id, frozen_arg(&action)?, &b.reason).await?;
    Ok(Json(AdminUserView::of(&u)))
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AdminShopView {
    pub id: i64,
    pub name: String,
    pub owner_id: i64,
    pub grade: String,
    pub deposit_fen: i64,
    pub deposit_min_fen: i64,
    /// `open`, `suspended` or `deposit_short`.
    pub state: String,
}

fn shop_view(s: &youying_core::shops::Shop, st: &youying_core::deposit::Standing) -> AdminShopView {
    AdminShopView {
        id: s.id.0,
        name: s.name.clone(),
        owner_id: s.owner_id.0,
        grade: st.grade.label().to_owned(),
        deposit_fen: st.deposit_fen,
        deposit_min_fen: st.deposit_min_fen,
        state: st.hidden_reason().unwrap_or("open").to_owned(),
    }
}

async fn shop_views<S: Store>(app: &App<S>, shops: Vec<youying_core::shops::Shop>) -> ApiResult<Vec<AdminShopView>> {
    let now = app.now();
    Ok(app
        .store
        .read(move |tx| {
            shops.iter().map(|s| Ok(shop_view(s, &youying_core::deposit::standing(tx, now, s.id)?))).collect()
        })
        .await?)
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ShopPage {
    pub shops: Vec<AdminShopView>,
    pub more: bool,
}

#[utoipa::path(get, path = "/api/v1/admin/shops", tag = "admin", params(DirectoryParams),
    responses((status = 200, body = ShopPage), (status = 403)))]
pub async fn shops<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<DirectoryParams>,
) -> ApiResult<Json<ShopPage>> {
    let found = admin::search_shops(&app, &v.user, &p.q, p.page).await?;
    Ok(Json(ShopPage { shops: shop_views(&app, found.rows).await?, more: found.more }))
}

async fn one_shop<S: Store>(app: &App<S>, id: i64) -> ApiResult<AdminShopView> {
    let shop = app.store.read(move |tx| tx.shop(ShopId(id))).await?.ok_or(Error::NotFound)?;
    Ok(shop_views(app, vec![shop]).await?.remove(0))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct DepositAdjust {
    /// Fen to add (> 0) or deduct (< 0); the deposit may not go below zero.
    pub delta_fen: i64,
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/admin/shops/{id}/deposit", tag = "admin", params(("id" = i64, Path)), request_body = DepositAdjust,
    responses((status = 200, body = AdminShopView), (status = 403), (status = 404), (status = 422, description = "zero, below zero after a deduction, or reason missing; nothing changed")))]
pub async fn adjust_deposit<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(b): ApiJson<DepositAdjust>,
) -> ApiResult<Json<AdminShopView>> {
    admin::adjust_deposit(&app, &v.user, id, b.delta_fen, &b.reason).await?;
    Ok(Json(one_shop(&app, id).await?))
}

#[utoipa::path(post, path = "/api/v1/admin/shops/{id}/{action}", tag = "admin",
    params(("id" = i64, Path), ("action" = String, Path, description = "freeze or unfreeze")), request_body = ReasonBody,
    responses((status = 200, body = AdminShopView), (status = 403), (status = 404), (status = 422)))]
pub async fn freeze_shop<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path((id, action)): Path<(i64, String)>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> ApiResult<Json<AdminShopView>> {
    admin::set_shop_frozen(&app, &v.user, id, frozen_arg(&action)?, &b.reason).await?;
    Ok(Json(one_shop(&app, id).await?))
}
