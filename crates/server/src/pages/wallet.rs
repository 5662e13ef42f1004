//! The buyer's wallet: balance, statement, and in demo mode the faucet.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing;
use youying_core::money::Account;
use youying_core::orders::StatementLine;
use youying_core::ports::Store;

use super::layout::{Layout, Page, PageError, render};
use super::session::CsrfForm;
use crate::fmt::{fmt_fen, fmt_time};
use crate::i18n;
use crate::state::App;

struct LineRow {
    at: String,
    kind: &'static str,
    memo: String,
    /// The order the line belongs to, if any.
    order_no: Option<String>,
    amount: String,
    credit: bool,
}

fn row(l: StatementLine) -> LineRow {
    let kind = i18n::t(&format!("ledger.{}", l.kind));
    LineRow {
        at: fmt_time(l.at),
        kind: if kind.starts_with('（') { i18n::t("ledger.other") } else { kind },
        memo: l.memo,
        order_no: l.subject.strip_prefix("order:").map(str::to_owned),
        amount: if l.amount_fen > 0 { format!("+{}", fmt_fen(l.amount_fen)) } else { fmt_fen(l.amount_fen) },
        credit: l.amount_fen > 0,
    }
}

#[derive(Template)]
#[template(path = "wallet.html")]
struct WalletPage<'a> {
    page: &'a Layout,
    balance: String,
    lines: Vec<LineRow>,
    demo: bool,
}

async fn wallet_page<S: Store>(app: &App<S>, page: &Page) -> Result<Response, PageError> {
    let account = Account::UserWallet(page.require_viewer()?.user.id);
    let (balance, lines) = app
        .store
        .read(move |tx| Ok((tx.balance(account)?, tx.statement(account, 200)?)))
        .await
        .map_err(|e| page.error(e.into()))?;
    let t = WalletPage {
        page: &page.layout,
        balance: fmt_fen(balance),
        lines: lines.into_iter().map(row).collect(),
        demo: app.config.demo,
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

pub async fn show<S: Store>(State(app): State<App<S>>, page: Page) -> Result<Response, PageError> {
    wallet_page(&app, &page).await
}

/// 领取演示余额: the API's faucet, shown again with a note.
pub async fn faucet<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    page.check_csrf(&f.csrf)?;
    let user = page.require_viewer()?.user.clone();
    crate::app::wallet::faucet_credit(&app, &user).await.map_err(|e| page.error(e))?;
    let amount = fmt_fen(crate::app::wallet::FAUCET_FEN);
    let page = Page { layout: page.layout.clone().with_flash(format!("已领取演示余额 {amount}。")), ..page };
    wallet_page(&app, &page).await
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new().route("/wallet", routing::get(show::<S>)).route("/wallet/faucet", routing::post(faucet::<S>))
}
