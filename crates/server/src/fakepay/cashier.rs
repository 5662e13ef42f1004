//! The browser side: `submit.php` checks the signed order and shows the
//! cashier; its two buttons pay (notify, then back to `return_url`) or fail.
//!
//! Links are relative (`cashier/{trade_no}/pay` from `submit.php`), so the
//! router works wherever it is mounted. No CSRF token: this is a stand-in for
//! a gateway outside Youying, and paying is only ever a POST.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use youying_epay::money::{fen_to_yuan, yuan_to_fen};
use youying_epay::{OutTradeNo, Params};

use super::notify::join_query;
use super::{FakeEpay, FakeOrder, panel_time};

#[derive(Template)]
#[template(path = "fakepay_cashier.html")]
struct Cashier<'a> {
    order: &'a FakeOrder,
    money: String,
    channel: &'static str,
}

#[derive(Template)]
#[template(path = "fakepay_result.html")]
struct Outcome<'a> {
    title: &'a str,
    message: &'a str,
    back: Option<&'a str>,
}

fn page<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "fakepay template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template failed").into_response()
        }
    }
}

fn refuse(message: &str) -> Response {
    page(StatusCode::BAD_REQUEST, &Outcome { title: "支付请求错误", message, back: None })
}

/// The label a channel reads as; `None` for one the fake does not offer.
fn channel_label(channel: &str) -> Option<&'static str> {
    match channel {
        "alipay" => Some("支付宝"),
        "wxpay" => Some("微信支付"),
        "qqpay" => Some("QQ钱包"),
        _ => None,
    }
}

/// `GET|POST submit.php`: the fields come in the query (GET) or the form body (POST).
pub(super) async fn submit(
    State(fake): State<FakeEpay>,
    method: Method,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let raw = if method == Method::POST { body } else { query.unwrap_or_default() };
    let params = match Params::parse_query(&raw) {
        Ok(params) => params,
        Err(_) => return refuse("参数重复或无法解析"),
    };
    match fake.accept(&params) {
        Ok(order) => {
            let channel = channel_label(&order.channel).unwrap_or("收银台");
            page(StatusCode::OK, &Cashier { money: fen_to_yuan(order.amount_fen), channel, order: &order })
        }
        Err(message) => refuse(message),
    }
}

impl FakeEpay {
    /// Checks a submitted order as the panel does and records it, or finds the
    /// same order submitted before; the `Err` is the message the panel shows.
    fn accept(&self, params: &Params) -> Result<FakeOrder, &'static str> {
        let field = |key| params.get(key).filter(|v| !v.is_empty());
        if field("pid") != Some(self.pid()) {
            return Err("商户不存在！");
        }
        // Over every field received, as the panel verifies.
        if self.inner.creds.verify(params).is_err() {
            return Err("签名校验失败，请返回重试！");
        }
        let out_trade_no = field("out_trade_no").ok_or("订单号(out_trade_no)不能为空")?;
        let notify_url = field("notify_url").ok_or("通知地址(notify_url)不能为空")?;
        let return_url = field("return_url").ok_or("回调地址(return_url)不能为空")?;
        // The panel takes any text; the fake insists on http(s) so its 返回商户 link is never `javascript:`.
        if ![notify_url, return_url].iter().all(|u| u.starts_with("http://") || u.starts_with("https://")) {
            return Err("通知地址或回调地址不合法");
        }
        let name = field("name").ok_or("商品名称(name)不能为空")?;
        let money = field("money").ok_or("金额(money)不能为空")?;
        let amount_fen = yuan_to_fen(money).ok().filter(|f| *f > 0).ok_or("金额不合法")?;
        OutTradeNo::parse(out_trade_no).map_err(|_| "订单号(out_trade_no)格式不正确")?;
        let channel = field("type").unwrap_or_default();
        if !channel.is_empty() && channel_label(channel).is_none() {
            return Err("支付方式(type)不存在");
        }
        let mut state = self.state();
        if let Some(existing) = state.orders.iter().find(|o| o.out_trade_no == out_trade_no) {
            return if existing.amount_fen == amount_fen {
                Ok(existing.clone())
            } else {
                Err("订单号已存在，金额不同")
            };
        }
        let now = state.clock.now();
        state.seq += 1;
        let digits: String = panel_time(now).chars().filter(char::is_ascii_digit).collect();
        let trade_no = format!("{digits}{:05}", 10_000 + state.seq % 90_000);
        let order = FakeOrder {
            api_trade_no: format!("4200{trade_no}"),
            trade_no,
            out_trade_no: out_trade_no.to_owned(),
            pid: self.pid().to_owned(),
            channel: channel.to_owned(),
            name: name.to_owned(),
            amount_fen,
            notify_url: notify_url.to_owned(),
            return_url: return_url.to_owned(),
            param: field("param").map(str::to_owned),
            created: now,
            paid: None,
            notified: false,
        };
        state.orders.push(order.clone());
        Ok(order)
    }
}

/// `POST cashier/{trade_no}/pay`: paid, notified, then back to `return_url`
/// with the notify's signed parameters.
pub(super) async fn pay(State(fake): State<FakeEpay>, Path(trade_no): Path<String>) -> Response {
    let Some(order) = fake.order_by_trade_no(&trade_no) else {
        return page(StatusCode::NOT_FOUND, &Outcome { title: "订单不存在", message: "订单不存在", back: None });
    };
    fake.pay(&order.out_trade_no).await;
    let Some(query) = fake.notify_query(&order.out_trade_no) else {
        return refuse("订单不存在");
    };
    let location = join_query(&order.return_url, &query);
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// `POST cashier/{trade_no}/fail`: 支付失败, no notify, the order stays unpaid.
pub(super) async fn fail(State(fake): State<FakeEpay>, Path(trade_no): Path<String>) -> Response {
    let Some(order) = fake.order_by_trade_no(&trade_no) else {
        return page(StatusCode::NOT_FOUND, &Outcome { title: "订单不存在", message: "订单不存在", back: None });
    };
    let message = "支付未完成，订单仍未支付。";
    page(StatusCode::OK, &Outcome { title: "支付失败", message, back: Some(&order.return_url) })
}
