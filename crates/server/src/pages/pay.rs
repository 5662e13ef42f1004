//! Paying through a gateway, as people see it: a top-up's own page (sends the
//! buyer to the cashier, then shows 支付确认中 and refreshes itself until the
//! money is in), the address the gateway sends the browser back to, and the
//! platform's payments page where an admin settles one by hand.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing;
use youying_core::Error;
use youying_core::payments::AttemptState;
use youying_core::ports::Store;

use super::forms::field;
use super::layout::{Layout, Page, PageError, render, see_other};
use crate::app::pay::{self, ConfirmRequest, PaymentView};
use crate::auth::ClientIp;
use crate::error::AppError;
use crate::fmt::{fmt_fen, fmt_time};
use crate::state::App;

#[derive(Template)]
#[template(path = "topup_status.html")]
struct StatusPage<'a> {
    page: &'a Layout,
    p: PaymentView,
    amount: String,
    expires: String,
    /// Straight on to the cashier (the first visit after 充值).
    go: bool,
    checkout: bool,
    /// Why a paid checkout placed no order, in words.
    order_error: Option<String>,
}

pub async fn status<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let p = pay::get(&app, &user, id, &app.config.site_url(&headers)).await.map_err(|e| page.error(e.into()))?;
    let go = field(&q, "go") == "1" && p.pay_url.is_some();
    let order_error = p.order_error.as_deref().map(|code| match code {
        "out_of_stock" => "商品在您付款期间已售罄。".to_owned(),
        "shop_unavailable" => "店铺在您付款期间暂停了销售。".to_owned(),
        "insufficient_balance" => "余额不足以下单（付款期间商品涨价，或余额已用于其他订单）。".to_owned(),
        _ => "商品在您付款期间已下架或发生变化。".to_owned(),
    });
    let t = StatusPage {
        page: &page.layout,
        amount: fmt_fen(p.amount_fen),
        expires: fmt_time(youying_core::Timestamp::from_millis(p.expires_at)),
        checkout: p.purpose == "checkout",
        order_error,
        p,
        go,
    };
    Ok(render(StatusCode::OK, &page.layout, &t))
}

/// The gateway's `return_url`: never credits by itself (see `app::pay::returned`).
pub async fn returned<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(gateway): Path<String>,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let raw = query.unwrap_or_default();
    let attempt = pay::returned(&app, &gateway, ip, &raw).await.map_err(|e| page.error(e.into()))?;
    Ok(see_other(&attempt.map_or_else(|| "/wallet".to_owned(), |id| format!("/wallet/topups/{id}"))))
}

struct Row {
    p: PaymentView,
    amount: String,
    created: String,
    settleable: bool,
}

#[derive(Template)]
#[template(path = "platform_payments.html")]
struct PaymentsPage<'a> {
    page: &'a Layout,
    rows: Vec<Row>,
    state: String,
    /// The attempt whose confirmation failed, the error and what was typed.
    error_id: i64,
    error: String,
    trade_no: String,
    reason: String,
}

async fn payments_page<S: Store>(
    app: &App<S>,
    page: &Page,
    state: &str,
    failed: Option<(i64, String, String, String)>,
) -> Result<Response, PageError> {
    let user = page.require_viewer()?.user.clone();
    let filter = AttemptState::parse(state);
    let list = pay::list(app, &user, filter).await.map_err(|e| page.error(e.into()))?;
    let rows = list
        .into_iter()
        .map(|p| Row {
            amount: fmt_fen(p.amount_fen),
            created: fmt_time(youying_core::Timestamp::from_millis(p.created_at)),
            settleable: p.state != "paid",
            p,
        })
        .collect();
    let (error_id, error, trade_no, reason) = failed.unwrap_or_default();
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let t = PaymentsPage {
        page: &page.layout,
        rows,
        state: filter.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        error_id,
        error,
        trade_no,
        reason,
    };
    Ok(render(status, &page.layout, &t))
}

pub async fn list<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let confirmed = field(&q, "confirmed");
    let page = if confirmed.is_empty() {
        page
    } else {
        Page {
            layout: page.layout.clone().with_flash(format!("支付单 {confirmed} 已人工确认到账。")), ..page
        }
    };
    payments_page(&app, &page, field(&q, "state"), None).await
}

pub async fn confirm<S: Store>(
    State(app): State<App<S>>,
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page.check_csrf(field(&f, "_csrf"))?;
    let user = page.require_viewer()?.user.clone();
    let req = ConfirmRequest { trade_no: field(&f, "trade_no").to_owned(), reason: field(&f, "reason").to_owned() };
    let (trade_no, reason) = (req.trade_no.clone(), req.reason.clone());
    match pay::confirm(&app, user, id, req).await.map_err(AppError::from) {
        Ok(p) => Ok(see_other(&format!("/platform/payments?confirmed={}", p.out_trade_no))),
        Err(e @ AppError::Core(Error::Invalid { .. } | Error::Conflict(_))) => {
            payments_page(&app, &page, "", Some((id, e.message(), trade_no, reason))).await
        }
        Err(e) => Err(page.error(e)),
    }
}

/// A GET of the confirm form's address (a reloaded 422 page): the list it is on.
async fn back_to_list() -> Response {
    see_other("/platform/payments")
}

/// The routes of this feature; `pages::router` merges them.
pub(crate) fn router<S: Store>() -> Router<App<S>> {
    Router::new()
        .route("/wallet/topups/{id}", routing::get(status::<S>))
        .route("/pay/return/{gateway}", routing::get(returned::<S>))
        .route("/platform/payments", routing::get(list::<S>))
        .route("/platform/payments/{id}/confirm", routing::get(back_to_list).post(confirm::<S>))
}
