//! The words of API keys: a key as stored and shown, and the link between an
//! order and the key (and caller's own number) it was placed under.

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::payments::model::Sealed;
use crate::values::{OrderId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiKeyId(pub i64);

/// A key id as callers send it: `yk_` and 24 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(s: &str) -> Result<Self> {
        let hex = s.strip_prefix("yk_").ok_or(Error::Invalid { field: "key_id", reason: "format" })?;
        if hex.len() != 24 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(Error::Invalid { field: "key_id", reason: "format" });
        }
        Ok(Self(s.to_owned()))
    }

    /// `yk_` + the hex of 12 random bytes the caller drew (the core has no randomness).
    pub fn from_random(bytes: [u8; 12]) -> Self {
        Self(format!("yk_{}", hex::encode(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key's display name, 1–40 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    pub fn parse(s: &str) -> Result<Self> {
        let s = s.trim();
        let n = s.chars().count();
        if n == 0 || n > 40 || s.chars().any(char::is_control) {
            return Err(Error::Invalid { field: "name", reason: "length_1_40" });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A key as stored. The secret is sealed by the server's master key; it is
/// the HMAC key, so it must be recoverable — see migration 0018.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub key_id: String,
    pub name: String,
    pub secret: Sealed,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    pub fn active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiKey {
    pub user_id: UserId,
    pub key_id: KeyId,
    pub name: KeyName,
    pub secret: Sealed,
    pub created_at: Timestamp,
}

/// An order placed through the open API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    pub order_id: OrderId,
    pub api_key_id: ApiKeyId,
    pub downstream_order_no: String,
    pub callback_url: Option<String>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_names() {
        let k = KeyId::from_random([0xab; 12]);
        assert_eq!(k.as_str(), "yk_abababababababababababab");
        assert_eq!(KeyId::parse(k.as_str()).ok(), Some(k));
        assert!(KeyId::parse("yk_ABABABABABABABABABABABAB").is_err());
        assert!(KeyId::parse("yk_abc").is_err());
        assert!(KeyId::parse("xx_abababababababababababab").is_err());
        assert!(KeyName::parse("  ").is_err());
        assert!(KeyName::parse("a\0b").is_err());
        assert_eq!(KeyName::parse(" 下游站 ").map(|n| n.as_str().to_owned()).ok(), Some("下游站".to_owned()));
    }
}
