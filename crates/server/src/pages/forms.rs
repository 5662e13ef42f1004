//! Small helpers the market pages share: money in and out of forms (integer
//! fen, never floats), query strings, and the form fields repeated across pages.

use youying_core::Error;
use youying_core::money::MAX_FEN;

/// `"12.34"` (also `12`, `12.3`, `¥12.34`) → 1234 fen, parsed as integers: a
/// float would turn 0.29 into 28 fen.
pub fn parse_yuan(field: &'static str, raw: &str) -> Result<i64, Error> {
    let bad = |reason| Error::Invalid { field, reason };
    let s = raw.trim().trim_start_matches(['¥', '￥']).trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 2 || whole.len() > 8 {
        return Err(bad("yuan_format"));
    }
    let yuan: i64 = whole.parse().map_err(|_| bad("yuan_format"))?;
    let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad("yuan_format"))?;
    let fen = yuan * 100 + cents;
    if fen > MAX_FEN {
        return Err(bad("range"));
    }
    Ok(fen)
}

/// An optional yuan field: empty is `None`.
pub fn parse_yuan_opt(field: &'static str, raw: &str) -> Result<Option<i64>, Error> {
    if raw.trim().is_empty() { Ok(None) } else { parse_yuan(field, raw).map(Some) }
}

/// 1234 → `"12.34"`, for prefilling a yuan input.
pub fn yuan_input(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

/// Percent-encodes a query-string value (everything but the unreserved set).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The value of the first field called `name` in a posted list of pairs.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

/// Every value posted under `name` (checkbox groups).
pub fn fields<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_parses_as_integers() {
        assert_eq!(parse_yuan("price", "12.34").unwrap(), 1234);
        assert_eq!(parse_yuan("price", "0.29").unwrap(), 29);
        assert_eq!(parse_yuan("price", "12.3").unwrap(), 1230);
        assert_eq!(parse_yuan("price", "12").unwrap(), 1200);
        assert_eq!(parse_yuan("price", " ¥98.00 ").unwrap(), 9800);
        assert_eq!(parse_yuan("price", "12.").unwrap(), 1200);
        for bad in ["", "-1", "1.234", "1,000", "abc", "1e3", ".5", "1.2.3", "99999999999"] {
            assert!(parse_yuan("price", bad).is_err(), "{bad}");
        }
        assert_eq!(parse_yuan_opt("price", "  ").unwrap(), None);
    }

    #[test]
    fn amounts_read_back() {
        assert_eq!(yuan_input(1234), "12.34");
        assert_eq!(yuan_input(5), "0.05");
        assert_eq!(urlencode("点卡 a&b"), "%E7%82%B9%E5%8D%A1%20a%26b");
    }
}
