//! The parameters of a request or a notify, in the order they came, and the
//! string every 易支付 signature covers.
//!
//! An ordered list rather than a map, so nothing is lost silently: a notify is
//! verified over every field received (gateways add fields), and a key that
//! arrives twice is refused, because which of its values was signed is unknown.

use crate::error::{Error, Result};

/// Keys the signature never covers.
const UNSIGNED: [&str; 2] = ["sign", "sign_type"];

/// An ordered list of `(key, value)` with unique keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds from pairs; a repeated key is [`Error::Duplicate`].
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self> {
        let mut params = Self::new();
        for (k, v) in pairs {
            params.push(k, v)?;
        }
        Ok(params)
    }

    /// Parses a query string or form body: URL-decoded, `+` as a space.
    pub fn parse_query(query: &str) -> Result<Self> {
        let query = query.strip_prefix('?').unwrap_or(query);
        Self::from_pairs(form_urlencoded::parse(query.as_bytes()))
    }

    /// Appends a pair; a key already present is [`Error::Duplicate`].
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<String>) -> Result<()> {
        let key = key.into();
        if self.get(&key).is_some() {
            return Err(Error::Duplicate(key));
        }
        self.0.push((key, value.into()));
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of a field that must be present and non-empty.
    pub fn require(&self, key: &'static str) -> Result<&str> {
        self.get(key).filter(|v| !v.is_empty()).ok_or(Error::Missing(key))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The string to sign: every pair except `sign`, `sign_type` and empty
    /// values, sorted by key in byte order, joined `k=v&k=v` with raw values.
    ///
    /// The Epay panel sorts with PHP's `ksort`, which equals byte order for the
    /// protocol's (non-numeric) keys.
    pub fn signing_string(&self) -> String {
        let mut signed: Vec<_> = self.iter().filter(|(k, v)| !v.is_empty() && !UNSIGNED.contains(k)).collect();
        signed.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let pairs: Vec<String> = signed.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join("&")
    }

    /// The pairs as `application/x-www-form-urlencoded` (as PHP's `$_GET` and
    /// `$_POST` decode it), in their order: a query string or a form body.
    pub fn to_query(&self) -> String {
        form_urlencoded::Serializer::new(String::new()).extend_pairs(self.iter()).finish()
    }
}
