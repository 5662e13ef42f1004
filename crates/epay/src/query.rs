//! The order query and its JSON answer. The adapter asks it before crediting a
//! notify, and the reconciliation job asks it for attempts no notify settled.
//!
//! - V1: `GET {base}/api.php?act=order&pid=…&key=…&out_trade_no=…`, the
//!   merchant key in the URL; the answer is unsigned, `code: 1` on success.
//! - V2: `POST {base}/api/pay/query` with `pid`, `out_trade_no`, `timestamp`,
//!   `sign`, `sign_type=RSA` (signed by the merchant key); the answer is signed
//!   by the platform key, `code: 0` on success.
//!
//! [`QueryCall`] builds either from the configured [`Credentials`];
//! [`parse_answer`] reads either.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::money::yuan_to_fen;
use crate::params::Params;
use crate::sign::{Credentials, Md5Key};
use crate::submit::{BaseUrl, OutTradeNo, encode};

/// One order query. `Debug` never shows the key.
#[derive(Debug, Clone, Copy)]
pub struct QueryRequest<'a> {
    pub pid: &'a str,
    /// The merchant key: the query API authenticates by sending it in the URL.
    pub key: &'a Md5Key,
    pub out_trade_no: &'a OutTradeNo,
}

impl QueryRequest<'_> {
    pub fn url(&self, base: &BaseUrl) -> QueryUrl {
        let with_key = |key: &str| {
            let params =
                [("act", "order"), ("pid", self.pid), ("key", key), ("out_trade_no", self.out_trade_no.as_str())];
            let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
            base.endpoint("api.php", &query)
        };
        QueryUrl { url: with_key(self.key.expose()), shown: with_key("REDACTED") }
    }
}

/// The query URL. It carries the merchant key, so `Debug` shows it redacted and
/// the real URL is only reachable through [`QueryUrl::expose`].
#[derive(Clone)]
pub struct QueryUrl {
    url: String,
    shown: String,
}

impl QueryUrl {
    /// The URL to request. Do not log it.
    pub fn expose(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for QueryUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("QueryUrl").field(&self.shown).finish()
    }
}

/// The HTTP method a [`QueryCall`] is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryMethod {
    /// V1: everything in the URL, no body.
    Get,
    /// V2: a form body (`application/x-www-form-urlencoded`).
    Post,
}

/// One order query for either scheme, ready to send: the adapter sends
/// [`QueryCall::method`] to [`QueryCall::url`] with [`QueryCall::form_body`]
/// (if any) and hands the answer to [`parse_answer`].
///
/// The V1 URL carries the merchant key, so `Debug` shows it redacted; the V2
/// form carries a signature, not a secret.
#[derive(Clone)]
pub struct QueryCall {
    method: QueryMethod,
    url: QueryUrl,
    form: Option<Params>,
}

impl QueryCall {
    /// The query for `out_trade_no`. `timestamp_secs` (seconds since the
    /// epoch, from the caller's clock: this crate never reads one) is signed
    /// into the V2 request and unused by V1.
    pub fn new(
        base: &BaseUrl,
        pid: &str,
        credentials: &Credentials,
        out_trade_no: &OutTradeNo,
        timestamp_secs: i64,
    ) -> Result<Self> {
        if pid.is_empty() {
            return Err(Error::Missing("pid"));
        }
        match credentials {
            Credentials::V1 { key } => {
                let url = QueryRequest { pid, key, out_trade_no }.url(base);
                Ok(Self { method: QueryMethod::Get, url, form: None })
            }
            Credentials::V2 { .. } => {
                let timestamp = timestamp_secs.to_string();
                let mut form = Params::from_pairs([
                    ("pid", pid),
                    ("out_trade_no", out_trade_no.as_str()),
                    ("timestamp", timestamp.as_str()),
                ])?;
                let sign = credentials.sign(&form)?;
                form.push("sign", sign)?;
                form.push("sign_type", credentials.sign_type())?;
                let url = format!("{}/api/pay/query", base.as_str());
                Ok(Self { method: QueryMethod::Post, url: QueryUrl { shown: url.clone(), url }, form: Some(form) })
            }
        }
    }

