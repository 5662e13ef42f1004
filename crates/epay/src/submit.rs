//! The browser pay URL: `{base}/submit.php?…` carrying every signed parameter.
//! The signature covers the raw values; the URL carries them encoded.

use crate::error::{Error, Result};
use crate::money::fen_to_yuan;
use crate::params::Params;
use crate::sign::Credentials;

/// A merchant order number as gateways accept it: `[A-Za-z0-9._|-]+`, at most
/// 64 characters. Unique per payment *attempt*: some gateways refuse a reused one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OutTradeNo(String);

impl OutTradeNo {
    pub const MAX_LEN: usize = 64;

    pub fn parse(text: &str) -> Result<Self> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'|' | b'-');
        if text.is_empty() || text.len() > Self::MAX_LEN || !text.bytes().all(allowed) {
            return Err(Error::Malformed { field: "out_trade_no", reason: "[A-Za-z0-9._|-]{1,64} expected" });
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A gateway's base URL: `http(s)://host[/path]`, no query, no fragment, no
/// trailing slash (so `{base}/submit.php` is always well formed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |reason| Error::Malformed { field: "base_url", reason };
        let trimmed = text.trim_end_matches('/');
        let rest = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
        let rest = rest.ok_or(bad("http:// or https:// expected"))?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() || host.starts_with(':') || host.contains('@') {
            return Err(bad("a host expected"));
        }
        if !trimmed.bytes().all(|b| b.is_ascii_graphic()) || trimmed.contains(['?', '#']) {
            return Err(bad("no spaces, query or fragment allowed"));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{base}/{script}?{query}`.
    pub(crate) fn endpoint(&self, script: &str, query: &str) -> String {
        format!("{}/{script}?{query}", self.0)
    }
}

/// What one pay attempt asks the gateway for.
#[derive(Debug, Clone)]
pub struct PayOrder<'a> {
    pub pid: &'a str,
    /// The channel (`alipay`, `wxpay`, `qqpay` …); empty lets the gateway's cashier choose.
    pub channel: &'a str,
    pub out_trade_no: &'a OutTradeNo,
    pub notify_url: &'a str,
    pub return_url: &'a str,
    pub name: &'a str,
    pub amount_fen: i64,
    pub sitename: Option<&'a str>,
    /// Echoed back in the notify.
    pub param: Option<&'a str>,
}

impl PayOrder<'_> {
    /// The signed parameters, `sign` and `sign_type` last.
    pub fn signed_params(&self, credentials: &Credentials) -> Result<Params> {
        if self.amount_fen <= 0 {
            return Err(Error::Malformed { field: "money", reason: "must be positive" });
        }
        for (field, url) in [("notify_url", self.notify_url), ("return_url", self.return_url)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::Malformed { field, reason: "http:// or https:// expected" });
            }
        }
        if self.pid.is_empty() {
            return Err(Error::Missing("pid"));
        }
        if self.name.is_empty() {
            return Err(Error::Missing("name"));
        }
        let money = fen_to_yuan(self.amount_fen);
        let fields = [
            ("pid", self.pid),
            ("type", self.channel),
            ("out_trade_no", self.out_trade_no.as_str()),
            ("notify_url", self.notify_url),
            ("return_url", self.return_url),
            ("name", self.name),
            ("money", money.as_str()),
            ("sitename", self.sitename.unwrap_or_default()),
            ("param", self.param.unwrap_or_default()),
        ];
        // Empty values are outside the signature; leaving them out of the URL too
        // keeps what is sent and what is signed the same set.
        let mut params = Params::from_pairs(fields.into_iter().filter(|(_, v)| !v.is_empty()))?;
        let sign = credentials.sign(&params)?;
        params.push("sign", sign)?;
        params.push("sign_type", credentials.sign_type())?;
        Ok(params)
    }

    /// The browser URL `{base}/submit.php?…`, every value URL-encoded.
    pub fn pay_url(&self, base: &BaseUrl, credentials: &Credentials) -> Result<String> {
        let params = self.signed_params(credentials)?;
        Ok(base.endpoint("submit.php", &encode(&params)))
    }
}

/// `application/x-www-form-urlencoded`, as PHP's `$_GET` decodes it.
pub(crate) fn encode(params: &Params) -> String {
    params.to_query()
}
