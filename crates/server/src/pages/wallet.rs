//! The buyer's wallet: balance, statement, 充值 through a gateway, 提现 (the
//! same form as the shop's 货款 page), and in demo mode the faucet.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing;
use youying_core::money::Account;
use youying_core::ports::Store;
use youying_core::values::Role;
use youying_core::withdrawals::Wallet;

use super::forms::{field, parse_yuan};
use super::layout::{Layout, Page, PageError, render, see_other};
use super::session::CsrfForm;
use super::statement::{LineRow, row};
use super::withdrawals::{WithdrawDraft, WithdrawalRow, limits_hint, withdrawal_row};
use crate::app::pay::{self, TopUpRequest};
use crate::app::withdrawals;
use crate::error::AppError;
use crate::fmt::fmt_fen;
use crate::state::App;

/// The 充值 form: the channels some enabled gateway offers, what was typed,
/// and the error beside its field.
#[derive(Default)]
struct TopUpForm {
    channels: Vec<(&'static str, &'static str)>,
    amount: String,
    channel: String,
    error_field: String,
    error: String,
}

impl TopUpForm {
    fn error_for(&self, name: &str) -> &str {
        if self.error_field == name { &self.error } else { "" }
    }
}

#[derive(Template)]
#[template(path = "wallet.html")]
struct WalletPage<'a> {
    page: &'a Layout,
    balance: String,
    lines: Vec<LineRow>,
    demo: bool,
    /// Buyers may withdraw; agents' and staff's accounts do not trade.
    can_withdraw: bool,
    withdrawals: Vec<WithdrawalRow>,
    draft: WithdrawDraft,
    hint: String,
    withdraw_action: &'static str,
    topup: TopUpForm,
}

async fn wallet_page<S: Store>(
    app: &App<S>,
    page: &Page,
    draft: WithdrawDraft,
    mut topup: TopUpForm,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let account = Account::UserWallet(user.id);
    let (balance, lines, gateways) = app
        .store
        .read(move |tx| Ok((tx.balance(account)?, tx.statement(account, 200)?, tx.gateways()?)))
        .await
        .map_err(|e| page.error(e.into()))?;
    topup.channels = pay::offered_channels(&gateways);
    if topup.channel.is_empty() {
        topup.channel = topup.channels.first().map(|c| c.0.to_owned()).unwrap_or_default();
    }
    let can_withdraw = user.role == Role::Buyer;
    let list = if can_withdraw {
        withdrawals::of_wallet(app, &user, Wallet::User(user.id)).await.map_err(|e| page.error(e.into()))?
    } else {
        Vec::new()
    };
    let failed = draft.has_error() || !topup.error.is_empty();
    let status = if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let t = WalletPage {
        page: &page.layout,
        balance: fmt_fen(balance),
        lines: lines.into_iter().map(row).collect(),
        demo: app.config.demo,
        can_withdraw,
        withdrawals: list.iter().map(withdrawal_row).collect(),
        draft,
        hint: limits_hint(app).await.map_err(|e| page.error(e))?,
        withdraw_action: "/wallet/withdrawals",
        topup,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn show<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    // What the redirect after a form says; a reload says it again and changes nothing.
    let note = if !field(&q, "requested").is_empty() {
        Some("提现申请已提交，金额已从钱包转入提现审核中，等待平台打款。".to_owned())
    } else if !field(&q, "faucet").is_empty() {
        Some(format!("已领取演示余额 {}。", fmt_fen(crate::app::wallet::FAUCET_FEN)))
    } else {
        None
    };
    let page = match note {
        Some(n) => Page { layout: page.layout.clone().with_flash(n), ..page },
        None => page,
    };
    wallet_page(&app, &page, WithdrawDraft::fresh(), TopUpForm::default()).await
}

/// 充值: starts a top-up and goes to its page, which sends the buyer on to the
/// gateway's cashier (a form may only post to this site). An error comes back
/// beside its field with the amount kept.
pub async fn top_up<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    headers: HeaderMap,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let (amount, channel) = (field(&f, "amount").to_owned(), field(&f, "channel").to_owned());
    let site = app.config.site_url(&headers);
    let started = match parse_yuan("amount_fen", &amount) {
        Ok(amount_fen) => {
            let req = TopUpRequest { amount_fen, channel: channel.clone(), gateway: None };
            pay::start_top_up(&app, user, &site, &req).await.map_err(AppError::from)
        }
        Err(e) => Err(e.into()),
    };
    match started {
        Ok(p) => Ok(see_other(&format!("/wallet/topups/{}?go=1", p.id))),
        Err(e @ AppError::Core(_)) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let error_field = match &e {
                AppError::Core(youying_core::Error::Invalid { field: "channel" | "gateway", .. }) => "channel",
                _ => "amount",
            };
            let form = TopUpForm {
                amount,
                channel,
                error_field: error_field.into(),
                error: e.message(),
                ..TopUpForm::default()
            };
            wallet_page(&app, &page, WithdrawDraft::fresh(), form).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// 申请提现 from one's own wallet.
pub async fn withdraw<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let draft = WithdrawDraft::from_form(&f);
    let wallet = Wallet::User(user.id);
    let result = match draft.request() {
        Ok(req) => withdrawals::request(&app, user, wallet, &req).await.map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(_) => Ok(see_other("/wallet?requested=1")),
        Err(e) => {
            let balance = app.store.read(move |tx| tx.balance(wallet.account())).await.unwrap_or(0);
            let draft = draft.with_error(e, balance).map_err(|e| page.error(e))?;
            wallet_page(&app, &page, draft, TopUpForm::default()).await
        }
    }
}

/// 领取演示余额: the API's faucet, then 303 to the wallet, which says so.
pub async fn faucet<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let user = page.require_viewer()?.user.clone();
    crate::app::wallet::faucet_credit(&app, &user).await.map_err(|e| page.error(e))?;
    Ok(see_other("/wallet?faucet=1"))
}

/// A GET of a form's address (a reloaded 422 page, a restored tab): the wallet.
async fn back() -> Response {
    see_other("/wallet")
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/wallet", routing::get(show::<S>))
        .route("/wallet/faucet", routing::get(back).post(faucet::<S>))
        .route("/wallet/withdrawals", routing::get(back).post(withdraw::<S>))
        .route("/wallet/topups", routing::get(back).post(top_up::<S>))
}
