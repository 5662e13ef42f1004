//! The order query, as the panels answer it.
//!
//! - V1 `GET api.php?act=order&pid=&key=&trade_no=|out_trade_no=` (Blokura/Epay
//!   `api.php`): unsigned JSON, `code` 1 found, −1 no such order, −2 bad key,
//!   −3 unknown pid, −4 incomplete; `status` 1 paid, 0 unpaid.
//! - V2 `POST api/pay/query` with `pid`, `trade_no|out_trade_no`, `timestamp`,
//!   `sign`, `sign_type=RSA` (the V2 SDK's `queryOrder`): the request verified
//!   with the merchant public key, the answer (`code` 0) signed with the
//!   platform private key. The timestamp must be present but its freshness is
//!   not checked, so merchants on a fake clock can query.
//!
//! Scripted [`QueryFault`]s bend either answer.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use youying_epay::Params;
use youying_epay::money::fen_to_yuan;

use super::{FakeEpay, FakeOrder, QueryFault, panel_time};

fn answer(value: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json; charset=utf-8")], value.to_string()).into_response()
}

fn refusal(code: i64, msg: &str) -> Response {
    answer(json!({ "code": code, "msg": msg }))
}

fn unreachable_answer() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "text/html")], "<html>503 Service Unavailable</html>")
        .into_response()
}

/// `GET api.php?act=order…` (V1).
pub(super) async fn v1_query(State(fake): State<FakeEpay>, RawQuery(query): RawQuery) -> Response {
    let fault = fake.state().query_fault;
    if fault == QueryFault::Unreachable {
        return unreachable_answer();
    }
    let Ok(params) = Params::parse_query(&query.unwrap_or_default()) else {
        return refusal(-4, "参数不完整");
    };
    if params.get("act") != Some("order") {
        return refusal(-5, "No Act!");
    }
    if params.get("pid") != Some(fake.pid()) {
        return refusal(-3, "PID不存在");
    }
    // A plain comparison: this is a fake, and the key is a public test key.
    let key_ok = fake.inner.v1_key.as_deref().is_some_and(|key| params.get("key") == Some(key));
    if !key_ok || fault == QueryFault::BadSignature {
        return refusal(-2, "KEY校验失败");
    }
    let order = match fake.find(&params) {
        Ok(Some(order)) if fault != QueryFault::NotFound => order,
        Ok(_) => return refusal(-1, "订单号不存在"),
        Err(()) => return refusal(-4, "参数不完整"),
    };
    let mut fields = vec![("code", json!(1)), ("msg", json!("查询订单号成功！"))];
    fields.extend(order_fields(&order, fault, false));
    answer(Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

/// `POST api/pay/query` (V2), the form in the body.
pub(super) async fn v2_query(State(fake): State<FakeEpay>, body: String) -> Response {
    let fault = fake.state().query_fault;
    if !fake.is_v2() {
        return (StatusCode::NOT_FOUND, "not a V2 gateway").into_response();
    }
    if fault == QueryFault::Unreachable {
        return unreachable_answer();
    }
    let Ok(params) = Params::parse_query(&body) else {
        return refusal(-4, "参数重复或无法解析");
    };
    if params.get("pid") != Some(fake.pid()) {
        return refusal(-3, "商户不存在");
    }
    if fake.inner.creds.verify(&params).is_err() {
        return refusal(-2, "签名校验失败");
    }
    if params.get("timestamp").and_then(|t| t.parse::<i64>().ok()).is_none() {
        return refusal(-4, "时间戳(timestamp)不能为空");
    }
    let order = match fake.find(&params) {
        Ok(Some(order)) if fault != QueryFault::NotFound => order,
        Ok(_) => return refusal(-1, "订单号不存在"),
        Err(()) => return refusal(-4, "参数不完整"),
    };
    let now = fake.now();
    let mut fields = vec![("code", json!(0)), ("msg", json!("succ"))];
    fields.extend(order_fields(&order, fault, true));
    fields.push(("timestamp", json!(now.secs().to_string())));
    match fake.sign_answer(fields, fault == QueryFault::BadSignature) {
        Some(object) => answer(Value::Object(object)),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "signing failed").into_response(),
    }
}

impl FakeEpay {
    /// The order a query names: by `trade_no` first, as the panel looks; `Err`
    /// when it names none.
    fn find(&self, params: &Params) -> Result<Option<FakeOrder>, ()> {
        let state = self.state();
        let found = if let Some(trade_no) = params.get("trade_no").filter(|v| !v.is_empty()) {
            state.orders.iter().find(|o| o.trade_no == trade_no)
        } else if let Some(no) = params.get("out_trade_no").filter(|v| !v.is_empty()) {
            state.orders.iter().find(|o| o.out_trade_no == no)
        } else {
            return Err(());
        };
        Ok(found.cloned())
    }

    /// The answer as a JSON object signed over its scalar fields as text (the
    /// way `youying_epay::query::parse_answer` and the PHP SDK read them);
    /// `forge` signs other content, so the signature does not verify.
    fn sign_answer(&self, fields: Vec<(&str, Value)>, forge: bool) -> Option<Map<String, Value>> {
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let mut signed: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), text(v))).collect();
        if forge {
            signed.push(("forged".to_owned(), "1".to_owned()));
        }
        let params = self.sign(signed)?;
        let mut object: Map<String, Value> = fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        object.insert("sign".to_owned(), json!(params.get("sign")?));
        object.insert("sign_type".to_owned(), json!(params.get("sign_type")?));
        Some(object)
    }
}

/// The order as the query tells it, bent by `fault`.
fn order_fields(order: &FakeOrder, fault: QueryFault, v2: bool) -> Vec<(&'static str, Value)> {
    let paid = order.paid.filter(|_| fault != QueryFault::SaysUnpaid);
    let money = match fault {
        QueryFault::WrongMoney(fen) => fen,
        _ => order.amount_fen,
    };
    let mut fields = vec![
        ("trade_no", json!(order.trade_no)),
        ("out_trade_no", json!(order.out_trade_no)),
        ("type", json!(order.channel)),
        ("pid", json!(order.pid)),
        ("addtime", json!(panel_time(order.created))),
        ("endtime", paid.map_or(Value::Null, |t| json!(panel_time(t)))),
        ("name", json!(order.name)),
        ("money", json!(fen_to_yuan(money))),
        ("status", json!(i64::from(paid.is_some()))),
    ];
    if v2 {
        fields.push(("api_trade_no", json!(order.api_trade_no)));
        fields.push(("param", json!(order.param.clone().unwrap_or_default())));
        fields.push(("buyer", json!(if paid.is_some() { "buyer***@fakepay.test" } else { "" })));
    }
    fields
}
