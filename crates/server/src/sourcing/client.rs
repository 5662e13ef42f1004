//! The network side of 货源对接: a [`Supplier`] places and asks about orders
//! and answers in [`Answer`]s, so the order flow never sees HTTP. [`DockClient`]
//! speaks the Youying open API (`shared/DOCKING.md`); a direct-top-up supplier
//! that is not a Youying site plugs in as another `Supplier`.

use std::future::Future;

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use youying_dock::Signer;
use youying_dock::wire::{self, ErrorBody, PREFIX, PlaceOrder};

/// The largest answer read from an upstream.
const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// What an upstream said about one order.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Card keys or accounts, in the clear (sealed before they are stored).
    Delivered {
        upstream_order_no: String,
        units: Vec<wire::Unit>,
    },
    /// A top-up taken; it is being done upstream.
    Accepted {
        upstream_order_no: String,
    },
    Fulfilled {
        upstream_order_no: String,
        note: String,
    },
    Refunded {
        upstream_order_no: String,
    },
    /// Refused (409/422/404 to a POST): nothing was charged upstream.
    Refused {
        code: String,
        message: String,
        current_unit_price_fen: Option<i64>,
    },
    /// A query found no order under this number: it was never placed.
    NotFound,
    /// No answer, 5xx, a timeout, an answer not understood: the outcome is unknown.
    Unknown(String),
}

/// Places and asks about orders at one upstream, for one key.
pub trait Supplier: Send + Sync {
    fn place(&self, req: &PlaceOrder) -> impl Future<Output = Answer> + Send;
    fn query(&self, downstream_order_no: &str) -> impl Future<Output = Answer> + Send;
}

/// Why a connection check failed: what the merchant is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    /// No answer, or not the open API.
    Unreachable(String),
    /// The upstream did not accept the signature (wrong secret, clock skew).
    BadSignature,
    /// The key is unknown or disabled there.
    Unauthorized,
}

impl ConnectError {
    pub fn reason(&self) -> &'static str {
        match self {
            ConnectError::Unreachable(_) => "unreachable",
            ConnectError::BadSignature => "bad_signature",
            ConnectError::Unauthorized => "unauthorized",
        }
    }
}

/// A client of one upstream Youying site under one key.
#[derive(Debug, Clone)]
pub struct DockClient {
    http: reqwest::Client,
    base: String,
    signer: Signer,
    now_secs: i64,
}

/// An HTTP answer: status and body text.
pub(super) type Raw = std::result::Result<(StatusCode, Vec<u8>), String>;

impl DockClient {
    /// `now_secs` signs every request this client sends (the caller's clock).
    pub fn new(http: reqwest::Client, base_url: &str, signer: Signer, now_secs: i64) -> Self {
        Self { http, base: base_url.trim_end_matches('/').to_owned(), signer, now_secs }
    }

    pub(super) async fn send(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Raw {
        let url = format!("{}{PREFIX}{path}", self.base);
        let bytes = body.unwrap_or_default();
        let signed = self.signer.sign(method, &url, self.now_secs, &bytes);
        let mut req = match method {
            "POST" => self.http.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes),
            _ => self.http.get(&url),
        };
        for (name, value) in signed.headers() {
            req = req.header(name, value);
        }
        let mut resp = req.send().await.map_err(|e| format!("request failed: {}", e.without_url()))?;
        let status = resp.status();
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| format!("read failed: {}", e.without_url()))? {
            if out.len() + chunk.len() > MAX_ANSWER {
                return Err("answer too large".into());
            }
            out.extend_from_slice(&chunk);
        }
        Ok((status, out))
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> std::result::Result<T, String> {
        let (status, body) = self.send("GET", path, None).await?;
        if !status.is_success() {
            return Err(format!("HTTP {}: {}", status.as_u16(), error_code(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("answer not understood: {e}"))
    }

    /// `GET /ping`: who the key is there, its level and balance.
    pub async fn ping(&self) -> std::result::Result<wire::Ping, ConnectError> {
        let (status, body) = self.send("GET", "/ping", None).await.map_err(ConnectError::Unreachable)?;
        match status.as_u16() {
            200 => {
                serde_json::from_slice(&body).map_err(|_| ConnectError::Unreachable("not a Youying open API".into()))
            }
            401 | 403 => match error_code(&body).as_str() {
                "bad_signature" | "stale_timestamp" => Err(ConnectError::BadSignature),
                _ => Err(ConnectError::Unauthorized),
            },
            s => Err(ConnectError::Unreachable(format!("HTTP {s}"))),
        }
    }

    /// `GET /products`: the upstream's catalogue at this key's price.
    pub async fn products(&self) -> std::result::Result<Vec<wire::Product>, String> {
        self.get_json::<wire::ProductList>("/products").await.map(|l| l.products)
    }

    /// `GET /products/{id}`.
    pub async fn product(&self, id: i64) -> std::result::Result<wire::Product, String> {
        self.get_json(&format!("/products/{id}")).await
    }
}

fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body).map(|e| e.code).unwrap_or_else(|_| "no error body".into())
}

/// An order as the upstream shows it, in the flow's words.
pub fn answer_of(o: wire::Order) -> Answer {
    let no = o.order_no;
    let topup = o.kind == "direct_topup";
    match o.state.as_str() {
        "refunded" => Answer::Refunded { upstream_order_no: no },
        "awaiting_fulfilment" if topup => Answer::Accepted { upstream_order_no: no },
        "fulfilled" | "completed" | "disputed" if topup => {
            Answer::Fulfilled { upstream_order_no: no, note: o.fulfilment.map(|f| f.note).unwrap_or_default() }
        }
        "delivered" | "completed" | "disputed" if !topup && !o.units.is_empty() => {
            Answer::Delivered { upstream_order_no: no, units: o.units }
        }
        other => Answer::Unknown(format!("order state {other} with {} units", o.units.len())),
    }
}

fn answer_of_raw(raw: Raw, placing: bool) -> Answer {
    let (status, body) = match raw {
        Ok(r) => r,
        Err(e) => return Answer::Unknown(e),
    };
    if status.is_success() {
        return match serde_json::from_slice::<wire::Order>(&body) {
            Ok(o) => answer_of(o),
            Err(e) => Answer::Unknown(format!("answer not understood: {e}")),
        };
    }
    let err = serde_json::from_slice::<ErrorBody>(&body).ok();
    match (status.as_u16(), err) {
        (404, _) if !placing => Answer::NotFound,
        // Our body never changes for a number; a mismatch is not a refusal to act on.
        (422, Some(e)) if e.code == "idempotency_mismatch" => Answer::Unknown(e.code),
        (404 | 409 | 422, Some(e)) if placing => {
            Answer::Refused { code: e.code, message: e.message, current_unit_price_fen: e.current_unit_price_fen }
        }
        (s, e) => Answer::Unknown(format!("HTTP {s}: {}", e.map(|e| e.code).unwrap_or_default())),
    }
}

impl Supplier for DockClient {
    async fn place(&self, req: &PlaceOrder) -> Answer {
        let body = match serde_json::to_vec(req) {
            Ok(b) => b,
            Err(e) => return Answer::Unknown(e.to_string()),
        };
        answer_of_raw(self.send("POST", "/orders", Some(body)).await, true)
    }

    async fn query(&self, downstream_order_no: &str) -> Answer {
        answer_of_raw(self.send("GET", &format!("/orders/{downstream_order_no}"), None).await, false)
    }
}
