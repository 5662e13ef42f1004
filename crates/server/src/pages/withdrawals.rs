//! Withdrawals in the pages: the shop's 货款 page (what the shop earned, what
//! is still in escrow, what may be withdrawn, the 申请提现 form and its
//! history), the same form on the buyer's wallet page, and the platform's
//! 提现审核 (the queue, and one withdrawal with the payee in full to approve
//! with the transfer reference or reject with a reason). Post/redirect/get on
//! success; on an error the form comes back with the message beside its field
//! and what was typed.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::money::Account;
use youying_core::ports::Store;
use youying_core::rules::{self, Rule};
use youying_core::values::ShopId;
use youying_core::withdrawals::{Method, ShopFunds, Wallet};

use super::forms::{field, parse_yuan};
use super::layout::{Layout, Page, PageError, render, see_other};
use super::statement::{LineRow, row};
use crate::app::withdrawals::{self, DecideRequest, WithdrawalDetail, WithdrawalRequest, WithdrawalView};
use crate::error::AppError;
use crate::fmt::{fmt_fen, fmt_time};
use crate::state::App;

/// The 申请提现 form as typed, and the error beside its field.
#[derive(Default)]
pub(crate) struct WithdrawDraft {
    pub(crate) amount: String,
    pub(crate) method: String,
    pub(crate) account: String,
    pub(crate) real_name: String,
    error_field: String,
    error: String,
}

impl WithdrawDraft {
    pub(crate) fn fresh() -> Self {
        Self { method: Method::Alipay.as_str().into(), ..Self::default() }
    }

    pub(crate) fn from_form(f: &[(String, String)]) -> Self {
        let get = |n: &str| field(f, n).to_owned();
        Self {
            amount: get("amount"),
            method: get("method"),
            account: get("account"),
            real_name: get("real_name"),
            ..Self::default()
        }
    }

    /// The API's request: the amount in yuan parsed as integers, like a price.
    pub(crate) fn request(&self) -> Result<WithdrawalRequest, Error> {
        Ok(WithdrawalRequest {
            amount_fen: parse_yuan("amount", &self.amount)?,
            method: self.method.clone(),
            account: self.account.clone(),
            real_name: self.real_name.clone(),
        })
    }

    /// The draft with the error beside its field; `Err` for errors that
    /// belong to no field (not found, forbidden, …), shown as an error page.
    pub(crate) fn with_error(mut self, e: AppError, wallet_fen: i64) -> Result<Self, AppError> {
        let (field, message) = match &e {
            AppError::Core(Error::Invalid { field, .. }) => {
                let f = if *field == "amount_fen" { "amount" } else { field };
                (f, e.message())
            }
            AppError::Core(Error::AmountOutOfRange { .. } | Error::DailyLimit { .. }) => ("amount", e.message()),
            AppError::Core(Error::InsufficientFunds) => {
                ("amount", format!("可提现余额不足：最多可提现 {}，未扣款。", fmt_fen(wallet_fen)))
            }
            _ => return Err(e),
        };
        self.error_field = field.to_owned();
        self.error = message;
        Ok(self)
    }

    pub(crate) fn has_error(&self) -> bool {
        !self.error.is_empty()
    }

    pub(crate) fn error_for(&self, name: &str) -> &str {
        if self.error_field == name { &self.error } else { "" }
    }

    pub(crate) fn methods(&self) -> Vec<(&'static str, &'static str, bool)> {
        Method::ALL.iter().map(|m| (m.as_str(), m.label(), m.as_str() == self.method)).collect()
    }
}

/// A withdrawal as a row of a table.
pub(crate) struct WithdrawalRow {
    pub(crate) id: i64,
    pub(crate) wallet: String,
    pub(crate) amount: String,
    pub(crate) fee: String,
    pub(crate) net: String,
    pub(crate) method: String,
    pub(crate) account_masked: String,
    pub(crate) state: String,
    pub(crate) state_label: String,
    pub(crate) note: String,
    pub(crate) requested_at: String,
}

