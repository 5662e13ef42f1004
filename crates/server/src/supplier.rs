//! The HTTP JSON adapter for direct-top-up suppliers: sends what
//! [`youying_dock::supplier`] builds and reads the answers into an
//! [`Outcome`]. A network error, a timeout, a 5xx or an unreadable answer is
//! `Unknown` — the order may have been taken, so it is asked about again,
//! never taken as failed. Call it with no database transaction open.

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

    async fn send(&self, http: &reqwest::Client, path: &str, body: &Value) -> Answer {
        let sent = http.post(format!("{}{path}", self.base_url)).json(body).send().await;
        let Ok(resp) = sent else { return Ok(Outcome::Unknown) };
        if resp.status().is_server_error() {
            return Ok(Outcome::Unknown);
        }
        let Ok(answer) = resp.json::<Value>().await else { return Ok(Outcome::Unknown) };
        match Supplier::answer(&answer) {
            Ok(outcome) => Ok(outcome),
            Err(SupplierError::Refused { code, message }) => Err(Refusal { code, message }),
            Err(_) => Ok(Outcome::Unknown),
        }
    }

    /// Places (or, with the same number, re-asks for) a top-up.
    pub async fn place(&self, http: &reqwest::Client, t: &Topup<'_>, now_secs: i64) -> Answer {
        let body = self.supplier.create(t.out_order_no, t.sku, t.quantity, t.account, t.notify_url, now_secs);
        self.send(http, "/order/create", &body).await
    }

    pub async fn query(&self, http: &reqwest::Client, out_order_no: &str, now_secs: i64) -> Answer {
        self.send(http, "/order/query", &self.supplier.query(out_order_no, now_secs)).await
    }
}
