//! Wallets, statements, admin credits, the demo faucet, breaches and the ledger audit.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use youying_core::authz::{self, ShopAction};
use youying_core::money::LedgerAudit;
use youying_core::money::{Account, Fen};
use youying_core::orders::{self, StatementLine};
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_core::{Error, shops};

use crate::app::wallet::faucet_credit;
use crate::auth::ApiUser;
use crate::error::{ApiJson, ApiResult, AppError};
use crate::state::App;

#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub at: i64,
    pub kind: String,
    pub subject: String,
    pub memo: String,
    pub amount_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WalletView {
    pub account: String,
    pub balance_fen: i64,
    pub lines: Vec<LineView>,
}

fn lines(ls: Vec<StatementLine>) -> Vec<LineView> {
    ls.into_iter()
        .map(|l| LineView {
            at: l.at.millis(),
            kind: l.kind,
            subject: l.subject,
            memo: l.memo,
            amount_fen: l.amount_fen,
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/wallet", tag = "wallet", responses((status = 200, body = WalletView)))]
pub async fn mine<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<WalletView>> {
    let account = Account::UserWallet(v.user.id);
    let (balance, ls) = app.store.read(move |tx| Ok((tx.balance(account)?, tx.statement(account, 200)?))).await?;
    Ok(Json(WalletView { account: account.key(), balance_fen: balance, lines: lines(ls) }))
}

#[utoipa::path(get, path = "/api/v1/shops/{id}/wallet", tag = "wallet", params(("id" = i64, Path)), responses((status = 200, body = WalletView), (status = 404)))]
pub async fn of_shop<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<WalletView>> {
    let (account, balance, ls) = app
        .store
        .read(move |tx| {
            let shop = shops::load(tx, &v.user, ShopId(id), ShopAction::Manage)?;
            let account = Account::ShopWallet(shop.id);
            Ok((account, tx.balance(account)?, tx.statement(account, 200)?))
        })
        .await?;
    Ok(Json(WalletView { account: account.key(), balance_fen: balance, lines: lines(ls) }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Credit {
    pub amount_fen: i64,
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Balance {
    pub balance_fen: i64,
}

#[utoipa::path(post, path = "/api/v1/admin/wallets/{username}/credit", tag = "admin", params(("username" = String, Path)), request_body = Credit,
    responses((status = 200, body = Balance), (status = 403), (status = 404), (status = 422)))]
pub async fn credit<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Path(username): Path<String>,
    ApiJson(c): ApiJson<Credit>,
) -> ApiResult<Json<Balance>> {
    let amount = Fen::positive(c.amount_fen)?;
    let now = app.now();
    let balance = app
        .store
        .write(move |tx| {
            authz::admin(&v.user)?;
            let target = tx.user_by_key(&username.to_lowercase())?.ok_or(Error::NotFound)?;
            orders::credit_wallet(tx, now, &v.user, &target, amount, &c.reason)
        })
        .await?;
    Ok(Json(Balance { balance_fen: balance }))
}

#[utoipa::path(post, path = "/api/v1/demo/faucet", tag = "wallet", responses((status = 200, body = Balance), (status = 404, description = "not in demo mode")))]
pub async fn faucet<S: Store>(State(app): State<App<S>>, ApiUser(v): ApiUser) -> ApiResult<Json<Balance>> {
    Ok(Json(Balance { balance_fen: faucet_credit(&app, &v.user).await? }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BreachParams {
    pub shop_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreachView {
    pub id: i64,
    pub shop_id: i64,
    pub kind: String,
    pub subject: String,
    pub at: i64,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// `shop`: the merchant's breach; `platform`: the platform's own.
    pub party: String,
}

#[utoipa::path(get, path = "/api/v1/breaches", tag = "admin", params(BreachParams), responses((status = 200, body = Vec<BreachView>), (status = 403)))]
pub async fn breaches<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
    Query(p): Query<BreachParams>,
) -> ApiResult<Json<Vec<BreachView>>> {
    authz::admin(&v.user)?;
    let list = app.store.read(move |tx| tx.breaches(p.shop_id.map(ShopId), 500)).await?;
    Ok(Json(list.into_iter().map(breach_view).collect()))
}

pub fn breach_view(b: youying_core::enforcement::Breach) -> BreachView {
    BreachView {
        id: b.id,
        shop_id: b.shop_id.0,
        kind: b.kind.as_str().to_owned(),
        subject: b.subject,
        at: b.at.millis(),
        detail: serde_json::from_str(&b.detail).unwrap_or_default(),
        party: b.party.as_str().to_owned(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub ok: bool,
    pub unbalanced_entries: Vec<i64>,
    pub drifted_accounts: Vec<String>,
    pub negative_accounts: Vec<String>,
    pub escrow_balance: i64,
    pub escrow_held_by_orders: i64,
    pub orphan_units: i64,
    /// What the pending-withdrawals account holds, and what requested,
    /// undecided withdrawals say it should.
    pub pending_withdrawals_balance: i64,
    pub pending_withdrawals_requested: i64,
    /// What the gateway clearing account gave out (minus its balance), and
    /// what paid payment attempts say came in through gateways.
    pub gateway_clearing_balance: i64,
    pub paid_in_by_attempts: i64,
}

pub fn audit_view(a: LedgerAudit) -> AuditView {
    let ok = a.unbalanced_entries.is_empty()
        && a.drifted_accounts.is_empty()
        && a.negative_accounts.is_empty()
        && a.escrow_balance == a.escrow_held_by_orders
        && a.orphan_units == 0
        && a.pending_withdrawals_balance == a.pending_withdrawals_requested
        && -a.gateway_clearing_balance == a.paid_in_by_attempts;
    AuditView {
        ok,
        unbalanced_entries: a.unbalanced_entries,
        drifted_accounts: a.drifted_accounts,
        negative_accounts: a.negative_accounts,
        escrow_balance: a.escrow_balance,
        escrow_held_by_orders: a.escrow_held_by_orders,
        orphan_units: a.orphan_units,
        pending_withdrawals_balance: a.pending_withdrawals_balance,
        pending_withdrawals_requested: a.pending_withdrawals_requested,
        gateway_clearing_balance: a.gateway_clearing_balance,
        paid_in_by_attempts: a.paid_in_by_attempts,
    }
}

#[utoipa::path(get, path = "/api/v1/admin/ledger/audit", tag = "admin", responses((status = 200, body = AuditView), (status = 403)))]
pub async fn audit<S: Store>(
    State(app): State<App<S>>,
    ApiUser(v): ApiUser,
) -> ApiResult<(StatusCode, Json<AuditView>)> {
    authz::admin(&v.user).map_err(AppError::from)?;
    let a = app.store.read(|tx| tx.ledger_audit()).await?;
    Ok((StatusCode::OK, Json(audit_view(a))))
}

/// The routes of this feature; `api::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/api/v1/shops/{id}/wallet", routing::get(of_shop::<S>))
        .route("/api/v1/wallet", routing::get(mine::<S>))
        .route("/api/v1/admin/wallets/{username}/credit", routing::post(credit::<S>))
        .route("/api/v1/admin/ledger/audit", routing::get(audit::<S>))
        .route("/api/v1/breaches", routing::get(breaches::<S>))
        .route("/api/v1/demo/faucet", routing::post(faucet::<S>))
}
