//! Yuan at the edge: gateways speak decimal yuan strings ("12.50"); inside,
//! every amount is integer fen. Conversion is exact and never touches floats.

use crate::error::{Error, Result};

/// Formats fen as yuan with exactly two decimals: `1250` → `"12.50"`.
pub fn fen_to_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses a yuan amount exactly to the fen: `"12"`, `"12.5"`, `"12.50"`.
///
/// Refuses signs, exponents, whitespace, a bare or trailing dot, more than two
/// decimals, non-ASCII digits and anything that overflows `i64` fen.
pub fn yuan_to_fen(yuan: &str) -> Result<i64> {
    let malformed = |reason| Error::Malformed { field: "money", reason };
    let (whole, frac) = match yuan.split_once('.') {
        Some((whole, frac)) => (whole, Some(frac)),
        None => (yuan, None),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("not a decimal yuan amount"));
    }
    let frac = frac.unwrap_or("00");
    if frac.is_empty() || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("one or two decimals expected"));
    }
    let mut fen: i64 = 0;
    for b in whole.bytes() {
        fen = fen.checked_mul(10).and_then(|f| f.checked_add(i64::from(b - b'0'))).ok_or(malformed("overflow"))?;
    }
    let cents = frac.bytes().map(|b| i64::from(b - b'0')).fold(0, |acc, d| acc * 10 + d);
    let cents = if frac.len() == 1 { cents * 10 } else { cents };
    fen.checked_mul(100).and_then(|f| f.checked_add(cents)).ok_or(malformed("overflow"))
}