pub(crate) fn withdrawal_row(w: &WithdrawalView) -> WithdrawalRow {
    let wallet = match Wallet::parse_key(&w.wallet) {
        Some(Wallet::Shop(s)) => format!("店铺 {s}"),
        Some(Wallet::User(u)) => format!("用户 {u}"),
        None => w.wallet.clone(),
    };
    let note = match (&w.transfer_ref, &w.reason) {
        (Some(r), _) => format!("流水号 {r}"),
        (_, Some(r)) => format!("原因：{r}"),
        _ => String::new(),
    };
    WithdrawalRow {
        id: w.id,
        wallet,
        amount: fmt_fen(w.amount_fen),
        fee: fmt_fen(w.fee_fen),
        net: fmt_fen(w.net_fen),
        method: w.method_label.clone(),
        account_masked: w.account_masked.clone(),
        state: w.state.clone(),
        state_label: w.state_label.clone(),
        note,
        requested_at: fmt_time(youying_core::Timestamp::from_millis(w.requested_at)),
    }
}

/// The limits in force, said plainly beside the form.
pub(crate) async fn limits_hint<S: Store>(app: &App<S>) -> Result<String, AppError> {
    let r = app.store.read(|tx| rules::in_force(tx)).await?;
    let bp = r.get(Rule::WithdrawFeeBp);
    Ok(format!(
        "单笔至少 {}，手续费 {}.{:02}%（打款时扣除），每个钱包 24 小时内最多 {}。",
        fmt_fen(r.get(Rule::WithdrawMinFen)),
        bp / 100,
        bp % 100,
        fmt_fen(r.get(Rule::WithdrawDailyFen))
    ))
}

#[derive(Template)]
#[template(path = "shop_funds.html")]
struct FundsPage<'a> {
    page: &'a Layout,
    shop_id: i64,
    shop_name: String,
    funds: Vec<(&'static str, String, &'static str)>,
    withdrawals: Vec<WithdrawalRow>,
    lines: Vec<LineRow>,
    draft: WithdrawDraft,
    hint: String,
    withdraw_action: String,
}

fn figures(f: &ShopFunds) -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("已结算销售额", fmt_fen(f.sales_fen), "sales"),
        ("平台服务费", fmt_fen(f.fee_fen), "fee"),
        ("保障基金", fmt_fen(f.fund_fen), "fund"),
        ("结算入账", fmt_fen(f.income_fen), "income"),
        ("售后退款", fmt_fen(f.refunds_fen), "refunds"),
        ("担保中（未结算订单）", fmt_fen(f.escrow_fen), "escrow"),
        ("钱包余额（可提现）", fmt_fen(f.wallet_fen), "withdrawable"),
        ("提现审核中", fmt_fen(f.pending_fen), "pending"),
        ("已打款", fmt_fen(f.paid_out_fen), "paid-out"),
    ]
}

async fn funds_page<S: Store>(app: &App<S>, page: &Page, id: i64, draft: WithdrawDraft) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let shop = ShopId(id);
    let (funds, list) = withdrawals::shop_funds(app, &user, shop).await.map_err(|e| page.error(e.into()))?;
    let (name, lines) = app
        .store
        .read(move |tx| {
            let name = tx.shop(shop)?.map(|s| s.name).unwrap_or_default();
            Ok((name, tx.statement(Account::ShopWallet(shop), 100)?))
        })
        .await
        .map_err(|e| page.error(e.into()))?;
    let hint = limits_hint(app).await.map_err(|e| page.error(e))?;
    let status = if draft.has_error() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let t = FundsPage {
        page: &page.layout,
        shop_id: id,
        shop_name: name,
        funds: figures(&funds),
        withdrawals: list.iter().map(withdrawal_row).collect(),
        lines: lines.into_iter().map(row).collect(),
        draft,
        hint,
        withdraw_action: format!("/merchant/shops/{id}/withdrawals"),
    };
    Ok(render(status, &page.layout, &t))
}

