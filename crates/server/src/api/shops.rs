//! Shops and their staff: opening a shop, inviting merchant agents, accepting.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::authz::ShopAction;
use youying_core::ports::Store;
use youying_core::shops::Invite;
use youying_core::values::{InviteId, ShopId, ShopName};
use youying_core::{Error, shops};

use super::auth::UserView;
use crate::app::shops::{ShopView, accept};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::security::{random_token, token_hash};
use crate::state::App;

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewShop {
    /// 2–40 characters.
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/shops", tag = "shops", request_body = NewShop,
    responses((status = 201, body = ShopView), (status = 403, description = "only buyer accounts open shops"), (status = 409, description = "name taken")))]
pub async fn open<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(n): ApiJson<NewShop>,
) -> ApiResult<(StatusCode, Json<ShopView>)> {
    let name = ShopName::parse(&n.name)?;
    let now = app.now();
    let shop = app.store.write(move |tx| shops::open(tx, now, &v.user, &name)).await?;
    Ok((StatusCode::CREATED, Json(ShopView::from(&shop))))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}", tag = "shops", params(("id" = i64, Path)), responses((status = 200, body = ShopView), (status = 404)))]
pub async fn get<S: Store>(State(app): State<App<S>>, Path(id): Path<i64>) -> ApiResult<Json<ShopView>> {
    let shop = app.store.read(move |tx| tx.shop(ShopId(id))).await?.ok_or(Error::NotFound)?;
    Ok(Json(ShopView::from(&shop)))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/agents", tag = "shops", params(("id" = i64, Path)), responses((status = 200, body = Vec<UserView>), (status = 404)))]
pub async fn agents<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<UserView>>> {
    let agents = app
        .store
        .read(move |tx| {
            let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Manage)?;
            tx.shop_agents(shop.id)
        })
        .await?;
    Ok(Json(agents.iter().map(UserView::from).collect()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InviteView {
    pub id: i64,
    pub shop_id: i64,
    /// `pending`, `accepted`, `expired` or `revoked`.
    pub state: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_by: Option<i64>,
    /// The one-time secret, shown once at creation: share `/invite/{token}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl InviteView {
    fn new(i: &Invite, token: Option<String>) -> Self {
        Self {
            id: i.id.0,
            shop_id: i.shop_id.0,
            state: i.state.as_str().to_owned(),
            created_at: i.created_at.millis(),
            expires_at: i.expires_at.millis(),
            accepted_by: i.accepted_by.map(|u| u.0),
            token,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/shops/{id}/invites", tag = "shops", params(("id" = i64, Path)),
    responses((status = 201, body = InviteView), (status = 404, description = "not your shop")))]
pub async fn invite<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<InviteView>)> {
    let token = random_token("yyi_")?;
    let (hash, now) = (token_hash(&token), app.now());
    let invite = app.store.write(move |tx| shops::invite_agent(tx, now, &v.user, ShopId(id), &hash)).await?;
    Ok((StatusCode::CREATED, Json(InviteView::new(&invite, Some(token)))))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/invites", tag = "shops", params(("id" = i64, Path)), responses((status = 200, body = Vec<InviteView>), (status = 404)))]
pub async fn invites<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<InviteView>>> {
    let list = app
        .store
        .read(move |tx| {
            let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Manage)?;
            tx.invites_of_shop(shop.id)
        })
        .await?;
    Ok(Json(list.iter().map(|i| InviteView::new(i, None)).collect()))
}

#[utoipa::path(delete, path = "/api/v1/invites/{id}", tag = "shops", params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409)))]
pub async fn revoke_invite<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    let now = app.now();
    app.store.write(move |tx| shops::revoke_invite(tx, now, &v.user, InviteId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptInvite {
    pub token: String,
    pub username: String,
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/invites/accept", tag = "shops", request_body = AcceptInvite,
    responses((status = 201, body = UserView), (status = 404, description = "unknown invitation"), (status = 409, description = "used, revoked or expired")))]
pub async fn accept_invite<S: Store>(
    State(app): State<App<S>>,
    ApiJson(a): ApiJson<AcceptInvite>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = accept(&app, &a.token, &a.username, &a.password).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/shops", routing::post(open::<S>))
        .route("/api/v1/shops/{id}", routing::get(get::<S>))
        .route("/api/v1/shops/{id}/agents", routing::get(agents::<S>))
        .route("/api/v1/shops/{id}/invites", routing::get(invites::<S>).post(invite::<S>))
        .route("/api/v1/invites/{id}", routing::delete(revoke_invite::<S>))
        .route("/api/v1/invites/accept", routing::post(accept_invite::<S>))
}
