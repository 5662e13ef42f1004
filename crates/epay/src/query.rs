//! The order query: `GET {base}/api.php?act=order&pid=…&key=…&out_trade_no=…`
//! and its JSON answer. The adapter asks it before crediting a notify, and the
//! reconciliation job asks it for attempts no notify settled.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::money::yuan_to_fen;
use crate::params::Params;
use crate::sign::{Credentials, Md5Key};
use crate::submit::{BaseUrl, OutTradeNo};

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
/// A `code: 1` answer must be about the order asked for (and, when it names
/// one, the configured `pid`); with V2 credentials it must also carry a valid
/// signature over every scalar field, since it is what money is credited on.
pub fn parse_answer(body: &str, credentials: &Credentials, pid: &str, expected: &OutTradeNo) -> Result<QueryAnswer> {
    let malformed = |reason| Error::Malformed { field: "query answer", reason };
    let value: Value = serde_json::from_str(body).map_err(|_| malformed("not JSON"))?;
    let object = value.as_object().ok_or(malformed("not a JSON object"))?;
    let fields = scalar_params(object)?;
    let code = integer(&fields, "code")?;
    if code != 1 {
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
