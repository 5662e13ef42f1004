//! Guest orders over JSON: buying without an account, finding the order again
//! with the query password, and turning the guest into a full account.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::ports::Store;

use crate::accounts::NewSession;
use crate::app::guest::{self, GuestOrder, LookupRequest};
use crate::app::pay::PaymentView;
use crate::auth::{ApiUser, ClientIp};
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

/// A guest's session: send `token` as `Authorization: Bearer`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuestSession {
    pub token: String,
    pub csrf_token: String,
    pub expires_at: i64,
    pub user_id: i64,
    pub username: String,
}

impl From<NewSession> for GuestSession {
    fn from(s: NewSession) -> Self {
        GuestSession {
            token: s.token,
            csrf_token: s.csrf,
            expires_at: s.expires_at.millis(),
            user_id: s.user.id.0,
            username: s.user.username,
        }
    }
}

/// `202`: pay at `payment.pay_url`; the order is placed when the money lands
/// (`GET /api/v1/wallet/topups/{id}` with the token shows its `order_no`).
#[derive(Debug, Serialize, ToSchema)]
pub struct GuestCheckout {
    pub payment: PaymentView,
    #[serde(flatten)]
    pub session: GuestSession,
}

#[utoipa::path(post, path = "/api/v1/guest/orders", tag = "orders", request_body = GuestOrder,
    responses((status = 202, body = GuestCheckout, description = "a guest account (or the contact's earlier one) signed in, and its payment"),
        (status = 404, description = "no such product on sale"),
        (status = 409, description = "`guest_contact_taken`: the contact already bought as a guest with another query password"),
        (status = 422, description = "`field`: contact (e-mail or mainland mobile), query_password (6–128), quantity, channel"),
        (status = 429, description = "too many wrong query passwords for this contact from this address")))]
pub async fn checkout<S: Store>(
    State(app): State<App<S>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(g): ApiJson<GuestOrder>,
) -> ApiResult<(StatusCode, Json<GuestCheckout>)> {
    let site = app.config.site_url(&headers);
    let s = guest::checkout(&app, &ip, &site, &g).await?;
    Ok((StatusCode::ACCEPTED, Json(GuestCheckout { payment: s.payment, session: s.session.into() })))
}

/// A successful lookup: the guest's session, and the order when one was named.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupView {
    pub order_no: Option<String>,
    #[serde(flatten)]
    pub session: GuestSession,
}

#[utoipa::path(post, path = "/api/v1/orders/lookup", tag = "orders", request_body = LookupRequest,
    responses((status = 200, body = LookupView),
        (status = 404, description = "`guest_not_found`: no such order or contact, a wrong query password, or an order that is not a guest's — one answer for all"),
        (status = 429, description = "too many failures for this text from this address")))]
pub async fn lookup<S: Store>(
    State(app): State<App<S>>,
    ClientIp(ip): ClientIp,
    ApiJson(r): ApiJson<LookupRequest>,
) -> ApiResult<Json<LookupView>> {
    let found = guest::lookup(&app, &ip, &r).await?;
    Ok(Json(LookupView { order_no: found.order_no, session: found.session.into() }))
}

/// `POST /api/v1/account/claim`. `Debug` leaves out the password.
#[derive(Deserialize, ToSchema)]
pub struct ClaimRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for ClaimRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimRequest").field("username", &self.username).finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimedView {
    pub id: i64,
    pub username: String,
}

#[utoipa::path(post, path = "/api/v1/account/claim", tag = "auth", request_body = ClaimRequest,
    responses((status = 200, body = ClaimedView, description = "a full account now; its orders kept"),
        (status = 403, description = "not a guest"), (status = 409, description = "username_taken"),
        (status = 422, description = "weak_password or a bad username")))]
pub async fn claim<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    ApiJson(c): ApiJson<ClaimRequest>,
) -> ApiResult<Json<ClaimedView>> {
    let u = guest::claim(&app, &v.user, &c.username, &c.password).await?;
    Ok(Json(ClaimedView { id: u.id.0, username: u.username }))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/guest/orders", routing::post(checkout::<S>))
        .route("/api/v1/orders/lookup", routing::post(lookup::<S>))
        .route("/api/v1/account/claim", routing::post(claim::<S>))
}
