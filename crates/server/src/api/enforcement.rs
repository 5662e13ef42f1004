//! Deposits and penalties: the owner tops up the deposit; the shop's team sees
//! its standing, penalties and breaches; an admin lifts a penalty with a reason.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::authz::{self, ShopAction};
use youying_core::deposit::{self, DepositSource, Standing};
use youying_core::enforcement::Party;
use youying_core::enforcement::{self, Penalty};
use youying_core::money::Fen;
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_core::{Timestamp, shops};

use super::wallet::{BreachView, breach_view};
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult};
use crate::state::App;

#[derive(Debug, Serialize, ToSchema)]
pub struct StandingView {
    pub shop_id: i64,
    pub deposit_fen: i64,
    pub deposit_min_fen: i64,
    /// Whether buyers see and may buy the shop's listings.
    pub listed: bool,
    /// `deposit_short` or `suspended` when not listed.
    pub hidden_reason: Option<String>,
    /// End of the down-ranking in force (ms), if any.
    pub downranked_until: Option<i64>,
}

pub fn standing_view(s: &Standing) -> StandingView {
    StandingView {
        shop_id: s.shop_id.0,
        deposit_fen: s.deposit_fen,
        deposit_min_fen: s.deposit_min_fen,
        listed: s.listed(),
        hidden_reason: s.hidden_reason().map(str::to_owned),
        downranked_until: s.downranked_until.map(Timestamp::millis),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PenaltyView {
    pub id: i64,
    pub shop_id: i64,
    /// `warning`, `downrank`, `fine` or `suspension`.
    pub kind: String,
    /// `active`, `ended` or `lifted`.
    pub state: String,
    pub started_at: i64,
    pub ends_at: Option<i64>,
    /// The breaches in the window when this step was reached.
    pub breach_ids: Vec<i64>,
    /// A fine's amount taken from the deposit, and what it could not cover.
    pub amount_fen: i64,
    pub shortfall_fen: i64,
    pub lifted_by: Option<i64>,
    pub lift_reason: Option<String>,
    pub lifted_at: Option<i64>,
}

pub fn penalty_view(p: &Penalty) -> PenaltyView {
    PenaltyView {
        id: p.id,
        shop_id: p.shop_id.0,
        kind: p.kind.as_str().to_owned(),
        state: p.state.as_str().to_owned(),
        started_at: p.started_at.millis(),
        ends_at: p.ends_at.map(Timestamp::millis),
        breach_ids: p.breach_ids.clone(),
        amount_fen: p.amount_fen,
        shortfall_fen: p.shortfall_fen,
        lifted_by: p.lifted_by.map(|u| u.0),
        lift_reason: p.lift_reason.clone(),
        lifted_at: p.lifted_at.map(Timestamp::millis),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TopUp {
    pub amount_fen: i64,
    /// `wallet` (the owner's own wallet, default) or `shop_wallet` (the shop's income).
    #[serde(default)]
    pub from: String,
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/deposit", tag = "shops", params(("id" = i64, Path)),
    responses((status = 200, body = StandingView), (status = 404)))]
pub async fn get_deposit<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<StandingView>> {
    let now = app.now();
    let s = app
        .store
        .read(move |tx| {
            let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Serve)?;
            deposit::standing(tx, now, shop.id)
        })
        .await?;
    Ok(Json(standing_view(&s)))
}

#[utoipa::path(post, path = "/api/v1/shops/{id}/deposit", tag = "shops", params(("id" = i64, Path)), request_body = TopUp,
    responses((status = 200, body = StandingView), (status = 403, description = "not the owner"), (status = 404),
        (status = 422, description = "bad amount, or the wallet holds less")))]
pub async fn top_up<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TopUp>,
) -> ApiResult<Json<StandingView>> {
    let amount = Fen::positive(body.amount_fen)?;
    let from = DepositSource::parse(body.from.trim())?;
    let now = app.now();
    let s = app.store.write(move |tx| deposit::top_up(tx, now, &v.user, ShopId(id), amount, from)).await?;
    crate::catalog::sync_search(&app).await?;
    Ok(Json(standing_view(&s)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShopPenalties {
    pub standing: StandingView,
    pub penalties: Vec<PenaltyView>,
    pub breaches: Vec<BreachView>,
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/penalties", tag = "shops", params(("id" = i64, Path)),
    responses((status = 200, body = ShopPenalties), (status = 404)))]
pub async fn of_shop<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<ShopPenalties>> {
    let now = app.now();
    let (s, ps, bs) = app
        .store
        .read(move |tx| {
            let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Serve)?;
            let bs =
                tx.breaches(Some(shop.id), 500)?.into_iter().filter(|b| b.party == Party::Shop).collect::<Vec<_>>();
            Ok((deposit::standing(tx, now, shop.id)?, tx.penalties(Some(shop.id), 500)?, bs))
        })
        .await?;
    Ok(Json(ShopPenalties {
        standing: standing_view(&s),
        penalties: ps.iter().map(penalty_view).collect(),
        breaches: bs.into_iter().map(breach_view).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PenaltyParams {
    pub shop_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/admin/penalties", tag = "admin", params(PenaltyParams),
    responses((status = 200, body = Vec<PenaltyView>), (status = 403)))]
pub async fn list<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<PenaltyParams>,
) -> ApiResult<Json<Vec<PenaltyView>>> {
    authz::admin(&v.user)?;
    let ps = app.store.read(move |tx| tx.penalties(p.shop_id.map(ShopId), 500)).await?;
    Ok(Json(ps.iter().map(penalty_view).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Lift {
    /// Why the penalty is lifted; required, kept on the record.
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/admin/penalties/{id}/lift", tag = "admin", params(("id" = i64, Path)), request_body = Lift,
    responses((status = 200, body = PenaltyView), (status = 403), (status = 404), (status = 409, description = "no longer active"),
        (status = 422, description = "reason missing")))]
pub async fn lift<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<Lift>,
) -> ApiResult<Json<PenaltyView>> {
    let now = app.now();
    let p = app.store.write(move |tx| enforcement::lift(tx, now, &v.user, id, &body.reason)).await?;
    crate::catalog::sync_search(&app).await?;
    Ok(Json(penalty_view(&p)))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/shops/{id}/deposit", routing::get(get_deposit::<S>).post(top_up::<S>))
        .route("/api/v1/shops/{id}/penalties", routing::get(of_shop::<S>))
        .route("/api/v1/admin/penalties", routing::get(list::<S>))
        .route("/api/v1/admin/penalties/{id}/lift", routing::post(lift::<S>))
}