fn flashed(page: Page, q: &[(String, String)]) -> Page {
    if field(q, "requested").is_empty() {
        page
    } else {
        Page {
            layout: page.layout.clone().with_flash("提现申请已提交，金额已从钱包转入提现审核中，等待平台打款。"),
            ..page
        }
    }
}

pub async fn funds<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    funds_page(&app, &flashed(page, &q), id, WithdrawDraft::fresh()).await
}

/// 申请提现 for a shop (its owner).
pub async fn request_for_shop<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let draft = WithdrawDraft::from_form(&f);
    let wallet = Wallet::Shop(ShopId(id));
    let result = match draft.request() {
        Ok(req) => withdrawals::request(&app, user, wallet, &req).await.map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(w) => Ok(see_other(&format!("/merchant/shops/{id}/funds?requested={}", w.id))),
        Err(e) => {
            let balance = app.store.read(move |tx| tx.balance(wallet.account())).await.unwrap_or(0);
            let draft = draft.with_error(e, balance).map_err(|e| page.error(e))?;
            funds_page(&app, &page, id, draft).await
        }
    }
}

#[derive(Template)]
#[template(path = "withdrawals_queue.html")]
struct QueuePage<'a> {
    page: &'a Layout,
    rows: Vec<WithdrawalRow>,
}

pub async fn queue<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let list = withdrawals::for_staff(&app, &user).await.map_err(|e| page.error(e.into()))?;
    let decided = field(&q, "decided");
    let page = if decided.is_empty() {
        page
    } else {
        Page { layout: page.layout.clone().with_flash(format!("提现 #{decided} 已处理。")), ..page }
    };
    let t = QueuePage { page: &page.layout, rows: list.iter().map(withdrawal_row).collect() };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

#[derive(Template)]
#[template(path = "withdrawal_decide.html")]
struct DecidePage<'a> {
    page: &'a Layout,
    w: WithdrawalRow,
    account: String,
    real_name: String,
    transfer_ref: String,
    reason: String,
    error_field: String,
    error: String,
}

impl DecidePage<'_> {
    fn error_for(&self, name: &str) -> &str {
        if self.error_field == name { &self.error } else { "" }
    }
}

async fn decide_page<S: Store>(
    app: &App<S>,
    page: &Page,
    id: i64,
    typed: &DecideRequest,
    error: Option<(&str, String)>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let d: WithdrawalDetail = withdrawals::detail(app, &user, id).await.map_err(|e| page.error(e.into()))?;
    let (error_field, error) = error.map_or_else(Default::default, |(f, m)| (f.to_owned(), m));
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let t = DecidePage {
        page: &page.layout,
        w: withdrawal_row(&d.view),
        account: d.account,
        real_name: d.real_name,
        transfer_ref: typed.transfer_ref.clone().unwrap_or_default(),
        reason: typed.reason.clone().unwrap_or_default(),
        error_field,
        error,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn show_one<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    decide_page(&app, &page, id, &DecideRequest::default(), None).await
}

pub async fn decide<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let req = DecideRequest {
        decision: field(&f, "decision").to_owned(),
        transfer_ref: Some(field(&f, "transfer_ref").to_owned()),
        reason: Some(field(&f, "reason").to_owned()),
    };
    match withdrawals::decide(&app, user, id, &req).await.map_err(AppError::from) {
        Ok(_) => Ok(see_other(&format!("/platform/withdrawals?decided={id}"))),
        Err(e @ AppError::Core(Error::Invalid { field, .. })) => {
            decide_page(&app, &page, id, &req, Some((field, e.message()))).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/merchant/shops/{id}/funds", routing::get(funds::<S>))
        .route("/merchant/shops/{id}/withdrawals", routing::post(request_for_shop::<S>))
        .route("/platform/withdrawals", routing::get(queue::<S>))
        .route("/platform/withdrawals/{id}", routing::get(show_one::<S>))
        .route("/platform/withdrawals/{id}/decide", routing::post(decide::<S>))
}
