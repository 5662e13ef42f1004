//! Withdrawals (提现), shared by the API and the pages: the request, checked
//! and with the payee's account and real name sealed by the master key before
//! the core sees them; the views, which show only the masked account, and the
//! staff's detail, the one place the sealed data is opened.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use youying_core::accounts::User;
use youying_core::authz;
use youying_core::error::{Error, Result};
use youying_core::ports::Store;
use youying_core::values::ShopId;
use youying_core::withdrawals::model::{MAX_ACCOUNT, MAX_REAL_NAME, mask, text};
use youying_core::withdrawals::{self, Decision, Method, ShopFunds, Wallet, Withdrawal, WithdrawalId, WithdrawalInput};

use crate::state::App;
use crate::vault::Vault;

/// `POST /api/v1/shops/{id}/withdrawals`, `POST /api/v1/wallet/withdrawals`.
#[derive(Clone, Default, Deserialize, ToSchema)]
pub struct WithdrawalRequest {
    pub amount_fen: i64,
    /// `alipay`, `wxpay` or `bank`.
    pub method: String,
    /// The payee's account (支付宝账号, 微信号, 银行卡号), 1–64 characters.
    pub account: String,
    /// The account holder's real name, 1–32 characters.
    pub real_name: String,
}

impl fmt::Debug for WithdrawalRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithdrawalRequest")
            .field("amount_fen", &self.amount_fen)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// `POST /api/v1/platform/withdrawals/{id}/decide`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct DecideRequest {
    /// `approve` or `reject`.
    pub decision: String,
    /// The bank's or wallet's transfer reference (转账流水号), to approve.
    pub transfer_ref: Option<String>,
    /// Why, to reject.
    pub reason: Option<String>,
}

/// A withdrawal as its requester and lists show it: the account masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WithdrawalView {
    pub id: i64,
    /// The ledger key of the wallet: `shop:3`, `user:7`.
    pub wallet: String,
    pub amount_fen: i64,
    pub fee_fen: i64,
    /// What reaches the payee: amount − fee.
    pub net_fen: i64,
    pub method: String,
    pub method_label: String,
    pub account_masked: String,
    /// `requested`, `paid` or `rejected`.
    pub state: String,
    pub state_label: String,
    pub transfer_ref: Option<String>,
    pub reason: Option<String>,
    pub requested_at: i64,
    pub decided_at: Option<i64>,
}

/// What the deciding staff see: the view plus the account and name in full.
#[derive(Clone, Serialize, ToSchema)]
pub struct WithdrawalDetail {
    #[serde(flatten)]
    pub view: WithdrawalView,
    pub account: String,
    pub real_name: String,
}

impl fmt::Debug for WithdrawalDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithdrawalDetail").field("view", &self.view).finish_non_exhaustive()
    }
}

pub fn view(w: &Withdrawal) -> WithdrawalView {
    WithdrawalView {
        id: w.id.0,
        wallet: w.wallet.key(),
        amount_fen: w.amount_fen,
        fee_fen: w.fee_fen,
        net_fen: w.net_fen(),
        method: w.method.as_str().to_owned(),
        method_label: w.method.label().to_owned(),
        account_masked: w.account_masked.clone(),
        state: w.state.as_str().to_owned(),
        state_label: w.state.label().to_owned(),
        transfer_ref: w.transfer_ref.clone(),
        reason: w.reason.clone(),
        requested_at: w.requested_at.millis(),
        decided_at: w.decided_at.map(|t| t.millis()),
    }
}

/// Checks the personal data (length, no control characters) and seals it;
/// nothing is stored yet.
pub fn input(vault: &Vault, r: &WithdrawalRequest) -> Result<WithdrawalInput> {
    let method = Method::parse(r.method.trim())?;
    let account = text("account", &r.account, MAX_ACCOUNT)?;
    let real_name = text("real_name", &r.real_name, MAX_REAL_NAME)?;
    Ok(WithdrawalInput {
        amount_fen: r.amount_fen,
        method,
        account_masked: mask(&account),
        account: vault.seal_secret(&account)?,
        real_name: vault.seal_secret(&real_name)?,
    })
}

/// Who may act for `wallet`, checked before the input is looked at, so a
/// stranger learns nothing from validation.
async fn may_withdraw<S: Store>(app: &App<S>, actor: &User, wallet: Wallet) -> Result<()> {
    let actor = actor.clone();
    app.store.read(move |tx| withdrawals::may_withdraw(tx, &actor, wallet)).await
}

pub async fn request<S: Store>(
    app: &App<S>,
    actor: User,
    wallet: Wallet,
    r: &WithdrawalRequest,
) -> Result<WithdrawalView> {
    may_withdraw(app, &actor, wallet).await?;
    let input = input(&app.vault, r)?;
    let now = app.now();
    let w = app.store.write(move |tx| withdrawals::request(tx, now, &actor, wallet, input)).await?;
    Ok(view(&w))
}

/// The wallet's withdrawals, newest first, for its owner.
pub async fn of_wallet<S: Store>(app: &App<S>, actor: &User, wallet: Wallet) -> Result<Vec<WithdrawalView>> {
    may_withdraw(app, actor, wallet).await?;
    Ok(app.store.read(move |tx| tx.withdrawals_of(wallet, 200)).await?.iter().map(view).collect())
}

/// What the shop's 货款 page shows: the figures and the withdrawals.
pub async fn shop_funds<S: Store>(
    app: &App<S>,
    actor: &User,
    shop: ShopId,
) -> Result<(ShopFunds, Vec<WithdrawalView>)> {
    may_withdraw(app, actor, Wallet::Shop(shop)).await?;
    let (funds, list) =
        app.store.read(move |tx| Ok((tx.shop_funds(shop)?, tx.withdrawals_of(Wallet::Shop(shop), 200)?))).await?;
    Ok((funds, list.iter().map(view).collect()))
}

/// Every withdrawal, undecided first, for the staff who decide.
pub async fn for_staff<S: Store>(app: &App<S>, actor: &User) -> Result<Vec<WithdrawalView>> {
    authz::decide_withdrawal(actor)?;
    Ok(app.store.read(|tx| tx.withdrawals_for_staff(500)).await?.iter().map(view).collect())
}

/// One withdrawal with the account and name opened, for the staff who pay it.
pub async fn detail<S: Store>(app: &App<S>, actor: &User, id: i64) -> Result<WithdrawalDetail> {
    authz::decide_withdrawal(actor)?;
    let w = app.store.read(move |tx| tx.withdrawal(WithdrawalId(id))).await?.ok_or(Error::NotFound)?;
    Ok(WithdrawalDetail {
        view: view(&w),
        account: app.vault.open_secret(&w.account)?,
        real_name: app.vault.open_secret(&w.real_name)?,
    })
}

pub async fn decide<S: Store>(app: &App<S>, actor: User, id: i64, r: &DecideRequest) -> Result<WithdrawalView> {
    authz::decide_withdrawal(&actor)?;
    let given = |s: &Option<String>| s.clone().unwrap_or_default();
    let decision = match r.decision.trim() {
        "approve" => Decision::Approve { transfer_ref: given(&r.transfer_ref) },
        "reject" => Decision::Reject { reason: given(&r.reason) },
        _ => return Err(Error::Invalid { field: "decision", reason: "unknown_decision" }),
    };
    let now = app.now();
    let w = app.store.write(move |tx| withdrawals::decide(tx, now, &actor, WithdrawalId(id), decision)).await?;
    Ok(view(&w))
}
