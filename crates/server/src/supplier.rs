//! The HTTP JSON adapter for direct-top-up suppliers: sends what
//! [`youying_dock::supplier`] builds and reads the answers into an
//! [`Outcome`]. A network error, a timeout, a 5xx or an unreadable answer is
//! `Unknown` — the order may have been taken, so it is asked about again,
//! never taken as failed. Call it with no database transaction open.
//! `try_place` / `try_query` keep "nothing heard" (a network error, a 5xx)
//! apart from a heard "still working": the order flow retries the first and
//! treats the second as taken (`sourcing::topup`).

use serde_json::Value;
use youying_dock::supplier::{Outcome, Supplier, SupplierError};

#[derive(Debug, Clone)]
pub struct HttpJsonSupplier {
    /// The supplier's API root, e.g. `https://api.supplier.example`.
    pub base_url: String,
    pub supplier: Supplier,
}

/// A refusal (nothing was taken) or what the supplier said about the order.
pub type Answer = Result<Outcome, Refusal>;

/// One top-up to place: our number (the supplier is idempotent on it), the
/// supplier's product code, how many, the account to top up, and where the
/// supplier calls back (empty: no callback, polling only).
#[derive(Debug, Clone, Copy)]
pub struct Topup<'a> {
    pub out_order_no: &'a str,
    pub sku: &'a str,
    pub quantity: i64,
    pub account: &'a str,
    pub notify_url: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: i64,
    pub message: String,
}

impl HttpJsonSupplier {
    pub fn new(base_url: &str, app_id: &str, secret: &str) -> Self {
        Self { base_url: base_url.trim_end_matches('/').to_owned(), supplier: Supplier::new(app_id, secret) }
    }

    /// One request. `Err` is "nothing heard": no answer, a 5xx, or a body
    /// that is not the protocol's JSON (the order may have been taken).
    async fn exchange(&self, http: &reqwest::Client, path: &str, body: &Value) -> Result<Heard, String> {
        let sent = http.post(format!("{}{path}", self.base_url)).json(body).send().await;
        let resp = sent.map_err(|e| format!("request failed: {}", e.without_url()))?;
        let status = resp.status();
        if status.is_server_error() {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        let answer =
            resp.json::<Value>().await.map_err(|_| format!("HTTP {}: answer not understood", status.as_u16()))?;
        let code = answer.get("code").and_then(Value::as_i64);
        if code.is_none_or(|c| (500..600).contains(&c)) {
            return Err(format!("HTTP {}: code {}", status.as_u16(), code.unwrap_or(-1)));
        }
        let order_no = answer.pointer("/data/order_no").and_then(Value::as_str).unwrap_or_default().to_owned();
        let answer = match Supplier::answer(&answer) {
            Ok(outcome) => Ok(outcome),
            Err(SupplierError::Refused { code, message }) => Err(Refusal { code, message }),
            Err(_) => Ok(Outcome::Unknown),
        };
        Ok(Heard { answer, order_no })
    }

    /// Places (or, with the same number, re-asks for) a top-up.
    pub async fn place(&self, http: &reqwest::Client, t: &Topup<'_>, now_secs: i64) -> Answer {
        self.try_place(http, t, now_secs).await.map_or(Ok(Outcome::Unknown), |h| h.answer)
    }

    pub async fn query(&self, http: &reqwest::Client, out_order_no: &str, now_secs: i64) -> Answer {
        self.try_query(http, out_order_no, now_secs).await.map_or(Ok(Outcome::Unknown), |h| h.answer)
    }

    /// [`Self::place`], telling "nothing heard" (`Err`) from a heard "still working".
    pub async fn try_place(&self, http: &reqwest::Client, t: &Topup<'_>, now_secs: i64) -> Result<Heard, String> {
        let body = self.supplier.create(t.out_order_no, t.sku, t.quantity, t.account, t.notify_url, now_secs);
        self.exchange(http, "/order/create", &body).await
    }

    /// [`Self::query`], telling "nothing heard" (`Err`) from a heard "still working".
    pub async fn try_query(&self, http: &reqwest::Client, out_order_no: &str, now_secs: i64) -> Result<Heard, String> {
        self.exchange(http, "/order/query", &self.supplier.query(out_order_no, now_secs)).await
    }
}

/// A signed, understood answer, with the supplier's order number when it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    pub answer: Answer,
    pub order_no: String,
}