    pub fn method(&self) -> QueryMethod {
        self.method
    }

    /// The URL to request. For V1 it carries the merchant key: do not log it.
    pub fn url(&self) -> &str {
        self.url.expose()
    }

    /// The signed form fields (V2), `None` for V1.
    pub fn form(&self) -> Option<&Params> {
        self.form.as_ref()
    }

    /// The form URL-encoded as the request body (V2), `None` for V1.
    pub fn form_body(&self) -> Option<String> {
        self.form.as_ref().map(encode)
    }
}

impl fmt::Debug for QueryCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryCall")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("form", &self.form)
            .finish()
    }
}

/// What the gateway says about one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryAnswer {
    Paid {
        trade_no: String,
        amount_fen: i64,
    },
    Unpaid,
    /// Known but in another state (the Epay panel: `2` refunded, `3` frozen, …):
    /// not paid now, never to be credited.
    Other {
        status: i64,
    },
    /// `code: -1`: the gateway knows no such order.
    NotFound,
    /// Any other refusal (`-2`/`-3` bad key or unknown pid, `-4` bad request, …),
    /// with the gateway's message.
    Refused {
        code: i64,
        msg: String,
    },
}

/// Parses the JSON answer to a query for `expected`.
///
/// Success is `code: 1` for V1 and `code: 0` for V2 (the V2 panel and its SDK);
/// a V2 answer saying `1` is read as success too, since some forks keep V1's
/// code and the signature and `status` still decide. `-1` is "no such order",
/// any other code a refusal.
///
/// A successful answer must be about the order asked for (and, when it names
/// one, the configured `pid`); with V2 credentials it must also carry a valid
/// signature over every scalar field, since it is what money is credited on.
pub fn parse_answer(body: &str, credentials: &Credentials, pid: &str, expected: &OutTradeNo) -> Result<QueryAnswer> {
    let malformed = |reason| Error::Malformed { field: "query answer", reason };
    let value: Value = serde_json::from_str(body).map_err(|_| malformed("not JSON"))?;
    let object = value.as_object().ok_or(malformed("not a JSON object"))?;
    let fields = scalar_params(object)?;
    let code = integer(&fields, "code")?;
    let success = match credentials {
        Credentials::V1 { .. } => code == 1,
        Credentials::V2 { .. } => code == 0 || code == 1,
    };
    if !success {
        return Ok(match code {
            -1 => QueryAnswer::NotFound,
            _ => QueryAnswer::Refused { code, msg: fields.get("msg").unwrap_or_default().to_owned() },
        });
    }
    if matches!(credentials, Credentials::V2 { .. }) {
        credentials.verify(&fields)?;
    }
    if let Some(got) = fields.get("out_trade_no").filter(|got| *got != expected.as_str()) {
        return Err(Error::WrongOrder { got: got.to_owned() });
    }
    if let Some(got) = fields.get("pid").filter(|got| *got != pid) {
        return Err(Error::WrongPid { got: got.to_owned() });
    }
    match integer(&fields, "status")? {
        0 => Ok(QueryAnswer::Unpaid),
        1 => Ok(QueryAnswer::Paid {
            trade_no: fields.require("trade_no")?.to_owned(),
            amount_fen: yuan_to_fen(fields.require("money")?)?,
        }),
        status => Ok(QueryAnswer::Other { status }),
    }
}

/// The answer's scalar fields as text, as the gateway's PHP signed them
/// (`null` as empty, numbers as written); nested values are not signed.
fn scalar_params(object: &Map<String, Value>) -> Result<Params> {
    let scalar = |value: &Value| match value {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(if *b { "1" } else { "" }.to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(_) | Value::Object(_) => None,
    };
    Params::from_pairs(object.iter().filter_map(|(k, v)| scalar(v).map(|v| (k.clone(), v))))
}

/// A field PHP may send as a number or a numeric string.
fn integer(fields: &Params, key: &'static str) -> Result<i64> {
    fields.require(key)?.parse().map_err(|_| Error::Malformed { field: key, reason: "an integer expected" })
}
