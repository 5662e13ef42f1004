//! The gateway's notify (异步通知): parse its query string, then check it
//! against what we expect before anything is credited.
//!
//! A passing check is necessary, not sufficient: the adapter still asks the
//! query API before crediting (a correctly signed false "success" exists in
//! the wild), and credits once, in the transaction that settles the attempt.
//! The same signed parameters come back on `return_url` with the buyer's
//! browser, often first: checking them there may say "confirming", never credit.

use crate::error::{Error, Result};
use crate::money::yuan_to_fen;
use crate::params::Params;
use crate::sign::Credentials;
use crate::submit::OutTradeNo;

pub const TRADE_SUCCESS: &str = "TRADE_SUCCESS";

/// Parses a notify's query string (or form body): URL-decoded, `+` as space,
/// a repeated key refused.
pub fn parse(query: &str) -> Result<Params> {
    Params::parse_query(query)
}

/// The `out_trade_no` a notify claims, to look the attempt up by before [`check`].
pub fn out_trade_no(params: &Params) -> Result<OutTradeNo> {
    OutTradeNo::parse(params.require("out_trade_no")?)
}

/// What the notify must match: the configured merchant and the attempt that
/// the notify's `out_trade_no` was looked up to.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub pid: &'a str,
    pub out_trade_no: &'a OutTradeNo,
    pub amount_fen: i64,
}

/// A notify that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidNotice {
    /// The gateway's own trade number.
    pub trade_no: String,
    pub out_trade_no: OutTradeNo,
    /// The channel paid through (`type`), if the gateway said.
    pub channel: Option<String>,
    pub amount_fen: i64,
    /// The `param` echoed back, if any.
    pub param: Option<String>,
}

/// Checks a notify: a valid signature over every field received, the
/// configured `pid`, the expected `out_trade_no`, `trade_status ==
/// TRADE_SUCCESS`, and `money` equal to the expected amount to the fen.
pub fn check(params: &Params, credentials: &Credentials, expected: &Expected<'_>) -> Result<PaidNotice> {
    credentials.verify(params)?;
    let pid = params.require("pid")?;
    if pid != expected.pid {
        return Err(Error::WrongPid { got: pid.to_owned() });
    }
    let out_trade_no = params.require("out_trade_no")?;
    if out_trade_no != expected.out_trade_no.as_str() {
        return Err(Error::WrongOrder { got: out_trade_no.to_owned() });
    }
    let status = params.require("trade_status")?;
    if status != TRADE_SUCCESS {
        return Err(Error::NotSuccess(status.to_owned()));
    }
    let got_fen = yuan_to_fen(params.require("money")?)?;
    if got_fen != expected.amount_fen {
        return Err(Error::AmountMismatch { expected_fen: expected.amount_fen, got_fen });
    }
    let optional = |key| params.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
    Ok(PaidNotice {
        trade_no: params.require("trade_no")?.to_owned(),
        out_trade_no: expected.out_trade_no.clone(),
        channel: optional("type"),
        amount_fen: got_fen,
        param: optional("param"),
    })
}
