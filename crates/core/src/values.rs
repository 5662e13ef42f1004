//! Domain values that cannot be built malformed: parse, don't validate.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(UserId);
id_type!(ShopId);
id_type!(DeadlineId);
id_type!(TokenId);
id_type!(InviteId);
id_type!(ProductId);
id_type!(OrderId);
id_type!(ConversationId);
id_type!(CaseId);

/// 3–32 characters of letters, digits, `_` or CJK ideographs; compared without case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let len = s.chars().count();
        if !(3..=32).contains(&len) {
            return Err(Error::Invalid { field: "username", reason: "length_3_32" });
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || is_cjk(c)) {
            return Err(Error::Invalid { field: "username", reason: "charset" });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key uniqueness is decided on.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// A password that passed the strength rule. Its text never appears in `Debug`.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// The rule, as shown to users when a password is refused.
    pub const RULE: &'static str = "8–128 characters, with at least one letter and one digit, not the username";

    pub fn parse(raw: &str, username: &str) -> Result<Self> {
        let len = raw.chars().count();
        let has_letter = raw.chars().any(char::is_alphabetic);
        let has_digit = raw.chars().any(|c| c.is_ascii_digit());
        let same_as_name = raw.to_lowercase() == username.trim().to_lowercase();
        if !(8..=128).contains(&len) || !has_letter || !has_digit || same_as_name {
            return Err(Error::WeakPassword);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// 2–40 visible characters, no control characters or angle brackets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ShopName(String);

impl ShopName {
    pub fn parse(raw: &str) -> Result<Self> {
        let s = raw.trim();
        let len = s.chars().count();
        if !(2..=40).contains(&len) {
            return Err(Error::Invalid { field: "name", reason: "length_2_40" });
        }
        if s.chars().any(|c| c.is_control() || c == '<' || c == '>') {
            return Err(Error::Invalid { field: "name", reason: "charset" });
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The account's place on the platform. Shop ownership is a relation, not a role:
/// any buyer may open shops; a merchant agent is a sub-account bound to one shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Buyer,
    MerchantAgent,
    PlatformAgent,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::MerchantAgent => "merchant_agent",
            Role::PlatformAgent => "platform_agent",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "buyer" => Ok(Role::Buyer),
            "merchant_agent" => Ok(Role::MerchantAgent),
            "platform_agent" | "agent" => Ok(Role::PlatformAgent),
            "admin" => Ok(Role::Admin),
            _ => Err(Error::Invalid { field: "role", reason: "unknown_role" }),
        }
    }

    pub fn is_platform(self) -> bool {
        matches!(self, Role::PlatformAgent | Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("小明_2024").is_ok());
        assert_eq!(Username::parse("  Alice ").unwrap().as_str(), "Alice");
        assert_eq!(Username::parse("Alice").unwrap().key(), "alice");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("a b c").is_err());
        assert!(Username::parse("<script>").is_err());
        assert!(Username::parse(&"x".repeat(33)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("hunter2hunter", "bob").is_ok());
        assert!(matches!(Password::parse("short1", "bob"), Err(Error::WeakPassword)));
        assert!(Password::parse("onlyletters", "bob").is_err());
        assert!(Password::parse("12345678", "bob").is_err());
        assert!(Password::parse("alice123", "Alice123").is_err());
        assert_eq!(format!("{:?}", Password::parse("hunter2hunter", "x").unwrap()), "Password(***)");
    }

    #[test]
    fn shop_names() {
        assert!(ShopName::parse("星辰点卡").is_ok());
        assert!(ShopName::parse("x").is_err());
        assert!(ShopName::parse("a<b>c").is_err());
    }
}
